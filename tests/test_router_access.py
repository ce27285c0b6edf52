"""Who may read and act on routed clues, and what prosecutors do with them:
a county sees its own clues, a city its own and its counties', nobody
another city's; volunteers and administrators handle no clues.
Reclassification keeps who and why; a transfer (移送) is requested,
accepted or disputed, and a dispute is decided by the common superior,
each step a ClueTransferred event; duplicate clusters are merged and split.
Real PostgreSQL, Redis, ZeroMQ and the real gy-intake and gy-router."""

import json
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}


def setUpModule():
    gytest.require_router_build()
    S["folder"] = gytest.run_dir("test_router_access")
    S["token_secret"], S["token_public"] = gytest.token_keys(S["folder"])
    S["dbname"] = gytest.create_database("access")
    S["db"] = gytest.Db(S["dbname"])
    S["intake"] = gytest.Intake(S["folder"], "intake-a1", S["dbname"]).start()
    env = gytest.router_api_env(S["folder"], S["token_secret"], S["token_public"],
                                GY_DEADLINE_SCAN_MS="0")
    S["router"] = gytest.Router(S["folder"], "router-a1", S["dbname"], [S["intake"]],
                                env=env).start()
    S["follower"] = gytest.EventFollower(S["router"].events, S["router"].replay,
                                         "router-a1").start()


def tearDownModule():
    if "follower" in S:
        S["follower"].stop()
    for name in ("router", "intake"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


TEXTS = [
    ("化工厂夜间偷排含油废水", "工厂通过暗管向河道偷排废水，河面漂浮死鱼，气味刺鼻。"),
    ("超市销售过期食品", "该超市货架上多种乳制品已过保质期仍在销售，顾客多次投诉未果。"),
    ("人行道盲道被占用", "新建商业街的盲道被共享单车和摊位长期占用，视障人士无法通行。"),
    ("学校泄露学生信息", "多名家长接到推销电话，对方能准确说出学生姓名、班级和家庭住址。"),
    ("建筑工地扬尘严重", "工地未设围挡和喷淋，渣土车不加覆盖，周边居民区整日灰尘弥漫。"),
    ("无证诊所非法行医", "小区门口一家诊所没有执业许可证，为老人输液并销售来源不明的药品。"),
]


def clue(region, n, **overrides):
    title, text = TEXTS[n % len(TEXTS)]
    c = valid_clue(title="%s（%s）" % (title, uuid.uuid4().hex[:6]),
                   description=text + "编号" + uuid.uuid4().hex,
                   field_code="other", region_code=region,
                   location={"address": "测试地址 %s" % uuid.uuid4().hex[:8]})
    c.update(overrides)
    return c


def submit(region, n=0, **overrides):
    r = S["intake"].post_clue(clue(region, n, **overrides), idem=str(uuid.uuid4()))
    assert r.status == 201, r
    return r.json()["id"]


def wait_routed(ids, timeout=30.0):
    want = set(ids)

    def seen(f):
        return want <= {e.clue_routed.clue_id for e in f.by_type("ClueRouted")}

    assert S["follower"].wait_for(seen, timeout), "not routed within %.0f s: %s\n%s" % (
        timeout, want, S["router"].log_tail())


def token(role, proc):
    return gytest.issue_token(S["token_secret"], "%s-%s-%s" % (role, proc, uuid.uuid4().hex[:6]),
                              role=role, proc=proc)


def call(method, path, body=None, bearer=None, headers=None):
    return gytest.api_request(S["router"].http_port, method, path, body, bearer, headers)


def listed(bearer, query=""):
    ids, after = [], None
    while True:
        q = "?limit=100" + query + ("&after=" + after if after else "")
        r = call("GET", "/api/v1/routed-clues" + q, bearer=bearer)
        assert r.status == 200, r
        page = r.json()
        ids += [c["id"] for c in page["items"]]
        after = page["next"]
        if not after:
            return ids


def transfer_events(transfer_id, steps, timeout=20.0):
    found = []

    def seen(f):
        found[:] = [e for e in f.by_type("ClueTransferred")
                    if e.clue_transferred.transfer_id == transfer_id]
        return [e.clue_transferred.step for e in found] == steps

    assert S["follower"].wait_for(seen, timeout), "ClueTransferred steps %r, not %r" % (
        [e.clue_transferred.step for e in found], steps)
    return found


class ScopeTest(gytest.IntakeTestCase):

    @classmethod
    def setUpClass(cls):
        cls.dantu = submit("321112", 0)      # 镇江市丹徒区
        cls.runzhou = submit("321111", 1)    # 镇江市润州区
        cls.city = submit("321100", 2)       # 镇江市 only: the city's triage queue
        cls.datong = submit("140213", 3)     # 大同市平城区
        # Another city of the same province (山西): a city that could see
        # its whole province would still pass the checks of 镇江 and 大同.
        cls.taiyuan = submit("140105", 4)    # 太原市小店区
        wait_routed([cls.dantu, cls.runzhou, cls.city, cls.datong, cls.taiyuan])

    def test_a_county_sees_its_own_clues_only(self):
        county = token("prosecutor", "321112")
        seen = listed(county)
        self.assertIn(self.dantu, seen)
        for other in (self.runzhou, self.city, self.datong, self.taiyuan):
            self.assertNotIn(other, seen)
        r = call("GET", "/api/v1/routed-clues/%s" % self.dantu, bearer=county)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["clue"]["procuratorate"], "321112")
        for other in (self.runzhou, self.city, self.datong):
            self.assertError(call("GET", "/api/v1/routed-clues/%s" % other, bearer=county), 404,
                             "not_found")
            self.assertError(call("POST", "/api/v1/routed-clues/%s/reclassify" % other,
                                  {"field_code": "ecology", "reason": "x"}, bearer=county),
                             404, "not_found")
            self.assertError(call("POST", "/api/v1/routed-clues/%s/transfer" % other,
                                  {"to": "321112", "reason": "x"}, bearer=county), 404,
                             "not_found")
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM router.classification "
                                        "WHERE decided_by <> 'triage' AND clue_id = ANY(%s::uuid[])",
                                        ([self.runzhou, self.city, self.datong],)), 0)
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM router.transfer "
                                        "WHERE clue_id = ANY(%s::uuid[])",
                                        ([self.runzhou, self.city, self.datong],)), 0)

    def test_a_city_sees_its_counties_and_its_triage_queue(self):
        city = token("chief_prosecutor", "321100")
        seen = set(listed(city))
        self.assertTrue({self.dantu, self.runzhou, self.city} <= seen)
        self.assertNotIn(self.datong, seen)
        triage = set(listed(city, "&queue=triage"))
        self.assertIn(self.city, triage)
        self.assertNotIn(self.dantu, triage)
        other_city = token("prosecutor", "140200")
        seen = set(listed(other_city))
        self.assertIn(self.datong, seen)
        self.assertFalse({self.dantu, self.runzhou, self.city, self.taiyuan} & seen)
        # Nor does a city read another city's clue of its own province.
        self.assertError(call("GET", "/api/v1/routed-clues/%s" % self.taiyuan,
                              bearer=other_city), 404, "not_found")
        self.assertEqual(call("GET", "/api/v1/routed-clues/%s" % self.taiyuan,
                              bearer=token("prosecutor", "140100")).status, 200)
        province = token("prosecutor", "320000")
        self.assertTrue({self.dantu, self.runzhou, self.city} <= set(listed(province)))
        self.assertTrue({self.datong, self.taiyuan}
                        <= set(listed(token("prosecutor", "140000"))))

    def test_volunteers_and_administrators_handle_no_clues(self):
        for role in ("volunteer", "admin", "integrator"):
            with self.subTest(role=role):
                t = token(role, "321112")
                self.assertError(call("GET", "/api/v1/routed-clues", bearer=t), 403, "forbidden")
                self.assertError(call("GET", "/api/v1/routed-clues/%s" % self.dantu, bearer=t),
                                 403, "forbidden")
        self.assertError(call("GET", "/api/v1/routed-clues"), 401, "unauthenticated",
                         "Authorization")

    def test_bad_requests(self):
        county = token("prosecutor", "321112")
        for query, field in (("?queue=inbox", "queue"), ("?limit=0", "limit"),
                             ("?after=1.2", "after")):
            with self.subTest(query=query):
                self.assertError(call("GET", "/api/v1/routed-clues" + query, bearer=county), 400,
                                 "invalid_value", field)
        self.assertError(call("GET", "/api/v1/routed-clues?status=x", bearer=county), 400,
                         "unknown_parameter")
        path = "/api/v1/routed-clues/%s/reclassify" % self.dantu
        self.assertError(call("POST", path, {"field_code": "ecology"}, bearer=county), 400,
                         "missing_field", "reason")
        self.assertError(call("POST", path, {"field_code": "astrology", "reason": "x"},
                              bearer=county), 422, "unknown_field_code", "field_code")
        self.assertError(call("POST", path, b"{", bearer=county), 400, "malformed_json")
        self.assertError(call("POST", "/api/v1/routed-clues/%s/transfer" % self.dantu,
                              {"to": "999999", "reason": "x"}, bearer=county), 422,
                         "unknown_region_code", "to")
        self.assertError(call("POST", "/api/v1/routed-clues/%s/transfer" % self.dantu,
                              {"to": "321112", "reason": "x"}, bearer=county), 409,
                         "invalid_state", "to")
        self.assertError(call("POST", "/api/v1/routed-clues/not-an-id/split", {"reason": "x"},
                              bearer=county), 404, "not_found")
        self.assertEqual(call("GET", path, bearer=county).status, 405)


class ActionTest(gytest.IntakeTestCase):

    def test_reclassification_keeps_who_and_why(self):
        cid = submit("321112", 1)
        wait_routed([cid])
        county = token("prosecutor", "321112")
        r = call("POST", "/api/v1/routed-clues/%s/reclassify" % cid,
                 {"field_code": "food_drug", "reason": "涉及过期食品销售，属食品药品安全领域"},
                 bearer=county)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["field_code"], "food_drug")
        r = call("GET", "/api/v1/routed-clues/%s" % cid, bearer=county)
        history = r.json()["classifications"]
        self.assertEqual([h["decided_by"] for h in history][0], "triage")
        self.assertEqual(history[-1]["field_code"], "food_drug")
        self.assertTrue(history[-1]["decided_by"].startswith("prosecutor-321112"))
        self.assertEqual(history[-1]["reason"], "涉及过期食品销售，属食品药品安全领域")

    def test_a_disputed_transfer_is_decided_by_the_common_superior(self):
        cid = submit("321112", 4)
        wait_routed([cid])
        dantu, runzhou = token("prosecutor", "321112"), token("prosecutor", "321111")
        city, other_city = token("chief_prosecutor", "321100"), token("prosecutor", "140200")
        r = call("POST", "/api/v1/routed-clues/%s/transfer" % cid,
                 {"to": "321111", "reason": "问题发生地在润州区"}, bearer=dantu)
        self.assertEqual(r.status, 201, r)
        t = r.json()
        self.assertEqual((t["from"], t["to"], t["superior"], t["status"]),
                         ("321112", "321111", "321100", "requested"))
        self.assertError(call("POST", "/api/v1/routed-clues/%s/transfer" % cid,
                              {"to": "321183", "reason": "again"}, bearer=dantu), 409,
                         "transfer_pending")
        # Until the receiver answers, the clue stays where it was.
        self.assertIn(cid, listed(dantu))
        self.assertNotIn(cid, listed(runzhou))
        pending = call("GET", "/api/v1/transfers", bearer=runzhou).json()
        self.assertIn(t["id"], [x["id"] for x in pending["to_answer"]])
        # Only the receiver answers; only the superior decides.
        self.assertError(call("POST", "/api/v1/transfers/%s/accept" % t["id"], {}, bearer=dantu),
                         404, "not_found")
        self.assertError(call("POST", "/api/v1/transfers/%s/dispute" % t["id"], {},
                              bearer=runzhou), 400, "missing_field", "reason")
        r = call("POST", "/api/v1/transfers/%s/dispute" % t["id"],
                 {"reason": "该厂注册地和排污口均在丹徒区"}, bearer=runzhou)
        self.assertEqual(r.json()["status"], "disputed", r)
        self.assertError(call("POST", "/api/v1/transfers/%s/decide" % t["id"],
                              {"procuratorate": "321111", "reason": "x"}, bearer=runzhou), 404,
                         "not_found")
        self.assertError(call("POST", "/api/v1/transfers/%s/decide" % t["id"],
                              {"procuratorate": "321111", "reason": "x"}, bearer=other_city), 404,
                         "not_found")
        self.assertIn(t["id"], [x["id"] for x in call("GET", "/api/v1/transfers",
                                                      bearer=city).json()["to_decide"]])
        self.assertError(call("POST", "/api/v1/transfers/%s/decide" % t["id"],
                              {"procuratorate": "321183", "reason": "x"}, bearer=city), 400,
                         "invalid_value", "procuratorate")
        r = call("POST", "/api/v1/transfers/%s/decide" % t["id"],
                 {"procuratorate": "321111", "reason": "危害结果发生地在润州区"}, bearer=city)
        self.assertEqual(r.json()["status"], "decided", r)
        self.assertNotIn(cid, listed(dantu))
        self.assertIn(cid, listed(runzhou))
        self.assertEqual(call("GET", "/api/v1/routed-clues/%s" % cid,
                              bearer=runzhou).json()["clue"]["procuratorate"], "321111")
        events = transfer_events(t["id"], ["requested", "disputed", "decided"])
        ev = events[-1]
        self.assertEqual(ev.type, "ClueTransferred")
        self.assertEqual(ev.procuratorate, "321111")
        m = ev.clue_transferred
        self.assertEqual((m.clue_id, m.from_procuratorate, m.to_procuratorate, m.superior),
                         (cid, "321112", "321111", "321100"))
        self.assertEqual(m.reason, "危害结果发生地在润州区")
        self.assertEqual(events[1].clue_transferred.reason, "该厂注册地和排污口均在丹徒区")
        # Its times are the router's clock (GY_TEST_CLOCK), as the events'.
        times = S["db"].query(
            "SELECT (extract(epoch FROM requested_at) * 1000)::bigint,"
            "       (extract(epoch FROM answered_at) * 1000)::bigint,"
            "       (extract(epoch FROM decided_at) * 1000)::bigint"
            "  FROM router.transfer WHERE id = %s", (t["id"],))[0]
        for at in times:
            self.assertLess(abs(at - gytest.now_ms()), 60000, gytest.format_instant(at))
        # The reporter's deadlines follow the clue.
        self.assertEqual(S["db"].query("SELECT DISTINCT procuratorate FROM router.deadline "
                                       "WHERE clue_id = %s", (cid,)), [("321111",)])

    def test_an_accepted_transfer_moves_the_clue(self):
        cid = submit("321112", 5)
        wait_routed([cid])
        dantu, jurong = token("prosecutor", "321112"), token("prosecutor", "321183")
        t = call("POST", "/api/v1/routed-clues/%s/transfer" % cid,
                 {"to": "321183", "reason": "句容市辖区"}, bearer=dantu).json()
        r = call("POST", "/api/v1/transfers/%s/accept" % t["id"], {}, bearer=jurong)
        self.assertEqual(r.json()["status"], "accepted", r)
        self.assertError(call("POST", "/api/v1/transfers/%s/accept" % t["id"], {}, bearer=jurong),
                         409, "invalid_state", "status")
        self.assertIn(cid, listed(jurong))
        self.assertNotIn(cid, listed(dantu))
        transfer_events(t["id"], ["requested", "accepted"])

    def test_a_bus_clue_carries_its_work_order(self):
        """Defect 12: the integrator's producer and reference id, given on
        SubmitClue, come back on ClueRouted and ClueTransferred."""
        ref = "12345-WO-" + uuid.uuid4().hex[:8]
        req, ack = gytest.submit(S["intake"].submit, "hotline-12345",
                                 **gytest.bus_clue(ref, region_code="321112"))
        self.assertEqual(ack.type, "SubmitClueAck", ack)
        cid = ack.submit_clue_ack.clue_id
        wait_routed([cid])
        routed = [e.clue_routed for e in S["follower"].by_type("ClueRouted")
                  if e.clue_routed.clue_id == cid][0]
        self.assertEqual((routed.origin.producer, routed.origin.reference_id),
                         ("hotline-12345", ref))
        dantu, jurong = token("prosecutor", "321112"), token("prosecutor", "321183")
        t = call("POST", "/api/v1/routed-clues/%s/transfer" % cid,
                 {"to": "321183", "reason": "句容市辖区"}, bearer=dantu).json()
        call("POST", "/api/v1/transfers/%s/accept" % t["id"], {}, bearer=jurong)
        for ev in transfer_events(t["id"], ["requested", "accepted"]):
            o = ev.clue_transferred.origin
            self.assertEqual((o.producer, o.reference_id), ("hotline-12345", ref))
        # A clue sent over HTTP has none.
        other = submit("321183", 1)
        wait_routed([other])
        routed = [e.clue_routed for e in S["follower"].by_type("ClueRouted")
                  if e.clue_routed.clue_id == other][0]
        self.assertFalse(routed.HasField("origin"))
        # ClusterChanged names every clue's work order (empty for HTTP).
        r = call("POST", "/api/v1/clusters/%s/merge" % routed.cluster_id,
                 {"cluster_id": cid, "reason": "同一事项"}, bearer=jurong)
        self.assertEqual(r.status, 200, r)

        def merged(f):
            return [e.cluster_changed for e in f.by_type("ClusterChanged")
                    if e.cluster_changed.other_cluster_id == cid]

        self.assertTrue(S["follower"].wait_for(lambda f: merged(f)))
        m = merged(S["follower"])[0]
        self.assertEqual(list(m.clue_ids), [cid, other])
        self.assertEqual([(o.producer, o.reference_id) for o in m.origins],
                         [("hotline-12345", ref), ("", "")])

    def transfer_snapshot(self, tid, cid):
        return S["db"].query(
            "SELECT t.status, t.version, t.answer, t.decided_proc, c.procuratorate, c.version,"
            " (SELECT count(*) FROM router.outbox o WHERE o.type = 'ClueTransferred')"
            "  FROM router.transfer t JOIN router.clue c ON c.id = t.clue_id WHERE t.id = %s",
            (tid,))

    def test_a_refused_step_names_the_state_and_writes_nothing(self):
        cid = submit("321112", 0)
        wait_routed([cid])
        dantu, jurong = token("prosecutor", "321112"), token("prosecutor", "321183")
        city = token("chief_prosecutor", "321100")
        t = call("POST", "/api/v1/routed-clues/%s/transfer" % cid,
                 {"to": "321183", "reason": "句容市辖区"}, bearer=dantu).json()
        before = self.transfer_snapshot(t["id"], cid)
        r = call("POST", "/api/v1/transfers/%s/decide" % t["id"],
                 {"procuratorate": "321183", "reason": "尚未争议"}, bearer=city)
        self.assertError(r, 409, "invalid_state", "status")
        self.assertEqual(r.json()["error"]["message"], "the transfer is requested; decide is "
                         "not allowed (allowed: accept, dispute)")
        self.assertEqual(self.transfer_snapshot(t["id"], cid), before)
        self.assertEqual(call("POST", "/api/v1/transfers/%s/accept" % t["id"], {},
                              bearer=jurong).status, 200)
        after_accept = self.transfer_snapshot(t["id"], cid)
        self.assertEqual(after_accept[0][:2], ("accepted", 1))
        for step, body, bearer in (("accept", {}, jurong), ("dispute", {"reason": "x"}, jurong),
                                   ("decide", {"procuratorate": "321112", "reason": "x"}, city)):
            with self.subTest(step=step):
                r = call("POST", "/api/v1/transfers/%s/%s" % (t["id"], step), body, bearer=bearer)
                self.assertError(r, 409, "invalid_state", "status")
                self.assertEqual(r.json()["error"]["message"], "the transfer is accepted; %s is "
                                 "not allowed (allowed: none)" % step)
        self.assertEqual(self.transfer_snapshot(t["id"], cid), after_accept)
        transfer_events(t["id"], ["requested", "accepted"])

    def test_racing_answers_one_wins_the_other_is_refused(self):
        """Accept and dispute sent together: the write guarded by the state
        and version it was decided on lets exactly one through; the other,
        read again, is refused by the machine.  One event per step."""
        import threading
        cid = submit("321112", 3)
        wait_routed([cid])
        dantu, jurong = token("prosecutor", "321112"), token("prosecutor", "321183")
        t = call("POST", "/api/v1/routed-clues/%s/transfer" % cid,
                 {"to": "321183", "reason": "句容市辖区"}, bearer=dantu).json()
        answers = {}

        def answer(step, body):
            answers[step] = call("POST", "/api/v1/transfers/%s/%s" % (t["id"], step), body,
                                 bearer=jurong)

        threads = [threading.Thread(target=answer, args=("accept", {})),
                   threading.Thread(target=answer, args=("dispute", {"reason": "不属本院"}))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        statuses = sorted(a.status for a in answers.values())
        self.assertEqual(statuses, [200, 409], answers)
        won = [s for s, a in answers.items() if a.status == 200][0]
        lost = [a for a in answers.values() if a.status == 409][0]
        self.assertEqual(lost.json()["error"]["code"], "invalid_state", lost)
        self.assertEqual(S["db"].scalar("SELECT version FROM router.transfer WHERE id = %s",
                                        (t["id"],)), 1)
        transfer_events(t["id"], ["requested", won + "ed" if won == "accept" else "disputed"])

    def test_clusters_are_merged_and_split(self):
        a = submit("321112", 0)
        b = submit("321112", 2)
        wait_routed([a, b])
        county = token("prosecutor", "321112")
        ca = call("GET", "/api/v1/routed-clues/%s" % a, bearer=county).json()["clue"]["cluster_id"]
        cb = call("GET", "/api/v1/routed-clues/%s" % b, bearer=county).json()["clue"]["cluster_id"]
        self.assertNotEqual(ca, cb)
        # Another county cannot merge them.
        self.assertError(call("POST", "/api/v1/clusters/%s/merge" % ca,
                              {"cluster_id": cb, "reason": "x"},
                              bearer=token("prosecutor", "321111")), 404, "not_found")
        r = call("POST", "/api/v1/clusters/%s/merge" % ca,
                 {"cluster_id": cb, "reason": "同一企业同一排污行为"}, bearer=county)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["size"], 2)
        cluster = call("GET", "/api/v1/routed-clues/%s" % b, bearer=county).json()["cluster"]
        self.assertEqual(cluster["id"], ca)
        self.assertEqual({c["id"] for c in cluster["clues"]}, {a, b})
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM router.cluster WHERE id = %s",
                                        (cb,)), 0)
        r = call("POST", "/api/v1/routed-clues/%s/split" % b, {"reason": "并非同一事项"},
                 bearer=county)
        self.assertEqual(r.status, 200, r)
        new = r.json()["cluster_id"]
        self.assertNotEqual(new, ca)
        self.assertEqual(call("GET", "/api/v1/routed-clues/%s" % a,
                              bearer=county).json()["cluster"]["size"], 1)
        self.assertError(call("POST", "/api/v1/routed-clues/%s/split" % b, {"reason": "again"},
                              bearer=county), 409, "invalid_state", "cluster_id")
        self.assertEqual(S["db"].query("SELECT action FROM router.cluster_history "
                                       "WHERE cluster_id IN (%s, %s) ORDER BY id", (ca, new)),
                         [("merge",), ("split",)])
        # Each change is an event with the clues of the cluster as it is now
        # (notify tells every reporter of the matter).
        def changes(f):
            return [e.cluster_changed for e in f.by_type("ClusterChanged")
                    if {e.cluster_changed.cluster_id, e.cluster_changed.other_cluster_id}
                    & {ca, cb, new}]

        self.assertTrue(S["follower"].wait_for(lambda f: len(changes(f)) == 3),
                        [str(c) for c in changes(S["follower"])])
        merge, split_new, split_old = changes(S["follower"])
        self.assertEqual((merge.action, merge.cluster_id, merge.other_cluster_id),
                         ("merge", ca, cb))
        self.assertEqual(set(merge.clue_ids), {a, b})
        self.assertEqual(merge.reason, "同一企业同一排污行为")
        self.assertEqual((split_new.action, split_new.cluster_id, list(split_new.clue_ids)),
                         ("split", new, [b]))
        self.assertEqual((split_old.cluster_id, list(split_old.clue_ids)), (ca, [a]))
        self.assertEqual(len(merge.origins), 0, "clues sent over HTTP have no work order")


class ClusterScopeTest(gytest.IntakeTestCase):

    def test_a_cluster_shows_only_the_clues_in_scope(self):
        """The same matter reported in two counties joins one cluster; each
        county sees its own report in it and only a count of the other."""
        tag = uuid.uuid4().hex[:8]
        text = dict(title="居民楼下餐馆油烟直排 " + tag,
                    description="餐馆没有安装油烟净化设施，油烟直接排向居民楼，窗户常年不敢开。",
                    field_code="ecology",
                    location={"lat": 40.0768, "lon": 113.3001, "address": "御河东路"})
        pingcheng = S["intake"].post_clue(valid_clue(region_code="140213", **text),
                                          idem=str(uuid.uuid4())).json()["id"]
        wait_routed([pingcheng])
        yungang = S["intake"].post_clue(valid_clue(region_code="140214", **text),
                                        idem=str(uuid.uuid4())).json()["id"]
        wait_routed([yungang])
        routed = {e.clue_routed.clue_id: e.clue_routed
                  for e in S["follower"].by_type("ClueRouted")}
        self.assertEqual(routed[yungang].procuratorate, "140214")
        self.assertEqual(routed[yungang].cluster_id, routed[pingcheng].cluster_id,
                         "the same matter from another county joins the cluster")
        own = {"140213": pingcheng, "140214": yungang}
        for proc, other in (("140214", pingcheng), ("140213", yungang)):
            with self.subTest(county=proc):
                r = call("GET", "/api/v1/routed-clues/%s" % own[proc],
                         bearer=token("prosecutor", proc))
                self.assertEqual(r.status, 200, r)
                cluster = r.json()["cluster"]
                self.assertEqual([c["id"] for c in cluster["clues"]], [own[proc]])
                self.assertEqual((cluster["size"], cluster["others"]), (2, 1))
                members = json_text(cluster["clues"])
                self.assertNotIn(other, members)
                other_region = "140213" if proc == "140214" else "140214"
                self.assertNotIn(other_region, members)
        # The city above both sees the whole cluster.
        r = call("GET", "/api/v1/routed-clues/%s" % yungang, bearer=token("prosecutor", "140200"))
        cluster = r.json()["cluster"]
        self.assertEqual({c["id"] for c in cluster["clues"]}, {pingcheng, yungang})
        self.assertEqual(cluster["others"], 0)


def json_text(value):
    return json.dumps(value, ensure_ascii=False)


class EndpointMatrixTest(gytest.IntakeTestCase):
    """Every endpoint of the router's API refuses a missing token, a token
    of the wrong role, and a malformed body — with the documented error
    shape, and without writing anything."""

    ENDPOINTS = [
        # method, path ({id} is a fresh UUID), roles allowed, body or None
        ("GET", "/api/v1/volunteers", "manager", None),
        ("GET", "/api/v1/volunteers/{id}", "manager", None),
        ("POST", "/api/v1/volunteers/{id}/appoint", "manager", {}),
        ("GET", "/api/v1/volunteers/me", "volunteer", None),
        ("GET", "/api/v1/volunteers/me/conflicts", "volunteer", None),
        ("POST", "/api/v1/volunteers/me/conflicts", "volunteer", {}),
        ("GET", "/api/v1/tasks", "volunteer", None),
        ("POST", "/api/v1/tasks/{id}/assessment", "volunteer", {}),
        ("POST", "/api/v1/tasks/{id}/decline", "volunteer", {}),
        ("GET", "/api/v1/routed-clues", "prosecutor", None),
        ("GET", "/api/v1/routed-clues/{id}", "prosecutor", None),
        ("POST", "/api/v1/routed-clues/{id}/reclassify", "prosecutor", {}),
        ("POST", "/api/v1/routed-clues/{id}/transfer", "prosecutor", {}),
        ("POST", "/api/v1/routed-clues/{id}/split", "prosecutor", {}),
        ("POST", "/api/v1/routed-clues/{id}/decide", "prosecutor", {}),
        ("POST", "/api/v1/clusters/{id}/merge", "prosecutor", {}),
        ("GET", "/api/v1/transfers", "prosecutor", None),
        ("POST", "/api/v1/transfers/{id}/accept", "prosecutor", {}),
        ("POST", "/api/v1/transfers/{id}/dispute", "prosecutor", {}),
        ("POST", "/api/v1/transfers/{id}/decide", "prosecutor", {}),
    ]
    ROLES = {"manager": {"prosecutor", "chief_prosecutor", "admin"},
             "volunteer": {"volunteer"},
             "prosecutor": {"prosecutor", "chief_prosecutor"}}

    def counts(self):
        return S["db"].query(
            "SELECT (SELECT count(*) FROM router.volunteer_history),"
            " (SELECT count(*) FROM router.volunteer_conflict),"
            " (SELECT count(*) FROM router.classification),"
            " (SELECT count(*) FROM router.transfer),"
            " (SELECT count(*) FROM router.cluster_history),"
            " (SELECT count(*) FROM router.outbox)")[0]

    def test_every_endpoint_refuses_the_unauthorized_and_bad_bodies(self):
        before = self.counts()
        for method, path, allowed, body in self.ENDPOINTS:
            path = path.replace("{id}", str(uuid.uuid4()))
            with self.subTest(endpoint="%s %s" % (method, path)):
                self.assertError(call(method, path, body), 401, "unauthenticated",
                                 "Authorization")
                self.assertError(call(method, path, body, bearer="gy1.e30.c2ln"), 401,
                                 "invalid_token", "Authorization")
                for role in ("volunteer", "prosecutor", "admin", "integrator"):
                    if role in self.ROLES[allowed]:
                        continue
                    self.assertError(call(method, path, body, bearer=token(role, "321112")),
                                     403, "forbidden")
                if body is not None:
                    role = sorted(self.ROLES[allowed])[0]
                    sub = str(uuid.uuid4()) if role == "volunteer" else None
                    t = gytest.issue_token(S["token_secret"], sub or "p-matrix", role=role,
                                           proc="321112")
                    self.assertError(call(method, path, b"{not json", bearer=t), 400,
                                     "malformed_json")
                    # An empty object misses what the endpoint needs (or,
                    # for an action that needs nothing, names nothing).
                    r = call(method, path, {}, bearer=t)
                    err = r.json().get("error", {})
                    if err.get("code") == "missing_field":
                        self.assertError(r, 400, "missing_field", err.get("field"))
                        self.assertTrue(err.get("field"), r)
                    else:
                        self.assertError(r, 404, "not_found")
        self.assertEqual(self.counts(), before)


if __name__ == "__main__":
    unittest.main()
