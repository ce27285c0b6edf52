"""kill -9 of the workflow (four times) while clues are routed: every clue
the router routed is reviewed exactly once, and the rotation gives them
out in turn without skipping or repeating anyone.

Clients submit N clues over HTTP to intake (each with its own
Idempotency-Key); the router routes them (nine in ten to 平城区's handling
queue, whose chief set a rotation of three prosecutors, one in ten to 大同's
triage queue); the workflow is killed with SIGKILL at moments chosen by the
number of clues the router has routed (GY_TEST_SEED repeats the pauses),
each time after checking that it is alive and its log holds no failed
assertion, and restarted.

Afterwards: one review per routed clue (workflow.review against
router.clue), each from its own ClueRouted (source producer and sequence);
one ClueReviewStarted per clue in a handling queue and none for triage;
the workflow's outbox without gap; its position at the router's last
sequence; and the assignees, in the router's order, exactly the rotation
repeated.

N is 3,000 (GY_TEST_QUICK=1: 600)."""

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
TOTAL = 3000 if FULL else 600
DURATION = 20.0 if FULL else 8.0
CLIENTS = 4
WORKFLOW = "workflow-crash"
ROTATION = ["p-zhao", "p-qian", "p-sun"]


def setUpModule():
    gytest.require_workflow_build()
    folder = gytest.run_dir("test_workflow_crash")
    S["folder"] = folder
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("workflow_crash")
    S["db"] = gytest.Db(S["dbname"])
    S["intake"] = gytest.Intake(folder, "intake-wc1", S["dbname"]).start()
    S["router"] = gytest.Router(folder, "router-wc1", S["dbname"], [S["intake"]],
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


class Client(threading.Thread):
    """Submits its share of clues, each until acknowledged."""

    def __init__(self, n, count, port, rate):
        super().__init__(daemon=True)
        self.n, self.count, self.port = n, count, port
        self.interval = 1.0 / rate
        self.acked = 0
        self.unexpected = []

    def run(self):
        conn = None
        start = time.monotonic()
        for i in range(self.count):
            pause = start + i * self.interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            key = "wc-%d-%d-%s" % (self.n, i, uuid.uuid4().hex[:8])
            region = "140200" if i % 10 == 9 else "140213"
            body = json.dumps(valid_clue(title="工作流崩溃测试 %s" % key,
                                         description="化工厂排污，河道黑臭。编号 %s" % key,
                                         region_code=region, location={"address": "大同市"}),
                              ensure_ascii=False).encode()
            for _ in range(500):
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    conn.request("POST", "/api/v1/clues", body=body,
                                 headers={"Content-Type": "application/json",
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
                    self.acked += 1
                    break
                if status is not None and status != 503:
                    self.unexpected.append((key, status, data[:200]))
                    break
                time.sleep(0.02)
        if conn is not None:
            conn.close()


class WorkflowCrashTest(unittest.TestCase):

    def test_kill_9_reviews_every_routed_clue_exactly_once(self):
        db, workflow = S["db"], S["workflow"]
        seed = int(os.environ.get("GY_TEST_SEED", time.time_ns() % 1000000))
        rng = random.Random(seed)
        print("\nworkflow crash test: %d clues, seed %d (GY_TEST_SEED=%d repeats the pauses)"
              % (TOTAL, seed, seed))
        chief = gytest.issue_token(S["token_secret"], "chief-140213", role="chief_prosecutor",
                                   proc="140213")
        r = gytest.http_request(workflow.http_port, "PUT", "/api/v1/workflow/rotations/140213",
                                {"prosecutors": ROTATION},
                                {"Content-Type": "application/json",
                                 "Authorization": "Bearer " + chief})
        self.assertEqual(r.status, 200, r)

        per = TOTAL // CLIENTS
        clients = [Client(n, per + (1 if n < TOTAL % CLIENTS else 0), S["intake"].http_port,
                          TOTAL / DURATION / CLIENTS) for n in range(CLIENTS)]
        for c in clients:
            c.start()

        def routed():
            return db.scalar("SELECT count(*) FROM router.clue")

        kills = []
        for fraction in (0.15, 0.35, 0.6, 0.85):
            while routed() < fraction * TOTAL and any(c.is_alive() for c in clients):
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))
            workflow.assert_healthy_process()
            workflow.crash()
            kills.append(routed())
            time.sleep(rng.uniform(0.1, 1.0))
            workflow.start()
        for c in clients:
            c.join(300)
        self.assertFalse(any(c.is_alive() for c in clients), "a client thread hangs")
        self.assertEqual([u for c in clients for u in c.unexpected], [])
        self.assertEqual(sum(c.acked for c in clients), TOTAL)

        # The router routes everything, the workflow catches up with it.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if (routed() == TOTAL and
                    db.scalar("SELECT count(*) FROM workflow.review") == TOTAL):
                break
            time.sleep(0.2)
        print("kills after %s routed clues" % kills)
        self.assertEqual(len(kills), 4)
        self.assertEqual(routed(), TOTAL)

        # One review per routed clue, each from its own ClueRouted.
        reviews = db.query("SELECT clue_id::text, queue, state, source_sequence, assignee "
                           "FROM workflow.review")
        self.assertEqual(len(reviews), TOTAL)
        clues = dict(db.query("SELECT id::text, queue FROM router.clue"))
        self.assertEqual({r[0]: r[1] for r in reviews}, clues)
        self.assertEqual(len({r[3] for r in reviews}), TOTAL, "each ClueRouted applied once")
        handling = [r for r in reviews if r[1] == "handling"]
        triage = [r for r in reviews if r[1] == "triage"]
        self.assertEqual(len(triage), sum(1 for r in reviews if r[2] == "triage"))
        self.assertTrue(handling and triage)
        self.assertTrue(all(r[2] == "under_review" for r in handling))

        # One ClueReviewStarted per handling clue, none for triage; no gap.
        ids = [m.clue_id for m in gytest.workflow_events(db, "ClueReviewStarted")]
        self.assertEqual(sorted(ids), sorted(r[0] for r in handling))
        seqs = gytest.workflow_sequences(db, WORKFLOW)
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)))
        self.assertEqual(dict(db.query("SELECT producer, last_sequence FROM workflow.consumed")),
                         dict(db.query("SELECT producer, last_sequence FROM router.producer")))

        # The rotation, in the router's order: each prosecutor in turn,
        # nobody skipped or given two in a row by a retried batch.
        order = [r[4] for r in sorted(handling, key=lambda r: r[3])]
        self.assertEqual(order, [ROTATION[i % 3] for i in range(len(order))])
        self.assertEqual(db.scalar("SELECT count(*) FROM workflow.review_history"), TOTAL)

        workflow.assert_healthy_process()
        for p in (S["router"], S["intake"]):
            p.assert_healthy_process()
        status, body = workflow.health()
        self.assertEqual(status, 200, body)


if __name__ == "__main__":
    unittest.main()
