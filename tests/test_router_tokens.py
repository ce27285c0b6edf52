"""Access tokens issued by administrators over the router's API (POST and
GET /api/v1/tokens): an administrator issues a token for a procuratorate
within their own scope (a city's for the city and its counties, a county's
for itself only), never for a volunteer; the token is shown once, works on
every route its role and scope allow, and is recorded in the transaction
that answers — its claims, purpose and issuer, and the SHA-256 of its text,
never the text; a refusal records nothing; the list shows the records in
scope, newest first, with whether each has expired by the router's clock.

Real PostgreSQL, Redis, gy-intake and gy-router.  The router runs on a
clock of its own (GY_CLOCK_START at a fixed instant, then again two days
on), so lifetimes are checked against that clock, never against today's
date."""

import base64
import datetime
import hashlib
import json
import time
import unittest
import uuid

import gytest

S = {}

# The router's clock: late on the last day of a year, so that validity in
# days crosses into the next.
CLOCK = "2027-12-31T22:30:00+08:00"
CLOCK_S = gytest.parse_instant(CLOCK) // 1000
DAY_S = 86400

PURPOSE = "平城区检察院公益诉讼检察官张三，办理生态环境线索。"


def setUpModule():
    gytest.require_router_build()
    folder = gytest.run_dir("test_router_tokens")
    S["folder"] = folder
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("tokens")
    S["db"] = gytest.Db(S["dbname"])
    S["intake"] = gytest.Intake(folder, "intake-t1", S["dbname"]).start()
    S["router"] = gytest.Router(folder, "router-t1", S["dbname"], [S["intake"]],
                                env=router_env(GY_CLOCK_START=CLOCK))
    S["started"] = time.monotonic()
    S["router"].start()


def tearDownModule():
    gytest.end_module(S, "router", "intake")


def router_env(**extra):
    return gytest.router_api_env(S["folder"], S["token_secret"], S["token_public"],
                                 GY_DEADLINE_SCAN_MS="0", **extra)


def staff(role, proc, sub=None):
    """A token as gy-token issues it on the server, on the router's clock."""
    return gytest.issue_token(S["token_secret"], sub or "%s-%s" % (role, uuid.uuid4().hex[:8]),
                              role=role, proc=proc, clock=CLOCK)


def call(method, path, body=None, bearer=None, headers=None, router=None):
    return gytest.api_request((router or S["router"]).http_port, method, path, body, bearer,
                              headers)


def issue(bearer, router=None, **overrides):
    """POST /api/v1/tokens with a good body but for overrides (None: left out)."""
    body = {"sub": "zhang.san", "role": "prosecutor", "proc": "140213", "ttl_days": 30,
            "purpose": PURPOSE}
    body.update(overrides)
    return call("POST", "/api/v1/tokens", {k: v for k, v in body.items() if v is not None},
                bearer=bearer, router=router)


def claims(token):
    """The claims a gy1 token carries (its signature is the services' to check)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def unix(text):
    return datetime.datetime.fromisoformat(text).timestamp()


def rows():
    return S["db"].scalar("SELECT count(*) FROM router.issued_token")


def apply(proc):
    login = "t%s" % uuid.uuid4().hex[:12]
    r = call("POST", "/api/v1/volunteers/applications", {
        "login": login, "password": "长江水清澈-%s" % login, "name": "王建国",
        "phone": "+86 139-1234-5678", "procuratorate": proc, "roles": ["assessor"]})
    assert r.status == 201, r
    return r.json()["id"]


class TokensTestCase(gytest.IntakeTestCase):

    def assertIssued(self, resp, sub, role, proc, days, issued_by, purpose=PURPOSE):
        """201 with the token and its record; the token says what the record
        says, and its lifetime is `days` on the router's clock."""
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(resp.headers.get("cache-control"), "no-store")
        body = resp.json()
        self.assertEqual(set(body), {"id", "token", "sub", "role", "proc", "expires_at",
                                     "purpose", "issued_by", "issued_at"})
        self.assertEqual((body["sub"], body["role"], body["proc"], body["purpose"],
                          body["issued_by"]), (sub, role, proc, purpose, issued_by))
        c = claims(body["token"])
        self.assertEqual((c["sub"], c["role"], c["proc"]), (sub, role, proc))
        # Issued by the router's clock: after CLOCK, by no more than the
        # time this module has run.
        elapsed = time.monotonic() - S["started"] + 1
        self.assertGreaterEqual(c["iat"], CLOCK_S)
        self.assertLessEqual(c["iat"], CLOCK_S + elapsed)
        self.assertEqual(c["exp"], c["iat"] + days * DAY_S)
        self.assertEqual(unix(body["expires_at"]), c["exp"])
        self.assertEqual(int(unix(body["issued_at"])), c["iat"])
        return body


class IssueTest(TokensTestCase):

    def test_a_city_admin_issues_a_token_that_works_in_its_scope(self):
        admin = staff("admin", "140200", sub="dt.zhoujie")
        here, sister = apply("140213"), apply("140212")
        before = rows()
        body = self.assertIssued(issue(admin), "zhang.san", "prosecutor", "140213", 30,
                                 "dt.zhoujie")
        self.assertEqual(rows(), before + 1)
        token = body["token"]
        # 30 days from 22:30 on 31 December 2027 (Beijing): 30 January 2028.
        self.assertTrue(body["expires_at"].startswith("2028-01-30T"), body)

        # The new token is a prosecutor's of 平城区: it sees that county's
        # volunteers and not its sister's.
        r = call("GET", "/api/v1/volunteers?limit=100", bearer=token)
        self.assertEqual(r.status, 200, r)
        ids = {v["id"] for v in r.json()["items"]}
        self.assertIn(here, ids)
        self.assertNotIn(sister, ids)
        self.assertTrue(all(v["procuratorate"] == "140213" for v in r.json()["items"]))
        r = call("GET", "/api/v1/volunteers/%s" % sister, bearer=token)
        self.assertError(r, 404, "not_found")
        # ... and, not being an administrator's, issues nothing.
        self.assertError(issue(token), 403, "forbidden")

        # Recorded with the digest of the token's text, never the text.
        rec = S["db"].query("SELECT id::text, sub, role, proc, purpose, issued_by,"
                            " encode(token_sha256, 'hex') FROM router.issued_token"
                            " WHERE id = %s", (body["id"],))
        self.assertEqual(rec, [(body["id"], "zhang.san", "prosecutor", "140213", PURPOSE,
                                "dt.zhoujie", hashlib.sha256(token.encode()).hexdigest())])
        head, payload, signature = token.split(".")
        for row in S["db"].query("SELECT t::text FROM router.issued_token t"):
            for part in (token, payload, signature):
                self.assertNotIn(part, row[0])
        self.assertNotIn(signature, S["router"].log_text())

    def test_the_same_token_twice_in_one_second_is_recorded_once(self):
        # Signing is deterministic and iat counts seconds: the same claims
        # within one second are one token.  Whether the second request
        # falls in the same second is the clock's: either way, one token,
        # one record.
        admin = staff("admin", "140213", sub="pc.twice")
        before = rows()
        first = issue(admin, sub="twice")
        self.assertEqual(first.status, 201, first)
        second = issue(admin, sub="twice")
        if second.status == 201:
            self.assertNotEqual(claims(second.json()["token"])["iat"],
                                claims(first.json()["token"])["iat"])
            self.assertEqual(rows(), before + 2)
        else:
            self.assertError(second, 409, "already_issued")
            self.assertEqual(rows(), before + 1)

    def test_the_city_itself_and_every_staff_role(self):
        admin = staff("admin", "140200", sub="dt.admin")
        for role in ("prosecutor", "chief_prosecutor", "admin", "integrator"):
            with self.subTest(role=role):
                sub = "%s.dt" % role
                self.assertIssued(issue(admin, sub=sub, role=role, proc="140200"), sub, role,
                                  "140200", 30, "dt.admin")
        # A province's administrator: anywhere in the province.
        province = staff("admin", "140000", sub="sx.admin")
        self.assertIssued(issue(province, sub="xd.1", proc="140105"), "xd.1", "prosecutor",
                          "140105", 30, "sx.admin")

    def test_validity_in_days(self):
        admin = staff("admin", "140213", sub="pc.admin")
        for days in (1, 366):
            with self.subTest(days=days):
                sub = "days.%d" % days
                self.assertIssued(issue(admin, sub=sub, ttl_days=days), sub, "prosecutor",
                                  "140213", days, "pc.admin")
        # Without ttl_days: 30 days.
        self.assertIssued(issue(admin, sub="days.default", ttl_days=None), "days.default",
                          "prosecutor", "140213", 30, "pc.admin")
        before = rows()
        for days in (0, 367, -1, 1.5, "30"):
            with self.subTest(days=days):
                r = issue(admin, ttl_days=days)
                self.assertError(r, 400, {"invalid_value", "invalid_type"}, "ttl_days")
        self.assertEqual(rows(), before)

    def test_refusals_record_nothing(self):
        county = staff("admin", "140213", sub="pc.admin")
        city = staff("admin", "140200")
        before = rows()
        # A county's administrator: not the city above it, not a sister county.
        for proc in ("140200", "140212", "140000", "140105"):
            with self.subTest(proc=proc):
                self.assertError(issue(county, proc=proc), 403, "forbidden", "proc")
        # A city's: not another city's county.
        self.assertError(issue(city, proc="140105"), 403, "forbidden", "proc")
        # Not a region of the reference data; not a code at all.
        self.assertError(issue(city, proc="140299"), 422, "unknown_region_code", "proc")
        self.assertError(issue(city, proc="1402"), 400, "invalid_value", "proc")
        # A volunteer logs in with a password: no token is issued for one.
        r = issue(city, role="volunteer")
        self.assertError(r, 400, "invalid_value", "role")
        self.assertIn("password", r.json()["error"]["message"])
        self.assertError(issue(city, role="root"), 400, "invalid_value", "role")
        # sub as tokens take it: 1-64 printable ASCII without spaces.
        for sub, code in (("zhang san", "invalid_value"), ("张三", "invalid_value"),
                          ("", "invalid_value"), ("x" * 65, "too_long")):
            with self.subTest(sub=sub):
                self.assertError(issue(city, sub=sub), 400, code, "sub")
        # The purpose is required, up to 500 characters.
        self.assertError(issue(city, purpose=None), 400, "missing_field", "purpose")
        self.assertError(issue(city, purpose=""), 400, "invalid_value", "purpose")
        self.assertError(issue(city, purpose="证" * 501), 400, "too_long", "purpose")
        self.assertError(issue(city, ttl=3600), 400, "unknown_property", "ttl")
        # The body must be JSON.
        r = call("POST", "/api/v1/tokens", "sub=zhang.san", bearer=city,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertError(r, 415, "unsupported_media_type", "Content-Type")
        # Only an administrator, only with a token.
        for role in ("prosecutor", "chief_prosecutor", "volunteer", "integrator"):
            with self.subTest(role=role):
                self.assertError(issue(staff(role, "140200")), 403, "forbidden")
                r = call("GET", "/api/v1/tokens", bearer=staff(role, "140200"))
                self.assertError(r, 403, "forbidden")
        for method in ("POST", "GET"):
            r = call(method, "/api/v1/tokens", {} if method == "POST" else None)
            self.assertError(r, 401, "unauthenticated", "Authorization")
            r = call(method, "/api/v1/tokens", {} if method == "POST" else None,
                     bearer=city[:-2] + ("AA" if not city.endswith("AA") else "BB"))
            self.assertError(r, 401, "invalid_token", "Authorization")
        self.assertEqual(rows(), before)

    def test_the_console_session_needs_its_header(self):
        city = staff("admin", "140200", sub="dt.console")
        before = rows()
        cookie = {"Cookie": "gy_session=" + city, "Content-Type": "application/json"}
        body = {"sub": "li.si", "role": "chief_prosecutor", "proc": "140213",
                "purpose": PURPOSE}
        r = call("POST", "/api/v1/tokens", body, headers=cookie)
        self.assertError(r, 403, "csrf_header_missing", "X-Gongyi-Console")
        self.assertEqual(rows(), before)
        r = call("POST", "/api/v1/tokens", body, headers=dict(cookie, **{"X-Gongyi-Console": "1"}))
        self.assertIssued(r, "li.si", "chief_prosecutor", "140213", 30, "dt.console")


class ListTest(TokensTestCase):

    def test_the_list_in_scope_newest_first_without_tokens(self):
        city = staff("admin", "140200", sub="dt.lister")
        issued = []
        for proc in ("140213", "140214", "140200"):
            r = issue(city, sub="l.%s" % proc, proc=proc, purpose="列表 %s" % proc)
            self.assertEqual(r.status, 201, r)
            issued.append(r.json())
            time.sleep(0.01)  # distinct issue times, for the order

        r = call("GET", "/api/v1/tokens?limit=100", bearer=city)
        self.assertEqual(r.status, 200, r)
        items = r.json()["items"]
        self.assertIsNone(r.json()["next"])
        self.assertTrue(all(i["proc"].startswith("1402") for i in items), items)
        mine = [i for i in items if i["issued_by"] == "dt.lister"]
        self.assertEqual([i["id"] for i in mine], [b["id"] for b in reversed(issued)])
        for item, body in zip(mine, reversed(issued)):
            self.assertEqual(set(item), {"id", "sub", "role", "proc", "purpose", "issued_by",
                                         "issued_at", "expires_at", "expired"})
            for k in ("sub", "role", "proc", "purpose", "issued_by"):
                self.assertEqual(item[k], body[k])
            self.assertEqual(unix(item["issued_at"]), unix(body["issued_at"]))
            self.assertEqual(unix(item["expires_at"]), unix(body["expires_at"]))
            self.assertFalse(item["expired"])
        self.assertNotIn(b"gy1.", r.body)
        times = [unix(i["issued_at"]) for i in items]
        self.assertEqual(times, sorted(times, reverse=True))

        # A county's administrator sees its own county's only.
        r = call("GET", "/api/v1/tokens?limit=100", bearer=staff("admin", "140214"))
        self.assertEqual(r.status, 200, r)
        procs = {i["proc"] for i in r.json()["items"]}
        self.assertEqual(procs, {"140214"})
        # Another province's sees none of these.
        r = call("GET", "/api/v1/tokens", bearer=staff("admin", "320000"))
        self.assertEqual((r.status, r.json()), (200, {"items": [], "next": None}), r)

    def test_keyset_pages(self):
        city = staff("admin", "140200", sub="dt.pager")
        for n in range(3):
            self.assertEqual(issue(city, sub="p.%d" % n).status, 201)
        seen, after = [], None
        while True:
            path = "/api/v1/tokens?limit=2" + ("&after=" + after if after else "")
            r = call("GET", path, bearer=city)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertLessEqual(len(page["items"]), 2)
            seen += [i["id"] for i in page["items"]]
            after = page["next"]
            if not after:
                break
        everything = call("GET", "/api/v1/tokens?limit=100", bearer=city).json()["items"]
        self.assertEqual(seen, [i["id"] for i in everything])
        self.assertEqual(len(seen), len(set(seen)))
        for query in ("limit=0", "limit=101", "after=nonsense", "status=active"):
            with self.subTest(query=query):
                r = call("GET", "/api/v1/tokens?" + query, bearer=city)
                self.assertError(r, 400, {"invalid_value", "unknown_parameter"},
                                 fields={"limit", "after", None})


class ClockTest(TokensTestCase):
    """Whether a token has expired is the router's clock's to say: on a
    restart two days on, a one-day token shows expired and no longer
    works, a thirty-day one does."""

    def test_expired_by_the_process_clock(self):
        admin = staff("admin", "140215", sub="yz.admin")
        short = issue(admin, sub="short", proc="140215", ttl_days=1).json()
        long = issue(admin, sub="long", proc="140215", ttl_days=30).json()
        later = gytest.format_instant((CLOCK_S + 2 * DAY_S) * 1000)
        router = S["router"]
        router.stop()
        router.env["GY_CLOCK_START"] = later
        try:
            router.start()
            # The administrator needs a token valid on the new date.
            admin = gytest.issue_token(S["token_secret"], "yz.admin", role="admin",
                                       proc="140215", clock=later)
            r = call("GET", "/api/v1/tokens", bearer=admin)
            self.assertEqual(r.status, 200, r)
            expired = {i["sub"]: i["expired"] for i in r.json()["items"]}
            self.assertEqual(expired, {"short": True, "long": False})
            r = call("GET", "/api/v1/volunteers", bearer=short["token"])
            self.assertError(r, 401, "invalid_token", "Authorization")
            r = call("GET", "/api/v1/volunteers", bearer=long["token"])
            self.assertEqual(r.status, 200, r)
        finally:
            router.stop()
            router.env["GY_CLOCK_START"] = CLOCK
            S["started"] = time.monotonic()
            router.start()


class NoSecretKeyTest(TokensTestCase):
    """A router without the token secret key verifies tokens but signs
    none: 503 login_unavailable, as its logins, and nothing recorded."""

    def test_no_secret_key(self):
        router = gytest.Router(S["folder"], "router-t2", S["dbname"], [S["intake"]],
                               env=router_env(GY_CLOCK_START=CLOCK,
                                              GY_TOKEN_SECRET_KEY_FILE=None))
        self.addCleanup(router.stop)
        router.start()
        before = rows()
        admin = staff("admin", "140200")
        self.assertError(issue(admin, router=router), 503, "login_unavailable")
        self.assertEqual(rows(), before)
        # Listing needs no key to sign with.
        r = call("GET", "/api/v1/tokens", bearer=admin, router=router)
        self.assertEqual(r.status, 200, r)


if __name__ == "__main__":
    unittest.main()
