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

    def test_duplicates_arriving_together_join_one_cluster(self):
        """The router decides the cluster in C before it packs ClueRouted,
        from the stored clusters it read and the clusters started earlier
        in the same batch.  Clues queued while the router was down come in
        one batch: the same matter still makes one cluster."""
        text = ("范县一家化工厂深夜向黄河滩区倾倒废渣，废渣堆旁的水坑泛着油光，"
                "附近村民闻到刺鼻气味，已经多次向乡里反映。")
        tag = uuid.uuid4().hex[:6]
        S["router"].stop()
        try:
            ids = [submit(S["intakes"][n % 2], title="化工厂向黄河滩区倾倒废渣 " + tag,
                          description=text, region_code="410926",
                          location={"address": "范县黄河滩区"}) for n in range(4)]
            other = submit(S["intakes"][0], title="学校食堂使用过期食材 " + tag,
                           description="学校食堂长期使用过期肉类。", field_code="food_drug",
                           region_code="410926", location={"address": "范县"})
        finally:
            S["router"].start()
        events = [routed(x)[0].clue_routed for x in ids]
        # One cluster; its id is the clue the router took first (the two
        # intakes' streams interleave in any order), the others joined it.
        clusters = {e.cluster_id for e in events}
        self.assertEqual(len(clusters), 1, [(e.clue_id, e.cluster_id) for e in events])
        leader = clusters.pop()
        self.assertIn(leader, ids)
        self.assertEqual({e.clue_id: e.duplicate for e in events},
                         {x: x != leader for x in ids})
        self.assertEqual(routed(other)[0].clue_routed.cluster_id, other)
        self.assertEqual(S["db"].scalar("SELECT size FROM router.cluster WHERE id = %s",
                                        (leader,)), 4)
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM router.clue WHERE cluster_id = %s",
                                        (leader,)), 4)


class DeadlineTest(gytest.IntakeTestCase):
    """The reporter's deadlines on fixed dates, whatever day the suite runs:
    intake's clock (which stamps received_at) is set to each case's instant
    in turn, the router's to Saturday 2026-11-28 07:00 Beijing time.  Due
    dates follow the legal periods (common/gy_calendar: unit-tested on many
    more dates); here each is seen end to end, with its reasons, fired once
    by the router's clock, and computed again when a year is loaded."""

    ROUTER_CLOCK = "2026-11-28T07:00:00+08:00"

    @classmethod
    def setUpClass(cls):
        cls.folder = gytest.run_dir("test_router_deadlines")
        cls.dbname = gytest.create_database("deadlines")
        cls.db = gytest.Db(cls.dbname)
        cls.token_secret, token_public = gytest.token_keys(cls.folder)
        cls.intake = gytest.Intake(cls.folder, "intake-d1", cls.dbname,
                                   env={"GY_CLOCK_START": "2026-11-18T10:00:00+08:00"}).start()
        # The token key for the calendar's API (the registry stays off).
        cls.router = gytest.Router(cls.folder, "router-d1", cls.dbname, [cls.intake],
                                   env={"GY_CLOCK_START": cls.ROUTER_CLOCK,
                                        "GY_TOKEN_PUBLIC_KEY_FILE": token_public}).start()
        cls.follower = gytest.EventFollower(cls.router.events, cls.router.replay,
                                            "router-d1").start()

    @classmethod
    def tearDownClass(cls):
        for name in ("follower", "router", "intake"):
            if hasattr(cls, name):
                getattr(cls, name).stop()
        if hasattr(cls, "db"):
            cls.db.close()
        if hasattr(cls, "dbname"):
            gytest.drop_database(cls.dbname)

    def received_at(self, instant, **overrides):
        """Submits a clue with intake's clock at `instant`; waits until it
        is routed; returns its id."""
        self.intake.stop()
        self.intake.env["GY_CLOCK_START"] = instant
        self.intake.start()
        cid = submit(self.intake, description="期限 " + instant + uuid.uuid4().hex, **overrides)
        ok = self.follower.wait_for(lambda f: any(
            e.clue_routed.clue_id == cid for e in f.by_type("ClueRouted")), 20)
        self.assertTrue(ok, "not routed; router log:\n" + self.router.log_tail())
        return cid

    def deadlines(self, cid):
        """rule -> (last day, provisional, reasons, rule_version, start_event,
        start_at == received_at) with the last day in Beijing time."""
        rows = self.db.query(
            "SELECT d.rule, to_char((d.due_at - interval '1 ms') AT TIME ZONE 'Asia/Shanghai',"
            "       'YYYY-MM-DD'), to_char(d.due_at AT TIME ZONE 'Asia/Shanghai', 'HH24:MI:SS'),"
            "       d.provisional, d.reasons, d.rule_version, d.start_event,"
            "       d.start_at = c.received_at"
            "  FROM router.deadline d JOIN router.clue c ON c.id = d.clue_id"
            " WHERE d.clue_id = %s ORDER BY d.rule", (cid,))
        out = {}
        for rule, last, end_time, provisional, reasons, version, event, same_start in rows:
            self.assertEqual(end_time, "00:00:00", "a day ends at 24:00 Beijing time")
            self.assertEqual((version, event, same_start), (1, "ClueReceived", True))
            out[rule] = (last, provisional, reasons)
        self.assertEqual(sorted(out), ["acknowledge_7d", "progress_3m"])
        return out

    def recomputed(self, cid, rule, timeout=20):
        """The deadline once it is no longer provisional (or after timeout):
        (last day, provisional, reasons)."""
        deadline = time.monotonic() + timeout
        while True:
            last, provisional, reasons = self.deadlines(cid)[rule]
            if not provisional or time.monotonic() > deadline:
                return last, provisional, reasons
            time.sleep(0.1)

    def test_received_and_routed_at_are_the_services_clocks(self):
        """intake's received_at and the router's routed_at are the events'
        times, from each process's clock, never the database's now()."""
        instant = "2026-11-18T10:00:00+08:00"
        cid = self.received_at(instant)
        ms = "(extract(epoch FROM %s) * 1000)::bigint"
        received = self.db.scalar("SELECT " + ms % "received_at" + " FROM intake.clue"
                                  " WHERE id = %s", (cid,))
        start = gytest.parse_instant(instant)
        self.assertTrue(start <= received < start + 60000, gytest.format_instant(received))
        routed, router_received, triaged = self.db.query(
            "SELECT " + ms % "c.routed_at" + ", " + ms % "c.received_at" + ", "
            + ms % "h.decided_at" + " FROM router.clue c"
            " JOIN router.classification h ON h.clue_id = c.id AND h.decided_by = 'triage'"
            " WHERE c.id = %s", (cid,))[0]
        self.assertEqual(router_received, received)
        router_start = gytest.parse_instant(self.ROUTER_CLOCK)
        for at in (routed, triaged):
            self.assertTrue(router_start <= at < router_start + 600000,
                            gytest.format_instant(at))

    def test_a_due_date_on_each_kind_of_day(self):
        cases = [
            # (event instant, acknowledge_7d last day, its reasons)
            ("2026-11-18T10:00:00+08:00", "2026-11-25", []),                       # a Wednesday
            ("2026-11-21T10:00:00+08:00", "2026-11-30",                            # a Saturday
             [{"reason": "rest_day", "from": "2026-11-28", "to": "2026-11-30", "name": "星期六"}]),
            ("2026-11-22T10:00:00+08:00", "2026-11-30",                            # a Sunday
             [{"reason": "rest_day", "from": "2026-11-29", "to": "2026-11-30", "name": "星期日"}]),
            ("2026-09-24T10:00:00+08:00", "2026-10-08",                            # into 国庆
             [{"reason": "rest_day", "from": "2026-10-01", "to": "2026-10-08", "name": "国庆节"}]),
            ("2026-10-03T10:00:00+08:00", "2026-10-10", []),                       # a holiday; 调休 Sat
            # Defect 16: Saturday early morning in Beijing is Friday in UTC.
            ("2026-11-28T07:00:00+08:00", "2026-12-07",
             [{"reason": "rest_day", "from": "2026-12-05", "to": "2026-12-07", "name": "星期六"}]),
            # Friday late evening in Beijing: still Friday.
            ("2026-11-27T23:30:00+08:00", "2026-12-04", []),
        ]
        for instant, want_last, want_reasons in cases:
            with self.subTest(received=instant):
                d = self.deadlines(self.received_at(instant))
                self.assertEqual(d["acknowledge_7d"], (want_last, False, want_reasons))

    def test_provisional_until_the_year_is_loaded(self):
        """3 months from 2026-11-28 end on Sunday 2027-02-28: past 2026, the
        calendar's last year, so provisional (judged by weekday: Monday).
        Loading 2027 is a data change: the router re-reads the calendar and
        computes the deadline again, recording why.  The 2027 rows here are
        made up for the test (2027-03-01 a holiday); the real notice is not
        out."""
        cid = self.received_at("2026-11-28T10:00:00+08:00")
        last, provisional, reasons = self.deadlines(cid)["progress_3m"]
        self.assertEqual((last, provisional), ("2027-03-01", True))
        status, health = self.router.health()
        self.assertEqual(health["calendar"]["covered_until"], "2026-12-31")
        self.assertIn("does not cover the next 12 months", health["calendar"]["warning"])
        self.db.query("BEGIN; "
                      "INSERT INTO router.calendar_year (year, source) VALUES (2027, 'test'); "
                      "INSERT INTO router.holiday (day, kind, name) "
                      "VALUES ('2027-03-01', 'holiday', '测试假日'); COMMIT; SELECT 1")
        try:
            last, provisional, reasons = self.recomputed(cid, "progress_3m")
            self.assertEqual((last, provisional), ("2027-03-02", False), self.router.log_tail())
            self.assertEqual(reasons[0], {"reason": "rest_day", "from": "2027-02-28",
                                          "to": "2027-03-02", "name": "星期日"})
            self.assertEqual((reasons[1]["reason"], reasons[1]["last_day_was"]),
                             ("recomputed", "2027-03-01"))
            status, health = self.router.health()
            self.assertEqual(health["calendar"]["covered_until"], "2027-12-31")
            self.assertNotIn("warning", health["calendar"])
        finally:
            self.db.query("BEGIN; DELETE FROM router.holiday WHERE day >= '2027-01-01'; "
                          "DELETE FROM router.calendar_year WHERE year = 2027; COMMIT; SELECT 1")

    def token(self, role, proc):
        """A token issued on the router's clock."""
        return gytest.issue_token(self.token_secret, "%s-%s" % (role, proc), role=role,
                                  proc=proc, clock=self.ROUTER_CLOCK)

    def test_a_year_loaded_through_the_api(self):
        """The same as loading a year with psql, through PUT
        /api/v1/calendar/years/2027 (common/gy_calendar_api; the console's
        节假日日历 sends it): refusals write nothing, a city's administrator
        loads the year, the provisional deadline is computed again with the
        reason recorded, /healthz and GET /api/v1/calendar reach 2027-12-31;
        the same year again is 409, a province's administrator replaces it."""
        cid = self.received_at("2026-11-28T10:00:00+08:00")
        self.assertEqual(self.deadlines(cid)["progress_3m"][:2], ("2027-03-01", True))
        port, path = self.router.http_port, "/api/v1/calendar"
        admin, prosecutor = self.token("admin", "140200"), self.token("prosecutor", "140213")
        r = gytest.calendar_request(port, "GET", path, bearer=prosecutor)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["covered_until"], [y["year"] for y in r.json()["years"]]),
                         ("2026-12-31", [2026]))
        gytest.check_calendar_refusals(self, port, path, self.db, "router", admin, prosecutor)
        try:
            version = gytest.load_calendar_2027(
                self, port, path, self.db, "router", admin, self.token("admin", "140000"),
                extra_days=[{"day": "2027-03-01", "kind": "holiday", "name": "测试假日"}])
            last, provisional, reasons = self.recomputed(cid, "progress_3m")
            self.assertEqual((last, provisional), ("2027-03-02", False), self.router.log_tail())
            self.assertEqual((reasons[-1]["reason"], reasons[-1]["last_day_was"]),
                             ("recomputed", "2027-03-01"))
            status, health = self.router.health()
            self.assertEqual(health["calendar"]["covered_until"], "2027-12-31")
            body = gytest.calendar_read(self, port, path, admin, version)
            self.assertEqual(body["covered_until"], "2027-12-31")
            year = [y for y in body["years"] if y["year"] == 2027][0]
            self.assertEqual(year["source"], gytest.CALENDAR_2027_SOURCE + "（更正）")
            self.assertIn({"day": "2027-02-20", "kind": "workday", "name": "春节调休"},
                          year["days"])
        finally:
            gytest.unload_calendar_2027(self.db, "router")
            deadline = time.monotonic() + 20
            while (self.router.health()[1]["calendar"]["covered_until"] != "2026-12-31"
                   and time.monotonic() < deadline):
                time.sleep(0.1)

    def test_fired_once_by_the_routers_clock(self):
        early = self.received_at("2026-11-18T10:00:00+08:00", region_code="140214")
        later = self.received_at("2026-11-27T23:30:00+08:00", region_code="140214")
        # The router's clock is 2026-11-28 07:00: the first clue's
        # acknowledgement (due 2026-11-26 00:00) fires, the second's
        # (2026-12-05 00:00) does not, whatever today's date is.
        f = self.follower

        def dues(cid):
            return [e for e in f.by_type("ClueDeadlineDue") if e.clue_deadline_due.clue_id == cid]

        self.assertTrue(f.wait_for(lambda f: dues(early), 10), "no ClueDeadlineDue")
        time.sleep(1.0)  # several scans later, still one
        events = dues(early)
        self.assertEqual(len(events), 1)
        d = events[0].clue_deadline_due
        self.assertEqual((d.rule, d.procuratorate), ("acknowledge_7d", "140214"))
        self.assertEqual(d.due_unix_ms, gytest.parse_instant("2026-11-26T00:00:00+08:00"))
        self.assertEqual(d.received_unix_ms // 1000,
                         gytest.parse_instant("2026-11-18T10:00:00+08:00") // 1000)
        self.assertEqual(dues(later), [])
        fired = self.db.query(
            "SELECT rule, to_char(fired_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
            "  FROM router.deadline WHERE clue_id = %s ORDER BY rule", (early,))
        self.assertEqual(fired, [("acknowledge_7d", "2026-11-28"), ("progress_3m", None)])
        self.assertIsNone(self.db.scalar(
            "SELECT fired_at FROM router.deadline WHERE clue_id = %s AND rule = 'acknowledge_7d'",
            (later,)))


    def test_a_bus_clues_deadline_carries_its_work_order(self):
        """Defect 12: ClueDeadlineDue, like every event about a clue sent
        over the bus, carries the integrator's producer and reference id."""
        self.intake.stop()
        self.intake.env["GY_CLOCK_START"] = "2026-11-18T11:00:00+08:00"
        self.intake.start()
        ref = "WO-" + uuid.uuid4().hex[:8]
        _, ack = gytest.submit(self.intake.submit, "hotline-12345", **gytest.bus_clue(
            ref, region_code="140214", description="期限 工单 " + uuid.uuid4().hex,
            occurred_unix_ms=gytest.parse_instant("2026-11-10T09:00:00+08:00")))
        self.assertEqual(ack.type, "SubmitClueAck", ack)
        cid = ack.submit_clue_ack.clue_id

        def dues(f):
            return [e.clue_deadline_due for e in f.by_type("ClueDeadlineDue")
                    if e.clue_deadline_due.clue_id == cid]

        self.assertTrue(self.follower.wait_for(dues, 20), self.router.log_tail())
        d = dues(self.follower)[0]
        self.assertEqual((d.rule, d.origin.producer, d.origin.reference_id),
                         ("acknowledge_7d", "hotline-12345", ref))


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

    def test_the_api_is_off_without_a_seal_key(self):
        # This router has no GY_SEAL_KEY_FILE: the API's paths answer 503,
        # any other unknown path 404; clues are routed all the same.
        r = S["router"].get("/api/v1/volunteers")
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json()["error"]["code"], "api_unavailable")
        r = S["router"].get("/nothing/here")
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["error"]["code"], "not_found")

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
