"""One clue from submission to a closed case, end to end: a reporter's clue
is routed and reviewed, the chief opens an administrative case, experts are
consulted, documents are issued and served, a hearing is scheduled and
held, a supervisor files an observation, the impact is recorded, the organ
rectifies and the case is closed — over HTTP and the bus, against real
PostgreSQL, Redis and ZeroMQ (one intake, one router with its API, one
workflow).  The reporter follows it by the receipt code; every event the
issue names is written once.

The workflow runs on fixed dates (GY_CLOCK_START), moved once to hold the
hearing; intake and the router on the suite's clock."""

import time
import uuid

import gytest
from gytest import valid_clue

S = {}

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
START = "2026-10-08T10:00:00+08:00"  # a Thursday after the National Day week
HEARING = "2026-10-13T09:30:00+08:00"  # the notice: 9, 10 and 11 October, then any time
LATER = "2026-10-13T11:00:00+08:00"  # the hearing has been held
WORKFLOW = "workflow-e1"


def setUpModule():
    gytest.require_workflow_build()
    folder = gytest.run_dir("test_workflow_e2e")
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("wfe2e")
    S["db"] = gytest.Db(S["dbname"])
    intake = gytest.Intake(folder, "intake-e1", S["dbname"])
    router = gytest.Router(folder, "router-e1", S["dbname"], [intake], env=gytest.router_api_env(
        folder, S["token_secret"], S["token_public"], GY_DEADLINE_SCAN_MS="0"))
    workflow = gytest.Workflow(folder, WORKFLOW, S["dbname"], [router],
                               token_public=S["token_public"],
                               env={"GY_CLOCK_START": START, "GY_CONSULT_SCAN_MS": "200",
                                    "GY_WORKFLOW_DEADLINE_SCAN_MS": "200"})
    S.update(intake=intake, router=router, workflow=workflow)
    gytest.start_site(intake, router, workflow)
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


def token(role, proc, sub=None, clock=START):
    """Issued on the workflow's clock by default (START, then LATER: valid
    for a year); clock=None: the suite's, for the router."""
    return gytest.issue_token(S["token_secret"], sub or "%s-%s" % (role, proc), role=role,
                              proc=proc, clock=clock, ttl=31622400)


def call(service, method, path, body=None, bearer=None):
    h = {}
    if body is not None:
        h["Content-Type"] = "application/json"
    if bearer is not None:
        h["Authorization"] = "Bearer " + bearer
    return gytest.http_request(S[service].http_port, method, path, body, h)


def wf(method, path, body=None, bearer=None, want=(200, 201)):
    r = call("workflow", method, "/api/v1/workflow" + path, body, bearer)
    assert r.status in want, (method, path, r, r.body[:500])
    return r.json()


def wait(predicate, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("%s within %.0f s; workflow log:\n%s" % (what, timeout,
                                                                   S["workflow"].log_tail()))


def register(proc, roles):
    """A volunteer applied and appointed at the router, known to the
    workflow; returns their id."""
    login = "v%s" % uuid.uuid4().hex[:12]
    r = call("router", "POST", "/api/v1/volunteers/applications", {
        "login": login, "password": "长江水清澈-%s" % login, "name": "王建国",
        "phone": "+86 139-1234-5678", "procuratorate": proc, "expertise": ["ecology"],
        "roles": list(roles), "statement": "从事环境监测工作十年。"})
    assert r.status == 201, r
    vid = r.json()["id"]
    r = call("router", "POST", "/api/v1/volunteers/%s/appoint" % vid,
             {"certificate_no": "志聘〔2026〕%s号" % uuid.uuid4().hex[:8],
              "term_start": "2026-01-01", "term_end": "2099-12-31"},
             bearer=token("prosecutor", proc, clock=None))
    assert r.status == 200, r
    wait(lambda: S["db"].scalar("SELECT status = 'appointed' FROM workflow.volunteer "
                                "WHERE id = %s", (vid,)), "volunteer %s in the workflow" % vid)
    return vid


def outbox(type_, **match):
    return gytest.workflow_events(S["db"], type_, **match)


def restart_workflow(clock):
    S["workflow"].stop()
    S["workflow"].env["GY_CLOCK_START"] = clock
    S["workflow"].start()


class EndToEndTest(gytest.IntakeTestCase):

    def test_a_clue_to_a_closed_case_with_its_documents_hearing_consultation_and_observation(
            self):
        chief, prosecutor = token("chief_prosecutor", "140213"), token("prosecutor", "140213")
        expert = register("140213", ("assessor",))
        supervisor = register("140214", ("supervisor",))

        # The reporter's clue, routed to 平城区 and under review there.
        tag = uuid.uuid4().hex
        r = S["intake"].post_clue(valid_clue(
            title="御河排污 %s" % tag[:8],
            description="化工厂夜间通过暗管向御河排放污水，编号 %s。" % tag),
            idem=str(uuid.uuid4()))
        self.assertEqual(r.status, 201, r)
        clue, receipt = r.json()["id"], r.json()["receipt_code"]
        wait(lambda: S["db"].scalar("SELECT state = 'under_review' FROM workflow.review "
                                    "WHERE clue_id = %s", (clue,)), "the review of " + clue)

        # 立案 by the chief; the opening decision issued and served.
        case_id = wf("POST", "/reviews/%s/decide" % clue,
                     {"decision": "open", "case_kind": "administrative", "reason": "立案审查"},
                     bearer=chief)["review"]["case_id"]
        organ = "大同市平城区生态环境局"
        opening = wf("POST", "/cases/%s/documents" % case_id,
                     {"kind": "opening_decision", "recipient": organ}, bearer=chief)
        wf("POST", "/documents/%s/served" % opening["id"],
           {"served_on": organ, "served_at": "2026-10-08T10:00:00+08:00", "method": "post"},
           bearer=prosecutor)
        case = wf("POST", "/cases/%s/steps" % case_id,
                  {"event": "serve_opening_decision", "reason": "立案决定书已送达"}, bearer=chief)
        self.assertEqual(case["state"], "investigating")

        # 专业咨询: the expert is asked and answers.
        request = wf("POST", "/cases/%s/consultations" % case_id,
                     {"question": "排污口下游化学需氧量超标几倍？", "due_days": 5},
                     bearer=prosecutor)
        self.assertEqual([t["volunteer_id"] for t in request["tasks"]], [expert])
        wf("POST", "/consultations/%s/answer" % request["tasks"][0]["id"],
           {"answer": "约超标三倍。", "references": ["GB 3838-2002"]},
           bearer=token("volunteer", "140213", sub=expert))

        # 检察建议: issued (a document), served, the organ has 15 days.
        suggestion = wf("POST", "/cases/%s/documents" % case_id,
                        {"kind": "suggestion", "recipient": organ}, bearer=chief)
        wf("POST", "/cases/%s/steps" % case_id,
           {"event": "issue_suggestion", "reason": "依法发出检察建议"}, bearer=chief)
        served = wf("POST", "/cases/%s/steps" % case_id,
                    {"event": "serve_suggestion", "reason": "已送达", "harm_ongoing": True},
                    bearer=chief)
        self.assertEqual([(d["rule"], d["change"]) for d in served["deadline_changes"]],
                         [("organ_reply", "started")])
        case = wf("GET", "/cases/%s" % case_id, bearer=chief)
        reply = [d for d in case["deadlines"] if d["rule"] == "organ_reply"][0]
        self.assertEqual((reply["urgent"], reply["last_day"]), (True, "2026-10-23"))
        wf("POST", "/cases/%s/steps" % case_id,
           {"event": "file_suggestion_upward", "reason": "已报上级院备案"}, bearer=prosecutor)

        # 听证, with its members from the pool; held once its time came.
        member = wf("POST", "/hearing-pools/140213", {"name": "人民监督员李四", "kind": "expert"},
                    bearer=chief)["id"]
        hearing = wf("POST", "/cases/%s/hearings" % case_id,
                     {"starts_at": HEARING, "place": "平城区人民检察院听证室", "public": True,
                      "topic": "御河排污整改听证", "members": [member]}, bearer=prosecutor)
        public = gytest.http_request(S["workflow"].http_port, "GET",
                                     "/api/v1/workflow/public/hearings")
        self.assertEqual(public.status, 200, public)
        self.assertIn(hearing["id"], [h["id"] for h in public.json()["items"]])
        restart_workflow(LATER)
        held = wf("POST", "/hearings/%s/hold" % hearing["id"],
                  {"outcome": "同意检察机关意见", "summary": "听证员一致认为应当督促整改。"},
                  bearer=prosecutor)
        self.assertEqual(held["state"], "held")

        # 跟踪观察: the supervisor sees the outfall sealed.
        wf("POST", "/cases/%s/supervisors" % case_id, {"volunteer_id": supervisor},
           bearer=prosecutor)
        wf("POST", "/cases/%s/observations" % case_id,
           {"observed_on": "2026-10-12", "place": "御河东岸 3 号排污口",
            "text": "排污口已用混凝土封堵，未见污水排出。", "finding": "rectified",
            "photos": [{"name": "排污口.jpg", "content_type": "image/jpeg", "size": 204800,
                        "sha256": SHA}]},
           bearer=token("volunteer", "140214", sub=supervisor))

        # The organ replies and rectifies; the impact; closing.
        wf("POST", "/cases/%s/steps" % case_id, {"event": "record_reply", "reason": "书面回复"},
           bearer=prosecutor)
        wf("POST", "/cases/%s/steps" % case_id,
           {"event": "confirm_rectified", "reason": "现场核实已整改"}, bearer=prosecutor)
        wf("POST", "/cases/%s/impact" % case_id,
           {"measure": "people_protected", "value": "3000", "on_closing": True},
           bearer=prosecutor)
        closing = wf("POST", "/cases/%s/documents" % case_id,
                     {"kind": "closing_decision", "recipient": organ}, bearer=chief)
        case = wf("POST", "/cases/%s/steps" % case_id,
                  {"event": "close", "reason": "已整改", "outcome": "行政机关已全面整改",
                   "public_outcome": "已督促整改到位"}, bearer=chief)
        self.assertEqual(case["state"], "closed")

        # The documents, numbered in their series, with their text.
        docs = wf("GET", "/cases/%s/documents" % case_id, bearer=chief)["items"]
        self.assertEqual([(d["kind"], d["number"]) for d in docs],
                         [("opening_decision", "平检行公立〔2026〕1号"),
                          ("suggestion", "平检行公建〔2026〕1号"),
                          ("closing_decision", opening["number"].replace("公立", "公终"))])
        self.assertEqual([d["id"] for d in docs], [opening["id"], suggestion["id"], closing["id"]])

        # The case as one read: its timeline, deadlines and everything
        # done on it, each list as its own endpoint answers it.
        whole = wf("GET", "/cases/%s" % case_id, bearer=chief)
        self.assertEqual(whole["documents"], docs)
        for key, path in (("hearings", "hearings"), ("consultations", "consultations"),
                          ("supervisors", "supervisors"), ("observations", "observations")):
            own = wf("GET", "/cases/%s/%s" % (case_id, path), bearer=chief)["items"]
            self.assertEqual(whole[key], own, key)
            self.assertEqual(len(own), 1, key)
        impact = wf("GET", "/cases/%s/impact" % case_id, bearer=chief)
        self.assertEqual(whole["impact"], {"items": impact["items"], "sums": impact["sums"]})
        self.assertEqual(len(whole["impact"]["items"]), 1)
        self.assertEqual(whole["hearings"][0]["id"], hearing["id"])

        # The reporter follows it by the receipt code, nothing internal.
        def closed():
            r = gytest.http_request(S["intake"].http_port, "GET", "/api/v1/clues/%s" % receipt)
            steps = [x["step"] for x in r.json()["timeline"]]
            return r.json() if "case_closed" in steps else None
        follow = wait(closed, "case_closed on the reporter's timeline")
        steps = [x["step"] for x in follow["timeline"]]
        for s in ("received", "case_opened", "suggestion_issued", "rectified", "case_closed"):
            self.assertIn(s, steps)
        self.assertNotIn("行政机关已全面整改", str(follow))
        self.assertNotIn("王建国", str(follow))

        # Every event the issue names, once, on the bus as in the outbox.
        once = {"CaseOpened": {"case_id": case_id}, "CaseClosed": {"case_id": case_id},
                "HearingScheduled": {"hearing_id": hearing["id"]},
                "ConsultationRequested": {"case_id": case_id},
                "ConsultationAnswered": {"case_id": case_id},
                "ObservationFiled": {"case_id": case_id},
                "ImpactRecorded": {"case_id": case_id}}
        for type_, match in once.items():
            self.assertEqual(len(outbox(type_, **match)), 1, type_)
        self.assertEqual(len(outbox("DocumentIssued", case_id=case_id)), 3)
        # Six transitions and one action (filed upward).
        self.assertEqual(len(outbox("CaseStageChanged", case_id=case_id)), 7)
        bus = S["bus"]
        self.assertTrue(bus.wait_for(lambda b: len(b.by_type("CaseClosed")) >= 1, 10),
                        "CaseClosed on the bus")
        for type_ in list(once) + ["DocumentIssued", "CaseStageChanged"]:
            self.assertEqual(len(bus.by_type(type_)), len(outbox(type_)), type_)
        S["workflow"].assert_healthy_process()
