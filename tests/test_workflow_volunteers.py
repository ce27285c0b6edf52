"""Volunteers' work on cases end to end: the router announces every change
of its volunteer registry (VolunteerChanged) and the workflow keeps its own
projection of it; a prosecutor asks expert volunteers a question on a case
(专业咨询), matched by role, expertise, city and conflicts of interest; the
volunteer answers or declines (the next one is asked); a question not
answered in time is asked of the next volunteer once (the workflow started
on a clock past the due time); supervisors appointed to a case file
observations with their photos' metadata (跟踪观察); a volunteer sees only
their own tasks.  Refusals write nothing; every event is written once.

One intake, one router (API on) and one workflow on one database; real
PostgreSQL, Redis and ZeroMQ.  Each test works in a city of its own, so the
volunteers of one test are never candidates in another."""

import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def days_ago(n):
    """The Beijing date n days before the suite's clock: observations are
    of days past whatever day the suite runs on."""
    return time.strftime("%Y-%m-%d", time.gmtime((gytest.now_ms() + 8 * 3600000) / 1000 -
                                                 n * 86400))


def setUpModule():
    gytest.require_workflow_build()
    folder = gytest.run_dir("test_workflow_volunteers")
    S["folder"] = folder
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("wfvolunteers")
    S["db"] = gytest.Db(S["dbname"])
    intake = gytest.Intake(folder, "intake-wv1", S["dbname"])
    router = gytest.Router(folder, "router-wv1", S["dbname"], [intake], env=gytest.router_api_env(
        folder, S["token_secret"], S["token_public"], GY_DEADLINE_SCAN_MS="0"))
    workflow = gytest.Workflow(folder, "workflow-wv1", S["dbname"], [router],
                               token_public=S["token_public"],
                               env={"GY_CONSULT_SCAN_MS": "200"})
    S.update(intake=intake, router=router, workflow=workflow)
    intake.start()
    router.env["GY_SOURCES"] = "%s|%s" % (intake.events, intake.replay)
    router.start()
    workflow.env["GY_SOURCES"] = "%s|%s" % (router.events, router.replay)
    workflow.start()


def tearDownModule():
    for name in ("workflow", "router", "intake"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def token(role, proc, sub=None):
    return gytest.issue_token(S["token_secret"], sub or "%s-%s-%s" % (role, proc,
                                                                       uuid.uuid4().hex[:6]),
                              role=role, proc=proc)


def call(service, method, path, body=None, bearer=None):
    h = {}
    if body is not None:
        h["Content-Type"] = "application/json"
    if bearer is not None:
        h["Authorization"] = "Bearer " + bearer
    return gytest.http_request(S[service].http_port, method, path, body, h)


def wf(method, path, body=None, bearer=None):
    return call("workflow", method, "/api/v1/workflow" + path, body, bearer)


def wait(predicate, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("%s within %.0f s; workflow log:\n%s" % (what, timeout,
                                                                   S["workflow"].log_tail()))


def outbox(schema, type_, **match):
    """A service's events of a type in its outbox, unpacked, in order (the
    workflow's numbered or still pending: gytest.workflow_events)."""
    if schema == "workflow":
        return gytest.workflow_events(S["db"], type_, **match)
    out = []
    for (body,) in S["db"].query("SELECT body FROM %s.outbox WHERE type = %%s ORDER BY sequence"
                                 % schema, (type_,)):
        m = getattr(gytest.pb, type_)()
        m.ParseFromString(bytes(body))
        if all(getattr(m, k) == v for k, v in match.items()):
            out.append(m)
    return out


def register(proc, roles=("assessor",), expertise=("ecology",), term_end="2099-12-31"):
    """A volunteer applied and appointed at the router; waits until the
    workflow knows them appointed.  Returns their id."""
    login = "v%s" % uuid.uuid4().hex[:12]
    r = call("router", "POST", "/api/v1/volunteers/applications", {
        "login": login, "password": "长江水清澈-%s" % login, "name": "王建国",
        "phone": "+86 139-1234-5678", "procuratorate": proc, "expertise": list(expertise),
        "roles": list(roles), "statement": "从事环境监测工作十年。"})
    assert r.status == 201, r
    vid = r.json()["id"]
    r = call("router", "POST", "/api/v1/volunteers/%s/appoint" % vid,
             {"certificate_no": "志聘〔2026〕%s号" % uuid.uuid4().hex[:8],
              "term_start": "2026-01-01", "term_end": term_end},
             bearer=token("prosecutor", proc))
    assert r.status == 200, r
    wait_volunteer(vid, 2)
    return vid


def declare(vid, proc, kind, value):
    r = call("router", "POST", "/api/v1/volunteers/me/conflicts",
             {"kind": kind, "value": value, "reason": "利害关系"},
             bearer=token("volunteer", proc, sub=vid))
    assert r.status == 201, r


def projection(vid):
    rows = S["db"].query("SELECT status, version, roles, expertise, conflicts::text, city, "
                         "term_end::text FROM workflow.volunteer WHERE id = %s", (vid,))
    return rows[0] if rows else None


def wait_volunteer(vid, version):
    return wait(lambda: projection(vid) if projection(vid) and projection(vid)[1] >= version
                else None, "volunteer %s at version %d in the workflow" % (vid, version))


def open_case(region, title):
    """A clue submitted at region, routed and opened as an administrative
    case by the chief; returns the case id."""
    tag = uuid.uuid4().hex
    clue = valid_clue(title="偷排污水 %s" % tag[:8],
                      description="工厂夜间偷排污水，河道发黑发臭，编号 %s。" % tag,
                      region_code=region, location={"address": "市区"})
    r = S["intake"].post_clue(clue, idem=str(uuid.uuid4()))
    assert r.status == 201, r
    cid = r.json()["id"]
    wait(lambda: S["db"].scalar("SELECT count(*) FROM workflow.review WHERE clue_id = %s "
                                "AND state = 'under_review'", (cid,)), "review of " + cid)
    r = wf("POST", "/reviews/%s/decide" % cid,
           {"decision": "open", "case_kind": "administrative", "title": title},
           bearer=token("chief_prosecutor", region))
    assert r.status == 201, r
    return r.json()["review"]["case_id"]


def written():
    """What a refusal must leave as it was."""
    db = S["db"]
    return tuple(db.scalar("SELECT count(*) FROM workflow.%s" % t) for t in (
        "consultation_request", "consultation", "consultation_history", "supervisor",
        "observation", "volunteer_case_conflict")) + (
        db.scalar(gytest.WORKFLOW_EVENTS_WRITTEN),)


class VolunteersTestCase(gytest.IntakeTestCase):
    pass


class RegistryTest(VolunteersTestCase):

    def test_every_registry_change_is_announced_once_and_projected(self):
        proc = "321112"
        # No assessor: not a candidate in DeclineTest's city.
        vid = register(proc, roles=("informant", "supervisor"), expertise=("food_drug", "ecology"))
        manager = token("prosecutor", proc)
        declare(vid, proc, "keyword", "化工厂")
        r = call("router", "POST", "/api/v1/volunteers/%s/suspend" % vid, {"reason": "外出学习"},
                 bearer=manager)
        self.assertEqual(r.status, 200, r)
        # A refused change (an appointed volunteer cannot be reinstated twice)
        # announces nothing.
        r = call("router", "POST", "/api/v1/volunteers/%s/reinstate" % vid, {"reason": "返回"},
                 bearer=manager)
        self.assertEqual(r.status, 200, r)
        before = len(outbox("router", "VolunteerChanged", volunteer_id=vid))
        r = call("router", "POST", "/api/v1/volunteers/%s/reinstate" % vid, {"reason": "again"},
                 bearer=manager)
        self.assertError(r, 409, "invalid_state", "status")
        events = outbox("router", "VolunteerChanged", volunteer_id=vid)
        self.assertEqual(len(events), before)
        self.assertEqual([(e.version, e.change, e.status) for e in events],
                         [(1, "apply", "applied"), (2, "appoint", "appointed"),
                          (3, "conflict", "appointed"), (4, "suspend", "suspended"),
                          (5, "reinstate", "appointed")])
        last = events[-1]
        self.assertEqual((last.procuratorate, last.city, list(last.roles), list(last.expertise),
                          last.term_start, last.term_end),
                         (proc, "321100", ["informant", "supervisor"], ["food_drug", "ecology"],
                          "2026-01-01", "2099-12-31"))
        self.assertEqual([(c.kind, c.value) for c in last.conflicts], [("keyword", "化工厂")])
        # Nothing personal on the bus.
        for (body,) in S["db"].query("SELECT body FROM router.outbox WHERE type = "
                                     "'VolunteerChanged'"):
            for secret in ("王建国", "139-1234"):
                self.assertNotIn(secret.encode(), bytes(body))
        # The workflow's projection follows, exactly once per event.
        status, version, roles, expertise, conflicts, city, term_end = wait_volunteer(vid, 5)
        self.assertEqual((status, version, roles, city, term_end),
                         ("appointed", 5, ["informant", "supervisor"], "321100", "2099-12-31"))
        self.assertIn("化工厂", conflicts)
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM workflow.consumed c JOIN "
                                        "workflow.volunteer v ON v.source_producer = c.producer "
                                        "WHERE v.id = %s", (vid,)), 1)


class ConsultationTest(VolunteersTestCase):

    def test_matched_by_role_expertise_city_and_conflicts_then_answered(self):
        # Changsha: the case is at 芙蓉区 (430102), in the city 430100.
        case_id = open_case("430102", "湘江排污口 长沙测试 化工园")
        fit = register("430102")
        fit_other_county = register("430104")
        wrong_field = register("430102", expertise=("food_drug",))
        wrong_role = register("430102", roles=("supervisor",))
        other_city = register("140215")
        keyword = register("430103")
        declare(keyword, "430103", "keyword", "化工园")
        region = register("430105")
        declare(region, "430105", "region", "430100")
        wait_volunteer(keyword, 3)
        wait_volunteer(region, 3)
        prosecutor = token("prosecutor", "430102", sub="prosecutor-430102-li")
        r = wf("POST", "/cases/%s/consultations" % case_id,
               {"question": "排污口下游的化学需氧量超标几倍？", "experts": 5, "due_days": 5},
               bearer=prosecutor)
        self.assertEqual(r.status, 201, r)
        request = r.json()
        self.assertEqual((request["field_code"], request["experts"], request["requested_by"]),
                         ("ecology", 5, "prosecutor-430102-li"))
        asked = sorted(t["volunteer_id"] for t in request["tasks"])
        self.assertEqual(asked, sorted([fit, fit_other_county]))
        for v in (wrong_field, wrong_role, other_city, keyword, region):
            self.assertNotIn(v, asked)
        requested = outbox("workflow", "ConsultationRequested", request_id=request["id"])
        self.assertEqual(sorted(e.volunteer_id for e in requested), asked)
        self.assertEqual({(e.case_id, e.procuratorate, e.field_code, e.kind, e.replaces)
                          for e in requested},
                         {(case_id, "430102", "ecology", "administrative", "")})
        # The volunteer answers their own task, once.
        task = [t for t in request["tasks"] if t["volunteer_id"] == fit][0]
        mine = token("volunteer", "430102", sub=fit)
        before = written()
        r = wf("POST", "/consultations/%s/answer" % task["id"], {"answer": "x"},
               bearer=token("volunteer", "430104", sub=fit_other_county))
        self.assertError(r, 404, "not_found")  # another volunteer's task does not exist for them
        self.assertEqual(written(), before)
        r = wf("POST", "/consultations/%s/answer" % task["id"],
               {"answer": "约超标三倍（GB 3838-2002 IV类）。", "references": ["GB 3838-2002"]},
               bearer=mine)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["state"], r.json()["answer"]),
                         ("answered", "约超标三倍（GB 3838-2002 IV类）。"))
        before = written()
        r = wf("POST", "/consultations/%s/answer" % task["id"], {"answer": "again"}, bearer=mine)
        self.assertError(r, 409, "invalid_state", "state")
        self.assertIn("answered", r.json()["error"]["message"])
        self.assertEqual(written(), before)
        self.assertEqual(len(outbox("workflow", "ConsultationAnswered",
                                    consultation_id=task["id"])), 1)
        # The prosecutor sees the answer on the case; another county does not.
        r = wf("GET", "/cases/%s/consultations" % case_id, bearer=prosecutor)
        self.assertEqual(r.status, 200, r)
        answered = [t for i in r.json()["items"] for t in i["tasks"] if t["state"] == "answered"]
        self.assertEqual([(t["volunteer_id"], t["references"]) for t in answered],
                         [(fit, ["GB 3838-2002"])])
        r = wf("GET", "/cases/%s/consultations" % case_id, bearer=token("prosecutor", "430103"))
        self.assertError(r, 404, "not_found")
        r = wf("GET", "/cases/%s/consultations" % case_id, bearer=mine)
        self.assertError(r, 403, "forbidden")

    def test_refusals_write_nothing(self):
        case_id = open_case("430111", "长沙测试 无专家")
        prosecutor = token("prosecutor", "430111")
        before = written()
        r = wf("POST", "/cases/%s/consultations" % case_id,
               {"question": "?", "field": "military"}, bearer=prosecutor)
        self.assertError(r, 422, "no_expert", "field")
        r = wf("POST", "/cases/%s/consultations" % case_id, {"question": "?", "field": "nope"},
               bearer=prosecutor)
        self.assertError(r, 422, "unknown_field_code", "field")
        r = wf("POST", "/cases/%s/consultations" % case_id, {"question": ""}, bearer=prosecutor)
        self.assertError(r, 400, "invalid_value", "question")
        r = wf("POST", "/cases/%s/consultations" % case_id, {"question": "?"},
               bearer=token("prosecutor", "140213"))
        self.assertError(r, 404, "not_found")
        r = wf("POST", "/cases/%s/consultations" % uuid.uuid4(), {"question": "?"},
               bearer=prosecutor)
        self.assertError(r, 404, "not_found")
        self.assertEqual(written(), before)


class DeclineTest(VolunteersTestCase):

    def test_declined_with_a_conflict_is_asked_of_the_next_volunteer(self):
        # Zhenjiang (321100); the case at 京口区.
        case_id = open_case("321102", "镇江测试 运河排污")
        first = register("321102")
        r = wf("POST", "/cases/%s/consultations" % case_id, {"question": "水样检测结论？"},
               bearer=token("prosecutor", "321102"))
        self.assertEqual(r.status, 201, r)
        task = r.json()["tasks"][0]
        self.assertEqual(task["volunteer_id"], first)
        second = register("321111")
        r = wf("POST", "/consultations/%s/decline" % task["id"],
               {"reason": "我与涉事企业有业务往来", "conflict": True},
               bearer=token("volunteer", "321102", sub=first))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["state"], "declined")
        tasks = S["db"].query("SELECT volunteer_id::text, state, replaces::text FROM "
                              "workflow.consultation WHERE request_id = %s ORDER BY asked_at",
                              (task["request_id"],))
        self.assertEqual(tasks, [(first, "declined", None), (second, "asked", task["id"])])
        replaced = outbox("workflow", "ConsultationRequested", replaces=task["id"])
        self.assertEqual([e.volunteer_id for e in replaced], [second])
        # The conflict is remembered: never asked on this case again.
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM workflow.volunteer_case_conflict "
                                        "WHERE volunteer_id = %s AND case_id = %s",
                                        (first, case_id)), 1)
        r = wf("POST", "/cases/%s/consultations" % case_id, {"question": "第二个问题", "experts": 3},
               bearer=token("prosecutor", "321102"))
        self.assertEqual(r.status, 201, r)
        self.assertEqual([t["volunteer_id"] for t in r.json()["tasks"]], [second])


class LateTest(VolunteersTestCase):

    def test_a_late_question_is_asked_of_the_next_volunteer_once(self):
        # Puyang (410900); the case at 华龙区.  Two experts asked, both late
        # together, and one volunteer left to ask: one task is asked of them,
        # the other announced late (never the same volunteer twice).
        case_id = open_case("410902", "濮阳测试 金堤河")
        first, first_b = register("410902"), register("410923")
        r = wf("POST", "/cases/%s/consultations" % case_id,
               {"question": "堤坝渗漏的原因？", "due_days": 1, "experts": 2},
               bearer=token("prosecutor", "410902", sub="prosecutor-410902-late"))
        self.assertEqual(r.status, 201, r)
        tasks = {t["volunteer_id"]: t for t in r.json()["tasks"]}
        self.assertEqual(set(tasks), {first, first_b})
        task, task_b = tasks[first], tasks[first_b]
        second = register("410922")
        # The workflow starts again on a clock two days on: the task is due.
        wfp = S["workflow"]
        wfp.stop()
        wfp.env["GY_CLOCK_START"] = gytest.format_instant(gytest.now_ms() + 2 * 86400000)
        try:
            wfp.start()
            wait(lambda: S["db"].scalar("SELECT state FROM workflow.consultation WHERE id = %s",
                                        (task["id"],)) == "late", "the task late")
            wait(lambda: S["db"].scalar(
                "SELECT count(*) FROM workflow.consultation WHERE request_id = %s AND "
                "state = 'late'", (task["request_id"],)) == 2, "both tasks late")
            # Another start, and time for more scans: still once.
            wfp.stop()
            wfp.start()
            time.sleep(1.0)
        finally:
            wfp.stop()
            del wfp.env["GY_CLOCK_START"]
            wfp.start()
        replaced = (outbox("workflow", "ConsultationRequested", replaces=task["id"]) +
                    outbox("workflow", "ConsultationRequested", replaces=task_b["id"]))
        self.assertEqual([e.volunteer_id for e in replaced], [second])  # once
        late = outbox("workflow", "ConsultationLate", request_id=task["request_id"])
        self.assertEqual(len(late), 1)  # once
        self.assertEqual({replaced[0].replaces, late[0].consultation_id},
                         {task["id"], task_b["id"]})
        self.assertEqual((late[0].requested_by, late[0].case_id), ("prosecutor-410902-late",
                                                                   case_id))
        self.assertEqual(sorted(S["db"].query(
            "SELECT volunteer_id::text, state FROM workflow.consultation WHERE request_id = %s",
            (task["request_id"],))), sorted([(first, "late"), (first_b, "late"),
                                            (second, "asked")]))
        self.assertEqual(S["db"].scalar(
            "SELECT count(*) FROM workflow.consultation_history WHERE consultation_id IN (%s, %s) "
            "AND event = 'expire'", (task["id"], task_b["id"])), 2)
        # The late volunteer can no longer answer.
        r = wf("POST", "/consultations/%s/answer" % task["id"], {"answer": "迟到的回答"},
               bearer=token("volunteer", "410902", sub=first))
        self.assertError(r, 409, "invalid_state", "state")


class SupervisionTest(VolunteersTestCase):

    def test_supervisors_file_observations_with_photos_metadata(self):
        # Datong (140200); the case at 平城区.
        case_id = open_case("140213", "大同测试 御河排污口整改")
        supervisor = register("140214", roles=("supervisor",))
        assessor = register("140213", roles=("assessor",))
        prosecutor = token("prosecutor", "140213")
        before = written()
        r = wf("POST", "/cases/%s/supervisors" % case_id, {"volunteer_id": assessor},
               bearer=prosecutor)
        self.assertError(r, 422, "volunteer_not_eligible", "volunteer_id")
        r = wf("POST", "/cases/%s/supervisors" % case_id, {"volunteer_id": str(uuid.uuid4())},
               bearer=prosecutor)
        self.assertError(r, 422, "unknown_volunteer", "volunteer_id")
        self.assertEqual(written(), before)
        r = wf("POST", "/cases/%s/supervisors" % case_id,
               {"volunteer_id": supervisor, "reason": "熟悉御河沿线"}, bearer=prosecutor)
        self.assertEqual(r.status, 201, r)
        self.assertEqual([i["volunteer_id"] for i in r.json()["items"]], [supervisor])
        r = wf("POST", "/cases/%s/supervisors" % case_id, {"volunteer_id": supervisor},
               bearer=prosecutor)
        self.assertError(r, 409, "already_appointed", "volunteer_id")

        mine = token("volunteer", "140214", sub=supervisor)
        photo = {"name": "排污口.jpg", "content_type": "image/jpeg", "size": 204800,
                 "sha256": SHA, "taken_at": days_ago(9) + "T10:00:00+08:00", "lat": 40.08,
                 "lon": 113.3}
        obs = {"observed_on": days_ago(9), "place": "御河东岸 3 号排污口",
               "text": "排污口已用混凝土封堵，未见污水排出。", "finding": "rectified",
               "photos": [photo]}
        before = written()
        # Refusals: not a supervisor of this case, a bad sha256, a day to come.
        r = wf("POST", "/cases/%s/observations" % case_id, obs,
               bearer=token("volunteer", "140213", sub=assessor))
        self.assertError(r, 403, "forbidden")
        bad = dict(obs, photos=[dict(photo, sha256="abc")])
        r = wf("POST", "/cases/%s/observations" % case_id, bad, bearer=mine)
        self.assertError(r, 400, "invalid_value", "sha256")
        r = wf("POST", "/cases/%s/observations" % case_id, dict(obs, observed_on="2099-01-01"),
               bearer=mine)
        self.assertError(r, 422, "date_in_future", "observed_on")
        r = wf("POST", "/cases/%s/observations" % case_id, obs, bearer=prosecutor)
        self.assertError(r, 403, "forbidden")
        self.assertEqual(written(), before)

        r = wf("POST", "/cases/%s/observations" % case_id, obs, bearer=mine)
        self.assertEqual(r.status, 201, r)
        stored = r.json()
        self.assertEqual((stored["finding"], stored["observed_on"], stored["photos"]),
                         ("rectified", days_ago(9), [photo]))
        filed = outbox("workflow", "ObservationFiled", observation_id=stored["id"])
        self.assertEqual([(e.case_id, e.volunteer_id, e.finding, e.photos, e.procuratorate)
                          for e in filed], [(case_id, supervisor, "rectified", 1, "140213")])
        r = wf("GET", "/cases/%s/observations" % case_id, bearer=prosecutor)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([i["id"] for i in r.json()["items"]], [stored["id"]])
        r = wf("GET", "/cases/%s/observations" % case_id, bearer=token("prosecutor", "140212"))
        self.assertError(r, 404, "not_found")
        # Suspended at the router, the supervisor no longer observes.
        r = call("router", "POST", "/api/v1/volunteers/%s/suspend" % supervisor,
                 {"reason": "暂停"}, bearer=token("prosecutor", "140214"))
        self.assertEqual(r.status, 200, r)
        wait(lambda: projection(supervisor)[0] == "suspended", "the suspension projected")
        before = written()
        r = wf("POST", "/cases/%s/observations" % case_id, obs, bearer=mine)
        self.assertError(r, 403, "forbidden")
        self.assertEqual(written(), before)


class MyTasksTest(VolunteersTestCase):

    def test_a_volunteer_sees_only_their_own_tasks(self):
        # Taiyuan (140100); the case at 小店区.
        case_id = open_case("140105", "太原测试 汾河")
        a = register("140105", roles=("assessor", "supervisor"))
        r = wf("POST", "/cases/%s/consultations" % case_id, {"question": "汾河水质如何？"},
               bearer=token("prosecutor", "140105"))
        self.assertEqual(r.status, 201, r)
        b = register("140105", roles=("assessor", "supervisor"))
        r = wf("POST", "/cases/%s/supervisors" % case_id, {"volunteer_id": b},
               bearer=token("prosecutor", "140105"))
        self.assertEqual(r.status, 201, r)
        # A hearing (the hearings' part) with a invited to observe.
        chief = token("chief_prosecutor", "140105")
        r = wf("POST", "/hearing-pools/140105", {"name": "专家甲", "kind": "expert"}, bearer=chief)
        self.assertEqual(r.status, 201, r)
        starts = gytest.format_instant(gytest.now_ms() + 10 * 86400000)
        r = wf("POST", "/cases/%s/hearings" % case_id,
               {"starts_at": starts, "place": "小店区人民检察院听证室", "public": False,
                "topic": "汾河整治听证", "members": [r.json()["id"]],
                "volunteers": [{"volunteer_id": a, "as": "observer"}]}, bearer=chief)
        self.assertEqual(r.status, 201, r)
        hearing = r.json()["id"]
        r = wf("GET", "/me/tasks", bearer=token("volunteer", "140105", sub=a))
        self.assertEqual(r.status, 200, r)
        mine = r.json()
        self.assertEqual([(t["case_id"], t["question"], t["state"])
                          for t in mine["consultations"]],
                         [(case_id, "汾河水质如何？", "asked")])
        self.assertEqual(mine["supervisions"], [])
        self.assertEqual([(h["id"], h["case_id"], h["as"], h["topic"], h["state"])
                          for h in mine["hearings"]],
                         [(hearing, case_id, "observer", "汾河整治听证", "scheduled")])
        r = wf("GET", "/me/tasks", bearer=token("volunteer", "140105", sub=b))
        theirs = r.json()
        self.assertEqual(theirs["consultations"], [])
        self.assertEqual([s["case_id"] for s in theirs["supervisions"]], [case_id])
        self.assertEqual(theirs["hearings"], [])
        self.assertNotIn("requested_by", str(mine))
        r = wf("GET", "/me/tasks", bearer=token("prosecutor", "140105"))
        self.assertError(r, 403, "forbidden")


class AccessMatrixTest(VolunteersTestCase):
    """Every endpoint of volunteers' work x role x jurisdiction, on a case of
    新荣区 (140212): a caller who may act gets past the guard and the scope
    to the rule's refusal (409, 422) or the answer (200); anyone else 401,
    403 or 404 — and nothing is written either way."""

    def test_every_endpoint_role_and_jurisdiction(self):
        case_id = open_case("140212", "大同测试 访问矩阵")
        owner = register("140212", roles=("assessor",), expertise=("heroes_martyrs",))
        r = wf("POST", "/cases/%s/consultations" % case_id,
               {"question": "?", "field": "heroes_martyrs"}, bearer=token("prosecutor", "140212"))
        self.assertEqual(r.status, 201, r)
        task = r.json()["tasks"][0]["id"]
        r = wf("POST", "/consultations/%s/answer" % task, {"answer": "已答"},
               bearer=token("volunteer", "140212", sub=owner))
        self.assertEqual(r.status, 200, r)
        before = written()
        handlers = ("prosecutor", "chief_prosecutor")
        # (method, path, body, role -> status when in scope)
        cases = [
            ("POST", "/cases/%s/consultations" % case_id, {"question": "?", "field": "military"},
             {h: 422 for h in handlers}),
            ("GET", "/cases/%s/consultations" % case_id, None, {h: 200 for h in handlers}),
            ("POST", "/cases/%s/supervisors" % case_id, {"volunteer_id": str(uuid.uuid4())},
             {h: 422 for h in handlers}),
            ("GET", "/cases/%s/supervisors" % case_id, None, {h: 200 for h in handlers}),
            ("GET", "/cases/%s/observations" % case_id, None, {h: 200 for h in handlers}),
        ]
        places = {"140212": True, "140200": True, "140000": True, "140213": False,
                  "430104": False}
        for method, path, body, allowed in cases:
            for role in ("prosecutor", "chief_prosecutor", "volunteer", "admin", "integrator"):
                for proc, in_scope in places.items():
                    with self.subTest(method=method, path=path, role=role, proc=proc):
                        sub = str(uuid.uuid4()) if role == "volunteer" else None
                        r = wf(method, path, body, bearer=token(role, proc, sub=sub))
                        if role not in allowed:
                            self.assertError(r, 403, "forbidden")
                        elif not in_scope:
                            self.assertError(r, 404, "not_found")
                            self.assertNotIn(case_id, r.body.decode())
                        else:
                            self.assertEqual(r.status, allowed[role], r)
            with self.subTest(method=method, path=path, role=None):
                self.assertError(wf(method, path, body), 401, "unauthenticated", "Authorization")
        # A volunteer's routes: their own only, wherever their token says they are.
        obs = {"observed_on": days_ago(9), "place": "p", "text": "t", "finding": "partly"}
        mine = [
            ("POST", "/consultations/%s/answer" % task, {"answer": "again"}, 409, 404),
            ("POST", "/consultations/%s/decline" % task, {"reason": "x"}, 409, 404),
            ("POST", "/cases/%s/observations" % case_id, obs, 403, 403),
            ("GET", "/me/tasks", None, 200, 200),
        ]
        for method, path, body, own, other in mine:
            for role in ("prosecutor", "chief_prosecutor", "volunteer", "admin", "integrator"):
                for who in ("owner", "other"):
                    with self.subTest(method=method, path=path, role=role, who=who):
                        sub = owner if who == "owner" else str(uuid.uuid4())
                        r = wf(method, path, body, bearer=token(role, "140212", sub=sub))
                        if role != "volunteer":
                            self.assertError(r, 403, "forbidden")
                        elif who == "owner":
                            self.assertEqual(r.status, own, r)
                        else:
                            self.assertEqual(r.status, other, r)
                            self.assertNotIn(task, r.body.decode())
            with self.subTest(method=method, path=path, role=None):
                self.assertError(wf(method, path, body), 401, "unauthenticated", "Authorization")
        self.assertEqual(written(), before)


if __name__ == "__main__":
    unittest.main()
