"""The kit's example service (examples/mini, docs/kit.md), end to end: a
clue submitted to intake is consumed by gy-mini exactly once, answered on
its one route, and announced as ClueRouted on its own bus endpoints; a
restart (stored positions, the outbox) changes nothing.  It is also the
smallest example of a gytest.Service."""

import os
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

MINI_BIN = os.path.join(gytest.BUILD_DIR, "examples", "mini", "gy-mini")

S = {}


class Mini(gytest.Service):
    binary = MINI_BIN

    def __init__(self, folder, name, dbname, intakes):
        sources = ",".join("%s|%s" % (i.events, i.replay) for i in intakes)
        super().__init__(folder, name, dbname, env={"GY_SOURCES": sources})


def setUpModule():
    gytest.require_build()
    S["folder"] = gytest.run_dir("test_mini")
    S["dbname"] = gytest.create_database("mini")
    S["db"] = gytest.Db(S["dbname"])
    S["intake"] = gytest.Intake(S["folder"], "intake-mini", S["dbname"]).start()
    S["mini"] = Mini(S["folder"], "mini-1", S["dbname"], [S["intake"]]).start()


def tearDownModule():
    for name in ("follower", "mini", "intake"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


class MiniTest(gytest.IntakeTestCase):

    def _routed(self, clue_id, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = S["mini"].get("/api/v1/mini/" + clue_id)
            if r.status == 200:
                return r.json()
            self.assertError(r, 404, "not_found")
            time.sleep(0.1)
        self.fail("clue %s not routed; log:\n%s" % (clue_id, S["mini"].log_tail()))

    def test_one_route_one_consumed_event_one_emitted_event(self):
        follower = S["follower"] = gytest.EventFollower(S["mini"].events, S["mini"].replay,
                                                        "mini-1")
        follower.start()
        r = S["intake"].post_clue(valid_clue(region_code="140213"), idem=str(uuid.uuid4()))
        clue_id = self.assertCreated(r)["id"]
        self.assertEqual(self._routed(clue_id),
                         {"clue_id": clue_id, "procuratorate": "140213"})
        self.assertTrue(follower.wait_for(
            lambda f: any(e.clue_routed.clue_id == clue_id for e in f.by_type("ClueRouted"))),
            S["mini"].log_tail())
        event = [e for e in follower.by_type("ClueRouted") if e.clue_routed.clue_id == clue_id][0]
        self.assertEqual(event.clue_routed.procuratorate, "140213")
        self.assertEqual(event.clue_routed.source_producer, "intake-mini")
        self.assertEqual(follower.errors, [])

        # Exactly once, across a restart: the position is stored with the effect.
        S["mini"].assert_healthy_process()
        S["mini"].stop()
        S["mini"].start()
        r = S["intake"].post_clue(valid_clue(region_code="140214"), idem=str(uuid.uuid4()))
        second = self.assertCreated(r)["id"]
        self._routed(second)
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM mini.routed"), 2)
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM mini.outbox"), 2)
        status, health = S["mini"].health()
        self.assertEqual(status, 200, health)
        self.assertEqual(health["consumed"]["intake-mini"]["position"], 2, health)

    def test_the_kit_answers_what_the_route_table_does_not_know(self):
        self.assertError(S["mini"].get("/api/v1/mini"), 404, "not_found")
        r = gytest.http_request(S["mini"].http_port, "POST", "/api/v1/mini/x", b"{}",
                                {"Content-Type": "application/json"})
        self.assertError(r, 405, "method_not_allowed")
        self.assertEqual(r.headers.get("allow"), "GET")
        r = gytest.http_request(S["mini"].http_port, "POST", "/healthz", b"{}",
                                {"Content-Type": "application/json"})
        self.assertError(r, 405, "method_not_allowed")


if __name__ == "__main__":
    unittest.main()
