"""A reporter's identity is visible only to the competent procuratorate
(issue 3, DESIGN.md invariant 8): GET /api/v1/clues/{clue_id}/reporter on
intake answers the prosecutors of the procuratorate the router made
competent — not its superiors, not a neighbour, not volunteers or
administrators — and logs every read.  intake learns competence from the
router's events (ClueRouted; ClueTransferred accepted / decided), follows
a transfer, and keeps and catches up what it learnt through kill -9.

Two intake instances share one database and one seal key, as scripts/up
runs them; one of them applies the router's events at a time.  Real
PostgreSQL, Redis, ZeroMQ and the real gy-intake and gy-router."""

import base64
import json
import os
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}

REPORTER = {"name": "李四", "phone": "+86 139-0000-0000", "email": "lisi@example.com",
            "id_number": "32111219800101123X"}
ROUTER = "router-r1"


def _sources(router):
    return "%s|%s" % (router.events, router.replay)


def setUpModule():
    gytest.require_router_build()
    folder = gytest.run_dir("test_intake_reporter")
    S["folder"] = folder
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("reporter")
    S["db"] = gytest.Db(S["dbname"])
    intake_env = {"GY_TOKEN_PUBLIC_KEY_FILE": S["token_public"],
                  # "never in the logs" is hardest with debug logging
                  "GY_LOG_LEVEL": "debug"}
    a = gytest.Intake(folder, "intake-r1", S["dbname"], env=intake_env)
    b = gytest.Intake(folder, "intake-r2", S["dbname"], env=intake_env)
    # One site, one seal key: a clue submitted to one instance is read on
    # the other.
    b.env["GY_SEAL_KEY_FILE"] = a.seal_key_file
    # Not followed by the router, and not following it: its clues are never
    # routed, and it cannot tell who may see a reporter.
    plain = gytest.Intake(folder, "intake-plain", S["dbname"], env=intake_env)
    plain.env["GY_SEAL_KEY_FILE"] = a.seal_key_file
    router = gytest.Router(folder, ROUTER, S["dbname"], [a, b], env=gytest.router_api_env(
        folder, S["token_secret"], S["token_public"], GY_DEADLINE_SCAN_MS="0"))
    S.update(a=a, b=b, plain=plain, router=router)
    for i in (a, b):
        i.env["GY_ROUTER_SOURCES"] = _sources(router)
        i.start()
    plain.start()
    # A first start may move to other ports when one was taken meanwhile.
    router.env["GY_SOURCES"] = ",".join("%s|%s" % (i.events, i.replay) for i in (a, b))
    router.start()
    for i in (a, b):
        if i.env["GY_ROUTER_SOURCES"] != _sources(router):
            i.stop()
            i.env["GY_ROUTER_SOURCES"] = _sources(router)
            i.start()
    S["follower"] = gytest.EventFollower(router.events, router.replay, ROUTER).start()


def tearDownModule():
    if "follower" in S:
        S["follower"].stop()
    for name in ("router", "a", "b", "plain"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def token(role, proc, ttl=3600, secret=None):
    return gytest.issue_token(secret or S["token_secret"],
                              "%s-%s-%s" % (role, proc, uuid.uuid4().hex[:6]),
                              role=role, proc=proc, ttl=ttl)


def read(clue_id, bearer=None, intake=None, headers=None):
    h = dict(headers or {})
    if bearer is not None:
        h["Authorization"] = "Bearer " + bearer
    return (intake or S["a"]).get("/api/v1/clues/%s/reporter" % clue_id, headers=h)


def router_call(method, path, body=None, bearer=None):
    h = {"Authorization": "Bearer " + bearer}
    if body is not None:
        h["Content-Type"] = "application/json"
    return gytest.http_request(S["router"].http_port, method, path, body, h)


def submit(region, reporter=None, intake=None):
    c = valid_clue(title="河道偷排（%s）" % uuid.uuid4().hex[:6],
                   description="工厂通过暗管向河道偷排废水，编号%s。" % uuid.uuid4().hex,
                   region_code=region,
                   location={"address": "测试地址 %s" % uuid.uuid4().hex[:8]})
    if reporter is not None:
        c["reporter"] = reporter
    r = (intake or S["a"]).post_clue(c, idem=str(uuid.uuid4()))
    assert r.status == 201, r
    return r.json()


def wait_until(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("%s not reached within %.0f s" % (what, timeout))


def applied():
    """intake's position in the router's events."""
    return S["db"].scalar("SELECT last_sequence FROM intake.consumed WHERE producer = %s",
                          (ROUTER,)) or 0


def wait_applied(sequence, timeout=30.0):
    wait_until(lambda: applied() >= sequence, timeout,
               "intake applying %s:%d (at %d)\n%s\n%s" % (
                   ROUTER, sequence, applied(), S["a"].log_tail(15), S["b"].log_tail(15)))


def router_event(predicate, timeout=30.0):
    """The first router event (Envelope) that satisfies predicate."""
    found = []

    def seen(f):
        with f._lock:
            frames = [f.events[s] for s in sorted(f.events)]
        for fr in frames:
            env = gytest.parse_event(fr)
            if predicate(env):
                found.append(env)
                return True
        return False

    assert S["follower"].wait_for(seen, timeout), "no such router event within %.0f s\n%s" % (
        timeout, S["router"].log_tail())
    return found[0]


def routed(clue_id):
    """Waits until intake applied the clue's ClueRouted; returns the event."""
    env = router_event(lambda e: e.type == "ClueRouted" and e.clue_routed.clue_id == clue_id)
    wait_applied(env.sequence)
    return env


def transferred(transfer_id, step):
    env = router_event(lambda e: e.type == "ClueTransferred"
                       and e.clue_transferred.transfer_id == transfer_id
                       and e.clue_transferred.step == step)
    wait_applied(env.sequence)
    return env


def accesses(clue_id):
    return S["db"].query("SELECT subject, role, procuratorate FROM intake.reporter_access "
                         "WHERE clue_id = %s ORDER BY id", (clue_id,))


def competence(clue_id):
    return S["db"].query("SELECT procuratorate, decided_by_event FROM intake.competence "
                         "WHERE clue_id = %s", (clue_id,))


class ReporterTest(gytest.IntakeTestCase):

    def test_the_competent_county_reads_the_reporter_and_the_read_is_logged(self):
        created = submit("321112", REPORTER)
        cid = created["id"]
        ev = routed(cid)
        self.assertEqual(ev.clue_routed.procuratorate, "321112")
        self.assertEqual(competence(cid)[0][0], "321112")
        self.assertRegex(competence(cid)[0][1], r"^ClueRouted@router-r1:\d+$")
        county = token("prosecutor", "321112")
        r = read(cid, county)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"clue_id": cid, "procuratorate": "321112",
                                    "anonymous": False, "reporter": REPORTER})
        self.assertEqual(r.headers.get("cache-control"), "no-store")
        chief = token("chief_prosecutor", "321112")
        # The other instance of the site answers the same (one database,
        # one seal key); an upper-case id is the same id.
        r = read(cid.upper(), chief, intake=S["b"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["reporter"], REPORTER)
        log = accesses(cid)
        self.assertEqual([(role, proc) for _, role, proc in log],
                         [("prosecutor", "321112"), ("chief_prosecutor", "321112")])
        self.assertTrue(log[0][0].startswith("prosecutor-321112-"))
        self.assertTrue(log[1][0].startswith("chief_prosecutor-321112-"))
        # The follow-up by receipt code still works, and never shows the
        # reporter.
        r = S["a"].get("/api/v1/clues/%s" % created["receipt_code"])
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("reporter", r.json())

    def test_everyone_else_is_refused_and_nothing_is_logged(self):
        cid = submit("321112", REPORTER)["id"]
        routed(cid)
        not_found = [
            ("another county", token("prosecutor", "321111")),
            ("the city above", token("chief_prosecutor", "321100")),
            ("the city's prosecutor", token("prosecutor", "321100")),
            ("the province", token("prosecutor", "320000")),
            ("another city", token("prosecutor", "140200")),
        ]
        for who, t in not_found:
            with self.subTest(who=who):
                self.assertError(read(cid, t), 404, "not_found")
        for role in ("volunteer", "admin", "integrator"):
            with self.subTest(role=role):
                self.assertError(read(cid, token(role, "321112")), 403, "forbidden")
        r = read(cid)
        self.assertError(r, 401, "unauthenticated", "Authorization")
        self.assertEqual(r.headers.get("www-authenticate"), "Bearer")
        other_keys = os.path.join(S["folder"], "other-keys")
        os.makedirs(other_keys, exist_ok=True)
        other_secret, _ = gytest.token_keys(other_keys)
        expiring = token("prosecutor", "321112", ttl=1)
        bad = [
            ("garbage", {"Authorization": "Bearer not-a-token"}),
            ("not bearer", {"Authorization": "Basic dXNlcjpwYXNz"}),
            ("signed by another key",
             {"Authorization": "Bearer " + token("prosecutor", "321112", secret=other_secret)}),
            ("tampered", {"Authorization": "Bearer " + token("prosecutor", "321111")[:-4] + "AAAA"}),
        ]
        for what, headers in bad:
            with self.subTest(token=what):
                r = read(cid, headers=headers)
                self.assertError(r, 401, "invalid_token", "Authorization")
                self.assertEqual(r.headers.get("www-authenticate"), "Bearer")
        # Expiry is by the clock: wait (without using the token) until the
        # second after its exp claim.
        claims = json.loads(base64.urlsafe_b64decode(expiring.split(".")[1] + "=="))
        time.sleep(max(0.0, claims["exp"] + 1 - gytest.now_ms() / 1000.0))
        err = self.assertError(read(cid, expiring), 401, "invalid_token", "Authorization")
        self.assertIn("expired", err["message"])
        self.assertEqual(accesses(cid), [])

    def test_an_anonymous_clue_says_so_and_the_read_is_logged(self):
        cid = submit("321112")["id"]
        routed(cid)
        county = token("prosecutor", "321112")
        r = read(cid, county)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"clue_id": cid, "procuratorate": "321112", "anonymous": True})
        self.assertEqual([(role, proc) for _, role, proc in accesses(cid)],
                         [("prosecutor", "321112")])

    def test_a_volunteer_s_clue_names_the_volunteer(self):
        volunteer = token("volunteer", "321112")
        c = valid_clue(region_code="321112", title="盲道被占（%s）" % uuid.uuid4().hex[:6],
                       location={"address": "测试地址 %s" % uuid.uuid4().hex[:8]})
        r = S["a"].post_clue(c, idem=str(uuid.uuid4()), token=volunteer)
        self.assertEqual(r.status, 201, r)
        cid = r.json()["id"]
        routed(cid)
        r = read(cid, token("prosecutor", "321112"))
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["anonymous"], False, body)
        self.assertEqual(body["reporter"], {}, body)
        self.assertTrue(body["reporter_subject"].startswith("volunteer-321112-"), body)

    def test_until_the_router_decides_nobody_sees_the_reporter(self):
        # The router does not follow intake-plain: this clue is never routed.
        cid = submit("321112", REPORTER, intake=S["plain"])["id"]
        self.assertEqual(competence(cid), [])
        self.assertError(read(cid, token("prosecutor", "321112")), 404, "not_found")
        self.assertEqual(accesses(cid), [])

    def test_an_instance_without_router_events_answers_503(self):
        cid = submit("321112", REPORTER)["id"]
        routed(cid)
        err = self.assertError(read(cid, token("prosecutor", "321112"), intake=S["plain"]), 503,
                               "unavailable")
        self.assertIn("GY_ROUTER_SOURCES", err["message"])
        self.assertEqual(accesses(cid), [])

    def test_a_malformed_gy_router_sources_stops_the_start(self):
        bad = gytest.Intake(S["folder"], "intake-bad", S["dbname"],
                            env={"GY_ROUTER_SOURCES": "tcp://127.0.0.1:1"})
        with self.assertRaises(AssertionError):
            bad.start()
        self.assertEqual(bad.proc.returncode, 1)
        self.assertIn("invalid value for GY_ROUTER_SOURCES: source 1 is not EVENTS|REPLAY",
                      bad.log_text())

    def test_bad_input(self):
        county = token("prosecutor", "321112")
        created = submit("321112", REPORTER)
        routed(created["id"])
        for bad in ("not-a-uuid", created["receipt_code"], created["id"][:-1],
                    created["id"] + "0", created["id"].replace("-", ""),
                    "%s%%00" % created["id"][:-3], "'%20OR%201=1--"):
            with self.subTest(clue_id=bad):
                self.assertError(read(bad, county), 404, "not_found")
        # Receipt codes and clue ids have their own routes.
        self.assertError(S["a"].get("/api/v1/clues/%s" % created["id"]), 404, "not_found")
        self.assertEqual(S["a"].get("/api/v1/clues/%s" % created["receipt_code"]).status, 200)
        self.assertError(S["a"].get("/api/v1/clues/%s/reporter/x" % created["id"]), 404,
                         "not_found")
        self.assertError(S["a"].get("/api/v1/clues//reporter"), 404, "not_found")
        r = gytest.http_request(S["a"].http_port, "POST",
                                "/api/v1/clues/%s/reporter" % created["id"], b"{}",
                                {"Authorization": "Bearer " + county,
                                 "Content-Type": "application/json"})
        self.assertError(r, 405, "method_not_allowed")
        self.assertEqual(r.headers.get("allow"), "GET")
        self.assertEqual(accesses(created["id"]), [])

    def test_the_identity_never_reaches_a_log(self):
        cid = submit("321112", REPORTER)["id"]
        routed(cid)
        self.assertEqual(read(cid, token("prosecutor", "321112")).status, 200)
        for inst in (S["a"], S["b"], S["plain"], S["router"]):
            text = inst.log_text()
            for value in REPORTER.values():
                self.assertNotIn(value, text, inst.name)


class TransferTest(gytest.IntakeTestCase):

    def test_an_accepted_transfer_moves_who_sees_the_reporter(self):
        cid = submit("321112", REPORTER)["id"]
        routed(cid)
        dantu, jurong = token("prosecutor", "321112"), token("prosecutor", "321183")
        r = router_call("POST", "/api/v1/routed-clues/%s/transfer" % cid,
                        {"to": "321183", "reason": "句容市辖区"}, dantu)
        self.assertEqual(r.status, 201, r)
        tid = r.json()["id"]
        # Asked, not yet accepted: the clue stays where it was.
        transferred(tid, "requested")
        self.assertEqual(read(cid, dantu).status, 200)
        self.assertError(read(cid, jurong), 404, "not_found")
        r = router_call("POST", "/api/v1/transfers/%s/accept" % tid, {}, jurong)
        self.assertEqual(r.json()["status"], "accepted", r)
        ev = transferred(tid, "accepted")
        r = read(cid, jurong)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["procuratorate"], "321183")
        self.assertEqual(r.json()["reporter"], REPORTER)
        self.assertError(read(cid, dantu), 404, "not_found")
        self.assertEqual(competence(cid)[0],
                         ("321183", "ClueTransferred:accepted@%s:%d" % (ROUTER, ev.sequence)))

    def test_a_decided_dispute_follows_the_superior_s_choice(self):
        cid = submit("321112", REPORTER)["id"]
        routed(cid)
        dantu, runzhou = token("prosecutor", "321112"), token("prosecutor", "321111")
        city = token("chief_prosecutor", "321100")
        tid = router_call("POST", "/api/v1/routed-clues/%s/transfer" % cid,
                          {"to": "321111", "reason": "问题发生地在润州区"}, dantu).json()["id"]
        r = router_call("POST", "/api/v1/transfers/%s/dispute" % tid,
                        {"reason": "排污口在丹徒区"}, runzhou)
        self.assertEqual(r.json()["status"], "disputed", r)
        # The superior keeps it where it was: to_procuratorate (321111) is
        # not the decision; the Envelope's procuratorate is.
        r = router_call("POST", "/api/v1/transfers/%s/decide" % tid,
                        {"procuratorate": "321112", "reason": "排污口和危害结果均在丹徒区"}, city)
        self.assertEqual(r.json()["status"], "decided", r)
        ev = transferred(tid, "decided")
        self.assertEqual(ev.procuratorate, "321112")
        self.assertEqual(ev.clue_transferred.to_procuratorate, "321111")
        self.assertEqual(competence(cid)[0][0], "321112")
        self.assertEqual(read(cid, dantu).status, 200)
        self.assertError(read(cid, runzhou), 404, "not_found")
        # The superior decided, but sees no reporter.
        self.assertError(read(cid, city), 404, "not_found")


def leader():
    """The intake instance that applies the router's events now."""
    marker = "this instance applies the router's events"
    found = []
    for inst in (S["a"], S["b"]):
        last = inst.log_text().split("---- start")[-1]
        if inst.running() and marker in last:
            found.append(inst)
    return found


class CrashTest(gytest.IntakeTestCase):

    def transfer_and_accept(self, cid, frm, to):
        r = router_call("POST", "/api/v1/routed-clues/%s/transfer" % cid,
                        {"to": to, "reason": "管辖调整"}, token("prosecutor", frm))
        self.assertEqual(r.status, 201, r)
        tid = r.json()["id"]
        r = router_call("POST", "/api/v1/transfers/%s/accept" % tid, {}, token("prosecutor", to))
        self.assertEqual(r.json()["status"], "accepted", r)
        return router_event(lambda e: e.type == "ClueTransferred"
                            and e.clue_transferred.transfer_id == tid
                            and e.clue_transferred.step == "accepted")

    def test_one_instance_applies_and_the_other_takes_over(self):
        cid = submit("321112", REPORTER)["id"]
        routed(cid)
        lead = wait_until(leader, 10, "one instance leading")
        self.assertEqual(len(lead), 1, [i.name for i in lead])
        lead = lead[0]
        other = S["b"] if lead is S["a"] else S["a"]
        for inst in (S["a"], S["b"]):
            self.assertNotIn("SQLSTATE 23502", inst.log_text(), inst.name)
        lead.kill()
        try:
            ev = self.transfer_and_accept(cid, "321112", "321183")
            # The other instance takes the lock and applies what it missed.
            wait_applied(ev.sequence)
            self.assertEqual(leader(), [other])
            r = read(cid, token("prosecutor", "321183"), intake=other)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["reporter"], REPORTER)
        finally:
            lead.start()

    def test_killed_instances_keep_competence_and_catch_up(self):
        before = submit("321112", REPORTER)["id"]
        moved = submit("321112", REPORTER)["id"]
        routed(before)
        routed(moved)
        for inst in (S["a"], S["b"]):
            inst.kill()
        try:
            # While no intake follows the router, a transfer is accepted.
            ev = self.transfer_and_accept(moved, "321112", "321111")
        finally:
            for inst in (S["a"], S["b"]):
                inst.start()
        # What was applied before the crash is in intake's database.
        r = read(before, token("prosecutor", "321112"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["reporter"], REPORTER)
        # What happened meanwhile is caught up by replay.
        wait_applied(ev.sequence)
        self.assertEqual(read(moved, token("prosecutor", "321111")).status, 200)
        self.assertError(read(moved, token("prosecutor", "321112")), 404, "not_found")
        # Exactly once: every router event applied, position = the router's
        # newest, competence = the last decision of each clue.
        last = S["follower"].last
        wait_applied(last)
        self.assertEqual(applied(), S["db"].scalar(
            "SELECT last_sequence FROM router.producer WHERE producer = %s", (ROUTER,)))
        self.assertEqual(competence(moved)[0][1],
                         "ClueTransferred:accepted@%s:%d" % (ROUTER, ev.sequence))


if __name__ == "__main__":
    unittest.main()
