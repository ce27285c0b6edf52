"""intake when things around it go wrong: too many submissions, Redis gone,
PostgreSQL gone and back.  Redis is a cache and a limiter, never needed to
accept a clue; without PostgreSQL nothing is acknowledged, and intake
recovers by itself when it returns."""

import time
import unittest
import uuid

import gytest
from gytest import IntakeTestCase, valid_clue

S = {}


def setUpModule():
    gytest.require_build()
    S["folder"] = gytest.run_dir("test_intake_degraded")
    S["dbname"] = gytest.create_database("degraded")
    S["db"] = gytest.Db(S["dbname"])
    S["stop"] = []  # things to stop at the end, last first


def tearDownModule():
    for thing in reversed(S.get("stop", [])):
        try:
            thing.stop()
        except Exception as exc:  # keep stopping the rest
            print("teardown: %r" % exc)
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def keep(thing):
    S["stop"].append(thing)
    return thing


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # the service may be between states
            last = exc
        time.sleep(0.1)
    raise AssertionError("%s within %.0f s (last: %r)" % (what, timeout, last))


def fresh_minute_window(needed):
    """A per-minute limit may count in calendar minutes: start a burst where
    it cannot straddle two windows."""
    into = gytest.now_ms() / 1000.0 % 60
    if into > 60 - needed:
        time.sleep(60 - into + 0.2)


def health(intake):
    """(HTTP status, the documented members of the /healthz body)."""
    r = intake.get("/healthz", timeout=5)
    body = r.json()
    return r.status, {k: body.get(k) for k in ("status", "postgres", "redis")}


class RateLimitTest(IntakeTestCase):

    def test_limit_is_shared_across_instances_through_redis(self):
        redis = keep(gytest.PrivateRedis(S["folder"], "redis-limit").start())
        # The test client stands in for the edge: named as the one trusted
        # proxy (nothing is trusted by default).
        env = {"GY_RATE_LIMIT_PER_MIN": "5", "GY_TRUSTED_PROXIES": "127.0.0.1"}
        a = keep(gytest.Intake(S["folder"], "intake-rl-a", S["dbname"], redis_port=redis.port,
                               env=env).start())
        b = keep(gytest.Intake(S["folder"], "intake-rl-b", S["dbname"], redis_port=redis.port,
                               env=env).start())
        db = S["db"]
        fresh_minute_window(20)
        receipts = []
        for intake in (a, a, a, b, b):
            receipts.append(self.assertCreated(intake.post_clue(valid_clue()))["receipt_code"])
        for intake in (a, b):
            with self.subTest(instance=intake.name), self.assertNothingStored(db):
                self.assertError(intake.post_clue(valid_clue()), 429, "rate_limited")
        # Following up is not a submission.
        r = a.get("/api/v1/clues/" + receipts[0])
        self.assertEqual(r.status, 200, r)
        # The limit is per client: another address behind the trusted proxy
        # (the edge sets X-Forwarded-For) is not held back.
        self.assertCreated(a.post_clue(valid_clue(),
                                       headers={"X-Forwarded-For": "203.0.113.7"}))


class RedisDownTest(IntakeTestCase):

    def test_accepts_without_redis_and_limits_in_process(self):
        redis = keep(gytest.PrivateRedis(S["folder"], "redis-down").start())
        intake = keep(gytest.Intake(S["folder"], "intake-nored", S["dbname"],
                                    redis_port=redis.port,
                                    env={"GY_RATE_LIMIT_PER_MIN": "3"}).start())
        self.assertEqual(health(intake), (200, {"status": "ok", "postgres": "ok",
                                                "redis": "ok"}))
        fresh_minute_window(30)
        redis.stop()
        wait_for(lambda: health(intake) == (200, {"status": "ok", "postgres": "ok",
                                                  "redis": "down"}),
                 10, "/healthz should say redis down")
        for i in range(3):
            t0 = time.monotonic()
            self.assertCreated(intake.post_clue(valid_clue()))
            self.assertLess(time.monotonic() - t0, 5.0, "submission %d waited on Redis" % i)
        with self.assertNothingStored(S["db"]):
            self.assertError(intake.post_clue(valid_clue()), 429, "rate_limited")
        self.assertEqual(gytest.metric_value(intake.metrics(), "gy_redis_up"), 0)

        redis.start()  # same folder and port
        wait_for(lambda: health(intake) == (200, {"status": "ok", "postgres": "ok",
                                                  "redis": "ok"}),
                 15, "/healthz should say redis ok again")
        self.assertEqual(gytest.metric_value(intake.metrics(), "gy_redis_up"), 1)

    def test_starts_without_redis(self):
        nobody = gytest.free_port()  # nothing listens there
        intake = keep(gytest.Intake(S["folder"], "intake-noredis-start", S["dbname"],
                                    redis_port=nobody).start())
        self.assertEqual(health(intake), (200, {"status": "ok", "postgres": "ok",
                                                "redis": "down"}))
        self.assertCreated(intake.post_clue(valid_clue()))


class PostgresDownTest(IntakeTestCase):

    def test_unavailable_while_down_and_recovers_without_restart(self):
        pg = keep(gytest.PrivatePostgres(S["folder"], "pg-private").start())
        db = gytest.Db("gongyi", port=pg.port)
        self.addCleanup(db.close)
        intake = keep(gytest.Intake(S["folder"], "intake-pgdown", "gongyi", pg_port=pg.port))
        intake.start()
        pid = intake.proc.pid
        acked = [self.assertCreated(intake.post_clue(valid_clue()))["id"]]

        pg.stop()
        db.close()
        key = "while-down-" + uuid.uuid4().hex
        for attempt in range(3):
            t0 = time.monotonic()
            r = intake.post_clue(valid_clue(title="数据库停机时提交"), idem=key, timeout=15)
            self.assertError(r, 503, "unavailable")
            self.assertLess(time.monotonic() - t0, 10.0, "a 503 should not take this long")
        status, body = health(intake)
        self.assertEqual(status, 503, body)
        self.assertEqual((body.get("status"), body.get("postgres")), ("unavailable", "down"),
                         body)

        env, reply = gytest.submit(intake.submit, "hotline-12345", timeout=15,
                                   **gytest.bus_clue("down-" + uuid.uuid4().hex))
        self.assertIsNotNone(reply, "no answer on the bus while PostgreSQL is down")
        self.assertEqual(reply.WhichOneof("body"), "nack", reply)
        self.assertEqual(reply.nack.code, "unavailable", reply)
        self.assertEqual(reply.nack.request_id, env.id)

        _, head, frames = gytest.replay(intake.replay, intake.producer, 0, timeout=15)
        self.assertIsNotNone(head, "no answer to a replay while PostgreSQL is down")
        self.assertEqual(head.replay_response.error_code, "unavailable", head)
        self.assertEqual(frames, [])

        pg.start()
        wait_for(lambda: health(intake)[0] == 200, 20, "/healthz should recover")
        self.assertEqual(intake.proc.pid, pid)
        self.assertTrue(intake.running())
        # The key was never stored: the first use after recovery creates it.
        acked.append(self.assertCreated(
            intake.post_clue(valid_clue(title="数据库停机时提交"), idem=key))["id"])
        acked.append(self.assertCreated(intake.post_clue(valid_clue()))["id"])

        rows = db.query("SELECT id::text, sequence FROM intake.clue ORDER BY sequence")
        self.assertEqual(sorted(r[0] for r in rows), sorted(acked))
        self.assertEqual([r[1] for r in rows], [1, 2, 3])
        self.assertEqual(db.query("SELECT sequence FROM intake.outbox ORDER BY sequence"),
                         [(1,), (2,), (3,)])
        _, head, frames = gytest.replay(intake.replay, intake.producer, 0)
        self.assertIsNotNone(head)
        self.assertEqual(head.replay_response.head_sequence, 3, head)
        self.assertEqual([gytest.parse_event(f).clue_received.clue_id for f in frames],
                         [r[0] for r in rows])


if __name__ == "__main__":
    unittest.main()
