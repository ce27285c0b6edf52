"""The router end to end: a clue submitted over HTTP to intake comes out of
the router's PUB as ClueRouted, decided for the right procuratorate, field
and duplicate cluster, exactly once; the reporter's deadlines fire once;
an outside client follows the router's events with replay.

Two intake instances (two producers) feed one router, as in a site."""

import os
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}


def setUpModule():
    gytest.require_router_build()
    S["folder"] = gytest.run_dir("test_router")
    S["dbname"] = gytest.create_database("router")
    S["db"] = gytest.Db(S["dbname"])
    S["intakes"] = [gytest.Intake(S["folder"], "intake-r%d" % n, S["dbname"]).start()
                    for n in (1, 2)]
    S["router"] = gytest.Router(S["folder"], "router-t1", S["dbname"], S["intakes"]).start()
    S["follower"] = gytest.EventFollower(S["router"].events, S["router"].replay,
                                         "router-t1").start()


def tearDownModule():
    if "follower" in S:
        S["follower"].stop()
    for name in ("router",):
        if name in S:
            S[name].stop()
    for i in S.get("intakes", []):
        i.stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def routed(clue_id, timeout=20.0):
    """The ClueRouted of a clue, as the follower received it."""
    f = S["follower"]
    found = []

    def seen(f):
        found[:] = [e for e in f.by_type("ClueRouted") if e.clue_routed.clue_id == clue_id]
        return bool(found)

    assert f.wait_for(seen, timeout), "no ClueRouted for %s within %.0f s; router log:\n%s" % (
        clue_id, timeout, S["router"].log_tail())
    return found


def submit(intake, **overrides):
    r = intake.post_clue(valid_clue(**overrides), idem=str(uuid.uuid4()))
    assert r.status == 201, r
    return r.json()["id"]


class RoutingTest(gytest.IntakeTestCase):

    def test_county_clue_goes_to_its_county_with_the_field_from_the_text(self):
        cid = submit(S["intakes"][0], title="丹徒区化工厂夜间排污",
                     description="工厂通过暗管偷排废水，河道出现黑臭水体。" + uuid.uuid4().hex,
                     field_code="other", region_code="321112",
                     location={"lat": 32.1, "lon": 119.5, "address": "镇江市丹徒区"})
        events = routed(cid)
        self.assertEqual(len(events), 1, "routed more than once")
        env = events[0]
        r = env.clue_routed
        self.assertEqual(env.type, "ClueRouted")
        self.assertEqual(env.procuratorate, "321112")
        self.assertEqual(r.procuratorate, "321112")
        self.assertEqual(r.queue, "handling")
        self.assertEqual(r.rule, "county")
        self.assertEqual(r.city, "321100")
        self.assertEqual(r.field_code, "ecology")
        self.assertEqual(r.reporter_field_code, "other")
        self.assertGreater(r.field_confidence, 0.5)
        self.assertIn("排污", r.reason)
        self.assertEqual(r.source_producer, "intake-r1")
        self.assertEqual(r.cluster_id, cid, "a new matter starts its own cluster")
        self.assertFalse(r.duplicate)
        row = S["db"].query("SELECT procuratorate, queue, field_code, reporter_field_code, "
                            "source_producer, source_sequence, status FROM router.clue "
                            "WHERE id = %s", (cid,))
        self.assertEqual(row, [("321112", "handling", "ecology", "other", "intake-r1",
                                r.source_sequence, "routed")])
        hist = S["db"].query("SELECT field_code, decided_by FROM router.classification "
                             "WHERE clue_id = %s", (cid,))
        self.assertEqual(hist, [("ecology", "triage")])

    def test_city_only_code_goes_to_the_city_triage_queue(self):
        cid = submit(S["intakes"][1], title="路边有人倾倒垃圾",
                     description="镇江市某处路边经常有人倾倒建筑垃圾。" + uuid.uuid4().hex,
                     field_code="ecology", region_code="321100",
                     location={"address": "镇江市"})
        r = routed(cid)[0].clue_routed
        self.assertEqual((r.procuratorate, r.queue, r.rule), ("321100", "triage", "not_county"))
        self.assertEqual(r.source_producer, "intake-r2")

    def test_major_matter_goes_to_the_city(self):
        cid = submit(S["intakes"][0], title="重大污染事故",
                     description="化工厂偷排导致全流域死鱼。" + uuid.uuid4().hex,
                     region_code="140213")
        r = routed(cid)[0].clue_routed
        self.assertEqual((r.procuratorate, r.queue, r.rule), ("140200", "handling", "major"))
        self.assertGreaterEqual(r.priority, 40)

    def test_an_organ_failing_its_duty_goes_to_the_organs_level(self):
        cid = submit(S["intakes"][1], title="河道长期黑臭无人管",
                     description="丹徒区化工厂偷排，镇江市生态环境局接到多次举报后不作为。"
                                 + uuid.uuid4().hex,
                     region_code="321112", location={"address": "镇江市丹徒区"})
        r = routed(cid)[0].clue_routed
        self.assertEqual((r.procuratorate, r.queue, r.rule, r.city),
                         ("321100", "handling", "organ", "321100"))

    def test_text_overrides_the_reporters_field(self):
        cid = submit(S["intakes"][1], title="盲道被占用",
                     description="人行道上的盲道被汽车长期占用。" + uuid.uuid4().hex,
                     field_code="ecology", region_code="430104",
                     location={"address": "长沙市岳麓区"})
        r = routed(cid)[0].clue_routed
        self.assertEqual(r.field_code, "barrier_free")
        self.assertEqual(r.reporter_field_code, "ecology")
        self.assertEqual(r.procuratorate, "430104")

    def test_a_field_reserved_to_cities_goes_to_the_city(self):
        """反垄断法 art. 60: only a procuratorate of a 设区的市 or above sues
        in anti-monopoly matters (reference/fields.csv, min_level), so a
        county's anti-monopoly clue goes to its city."""
        cid = submit(S["intakes"][0], title="外卖平台强迫商户二选一",
                     description="平台滥用市场支配地位，要求商户只能在一家平台经营，排除竞争。"
                                 + uuid.uuid4().hex,
                     field_code="other", region_code="140213",
                     location={"address": "御河东路"})
        r = routed(cid)[0].clue_routed
        self.assertEqual(r.field_code, "anti_monopoly")
        self.assertEqual((r.procuratorate, r.queue, r.rule, r.city),
                         ("140200", "handling", "field_level", "140200"))

    def test_duplicates_join_one_cluster(self):
        text = ("濮阳县城南一家造纸厂每天夜里把废水直接排进金堤河，河水发黑发臭，"
                "岸边的庄稼也受了影响，村民多次反映没有结果。")
        tag = uuid.uuid4().hex[:6]
        first = submit(S["intakes"][0], title="造纸厂废水排进金堤河 " + tag, description=text,
                       region_code="410928", location={"address": "濮阳县城南"})
        second = submit(S["intakes"][1], title="造纸厂废水排进金堤河 " + tag, description=text,
                        region_code="410928", location={"address": "濮阳县"})
        other = submit(S["intakes"][0], title="超市卖过期食品 " + tag,
                       description="超市货架上有大量过期食品。", field_code="food_drug",
                       region_code="410928", location={"address": "濮阳县"})
        a, b, c = (routed(x)[0].clue_routed for x in (first, second, other))
        self.assertEqual(a.cluster_id, first)
        self.assertFalse(a.duplicate)
        self.assertEqual(b.cluster_id, first, "the same matter from another reporter")
        self.assertTrue(b.duplicate)
        self.assertEqual(c.cluster_id, other)
        self.assertEqual(S["db"].scalar("SELECT size FROM router.cluster WHERE id = %s",
                                        (first,)), 2)

    def test_deadlines_end_on_working_days(self):
        """The holiday calendar (reference/holidays.csv) is in the router's
        schema, and a deadline that would end on a rest day ends on the next
        working day (Beijing time), at the same time of day."""
        db = S["db"]
        lines = [l for l in open(os.path.join(gytest.REFDATA_DIR, "holidays.csv"), encoding="utf-8")
                 if l[:1].isdigit()]
        self.assertEqual(db.scalar("SELECT count(*) FROM router.holiday"), len(lines))
        for day, want in (("2026-10-01", "2026-10-08"),   # 国庆: holidays to the 7th
                          ("2026-10-10", "2026-10-10"),   # a Saturday worked instead
                          ("2026-11-28", "2026-11-30"),   # a plain Saturday
                          ("2026-11-25", "2026-11-25"),   # a Wednesday
                          ("2026-02-14", "2026-02-14"),   # 春节调休 Saturday
                          ("2026-02-15", "2026-02-24")):  # 春节
            with self.subTest(day=day):
                self.assertEqual(str(db.scalar("SELECT router.working_day_on_or_after(%s)",
                                               (day,))), want)
        cid = submit(S["intakes"][0], description="期限测试" + uuid.uuid4().hex)
        routed(cid)
        rows = db.query(
            "SELECT d.rule, (d.due_at AT TIME ZONE 'Asia/Shanghai')::date,"
            "       router.working_day_on_or_after(((c.received_at + r.period)"
            "           AT TIME ZONE 'Asia/Shanghai')::date),"
            "       (d.due_at AT TIME ZONE 'Asia/Shanghai')::time,"
            "       ((c.received_at + r.period) AT TIME ZONE 'Asia/Shanghai')::time"
            "  FROM router.deadline d JOIN router.clue c ON c.id = d.clue_id"
            "  JOIN router.deadline_rule r ON r.rule = d.rule WHERE d.clue_id = %s", (cid,))
        self.assertEqual(len(rows), 2)
        for rule, day, want_day, time_of_day, want_time in rows:
            self.assertEqual((rule, day, time_of_day), (rule, want_day, want_time))
        # A deadline written for a rest day moves as it is written (a future
        # weekend: the scanner must not fire it meanwhile).
        db.query("INSERT INTO router.deadline_rule (rule, period, description) "
                 "VALUES ('test_calendar', '1 day', 'test') ON CONFLICT DO NOTHING RETURNING 1")
        moved = db.query("INSERT INTO router.deadline (clue_id, rule, due_at, procuratorate) "
                         "VALUES (%s, 'test_calendar', '2027-01-09 10:30:00+08', '140213') "
                         "RETURNING to_char(due_at AT TIME ZONE 'Asia/Shanghai', "
                         "'YYYY-MM-DD HH24:MI')", (cid,))
        self.assertEqual(moved, [("2027-01-11 10:30",)])
        db.query("DELETE FROM router.deadline WHERE rule = 'test_calendar'")
        db.query("DELETE FROM router.deadline_rule WHERE rule = 'test_calendar'")

    def test_deadlines_fire_once(self):
        cid = submit(S["intakes"][0], title="网吧接纳未成年人",
                     description="网吧深夜接纳未成年人上网。" + uuid.uuid4().hex,
                     field_code="minors", region_code="140214")
        routed(cid)
        rows = S["db"].query("SELECT rule, due_at - (SELECT received_at FROM router.clue "
                             "WHERE id = %s) FROM router.deadline WHERE clue_id = %s "
                             "ORDER BY rule", (cid, cid))
        self.assertEqual([r[0] for r in rows], ["acknowledge_7d", "progress_3m"])
        self.assertEqual(rows[0][1].days, 7)
        # Let the acknowledgement fall due now.
        S["db"].query("UPDATE router.deadline SET due_at = now() - interval '1 second' "
                      "WHERE clue_id = %s AND rule = 'acknowledge_7d'", (cid,))
        f = S["follower"]

        def dues(f):
            return [e for e in f.by_type("ClueDeadlineDue") if e.clue_deadline_due.clue_id == cid]

        self.assertTrue(f.wait_for(lambda f: dues(f), 10), "no ClueDeadlineDue")
        time.sleep(1.0)  # several scans later, still one
        events = dues(f)
        self.assertEqual(len(events), 1)
        d = events[0].clue_deadline_due
        self.assertEqual(d.rule, "acknowledge_7d")
        self.assertEqual(d.procuratorate, "140214")
        self.assertIsNotNone(S["db"].scalar(
            "SELECT fired_at FROM router.deadline WHERE clue_id = %s AND rule = 'acknowledge_7d'",
            (cid,)))
        self.assertIsNone(S["db"].scalar(
            "SELECT fired_at FROM router.deadline WHERE clue_id = %s AND rule = 'progress_3m'",
            (cid,)))


class HealthAndReplayTest(gytest.IntakeTestCase):

    def test_health_shows_consumer_positions(self):
        for i in S["intakes"]:
            submit(i, description="健康检查 " + uuid.uuid4().hex)
        db = S["db"]
        want = dict(db.query("SELECT producer, last_sequence FROM intake.producer"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status, body = S["router"].health()
            got = {p: v["position"] for p, v in body["consumed"].items()}
            if got == want:
                break
            time.sleep(0.1)
        self.assertEqual(status, 200, body)
        self.assertEqual(got, want)
        self.assertEqual(body["assessment"], "off")
        m = S["router"].metrics()
        self.assertIsNotNone(gytest.metric_value(m, "gy_router_clues_routed_total"))

    def test_a_late_follower_gets_every_event_by_replay(self):
        submit(S["intakes"][0], description="回放测试 " + uuid.uuid4().hex)
        db = S["db"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            n = db.scalar("SELECT count(*) FROM router.outbox WHERE producer = 'router-t1'")
            clues = db.scalar("SELECT count(*) FROM router.clue")
            received = db.scalar("SELECT count(*) FROM intake.clue")
            if clues == received:
                break
            time.sleep(0.1)
        late = gytest.EventFollower(S["router"].events, S["router"].replay, "router-t1").start()
        try:
            self.assertTrue(late.wait_for(lambda f: f.last >= n, 20), "late follower at %d of %d"
                            % (late.last, n))
        finally:
            late.stop()
        self.assertEqual(late.errors, [])
        self.assertEqual(late.applied[:n], list(range(1, n + 1)))
        self.assertGreater(late.replays, 0)
        ids = [e.clue_routed.clue_id for e in late.by_type("ClueRouted")]
        self.assertEqual(len(ids), len(set(ids)), "a clue routed twice")


if __name__ == "__main__":
    unittest.main()
