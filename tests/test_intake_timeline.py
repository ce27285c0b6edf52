"""The reporter's public timeline (issue 8, item 11): GET
/api/v1/clues/{receipt_code} on intake shows received, under assessment,
accepted by a procuratorate (by its name), transferred (to whom) and
rejected with the public reason — each with its time — and never internal
notes, other reporters or people.  intake records the steps from the
router's events, exactly once.

One intake following one router with assessment on (three assessors of
镇江); real PostgreSQL, Redis, ZeroMQ, gy-intake and gy-router."""

import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}
ROUTER = "router-tl1"
REPORTER = {"name": "王小五", "phone": "+86 139-1111-2222", "email": "wxw@example.com",
            "id_number": "32111219800101555X"}
COMMENT = "现场照片与描述一致，评估人陈一鸣"


def _sources(router):
    return "%s|%s" % (router.events, router.replay)


def setUpModule():
    gytest.require_router_build()
    folder = gytest.run_dir("test_intake_timeline")
    S["folder"] = folder
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("timeline")
    S["db"] = gytest.Db(S["dbname"])
    intake = gytest.Intake(folder, "intake-tl1", S["dbname"],
                           env={"GY_TOKEN_PUBLIC_KEY_FILE": S["token_public"]})
    router = gytest.Router(folder, ROUTER, S["dbname"], [intake], env=gytest.router_api_env(
        folder, S["token_secret"], S["token_public"], GY_ASSESSMENT="on", GY_ASSESSORS="3",
        GY_ASSESSMENT_DUE_S="600", GY_DEADLINE_SCAN_MS="0"))
    S.update(intake=intake, router=router)
    intake.env["GY_ROUTER_SOURCES"] = _sources(router)
    intake.start()
    router.env["GY_SOURCES"] = "%s|%s" % (intake.events, intake.replay)
    router.start()
    if intake.env["GY_ROUTER_SOURCES"] != _sources(router):
        intake.stop()
        intake.env["GY_ROUTER_SOURCES"] = _sources(router)
        intake.start()
    S["follower"] = gytest.EventFollower(router.events, router.replay, ROUTER).start()
    S["volunteers"] = [volunteer(name) for name in ("陈一鸣", "林静", "周大勇")]


def tearDownModule():
    if "follower" in S:
        S["follower"].stop()
    for name in ("router", "intake"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def prosecutor(proc):
    return gytest.issue_token(S["token_secret"], "prosecutor-%s-%s" % (proc, uuid.uuid4().hex[:6]),
                              role="prosecutor", proc=proc)


def call(method, path, body=None, bearer=None):
    h = {}
    if body is not None:
        h["Content-Type"] = "application/json"
    if bearer is not None:
        h["Authorization"] = "Bearer " + bearer
    return gytest.http_request(S["router"].http_port, method, path, body, h)


def volunteer(name):
    """An appointed assessor of 丹徒区 in ecology; returns its token."""
    login = "tl-%s" % uuid.uuid4().hex[:8]
    password = "密码-" + login
    r = call("POST", "/api/v1/volunteers/applications", {
        "login": login, "password": password, "name": name, "phone": "13800000000",
        "procuratorate": "321112", "expertise": ["ecology"], "roles": ["assessor"]})
    assert r.status == 201, r
    r = call("POST", "/api/v1/volunteers/%s/appoint" % r.json()["id"],
             {"certificate_no": "证-" + login, "term_start": "2026-01-01",
              "term_end": "2099-12-31"}, bearer=prosecutor("321100"))
    assert r.status == 200, r
    r = call("POST", "/api/v1/auth/login", {"login": login, "password": password})
    assert r.status == 200, r
    return r.json()["token"]


def assess(token, clue_id, recommendation):
    tasks = call("GET", "/api/v1/tasks?limit=100", bearer=token).json()["items"]
    task = [t for t in tasks if t["clue"]["id"] == clue_id]
    assert task, "no task for %s" % clue_id
    r = call("POST", "/api/v1/tasks/%s/assessment" % task[0]["id"], {
        "credibility": 4, "severity": 4, "public_interest_harm": 4,
        "recommendation": recommendation, "comment": COMMENT}, bearer=token)
    assert r.status == 200, r


def submit(text):
    c = valid_clue(title="%s（%s）" % (text[:10], uuid.uuid4().hex[:6]),
                   description=text + "编号" + uuid.uuid4().hex, field_code="ecology",
                   region_code="321112", location={"address": "丹徒区测试地址"},
                   reporter=REPORTER)
    r = S["intake"].post_clue(c, idem=str(uuid.uuid4()))
    assert r.status == 201, r
    return r.json()


def progress(receipt):
    r = S["intake"].get("/api/v1/clues/%s" % receipt)
    assert r.status == 200, r
    return r


def steps(receipt):
    return [s["step"] for s in progress(receipt).json().get("timeline", [])]


def wait_steps(receipt, want, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if steps(receipt) == want:
            return progress(receipt)
        time.sleep(0.1)
    raise AssertionError("timeline %r, not %r\n%s" % (steps(receipt), want,
                                                      S["intake"].log_tail(20)))


def router_event(predicate, timeout=30.0):
    found = []

    def seen(f):
        with f._lock:
            frames = [f.events[s] for s in sorted(f.events)]
        found[:] = [e for e in map(gytest.parse_event, frames) if predicate(e)]
        return bool(found)

    assert S["follower"].wait_for(seen, timeout), S["router"].log_tail()
    return found[-1]


def wait_applied(sequence, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at = S["db"].scalar("SELECT last_sequence FROM intake.consumed WHERE producer = %s",
                            (ROUTER,)) or 0
        if at >= sequence:
            return
        time.sleep(0.1)
    raise AssertionError("intake did not apply %s:%d" % (ROUTER, sequence))


class TimelineTest(gytest.IntakeTestCase):

    def assertNothingInternal(self, response, *internal):
        text = response.body.decode("utf-8")
        for secret in (REPORTER["name"], REPORTER["phone"], REPORTER["email"],
                       REPORTER["id_number"], COMMENT, "陈一鸣", "林静", "周大勇", "prosecutor-",
                       "decided_by", "volunteer") + internal:
            self.assertNotIn(secret, text)

    def test_assessed_accepted_and_transferred(self):
        created = submit("印染厂夜间通过暗管排放彩色污水，入江口水面泛红，气味刺鼻。")
        cid, receipt = created["id"], created["receipt_code"]
        # Three assessors are asked: one public step.
        self.assertTrue(S["follower"].wait_for(lambda f: len(
            [e for e in f.by_type("AssessmentRequested")
             if e.assessment_requested.clue_id == cid]) == 3, 30.0))
        r = wait_steps(receipt, ["received", "assessing"])
        self.assertEqual(r.json()["status"], "assessing")
        assess(S["volunteers"][0], cid, "route")
        assess(S["volunteers"][1], cid, "route")
        r = wait_steps(receipt, ["received", "assessing", "accepted"])
        body = r.json()
        self.assertEqual(body["status"], "accepted")
        received, assessing, accepted = body["timeline"]
        self.assertEqual(received, {"step": "received", "at": body["received_at"]})
        self.assertEqual(set(assessing), {"step", "at"})
        self.assertEqual(accepted["procuratorate"],
                         {"code": "321112", "name": "镇江市丹徒区人民检察院"})
        self.assertTrue(received["at"] <= assessing["at"] <= accepted["at"], body)

        # A transfer shows only once it is accepted.
        dantu, jurong = prosecutor("321112"), prosecutor("321183")
        t = call("POST", "/api/v1/routed-clues/%s/transfer" % cid,
                 {"to": "321183", "reason": "举报人王小五反映的企业实际位于句容市"},
                 bearer=dantu).json()
        wait_applied(router_event(lambda e: e.type == "ClueTransferred"
                                  and e.clue_transferred.transfer_id == t["id"]).sequence)
        self.assertEqual(steps(receipt), ["received", "assessing", "accepted"])
        r = call("POST", "/api/v1/transfers/%s/accept" % t["id"],
                 {"reason": "同意接收，承办人刘检察官"}, bearer=jurong)
        self.assertEqual(r.status, 200, r)
        r = wait_steps(receipt, ["received", "assessing", "accepted", "transferred"])
        moved = r.json()["timeline"][-1]
        self.assertEqual(moved["procuratorate"], {"code": "321183", "name": "句容市人民检察院"})
        self.assertEqual(moved["from"], {"code": "321112", "name": "镇江市丹徒区人民检察院"})
        self.assertEqual(r.json()["status"], "transferred")

        # Requested, disputed, and decided for the side that has it: no
        # public step (the clue never moved).
        t = call("POST", "/api/v1/routed-clues/%s/transfer" % cid,
                 {"to": "321111", "reason": "内部意见：润州区更合适"}, bearer=jurong).json()
        r = call("POST", "/api/v1/transfers/%s/dispute" % t["id"],
                 {"reason": "内部意见：不属于润州区"}, bearer=prosecutor("321111"))
        self.assertEqual(r.status, 200, r)
        r = call("POST", "/api/v1/transfers/%s/decide" % t["id"],
                 {"procuratorate": "321183", "reason": "内部意见：仍由句容市办理"},
                 bearer=prosecutor("321100"))
        self.assertEqual(r.status, 200, r)
        wait_applied(router_event(lambda e: e.type == "ClueTransferred"
                                  and e.clue_transferred.transfer_id == t["id"]
                                  and e.clue_transferred.step == "decided").sequence)
        r = progress(receipt)
        self.assertEqual(steps(receipt), ["received", "assessing", "accepted", "transferred"])
        self.assertNothingInternal(r, "王小五反映", "刘检察官", "内部意见", t["id"])

        # Exactly once: a restarted intake replays nothing twice.
        S["intake"].stop()
        S["intake"].start()
        self.assertEqual(progress(receipt).json(), r.json())
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM intake.timeline WHERE clue_id = %s",
                                        (cid,)), 3)

    def test_rejected_with_the_public_reason(self):
        created = submit("砂石场露天堆放不加覆盖，扬尘严重，周边农田被粉尘覆盖。")
        cid, receipt = created["id"], created["receipt_code"]
        wait_steps(receipt, ["received", "assessing"])
        # No quorum: the clue goes to a prosecutor's review (not public).
        for token, recommendation in zip(S["volunteers"], ("route", "reject", "review")):
            assess(token, cid, recommendation)
        wait_applied(router_event(lambda e: e.type == "AssessmentRecorded"
                                  and e.assessment_recorded.clue_id == cid
                                  and e.assessment_recorded.recommendation == "review").sequence)
        self.assertEqual(steps(receipt), ["received", "assessing"])
        internal = "举报人王小五与企业老板有经济纠纷，另案处理"
        r = call("POST", "/api/v1/routed-clues/%s/decide" % cid,
                 {"decision": "reject", "reason_code": "out_of_scope", "reason": internal},
                 bearer=prosecutor("321112"))
        self.assertEqual(r.status, 200, r)
        r = wait_steps(receipt, ["received", "assessing", "rejected"])
        body = r.json()
        self.assertEqual(body["status"], "rejected")
        rejected = body["timeline"][-1]
        self.assertEqual(set(rejected), {"step", "at", "procuratorate", "reason_code", "reason"})
        self.assertEqual(rejected["procuratorate"],
                         {"code": "321112", "name": "镇江市丹徒区人民检察院"})
        self.assertEqual(rejected["reason_code"], "out_of_scope")
        self.assertEqual(rejected["reason"], "反映的问题不属于检察公益诉讼的案件范围。")
        self.assertNothingInternal(r, internal, "经济纠纷")


if __name__ == "__main__":
    unittest.main()
