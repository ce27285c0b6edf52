"""A volunteer's own clues (issue 10, "my clues and their progress"): GET
/api/v1/clues on intake lists the clues the caller's volunteer token (or
the console's session) submitted, newest first, in keyset pages, each with
the status and latest step the public follow-up (GET
/api/v1/clues/{receipt_code}) shows; nobody else's clue, no anonymous one,
no personal data.

One intake, then a router it follows (the clues move to "accepted"); real
PostgreSQL, ZeroMQ, gy-intake and gy-router."""

import re
import time
import unittest
import uuid

import psycopg2

import gytest
from gytest import valid_clue

S = {}
ROUTER = "router-mine"
REPORTER = {"name": "赵志愿", "phone": "13900001111", "email": "zzy@example.com",
            "id_number": "14020219900101123X"}
ITEM = {"id", "receipt_code", "title", "field_code", "region_code", "status", "received_at",
        "last_step"}


def setUpModule():
    gytest.require_router_build()
    folder = gytest.run_dir("test_intake_mine")
    S["token_secret"], token_public = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("mine")
    S["db"] = gytest.Db(S["dbname"])
    intake = gytest.Intake(folder, "intake-mine", S["dbname"],
                           env={"GY_TOKEN_PUBLIC_KEY_FILE": token_public})
    # The router starts later (RouterTest): until then every clue stays
    # "received".
    router = gytest.Router(folder, ROUTER, S["dbname"], [intake])
    intake.env["GY_ROUTER_SOURCES"] = "%s|%s" % (router.events, router.replay)
    S.update(intake=intake, router=router)
    intake.start()


def tearDownModule():
    gytest.end_module(S, "router", "intake")


def volunteer():
    """A new volunteer's subject and token."""
    sub = "vol-%s" % uuid.uuid4().hex[:12]
    return sub, gytest.issue_token(S["token_secret"], sub)


def submit(token=None, cookie=None, title="丹徒区化工厂夜间排污"):
    """Submits a clue (as a volunteer by token or by session cookie, or
    anonymously); returns the answer's body."""
    headers = {}
    if cookie:
        headers = {"Cookie": "gy_session=" + cookie, "X-Gongyi-Console": "1"}
    clue = valid_clue(title="%s（%s）" % (title, uuid.uuid4().hex[:6]),
                      description="工厂通过暗管偷排废水。" + uuid.uuid4().hex, reporter=REPORTER)
    r = S["intake"].post_clue(clue, idem=str(uuid.uuid4()), token=token, headers=headers)
    assert r.status == 201, r
    # One clue per clock tick at least: "newest first" is then the order
    # they were submitted in (equal instants are ordered by id).
    time.sleep(0.005)
    return r.json()


def mine(token=None, query="", cookie=None):
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if cookie:
        headers["Cookie"] = "gy_session=" + cookie
    return gytest.http_request(S["intake"].http_port, "GET", "/api/v1/clues" + query,
                               headers=headers)


def receipts(response):
    assert response.status == 200, response
    return [item["receipt_code"] for item in response.json()["items"]]


def follow_up(receipt):
    r = S["intake"].get("/api/v1/clues/%s" % receipt)
    assert r.status == 200, r
    return r.json()


class MineCase(gytest.IntakeTestCase):

    def assertSameProgress(self, item):
        """The item says what the public follow-up says."""
        public = follow_up(item["receipt_code"])
        self.assertEqual(item["status"], public["status"])
        self.assertEqual(item["received_at"], public["received_at"])
        last = public["timeline"][-1]
        self.assertEqual(item["last_step"],
                         {k: v for k, v in last.items() if k in ("step", "at", "label")})
        self.assertEqual((item["field_code"], item["region_code"]),
                         (public["field_code"], public["region_code"]))


class MineTest(MineCase):
    """Without the router: every clue is "received"."""

    def test_each_volunteer_sees_only_their_own_newest_first(self):
        a_sub, a = volunteer()
        b_sub, b = volunteer()
        a_clues = [submit(a, title="甲的线索") for _ in range(2)]
        b_clues = [submit(b, title="乙的线索")]
        anonymous = submit(title="匿名线索")
        a_clues.append(submit(cookie=a, title="甲在控制台"))  # the console's session
        b_clues.append(submit(b, title="乙的线索"))
        a_clues.append(submit(a, title="甲的线索"))

        r = mine(a)
        self.assertEqual(receipts(r), [c["receipt_code"] for c in reversed(a_clues)])
        self.assertIsNone(r.json()["next"])
        # The console reads it with the session cookie (no header needed
        # for a GET).
        self.assertEqual(receipts(mine(cookie=b)),
                         [c["receipt_code"] for c in reversed(b_clues)])
        for item in r.json()["items"]:
            self.assertEqual(set(item), ITEM)
            self.assertEqual(item["status"], "received")
            self.assertEqual(item["last_step"], {"step": "received", "at": item["received_at"]})
            self.assertSameProgress(item)
        ids = {c["id"] for c in a_clues}
        self.assertEqual({item["id"] for item in r.json()["items"]}, ids)
        text = r.body.decode("utf-8")
        for other in [c["receipt_code"] for c in b_clues] + [anonymous["receipt_code"]]:
            self.assertNotIn(other, text)
        # Nothing personal, not even their own: only what names the clue.
        for secret in list(REPORTER.values()) + ["description", "reporter", a_sub, "暗管"]:
            self.assertNotIn(secret, text)
        # The subjects were stored as the tokens named them.
        self.assertEqual(S["db"].scalar(
            "SELECT count(*) FROM intake.clue WHERE reporter_subject = %s", (a_sub,)), 4)
        self.assertEqual(S["db"].scalar(
            "SELECT count(*) FROM intake.clue WHERE reporter_subject = %s", (b_sub,)), 2)

    def test_a_volunteer_without_clues_gets_an_empty_page(self):
        _, token = volunteer()
        r = mine(token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"items": [], "next": None})

    def test_pages_follow_next_and_stay_stable_while_clues_are_added(self):
        _, token = volunteer()
        clues = [submit(token, title="第%d条" % n) for n in range(5)]
        newest_first = [c["receipt_code"] for c in reversed(clues)]
        first = mine(token, "?limit=2")
        self.assertEqual(receipts(first), newest_first[:2])
        cursor = first.json()["next"]
        self.assertTrue(cursor)
        # A clue submitted meanwhile goes to the top, not into the pages
        # already being read.
        added = submit(token, title="翻页时新增")
        second = mine(token, "?limit=2&after=" + cursor)
        self.assertEqual(receipts(second), newest_first[2:4])
        third = mine(token, "?after=%s&limit=2" % second.json()["next"])
        self.assertEqual(receipts(third), newest_first[4:])
        self.assertIsNone(third.json()["next"])
        self.assertEqual(receipts(mine(token, "?limit=100")),
                         [added["receipt_code"]] + newest_first)
        # A full last page leads to an empty one.
        whole = mine(token, "?limit=6")
        self.assertEqual(len(receipts(whole)), 6)
        self.assertEqual(mine(token, "?after=" + whole.json()["next"]).json(),
                         {"items": [], "next": None})

    def test_who_may_ask(self):
        self.assertError(mine(), 401, "unauthenticated", "Authorization")
        r = mine("not-a-token")
        self.assertError(r, 401, "invalid_token", "Authorization")
        for role in ("prosecutor", "chief_prosecutor", "admin", "integrator"):
            with self.subTest(role=role):
                token = gytest.issue_token(S["token_secret"], "staff-" + role, role=role)
                self.assertError(mine(token), 403, "forbidden")
                self.assertError(mine(cookie=token), 403, "forbidden")

    def test_bad_queries(self):
        _, token = volunteer()
        for query, code, field in (("?limit=0", "invalid_value", "limit"),
                                   ("?limit=101", "invalid_value", "limit"),
                                   ("?limit=ten", "invalid_value", "limit"),
                                   ("?limit=", "invalid_value", "limit"),
                                   ("?after=yesterday", "invalid_value", "after"),
                                   ("?after=12.not-a-uuid", "invalid_value", "after"),
                                   ("?status=received", "unknown_parameter", None),
                                   ("?subject=vol-x", "unknown_parameter", None)):
            with self.subTest(query=query):
                self.assertError(mine(token, query), 400, code, field)

    def test_the_query_is_an_index_scan(self):
        """A volunteer with a few clues among many (most anonymous, the rest
        other volunteers'): the page comes from the index, not a scan of
        every clue."""
        sub, token = volunteer()
        submit(token)
        submit(token)
        S["db"].query(
            "INSERT INTO intake.clue (id, receipt_code, title, description, field_code,"
            " region_code, source_channel, reporter_subject, body_hash, received_at, producer,"
            " sequence)"
            " SELECT gen_random_uuid(), 'PLAN-' || i, '批量', '批量', 'ecology', '140213', 'web',"
            "  CASE WHEN i % 4 = 0 THEN 'bulk-' || (i % 997) END, '\\x00'::bytea,"
            "  timestamptz '2025-01-01 00:00+08' + i * interval '1 minute', 'plan', i"
            "  FROM generate_series(1, 20000) i")
        S["db"].query("ANALYZE intake.clue")
        conn = psycopg2.connect(gytest.dsn(S["dbname"]))
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("LOAD 'auto_explain'")
                cur.execute("SET auto_explain.log_min_duration = 0")
                cur.execute("SET auto_explain.log_nested_statements = on")
                cur.execute("SET client_min_messages = log")
                for after in ("NULL, NULL", "'infinity', 'ffffffff-ffff-ffff-ffff-ffffffffffff'"):
                    del conn.notices[:]
                    cur.execute("SELECT intake.api_reporter_clues(%%s, %s, 20)" % after, (sub,))
                    self.assertEqual(len(cur.fetchone()[0]["items"]), 2)
                    plans = "".join(conn.notices)
                    self.assertIn("Index Scan", plans)
                    self.assertIn("clue_reporter", plans)
                    self.assertIsNone(re.search(r"Seq Scan on clue\b", plans), plans)
        finally:
            conn.close()
        self.assertEqual(len(receipts(mine(token))), 2)


class ProgressTest(MineCase):
    """With the router, for this test only (it stops it again): the clues
    move on to "accepted"."""

    def test_status_and_last_step_follow_the_public_timeline(self):
        _, token = volunteer()
        clues = [submit(token, title="进度%d" % n) for n in range(2)]
        for item in mine(token).json()["items"]:
            self.assertEqual(item["status"], "received")
        router = S["router"]
        sources = "%s|%s" % (router.events, router.replay)
        router.env["GY_SOURCES"] = "%s|%s" % (S["intake"].events, S["intake"].replay)
        router.start()
        try:
            if "%s|%s" % (router.events, router.replay) != sources:
                # The router lost a port to another process and took others.
                S["intake"].stop()
                S["intake"].env["GY_ROUTER_SOURCES"] = "%s|%s" % (router.events, router.replay)
                S["intake"].start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                items = mine(token).json()["items"]
                if all(i["status"] == "accepted" for i in items):
                    break
                time.sleep(0.1)
        finally:
            router.stop()
        self.assertEqual([i["status"] for i in items], ["accepted", "accepted"],
                         S["intake"].log_tail(20))
        self.assertEqual([i["receipt_code"] for i in items],
                         [c["receipt_code"] for c in reversed(clues)])
        for item in items:
            self.assertEqual(item["last_step"]["step"], "accepted")
            self.assertGreaterEqual(item["last_step"]["at"], item["received_at"])
            self.assertSameProgress(item)


if __name__ == "__main__":
    unittest.main()
