"""kill -9 of the router (three times) and of an intake (once) while clues
stream in: every clue is triaged and decided exactly once.

Clients submit N clues over HTTP to two intake instances (two producers),
each clue with its own Idempotency-Key, retrying with the same key — on the
other instance while one is down — until acknowledged.  Meanwhile the router
is killed with SIGKILL three times and one intake once, at moments chosen
by the number of acknowledged clues (GY_TEST_SEED repeats the pauses), and
an outside client follows the router's events with replay throughout.

Afterwards: every stored clue has exactly one routing decision (router
tables), one ClueRouted in the router's outbox and on the wire (sequences
1..M without gap), one classification and its two deadlines; the router's
consumer positions equal the intakes' last sequences.

N is 10,000 (the issue's figure; about a minute on a 2-core machine);
GY_TEST_QUICK=1 makes it 2,000 for a quick look while developing.
Submissions are paced (DURATION) so that every kill falls while clues are
streaming in."""

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
FULL = os.environ.get("GY_TEST_QUICK") != "1"
TOTAL = 10000 if FULL else 2000
# Submissions are paced over this many seconds so the kills fall while
# clues stream in (unpaced, the clients finish before the first restart).
DURATION = 30.0 if FULL else 12.0
CLIENTS = 6
ROUTER = "router-crash"


def setUpModule():
    gytest.require_router_build()
    S["folder"] = gytest.run_dir("test_router_crash")
    S["dbname"] = gytest.create_database("router_crash")
    S["db"] = gytest.Db(S["dbname"])
    S["intakes"] = [gytest.Intake(S["folder"], "intake-c%d" % n, S["dbname"]).start()
                    for n in (1, 2)]
    S["router"] = gytest.Router(S["folder"], ROUTER, S["dbname"], S["intakes"],
                                env={"GY_DEADLINE_SCAN_MS": "0"}).start()


def tearDownModule():
    if "router" in S:
        S["router"].stop()
    for i in S.get("intakes", []):
        i.stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


class Client(threading.Thread):
    """Submits its share of clues, each until acknowledged, over keep-alive
    connections; a failure moves it to the other intake."""

    def __init__(self, n, count, intakes, rate):
        super().__init__(daemon=True)
        self.interval = 1.0 / rate
        self.n, self.count, self.intakes = n, count, intakes
        self.acked = {}
        self.unexpected = []
        self.retries = 0
        self.conn = None
        self.target = n % len(intakes)

    def _post(self, body, key):
        if self.conn is None:
            port = self.intakes[self.target].http_port
            self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        self.conn.request("POST", "/api/v1/clues", body=body,
                          headers={"Content-Type": "application/json", "Idempotency-Key": key})
        r = self.conn.getresponse()
        return r.status, r.read()

    def run(self):
        import json
        start = time.monotonic()
        for i in range(self.count):
            pause = start + i * self.interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            key = "rc-%d-%d-%s" % (self.n, i, uuid.uuid4().hex[:8])
            body = json.dumps(valid_clue(title="路由崩溃测试 %s" % key,
                                         description="化工厂排污，河道黑臭。编号 %s" % key),
                              ensure_ascii=False).encode()
            for attempt in range(2000):
                try:
                    status, data = self._post(body, key)
                except (OSError, http.client.HTTPException):
                    status, data = None, None
                    if self.conn is not None:
                        self.conn.close()
                    self.conn = None
                if status in (200, 201):
                    self.acked[key] = json.loads(data)["id"]
                    break
                if status is not None and status != 503:
                    self.unexpected.append((key, status, data[:200]))
                    break
                self.retries += 1
                self.target = (self.target + 1) % len(self.intakes)
                if self.conn is not None:
                    self.conn.close()
                    self.conn = None
                time.sleep(0.02)
        if self.conn is not None:
            self.conn.close()


class RouterCrashTest(unittest.TestCase):

    def test_kill_9_routes_every_clue_exactly_once(self):
        router, intakes, db = S["router"], S["intakes"], S["db"]
        seed = int(os.environ.get("GY_TEST_SEED", time.time_ns() % 1000000))
        rng = random.Random(seed)
        print("\nrouter crash test: %d clues, seed %d (GY_TEST_SEED=%d repeats the pauses)"
              % (TOTAL, seed, seed))
        follower = gytest.EventFollower(router.events, router.replay, ROUTER).start()
        per = TOTAL // CLIENTS
        clients = [Client(n, per + (1 if n < TOTAL % CLIENTS else 0), intakes,
                          TOTAL / DURATION / CLIENTS) for n in range(CLIENTS)]
        t0 = time.monotonic()
        for c in clients:
            c.start()

        def acked():
            return sum(len(c.acked) for c in clients)

        # (fraction of the clues acknowledged, what to kill)
        plan = [(0.15, "router"), (0.35, "intake"), (0.55, "router"), (0.8, "router")]
        kills = []
        for fraction, what in plan:
            while acked() < fraction * TOTAL and any(c.is_alive() for c in clients):
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))
            victim = router if what == "router" else intakes[0]
            victim.crash()  # fails if it died on its own meanwhile
            kills.append((what, acked()))
            time.sleep(rng.uniform(0.1, 1.0))
            victim.start()
        for c in clients:
            c.join(600)
        submit_s = time.monotonic() - t0
        self.assertFalse(any(c.is_alive() for c in clients), "a client thread hangs")
        self.assertEqual([u for c in clients for u in c.unexpected], [])
        ids = {}
        for c in clients:
            ids.update(c.acked)
        self.assertEqual(len(ids), TOTAL, "every clue acknowledged")

        # The router catches up with everything the intakes stored.
        stored = db.scalar("SELECT count(*) FROM intake.clue")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if db.scalar("SELECT count(*) FROM router.clue") == stored:
                break
            time.sleep(0.2)
        catch_up_s = time.monotonic() - t0 - submit_s
        routed_n = db.scalar("SELECT count(*) FROM router.outbox WHERE type = 'ClueRouted'")
        last = db.scalar("SELECT coalesce(max(sequence), 0) FROM router.outbox "
                         "WHERE producer = %s", (ROUTER,))
        self.assertTrue(follower.wait_for(lambda f: f.last >= last, 60),
                        "the follower is at %d of %d" % (follower.last, last))
        follower.stop()
        print("kills %s; submitted in %.1f s, %d retries; router caught up %.1f s later; "
              "follower: %d replays, %d heartbeats"
              % (kills, submit_s, sum(c.retries for c in clients), catch_up_s,
                 follower.replays, follower.heartbeats))
        self.assertEqual(len(kills), 4)

        # Intake: each acknowledged clue stored once.
        self.assertEqual(stored, TOTAL)
        in_intake = {r[0] for r in db.query("SELECT id::text FROM intake.clue")}
        self.assertEqual(in_intake, set(ids.values()))

        # Router tables: each clue decided once, triaged once, two deadlines.
        rows = db.query("SELECT id::text, source_producer, source_sequence FROM router.clue")
        self.assertEqual({r[0] for r in rows}, in_intake, "clues missing in the router")
        self.assertEqual(len(rows), TOTAL)
        src = db.query("SELECT producer, sequence FROM intake.clue")
        self.assertEqual(sorted((p, s) for _, p, s in rows), sorted(src),
                         "each ClueReceived applied once")
        self.assertEqual(db.scalar("SELECT count(*) FROM router.classification"), TOTAL)
        self.assertEqual(db.scalar("SELECT count(DISTINCT clue_id) FROM router.classification"),
                         TOTAL)
        self.assertEqual(db.scalar("SELECT count(*) FROM router.deadline"), 2 * TOTAL)
        positions = dict(db.query("SELECT producer, last_sequence FROM router.consumed"))
        self.assertEqual(positions, dict(db.query("SELECT producer, last_sequence "
                                                  "FROM intake.producer")))

        # The outbox: one ClueRouted per clue, sequences 1..M without gap.
        self.assertEqual(routed_n, TOTAL)
        seqs = [s for (s,) in db.query("SELECT sequence FROM router.outbox WHERE producer = %s "
                                       "ORDER BY sequence", (ROUTER,))]
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)))

        # On the wire: the follower saw every sequence once, each clue once.
        self.assertEqual(follower.errors, [])
        self.assertEqual(follower.applied, list(range(1, last + 1)))
        wire = [e.clue_routed.clue_id for e in follower.by_type("ClueRouted")]
        self.assertEqual(len(wire), TOTAL)
        self.assertEqual(set(wire), in_intake)

        for process in [router] + intakes:
            process.assert_healthy_process()
        status, body = router.health()
        self.assertEqual(status, 200, body)


if __name__ == "__main__":
    unittest.main()
