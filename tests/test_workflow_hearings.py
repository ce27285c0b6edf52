"""Hearings (听证) and impact (成效) on a case, end to end: a clue submitted
to intake is routed, the chief opens a case on it, and on that case a
prosecutor schedules hearings with members from the procuratorate's pool
(three whole Beijing days' notice: exactly the limit is taken, a minute
sooner refused), a public hearing is announced publicly without personal
data, hearings are postponed, held with their outcome or cancelled, and
impact measures are recorded as exact decimals and summed.  Every refusal
writes nothing; HearingScheduled, HearingStageChanged and ImpactRecorded
are on the workflow's bus once each.

The workflow runs on a fixed clock (GY_CLOCK_START, 1 October 2026, 23:00
Beijing time) so the notice rule is tested on fixed dates; a test that
records an outcome restarts it later in the month and back.  One intake,
one router and one workflow on one database; real PostgreSQL, Redis and
ZeroMQ."""

import json
import os
import subprocess
import threading
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}
WORKFLOW = "workflow-h1"
CLOCK = "2026-10-01T23:00:00+08:00"
LATER = "2026-10-20T10:00:00+08:00"  # after every hearing scheduled here


def setUpModule():
    gytest.require_workflow_build()
    folder = gytest.run_dir("test_workflow_hearings")
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("workflow_hearings")
    S["db"] = gytest.Db(S["dbname"])
    intake = gytest.Intake(folder, "intake-h1", S["dbname"])
    router = gytest.Router(folder, "router-h1", S["dbname"], [intake],
                           env={"GY_DEADLINE_SCAN_MS": "0"})
    workflow = gytest.Workflow(folder, WORKFLOW, S["dbname"], [router],
                               token_public=S["token_public"], env={"GY_CLOCK_START": CLOCK})
    S.update(intake=intake, router=router, workflow=workflow)
    intake.start()
    router.env["GY_SOURCES"] = "%s|%s" % (intake.events, intake.replay)
    router.start()
    workflow.env["GY_SOURCES"] = "%s|%s" % (router.events, router.replay)
    workflow.start()
    if router.env["GY_SOURCES"] != "%s|%s" % (intake.events, intake.replay):
        router.stop()
        router.env["GY_SOURCES"] = "%s|%s" % (intake.events, intake.replay)
        router.start()
    S["bus"] = gytest.EventFollower(workflow.events, workflow.replay, WORKFLOW).start()


def tearDownModule():
    if "bus" in S:
        S["bus"].stop()
    for name in ("workflow", "router", "intake"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def token(role, proc, sub=None):
    """Issued on the workflow's clock (CLOCK, later LATER), not the suite's:
    valid for a year from CLOCK."""
    return gytest.issue_token(S["token_secret"], sub or "%s-%s-%s" % (role, proc,
                                                                       uuid.uuid4().hex[:6]),
                              role=role, proc=proc, clock=CLOCK, ttl=31622400)


def wf(method, path, body=None, bearer=None):
    h = {}
    if body is not None:
        h["Content-Type"] = "application/json"
    if bearer is not None:
        h["Authorization"] = "Bearer " + bearer
    return gytest.http_request(S["workflow"].http_port, method, "/api/v1/workflow" + path, body,
                               h)


def wait(predicate, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("%s within %.0f s; workflow log:\n%s" % (what, timeout,
                                                                   S["workflow"].log_tail()))


def open_case(region="140213"):
    """A case of its own (an ecology clue routed to region, opened by its
    chief); returns the case id."""
    tag = uuid.uuid4().hex
    clue = valid_clue(title="偷排污水 %s" % tag[:8],
                      description="工厂夜间偷排污水，河道发黑发臭，编号 %s。" % tag,
                      region_code=region, location={"address": "大同市"})
    r = S["intake"].post_clue(clue, idem=str(uuid.uuid4()))
    assert r.status == 201, r
    cid = r.json()["id"]
    wait(lambda: S["db"].scalar("SELECT count(*) FROM workflow.review WHERE clue_id = %s "
                                "AND state = 'under_review'", (cid,)),
         "no review of %s" % cid)
    r = wf("POST", "/reviews/%s/decide" % cid, {"decision": "open",
                                                "case_kind": "administrative"},
           bearer=token("chief_prosecutor", region))
    assert r.status == 201, r
    return r.json()["review"]["case_id"]


def pool_add(proc="140213", kind="expert", name=None, volunteer_id=None):
    body = {"name": name or "专家%s" % uuid.uuid4().hex[:4], "kind": kind}
    if volunteer_id:
        body["volunteer_id"] = volunteer_id
    r = wf("POST", "/hearing-pools/%s" % proc, body, bearer=token("chief_prosecutor", proc))
    assert r.status == 201, r
    return r.json()["id"]


def plan(members, starts_at="2026-10-08T09:30:00+08:00", **extra):
    body = {"starts_at": starts_at, "place": "平城区人民检察院听证室", "public": False,
            "topic": "河道污染整治听证", "members": members}
    body.update(extra)
    return body


def written():
    """What a refusal must leave as it was."""
    db = S["db"]
    return tuple(db.scalar("SELECT count(*) FROM workflow.%s" % t) for t in (
        "hearing", "hearing_member", "hearing_participant", "hearing_volunteer",
        "hearing_history", "hearing_pool", "impact")) + (
        db.scalar(gytest.WORKFLOW_EVENTS_WRITTEN),
        db.query("SELECT id, state, version, starts_at FROM workflow.hearing ORDER BY id"),)


def on_bus(type_, attr, key, value, count=1):
    """The workflow's events of type_ whose body's key is value, once the
    follower has count of them (it dedupes on sequence)."""
    bus = S["bus"]

    def found():
        return [getattr(e, attr) for e in bus.by_type(type_)
                if getattr(getattr(e, attr), key) == value]
    bus.wait_for(lambda b: len(found()) >= count)
    time.sleep(0.3)  # a double would have come by now
    return found()


def restart_workflow(clock):
    S["workflow"].stop()
    S["workflow"].env["GY_CLOCK_START"] = clock
    S["workflow"].start()


class ScheduleTest(gytest.IntakeTestCase):

    def test_three_whole_days_exactly_the_limit_and_not_a_minute_sooner(self):
        case_id = open_case()
        member = pool_add()
        p = token("prosecutor", "140213", "p-notice")
        # 1 October 23:00 Beijing: days 2, 3 and 4 are the notice, the
        # hearing may start on 5 October at 00:00 Beijing time.
        before = written()
        for too_soon in ("2026-10-04T23:59:00+08:00", "2026-10-04T15:59:00Z",
                         "2026-10-02T09:00:00+08:00"):
            with self.subTest(starts_at=too_soon):
                r = wf("POST", "/cases/%s/hearings" % case_id, plan([member], too_soon),
                       bearer=p)
                self.assertError(r, 422, "too_soon", "starts_at")
                self.assertIn("2026-10-05", r.json()["error"]["message"])
        self.assertEqual(written(), before)
        r = wf("POST", "/cases/%s/hearings" % case_id,
               plan([member], "2026-10-05T00:00:00+08:00",
                    participants=[{"name": "平城区水务局", "role": "organ",
                                   "contact": "0352-5550001"},
                                  {"name": "某化工厂", "role": "party"}]),
               bearer=p)
        self.assertEqual(r.status, 201, r)
        h = r.json()
        self.assertEqual((h["state"], h["version"], h["case_id"], h["procuratorate"],
                          h["field_code"], h["case_kind"], h["public"], h["announcement"]),
                         ("scheduled", 1, case_id, "140213", "ecology", "administrative", False,
                          None))
        self.assertEqual(gytest.parse_instant(h["starts_at"]),
                         gytest.parse_instant("2026-10-04T16:00:00Z"))
        self.assertEqual([m["id"] for m in h["members"]], [member])
        self.assertEqual([(x["name"], x["role"], x["contact"]) for x in h["participants"]],
                         [("平城区水务局", "organ", "0352-5550001"), ("某化工厂", "party", "")])
        self.assertEqual([(y["event"], y["to_state"], y["actor"]) for y in h["history"]],
                         [("schedule", "scheduled", "p-notice")])
        # The same limit written in UTC.
        r = wf("POST", "/cases/%s/hearings" % case_id, plan([member], "2026-10-04T16:00:00Z"),
               bearer=p)
        self.assertEqual(r.status, 201, r)

        events = on_bus("HearingScheduled", "hearing_scheduled", "hearing_id", h["id"])
        self.assertEqual(len(events), 1)
        e = events[0]
        self.assertEqual((e.case_id, e.procuratorate, e.field_code, e.kind, e.starts_unix_ms,
                          e.public_hearing, list(e.member_ids), e.scheduled_by),
                         (case_id, "140213", "ecology", "administrative",
                          gytest.parse_instant("2026-10-05T00:00:00+08:00"), False, [member],
                          "p-notice"))
        self.assertEqual(list(e.participant_ids), [x["id"] for x in h["participants"]])
        envelope = [b for b in S["bus"].by_type("HearingScheduled")
                    if b.hearing_scheduled.hearing_id == h["id"]][0]
        self.assertEqual(envelope.procuratorate, "140213")
        self.assertNotIn(b"0352-5550001", envelope.SerializeToString())  # ids only, no contact

        r = wf("GET", "/cases/%s/hearings" % case_id, bearer=p)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json()["items"]), 2)

    def test_members_come_from_the_pool_of_the_cases_procuratorate(self):
        case_id = open_case()
        p = token("prosecutor", "140213")
        mine = pool_add()
        elsewhere = pool_add("140214")
        gone = pool_add()
        r = wf("POST", "/hearing-pools/140213/%s/deactivate" % gone, {},
               bearer=token("chief_prosecutor", "140213"))
        self.assertEqual(r.status, 200, r)
        volunteer = "vol-%s" % uuid.uuid4().hex[:8]
        before = written()
        cases = [
            (plan([mine, str(uuid.uuid4())]), "unknown_member", "members[1]"),
            (plan([elsewhere]), "unknown_member", "members[0]"),
            (plan([gone]), "unknown_member", "members[0]"),
            (plan([mine], volunteers=[{"volunteer_id": volunteer, "as": "member"}]),
             "volunteer_not_in_pool", "volunteers[0].volunteer_id"),
        ]
        for body, code, field in cases:
            with self.subTest(code=code, field=field):
                r = wf("POST", "/cases/%s/hearings" % case_id, body, bearer=p)
                self.assertError(r, 422, code, field)
        for body, code, field in [
                (plan([]), "invalid_value", "members"),
                (plan([mine], stream_url="http://live.example.cn/1"), "invalid_value",
                 "stream_url"),
                (plan([mine], participants=[{"name": "甲", "role": "judge"}]), "invalid_value",
                 "participants[0].role")]:
            with self.subTest(code=code, field=field):
                self.assertError(wf("POST", "/cases/%s/hearings" % case_id, body, bearer=p), 400,
                                 code, field)
        self.assertEqual(written(), before)
        # In the pool as a volunteer, they sit as a member; an observer
        # needs no pool.
        pool_add(kind="volunteer", name="志愿者甲", volunteer_id=volunteer)
        observer = "vol-%s" % uuid.uuid4().hex[:8]
        r = wf("POST", "/cases/%s/hearings" % case_id,
               plan([mine], volunteers=[{"volunteer_id": volunteer, "as": "member"},
                                        {"volunteer_id": observer, "as": "observer"}]),
               bearer=p)
        self.assertEqual(r.status, 201, r)
        hid = r.json()["id"]
        self.assertEqual(sorted((v["volunteer_id"], v["as"]) for v in r.json()["volunteers"]),
                         sorted([(volunteer, "member"), (observer, "observer")]))
        # The volunteer's own tasks (workflow.volunteer_hearings, for
        # GET /api/v1/workflow/me/tasks).
        rows = S["db"].query("SELECT task, id::text, case_id::text, state, detail::text "
                             "FROM workflow.volunteer_hearings(%s)", (observer,))
        self.assertEqual([(t, i, c, s) for t, i, c, s, _ in rows],
                         [("hearing", hid, case_id, "scheduled")])
        detail = json.loads(rows[0][4])
        self.assertEqual((detail["as"], detail["topic"]), ("observer", "河道污染整治听证"))
        e = on_bus("HearingScheduled", "hearing_scheduled", "hearing_id", hid)[0]
        self.assertEqual(sorted(e.volunteer_ids), sorted([volunteer, observer]))
        # Named among the members by their pool id, a volunteer sits as a
        # member all the same: on the hearing, in the event, in their tasks.
        pooled = "vol-%s" % uuid.uuid4().hex[:8]
        pool_id = pool_add(kind="volunteer", name="志愿者乙", volunteer_id=pooled)
        r = wf("POST", "/cases/%s/hearings" % case_id, plan([mine, pool_id]), bearer=p)
        self.assertEqual(r.status, 201, r)
        self.assertEqual([(v["volunteer_id"], v["as"]) for v in r.json()["volunteers"]],
                         [(pooled, "member")])
        e = on_bus("HearingScheduled", "hearing_scheduled", "hearing_id", r.json()["id"])[0]
        self.assertEqual(list(e.volunteer_ids), [pooled])
        self.assertEqual(S["db"].query("SELECT id::text FROM workflow.volunteer_hearings(%s)",
                                       (pooled,)), [(r.json()["id"],)])

    def test_scope_and_roles_refusals_write_nothing(self):
        case_id = open_case()
        member = pool_add()
        r = wf("POST", "/cases/%s/hearings" % case_id, plan([member]),
               bearer=token("chief_prosecutor", "140213"))
        self.assertEqual(r.status, 201, r)
        hid = r.json()["id"]
        before = written()
        paths = [("POST", "/cases/%s/hearings" % case_id, plan([member])),
                 ("GET", "/cases/%s/hearings" % case_id, None),
                 ("GET", "/hearings/%s" % hid, None),
                 ("POST", "/hearings/%s/cancel" % hid, {"reason": "x"}),
                 ("POST", "/hearings/%s/postpone" % hid,
                  {"starts_at": "2026-10-12T09:00:00+08:00", "reason": "x"}),
                 ("POST", "/cases/%s/impact" % case_id,
                  {"measure": "farmland_restored", "value": "1"}),
                 ("GET", "/cases/%s/impact" % case_id, None)]
        for method, path, body in paths:
            with self.subTest(path=path):
                # a sibling county and another province: as if absent
                for proc in ("140212", "430104"):
                    r = wf(method, path, body, bearer=token("prosecutor", proc))
                    self.assertError(r, 404, "not_found")
                    self.assertNotIn(case_id, r.body.decode())
                for role in ("volunteer", "admin", "integrator"):
                    self.assertError(wf(method, path, body, bearer=token(role, "140213")), 403,
                                     "forbidden")
                self.assertError(wf(method, path, body), 401, "unauthenticated",
                                 "Authorization")
        self.assertEqual(written(), before)
        # The city and the province above see it and act on it.
        r = wf("GET", "/hearings/%s" % hid, bearer=token("prosecutor", "140200"))
        self.assertEqual(r.status, 200, r)
        r = wf("POST", "/cases/%s/hearings" % case_id, plan([member]),
               bearer=token("chief_prosecutor", "140000"))
        self.assertEqual(r.status, 201, r)
        r = wf("POST", "/cases/%s/impact" % case_id, {"measure": "people_protected",
                                                      "value": "30"},
               bearer=token("prosecutor", "140200"))
        self.assertEqual(r.status, 201, r)

    def test_a_closed_case_takes_no_hearing_and_no_impact(self):
        case_id = open_case()
        member = pool_add()
        # Closing is the case machine's (another part of the workflow);
        # here the row is put in the state it leaves.
        for state in ("closed", "terminated"):
            S["db"].query('UPDATE workflow."case" SET state = %s WHERE id = %s',
                            (state, case_id))
            before = written()
            p = token("prosecutor", "140213")
            self.assertError(wf("POST", "/cases/%s/hearings" % case_id, plan([member]), bearer=p),
                             409, "invalid_case", "case_id")
            self.assertError(wf("POST", "/cases/%s/impact" % case_id,
                                {"measure": "people_protected", "value": "3"}, bearer=p),
                             409, "invalid_case", "case_id")
            self.assertEqual(written(), before)


class PublicTest(gytest.IntakeTestCase):

    def test_a_public_hearing_is_announced_without_personal_data(self):
        case_id = open_case()
        member = pool_add(kind="people_supervisor", name="人民监督员王五")
        volunteer = "vol-%s" % uuid.uuid4().hex[:8]
        pool_add(kind="volunteer", name="志愿者赵六", volunteer_id=volunteer)
        p = token("prosecutor", "140213")
        r = wf("POST", "/cases/%s/hearings" % case_id,
               plan([member], "2026-10-09T14:00:00+08:00", public=True,
                    stream_url="https://live.example.cn/h/42",
                    participants=[{"name": "张三", "role": "party", "contact": "13800000000"}],
                    volunteers=[{"volunteer_id": volunteer, "as": "member"}]),
               bearer=p)
        self.assertEqual(r.status, 201, r)
        public_id = r.json()["id"]
        self.assertEqual(r.json()["announcement"],
                         "大同市平城区人民检察院定于2026年10月9日14:00（北京时间）在平城区人民"
                         "检察院听证室就“河道污染整治听证”举行公开听证。听证将通过"
                         "https://live.example.cn/h/42进行网络直播。欢迎社会各界关注。")
        r = wf("POST", "/cases/%s/hearings" % case_id, plan([member]), bearer=p)
        private_id = r.json()["id"]

        ids, items, after = [], [], None
        while True:  # no token: anyone may read it
            r = wf("GET", "/public/hearings?limit=2" + ("&after=" + after if after else ""))
            self.assertEqual(r.status, 200, r)
            items += r.json()["items"]
            after = r.json()["next"]
            if not after:
                break
        ids = [i["id"] for i in items]
        self.assertEqual(ids.count(public_id), 1)
        self.assertNotIn(private_id, ids)
        mine = [i for i in items if i["id"] == public_id][0]
        self.assertEqual(set(mine), {"id", "procuratorate", "field_code", "state", "starts_at",
                                     "place", "topic", "stream_url", "announcement"})
        text = json.dumps(items, ensure_ascii=False)
        for personal in ("张三", "13800000000", "王五", "赵六", volunteer, member):
            self.assertNotIn(personal, text)
        self.assertError(wf("GET", "/public/hearings?limit=0"), 400, "invalid_value", "limit")
        # One procuratorate and those below it.
        for proc, listed in (("140213", True), ("140200", True), ("140000", True),
                             ("140212", False), ("430104", False)):
            with self.subTest(procuratorate=proc):
                r = wf("GET", "/public/hearings?limit=100&procuratorate=" + proc)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(public_id in [i["id"] for i in r.json()["items"]], listed)
        for bad in ("999999", "1402", "abcdef"):
            self.assertError(wf("GET", "/public/hearings?procuratorate=" + bad), 400,
                             "invalid_value", "procuratorate")

        # Cancelled, it stays listed with a cancellation notice (no reason:
        # it may name people) until its time has passed.
        r = wf("POST", "/hearings/%s/cancel" % public_id, {"reason": "张三撤回申请"}, bearer=p)
        self.assertEqual(r.status, 200, r)
        r = wf("GET", "/public/hearings?limit=100")
        mine = [i for i in r.json()["items"] if i["id"] == public_id]
        self.assertEqual([(i["state"], i["announcement"]) for i in mine],
                         [("cancelled", "大同市平城区人民检察院原定于2026年10月9日14:00（北京时间）"
                                        "在平城区人民检察院听证室就“河道污染整治听证”举行的公开"
                                        "听证已取消。")])
        self.assertNotIn("张三", r.body.decode())


class StepsTest(gytest.IntakeTestCase):

    def test_postpone_hold_and_cancel(self):
        case_id = open_case()
        member = pool_add()
        p = token("prosecutor", "140213", "p-steps")
        r = wf("POST", "/cases/%s/hearings" % case_id,
               plan([member], "2026-10-06T09:00:00+08:00", public=True), bearer=p)
        self.assertEqual(r.status, 201, r)
        hid = r.json()["id"]
        other = wf("POST", "/cases/%s/hearings" % case_id, plan([member]), bearer=p).json()["id"]
        before = written()
        # a postponement gives the notice again
        r = wf("POST", "/hearings/%s/postpone" % hid,
               {"starts_at": "2026-10-04T23:59:00+08:00", "reason": "当事人申请"}, bearer=p)
        self.assertError(r, 422, "too_soon", "starts_at")
        r = wf("POST", "/hearings/%s/postpone" % hid,
               {"starts_at": "2026-10-12T09:00:00+08:00", "reason": "x", "expected_version": 7},
               bearer=p)
        self.assertError(r, 409, "conflict", "expected_version")
        # not held yet: no outcome
        r = wf("POST", "/hearings/%s/hold" % hid, {"outcome": "o", "summary": "s"}, bearer=p)
        self.assertError(r, 409, "not_started", "state")
        self.assertEqual(written(), before)

        r = wf("POST", "/hearings/%s/postpone" % hid,
               {"starts_at": "2026-10-12T09:00:00+08:00", "reason": "当事人申请延期",
                "expected_version": 1}, bearer=p)
        self.assertEqual(r.status, 200, r)
        h = r.json()
        self.assertEqual((h["state"], h["version"], h["reason"]),
                         ("postponed", 2, "当事人申请延期"))
        self.assertIn("2026年10月12日09:00", h["announcement"])
        e = on_bus("HearingStageChanged", "hearing_stage_changed", "hearing_id", hid)
        self.assertEqual([(x.event, x.from_state, x.to_state, x.starts_unix_ms, x.by, x.reason)
                          for x in e],
                         [("postpone", "scheduled", "postponed",
                           gytest.parse_instant("2026-10-12T09:00:00+08:00"), "p-steps",
                           "当事人申请延期")])
        self.assertEqual(list(e[0].member_ids), [member])

        r = wf("POST", "/hearings/%s/cancel" % other, {"reason": "行政机关已整改"}, bearer=p)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["state"], "cancelled")

        restart_workflow(LATER)
        try:
            r = wf("POST", "/hearings/%s/hold" % hid,
                   {"outcome": "同意检察机关意见", "summary": "听证员一致认为应当督促整改。",
                    "opinions": ["建议限期整改", "同意"]}, bearer=p)
            self.assertEqual(r.status, 200, r)
            h = r.json()
            self.assertEqual((h["state"], h["version"], h["outcome"], h["opinions"]),
                             ("held", 3, "同意检察机关意见", ["建议限期整改", "同意"]))
            self.assertEqual([y["event"] for y in h["history"]],
                             ["schedule", "postpone", "hold"])
            held = on_bus("HearingStageChanged", "hearing_stage_changed", "hearing_id", hid, 2)
            self.assertEqual([(x.event, x.outcome) for x in held],
                             [("postpone", ""), ("hold", "同意检察机关意见")])
            # held and cancelled are final; nothing written
            before = written()
            for path, body, state in [
                    ("/hearings/%s/cancel" % hid, {"reason": "x"}, "held"),
                    ("/hearings/%s/hold" % other, {"outcome": "o", "summary": "s"},
                     "cancelled")]:
                r = wf("POST", path, body, bearer=p)
                self.assertError(r, 409, "invalid_state", "state")
                self.assertIn("the hearing is %s" % state, r.json()["error"]["message"])
                self.assertIn("(allowed: none)", r.json()["error"]["message"])
            self.assertEqual(written(), before)
            # past hearings leave the public list
            r = wf("GET", "/public/hearings?limit=100")
            self.assertNotIn(hid, [i["id"] for i in r.json()["items"]])
        finally:
            restart_workflow(CLOCK)


    def test_concurrent_steps_one_wins(self):
        """Optimistic concurrency: eight postponements on one version at
        once, one wins, the others get 409 conflict and write nothing."""
        case_id = open_case()
        member = pool_add()
        p = token("prosecutor", "140213")
        hid = wf("POST", "/cases/%s/hearings" % case_id, plan([member]), bearer=p).json()["id"]
        results = [None] * 8

        def go(i):
            results[i] = wf("POST", "/hearings/%s/postpone" % hid,
                            {"starts_at": "2026-10-%02dT09:00:00+08:00" % (10 + i),
                             "reason": "r%d" % i, "expected_version": 1}, bearer=p)
        threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(sorted(r.status for r in results), [200] + [409] * 7, results)
        for r in results:
            if r.status == 409:
                self.assertEqual(r.json()["error"]["code"], "conflict")
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM workflow.hearing_history "
                                        "WHERE hearing_id = %s AND event = 'postpone'", (hid,)), 1)
        self.assertEqual(len(on_bus("HearingStageChanged", "hearing_stage_changed", "hearing_id",
                                    hid)), 1)


    def test_a_syntax_error_quoted_inside_a_character_is_answered(self):
        """jansson quotes the body near a syntax error cut at a byte count,
        here inside 治: the answer keeps its detail (text that is not UTF-8
        would cost the client the message, replaced by the code)."""
        case_id = open_case()
        body = '{"reason": "河道污染整\\治听证"}'.encode("utf-8")  # a bad escape before 治
        for path in ("/hearings/%s/cancel" % uuid.uuid4(), "/cases/%s/impact" % case_id,
                     "/cases/%s/hearings" % case_id, "/reviews/%s/decide" % uuid.uuid4()):
            with self.subTest(path=path):
                r = wf("POST", path, body, bearer=token("prosecutor", "140213"))
                self.assertError(r, 400, "malformed_json")
                self.assertIn("the body is not valid JSON: invalid escape near",
                              r.json()["error"]["message"])
        S["workflow"].assert_healthy_process()


class PoolTest(gytest.IntakeTestCase):

    def test_the_chief_or_an_admin_manages_the_pool(self):
        chief = token("chief_prosecutor", "140213")
        r = wf("POST", "/hearing-pools/140213", {"name": "人民监督员李四",
                                                 "kind": "people_supervisor"}, bearer=chief)
        self.assertEqual(r.status, 201, r)
        first = r.json()
        self.assertEqual((first["kind"], first["name"], first["active"]),
                         ("people_supervisor", "人民监督员李四", True))
        r = wf("POST", "/hearing-pools/140213", {"name": "专家", "kind": "expert"},
               bearer=token("admin", "140213"))
        self.assertEqual(r.status, 201, r)
        volunteer = "vol-%s" % uuid.uuid4().hex[:8]
        r = wf("POST", "/hearing-pools/140213", {"name": "志愿者", "kind": "volunteer",
                                                 "volunteer_id": volunteer}, bearer=chief)
        self.assertEqual(r.status, 201, r)
        before = written()
        r = wf("POST", "/hearing-pools/140213", {"name": "again", "kind": "volunteer",
                                                 "volunteer_id": volunteer}, bearer=chief)
        self.assertError(r, 409, "already_in_pool")
        self.assertError(wf("POST", "/hearing-pools/140213", {"name": "x", "kind": "expert"},
                            bearer=token("prosecutor", "140213")), 403, "forbidden")
        self.assertError(wf("POST", "/hearing-pools/140213", {"name": "x", "kind": "expert"},
                            bearer=token("chief_prosecutor", "140212")), 404, "not_found")
        self.assertError(wf("POST", "/hearing-pools/140213", {"name": "x", "kind": "judge"},
                            bearer=chief), 400, "invalid_value", "kind")
        self.assertError(wf("POST", "/hearing-pools/140213/%s/deactivate" % uuid.uuid4(), {},
                            bearer=chief), 404, "not_found")
        self.assertEqual(written(), before)
        r = wf("POST", "/hearing-pools/140213/%s/deactivate" % first["id"], {}, bearer=chief)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["active"], False)
        r = wf("GET", "/hearing-pools/140213", bearer=token("prosecutor", "140213"))
        self.assertEqual(r.status, 200, r)
        listed = {i["id"]: i["active"] for i in r.json()["items"]}
        self.assertEqual(listed[first["id"]], False)
        self.assertError(wf("GET", "/hearing-pools/140213", bearer=token("volunteer", "140213")),
                         403, "forbidden")
        self.assertError(wf("GET", "/hearing-pools/430104",
                            bearer=token("prosecutor", "140213")), 404, "not_found")


class ImpactTest(gytest.IntakeTestCase):

    def test_entries_and_sums_exactly(self):
        case_id = open_case()
        p = token("prosecutor", "140213", "p-impact")
        ids = []
        for measure, value, extra in [
                ("farmland_restored", "12.50", {"note": "复垦验收"}),
                ("farmland_restored", "0.25", {"recorded_at": "2026-09-30T10:00:00+08:00"}),
                ("state_property_recovered", "0.1", {}),
                ("state_property_recovered", "0.2", {"on_closing": True}),
                ("illegal_buildings_removed", "350", {})]:
            body = dict(measure=measure, value=value, **extra)
            r = wf("POST", "/cases/%s/impact" % case_id, body, bearer=p)
            self.assertEqual(r.status, 201, r)
            ids.append(r.json()["id"])
        self.assertEqual((r.json()["value"], r.json()["unit"], r.json()["recorded_by"]),
                         ("350", "m2", "p-impact"))
        r = wf("GET", "/cases/%s/impact" % case_id, bearer=p)
        self.assertEqual(r.status, 200, r)
        got = r.json()
        self.assertEqual(sorted(i["id"] for i in got["items"]), sorted(ids))
        self.assertEqual([i["value"] for i in got["items"]][0], "0.25")  # oldest first
        self.assertEqual({s["measure"]: (s["total"], s["unit"], s["entries"])
                          for s in got["sums"]},
                         {"farmland_restored": ("12.75", "mu", 2),
                          "state_property_recovered": ("0.3", "yuan", 2),
                          "illegal_buildings_removed": ("350", "m2", 1)})
        events = on_bus("ImpactRecorded", "impact_recorded", "case_id", case_id, 5)
        self.assertEqual(len(events), 5)
        first = [e for e in events if e.impact_id == ids[0]]
        self.assertEqual(len(first), 1)
        self.assertEqual((first[0].measure, first[0].value, first[0].unit, first[0].procuratorate,
                          first[0].field_code, first[0].kind, first[0].recorded_by),
                         ("farmland_restored", "12.5", "mu", "140213", "ecology",
                          "administrative", "p-impact"))
        self.assertEqual([e.on_closing for e in events if e.impact_id == ids[3]], [True])

        before = written()
        for body, status, code, field in [
                ({"measure": "happiness", "value": "1"}, 400, "invalid_value", "measure"),
                ({"measure": "farmland_restored", "value": "-1"}, 400, "invalid_value", "value"),
                ({"measure": "farmland_restored", "value": "1.005"}, 400, "invalid_value",
                 "value"),
                ({"measure": "fire_lanes_opened", "value": "2.5"}, 400, "invalid_value",
                 "value"),
                ({"measure": "farmland_restored", "value": 1.5}, 400, "invalid_type", "value"),
                ({"measure": "farmland_restored", "value": "1",
                  "recorded_at": "2026-10-02T09:00:00+08:00"}, 400, "invalid_value",
                 "recorded_at"),
                ({"measure": "blind_lanes_restored", "value": "3"}, 422,
                 "measure_not_for_field", "measure")]:
            with self.subTest(body=body):
                r = wf("POST", "/cases/%s/impact" % case_id, body, bearer=p)
                self.assertError(r, status, code, field)
        self.assertEqual(written(), before)
        r = wf("GET", "/impact-measures", bearer=p)
        self.assertEqual(r.status, 200, r)
        self.assertIn("blind_lanes_restored", [m["code"] for m in r.json()["measures"]])
        # Reference data: any signed-in role reads it, nobody without a token.
        for role in ("admin", "volunteer", "integrator"):
            r = wf("GET", "/impact-measures", bearer=token(role, "140213"))
            self.assertEqual(r.status, 200, (role, r))
        self.assertEqual(wf("GET", "/impact-measures").status, 401)


class MeasuresFileTest(gytest.IntakeTestCase):

    def test_a_wrong_measures_file_stops_the_workflow_at_start(self):
        folder = gytest.run_dir("test_workflow_hearings_measures")
        bad = os.path.join(folder, "impact_measures.csv")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("code,name_zh,unit,value_kind,scale,fields,sums\n"
                    "farmland_restored,恢复耕地,hectare,decimal,2,*,yes\n")
        env = dict(S["workflow"].env, GY_IMPACT_MEASURES=bad)
        p = subprocess.run([gytest.WORKFLOW_BIN], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("%s:2: column 3 (unit)" % bad, p.stdout.decode("utf-8", "replace"))


if __name__ == "__main__":
    unittest.main()
