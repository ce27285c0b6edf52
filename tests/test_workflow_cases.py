"""Cases under the law's time limits, end to end over HTTP: a case opened by
the review's 立案 moves step by step through its machine (administrative,
civil, heroes and martyrs), each step starting and settling deadlines whose
due dates are checked on fixed dates through the workflow's clock
(GY_CLOCK_START): 7 days moved by the National Day week, the organ's reply
in 2 months or 15 days when harm is ongoing, 30 days of announcement ending
on a 调休 Sunday (a working day, not moved), 15 and 10 days of appeal ending
on a 调休 Saturday, 3 and 6 months; a provisional date in 2027 (the
calendar covers 2026 only) recomputed when 2027 is loaded into the
workflow's calendar tables, without a restart; a suspension pausing and then moving a due
date; an extension by the chief within the rule's tier, refused to a
prosecutor and beyond the tier, approved by the city above; DeadlineDue and
DeadlineMissed fired once each when the workflow's clock passes them; the
queues; a case terminated while suspended and a closed one reopened; every
refusal writes nothing; scope and roles per endpoint; the reporter's
timeline shows the case's public steps.

One intake, one router and one workflow on one database; real PostgreSQL,
Redis and ZeroMQ.  The workflow is restarted on the clock each test needs."""

import threading
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}


def setUpModule():
    gytest.require_workflow_build()
    folder = gytest.run_dir("test_workflow_cases")
    S["folder"] = folder
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("wfcases")
    S["db"] = gytest.Db(S["dbname"])
    intake = gytest.Intake(folder, "intake-c1", S["dbname"],
                           env={"GY_TOKEN_PUBLIC_KEY_FILE": S["token_public"]})
    router = gytest.Router(folder, "router-c1", S["dbname"], [intake], env=gytest.router_api_env(
        folder, S["token_secret"], S["token_public"], GY_DEADLINE_SCAN_MS="0"))
    workflow = gytest.Workflow(folder, "workflow-c1", S["dbname"], [router],
                               token_public=S["token_public"],
                               env={"GY_WORKFLOW_DEADLINE_SCAN_MS": "200",
                                    "GY_CLOCK_START": "2026-09-28T10:00:00+08:00"})
    S.update(intake=intake, router=router, workflow=workflow)
    intake.env["GY_ROUTER_SOURCES"] = "%s|%s" % (router.events, router.replay)
    intake.env["GY_WORKFLOW_SOURCES"] = "%s|%s" % (workflow.events, workflow.replay)
    intake.start()
    router.env["GY_SOURCES"] = "%s|%s" % (intake.events, intake.replay)
    router.start()
    workflow.env["GY_SOURCES"] = "%s|%s" % (router.events, router.replay)
    workflow.start()
    if (intake.env["GY_ROUTER_SOURCES"] != "%s|%s" % (router.events, router.replay) or
            intake.env["GY_WORKFLOW_SOURCES"] != "%s|%s" % (workflow.events, workflow.replay)):
        intake.stop()
        intake.env["GY_ROUTER_SOURCES"] = "%s|%s" % (router.events, router.replay)
        intake.env["GY_WORKFLOW_SOURCES"] = "%s|%s" % (workflow.events, workflow.replay)
        intake.start()
    if router.env["GY_SOURCES"] != "%s|%s" % (intake.events, intake.replay):
        router.stop()
        router.env["GY_SOURCES"] = "%s|%s" % (intake.events, intake.replay)
        router.start()


def tearDownModule():
    for name in ("workflow", "router", "intake"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def clock(instant):
    """Restarts the workflow with its clock at instant (Beijing time)."""
    w = S["workflow"]
    if w.env.get("GY_CLOCK_START") == instant and w.running():
        return
    w.stop()
    w.env["GY_CLOCK_START"] = instant
    w.start()
    # /healthz is up before the API's own connection: wait for that too.
    wait(lambda: wf("GET", "/cases?limit=1", bearer=chief()).status == 200,
         "the workflow's API not up")


TOKENS = {}


def token(role, proc="140213", sub=None):
    """A token issued on the workflow's clock (its dates are fixed, not
    today's), cached per clock."""
    sub = sub or "%s-%s-%s" % (role, proc, uuid.uuid4().hex[:6])
    at = S["workflow"].env["GY_CLOCK_START"]
    key = (role, proc, sub, at)
    if key not in TOKENS:
        TOKENS[key] = gytest.issue_token(S["token_secret"], sub, role=role, proc=proc, clock=at)
    return TOKENS[key]


def chief():
    return token("chief_prosecutor", sub="chief-140213")


def prosecutor():
    return token("prosecutor", sub="prosecutor-140213")


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


def open_case(kind="administrative", harm=False, field="ecology", text=None):
    """A clue submitted, routed and opened as a case by the chief; returns
    (case id, receipt code)."""
    tag = uuid.uuid4().hex
    text = text or "工厂夜间偷排污水，河道发黑发臭，编号 %s。" % tag
    clue = valid_clue(title="线索 %s" % tag[:8], description=text, field_code=field,
                      region_code="140213", location={"address": "大同市"})
    r = S["intake"].post_clue(clue, idem=str(uuid.uuid4()))
    assert r.status == 201, r
    cid, receipt = r.json()["id"], r.json()["receipt_code"]
    wait(lambda: S["db"].scalar("SELECT state FROM workflow.review WHERE clue_id = %s",
                                (cid,)) == "under_review", "no review of %s" % cid)
    body = {"decision": "open", "case_kind": kind, "reason": "立案审查"}
    if harm:
        body["harm_ongoing"] = True
    r = wf("POST", "/reviews/%s/decide" % cid, body, bearer=chief())
    assert r.status == 201, r
    return r.json()["review"]["case_id"], receipt


def instant(text):
    return None if text is None else gytest.parse_instant(text)


def check_answer(answer, case):
    """A step's answer against the case read after it: the same state,
    version and buttons, the step as the timeline's last, and each
    deadline change as the deadline now stored."""
    for key in ("id", "kind", "procuratorate", "state", "version", "heroes",
                "allowed_events", "allowed_actions"):
        assert answer[key] == case[key], (key, answer[key], case[key])
    last = dict(case["steps"][-1])
    took = dict(answer["step"])
    assert instant(took.pop("at")) == instant(last.pop("at")), (answer["step"], case["steps"][-1])
    assert took == last, (took, last)
    stored = {d["id"]: d for d in case["deadlines"]}
    for c in answer["deadline_changes"]:
        d = stored[c["id"]]
        for key in ("rule", "rule_version", "name_zh", "basis", "verified"):
            assert c[key] == d[key], (key, c, d)
        if c["change"] == "settled":
            assert d["settled_at"] is not None and c["settled_by_event"] == d["settled_by_event"], (c, d)
            continue
        assert d["settled_at"] is None, (c, d)
        for key in ("paused", "last_day", "provisional", "uncovered_year"):
            assert c[key] == d[key], (key, c, d)
        for key in ("due_at", "warn_at"):
            assert instant(c[key]) == instant(d[key]), (key, c, d)


def step(case_id, event, bearer=None, expect=200, **members):
    """Takes a step; on success checks its answer against the case read
    back, and returns that case (with its timeline)."""
    body = dict(event=event, reason=members.pop("reason", "依法办理：%s" % event), **members)
    r = wf("POST", "/cases/%s/steps" % case_id, body, bearer=bearer or chief())
    assert r.status == expect, (event, r, r.json() if r.body else None)
    if expect != 200:
        return r.json()
    got = wf("GET", "/cases/%s" % case_id, bearer=bearer or chief())
    assert got.status == 200, got
    check_answer(r.json(), got.json())
    return got.json()


def deadlines(case, rule=None, open_only=False):
    out = [d for d in case["deadlines"]
           if (rule is None or d["rule"] == rule) and (not open_only or d["settled_at"] is None)]
    return out


def one(case, rule):
    ds = deadlines(case, rule)
    assert len(ds) == 1, (rule, case["deadlines"])
    return ds[0]


def events(type_, **match):
    return gytest.workflow_events(S["db"], type_, **match)


def timeline(receipt):
    r = gytest.http_request(S["intake"].http_port, "GET", "/api/v1/clues/%s" % receipt)
    assert r.status == 200, r
    return r.json()


CASE_STEPS = ("case_opened", "suggestion_issued", "announced", "rectified", "suit_filed",
              "suit_supported", "case_closed", "case_terminated", "case_reopened")


def case_steps(receipt):
    """The case's public steps on the reporter's timeline, once it shows
    case_closed.  (The workflow runs on fixed dates, intake and the router
    on the suite's clock: the case's steps are compared among themselves.)"""
    def closed():
        steps = [x for x in timeline(receipt)["timeline"] if x["step"] in CASE_STEPS]
        return steps if steps and steps[-1]["step"] == "case_closed" else None
    return wait(closed, "no case_closed step on the timeline of %s" % receipt)


def written(case_id):
    """What a refusal must leave as it was."""
    db = S["db"]
    return (db.query('SELECT state, version, updated_at FROM workflow."case" WHERE id = %s',
                     (case_id,)),
            db.scalar("SELECT count(*) FROM workflow.case_step WHERE case_id = %s", (case_id,)),
            db.query("SELECT id, due_at, warn_at, settled_at, detail::text FROM workflow.deadline"
                     " WHERE case_id = %s ORDER BY id", (case_id,)),
            db.scalar("SELECT count(*) FROM workflow.case_suspension WHERE case_id = %s",
                      (case_id,)),
            db.scalar(gytest.WORKFLOW_EVENTS_WRITTEN))


class AdministrativeTest(gytest.IntakeTestCase):

    def test_an_administrative_case_from_opening_to_closed(self):
        clock("2026-09-28T10:00:00+08:00")
        case_id, receipt = open_case(harm=True)
        case = wf("GET", "/cases/%s" % case_id, bearer=chief()).json()
        self.assertEqual(case["state"], "opened")
        self.assertEqual([(s["event"], s["to_state"], s["public_label"]) for s in case["steps"]],
                         [("open", "opened", "已立案")])
        # 7 days from Monday 28 September end on 5 October, in the National
        # Day week: moved to Thursday 8 October.
        so = one(case, "serve_opening")
        self.assertEqual((so["last_day"], so["start_event"], so["urgent"], so["provisional"]),
                         ("2026-10-08", "open", False, False))
        self.assertIn("rest_day", [r["reason"] for r in so["reasons"]])
        self.assertEqual((so["name_zh"], so["verified"]), ("送达立案决定书", False))
        self.assertEqual(one(case, "investigation")["last_day"], "2026-12-28")
        self.assertIn("serve_opening_decision", case["allowed_events"])
        self.assertNotIn("issue_suggestion", case["allowed_events"])

        case = step(case_id, "serve_opening_decision", expected_version=case["version"])
        self.assertEqual(case["state"], "investigating")
        self.assertEqual(one(case, "serve_opening")["settled_by_event"],
                         "serve_opening_decision")
        case = step(case_id, "issue_suggestion")
        self.assertEqual(case["state"], "suggestion_issued")
        self.assertEqual(one(case, "investigation")["settled_by_event"], "issue_suggestion")
        self.assertEqual(one(case, "file_upward_suggestion")["last_day"], "2026-10-08")
        # Harm ongoing: the organ has 15 days, to Tuesday 13 October.
        case = step(case_id, "serve_suggestion", harm_ongoing=True)
        reply = one(case, "organ_reply")
        self.assertEqual((reply["urgent"], reply["last_day"], reply["verified"]),
                         (True, "2026-10-13", True))
        case = step(case_id, "file_suggestion_upward", bearer=prosecutor())
        self.assertIsNotNone(one(case, "file_upward_suggestion")["settled_at"])
        self.assertEqual(case["state"], "awaiting_reply")
        case = step(case_id, "record_reply", bearer=prosecutor())
        self.assertEqual(one(case, "organ_reply")["settled_by_event"], "record_reply")
        case = step(case_id, "confirm_rectified", bearer=prosecutor())
        self.assertEqual(case["state"], "rectified")
        r = wf("POST", "/cases/%s/steps" % case_id, {"event": "close", "reason": "已整改"},
               bearer=chief())
        self.assertError(r, 400, "missing_field", "public_outcome")
        case = step(case_id, "close", outcome="行政机关已全面整改", public_outcome="已督促整改到位")
        self.assertEqual((case["state"], case["public_outcome"]), ("closed", "已督促整改到位"))
        self.assertEqual(deadlines(case, open_only=True), [one(case, "serve_closing")])
        self.assertEqual(one(case, "serve_closing")["last_day"], "2026-10-08")
        self.assertEqual(case["allowed_actions"], ["serve_closing_decision"])
        case = step(case_id, "serve_closing_decision", bearer=prosecutor())
        self.assertEqual(deadlines(case, open_only=True), [])
        self.assertEqual(case["allowed_actions"], [])
        # The history: who, when, why, each step.
        self.assertEqual([s["event"] for s in case["steps"]],
                         ["open", "serve_opening_decision", "issue_suggestion", "serve_suggestion",
                          "file_suggestion_upward", "record_reply", "confirm_rectified", "close",
                          "serve_closing_decision"])
        self.assertEqual(case["steps"][3]["members"], {"harm_ongoing": True})
        self.assertEqual(case["steps"][3]["actor"], "chief-140213")
        self.assertTrue(all(s["reason"] for s in case["steps"][1:]))
        # Events: one CaseStageChanged per step (an action's marked so and
        # leaves the state), one CaseClosed.
        changed = events("CaseStageChanged", case_id=case_id)
        self.assertEqual([(e.event, e.from_state, e.to_state, e.public_label, e.action)
                          for e in changed],
                         [("serve_opening_decision", "opened", "investigating", "", False),
                          ("issue_suggestion", "investigating", "suggestion_issued",
                           "已发出检察建议", False),
                          ("serve_suggestion", "suggestion_issued", "awaiting_reply", "", False),
                          ("file_suggestion_upward", "awaiting_reply", "awaiting_reply", "",
                           True),
                          ("record_reply", "awaiting_reply", "following_up", "", False),
                          ("confirm_rectified", "following_up", "rectified", "已整改", False),
                          ("close", "rectified", "closed", "已结案", False),
                          ("serve_closing_decision", "closed", "closed", "", True)])
        self.assertEqual([e.version for e in changed], list(range(2, 10)))
        self.assertEqual([e.by for e in changed if e.action], ["prosecutor-140213"] * 2)
        self.assertEqual({(e.procuratorate, e.field_code, e.kind) for e in changed},
                         {("140213", "ecology", "administrative")})
        closed = events("CaseClosed", case_id=case_id)
        self.assertEqual([(c.final_state, c.public_outcome, c.outcome) for c in closed],
                         [("closed", "已督促整改到位", "行政机关已全面整改")])
        # The reporter follows the public steps by the receipt code: the
        # outcome written for them, nothing internal (no reason, no
        # deadline, no person).
        steps = case_steps(receipt)
        self.assertEqual([(x["step"], x.get("label"), x.get("reason")) for x in steps],
                         [("case_opened", None, None),
                          ("suggestion_issued", "已发出检察建议", None),
                          ("rectified", "已整改", None),
                          ("case_closed", "已结案", "已督促整改到位")])
        self.assertNotIn("行政机关已全面整改", str(timeline(receipt)))
        self.assertEqual(steps[-1]["procuratorate"]["code"], "140213")

    def test_the_organ_has_two_months_when_harm_is_not_ongoing(self):
        clock("2026-09-28T10:00:00+08:00")
        case_id, _ = open_case()
        for e in ("serve_opening_decision", "issue_suggestion"):
            step(case_id, e)
        case = step(case_id, "serve_suggestion")
        reply = one(case, "organ_reply")
        # 28 November is a Saturday: the period ends on Monday 30 November.
        self.assertEqual((reply["urgent"], reply["last_day"]), (False, "2026-11-30"))

    def test_extension_by_the_chief_within_the_tier_and_the_upper_approval(self):
        clock("2026-09-28T10:00:00+08:00")
        case_id, _ = open_case()
        for e in ("serve_opening_decision", "issue_suggestion", "serve_suggestion",
                  "reply_period_expired", "enter_review_for_suit"):
            case = step(case_id, e)
        self.assertEqual(case["state"], "review_for_suit")
        self.assertEqual(one(case, "review_for_suit")["last_day"], "2026-10-28")
        self.assertIn("extend_period", case["allowed_actions"])
        ext = {"rule": "review_for_suit", "count": 1, "unit": "months"}
        before = written(case_id)
        # The role is checked before the version: a prosecutor learns the
        # extension is not theirs, not that the case moved.
        r = wf("POST", "/cases/%s/steps" % case_id,
               dict(event="extend_period", reason="案情复杂", expected_version=999, **ext),
               bearer=prosecutor())
        self.assertError(r, 403, "forbidden", "event")
        r = wf("POST", "/cases/%s/steps" % case_id,
               {"event": "extend_period", "reason": "案情复杂", "rule": "review_for_suit",
                "count": 2, "unit": "months"}, bearer=chief())
        self.assertError(r, 422, "extension_too_long", "count")
        self.assertEqual(written(case_id), before)
        case = step(case_id, "extend_period", **ext)
        d = one(case, "review_for_suit")
        # 28 November, a Saturday: Monday 30 November.
        self.assertEqual(d["last_day"], "2026-11-30")
        self.assertEqual([(e["by"], e["authority"], e["count"], e["unit"]) for e in d["extensions"]],
                         [("chief-140213", "chief_prosecutor", 1, "months")])
        self.assertEqual(case["state"], "review_for_suit")
        self.assertTrue(case["steps"][-1]["action"])
        # The chief's tier is used up: more only with the city's approval.
        before = written(case_id)
        r = wf("POST", "/cases/%s/steps" % case_id, dict(event="extend_period", reason="再延", **ext),
               bearer=chief())
        self.assertEqual(r.status, 422, r)
        self.assertEqual(written(case_id), before)
        case = step(case_id, "extend_period", bearer=token("chief_prosecutor", "140200"), **ext)
        d = one(case, "review_for_suit")
        # Each extension runs from the end before it (28 November, not the
        # shifted 30th): 28 December.
        self.assertEqual(d["last_day"], "2026-12-28")
        self.assertEqual([e["authority"] for e in d["extensions"]],
                         ["chief_prosecutor", "upper_procuratorate"])
        r = wf("POST", "/cases/%s/steps" % case_id,
               dict(event="extend_period", reason="三延", **ext),
               bearer=token("chief_prosecutor", "140200"))
        self.assertEqual(r.status, 422, r)
        # An extension of a rule the case has no open deadline of.
        r = wf("POST", "/cases/%s/steps" % case_id,
               {"event": "extend_period", "reason": "x", "rule": "organ_reply", "count": 1,
                "unit": "months"}, bearer=chief())
        self.assertError(r, 409, "invalid_state", "rule")

    def test_suspension_pauses_and_then_moves_the_due_date(self):
        clock("2026-09-28T10:00:00+08:00")
        case_id, _ = open_case()
        step(case_id, "serve_opening_decision")
        r = wf("POST", "/cases/%s/steps" % case_id, {"event": "suspend", "reason": "鉴定"},
               bearer=chief())
        self.assertError(r, 400, "missing_field", "suspension_reason")
        case = step(case_id, "suspend", suspension_reason="appraisal", bearer=prosecutor())
        self.assertEqual(case["state"], "investigating_suspended")
        inv = one(case, "investigation")
        self.assertEqual((inv["paused"], inv["due_at"], inv["last_day"]), (True, None, None))
        self.assertEqual([(s["reason"], s["to_at"]) for s in case["suspensions"]],
                         [("appraisal", None)])
        # The prosecutor may resume; terminating is the chief's.
        self.assertEqual(case["allowed_events"], ["resume"])
        # Resumed on 8 October: the suspension ran 28 September to 7
        # October, of which 29 September on (9 days) lay in the period
        # (a period in months counts from the day after the opening);
        # 28 December + 9 days = 6 January 2027, a year the calendar does
        # not cover: provisional.
        clock("2026-10-08T10:00:00+08:00")
        case = step(case_id, "resume", bearer=prosecutor())
        self.assertEqual(case["state"], "investigating")
        inv = one(case, "investigation")
        self.assertEqual((inv["paused"], inv["last_day"], inv["provisional"],
                          inv["uncovered_year"]), (False, "2027-01-06", True, 2027))
        self.assertIn("suspended", [r["reason"] for r in inv["reasons"]])
        self.assertIsNotNone(case["suspensions"][0]["to_at"])


def health():
    r = gytest.http_request(S["workflow"].http_port, "GET", "/healthz")
    assert r.status == 200, r
    return r.json()


class EndingTest(gytest.IntakeTestCase):

    def test_terminated_while_suspended_and_a_closed_case_reopened(self):
        clock("2026-09-28T10:00:00+08:00")
        case_id, receipt = open_case()
        step(case_id, "serve_opening_decision")
        step(case_id, "suspend", suspension_reason="audit")
        case = step(case_id, "terminate", outcome="行政机关已被撤销", public_outcome="终止审查")
        # Every open deadline settled by the termination, the suspension
        # closed with it, serve_closing started; CaseClosed once.
        self.assertEqual(case["state"], "terminated")
        self.assertEqual(one(case, "investigation")["settled_by_event"], "terminate")
        self.assertIsNotNone(case["suspensions"][0]["to_at"])
        self.assertEqual([d["rule"] for d in deadlines(case, open_only=True)], ["serve_closing"])
        self.assertEqual([(c.final_state, c.public_outcome)
                          for c in events("CaseClosed", case_id=case_id)],
                         [("terminated", "终止审查")])
        steps = wait(lambda: (lambda xs: xs if xs and xs[-1]["step"] == "case_terminated"
                              else None)([x for x in timeline(receipt)["timeline"]
                                          if x["step"] in CASE_STEPS]),
                     "no case_terminated step on the timeline")
        self.assertEqual((steps[-1]["label"], steps[-1]["reason"]), ("已终止办理", "终止审查"))
        # Terminated is final: nothing more, not even reopening.
        r = wf("POST", "/cases/%s/steps" % case_id, {"event": "reopen", "reason": "x"},
               bearer=chief())
        self.assertError(r, 409, "invalid_state", "state")
        self.assertIn("(allowed: none)", r.json()["error"]["message"])
        # A closed administrative case is reopened by the chief when the
        # organ relapses: the closing's service is moot, the opening's rules
        # start again, the reporter sees 已重新立案.
        other, other_receipt = open_case()
        step(other, "serve_opening_decision")
        step(other, "confirm_rectified")
        step(other, "close", public_outcome="已整改")
        r = wf("POST", "/cases/%s/steps" % other, {"event": "reopen", "reason": "x"},
               bearer=prosecutor())
        self.assertError(r, 403, "forbidden", "event")
        case = step(other, "reopen", reason="整改后反弹")
        self.assertEqual((case["state"], case["closed_at"]), ("opened", None))
        self.assertEqual(one(case, "serve_closing")["settled_by_event"], "reopen")
        self.assertEqual(sorted(d["rule"] for d in deadlines(case, open_only=True)),
                         ["investigation", "serve_opening"])
        wait(lambda: [x for x in timeline(other_receipt)["timeline"]
                      if x["step"] == "case_reopened"], "no case_reopened step")


class CalendarTest(gytest.IntakeTestCase):

    def tearDown(self):
        # 2027 leaves the tables again: the other tests judge 2027 dates as
        # provisional.
        gytest.unload_calendar_2027(S["db"], "workflow")
        wait(lambda: health()["calendar"]["covered_until"] == "2026-12-31",
             "the calendar without 2027 not read again")

    def test_a_provisional_date_is_recomputed_when_the_next_year_is_loaded(self):
        clock("2026-10-15T10:00:00+08:00")
        h = health()["calendar"]
        self.assertEqual(h["covered_until"], "2026-12-31")
        self.assertIn("does not cover the next 12 months", h["warning"])
        case_id, _ = open_case()
        # 3 months from 15 October: Friday 15 January 2027, in a year the
        # calendar does not cover.
        inv = one(wf("GET", "/cases/%s" % case_id, bearer=chief()).json(), "investigation")
        self.assertEqual((inv["last_day"], inv["provisional"], inv["uncovered_year"]),
                         ("2027-01-15", True, 2027))
        # 2027's arrangement is loaded into the workflow's tables, without a
        # restart (a test arrangement: 15 January a holiday).
        S["db"].query("INSERT INTO workflow.calendar_year (year, source) VALUES (2027, '测试')")
        S["db"].query("INSERT INTO workflow.holiday (day, kind, name) "
                        "VALUES ('2027-01-15', 'holiday', '测试假日')")
        inv = wait(lambda: (lambda d: d if not d["provisional"] else None)(
            one(wf("GET", "/cases/%s" % case_id, bearer=chief()).json(), "investigation")),
            "the provisional deadline not recomputed")
        # Moved to Monday 18 January, with the reason.
        self.assertEqual((inv["last_day"], inv["uncovered_year"]), ("2027-01-18", None))
        reload = [r for r in inv["reasons"] if r["reason"] == "calendar_reload"]
        self.assertEqual([(r["from"], r["to"]) for r in reload], [("2027-01-15", "2027-01-18")])
        self.assertEqual(health()["calendar"]["covered_until"], "2027-12-31")
        self.assertNotIn("warning", health()["calendar"])

    def test_the_next_year_loaded_through_the_api(self):
        """The same through PUT /api/v1/workflow/calendar/years/2027
        (common/gy_calendar_api; the console's 节假日日历 sends it):
        refusals write nothing, a city's administrator loads the year, the
        provisional deadline is recomputed with its calendar_reload reason,
        /healthz and GET …/calendar reach 2027-12-31; the same year again is
        409, a province's administrator replaces it."""
        clock("2026-10-15T10:00:00+08:00")
        case_id, _ = open_case()
        inv = one(wf("GET", "/cases/%s" % case_id, bearer=chief()).json(), "investigation")
        self.assertEqual((inv["last_day"], inv["provisional"]), ("2027-01-15", True))
        port, path = S["workflow"].http_port, "/api/v1/workflow/calendar"
        admin = token("admin", "140200")
        r = gytest.calendar_request(port, "GET", path, bearer=prosecutor())
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["covered_until"], [y["year"] for y in r.json()["years"]]),
                         ("2026-12-31", [2026]))
        gytest.check_calendar_refusals(self, port, path, S["db"], "workflow", admin,
                                       prosecutor())
        version = gytest.load_calendar_2027(
            self, port, path, S["db"], "workflow", admin, token("admin", "140000"),
            extra_days=[{"day": "2027-01-15", "kind": "holiday", "name": "测试假日"}])
        inv = wait(lambda: (lambda d: d if not d["provisional"] else None)(
            one(wf("GET", "/cases/%s" % case_id, bearer=chief()).json(), "investigation")),
            "the provisional deadline not recomputed")
        self.assertEqual(inv["last_day"], "2027-01-18")
        reload = [r for r in inv["reasons"] if r["reason"] == "calendar_reload"]
        self.assertEqual([(r["from"], r["to"]) for r in reload], [("2027-01-15", "2027-01-18")])
        self.assertEqual(health()["calendar"]["covered_until"], "2027-12-31")
        body = gytest.calendar_read(self, port, path, admin, version)
        self.assertEqual(body["covered_until"], "2027-12-31")
        self.assertIn({"day": "2027-02-20", "kind": "workday", "name": "春节调休"},
                      [y for y in body["years"] if y["year"] == 2027][0]["days"])


class CivilTest(gytest.IntakeTestCase):

    def test_a_civil_case_through_the_announcement_to_suit_and_judgment(self):
        clock("2026-08-21T10:00:00+08:00")
        case_id, receipt = open_case(kind="civil")
        case = wf("GET", "/cases/%s" % case_id, bearer=chief()).json()
        self.assertEqual([d["rule"] for d in case["deadlines"]], ["investigation"])
        self.assertEqual(one(case, "investigation")["last_day"], "2026-11-23")
        step(case_id, "start_investigation", bearer=prosecutor())
        case = step(case_id, "publish_announcement")
        # 30 days end on Sunday 20 September, a 调休 working day: not moved.
        ann = one(case, "announcement")
        self.assertEqual((ann["last_day"], ann["verified"]), ("2026-09-20", True))
        self.assertEqual(one(case, "investigation")["settled_by_event"], "publish_announcement")
        clock("2026-09-21T10:00:00+08:00")
        case = step(case_id, "announcement_expired")
        self.assertEqual(one(case, "civil_review_for_suit")["last_day"], "2026-12-21")
        case = step(case_id, "file_suit")
        self.assertEqual(case["state"], "suit_filed")
        # 5 days end on Saturday 26 September, in the Mid-Autumn holiday:
        # Monday 28 September.
        self.assertEqual(one(case, "file_upward_suit")["last_day"], "2026-09-28")
        fi = one(case, "first_instance")
        self.assertEqual((fi["last_day"], fi["provisional"], fi["uncovered_year"]),
                         ("2027-03-22", True, 2027))
        # 15 days from 25 September end on Saturday 10 October, a 调休
        # working day: not moved.
        clock("2026-09-25T10:00:00+08:00")
        case = step(case_id, "record_judgment", judgment_kind="支持全部诉讼请求",
                    bearer=prosecutor())
        self.assertEqual(one(case, "first_instance")["settled_by_event"], "record_judgment")
        self.assertEqual(one(case, "appeal_judgment")["last_day"], "2026-10-10")
        case = step(case_id, "judgment_effective")
        self.assertEqual(case["state"], "enforcement_supervision")
        case = step(case_id, "close", public_outcome="判决已生效并执行")
        self.assertEqual(case["state"], "closed")
        self.assertEqual(len(events("CaseClosed", case_id=case_id)), 1)
        self.assertEqual([x["step"] for x in case_steps(receipt)],
                         ["case_opened", "announced", "suit_filed", "case_closed"])

    def test_a_ruling_gives_ten_days(self):
        clock("2026-09-21T10:00:00+08:00")
        case_id, _ = open_case(kind="civil")
        for e in ("start_investigation", "publish_announcement", "announcement_expired",
                  "file_suit"):
            step(case_id, e)
        clock("2026-09-30T10:00:00+08:00")
        case = step(case_id, "record_ruling")
        self.assertEqual(one(case, "appeal_ruling")["last_day"], "2026-10-10")
        self.assertEqual(deadlines(case, "appeal_judgment"), [])

    def test_a_heroes_case_asks_the_close_relatives_first(self):
        clock("2026-09-28T10:00:00+08:00")
        case_id, _ = open_case(kind="civil", field="heroes_martyrs",
                               text="网络账号发布侮辱英烈的视频，编号 %s。" % uuid.uuid4().hex)
        case = wf("GET", "/cases/%s" % case_id, bearer=chief()).json()
        self.assertTrue(case["heroes"])
        step(case_id, "start_investigation")
        before = written(case_id)
        r = wf("POST", "/cases/%s/steps" % case_id,
               {"event": "publish_announcement", "reason": "公告"}, bearer=chief())
        self.assertError(r, 409, "invalid_state", "state")
        self.assertIn("ask_relatives", r.json()["error"]["message"])
        self.assertEqual(written(case_id), before)
        case = step(case_id, "ask_relatives")
        self.assertEqual(case["state"], "asking_relatives")
        self.assertEqual(one(case, "investigation")["settled_by_event"], "ask_relatives")
        case = step(case_id, "relatives_decline")
        self.assertEqual(case["state"], "review_for_suit")
        self.assertEqual(one(case, "civil_review_for_suit")["last_day"], "2026-12-28")


class RefusalTest(gytest.IntakeTestCase):

    def test_every_refusal_writes_nothing(self):
        clock("2026-09-28T10:00:00+08:00")
        case_id, _ = open_case()
        case = wf("GET", "/cases/%s" % case_id, bearer=chief()).json()
        before = written(case_id)
        cases = [
            # wrong state, naming the state and the allowed events
            ({"event": "file_suit", "reason": "x"}, chief(), 409, "invalid_state", "state"),
            # the chief's decision
            ({"event": "terminate", "reason": "x", "public_outcome": "终止"}, prosecutor(), 403,
             "forbidden", "event"),
            # a stale version
            ({"event": "serve_opening_decision", "reason": "x",
              "expected_version": case["version"] + 1}, chief(), 409, "conflict",
             "expected_version"),
            # no such event in this machine
            ({"event": "publish_announcement", "reason": "x"}, chief(), 422, "unknown_event",
             "event"),
            # a member of another event
            ({"event": "serve_opening_decision", "reason": "x", "harm_ongoing": True}, chief(),
             400, "invalid_value", "harm_ongoing"),
            ({"event": "serve_opening_decision"}, chief(), 400, "missing_field", "reason"),
            ({"event": "serve_opening_decision", "reason": "x", "extra": 1}, chief(), 400,
             "unknown_property", "extra"),
            # another county: as if absent
            ({"event": "serve_opening_decision", "reason": "x"}, token("chief_prosecutor", "140221"),
             404, "not_found", None),
            # a closing action on an open case with nothing to serve
            ({"event": "serve_closing_decision", "reason": "x"}, chief(), 409, "invalid_state",
             "state"),
        ]
        for body, bearer, status, code, field in cases:
            r = wf("POST", "/cases/%s/steps" % case_id, body, bearer=bearer)
            self.assertError(r, status, code, field)
            self.assertEqual(written(case_id), before, body)
        r = wf("POST", "/cases/%s/steps" % case_id, {"event": "file_suit", "reason": "x"},
               bearer=chief())
        self.assertIn("the administrative case is opened", r.json()["error"]["message"])
        self.assertIn("serve_opening_decision", r.json()["error"]["message"])

    def test_concurrent_steps_one_wins(self):
        """Many steps on one version at once, and many without a version:
        one wins, the others get 409 and write nothing."""
        clock("2026-09-28T10:00:00+08:00")
        case_id, _ = open_case()
        version = wf("GET", "/cases/%s" % case_id, bearer=chief()).json()["version"]

        def race(bodies):
            results = [None] * len(bodies)

            def go(i):
                results[i] = wf("POST", "/cases/%s/steps" % case_id, bodies[i], bearer=chief())
            threads = [threading.Thread(target=go, args=(i,)) for i in range(len(bodies))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            return results

        results = race([{"event": "serve_opening_decision", "reason": "送达 %d" % i,
                         "expected_version": version} for i in range(8)])
        self.assertEqual(sorted(r.status for r in results), [200] + [409] * 7, results)
        self.assertEqual({r.json()["error"]["code"] for r in results if r.status == 409},
                         {"conflict"})
        # Without a version the losers decide again on the new state.
        results = race([{"event": "issue_suggestion", "reason": "建议 %d" % i}
                        for i in range(6)])
        self.assertEqual(sorted(r.status for r in results), [200] + [409] * 5, results)
        self.assertEqual({r.json()["error"]["code"] for r in results if r.status == 409},
                         {"invalid_state"})
        case = wf("GET", "/cases/%s" % case_id, bearer=chief()).json()
        self.assertEqual([s["event"] for s in case["steps"]],
                         ["open", "serve_opening_decision", "issue_suggestion"])
        self.assertEqual(len(deadlines(case, "file_upward_suggestion")), 1)
        self.assertEqual(len(events("CaseStageChanged", case_id=case_id)), 2)
        self.assertEqual(case["version"], version + 2)

    def test_scope_and_roles_per_endpoint(self):
        clock("2026-09-28T10:00:00+08:00")
        case_id, _ = open_case()
        body = {"event": "serve_opening_decision", "reason": "x"}
        for role, proc, get, post in (
                ("prosecutor", "140213", 200, 200),
                ("chief_prosecutor", "140200", 200, None),  # the city sees its counties
                ("prosecutor", "140221", 404, 404),  # a sibling county
                ("prosecutor", "110000", 404, 404),  # another province
                ("volunteer", "140213", 403, 403),
                ("admin", "140213", 403, 403),
                ("integrator", "140213", 403, 403)):
            t = token(role, proc)
            self.assertEqual(wf("GET", "/cases/%s" % case_id, bearer=t).status, get, (role, proc))
            ids = [c["id"] for c in (wf("GET", "/cases?limit=100", bearer=t).json() or {})
                   .get("items", [])] if get == 200 else []
            self.assertEqual(case_id in ids, get == 200, (role, proc))
            # The rules are reference data: any signed-in role reads them.
            self.assertEqual(wf("GET", "/time-limits", bearer=t).status, 200, (role, proc))
            if post:
                before = written(case_id) if post != 200 else None
                r = wf("POST", "/cases/%s/steps" % case_id, body, bearer=t)
                self.assertEqual(r.status, post, (role, proc, r))
                if before:
                    self.assertEqual(written(case_id), before)
        self.assertEqual(wf("GET", "/cases/%s" % case_id).status, 401)
        self.assertEqual(wf("POST", "/cases/%s/steps" % case_id, body).status, 401)
        self.assertEqual(wf("GET", "/time-limits").status, 401)
        limits = wf("GET", "/time-limits", bearer=chief()).json()["time_limits"]
        reply = [r for r in limits if r["rule"] == "organ_reply"][0]
        self.assertEqual((reply["count"], reply["unit"], reply["urgent"]),
                         (2, "months", {"count": 15, "unit": "days"}))


class FiringTest(gytest.IntakeTestCase):

    def test_deadlines_fire_once_each_and_the_queues(self):
        clock("2026-09-28T10:00:00+08:00")
        case_id, _ = open_case()
        self.assertEqual(events("DeadlineDue", case_id=case_id), [])
        # 9 October: serve_opening (last day 8 October) is past due; the
        # investigation (28 December) is neither due soon nor missed.
        clock("2026-10-09T10:00:00+08:00")
        wait(lambda: events("DeadlineMissed", case_id=case_id), "no DeadlineMissed")
        due = events("DeadlineDue", case_id=case_id)
        missed = events("DeadlineMissed", case_id=case_id)
        self.assertEqual([(e.rule, e.last_day, e.case_state) for e in due],
                         [("serve_opening", "2026-10-08", "opened")])
        self.assertEqual([(e.rule, e.last_day, e.procuratorate, e.kind) for e in missed],
                         [("serve_opening", "2026-10-08", "140213", "administrative")])
        overdue = wf("GET", "/cases?queue=overdue&limit=100", bearer=chief())
        self.assertEqual(overdue.status, 200, overdue)
        self.assertIn(case_id, [c["id"] for c in overdue.json()["items"]])
        # Restarted, nothing fires again.
        clock("2026-10-09T10:00:01+08:00")
        time.sleep(1.0)
        self.assertEqual(len(events("DeadlineDue", case_id=case_id)), 1)
        self.assertEqual(len(events("DeadlineMissed", case_id=case_id)), 1)
        case = wf("GET", "/cases/%s" % case_id, bearer=chief()).json()
        so = one(case, "serve_opening")
        self.assertIsNotNone(so["warned_at"])
        self.assertIsNotNone(so["missed_at"])
        self.assertIsNone(so["settled_at"])
        # Settled late, it leaves the overdue queue.
        step(case_id, "serve_opening_decision")
        overdue = wf("GET", "/cases?queue=overdue&limit=100", bearer=chief()).json()
        self.assertNotIn(case_id, [c["id"] for c in overdue["items"]])
        # Filters: stage and kind; an unknown stage is refused.
        r = wf("GET", "/cases?queue=all&stage=investigating&kind=administrative&limit=100",
               bearer=chief())
        self.assertEqual(r.status, 200, r)
        self.assertIn(case_id, [c["id"] for c in r.json()["items"]])
        self.assertTrue(all(c["state"] == "investigating" for c in r.json()["items"]))
        self.assertError(wf("GET", "/cases?stage=nowhere", bearer=chief()), 400, "invalid_value",
                         "stage")
        mine = wf("GET", "/cases?queue=mine&limit=100", bearer=chief()).json()
        self.assertIn(case_id, [c["id"] for c in mine["items"]])
        other = wf("GET", "/cases?queue=mine&limit=100",
                   bearer=token("prosecutor", sub="someone-else")).json()
        self.assertNotIn(case_id, [c["id"] for c in other["items"]])

    def test_a_missed_deadline_is_not_extended(self):
        clock("2026-09-28T10:00:00+08:00")
        case_id, _ = open_case()
        for e in ("serve_opening_decision", "issue_suggestion", "serve_suggestion",
                  "reply_period_expired", "enter_review_for_suit"):
            step(case_id, e)
        # The review for suit ended on 28 October.
        clock("2026-10-29T10:00:00+08:00")
        wait(lambda: [e for e in events("DeadlineMissed", case_id=case_id)
                      if e.rule == "review_for_suit"], "no DeadlineMissed")
        before = written(case_id)
        r = wf("POST", "/cases/%s/steps" % case_id,
               {"event": "extend_period", "reason": "补延", "rule": "review_for_suit",
                "count": 1, "unit": "months"}, bearer=chief())
        self.assertError(r, 409, "deadline_missed", "rule")
        self.assertEqual(written(case_id), before)

    def test_due_soon_lists_a_case_past_its_warn_instant(self):
        clock("2026-09-28T10:00:00+08:00")
        case_id, _ = open_case()
        step(case_id, "serve_opening_decision")
        # The investigation ends on 28 December; DeadlineDue 5 working days
        # before, so on 23 December it is due soon and not missed.
        clock("2026-12-23T10:00:00+08:00")
        wait(lambda: events("DeadlineDue", case_id=case_id), "no DeadlineDue")
        self.assertEqual([e.rule for e in events("DeadlineDue", case_id=case_id)],
                         ["investigation"])
        self.assertEqual(events("DeadlineMissed", case_id=case_id), [])
        soon = wf("GET", "/cases?queue=due_soon&limit=100", bearer=chief()).json()
        self.assertIn(case_id, [c["id"] for c in soon["items"]])
        mine = [c for c in soon["items"] if c["id"] == case_id][0]
        self.assertEqual((mine["next_due"]["rule"], mine["next_due"]["name_zh"],
                          mine["next_due"]["last_day"]), ("investigation", "调查", "2026-12-28"))


if __name__ == "__main__":
    unittest.main()
