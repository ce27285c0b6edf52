"""Assessment by expert volunteers (GY_ASSESSMENT=on): a new matter is
held and k assessors are asked — appointed, in term, with the assessor
role and the clue's field, of the same city, never the reporter, never one
with a declared conflict; least loaded first.  A quorum of equal
recommendations routes or rejects it; no quorum sends it to a prosecutor's
review; a declined task is given to someone else; late tasks are
reassigned and, when nobody is left, the clue is decided with what came
in.  Every step is an event (AssessmentRequested, AssessmentRecorded,
ClueRouted, ClueRejected), exactly once.  Real PostgreSQL, Redis, ZeroMQ,
gy-intake and gy-router."""

import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}


def router_env(extra=None):
    env = {"GY_ASSESSMENT": "on", "GY_ASSESSORS": "3", "GY_ASSESSMENT_DUE_S": "600",
           "GY_DEADLINE_SCAN_MS": "200"}
    env.update(extra or {})
    return gytest.router_api_env(S["folder"], S["token_secret"], S["token_public"], **env)


class Site:
    """One router (with its own database) following the shared intake, its
    event follower, and its volunteers."""

    def __init__(self, name, extra_env=None):
        self.dbname = gytest.create_database(name)
        self.db = gytest.Db(self.dbname)
        self.router = gytest.Router(S["folder"], "router-" + name, self.dbname, [S["intake"]],
                                    env=router_env(extra_env)).start()
        self.follower = gytest.EventFollower(self.router.events, self.router.replay,
                                             "router-" + name).start()
        self.volunteers = {}

    def close(self):
        self.follower.stop()
        self.router.stop()
        self.db.close()
        gytest.drop_database(self.dbname)

    def call(self, method, path, body=None, bearer=None):
        h = {}
        if body is not None:
            h["Content-Type"] = "application/json"
        if bearer is not None:
            h["Authorization"] = "Bearer " + bearer
        return gytest.http_request(self.router.http_port, method, path, body, h)

    def volunteer(self, name, proc, expertise, roles=("assessor",), conflicts=()):
        """Applies, is appointed, declares conflicts, logs in; returns
        (id, token)."""
        login = "%s-%s" % (name, uuid.uuid4().hex[:6])
        password = "密码-" + login
        r = self.call("POST", "/api/v1/volunteers/applications", {
            "login": login, "password": password, "name": name, "phone": "13800000000",
            "procuratorate": proc, "expertise": list(expertise), "roles": list(roles)})
        assert r.status == 201, r
        vid = r.json()["id"]
        r = self.call("POST", "/api/v1/volunteers/%s/appoint" % vid,
                      {"certificate_no": "证-" + login, "term_start": "2026-01-01",
                       "term_end": "2099-12-31"},
                      bearer=prosecutor(proc[:4] + "00"))
        assert r.status == 200, r
        r = self.call("POST", "/api/v1/auth/login", {"login": login, "password": password})
        assert r.status == 200, r
        token = r.json()["token"]
        for kind, value in conflicts:
            r = self.call("POST", "/api/v1/volunteers/me/conflicts",
                          {"kind": kind, "value": value, "reason": "亲属在当地企业任职"},
                          bearer=token)
            assert r.status == 201, r
        self.volunteers[name] = (vid, token)
        return vid, token

    def events(self, type_, clue_id):
        body = {"AssessmentRequested": "assessment_requested",
                "AssessmentRecorded": "assessment_recorded", "ClueRouted": "clue_routed",
                "ClueRejected": "clue_rejected"}[type_]
        return [e for e in self.follower.by_type(type_)
                if getattr(e, body).clue_id == clue_id]

    def wait_events(self, type_, clue_id, n, timeout=30.0):
        ok = self.follower.wait_for(lambda f: len(self.events(type_, clue_id)) >= n, timeout)
        assert ok, "%d %s for %s, wanted %d; router log:\n%s" % (
            len(self.events(type_, clue_id)), type_, clue_id, n, self.router.log_tail())
        return self.events(type_, clue_id)

    def tasks(self, name, status=None):
        r = self.call("GET", "/api/v1/tasks?limit=100" + ("&status=" + status if status else ""),
                      bearer=self.volunteers[name][1])
        assert r.status == 200, r
        return r.json()["items"]

    def task_of(self, name, clue_id):
        for t in self.tasks(name):
            if t["clue"]["id"] == clue_id:
                return t
        return None

    def assess(self, name, clue_id, recommendation, severity=4, harm=4, credibility=4):
        t = self.task_of(name, clue_id)
        assert t, "%s has no task for %s" % (name, clue_id)
        return self.call("POST", "/api/v1/tasks/%s/assessment" % t["id"], {
            "credibility": credibility, "severity": severity, "public_interest_harm": harm,
            "recommendation": recommendation, "comment": "现场照片与描述一致"},
            bearer=self.volunteers[name][1])


def prosecutor(proc):
    return gytest.issue_token(S["token_secret"], "prosecutor-%s" % proc, role="prosecutor",
                              proc=proc)


def submit(region, text, token=None):
    c = valid_clue(title="%s（%s）" % (text[:12], uuid.uuid4().hex[:6]),
                   description=text + "编号" + uuid.uuid4().hex, field_code="ecology",
                   region_code=region, location={"address": "测试地址"})
    r = S["intake"].post_clue(c, idem=str(uuid.uuid4()), token=token)
    assert r.status == 201, r
    return r.json()["id"], c


ECOLOGY = [
    "化工厂通过暗管偷排含油废水，河道出现黑臭水体，鱼类大量死亡。",
    "砂石场露天堆放不加覆盖，扬尘严重，周边农田被粉尘覆盖。",
    "养殖场粪污直排入河，下游水源地氨氮超标，村民饮水受影响。",
    "采石场非法开采破坏山体植被，废渣倾倒入河道造成淤塞。",
    "垃圾填埋场渗滤液外溢，周边地下水发黑发臭。",
    "印染厂夜间排放彩色污水，入江口水面泛红。",
    "小作坊焚烧废旧轮胎，黑烟弥漫，附近小学学生咳嗽不止。",
]


def setUpModule():
    gytest.require_router_build()
    S["folder"] = gytest.run_dir("test_router_assessment")
    S["token_secret"], S["token_public"] = gytest.token_keys(S["folder"])
    S["intake_db"] = gytest.create_database("assess_intake")
    S["intake"] = gytest.Intake(S["folder"], "intake-as1", S["intake_db"],
                                env={"GY_TOKEN_PUBLIC_KEY_FILE": S["token_public"]}).start()
    site = S["site"] = Site("as1")
    # 镇江市 (321100): three eligible ecology assessors, one with a conflict
    # for 丹徒区, one of another field, the reporter, and one of 大同市.
    site.volunteer("a1", "321112", ["ecology"])
    site.volunteer("a2", "321111", ["ecology", "food_drug"])
    site.volunteer("a3", "321183", ["ecology"])
    site.volunteer("a4", "321112", ["ecology"], conflicts=[("region", "321112")])
    site.volunteer("food", "321112", ["food_drug"])
    site.volunteer("informant", "321112", ["ecology"], roles=("assessor", "informant"))
    site.volunteer("datong", "140213", ["food_drug"])


def tearDownModule():
    if "site" in S:
        S["site"].close()
    if "intake" in S:
        S["intake"].stop()
    if "intake_db" in S:
        gytest.drop_database(S["intake_db"])


class AssessmentTest(gytest.IntakeTestCase):

    def asked(self, site, clue_id, n):
        events = site.wait_events("AssessmentRequested", clue_id, n)
        ids = {v[0]: k for k, v in site.volunteers.items()}
        return sorted(ids[e.assessment_requested.volunteer_id] for e in events)

    def test_a_quorum_routes_the_clue_once(self):
        site = S["site"]
        # Reported by a volunteer who is an assessor too: never their own.
        cid, _ = submit("321112", ECOLOGY[0], token=site.volunteers["informant"][1])
        self.assertEqual(self.asked(site, cid, 3), ["a1", "a2", "a3"])
        self.assertEqual(site.db.scalar("SELECT status FROM router.clue WHERE id = %s", (cid,)),
                         "assessing")
        self.assertEqual(site.events("ClueRouted", cid), [])
        # Only the assigned see the clue.
        self.assertIsNotNone(site.task_of("a1", cid))
        for other in ("a4", "food", "informant", "datong"):
            self.assertIsNone(site.task_of(other, cid), other)
        req = site.events("AssessmentRequested", cid)[0].assessment_requested
        self.assertEqual(req.field_code, "ecology")
        self.assertGreater(req.due_unix_ms, gytest.now_ms())
        # Assigned by the router's clock, as its due time (GY_TEST_CLOCK).
        for (assigned,) in site.db.query(
                "SELECT (extract(epoch FROM assigned_at) * 1000)::bigint"
                " FROM router.assessment_task WHERE clue_id = %s", (cid,)):
            self.assertLess(abs(assigned - gytest.now_ms()), 60000,
                            gytest.format_instant(assigned))

        r = site.assess("a1", cid, "route", severity=4, harm=5)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["clue_decision"])
        r = site.assess("a2", cid, "route", severity=5, harm=5)
        self.assertEqual(r.json()["clue_decision"], "route", r)
        routed = site.wait_events("ClueRouted", cid, 1)
        self.assertEqual(len(routed), 1)
        priority = site.db.scalar("SELECT priority FROM router.clue WHERE id = %s", (cid,))
        self.assertEqual(routed[0].clue_routed.priority, priority)
        self.assertEqual(routed[0].clue_routed.procuratorate, site.db.scalar(
            "SELECT procuratorate FROM router.clue WHERE id = %s", (cid,)))
        self.assertEqual(routed[0].clue_routed.cluster_id, cid)
        # Routed and submitted by the router's clock (GY_TEST_CLOCK).
        for (at,) in site.db.query(
                "SELECT (extract(epoch FROM routed_at) * 1000)::bigint FROM router.clue"
                " WHERE id = %s UNION ALL"
                " SELECT (extract(epoch FROM submitted_at) * 1000)::bigint"
                "  FROM router.assessment_task WHERE clue_id = %s AND status = 'submitted'",
                (cid, cid)):
            self.assertLess(abs(at - gytest.now_ms()), 60000, gytest.format_instant(at))
        # The third assessment is still taken, but decides nothing more.
        r = site.assess("a3", cid, "reject")
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["clue_decision"])
        recorded = site.wait_events("AssessmentRecorded", cid, 3)
        self.assertEqual(sorted(e.assessment_recorded.recommendation for e in recorded),
                         ["reject", "route", "route"])
        time.sleep(1.5)
        self.assertEqual(len(site.events("ClueRouted", cid)), 1)
        self.assertEqual(site.events("ClueRejected", cid), [])
        # A task takes one assessment, from its own volunteer.
        self.assertError(site.assess("a1", cid, "route"), 409, "invalid_state", "status")
        t = site.task_of("a1", cid)
        r = site.call("POST", "/api/v1/tasks/%s/assessment" % t["id"],
                      {"credibility": 1, "severity": 1, "public_interest_harm": 1,
                       "recommendation": "reject"}, bearer=site.volunteers["food"][1])
        self.assertError(r, 404, "not_found")

    def test_a_quorum_rejects_the_clue(self):
        site = S["site"]
        cid, _ = submit("321112", ECOLOGY[1])
        asked = self.asked(site, cid, 3)
        site.assess(asked[0], cid, "reject", severity=1, harm=1)
        site.assess(asked[1], cid, "reject", severity=1, harm=2)
        rejected = site.wait_events("ClueRejected", cid, 1)
        m = rejected[0].clue_rejected
        self.assertEqual((m.reason_code, m.decided_by, m.procuratorate),
                         ("no_public_interest", "assessment", "321112"))
        self.assertEqual(site.events("ClueRouted", cid), [])

    def test_no_quorum_goes_to_a_prosecutors_review(self):
        site = S["site"]
        cid, _ = submit("321112", ECOLOGY[2])
        asked = self.asked(site, cid, 3)
        site.assess(asked[0], cid, "route")
        site.assess(asked[1], cid, "reject")
        r = site.assess(asked[2], cid, "review")
        self.assertEqual(r.json()["clue_decision"], "review", r)
        self.assertEqual(site.db.scalar("SELECT status FROM router.clue WHERE id = %s", (cid,)),
                         "review")
        path = "/api/v1/routed-clues/%s/decide" % cid
        self.assertError(site.call("POST", path, {"decision": "route", "reason": "x"},
                                   bearer=prosecutor("321111")), 404, "not_found")
        self.assertError(site.call("POST", path, {"decision": "reject", "reason": "x"},
                                   bearer=prosecutor("321112")), 400, "missing_field",
                         "reason_code")
        self.assertError(site.call("POST", path, {"decision": "maybe", "reason": "x"},
                                   bearer=prosecutor("321112")), 400, "invalid_value", "decision")
        r = site.call("POST", path, {"decision": "route", "reason": "经审查，属公益诉讼线索"},
                      bearer=prosecutor("321112"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "routed")
        self.assertEqual(len(site.wait_events("ClueRouted", cid, 1)), 1)
        routed_at = site.db.scalar("SELECT (extract(epoch FROM routed_at) * 1000)::bigint"
                                   "  FROM router.clue WHERE id = %s", (cid,))
        self.assertLess(abs(routed_at - gytest.now_ms()), 60000,
                        gytest.format_instant(routed_at))
        self.assertError(site.call("POST", path, {"decision": "route", "reason": "again"},
                                   bearer=prosecutor("321112")), 409, "invalid_state", "status")

    def test_a_declined_task_goes_to_another_assessor(self):
        site = S["site"]
        # 润州区: a4's conflict is with 丹徒区 only, so four are eligible.
        cid, _ = submit("321111", ECOLOGY[3])
        first = self.asked(site, cid, 3)
        self.assertTrue(set(first) <= {"a1", "a2", "a3", "a4", "informant"})
        decliner = first[0]
        t = site.task_of(decliner, cid)
        self.assertError(site.call("POST", "/api/v1/tasks/%s/decline" % t["id"], {},
                                   bearer=site.volunteers[decliner][1]), 400, "missing_field",
                         "reason")
        r = site.call("POST", "/api/v1/tasks/%s/decline" % t["id"], {"reason": "与举报对象存在亲属关系"},
                      bearer=site.volunteers[decliner][1])
        self.assertEqual(r.json()["status"], "declined", r)
        after = self.asked(site, cid, 4)
        newcomer = set(after) - set(first)
        self.assertEqual(len(newcomer), 1, after)
        self.assertEqual(site.db.scalar(
            "SELECT count(*) FROM router.volunteer_conflict WHERE volunteer_id = %s AND "
            "kind = 'clue' AND value = %s", (site.volunteers[decliner][0], cid)), 1)
        # The conflict changed the decliner's standing: announced once (VolunteerChanged).
        vid = site.volunteers[decliner][0]
        announced = []
        for (body,) in site.db.query("SELECT body FROM router.outbox WHERE type = "
                                     "'VolunteerChanged' ORDER BY sequence"):
            m = gytest.pb.VolunteerChanged()
            m.ParseFromString(bytes(body))
            if m.volunteer_id == vid and ("clue", cid) in [(c.kind, c.value) for c in m.conflicts]:
                announced.append(m)
        self.assertEqual([(m.change, m.by) for m in announced], [("conflict", vid)])
        self.assertEqual(announced[0].version, site.db.scalar(
            "SELECT version FROM router.volunteer WHERE id = %s", (vid,)))

    def test_duplicates_and_unassessable_clues_are_routed_at_once(self):
        site = S["site"]
        text = ECOLOGY[4]
        first, clue = submit("321112", text)
        self.asked(site, first, 3)
        # The same report again: it joins the matter under assessment.
        r = S["intake"].post_clue(dict(clue, title=clue["title"]), idem=str(uuid.uuid4()))
        dup = r.json()["id"]
        routed = site.wait_events("ClueRouted", dup, 1)
        self.assertTrue(routed[0].clue_routed.duplicate)
        self.assertEqual(routed[0].clue_routed.cluster_id, first)
        self.assertEqual(site.events("AssessmentRequested", dup), [])
        # Nobody in 大同 assesses ecology: routed by triage alone.
        cid, _ = submit("140213", ECOLOGY[5])
        site.wait_events("ClueRouted", cid, 1)
        self.assertEqual(site.events("AssessmentRequested", cid), [])

    def test_assessments_sent_together_decide_once(self):
        """The quorum is decided in C on what was read; every step of a task
        moves its clue's version, so two assessments sent at once cannot
        both miss the quorum, nor both route the clue."""
        import threading
        site = S["site"]
        cid, _ = submit("321112", "电镀厂含铬废水未经处理直排农灌渠，稻田秧苗成片枯死。")
        asked = self.asked(site, cid, 3)
        answers = []

        def assess(name):
            answers.append(site.assess(name, cid, "route", severity=5, harm=4))

        threads = [threading.Thread(target=assess, args=(n,)) for n in asked[:2]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(a.status for a in answers), [200, 200], answers)
        self.assertEqual(sorted(str(a.json()["clue_decision"]) for a in answers),
                         ["None", "route"], answers)
        site.wait_events("ClueRouted", cid, 1)
        time.sleep(1.0)
        self.assertEqual(len(site.events("ClueRouted", cid)), 1)
        self.assertEqual(site.db.scalar("SELECT status FROM router.clue WHERE id = %s", (cid,)),
                         "routed")

    def test_refused_steps_name_the_state_and_write_nothing(self):
        site = S["site"]
        cid, _ = submit("321112", "屠宰场血水未经处理排入雨水管网，小区下水道恶臭。")
        asked = self.asked(site, cid, 3)
        for name in asked[:2]:
            self.assertEqual(site.assess(name, cid, "route").status, 200)
        site.wait_events("ClueRouted", cid, 1)
        before = site.db.query("SELECT (SELECT count(*) FROM router.outbox),"
                               " (SELECT max(version) FROM router.assessment_task"
                               "   WHERE clue_id = %s),"
                               " (SELECT version FROM router.clue WHERE id = %s)", (cid, cid))
        t = site.task_of(asked[0], cid)
        r = site.assess(asked[0], cid, "reject")
        self.assertError(r, 409, "invalid_state", "status")
        self.assertEqual(r.json()["error"]["message"],
                         "the task is submitted; submit is not allowed (allowed: none)")
        r = site.call("POST", "/api/v1/tasks/%s/decline" % t["id"], {"reason": "x"},
                      bearer=site.volunteers[asked[0]][1])
        self.assertEqual(r.json()["error"]["message"],
                         "the task is submitted; decline is not allowed (allowed: none)", r)
        r = site.call("POST", "/api/v1/routed-clues/%s/decide" % cid,
                      {"decision": "route", "reason": "x"}, bearer=prosecutor("321112"))
        self.assertError(r, 409, "invalid_state", "status")
        self.assertEqual(r.json()["error"]["message"],
                         "the clue is routed; decide_route is not allowed (allowed: none)")
        self.assertEqual(site.db.query(
            "SELECT (SELECT count(*) FROM router.outbox),"
            " (SELECT max(version) FROM router.assessment_task WHERE clue_id = %s),"
            " (SELECT version FROM router.clue WHERE id = %s)", (cid, cid)), before)

    def test_a_bus_clue_carries_its_work_order_through_assessment(self):
        """Defect 12: AssessmentRequested, AssessmentRecorded and
        ClueRejected carry the integrator's producer and reference id."""
        site = S["site"]
        ref = "WO-" + uuid.uuid4().hex[:8]
        _, ack = gytest.submit(S["intake"].submit, "agency-env-321100", **gytest.bus_clue(
            ref, region_code="321112", field_code="ecology",
            title="环保局转办：河道偷排（%s）" % uuid.uuid4().hex[:6],
            description="群众反映化工园区雨水口夜间排放黄色污水。" + uuid.uuid4().hex))
        self.assertEqual(ack.type, "SubmitClueAck", ack)
        cid = ack.submit_clue_ack.clue_id
        asked = self.asked(site, cid, 3)
        for e in site.events("AssessmentRequested", cid):
            o = e.assessment_requested.origin
            self.assertEqual((o.producer, o.reference_id), ("agency-env-321100", ref))
        for name in asked[:2]:
            site.assess(name, cid, "reject", severity=1, harm=1)
        rejected = site.wait_events("ClueRejected", cid, 1)[0].clue_rejected
        self.assertEqual((rejected.origin.producer, rejected.origin.reference_id),
                         ("agency-env-321100", ref))
        for e in site.wait_events("AssessmentRecorded", cid, 2):
            o = e.assessment_recorded.origin
            self.assertEqual((o.producer, o.reference_id), ("agency-env-321100", ref))

    def test_volunteer_endpoints_refuse_others(self):
        site = S["site"]
        self.assertError(site.call("GET", "/api/v1/tasks", bearer=prosecutor("321112")), 403,
                         "forbidden")
        self.assertError(site.call("GET", "/api/v1/tasks"), 401, "unauthenticated",
                         "Authorization")
        token = site.volunteers["a1"][1]
        self.assertError(site.call("GET", "/api/v1/tasks?status=open", bearer=token), 400,
                         "invalid_value", "status")
        self.assertError(site.call("POST", "/api/v1/tasks/%s/assessment" % uuid.uuid4(),
                                   {"credibility": 6, "severity": 1, "public_interest_harm": 1,
                                    "recommendation": "route"}, bearer=token),
                         400, "invalid_value", "credibility")
        self.assertError(site.call("POST", "/api/v1/tasks/%s/assessment" % uuid.uuid4(),
                                   {"credibility": "5", "severity": 1, "public_interest_harm": 1,
                                    "recommendation": "route"}, bearer=token),
                         400, "invalid_type", "credibility")
        self.assertError(site.call("POST", "/api/v1/tasks/%s/assessment" % uuid.uuid4(),
                                   {"credibility": 5, "severity": 1, "public_interest_harm": 1,
                                    "recommendation": "route"}, bearer=token), 404, "not_found")
        self.assertError(site.call("POST", "/api/v1/volunteers/me/conflicts",
                                   {"kind": "region", "value": "999999", "reason": "x"},
                                   bearer=token), 422, "unknown_region_code", "value")
        r = site.call("GET", "/api/v1/volunteers/me/conflicts", bearer=site.volunteers["a4"][1])
        self.assertEqual([(k["kind"], k["value"]) for k in r.json()["items"]],
                         [("region", "321112")])


class LateTest(gytest.IntakeTestCase):

    def test_late_tasks_are_reassigned_then_the_clue_is_decided(self):
        # The router on a fixed date before any day this runs (and before
        # any GY_TEST_CLOCK: tokens from the suite's clock are not expired
        # there): tasks fall late by the router's clock, not the database's.
        site = Site("as2", {"GY_ASSESSMENT_DUE_S": "5",
                            "GY_CLOCK_START": "2026-01-05T09:00:00+08:00"})
        try:
            site.volunteer("b1", "321112", ["ecology"])
            site.volunteer("b2", "321111", ["ecology"])
            cid, _ = submit("321112", ECOLOGY[6])
            self.assertEqual(len(site.wait_events("AssessmentRequested", cid, 2)), 2)
            # Appointed while the first two have the clue: asked in the
            # place of the first whose task falls late.
            b3, _ = site.volunteer("b3", "321183", ["ecology"])
            requested = site.wait_events("AssessmentRequested", cid, 3, timeout=40)
            self.assertEqual(requested[-1].assessment_requested.volunteer_id, b3)
            # Nobody answers; with nobody left to ask, the clue waits for a
            # prosecutor.
            ok = site.follower.wait_for(lambda f: site.db.scalar(
                "SELECT status FROM router.clue WHERE id = %s", (cid,)) == "review", 40)
            self.assertTrue(ok, site.router.log_tail())
            self.assertEqual(site.db.query("SELECT DISTINCT status FROM router.assessment_task "
                                           "WHERE clue_id = %s", (cid,)), [("late",)])
            self.assertError(site.assess("b1", cid, "route"), 409, "invalid_state", "status")
            self.assertEqual(site.events("ClueRouted", cid), [])
            self.assertEqual(site.events("ClueRejected", cid), [])
        finally:
            site.close()

    def test_configuration_is_checked_at_start(self):
        for env, message in (({"GY_ASSESSMENT": "maybe"}, "GY_ASSESSMENT"),
                             ({"GY_ASSESSORS": "0"}, "GY_ASSESSORS"),
                             ({"GY_SEAL_KEY_FILE": None}, "GY_SEAL_KEY_FILE")):
            with self.subTest(env=env):
                out = gytest.router_start_refused(S["intake_db"], dict(router_env(env), **env))
                self.assertIn(message, out)


if __name__ == "__main__":
    unittest.main()
