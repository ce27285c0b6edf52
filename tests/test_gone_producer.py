"""A producer that never speaks again: an intake instance stores clues
while the router is away, then goes for good (a replica scaled down, a
container recreated under a new id).  No event and no heartbeat of it will
ever come, yet the router must route its clues: it asks each source which
producers its site has (ReplayRequest with producer "") and replays them
from any instance of that site."""

import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}


def setUpModule():
    gytest.require_router_build()
    S["folder"] = gytest.run_dir("test_gone_producer")
    S["dbname"] = gytest.create_database("gone")
    S["db"] = gytest.Db(S["dbname"])
    S["gone"] = gytest.Intake(S["folder"], "intake-gone", S["dbname"]).start()
    S["stays"] = gytest.Intake(S["folder"], "intake-stays", S["dbname"]).start()


def tearDownModule():
    for name in ("router", "gone", "stays"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


class GoneProducerTest(gytest.IntakeTestCase):

    def test_the_clues_of_a_producer_gone_for_good_are_routed(self):
        ids = []
        for _ in range(5):
            r = S["gone"].post_clue(valid_clue(description="已停用实例的线索" + uuid.uuid4().hex),
                                    idem=str(uuid.uuid4()))
            self.assertEqual(r.status, 201, r)
            ids.append(r.json()["id"])
        S["gone"].stop()
        # The router follows both instances; one of them is gone.
        S["router"] = gytest.Router(S["folder"], "router-gone", S["dbname"],
                                    [S["gone"], S["stays"]]).start()
        deadline = time.monotonic() + 40
        routed = 0
        while time.monotonic() < deadline:
            routed = S["db"].scalar("SELECT count(*) FROM router.clue WHERE id = ANY(%s::uuid[])",
                                    (ids,))
            if routed == len(ids):
                break
            time.sleep(0.2)
        self.assertEqual(routed, len(ids), S["router"].log_tail())
        self.assertEqual(S["db"].scalar("SELECT last_sequence FROM router.consumed "
                                        "WHERE producer = 'intake-gone'"), 5)

    def test_the_list_of_producers_over_the_bus(self):
        """What an outside consumer sees: every producer of the site with
        its newest sequence, from any instance."""
        env = gytest.envelope("ReplayRequest", replay_request=gytest.pb.ReplayRequest(producer=""))
        frames = gytest.request(S["stays"].replay, env.SerializeToString())
        self.assertIsNotNone(frames, "no answer")
        head = gytest.parse_event(frames[0])
        self.assertEqual(head.type, "ReplayResponse")
        r = head.replay_response
        self.assertEqual(r.error_code, "")
        self.assertEqual(len(frames), 1)
        heads = {p.producer: p.head_sequence for p in r.producers}
        # Producers that have committed events; intake-stays has none.
        self.assertEqual(heads, {"intake-gone": 5})


if __name__ == "__main__":
    unittest.main()
