"""kill -9 of intake at any moment loses nothing and doubles nothing.

Clients submit continuously over HTTP, each clue with its own
Idempotency-Key, retrying with the same key after a dropped connection or a
503 as a real client would.  Meanwhile intake is killed with SIGKILL and
restarted several times at random moments, and a consumer follows its events
(replaying on start, on every gap and now and then).  Afterwards every
acknowledged clue is stored exactly once, the outbox is gap-free, and the
consumer saw every event exactly once after dedupe."""

import http.client
import os
import random
import threading
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}
PRODUCER = "intake-crash-1"
CLIENTS = 4
KILLS = 5


def setUpModule():
    gytest.require_build()
    S["folder"] = gytest.run_dir("test_crash")
    S["dbname"] = gytest.create_database("crash")
    S["db"] = gytest.Db(S["dbname"])
    S["intake"] = gytest.Intake(S["folder"], "intake-crash", S["dbname"], producer=PRODUCER)
    S["intake"].start()


def tearDownModule():
    if "intake" in S:
        S["intake"].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


class Client(threading.Thread):
    """Submits clue after clue; each until it is acknowledged."""

    def __init__(self, n, port, stop):
        super().__init__(daemon=True)
        self.n, self.port, self.stop_event = n, port, stop
        self.acked = {}      # key -> (id, receipt, HTTP status)
        self.unknown = []    # keys whose fate we never learned (stopped while retrying)
        self.unexpected = []  # (key, response) nobody should see
        self.retries = 0

    def run(self):
        i = 0
        while not self.stop_event.is_set():
            key = "crash-%d-%d-%s" % (self.n, i, uuid.uuid4().hex[:8])
            body = valid_clue(title="并发与崩溃测试 " + key)
            while True:
                try:
                    r = gytest.post_clue(self.port, body, idem=key, timeout=5)
                except (OSError, http.client.HTTPException):
                    r = None
                if r is not None and r.status in (200, 201):
                    b = r.json()
                    self.acked[key] = (b["id"], b["receipt_code"], r.status)
                    break
                if r is not None and r.status != 503:
                    self.unexpected.append((key, r))
                    break
                if self.stop_event.is_set():
                    self.unknown.append(key)
                    break
                self.retries += 1
                time.sleep(0.05)
            i += 1


class CrashTest(unittest.TestCase):

    def test_kill_9_loses_nothing_and_doubles_nothing(self):
        intake, db = S["intake"], S["db"]
        seed = int(os.environ.get("GY_TEST_SEED", time.time_ns() % 1000000))
        rng = random.Random(seed)
        print("\ncrash test seed %d (GY_TEST_SEED=%d reproduces the kill times)" % (seed, seed))

        sub = gytest.Subscriber(intake.events, intake.replay, PRODUCER).start()
        stop = threading.Event()
        clients = [Client(n, intake.http_port, stop) for n in range(CLIENTS)]
        for c in clients:
            c.start()
        kills = []
        try:
            for _ in range(KILLS):
                time.sleep(rng.uniform(0.2, 3.0))  # early kills hit the relay catching up
                intake.crash()  # fails if it died on its own meanwhile
                kills.append(sum(len(c.acked) for c in clients))
                intake.start()
            time.sleep(2.0)  # the last instance serves a while
        finally:
            stop.set()
            for c in clients:
                c.join(20)
        self.assertFalse(any(c.is_alive() for c in clients), "a client thread hangs")

        # Let any last commit land, then wait for the consumer to catch up.
        n = None
        for _ in range(20):
            now = db.scalar("SELECT count(*) FROM intake.outbox WHERE producer = %s", (PRODUCER,))
            if now == n:
                break
            n = now
            time.sleep(0.25)
        deadline = time.monotonic() + 20
        while sub.last < n and time.monotonic() < deadline:
            time.sleep(0.1)
        sub.stop()

        acked = {}
        for c in clients:
            acked.update(c.acked)
        print("kills after %s acks; %d acked, %d unknown, %d retries, %d events, %d replays"
              % (kills, len(acked), sum(len(c.unknown) for c in clients),
                 sum(c.retries for c in clients), n, sub.replays))
        self.assertEqual(len(kills), KILLS)
        self.assertGreater(len(acked), 20, "too few clues acknowledged to mean anything")
        unexpected = [u for c in clients for u in c.unexpected]
        self.assertEqual(unexpected, [], "answers other than 200, 201, 503")

        rows = db.query("SELECT id::text, title, producer, sequence FROM intake.clue")
        by_id = {}
        for cid, title, producer, seq in rows:
            self.assertNotIn(cid, by_id)
            by_id[cid] = (title, producer, seq)
        by_title = {}
        for cid, (title, _, _) in by_id.items():
            by_title.setdefault(title, []).append(cid)
        doubled = {t: ids for t, ids in by_title.items() if len(ids) > 1}
        self.assertEqual(doubled, {}, "clues stored twice for one Idempotency-Key")

        # Nothing acknowledged is lost, and the answer named the stored clue.
        for key, (cid, receipt, status) in acked.items():
            self.assertIn(cid, by_id, "acknowledged (%d) but not stored: %s" % (status, key))
            self.assertEqual(by_id[cid][0], "并发与崩溃测试 " + key)
        receipts = dict(db.query("SELECT id::text, receipt_code FROM intake.clue"))
        for key, (cid, receipt, _) in acked.items():
            self.assertEqual(receipts[cid], receipt, key)

        # One event per clue, sequences 1..N without gap.
        self.assertEqual({p for _, p, _ in by_id.values()}, {PRODUCER})
        self.assertEqual(sorted(s for _, _, s in by_id.values()), list(range(1, len(by_id) + 1)))
        outbox = db.query("SELECT sequence FROM intake.outbox WHERE producer = %s "
                          "ORDER BY sequence", (PRODUCER,))
        self.assertEqual([s for (s,) in outbox], list(range(1, len(by_id) + 1)))
        self.assertEqual(n, len(by_id))
        self.assertEqual(db.scalar("SELECT last_sequence FROM intake.producer "
                                   "WHERE producer = %s", (PRODUCER,)), n)

        # The consumer saw each event exactly once (after dedupe), in order,
        # and each names the clue stored under its sequence.
        self.assertEqual(sub.errors, [])
        self.assertEqual(sub.applied, list(range(1, n + 1)),
                         "the consumer did not see every sequence exactly once")
        by_seq = {seq: cid for cid, (_, _, seq) in by_id.items()}
        for seq, frame in sub.events.items():
            env = gytest.parse_event(frame)
            self.assertEqual(env.sequence, seq)
            self.assertEqual(env.type, "ClueReceived")
            self.assertEqual(env.clue_received.clue_id, by_seq[seq], "sequence %d" % seq)

        # The service that is left is healthy and consistent.
        intake.assert_healthy_process()
        self.assertEqual(intake.get("/healthz").status, 200)
        deadline = time.monotonic() + 5
        while True:
            lag = gytest.metric_value(intake.metrics(), "gy_outbox_lag")
            if lag == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(lag, 0, "events committed but never published")


if __name__ == "__main__":
    unittest.main()
