"""kill -9 of the workflow (four times) while documents are issued
concurrently: afterwards the numbers of the series are 1..N with no gap and
no double, every acknowledged issue is there with the number it was
answered, and DocumentIssued is in the outbox once per document.

Clients issue documents (终结审查决定书, a prosecutor's) on one case, each
request with its own Idempotency-Key and retried with the same key until
it is answered 200 or 201 (a connection refused or reset while the
workflow is down, 503, or a 409 conflict); the workflow is killed with
SIGKILL at moments chosen by the number of documents stored (GY_TEST_SEED
repeats the pauses), each time after checking that it is alive and its log
holds no failed assertion, and restarted.

N is 400 (GY_TEST_QUICK=1: 120)."""

import http.client
import json
import os
import random
import threading
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}
FULL = os.environ.get("GY_TEST_QUICK") != "1"
TOTAL = 400 if FULL else 120
CLIENTS = 4
WORKFLOW = "workflow-dc"
REGION = "140222"


def setUpModule():
    gytest.require_workflow_build()
    folder = gytest.run_dir("test_workflow_documents_crash")
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("workflow_documents_crash")
    S["db"] = gytest.Db(S["dbname"])
    S["intake"] = gytest.Intake(folder, "intake-dc1", S["dbname"]).start()
    S["router"] = gytest.Router(folder, "router-dc1", S["dbname"], [S["intake"]],
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


def open_case():
    tag = uuid.uuid4().hex
    clue = valid_clue(title="河道排污 %s" % tag[:8], description="工厂偷排污水，编号 %s。" % tag,
                      region_code=REGION, location={"address": "大同市"})
    r = S["intake"].post_clue(clue, idem=str(uuid.uuid4()))
    assert r.status == 201, r
    cid = r.json()["id"]
    deadline = time.monotonic() + 20
    while not S["db"].scalar("SELECT state = 'under_review' FROM workflow.review "
                             "WHERE clue_id = %s", (cid,)):
        assert time.monotonic() < deadline, "no review"
        time.sleep(0.05)
    chief = gytest.issue_token(S["token_secret"], "chief-" + REGION, role="chief_prosecutor",
                               proc=REGION)
    r = gytest.http_request(S["workflow"].http_port, "POST",
                            "/api/v1/workflow/reviews/%s/decide" % cid,
                            {"decision": "open", "case_kind": "administrative"},
                            {"Content-Type": "application/json",
                             "Authorization": "Bearer " + chief})
    assert r.status == 201, r
    return r.json()["review"]["case_id"]


class Client(threading.Thread):
    """Issues its share of documents, each until answered."""

    def __init__(self, n, count, case_id, bearer):
        super().__init__(daemon=True)
        self.n, self.count, self.case_id, self.bearer = n, count, case_id, bearer
        self.acked = {}  # key -> (document id, number, seq)
        self.replayed = 0  # answered 200: a retry found what an earlier try committed
        self.unexpected = []

    def run(self):
        conn = None
        for i in range(self.count):
            key = "dc-%d-%d-%s" % (self.n, i, uuid.uuid4().hex[:8])
            body = json.dumps({"kind": "closing_decision", "recipient": "大同市天镇县水务局",
                               "reason": "崩溃测试 %s" % key}, ensure_ascii=False).encode()
            for _ in range(1000):
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", S["workflow"].http_port,
                                                          timeout=5)
                    conn.request("POST", "/api/v1/workflow/cases/%s/documents" % self.case_id,
                                 body=body,
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + self.bearer,
                                          "Idempotency-Key": key})
                    r = conn.getresponse()
                    data = r.read()
                    status = r.status
                except (OSError, http.client.HTTPException):
                    status, data = None, b""
                    if conn is not None:
                        conn.close()
                    conn = None
                if status in (200, 201):
                    self.replayed += status == 200
                    doc = json.loads(data)
                    self.acked[key] = (doc["id"], doc["number"], doc["seq"])
                    break
                if status is not None and status not in (503, 409):
                    self.unexpected.append((key, status, data[:200]))
                    break
                if status == 409 and b'"conflict"' not in data:
                    self.unexpected.append((key, status, data[:200]))
                    break
                time.sleep(0.02)
        if conn is not None:
            conn.close()


class WorkflowDocumentsCrashTest(unittest.TestCase):

    def test_kill_9_while_issuing_leaves_numbers_1_to_n(self):
        db, workflow = S["db"], S["workflow"]
        seed = int(os.environ.get("GY_TEST_SEED", time.time_ns() % 1000000))
        rng = random.Random(seed)
        print("\nworkflow documents crash test: %d documents, seed %d (GY_TEST_SEED=%d repeats "
              "the pauses)" % (TOTAL, seed, seed))
        case_id = open_case()
        bearer = gytest.issue_token(S["token_secret"], "prosecutor-" + REGION, role="prosecutor",
                                    proc=REGION)
        per = TOTAL // CLIENTS
        clients = [Client(n, per, case_id, bearer) for n in range(CLIENTS)]
        for c in clients:
            c.start()

        def stored():
            return db.scalar("SELECT count(*) FROM workflow.document")

        kills = []
        for fraction in (0.15, 0.35, 0.6, 0.85):
            while stored() < fraction * TOTAL and any(c.is_alive() for c in clients):
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.2))
            workflow.assert_healthy_process()
            workflow.crash()
            kills.append(stored())
            time.sleep(rng.uniform(0.1, 0.6))
            workflow.start()
        for c in clients:
            c.join(300)
        print("kills after %s stored documents; %d retries answered with the document an "
              "earlier try had made" % (kills, sum(c.replayed for c in clients)))
        self.assertFalse(any(c.is_alive() for c in clients), "a client thread hangs")
        self.assertEqual([u for c in clients for u in c.unexpected], [])
        acked = {k: v for c in clients for k, v in c.acked.items()}
        self.assertEqual(len(acked), per * CLIENTS)
        self.assertEqual(len(kills), 4)

        rows = db.query("SELECT id::text, number, seq, idempotency_key FROM workflow.document "
                        "WHERE case_id = %s ORDER BY seq", (case_id,))
        # 1..N: no gap, no double; one document per request.
        self.assertEqual([r[2] for r in rows], list(range(1, len(rows) + 1)))
        self.assertEqual(len({r[1] for r in rows}), len(rows))
        self.assertEqual(len(rows), len(acked))
        self.assertEqual(db.scalar("SELECT last_seq FROM workflow.document_counter "
                                   "WHERE procuratorate = %s", (REGION,)), len(rows))
        # Every acknowledged issue is there, with the number it was answered.
        by_key = {r[3].split(":", 1)[1]: (r[0], r[1], r[2]) for r in rows}
        self.assertEqual(by_key, acked)
        # DocumentIssued once per document, no gap in the outbox.
        issued = []
        for m in gytest.workflow_events(db, "DocumentIssued"):
            issued.append((m.document_id, m.number, m.seq))
        self.assertEqual(sorted(issued, key=lambda x: x[2]), [tuple(r[:3]) for r in rows])
        seqs = gytest.workflow_sequences(db, WORKFLOW)
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)))
        workflow.assert_healthy_process()
        status, body = workflow.health()
        self.assertEqual(status, 200, body)


if __name__ == "__main__":
    unittest.main()
