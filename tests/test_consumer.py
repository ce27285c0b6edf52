"""gy_consumer applies every event exactly once, in order per producer.

A tiny C service (gy-test-consumer, common/test_gy_consumer_app.c) consumes
the ClueReceived events of two real intake instances with gy_consumer and
writes one row per applied event into its own database, in the same
transaction as its position.  The rows have no unique key, so an event
applied twice shows as two rows.  Scenarios, in order:

1. Events published before the consumer ever ran, and nothing after: the
   consumer learns the tail from the producers' heartbeats and replays it.
2. Events published while the consumer was away, then more: on its return
   it replays the gap.
3. Two producers submitting continuously while the consumer is killed with
   SIGKILL three times and one intake once: every event applied exactly
   once, in sequence order per producer.

Besides: a malformed GY_SOURCES (or a CURVE source without a client
certificate) stops the consumer at start with a message naming the
variable, and a CURVE source is consumed with an allowed client key.

Every wait polls for a condition with a generous deadline (a loaded 2-core
machine), never sleeps and asserts."""

import http.client
import os
import random
import shutil
import signal
import subprocess
import threading
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

CONSUMER_BIN = os.path.join(gytest.BUILD_DIR, "common", "gy-test-consumer")
S = {}
PRODUCERS = ("intake-cons-a", "intake-cons-b")
APPLY_TIMEOUT = 60.0


class Consumer:
    """One gy-test-consumer process."""

    def __init__(self, folder, dbname, sources, env=None):
        self.log_path = os.path.join(folder, "consumer.log")
        self.http_port = gytest.free_port()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GY_LOG_LEVEL": "info",
            "GY_PG_DSN": gytest.dsn(dbname),
            "GY_SOURCES": sources,
            "GY_SOURCES_RESOLVE_S": "1",
            "GY_HTTP_PORT": str(self.http_port),
        }
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if var in os.environ:
                self.env[var] = os.environ[var]
        self.env.update(env or {})
        self.proc = None
        self.starts = 0

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(("---- start %d ----\n" % self.starts).encode())
            log.flush()
            self.proc = subprocess.Popen([CONSUMER_BIN], env=dict(self.env, **gytest.clock_env()), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log, close_fds=True,
                                         preexec_fn=gytest._die_with_parent)
        deadline = time.monotonic() + gytest.START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("consumer exited with %s; log:\n%s"
                                     % (self.proc.returncode, self.log_tail()))
            try:
                if gytest.http_request(self.http_port, "GET", "/healthz", timeout=1).status == 200:
                    return self
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError("consumer not healthy in time; log:\n" + self.log_tail())

    def stop(self):
        """SIGTERM; the exit status, or None when it had to be killed.
        Fails when the log holds a sanitizer report."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(gytest.STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(gytest.STOP_TIMEOUT)
            rc = None
        gytest.check_sanitizer_log("gy-test-consumer", self.log_path)
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(gytest.STOP_TIMEOUT)

    def crash(self):
        """SIGKILL of a consumer that must be running: fails when it died on
        its own (an assertion, say) before the test killed it."""
        gytest.crash("gy-test-consumer", self.proc, self.log_path)

    def assert_healthy_process(self):
        gytest.check_sanitizer_log("gy-test-consumer", self.log_path)
        if self.proc is None or self.proc.poll() is not None:
            raise AssertionError("gy-test-consumer is not running (exit status %s); log:\n%s"
                                 % (self.proc.returncode if self.proc else None,
                                    self.log_tail()))

    def metric(self, name, labels=None):
        r = gytest.http_request(self.http_port, "GET", "/metrics")
        assert r.status == 200, r
        return gytest.metric_value(r.body.decode(), name, labels) or 0

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def setUpModule():
    gytest.require_build()
    if not os.access(CONSUMER_BIN, os.X_OK):
        raise RuntimeError("not built yet: " + CONSUMER_BIN)
    S["folder"] = gytest.run_dir("test_consumer")
    # The producers share one site database; the consumer has its own.
    S["site_db"] = gytest.create_database("cons_site")
    S["own_db"] = gytest.create_database("cons_own")
    S["site"] = gytest.Db(S["site_db"])
    S["own"] = gytest.Db(S["own_db"])
    S["intakes"] = [gytest.Intake(S["folder"], name, S["site_db"], producer=name).start()
                    for name in PRODUCERS]
    a, b = S["intakes"]
    # The second source by name: the consumer resolves it (localhost may
    # give ::1 as well, where nothing listens; that must not matter).
    b_events = b.events.replace("127.0.0.1", "localhost")
    sources = "%s|%s,%s|%s" % (a.events, a.replay, b_events, b.replay)
    S["consumer"] = Consumer(S["folder"], S["own_db"], sources)


def tearDownModule():
    if "consumer" in S:
        S["consumer"].stop()
    for intake in S.get("intakes", []):
        intake.stop()
    for name in ("site", "own"):
        if name in S:
            S[name].close()
    for name in ("site_db", "own_db"):
        if name in S:
            gytest.drop_database(S[name])


def submit(intake, n, tag):
    for i in range(n):
        key = "%s-%d-%s" % (tag, i, uuid.uuid4().hex[:8])
        r = intake.post_clue(valid_clue(title="消费者测试 " + key), idem=key)
        assert r.status == 201, r


class ConsumerTest(unittest.TestCase):
    maxDiff = None

    def outbox(self):
        """producer -> [(sequence, clue id)] committed at the site."""
        rows = S["site"].query("SELECT o.producer, o.sequence, c.id::text FROM intake.outbox o"
                               " JOIN intake.clue c ON c.producer = o.producer"
                               " AND c.sequence = o.sequence ORDER BY o.producer, o.sequence")
        out = {}
        for producer, seq, cid in rows:
            out.setdefault(producer, []).append((seq, cid))
        return out

    def applied(self):
        """producer -> [(sequence, clue id)] in the order they were applied."""
        rows = S["own"].query("SELECT producer, sequence, clue_id FROM probe.applied ORDER BY id")
        out = {}
        for producer, seq, cid in rows:
            out.setdefault(producer, []).append((seq, cid))
        return out

    def wait_applied(self, timeout=APPLY_TIMEOUT):
        """Until every committed event was applied (or the deadline)."""
        deadline = time.monotonic() + timeout
        while True:
            want = self.outbox()
            got = self.applied()
            if all(len(got.get(p, [])) >= len(v) for p, v in want.items()) or \
                    time.monotonic() > deadline:
                return want, got
            time.sleep(0.2)

    def assertExactlyOnce(self, want, got):
        for producer, events in want.items():
            self.assertEqual(got.get(producer, []), events,
                             "%s: applied events differ from the outbox (missing, doubled or "
                             "out of order); consumer log:\n%s"
                             % (producer, S["consumer"].log_tail()))
        self.assertEqual(set(got) - set(want), set(), "events of unknown producers")
        positions = dict(S["own"].query("SELECT producer, last_sequence FROM probe.consumed"))
        for producer, events in want.items():
            self.assertEqual(positions.get(producer), len(events), producer)

    def test_1_tail_published_before_start_comes_by_heartbeat(self):
        a, b = S["intakes"]
        submit(a, 25, "before-a")
        submit(b, 5, "before-b")
        # Nothing is published after the consumer starts: only the
        # heartbeats tell it that it is behind.
        S["consumer"].start()
        want, got = self.wait_applied()
        self.assertEqual({p: len(v) for p, v in want.items()},
                         {PRODUCERS[0]: 25, PRODUCERS[1]: 5})
        self.assertExactlyOnce(want, got)
        self.assertGreaterEqual(S["consumer"].metric("gy_consumer_replays_total"), 2)
        self.assertEqual(S["consumer"].metric("gy_consumer_events_applied_total",
                                              {"producer": PRODUCERS[0]}), 25)

    def test_2_gap_while_away_is_replayed(self):
        a, b = S["intakes"]
        consumer = S["consumer"]
        self.assertEqual(consumer.stop(), 0, "the consumer did not stop cleanly")
        submit(a, 40, "away-a")
        consumer.start()
        # Live events right away: the first one shows the gap (or a
        # heartbeat does, whichever comes first).
        submit(a, 10, "back-a")
        submit(b, 3, "back-b")
        want, got = self.wait_applied()
        self.assertEqual(len(want[PRODUCERS[0]]), 75)
        self.assertExactlyOnce(want, got)
        deadline = time.monotonic() + 10
        while consumer.metric("gy_consumer_lag", {"producer": PRODUCERS[0]}) != 0 and \
                time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(consumer.metric("gy_consumer_lag", {"producer": PRODUCERS[0]}), 0)

    def test_3_kill_9_of_consumer_and_producer_loses_and_doubles_nothing(self):
        intakes, consumer = S["intakes"], S["consumer"]
        seed = int(os.environ.get("GY_TEST_SEED", time.time_ns() % 1000000))
        rng = random.Random(seed)
        print("\nconsumer kill test seed %d" % seed)
        stop = threading.Event()
        errors = []

        def client(intake, n):
            i = 0
            while not stop.is_set():
                key = "storm-%d-%d-%s" % (n, i, uuid.uuid4().hex[:6])
                try:
                    r = intake.post_clue(valid_clue(title="风暴 " + key), idem=key, timeout=5)
                    if r.status not in (201, 503):
                        errors.append(r)
                except (OSError, http.client.HTTPException):
                    pass  # the intake being killed
                i += 1

        threads = [threading.Thread(target=client, args=(intakes[n % 2], n), daemon=True)
                   for n in range(4)]
        for t in threads:
            t.start()
        try:
            for k in range(3):
                time.sleep(rng.uniform(0.5, 2.5))
                consumer.crash()  # fails if it died on its own meanwhile
                if k == 1:
                    intakes[0].crash()
                    time.sleep(rng.uniform(0.1, 1.0))
                    intakes[0].start()
                consumer.start()
            time.sleep(1.5)
        finally:
            stop.set()
            for t in threads:
                t.join(20)
        self.assertEqual(errors, [])
        want, got = self.wait_applied(timeout=90)
        print("events per producer: %s; consumer starts %d"
              % ({p: len(v) for p, v in want.items()}, consumer.starts))
        self.assertGreater(sum(len(v) for v in want.values()), 150)
        self.assertExactlyOnce(want, got)
        consumer.assert_healthy_process()
        for intake in intakes:
            intake.assert_healthy_process()


class FakeProducer:
    """A producer spoken by hand, as docs/bus.md describes one: PUB for
    events and heartbeats, ROUTER answering replay requests (and the list
    of producers) from `events`.  It lets a test deliver exactly what it
    wants, e.g. one sequence twice in a row, which real producers do only
    by chance (a restart re-publishing its last second)."""

    def __init__(self, producer):
        self.producer = producer
        self.events = {}  # sequence -> Envelope bytes
        self.pub = gytest.zsocket(gytest.zmq.PUB, None, connect=False)
        self.router = gytest.zsocket(gytest.zmq.ROUTER, None, connect=False)
        self.events_ep = "tcp://127.0.0.1:%d" % gytest.free_port()
        self.replay_ep = "tcp://127.0.0.1:%d" % gytest.free_port()
        self.pub.bind(self.events_ep)
        self.router.bind(self.replay_ep)
        self.replays = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def event(self, sequence):
        env = gytest.pb.Envelope(id=str(uuid.uuid4()), type="ClueReceived",
                                 producer=self.producer, sequence=sequence,
                                 time_unix_ms=1793500000000 + sequence, trace_id="t",
                                 procuratorate="140213")
        env.clue_received.clue_id = str(uuid.UUID(int=sequence))
        with self._lock:
            self.events[sequence] = env.SerializeToString()
        return self.events[sequence]

    def publish(self, sequence):
        with self._lock:
            frame = self.events[sequence]
            self.pub.send_multipart([b"ClueReceived", frame])

    def heartbeat(self):
        with self._lock:
            head = max(self.events, default=0)
            env = gytest.pb.Envelope(id=str(uuid.uuid4()), type="Heartbeat",
                                     producer=self.producer, sequence=head,
                                     time_unix_ms=1793500000000)
            env.heartbeat.head_sequence = head
            self.pub.send_multipart([b"Heartbeat", env.SerializeToString()])

    def _answer(self, frames):
        req = gytest.pb.Envelope()
        req.ParseFromString(frames[-1])
        rr = req.replay_request
        resp = gytest.pb.Envelope(id=str(uuid.uuid4()), type="ReplayResponse",
                                  producer=self.producer, time_unix_ms=1793500000000)
        r = resp.replay_response
        r.request_id = req.id
        with self._lock:
            head = max(self.events, default=0)
            if not rr.producer:
                p = r.producers.add()
                p.producer, p.head_sequence = self.producer, head
                events = []
            else:
                r.producer = rr.producer
                events = [self.events[s] for s in sorted(self.events)
                          if s > rr.after_sequence] if rr.producer == self.producer else []
                self.replays += 1
        r.head_sequence = head
        if events:
            r.first_sequence = rr.after_sequence + 1
            r.last_sequence = rr.after_sequence + len(events)
        return frames[:-1] + [resp.SerializeToString()] + events

    def _run(self):
        while not self._stop.is_set():
            if self.router.poll(100, gytest.zmq.POLLIN):
                frames = self.router.recv_multipart()
                reply = self._answer(frames)
                with self._lock:
                    self.router.send_multipart(reply)

    def close(self):
        self._stop.set()
        self.thread.join(5)
        self.pub.close()
        self.router.close()


class DuplicateTest(unittest.TestCase):
    """The same sequence delivered twice in a row: the second is skipped
    (the skip counter goes to 1), nothing is applied twice, and the
    consumer lives on and applies what follows.  Then the producer's
    database falls behind the consumer's position (restored from a backup):
    the consumer says so."""

    def test_same_sequence_twice_then_the_producer_falls_behind(self):
        own_db = gytest.create_database("cons_dup_own")
        own = gytest.Db(own_db)
        fake = FakeProducer("fake-dup-1")
        consumer = Consumer(S["folder"], own_db, "%s|%s" % (fake.events_ep, fake.replay_ep))
        consumer.log_path = os.path.join(S["folder"], "consumer-dup.log")

        def applied():
            return own.query("SELECT sequence FROM probe.applied ORDER BY id")

        def wait(predicate, what):
            deadline = time.monotonic() + APPLY_TIMEOUT
            while not predicate():
                if time.monotonic() > deadline:
                    self.fail("%s; consumer log:\n%s" % (what, consumer.log_tail()))
                fake.heartbeat()
                time.sleep(0.2)

        try:
            fake.event(1)
            consumer.start()
            # The heartbeat shows sequence 1; the replay brings it.
            wait(lambda: applied() == [(1,)], "sequence 1 was not applied")
            wait(lambda: own.scalar("SELECT last_sequence FROM probe.consumed") == 1,
                 "position 1 not stored")
            # Replays answered twice (heartbeats asked again) may have been
            # skipped already: count from where the counter settles.
            skipped = None
            while skipped != consumer.metric("gy_consumer_duplicates_skipped_total"):
                skipped = consumer.metric("gy_consumer_duplicates_skipped_total")
                time.sleep(1.0)
            # The last applied event again, live: a duplicate.
            fake.publish(1)
            deadline = time.monotonic() + 10
            while consumer.metric("gy_consumer_duplicates_skipped_total") < skipped + 1 and \
                    time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(consumer.metric("gy_consumer_duplicates_skipped_total"),
                             skipped + 1, consumer.log_tail())
            # Twice in a row, then the next one: applied once each, in order.
            fake.event(2)
            fake.publish(2)
            fake.publish(2)
            wait(lambda: len(applied()) >= 2, "sequence 2 was not applied")
            deadline = time.monotonic() + 10
            while consumer.metric("gy_consumer_duplicates_skipped_total") < skipped + 2 and \
                    time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(applied(), [(1,), (2,)])
            self.assertGreaterEqual(consumer.metric("gy_consumer_duplicates_skipped_total"),
                                    skipped + 2)
            consumer.assert_healthy_process()

            # The producer's database is restored from a backup that had
            # only sequence 1: its list (every 10 s) shows a head below the
            # position applied here.  Nothing can be repaired by the
            # consumer, but it must say so (docs/bus.md).
            with fake._lock:
                fake.events = {}
            fake.event(1)
            wait(lambda: consumer.metric("gy_consumer_producer_behind",
                                         {"producer": "fake-dup-1"}) == 1,
                 "a producer behind the applied position went unnoticed")
            with open(consumer.log_path, "rb") as f:
                log = f.read().decode("utf-8", "replace")
            self.assertIn("producer fake-dup-1 has committed up to sequence 1 but 2 is applied "
                          "here", log)
            fake.event(2)  # a new event under an old number: skipped (documented)
            fake.publish(2)
            wait(lambda: consumer.metric("gy_consumer_producer_behind",
                                         {"producer": "fake-dup-1"}) == 0,
                 "the alarm did not clear when the producer was back at the position")
            self.assertEqual(applied(), [(1,), (2,)])
            consumer.assert_healthy_process()
            self.assertEqual(consumer.stop(), 0, "the consumer did not stop cleanly")
        finally:
            consumer.kill()
            fake.close()
            own.close()
            gytest.drop_database(own_db)


class ConsumerConfigTest(unittest.TestCase):
    """What an operator sees when the configuration is wrong, and CURVE."""

    def start_failing(self, name, env):
        c = Consumer(S["folder"], S["own_db"], env.pop("GY_SOURCES"), env)
        c.log_path = os.path.join(S["folder"], name + ".log")
        with self.assertRaises(AssertionError) as cm:
            c.start()
        c.kill()
        return str(cm.exception)

    def test_malformed_sources_stop_the_start_naming_the_variable(self):
        for i, value in enumerate(("", "tcp://intake:7101", "tcp://intake:7101|http://x:1",
                                   "tcp://a:1|tcp://a:2,")):
            text = self.start_failing("bad-sources-%d" % i, {"GY_SOURCES": value})
            self.assertIn("exited with 1", text)
            self.assertIn("GY_SOURCES", text, value)

    def test_curve_source_needs_a_client_certificate(self):
        keys = os.path.join(S["folder"], "keys-missing")
        server_pub, _, _ = gytest.curve_keygen(keys, "intake")
        text = self.start_failing("no-client-cert", {
            "GY_SOURCES": "tcp://127.0.0.1:1|tcp://127.0.0.1:2|" + server_pub})
        self.assertIn("GY_CURVE_CLIENT_CERT", text)

    def test_curve_source_is_consumed_with_an_allowed_key(self):
        folder = S["folder"]
        keys = os.path.join(folder, "keys")
        clients = os.path.join(folder, "curve-clients")
        os.makedirs(clients, exist_ok=True)
        server_pub, server_sec, _ = gytest.curve_keygen(keys, "intake")
        client_pub, client_sec, _ = gytest.curve_keygen(keys, "consumer")
        shutil.copy(client_pub, clients)
        site_db = gytest.create_database("cons_curve_site")
        own_db = gytest.create_database("cons_curve_own")
        intake = gytest.Intake(folder, "intake-curve", site_db, producer="intake-curve-1",
                               env={"GY_CURVE_SERVER_CERT": server_sec,
                                    "GY_CURVE_CLIENTS_DIR": clients}).start()
        consumer = Consumer(folder, own_db, "%s|%s|%s" % (intake.events, intake.replay, server_pub),
                            {"GY_CURVE_CLIENT_CERT": client_sec})
        consumer.log_path = os.path.join(folder, "consumer-curve.log")
        own = gytest.Db(own_db)
        try:
            submit(intake, 5, "curve-before")
            consumer.start()
            submit(intake, 5, "curve-after")
            deadline = time.monotonic() + APPLY_TIMEOUT
            while own.scalar("SELECT count(*) FROM probe.applied") < 10 and \
                    time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertEqual(own.query("SELECT sequence FROM probe.applied ORDER BY id"),
                             [(n,) for n in range(1, 11)], consumer.log_tail())
        finally:
            consumer.stop()
            intake.stop()
            own.close()
            gytest.drop_database(own_db)
            gytest.drop_database(site_db)


if __name__ == "__main__":
    unittest.main()
