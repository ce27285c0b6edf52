"""Documents (文书) of a case end to end: numbered per procuratorate, series
and year from the reference templates (〔2026〕…号), gap-free and never
doubled under 50 concurrent issues; the year of a number is the Beijing
year (16:00 UTC on 31 December is already the next); the text from the
body template filled with the case's facts, or the prosecutor's own; an
Idempotency-Key makes a retried issue answer the document it made; served
once; attachments' metadata checked; roles and scope as elsewhere, and a
refusal writes nothing; DocumentIssued on the bus once per document.

One intake, one router and one workflow on one database (cases are opened
through the clue review, as in production); real PostgreSQL, Redis and
ZeroMQ.  Each test numbers at a procuratorate of its own."""

import datetime
import threading
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}
WORKFLOW = "workflow-d1"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def setUpModule():
    gytest.require_workflow_build()
    folder = gytest.run_dir("test_workflow_documents")
    S["folder"] = folder
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("workflow_documents")
    S["db"] = gytest.Db(S["dbname"])
    S["intake"] = gytest.Intake(folder, "intake-d1", S["dbname"]).start()
    S["router"] = gytest.Router(folder, "router-d1", S["dbname"], [S["intake"]],
                                env={"GY_DEADLINE_SCAN_MS": "0"}).start()
    S["workflow"] = gytest.Workflow(folder, WORKFLOW, S["dbname"], [S["router"]],
                                    token_public=S["token_public"]).start()


def tearDownModule():
    for name in ("workflow", "router", "intake"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def token(role, proc, sub=None, ttl=3600):
    return gytest.issue_token(S["token_secret"], sub or "%s-%s" % (role, proc), role=role,
                              proc=proc, ttl=ttl)


def wf(method, path, body=None, bearer=None, headers=None):
    h = dict(headers or {})
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


def open_case(region, kind="administrative"):
    """A case opened at a county through the review: submit a clue, wait
    for its review, open it as the chief."""
    tag = uuid.uuid4().hex
    clue = valid_clue(title="河道排污 %s" % tag[:8], description="工厂偷排污水，编号 %s。" % tag,
                      region_code=region, location={"address": "大同市"})
    r = S["intake"].post_clue(clue, idem=str(uuid.uuid4()))
    assert r.status == 201, r
    cid = r.json()["id"]
    wait(lambda: S["db"].scalar("SELECT state = 'under_review' FROM workflow.review "
                                "WHERE clue_id = %s", (cid,)), "no review of %s" % cid)
    r = wf("POST", "/reviews/%s/decide" % cid, {"decision": "open", "case_kind": kind},
           bearer=token("chief_prosecutor", region))
    assert r.status == 201, r
    return r.json()["review"]["case_id"]


def issue(case_id, kind, bearer, key=None, **body):
    body["kind"] = kind
    return wf("POST", "/cases/%s/documents" % case_id, body, bearer=bearer,
              headers={"Idempotency-Key": key} if key else None)


def events(type_, **match):
    return gytest.workflow_events(S["db"], type_, **match)


def beijing_year(ms):
    return (datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc) +
            datetime.timedelta(hours=8)).year


def written():
    """What a refusal must leave as it was."""
    db = S["db"]
    return (db.scalar("SELECT count(*) FROM workflow.document"),
            db.scalar("SELECT coalesce(sum(last_seq), 0) FROM workflow.document_counter"),
            db.scalar("SELECT count(*) FROM workflow.document_attachment"),
            db.scalar("SELECT count(*) FROM workflow.document WHERE served_at IS NOT NULL"),
            db.scalar(gytest.WORKFLOW_EVENTS_WRITTEN))


class DocumentsTest(gytest.IntakeTestCase):

    def test_numbers_per_procuratorate_kind_and_year_with_the_text_filled(self):
        year = beijing_year(gytest.now_ms())
        chief = token("chief_prosecutor", "140213")
        a, b = open_case("140213"), open_case("140213")
        civil = open_case("140213", "civil")
        other = open_case("140214")
        got = []
        for case, kind, who in ((a, "opening_decision", chief), (b, "opening_decision", chief),
                                (civil, "opening_decision", chief), (a, "suggestion", chief),
                                (b, "suggestion", chief),
                                (other, "opening_decision", token("chief_prosecutor", "140214"))):
            r = issue(case, kind, who, recipient="大同市平城区生态环境局")
            self.assertEqual(r.status, 201, r)
            got.append(r.json()["number"])
        self.assertEqual(got, ["平检行公立〔%d〕1号" % year, "平检行公立〔%d〕2号" % year,
                               "平检民公立〔%d〕1号" % year, "平检行公建〔%d〕1号" % year,
                               "平检行公建〔%d〕2号" % year, "云冈检行公立〔%d〕1号" % year])

        # The 检察建议书 of case b: its template filled with the case's facts.
        r = wf("GET", "/cases/%s/documents" % b, bearer=chief)
        self.assertEqual(r.status, 200, r)
        items = r.json()["items"]
        self.assertEqual([(d["kind"], d["seq"], d["text"]) for d in items],
                         [("opening_decision", 2, None), ("suggestion", 2, None)])
        doc = items[1]
        self.assertEqual((doc["name_zh"], doc["series"], doc["year"], doc["procuratorate"],
                          doc["recipient"], doc["issued_by"], doc["issued_role"],
                          doc["text_source"], doc["served"], doc["attachments"]),
                         ("检察建议书", "suggestion/administrative", year, "140213",
                          "大同市平城区生态环境局", "chief_prosecutor-140213", "chief_prosecutor",
                          "template", None, []))
        r = wf("GET", "/documents/%s" % doc["id"], bearer=chief)
        self.assertEqual(r.status, 200, r)
        text = r.json()["text"]
        self.assertTrue(text.startswith("大同市平城区人民检察院\n检察建议书\n\n平检行公建〔%d〕2号\n"
                                        % year), text)
        self.assertIn("\n大同市平城区生态环境局：\n", text)
        self.assertIn("本院在办理生态环境和资源保护行政公益诉讼案中发现", text)
        issued = datetime.datetime.fromisoformat(r.json()["issued_at"].replace("Z", "+00:00"))
        bj = issued.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
        digits = "〇一二三四五六七八九"
        self.assertIn("".join(digits[int(c)] for c in str(bj.year)) + "年", text)
        self.assertNotIn("{", text)

        # DocumentIssued once per document, with its number: in the outbox
        # and on the bus (the workflow's PUB and replay, as a subscriber
        # follows it).
        for number in got:
            ev = events("DocumentIssued", number=number)
            self.assertEqual(len(ev), 1, number)
        w = S["workflow"]
        follower = gytest.EventFollower(w.events, w.replay, WORKFLOW).start()
        try:
            def on_bus(f):
                return [e.document_issued.number for e in f.by_type("DocumentIssued")
                        if e.document_issued.number in got]
            self.assertTrue(follower.wait_for(lambda f: len(on_bus(f)) >= len(got)),
                            "DocumentIssued on the bus: %s" % on_bus(follower))
            self.assertEqual(sorted(on_bus(follower)), sorted(got))
            self.assertEqual(follower.errors, [])
            procs = {e.document_issued.number: e.procuratorate
                     for e in follower.by_type("DocumentIssued")}
            self.assertEqual([procs[n] for n in got], ["140213"] * 5 + ["140214"])
        finally:
            follower.stop()
        ev = events("DocumentIssued", document_id=doc["id"])[0]
        self.assertEqual((ev.case_id, ev.case_kind, ev.kind, ev.name_zh, ev.series, ev.year,
                          ev.seq, ev.procuratorate, ev.field_code, ev.recipient, ev.issued_by,
                          ev.transition),
                         (b, "administrative", "suggestion", "检察建议书",
                          "suggestion/administrative", year, 2, "140213", "ecology",
                          "大同市平城区生态环境局", "chief_prosecutor-140213", ""))

    def test_the_year_of_a_number_is_the_beijing_year(self):
        case = open_case("140215")
        # Valid on New Year's Eve too (the workflow's clock moves there).
        chief = token("chief_prosecutor", "140215", ttl=366 * 86400)
        workflow = S["workflow"]
        numbers = []
        try:
            # 23:59 on 31 December in Beijing (15:59 UTC), then midnight
            # (16:00 UTC): a number of the new year, counted from 1.
            for start in ("2026-12-31T23:59:00+08:00", "2026-12-31T16:00:00Z"):
                workflow.stop()
                workflow.env["GY_CLOCK_START"] = start
                workflow.start()
                for _ in range(2):
                    # The API's own connection may come up just after
                    # /healthz: 503 until then, as a client is told.
                    r = wait(lambda: (lambda r: r if r.status != 503 else None)(
                        issue(case, "opening_decision", chief, recipient="大同市云州区水务局")),
                        "the API after a restart", timeout=10)
                    self.assertEqual(r.status, 201, r)
                    numbers.append((r.json()["number"], r.json()["issued_at"][:10]))
        finally:
            workflow.stop()
            del workflow.env["GY_CLOCK_START"]
            workflow.start()
        self.assertEqual(numbers, [("云州检行公立〔2026〕1号", "2026-12-31"),
                                   ("云州检行公立〔2026〕2号", "2026-12-31"),
                                   ("云州检行公立〔2027〕1号", "2026-12-31"),
                                   ("云州检行公立〔2027〕2号", "2026-12-31")])
        r = wf("GET", "/cases/%s/documents" % case, bearer=chief)
        self.assertEqual([(d["year"], d["seq"]) for d in r.json()["items"]],
                         [(2026, 1), (2026, 2), (2027, 1), (2027, 2)])
        self.assertIn("二〇二七年一月一日", wf("GET", "/documents/%s" % r.json()["items"][2]["id"],
                                          bearer=chief).json()["text"])
        self.assertEqual(dict(S["db"].query("SELECT year, last_seq FROM workflow.document_counter "
                                            "WHERE procuratorate = '140215'")),
                         {2026: 2, 2027: 2})

    def test_fifty_concurrent_issues_are_numbered_1_to_50(self):
        case = open_case("140221")
        chief = token("chief_prosecutor", "140221")
        barrier = threading.Barrier(50)
        answers = [None] * 50

        def one(i):
            barrier.wait()
            answers[i] = issue(case, "opening_decision", chief, recipient="大同市阳高县水务局")

        threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual([a.status for a in answers], [201] * 50, [a for a in answers
                                                                   if a.status != 201][:3])
        seqs = sorted(a.json()["seq"] for a in answers)
        self.assertEqual(seqs, list(range(1, 51)))
        self.assertEqual(len({a.json()["number"] for a in answers}), 50)
        self.assertEqual(S["db"].scalar("SELECT last_seq FROM workflow.document_counter "
                                        "WHERE procuratorate = '140221'"), 50)
        ev = events("DocumentIssued", case_id=case)
        self.assertEqual(sorted(e.seq for e in ev), list(range(1, 51)))

    def test_a_failed_write_in_a_chain_of_numbers_holds_up_nothing(self):
        # Ten requests sent twice at once under one Idempotency-Key, among
        # 40: a repeat waits for its first try's write and answers its
        # document (written itself, it would fail on the key in the middle
        # of the chain of numbers in flight and take the numbers chained on
        # it down); none is answered 409, and the numbers stay 1..30.
        case = open_case("140224")
        chief = token("chief_prosecutor", "140224")
        # Five more, without the recipient the template needs, are refused
        # among them and take no number.
        barrier = threading.Barrier(45)
        answers = [None] * 45
        keys = ["pair-%d-%s" % (i % 30, uuid.uuid4().hex) for i in range(30)]

        def one(i):
            barrier.wait()
            if i >= 40:
                answers[i] = issue(case, "opening_decision", chief)
                return
            answers[i] = issue(case, "opening_decision", chief, key=keys[i % 30],
                               recipient="大同市广灵县水务局")

        threads = [threading.Thread(target=one, args=(i,)) for i in range(45)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for r in answers[40:]:
            self.assertError(r, 400, "missing_field", "recipient")
        answers = answers[:40]
        self.assertEqual(sorted(a.status for a in answers), [200] * 10 + [201] * 30,
                         [a for a in answers if a.status not in (200, 201)][:3])
        for i in range(10):
            self.assertEqual(answers[i].json()["number"], answers[i + 30].json()["number"])
        self.assertEqual(sorted({a.json()["seq"] for a in answers}), list(range(1, 31)))
        self.assertEqual(S["db"].scalar("SELECT last_seq FROM workflow.document_counter "
                                        "WHERE procuratorate = '140224'"), 30)

    def test_two_workflows_issuing_at_once_never_double_a_number(self):
        # A second process on the same database (its API only: its sources
        # lead nowhere): its numbers in flight are not this one's, so only
        # the guarded counter keeps them apart; a client retries a 409
        # conflict (four failed guards in a row) as the API says.
        case = open_case("140223")
        chief = token("chief_prosecutor", "140223")
        dead = "tcp://127.0.0.1:%d|tcp://127.0.0.1:%d" % (gytest.free_port(), gytest.free_port())
        second = gytest.Workflow(S["folder"], "workflow-d2", S["dbname"], [],
                                 token_public=S["token_public"], env={"GY_SOURCES": dead})
        second.start()
        ports = [S["workflow"].http_port, second.http_port]
        barrier = threading.Barrier(40)
        answers, conflicts = [None] * 40, [0] * 40

        def one(i):
            barrier.wait()
            for _ in range(200):
                r = gytest.http_request(ports[i % 2], "POST",
                                        "/api/v1/workflow/cases/%s/documents" % case,
                                        {"kind": "opening_decision", "recipient": "某局"},
                                        {"Content-Type": "application/json",
                                         "Authorization": "Bearer " + chief})
                if r.status == 503:  # the second's API connection not up yet
                    time.sleep(0.05)
                    continue
                if r.status != 409 or r.json()["error"]["code"] != "conflict":
                    answers[i] = r
                    return
                conflicts[i] += 1

        try:
            threads = [threading.Thread(target=one, args=(i,)) for i in range(40)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        finally:
            second.stop()
        guards = sum(w.log_text().count("moved since it was read")
                     for w in (S["workflow"], second))
        print("\ntwo workflows: %d failed counter guards decided again, %d answers 409 conflict "
              "retried by the client" % (guards, sum(conflicts)))
        self.assertEqual([a.status for a in answers], [201] * 40)
        self.assertEqual(sorted(a.json()["seq"] for a in answers), list(range(1, 41)))
        rows = S["db"].query("SELECT seq, number FROM workflow.document WHERE case_id = %s "
                             "ORDER BY seq", (case,))
        self.assertEqual([r[0] for r in rows], list(range(1, 41)))
        self.assertEqual(sorted(e.seq for e in events("DocumentIssued", case_id=case)),
                         list(range(1, 41)))

    def test_an_issue_retried_with_its_idempotency_key_answers_the_same_document(self):
        case = open_case("140212")
        chief = token("chief_prosecutor", "140212")
        key = "issue-" + uuid.uuid4().hex
        first = issue(case, "opening_decision", chief, key=key, recipient="某局")
        self.assertEqual(first.status, 201, first)
        before = written()
        again = issue(case, "opening_decision", chief, key=key, recipient="某局")
        self.assertEqual(again.status, 200, again)
        self.assertEqual((again.json()["id"], again.json()["number"]),
                         (first.json()["id"], first.json()["number"]))
        self.assertEqual(written(), before)
        r = issue(case, "opening_decision", chief, key=key, recipient="另一局")
        self.assertError(r, 409, "idempotency_conflict", "Idempotency-Key")
        self.assertEqual(written(), before)
        r = issue(case, "opening_decision", chief, key="bad\u00e9key")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(written(), before)
        self.assertEqual(len(events("DocumentIssued", document_id=first.json()["id"])), 1)

    def test_a_document_is_served_once(self):
        case = open_case("140212")
        prosecutor = token("prosecutor", "140212")
        r = issue(case, "closing_decision", prosecutor, recipient="大同市新荣区水务局")
        self.assertEqual(r.status, 201, r)
        doc = r.json()
        at = gytest.format_instant(gytest.now_ms() - 3600 * 1000)
        before = written()
        for body, field in (({"served_on": "某局", "served_at": at, "method": "fax"}, "method"),
                            ({"served_on": "某局", "served_at": "yesterday", "method": "post"},
                             "served_at"),
                            ({"served_on": "某局", "method": "post"}, "served_at"),
                            ({"served_on": "某局", "method": "post",
                              "served_at": gytest.format_instant(gytest.now_ms() + 86400000)},
                             "served_at"),
                            ({"served_on": "某局", "method": "post",
                              "served_at": gytest.format_instant(gytest.now_ms() - 86400000)},
                             "served_at"),
                            ({"served_on": "", "served_at": at, "method": "post"}, "served_on"),
                            ({"served_on": "某局", "served_at": at, "method": "post", "x": 1},
                             "x")):
            r = wf("POST", "/documents/%s/served" % doc["id"], body, bearer=prosecutor)
            self.assertEqual((r.status, r.json()["error"]["field"]), (400, field), r)
        self.assertEqual(written(), before)
        # What a transition that serves it finds: the latest one not served.
        unserved = "SELECT id::text FROM workflow.document_unserved(%s, 'closing_decision')"
        self.assertEqual(S["db"].scalar(unserved, (case,)), doc["id"])
        served_at = gytest.format_instant(gytest.now_ms() - 1000)
        r = wf("POST", "/documents/%s/served" % doc["id"],
               {"served_on": "大同市新荣区水务局", "served_at": served_at, "method": "direct"},
               bearer=prosecutor)
        self.assertEqual(r.status, 200, r)
        served = r.json()["served"]
        self.assertEqual((served["on"], served["method"], served["recorded_by"]),
                         ("大同市新荣区水务局", "direct", "prosecutor-140212"))
        self.assertEqual(r.json()["version"], 2)
        self.assertIsNone(S["db"].scalar(unserved, (case,)))
        after = written()
        r = wf("POST", "/documents/%s/served" % doc["id"],
               {"served_on": "别人", "served_at": served_at, "method": "post"}, bearer=prosecutor)
        self.assertError(r, 409, "already_served")
        self.assertEqual(written(), after)
        ev = events("DocumentServed", document_id=doc["id"])
        self.assertEqual(len(ev), 1)
        self.assertEqual((ev[0].served_on, ev[0].method, ev[0].number, ev[0].case_id),
                         ("大同市新荣区水务局", "direct", doc["number"], case))

    def test_attachments_are_checked(self):
        case = open_case("140212")
        prosecutor = token("prosecutor", "140212")
        doc = issue(case, "closing_decision", prosecutor, recipient="某局").json()
        good = {"name": "现场照片1.jpg", "media_type": "image/jpeg", "size": 204800,
                "sha256": SHA.upper()}
        before = written()
        for change, field in (({"sha256": SHA[:63]}, "sha256"), ({"sha256": "g" * 64}, "sha256"),
                              ({"sha256": None}, "sha256"), ({"size": -1}, "size"),
                              ({"size": "12"}, "size"), ({"size": 2 ** 53}, "size"),
                              ({"size": 1.5}, "size"), ({"name": ""}, "name"),
                              ({"name": "a/b.jpg"}, "name"), ({"name": "a\u0001b"}, "name"),
                              ({"name": "长" * 256}, "name"),
                              ({"media_type": "jpeg"}, "media_type"),
                              ({"media_type": None}, "media_type"), ({"extra": 1}, "extra")):
            body = dict(good, **change)
            body = {k: v for k, v in body.items() if v is not None}
            r = wf("POST", "/documents/%s/attachments" % doc["id"], body, bearer=prosecutor)
            self.assertEqual((r.status, r.json()["error"]["field"]), (400, field), (change, r))
        self.assertEqual(written(), before)
        r = wf("POST", "/documents/%s/attachments" % doc["id"], good, bearer=prosecutor)
        self.assertEqual(r.status, 201, r)
        self.assertEqual([(a["name"], a["media_type"], a["size"], a["sha256"], a["added_by"])
                          for a in r.json()["attachments"]],
                         [("现场照片1.jpg", "image/jpeg", 204800, SHA, "prosecutor-140212")])
        after = written()
        r = wf("POST", "/documents/%s/attachments" % doc["id"], good, bearer=prosecutor)
        self.assertEqual(r.status, 200, r)  # the same again: a retry, nothing new
        self.assertEqual(len(r.json()["attachments"]), 1)
        r = wf("POST", "/documents/%s/attachments" % doc["id"], dict(good, sha256="0" * 64),
               bearer=prosecutor)
        self.assertError(r, 409, "duplicate_attachment", "name")
        self.assertEqual(written(), after)

    def test_roles_scope_kinds_and_text(self):
        case = open_case("140212")
        civil = open_case("140212", "civil")
        prosecutor = token("prosecutor", "140212")
        chief = token("chief_prosecutor", "140212")
        before = written()
        # The chief's documents; a prosecutor is refused.
        for kind in ("opening_decision", "suggestion", "indictment"):
            r = issue(case, kind, prosecutor, recipient="某局")
            self.assertError(r, 403, "forbidden")
        # Kinds the case does not have, or that do not exist.
        self.assertError(issue(civil, "suggestion", chief, recipient="某局"), 422,
                         "kind_not_in_case", "kind")
        self.assertError(issue(case, "announcement", chief), 422, "kind_not_in_case", "kind")
        self.assertError(issue(case, "not_opened_decision", chief), 422, "kind_not_in_case",
                         "kind")
        self.assertError(issue(case, "summons", chief), 400, "invalid_value", "kind")
        r = gytest.http_request(S["workflow"].http_port, "POST",
                                "/api/v1/workflow/cases/%s/documents" % case,
                                '{"kind": "closing_decision", "recipient": "某局"}',
                                {"Authorization": "Bearer " + chief, "Content-Type": "text/plain"})
        self.assertError(r, 415, "unsupported_media_type", "Content-Type")
        for raw, code in ((b'{"kind": "closing_decision"', "malformed_json"),
                          (b'{"kind": "closing_decision", "kind": "appeal"}', "malformed_json"),
                          (b'{"kind": "closing\xc0\xaf"}', "invalid_utf8")):
            r = gytest.http_request(S["workflow"].http_port, "POST",
                                    "/api/v1/workflow/cases/%s/documents" % case, raw,
                                    {"Authorization": "Bearer " + chief,
                                     "Content-Type": "application/json"})
            self.assertError(r, 400, code)
        # The template addresses the organ: without a recipient, give it or the text.
        self.assertError(issue(case, "suggestion", chief), 400, "missing_field", "recipient")
        self.assertError(issue(case, "suggestion", chief, text="a\u0007b"), 400, "invalid_value",
                         "text")
        self.assertError(issue(case, "suggestion", chief, text="长" * 20001), 400, "too_long",
                         "text")
        # Other roles, no token, another county: nothing.
        for bearer in (token("volunteer", "140212"), token("admin", "140212"),
                       token("integrator", "140212")):
            self.assertError(issue(case, "closing_decision", bearer, recipient="某局"), 403,
                             "forbidden")
        self.assertEqual(issue(case, "closing_decision", None).status, 401)
        sibling = token("chief_prosecutor", "140214")
        self.assertError(issue(case, "closing_decision", sibling, recipient="某局"), 404,
                         "not_found")
        self.assertError(wf("GET", "/cases/%s/documents" % case, bearer=sibling), 404,
                         "not_found")
        self.assertError(issue(str(uuid.uuid4()), "closing_decision", chief), 404, "not_found")
        self.assertEqual(written(), before)

        # A given text wins over the template, recipient or not.
        text = "大同市新荣区人民检察院\n检察建议书\n\n（正文由检察官撰写）\n"
        r = issue(case, "suggestion", chief, text=text)
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json()["text"], r.json()["text_source"], r.json()["recipient"]),
                         (text, "given", ""))
        doc = r.json()
        r = issue(case, "closing_decision", prosecutor, recipient="某局")
        self.assertEqual(r.status, 201, r)
        # The city sees its counties' documents; the sibling county does not.
        city = token("prosecutor", "140200")
        self.assertEqual(wf("GET", "/documents/%s" % doc["id"], bearer=city).status, 200)
        self.assertEqual(len(wf("GET", "/cases/%s/documents" % case, bearer=city)
                             .json()["items"]), 2)
        after = written()
        for path, body in (("/documents/%s" % doc["id"], None),
                           ("/documents/%s/served" % doc["id"],
                            {"served_on": "某局", "method": "post",
                             "served_at": gytest.format_instant(gytest.now_ms())}),
                           ("/documents/%s/attachments" % doc["id"],
                            {"name": "a.pdf", "media_type": "application/pdf", "size": 1,
                             "sha256": SHA})):
            r = wf("POST" if body else "GET", path, body, bearer=sibling)
            self.assertError(r, 404, "not_found")
            self.assertNotIn(doc["id"], r.body.decode())
        self.assertEqual(written(), after)


class AccessMatrixTest(gytest.IntakeTestCase):
    """Every documents endpoint x role x jurisdiction, on a civil case of
    平城区 (140213) with a 公告 that is served and has its attachment: a
    caller who may act gets past the guard and the scope to the answer
    (200) or the check that refuses (422 kind_not_in_case, 409
    already_served); anyone else 401, 403 or 404 without the document —
    and nothing is written either way."""

    def test_every_endpoint_role_and_jurisdiction(self):
        case = open_case("140213", "civil")
        prosecutor = token("prosecutor", "140213")
        doc = issue(case, "announcement", prosecutor).json()
        attachment = {"name": "公告.pdf", "media_type": "application/pdf", "size": 1024,
                      "sha256": SHA}
        served = {"served_on": "社会公众", "method": "public_notice",
                  "served_at": gytest.format_instant(gytest.now_ms())}
        self.assertEqual(wf("POST", "/documents/%s/served" % doc["id"], served,
                            bearer=prosecutor).status, 200)
        self.assertEqual(wf("POST", "/documents/%s/attachments" % doc["id"], attachment,
                            bearer=prosecutor).status, 201)
        before = written()
        endpoints = [
            ("GET", "/cases/%s/documents" % case, None, 200),
            ("POST", "/cases/%s/documents" % case, {"kind": "suggestion", "text": "x"}, 422),
            ("GET", "/documents/%s" % doc["id"], None, 200),
            ("POST", "/documents/%s/served" % doc["id"], served, 409),
            ("POST", "/documents/%s/attachments" % doc["id"], attachment, 200),
        ]
        places = {"140213": True, "140200": True, "140000": True, "140212": False,
                  "430104": False}
        for method, path, body, want in endpoints:
            for role in ("prosecutor", "chief_prosecutor", "volunteer", "admin", "integrator"):
                for proc, in_scope in places.items():
                    with self.subTest(method=method, path=path, role=role, proc=proc):
                        r = wf(method, path, body, bearer=token(role, proc))
                        if role not in ("prosecutor", "chief_prosecutor"):
                            self.assertError(r, 403, "forbidden")
                        elif not in_scope:
                            self.assertError(r, 404, "not_found")
                            self.assertNotIn(doc["id"], r.body.decode())
                        else:
                            self.assertEqual(r.status, want, r)
            with self.subTest(method=method, path=path, role=None):
                self.assertError(wf(method, path, body), 401, "unauthenticated", "Authorization")
        self.assertEqual(written(), before)


if __name__ == "__main__":
    unittest.main()
