"""The workflow's clue review end to end: a clue submitted to intake is
routed by the router and lands in the workflow's review queue exactly once;
it is assigned by a person or by the procuratorate's rotation; the chief
prosecutor decides 不立案 or 立案 (a case), and further clues join the
case; every refusal (wrong state, wrong role, another jurisdiction, a stale
version) writes nothing; a transfer (移送) moves the review; the clues of
one matter are shown together; and the reporter's timeline shows 已立案
and 不立案.

One intake, one router (API on, for transfers) and one workflow on one
database; real PostgreSQL, Redis and ZeroMQ."""

import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}
WORKFLOW = "workflow-t1"


def setUpModule():
    gytest.require_workflow_build()
    folder = gytest.run_dir("test_workflow")
    S["folder"] = folder
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("workflow")
    S["db"] = gytest.Db(S["dbname"])
    intake = gytest.Intake(folder, "intake-w1", S["dbname"],
                           env={"GY_TOKEN_PUBLIC_KEY_FILE": S["token_public"]})
    router = gytest.Router(folder, "router-w1", S["dbname"], [intake], env=gytest.router_api_env(
        folder, S["token_secret"], S["token_public"], GY_DEADLINE_SCAN_MS="0"))
    workflow = gytest.Workflow(folder, WORKFLOW, S["dbname"], [router],
                               token_public=S["token_public"])
    S.update(intake=intake, router=router, workflow=workflow)
    # Each names the others' endpoints, chosen when they were made; a
    # start that had to take other ports is followed by a restart of the
    # processes that name them.
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


def submit(region="140213", text=None, **overrides):
    """A clue of its own matter (unique text: the router clusters alike
    clues); returns (clue id, receipt code)."""
    tag = uuid.uuid4().hex
    text = text or "工厂夜间偷排污水，河道发黑发臭，编号 %s。" % tag
    clue = valid_clue(title=overrides.pop("title", "偷排污水 %s" % tag[:8]), description=text,
                      region_code=region, location={"address": "大同市"}, **overrides)
    r = S["intake"].post_clue(clue, idem=str(uuid.uuid4()))
    assert r.status == 201, r
    return r.json()["id"], r.json()["receipt_code"]


def wait(predicate, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("%s within %.0f s; workflow log:\n%s" % (what, timeout,
                                                                   S["workflow"].log_tail()))


def review_row(cid):
    rows = S["db"].query("SELECT state, procuratorate, assignee, version FROM workflow.review "
                         "WHERE clue_id = %s", (cid,))
    return rows[0] if rows else None


def wait_review(cid, state="under_review", procuratorate=None):
    return wait(lambda: (review_row(cid) if review_row(cid) and review_row(cid)[0] == state and
                         (procuratorate is None or review_row(cid)[1] == procuratorate)
                         else None),
                "no review of %s in state %s" % (cid, state))


def written(cid):
    """What a refusal must leave as it was: the review, its history, the
    cases, the outbox."""
    db = S["db"]
    return (review_row(cid),
            db.scalar("SELECT count(*) FROM workflow.review_history WHERE clue_id = %s", (cid,)),
            db.scalar('SELECT count(*) FROM workflow."case"'),
            db.scalar("SELECT count(*) FROM workflow.case_clue"),
            db.scalar(gytest.WORKFLOW_EVENTS_WRITTEN))


def events(type_, **match):
    return gytest.workflow_events(S["db"], type_, **match)


def timeline(receipt):
    r = call("intake", "GET", "/api/v1/clues/%s" % receipt)
    assert r.status == 200, r
    return r.json()


class ReviewTest(gytest.IntakeTestCase):

    def test_a_routed_clue_is_under_review_once_in_the_unassigned_queue(self):
        cid, _ = submit("140213")
        wait_review(cid, procuratorate="140213")
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM workflow.review "
                                        "WHERE clue_id = %s", (cid,)), 1)
        chief = token("chief_prosecutor", "140213")
        items = []
        after = None
        while True:  # every page: the clue is in the queue exactly once
            r = wf("GET", "/reviews?queue=unassigned&limit=2" + ("&after=" + after
                                                                  if after else ""),
                   bearer=chief)
            self.assertEqual(r.status, 200, r)
            items += r.json()["items"]
            after = r.json()["next"]
            if not after:
                break
        self.assertEqual([i["clue_id"] for i in items].count(cid), 1)
        mine = [i for i in items if i["clue_id"] == cid][0]
        self.assertEqual((mine["state"], mine["procuratorate"], mine["assignee"], mine["version"],
                          mine["field_code"], mine["case_kinds"]),
                         ("under_review", "140213", None, 1, "ecology", "both"))
        started = events("ClueReviewStarted", clue_id=cid)
        self.assertEqual(len(started), 1)
        self.assertEqual((started[0].procuratorate, started[0].assignee,
                          started[0].from_procuratorate), ("140213", "", ""))
        r = wf("GET", "/reviews/%s" % cid, bearer=chief)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([(h["event"], h["to_state"], h["actor"]) for h in r.json()["history"]],
                         [("route", "under_review", "router")])

    def test_a_clue_in_a_triage_queue_is_not_for_review(self):
        cid, _ = submit("140200")  # a city code: the router's triage queue
        wait_review(cid, state="triage", procuratorate="140200")
        city = token("chief_prosecutor", "140200")
        r = wf("GET", "/reviews?queue=all&limit=100", bearer=city)
        self.assertNotIn(cid, [i["clue_id"] for i in r.json()["items"]])
        before = written(cid)
        r = wf("POST", "/reviews/%s/decide" % cid, {"decision": "open", "case_kind": "civil"},
               bearer=city)
        self.assertError(r, 409, "invalid_state", "state")
        self.assertIn("the review is triage", r.json()["error"]["message"])
        self.assertIn("(allowed: transfer)", r.json()["error"]["message"])
        self.assertEqual(written(cid), before)
        self.assertEqual(events("ClueReviewStarted", clue_id=cid), [])

    def test_assignment_by_a_person(self):
        cid, _ = submit("140213")
        wait_review(cid)
        p1 = token("prosecutor", "140213")
        p2_sub = "prosecutor-140213-zhang"
        before = written(cid)
        # A prosecutor takes clues for themselves only.
        r = wf("POST", "/reviews/%s/assign" % cid, {"prosecutor": p2_sub}, bearer=p1)
        self.assertError(r, 403, "forbidden")
        self.assertEqual(written(cid), before)
        me = "prosecutor-140213-self-" + uuid.uuid4().hex[:6]
        mine = token("prosecutor", "140213", sub=me)
        r = wf("POST", "/reviews/%s/assign" % cid, {"prosecutor": me, "expected_version": 1},
               bearer=mine)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["review"]["assignee"], r.json()["review"]["version"]), (me, 2))
        r = wf("GET", "/reviews?queue=mine", bearer=mine)
        self.assertEqual([i["clue_id"] for i in r.json()["items"]], [cid])
        # The chief gives it to someone else.
        chief = token("chief_prosecutor", "140213")
        r = wf("POST", "/reviews/%s/assign" % cid,
               {"prosecutor": p2_sub, "reason": "张检察官熟悉该企业"}, bearer=chief)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["review"]["assignee"], p2_sub)
        self.assertEqual(wf("GET", "/reviews?queue=mine", bearer=mine).json()["items"], [])
        history = r.json()["history"]
        self.assertEqual([(h["event"], h["reason"]) for h in history][-1],
                         ("assign", "张检察官熟悉该企业"))
        assigned = events("ClueReviewAssigned", clue_id=cid)
        self.assertEqual([(e.assignee, e.by) for e in assigned], [(me, me), (p2_sub,
                         history[-1]["actor"])])

    def test_round_robin_over_the_chiefs_rotation(self):
        chief = token("chief_prosecutor", "140214")
        r = wf("PUT", "/rotations/140214", {"prosecutors": ["p-li", "p-wang"]}, bearer=chief)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"procuratorate": "140214", "prosecutors": ["p-li", "p-wang"],
                                    "next": "p-li"})
        # Only a chief of that jurisdiction sets it.
        self.assertError(wf("PUT", "/rotations/140214", {"prosecutors": []},
                            bearer=token("prosecutor", "140214")), 403, "forbidden")
        self.assertError(wf("PUT", "/rotations/140214", {"prosecutors": []},
                            bearer=token("chief_prosecutor", "140213")), 404, "not_found")
        ids = [submit("140214")[0] for _ in range(3)]
        for cid in ids:
            wait_review(cid, procuratorate="140214")
        self.assertEqual([review_row(c)[2] for c in ids], ["p-li", "p-wang", "p-li"])
        self.assertEqual([e.assignee for c in ids for e in events("ClueReviewStarted",
                                                                  clue_id=c)],
                         ["p-li", "p-wang", "p-li"])
        self.assertEqual(wf("GET", "/rotations/140214", bearer=chief).json()["next"], "p-wang")
        # An empty list turns it off: the next clue waits in the queue.
        r = wf("PUT", "/rotations/140214", {"prosecutors": []}, bearer=chief)
        self.assertEqual(r.json(), {"procuratorate": "140214", "prosecutors": [], "next": None})
        cid, _ = submit("140214")
        self.assertIsNone(wait_review(cid)[2])


class DecisionTest(gytest.IntakeTestCase):

    def test_not_opened_with_a_public_reason_for_the_reporter(self):
        cid, receipt = submit("140213")
        wait_review(cid)
        chief = token("chief_prosecutor", "140213")
        r = wf("POST", "/reviews/%s/decide" % cid,
               {"decision": "not_opened", "reason": "经现场核查，排污口已于上月封堵，举报人王某所述不实",
                "public_reason": "经审查，反映的问题已整改，不符合立案条件。",
                "expected_version": 1}, bearer=chief)
        self.assertEqual(r.status, 200, r)
        review = r.json()["review"]
        self.assertEqual((review["state"], review["version"], review["public_reason"]),
                         ("not_opened", 2, "经审查，反映的问题已整改，不符合立案条件。"))
        ev = events("ClueNotOpened", clue_id=cid)
        self.assertEqual(len(ev), 1)
        self.assertEqual((ev[0].procuratorate, ev[0].public_reason, ev[0].field_code),
                         ("140213", "经审查，反映的问题已整改，不符合立案条件。", "ecology"))
        # The reporter sees 不立案 with the public reason, never the internal one.
        t = wait(lambda: (lambda j: j if j["status"] == "not_opened" else None)(timeline(receipt)),
                 "no not_opened step on the reporter's timeline")
        step = t["timeline"][-1]
        self.assertEqual(step["reason"], "经审查，反映的问题已整改，不符合立案条件。")
        self.assertEqual(step["procuratorate"]["name"], "大同市平城区人民检察院")
        self.assertNotIn("王某", str(t))
        # Decided: nothing more is allowed, and a refusal writes nothing.
        before = written(cid)
        r = wf("POST", "/reviews/%s/decide" % cid, {"decision": "open", "case_kind": "civil"},
               bearer=chief)
        self.assertError(r, 409, "invalid_state", "state")
        self.assertEqual(r.json()["error"]["message"],
                         "the review is not_opened; open is not allowed (allowed: none)")
        self.assertEqual(written(cid), before)

    def test_open_a_case_and_join_clues_to_it(self):
        cid, receipt = submit("140213")
        other, other_receipt = submit("140213")
        wait_review(cid)
        wait_review(other)
        chief = token("chief_prosecutor", "140213", sub="chief-140213")
        r = wf("POST", "/reviews/%s/decide" % cid,
               {"decision": "open", "case_kind": "administrative", "harm_ongoing": True,
                "reason": "行政机关未依法履职"}, bearer=chief)
        self.assertEqual(r.status, 201, r)
        case_id = r.json()["review"]["case_id"]
        self.assertEqual(r.json()["review"]["state"], "opened")
        r = wf("GET", "/cases/%s" % case_id, bearer=chief)
        self.assertEqual(r.status, 200, r)
        case = r.json()
        self.assertEqual((case["kind"], case["procuratorate"], case["field_code"], case["state"],
                          case["harm_ongoing"], case["heroes"], case["opened_by"]),
                         ("administrative", "140213", "ecology", "opened", True, False,
                          "chief-140213"))
        self.assertEqual(case["title"], "生态环境和资源保护行政公益诉讼案")
        self.assertEqual([c["clue_id"] for c in case["clues"]], [cid])
        opened = events("CaseOpened", case_id=case_id)
        self.assertEqual(len(opened), 1)
        self.assertEqual((list(opened[0].clue_ids), opened[0].kind, opened[0].opened_by,
                          opened[0].harm_ongoing), ([cid], "administrative", "chief-140213", True))
        # A prosecutor joins another clue of the same procuratorate.
        p = token("prosecutor", "140213")
        r = wf("POST", "/reviews/%s/decide" % other, {"decision": "join", "case_id": case_id},
               bearer=p)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["review"]["state"], r.json()["review"]["case_id"]),
                         ("joined", case_id))
        case = wf("GET", "/cases/%s" % case_id, bearer=p).json()
        self.assertEqual([(c["clue_id"], c["how"]) for c in case["clues"]],
                         [(cid, "opened"), (other, "joined")])
        self.assertEqual(len(events("ClueJoined", clue_id=other, case_id=case_id)), 1)
        # Every reporter follows their own receipt code: both see 已立案.
        for rc in (receipt, other_receipt):
            t = wait(lambda: (lambda j: j if j["status"] == "case_opened" else None)(
                timeline(rc)), "no case_opened step for %s" % rc)
            self.assertEqual(t["timeline"][-1]["procuratorate"],
                             {"code": "140213", "name": "大同市平城区人民检察院"})
        # A clue of another procuratorate cannot join it.
        far, _ = submit("140212")
        wait_review(far)
        before = written(far)
        r = wf("POST", "/reviews/%s/decide" % far, {"decision": "join", "case_id": case_id},
               bearer=token("prosecutor", "140200"))
        self.assertError(r, 409, "invalid_case", "case_id")
        # ... and from the county's own scope the case does not exist.
        r = wf("POST", "/reviews/%s/decide" % far, {"decision": "join", "case_id": case_id},
               bearer=token("prosecutor", "140212"))
        self.assertError(r, 422, "unknown_case", "case_id")
        self.assertEqual(written(far), before)
        # A case that ended takes no more clues.  (Its stages are the case
        # machines' and not run by the service yet: the row is set here.)
        for ended in ("closed", "terminated"):
            late, _ = submit("140213")
            wait_review(late)
            S["db"].query('UPDATE workflow."case" SET state = %s WHERE id = %s',
                          (ended, case_id))
            before = written(late)
            r = wf("POST", "/reviews/%s/decide" % late, {"decision": "join", "case_id": case_id},
                   bearer=p)
            self.assertError(r, 409, "invalid_case", "case_id")
            self.assertEqual(written(late), before)
        S["db"].query('UPDATE workflow."case" SET state = %s WHERE id = %s', ("opened", case_id))

    def test_the_cases_in_scope_page_by_page(self):
        ids = []
        chief = token("chief_prosecutor", "140222")
        for _ in range(3):
            cid, _ = submit("140222")
            wait_review(cid)
            r = wf("POST", "/reviews/%s/decide" % cid,
                   {"decision": "open", "case_kind": "administrative"}, bearer=chief)
            self.assertEqual(r.status, 201, r)
            ids.append(r.json()["review"]["case_id"])
        seen, after = [], None
        while True:
            r = wf("GET", "/cases?limit=2" + ("&after=" + after if after else ""), bearer=chief)
            self.assertEqual(r.status, 200, r)
            seen += [c["id"] for c in r.json()["items"]]
            after = r.json()["next"]
            if not after:
                break
        self.assertEqual(seen, ids)
        city = [c["id"] for c in wf("GET", "/cases?limit=100",
                                    bearer=token("prosecutor", "140200")).json()["items"]]
        self.assertTrue(set(ids) <= set(city))
        self.assertEqual(wf("GET", "/cases?limit=100",
                            bearer=token("prosecutor", "140221")).json()["items"], [])
        self.assertError(wf("GET", "/cases?state=open", bearer=chief), 400, "unknown_parameter")

    def test_refusals_write_nothing(self):
        cid, _ = submit("140213")
        wait_review(cid)
        before = written(cid)
        body = {"decision": "open", "case_kind": "civil"}
        # Wrong role: 立案 is the chief's; a volunteer has no business here.
        self.assertError(wf("POST", "/reviews/%s/decide" % cid, body,
                            bearer=token("prosecutor", "140213")), 403, "forbidden")
        self.assertError(wf("POST", "/reviews/%s/decide" % cid, body,
                            bearer=token("volunteer", "140213")), 403, "forbidden")
        self.assertError(wf("GET", "/reviews/%s" % cid, bearer=token("admin", "140213")), 403,
                         "forbidden")
        self.assertError(wf("GET", "/reviews/%s" % cid), 401, "unauthenticated", "Authorization")
        # Another jurisdiction: as if it did not exist (a sibling county, another city).
        for proc in ("140212", "430104"):
            other = token("chief_prosecutor", proc)
            for method, path, b in (("GET", "/reviews/%s" % cid, None),
                                    ("POST", "/reviews/%s/decide" % cid, body),
                                    ("POST", "/reviews/%s/assign" % cid, {"prosecutor": "x"})):
                r = wf(method, path, b, bearer=other)
                self.assertError(r, 404, "not_found")
                self.assertNotIn(cid, r.body.decode())
            self.assertNotIn(cid, wf("GET", "/reviews?queue=all&limit=100",
                                     bearer=other).body.decode())
        # The city above sees its county's review.
        self.assertEqual(wf("GET", "/reviews/%s" % cid,
                            bearer=token("prosecutor", "140200")).status, 200)
        # A stale version.
        chief = token("chief_prosecutor", "140213")
        r = wf("POST", "/reviews/%s/decide" % cid, dict(body, expected_version=7), bearer=chief)
        self.assertError(r, 409, "conflict", "expected_version")
        # Bodies the API refuses.
        self.assertError(wf("POST", "/reviews/%s/decide" % cid, {"decision": "close"},
                            bearer=chief), 400, "invalid_value", "decision")
        self.assertError(wf("POST", "/reviews/%s/decide" % cid,
                            {"decision": "not_opened", "reason": "x"}, bearer=chief), 400,
                         "missing_field", "public_reason")
        self.assertError(wf("POST", "/reviews/%s/decide" % cid,
                            {"decision": "join", "case_id": str(uuid.uuid4())}, bearer=chief),
                         422, "unknown_case", "case_id")
        self.assertError(wf("POST", "/reviews/%s/decide" % str(uuid.uuid4()), body,
                            bearer=chief), 404, "not_found")
        self.assertEqual(written(cid), before)

    def test_concurrent_decisions_one_wins(self):
        """Optimistic concurrency: many assignments on one version, and many
        chiefs opening one review at once — one wins, the others get 409
        and write nothing."""
        import threading
        cid, _ = submit("140213")
        wait_review(cid)
        chief = token("chief_prosecutor", "140213")

        def race(bodies, path):
            results = [None] * len(bodies)

            def go(i):
                results[i] = wf("POST", path, bodies[i], bearer=chief)
            threads = [threading.Thread(target=go, args=(i,)) for i in range(len(bodies))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            return results

        results = race([{"prosecutor": "p-%d" % i, "expected_version": 1} for i in range(8)],
                       "/reviews/%s/assign" % cid)
        self.assertEqual(sorted(r.status for r in results), [200] + [409] * 7, results)
        for r in results:
            if r.status == 409:
                self.assertEqual(r.json()["error"]["code"], "conflict")
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM workflow.review_history "
                                        "WHERE clue_id = %s AND event = 'assign'", (cid,)), 1)
        results = race([{"decision": "open", "case_kind": "civil"}] * 6,
                       "/reviews/%s/decide" % cid)
        self.assertEqual(sorted(r.status for r in results), [201] + [409] * 5, results)
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM workflow.case_clue "
                                        "WHERE clue_id = %s", (cid,)), 1)
        self.assertEqual(len([e for e in events("CaseOpened") if list(e.clue_ids) == [cid]]), 1)

    def test_a_field_allows_only_its_case_kinds(self):
        # 国有财产保护 allows administrative cases only (reference/fields.csv).
        cid, _ = submit("140213", text="国有资产被低价转让，国有财产流失，编号 %s。"
                        % uuid.uuid4().hex, title="国有资产流失", field_code="state_property")
        wait_review(cid)
        self.assertEqual(S["db"].scalar("SELECT case_kinds FROM workflow.review "
                                        "WHERE clue_id = %s", (cid,)), "administrative")
        chief = token("chief_prosecutor", "140213")
        before = written(cid)
        self.assertError(wf("POST", "/reviews/%s/decide" % cid,
                            {"decision": "open", "case_kind": "civil"}, bearer=chief), 422,
                         "case_kind_not_allowed", "case_kind")
        self.assertEqual(written(cid), before)


class MovesTest(gytest.IntakeTestCase):

    def test_a_transfer_moves_the_review_unassigned_with_its_history(self):
        cid, _ = submit("140213")
        wait_review(cid)
        me = "prosecutor-140213-t"
        p = token("prosecutor", "140213", sub=me)
        self.assertEqual(wf("POST", "/reviews/%s/assign" % cid, {"prosecutor": me},
                            bearer=p).status, 200)
        r = call("router", "POST", "/api/v1/routed-clues/%s/transfer" % cid,
                 {"to": "140212", "reason": "污染源位于新荣区"}, bearer=p)
        self.assertEqual(r.status, 201, r)
        r = call("router", "POST", "/api/v1/transfers/%s/accept" % r.json()["id"], {},
                 bearer=token("prosecutor", "140212"))
        self.assertEqual(r.status, 200, r)
        state, proc, assignee, _ = wait_review(cid, procuratorate="140212")
        self.assertIsNone(assignee)
        receiver = token("prosecutor", "140212")
        r = wf("GET", "/reviews/%s" % cid, bearer=receiver)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([(h["event"], h["procuratorate"]) for h in r.json()["history"]],
                         [("route", "140213"), ("assign", "140213"), ("transfer", "140212")])
        # The step is the receiver's acceptance (ClueTransferred "accepted").
        self.assertEqual(r.json()["history"][-1]["detail"]["from_procuratorate"], "140213")
        self.assertTrue(r.json()["history"][-1]["actor"].startswith("prosecutor-140212"))
        self.assertIn(cid, [i["clue_id"] for i in wf("GET", "/reviews?queue=unassigned&limit=100",
                                                        bearer=receiver).json()["items"]])
        self.assertError(wf("GET", "/reviews/%s" % cid, bearer=p), 404, "not_found")
        started = events("ClueReviewStarted", clue_id=cid)
        self.assertEqual([(e.procuratorate, e.from_procuratorate) for e in started],
                         [("140213", ""), ("140212", "140213")])

    def test_a_triage_clue_placed_by_a_transfer_comes_under_review(self):
        cid, _ = submit("140200")
        wait_review(cid, state="triage")
        city = token("prosecutor", "140200")
        r = call("router", "POST", "/api/v1/routed-clues/%s/transfer" % cid,
                 {"to": "140215", "reason": "属云州区管辖"}, bearer=city)
        self.assertEqual(r.status, 201, r)
        r = call("router", "POST", "/api/v1/transfers/%s/accept" % r.json()["id"], {},
                 bearer=token("prosecutor", "140215"))
        self.assertEqual(r.status, 200, r)
        wait_review(cid, procuratorate="140215")
        self.assertEqual([(e.procuratorate, e.from_procuratorate)
                          for e in events("ClueReviewStarted", clue_id=cid)],
                         [("140215", "140200")])

    def test_a_triage_clue_the_superior_keeps_comes_under_review_there(self):
        """A dispute decided for the side that had the clue: the router puts
        it in that procuratorate's handling queue, so its review starts
        there."""
        cid, _ = submit("140200")
        wait_review(cid, state="triage")
        city = token("prosecutor", "140200")
        r = call("router", "POST", "/api/v1/routed-clues/%s/transfer" % cid,
                 {"to": "140221", "reason": "疑属阳高县管辖"}, bearer=city)
        self.assertEqual(r.status, 201, r)
        tid = r.json()["id"]
        r = call("router", "POST", "/api/v1/transfers/%s/dispute" % tid,
                 {"reason": "污染源不在本县"}, bearer=token("prosecutor", "140221"))
        self.assertEqual(r.status, 200, r)
        r = call("router", "POST", "/api/v1/transfers/%s/decide" % tid,
                 {"procuratorate": "140200", "reason": "由市院办理"}, bearer=city)
        self.assertEqual(r.status, 200, r)
        wait_review(cid, procuratorate="140200")
        self.assertEqual([(e.procuratorate, e.from_procuratorate)
                          for e in events("ClueReviewStarted", clue_id=cid)],
                         [("140200", "140200")])

    def test_the_clues_of_one_matter_are_shown_together(self):
        """A review carries its cluster: the router's cluster id and its
        siblings, the other clues of that cluster in the caller's scope,
        each with its state and case.  So when one clue of a matter is
        opened, its siblings in the queue show the case to join."""
        text = ("平城区某化工厂每天深夜向御河排放刺鼻废水，岸边草木枯死，鱼虾绝迹，"
                "附近村民多次反映无果。编号 %s" % uuid.uuid4().hex[:6])
        first, _ = submit("140213", text=text, title="化工厂向御河排放废水")
        wait_review(first)
        second, _ = submit("140213", text=text, title="化工厂向御河排放废水")
        wait_review(second)
        cluster = S["db"].scalar("SELECT cluster_id::text FROM workflow.review "
                                 "WHERE clue_id = %s", (second,))
        self.assertEqual(cluster, first, "the router put both in one cluster")
        chief = token("chief_prosecutor", "140213")
        r = wf("POST", "/reviews/%s/decide" % first, {"decision": "open", "case_kind": "civil"},
               bearer=chief)
        self.assertEqual(r.status, 201, r)
        case_id = r.json()["review"]["case_id"]
        items = []
        after = None
        while True:
            r = wf("GET", "/reviews?queue=all&limit=100" + ("&after=" + after if after else ""),
                   bearer=chief)
            items += r.json()["items"]
            after = r.json()["next"]
            if not after:
                break
        item = [i for i in items if i["clue_id"] == second][0]
        self.assertEqual(item["cluster"]["id"], first)
        self.assertEqual([(s["clue_id"], s["state"], s["case_id"])
                          for s in item["cluster"]["siblings"]],
                         [(first, "opened", case_id)])
        # A split by a prosecutor at the router (ClusterChanged) parts them.
        p = token("prosecutor", "140213")
        r = call("router", "POST", "/api/v1/routed-clues/%s/split" % second,
                 {"reason": "两家不同的工厂"}, bearer=p)
        self.assertEqual(r.status, 200, r)
        wait(lambda: S["db"].scalar("SELECT cluster_id::text FROM workflow.review "
                                    "WHERE clue_id = %s", (second,)) != first,
             "the review did not follow the split")
        r = wf("GET", "/reviews/%s" % second, bearer=p)
        self.assertEqual(r.json()["review"]["cluster"]["siblings"], [])
        self.assertEqual(r.json()["history"][-1]["event"], "cluster")


class AccessMatrixTest(gytest.IntakeTestCase):
    """Every endpoint x role x jurisdiction, on a review of 平城区 (140213)
    that is decided already and its case: a caller who may act gets past
    the guard and the scope to the state check (409) or the answer (200);
    anyone else 401, 403 or 404 — and nothing is written either way."""

    def test_every_endpoint_role_and_jurisdiction(self):
        cid, _ = submit("140213")
        wait_review(cid)
        chief = token("chief_prosecutor", "140213")
        r = wf("POST", "/reviews/%s/decide" % cid, {"decision": "open", "case_kind": "civil"},
               bearer=chief)
        self.assertEqual(r.status, 201, r)
        case_id = r.json()["review"]["case_id"]
        before = written(cid)
        rotation = S["db"].query("SELECT * FROM workflow.rotation WHERE procuratorate = '140213'")

        # (method, path, body, who may: role -> expected status when in scope)
        endpoints = [
            ("GET", "/reviews?queue=all", None, {"prosecutor": 200, "chief_prosecutor": 200}),
            ("GET", "/reviews/%s" % cid, None, {"prosecutor": 200, "chief_prosecutor": 200}),
            ("POST", "/reviews/%s/assign" % cid, {"prosecutor": "p-x"},
             {"prosecutor": 403, "chief_prosecutor": 409}),
            ("POST", "/reviews/%s/decide" % cid, {"decision": "join", "case_id": case_id},
             {"prosecutor": 409, "chief_prosecutor": 409}),
            ("POST", "/reviews/%s/decide" % cid,
             {"decision": "not_opened", "reason": "x", "public_reason": "y"},
             {"prosecutor": 403, "chief_prosecutor": 409}),
            ("GET", "/cases/%s" % case_id, None, {"prosecutor": 200, "chief_prosecutor": 200}),
            ("GET", "/cases?limit=100", None, {"prosecutor": 200, "chief_prosecutor": 200}),
            ("GET", "/rotations/140213", None, {"prosecutor": 200, "chief_prosecutor": 200}),
        ]
        # in scope: the county, its city, its province; out: a sibling
        # county, another province's county
        places = {"140213": True, "140200": True, "140000": True, "140212": False,
                  "430104": False}
        for method, path, body, allowed in endpoints:
            for role in ("prosecutor", "chief_prosecutor", "volunteer", "admin", "integrator"):
                for proc, in_scope in places.items():
                    with self.subTest(method=method, path=path, role=role, proc=proc):
                        r = wf(method, path, body, bearer=token(role, proc))
                        if role not in allowed:
                            self.assertError(r, 403, "forbidden")
                            continue
                        want = allowed[role]
                        if want == 403:  # the role's own refusal comes first
                            self.assertError(r, 403, "forbidden")
                        elif not in_scope and "?" in path:
                            self.assertEqual(r.status, 200, r)
                            self.assertNotIn(cid, r.body.decode())
                        elif not in_scope:
                            self.assertError(r, 404, "not_found")
                            self.assertNotIn(cid, r.body.decode())
                        else:
                            self.assertEqual(r.status, want, r)
            with self.subTest(method=method, path=path, role=None):
                self.assertError(wf(method, path, body), 401, "unauthenticated", "Authorization")
        # Setting the rotation: the chief of the place or above only.
        for proc, in_scope in places.items():
            for role in ("prosecutor", "chief_prosecutor", "admin"):
                with self.subTest(path="PUT /rotations/140213", role=role, proc=proc):
                    r = wf("PUT", "/rotations/140213", {"prosecutors": []},
                           bearer=token(role, proc))
                    if role != "chief_prosecutor":
                        self.assertError(r, 403, "forbidden")
                    elif not in_scope:
                        self.assertError(r, 404, "not_found")
                    else:
                        self.assertEqual(r.status, 200, r)
        self.assertEqual(written(cid), before)
        self.assertEqual(S["db"].query("SELECT * FROM workflow.rotation "
                                       "WHERE procuratorate = '140213'"), rotation)


class ServiceTest(gytest.IntakeTestCase):

    def test_health_and_metrics(self):
        status, body = S["workflow"].health()
        self.assertEqual(status, 200, body)
        self.assertEqual(body["producer"], WORKFLOW)
        # The router's producer is known from its first heartbeat or list.
        wait(lambda: "router-w1" in S["workflow"].health()[1]["consumed"],
             "the router's producer is not in the workflow's consumed positions")
        text = S["workflow"].metrics()
        self.assertIn("gy_workflow_reviews_started_total", text)

    def test_intake_follows_the_workflow_only_with_the_router(self):
        lone = gytest.Intake(S["folder"], "intake-w-lone", S["dbname"],
                             env={"GY_WORKFLOW_SOURCES": "%s|%s" % (S["workflow"].events,
                                                                     S["workflow"].replay)})
        with self.assertRaises(AssertionError) as ctx:
            lone.start(timeout=10)
        self.assertIn("GY_WORKFLOW_SOURCES is set but GY_ROUTER_SOURCES is not", str(ctx.exception))
        lone.env["GY_ROUTER_SOURCES"] = "%s|%s" % (S["router"].events, S["router"].replay)
        lone.env["GY_WORKFLOW_SOURCES"] = "tcp://nowhere"
        with self.assertRaises(AssertionError) as ctx:
            lone.start(timeout=10)
        self.assertIn("invalid value for GY_WORKFLOW_SOURCES", str(ctx.exception))

    def test_without_a_token_key_the_api_is_off(self):
        """Reviews go on from the bus; the API's paths say why they answer
        no.  (A second instance on the same schema, following nothing.)"""
        off = gytest.Workflow(S["folder"], "workflow-w-off", S["dbname"], [],
                              env={"GY_SOURCES": "tcp://127.0.0.1:%d|tcp://127.0.0.1:%d"
                                                 % (gytest.free_port(), gytest.free_port())})
        off.start()
        try:
            r = off.get("/api/v1/workflow/reviews")
            self.assertError(r, 503, "api_unavailable")
            self.assertEqual(off.get("/api/v1/elsewhere").status, 404)
        finally:
            off.stop()

    def test_the_queues_query_is_checked(self):
        chief = token("chief_prosecutor", "140213")
        self.assertError(wf("GET", "/reviews?queue=inbox", bearer=chief), 400, "invalid_value",
                         "queue")
        self.assertError(wf("GET", "/reviews?colour=red", bearer=chief), 400,
                         "unknown_parameter")
        self.assertEqual(wf("DELETE", "/reviews", bearer=chief).status, 405)


if __name__ == "__main__":
    unittest.main()
