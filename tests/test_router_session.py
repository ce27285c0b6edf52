"""The console's session (POST/GET/DELETE /api/v1/auth/session): a
volunteer logs in with a password, or staff hand in the token an
administrator issued them, and the token goes into an HttpOnly,
SameSite=Strict cookie for /api/ that lives as long as the token; the
cookie alone then authenticates every service's API (the router's and the
workflow's here), a change made with it needs X-Gongyi-Console: 1 (else
403 csrf_header_missing and nothing written), a bearer header needs no
such header, and logging out deletes the cookie.  Real PostgreSQL, Redis,
gy-intake, gy-router and gy-workflow; the processes run on the suite's
clock (tokens' lifetimes are measured on it, never on today's date)."""

import os
import unittest
import uuid

import gytest

S = {}

TOKEN_TTL_S = 3600
COOKIE_ATTRIBUTES = ["Path=/api/", "HttpOnly", "SameSite=Strict"]


def setUpModule():
    gytest.require_workflow_build()
    folder = gytest.run_dir("test_router_session")
    S["folder"] = folder
    S["token_secret"], S["token_public"] = gytest.token_keys(folder)
    S["dbname"] = gytest.create_database("session")
    S["db"] = gytest.Db(S["dbname"])
    intake = gytest.Intake(folder, "intake-s1", S["dbname"])
    router = gytest.Router(folder, "router-s1", S["dbname"], [intake], env=router_env(
        GY_DEADLINE_SCAN_MS="0"))
    workflow = gytest.Workflow(folder, "workflow-s1", S["dbname"], [router],
                               token_public=S["token_public"])
    S.update(intake=intake, router=router, workflow=workflow)
    gytest.start_site(intake, router, workflow)


def tearDownModule():
    gytest.end_module(S, "workflow", "router", "intake")


def router_env(**extra):
    return gytest.router_api_env(S["folder"], S["token_secret"], S["token_public"],
                                 GY_TOKEN_TTL_S=str(TOKEN_TTL_S), **extra)


def now_s():
    return gytest.now_ms() // 1000


def token(role, proc, sub=None, ttl=TOKEN_TTL_S, clock=None):
    """A token as an administrator issues it with gy-token."""
    return gytest.issue_token(S["token_secret"], sub or "%s-%s" % (role, uuid.uuid4().hex[:8]),
                              role=role, proc=proc, ttl=ttl, clock=clock)


def call(method, path, body=None, cookie=None, bearer=None, console=False, headers=None,
         service="router"):
    """One request as the console (or an integrator) sends it: cookie is
    the gy_session value the browser holds, console adds X-Gongyi-Console."""
    h = {}
    if body is not None:
        h["Content-Type"] = "application/json"
    if cookie is not None:
        h["Cookie"] = "lang=zh-CN; gy_session=%s; theme=light" % cookie
    if bearer is not None:
        h["Authorization"] = "Bearer " + bearer
    if console:
        h["X-Gongyi-Console"] = "1"
    h.update(headers or {})
    port = service.http_port if isinstance(service, gytest.Service) else S[service].http_port
    return gytest.http_request(port, method, path, body, h)


def session(body, **kw):
    return call("POST", "/api/v1/auth/session", body, **kw)


def set_cookie(resp):
    """(value, attributes) of the answer's one Set-Cookie for gy_session."""
    line = resp.headers.get("set-cookie")
    assert line, "no Set-Cookie in %r (%r)" % (resp, resp.headers)
    pair, *attributes = line.split("; ")
    name, _, value = pair.partition("=")
    assert name == "gy_session", line
    return value, attributes


def max_age(attributes):
    ages = [a for a in attributes if a.startswith("Max-Age=")]
    assert len(ages) == 1, attributes
    return int(ages[0][len("Max-Age="):])


def volunteer(proc="321112", appoint=True):
    """An applied (and appointed) volunteer: (id, login, password)."""
    login = "s%s" % uuid.uuid4().hex[:12]
    password = "长江水清澈-%s" % login
    r = call("POST", "/api/v1/volunteers/applications", {
        "login": login, "password": password, "name": "王建国", "phone": "+86 139-1234-5678",
        "procuratorate": proc, "roles": ["assessor", "supervisor"]})
    assert r.status == 201, r
    vid = r.json()["id"]
    if appoint:
        r = call("POST", "/api/v1/volunteers/%s/appoint" % vid, {
            "certificate_no": "镇检志聘〔2026〕%s号" % uuid.uuid4().hex[:8],
            "term_start": "2020-01-01", "term_end": "2099-12-31"},
            bearer=token("prosecutor", proc))
        assert r.status == 200, r
    return vid, login, password


def conflicts(vid):
    """What a volunteer's conflict declarations have written."""
    return (S["db"].scalar("SELECT count(*) FROM router.volunteer_conflict WHERE volunteer_id = %s",
                           (vid,)),
            S["db"].scalar("SELECT count(*) FROM router.outbox"))


CONFLICT = {"kind": "keyword", "value": "化工厂", "reason": "亲属在该企业工作"}


class SessionTestCase(gytest.IntakeTestCase):

    def assertNoCookie(self, resp):
        self.assertNotIn("set-cookie", resp.headers, resp)

    def assertSession(self, resp, subject, role, proc, volunteer_id):
        """200 with who the caller is, and never the token in the body."""
        self.assertEqual(resp.status, 200, resp)
        body = resp.json()
        self.assertEqual(set(body), {"subject", "role", "procuratorate", "expires_at",
                                     "volunteer_id"})
        self.assertEqual((body["subject"], body["role"], body["procuratorate"],
                          body["volunteer_id"]), (subject, role, proc, volunteer_id))
        self.assertEqual(resp.headers.get("cache-control"), "no-store")
        self.assertNotIn(b"gy1.", resp.body)
        return body


class LoginTest(SessionTestCase):

    def test_a_volunteer_logs_in_and_the_cookie_alone_authenticates(self):
        vid, login, password = volunteer()
        before = now_s()
        r = session({"login": login, "password": password})
        body = self.assertSession(r, vid, "volunteer", "321112", vid)
        value, attributes = set_cookie(r)
        # Exactly these attributes: no Secure unless configured, no Domain
        # (the cookie stays with this host), no Expires beside Max-Age.
        self.assertEqual(attributes[:3], COOKIE_ATTRIBUTES)
        self.assertEqual(len(attributes), 4, attributes)
        age = max_age(attributes)
        self.assertLessEqual(age, TOKEN_TTL_S)
        self.assertGreaterEqual(age, TOKEN_TTL_S - 5)
        self.assertLessEqual(abs(body["expires_at"] - (before + age)), 5)
        # The cookie holds the token every service verifies.
        out = gytest.run([gytest.TOKEN_BIN, "verify", S["token_public"], value])
        self.assertIn(vid, out)

        r = call("GET", "/api/v1/auth/session", cookie=value)
        self.assertSession(r, vid, "volunteer", "321112", vid)
        self.assertNoCookie(r)
        r = call("GET", "/api/v1/volunteers/me", cookie=value)
        self.assertEqual((r.status, r.json()["id"]), (200, vid), r)
        # Another service's API takes the same cookie.
        r = call("GET", "/api/v1/workflow/me/tasks", cookie=value, service="workflow")
        self.assertEqual(r.status, 200, r)

    def test_a_change_with_the_cookie_needs_the_console_header(self):
        vid, login, password = volunteer()
        value, _ = set_cookie(session({"login": login, "password": password}))
        before = conflicts(vid)
        r = call("POST", "/api/v1/volunteers/me/conflicts", CONFLICT, cookie=value)
        self.assertError(r, 403, "csrf_header_missing", "X-Gongyi-Console")
        r = call("POST", "/api/v1/volunteers/me/conflicts", CONFLICT, cookie=value,
                 headers={"X-Gongyi-Console": "true"})
        self.assertError(r, 403, "csrf_header_missing", "X-Gongyi-Console")
        self.assertEqual(conflicts(vid), before)
        r = call("POST", "/api/v1/volunteers/me/conflicts", CONFLICT, cookie=value, console=True)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(conflicts(vid)[0], before[0] + 1)

    def test_a_bearer_header_needs_no_console_header(self):
        vid, login, password = volunteer()
        r = call("POST", "/api/v1/auth/login", {"login": login, "password": password})
        self.assertEqual(r.status, 200, r)
        bearer = r.json()["token"]
        r = call("POST", "/api/v1/volunteers/me/conflicts", CONFLICT, bearer=bearer)
        self.assertEqual(r.status, 201, r)
        # The header wins over whatever cookie rides along.
        r = call("POST", "/api/v1/volunteers/me/conflicts", dict(CONFLICT, value="造纸厂"),
                 bearer=bearer, cookie="gy1.not.valid")
        self.assertEqual(r.status, 201, r)
        r = call("GET", "/api/v1/auth/session", bearer=bearer)
        self.assertSession(r, vid, "volunteer", "321112", vid)

    def test_wrong_credentials_set_no_cookie(self):
        vid, login, password = volunteer()
        for body in ({"login": login, "password": password + "x"},
                     {"login": "nobody-" + uuid.uuid4().hex[:8], "password": password}):
            r = session(body)
            self.assertError(r, 401, "invalid_credentials")
            self.assertNoCookie(r)
        applied, login, password = volunteer(appoint=False)
        r = session({"login": login, "password": password})
        self.assertError(r, 403, "not_appointed")
        self.assertNoCookie(r)

    def test_bad_bodies_are_refused(self):
        _, login, password = volunteer()
        for body, status, code, field in (
                ({}, 400, "login_or_token", None),
                ({"login": login, "password": password, "token": "gy1.a.b"}, 400,
                 "login_or_token", None),
                ({"login": login}, 400, "missing_field", "password"),
                ({"token": 7}, 400, "invalid_type", "token"),
                (b"{", 400, "malformed_json", None),
                (b"[]", 400, "malformed_json", None)):
            with self.subTest(body=body):
                r = session(body)
                self.assertError(r, status, code, field)
                self.assertNoCookie(r)
        r = session(b"login=x&password=y",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertError(r, 415, "unsupported_media_type", "Content-Type")
        self.assertNoCookie(r)
        r = call("PUT", "/api/v1/auth/session", {})
        self.assertError(r, 405, "method_not_allowed")
        self.assertEqual(r.headers.get("allow"), "POST, GET, DELETE")


class StaffTokenTest(SessionTestCase):

    def test_staff_hand_in_an_issued_token(self):
        before = now_s()
        issued = token("prosecutor", "321112", sub="p-zhang")
        r = session({"token": issued})
        body = self.assertSession(r, "p-zhang", "prosecutor", "321112", None)
        value, attributes = set_cookie(r)
        self.assertEqual(value, issued)
        self.assertEqual(attributes[:3], COOKIE_ATTRIBUTES)
        age = max_age(attributes)
        self.assertLessEqual(abs(body["expires_at"] - (before + TOKEN_TTL_S)), 5)
        self.assertLessEqual(abs(body["expires_at"] - (now_s() + age)), 5)
        r = call("GET", "/api/v1/volunteers", cookie=value)
        self.assertEqual(r.status, 200, r)

        # A volunteer's issued token names the volunteer.
        vid, _, _ = volunteer()
        r = session({"token": token("volunteer", "321112", sub=vid)})
        self.assertSession(r, vid, "volunteer", "321112", vid)

    def test_a_change_on_the_workflow_with_the_cookie(self):
        chief = token("chief_prosecutor", "321112", sub="c-li")
        value, _ = set_cookie(session({"token": chief}))
        rotation = ("SELECT count(*) FROM workflow.rotation WHERE procuratorate = '321112'")
        before = S["db"].scalar(rotation)
        r = call("PUT", "/api/v1/workflow/rotations/321112", {"prosecutors": ["p-zhang"]},
                 cookie=value, service="workflow")
        self.assertError(r, 403, "csrf_header_missing", "X-Gongyi-Console")
        self.assertEqual(S["db"].scalar(rotation), before)
        r = call("PUT", "/api/v1/workflow/rotations/321112", {"prosecutors": ["p-zhang"]},
                 cookie=value, console=True, service="workflow")
        self.assertEqual((r.status, r.json()["prosecutors"]), (200, ["p-zhang"]), r)

    def test_forged_and_expired_tokens_are_refused(self):
        issued = token("admin", "321100")
        body, _, sig = issued.rpartition(".")
        forged = body + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
        other_secret = os.path.join(S["folder"], "other.secret")
        gytest.run([gytest.TOKEN_BIN, "keygen", other_secret,
                    os.path.join(S["folder"], "other.public")])
        foreign = gytest.issue_token(other_secret, "a-wang", role="admin", proc="321100")
        # Issued two hours before the suite's clock, for one hour.
        expired = token("admin", "321100", ttl=3600,
                        clock=gytest.format_instant(gytest.now_ms() - 2 * 3600 * 1000))
        for bad in (forged, foreign, expired, "not a token"):
            with self.subTest(token=bad[:20]):
                r = session({"token": bad})
                self.assertError(r, 401, "invalid_token", "token")
                self.assertEqual(r.headers.get("www-authenticate"), "Bearer")
                self.assertNoCookie(r)
        self.assertIn("expired", session({"token": expired}).json()["error"]["message"])
        # The same tokens in the cookie are refused as well.
        for bad in (forged, expired):
            r = call("GET", "/api/v1/auth/session", cookie=bad)
            self.assertError(r, 401, "invalid_token", "Cookie")
            r = call("GET", "/api/v1/volunteers", cookie=bad)
            self.assertError(r, 401, "invalid_token", "Cookie")
        r = call("GET", "/api/v1/auth/session")
        self.assertError(r, 401, "unauthenticated", "Authorization")


class LogoutTest(SessionTestCase):

    def test_logout_deletes_the_cookie(self):
        value, _ = set_cookie(session({"token": token("prosecutor", "321112")}))
        r = call("DELETE", "/api/v1/auth/session", cookie=value)
        self.assertError(r, 403, "csrf_header_missing", "X-Gongyi-Console")
        self.assertNoCookie(r)
        r = call("DELETE", "/api/v1/auth/session", cookie=value, console=True)
        self.assertEqual((r.status, r.body), (204, b""), r)
        self.assertEqual(set_cookie(r), ("", COOKIE_ATTRIBUTES + ["Max-Age=0"]))
        # Again, and without any cookie: the same answer.
        for cookie in (value, None):
            r = call("DELETE", "/api/v1/auth/session", cookie=cookie, console=True)
            self.assertEqual(r.status, 204, r)
            self.assertEqual(set_cookie(r), ("", COOKIE_ATTRIBUTES + ["Max-Age=0"]))
        # An expired session logs out too.
        stale = token("admin", "321100", ttl=60,
                      clock=gytest.format_instant(gytest.now_ms() - 3600 * 1000))
        r = call("DELETE", "/api/v1/auth/session", cookie=stale, console=True)
        self.assertEqual(r.status, 204, r)
        # The token is stateless: a copy kept elsewhere stays valid until it
        # expires (docs/console.md, "Where the token lives").
        r = call("GET", "/api/v1/auth/session", cookie=value)
        self.assertEqual(r.status, 200, r)

    def test_no_cross_origin_preflight_is_granted(self):
        r = call("OPTIONS", "/api/v1/auth/session", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "x-gongyi-console"})
        self.assertEqual(r.status, 204, r)
        self.assertFalse([h for h in r.headers if h.startswith("access-control-")], r.headers)


class SettingsTest(SessionTestCase):
    """A router of its own: the Secure attribute, and the login's rate
    limits shared by both ways of logging in."""

    def test_secure_cookie_and_shared_login_limits(self):
        dbname = gytest.create_database("session_cfg")
        router = gytest.Router(S["folder"], "router-s-cfg", dbname, [S["intake"]], env=router_env(
            GY_SESSION_COOKIE_SECURE="on", GY_RATE_LIMIT_LOGIN_PER_MIN="3",
            GY_TRUSTED_PROXIES="127.0.0.1"))  # the test stands in for the edge
        try:
            router.start()
            r = call("POST", "/api/v1/auth/session", {"token": token("admin", "321100")},
                     service=router)
            self.assertEqual(r.status, 200, r)
            _, attributes = set_cookie(r)
            self.assertEqual(attributes[:3] + attributes[4:], COOKIE_ATTRIBUTES + ["Secure"])
            r = call("DELETE", "/api/v1/auth/session", service=router)
            self.assertEqual(set_cookie(r), ("", COOKIE_ATTRIBUTES + ["Max-Age=0", "Secure"]))

            # /auth/login and /auth/session count against the same limits.
            xff = {"X-Forwarded-For": "198.51.100.%d" % (uuid.uuid4().int % 250 + 1)}
            nobody = {"login": "nobody-" + uuid.uuid4().hex[:8], "password": "0123456789"}
            statuses = [call("POST", path, nobody, headers=xff, service=router).status
                        for path in ("/api/v1/auth/login", "/api/v1/auth/session",
                                     "/api/v1/auth/login", "/api/v1/auth/session")]
            self.assertEqual(statuses, [401, 401, 401, 429])
        finally:
            router.stop()
            gytest.drop_database(dbname)

    def test_a_bad_setting_stops_the_router(self):
        out = gytest.router_start_refused(S["dbname"], router_env(GY_SESSION_COOKIE_SECURE="yes"))
        self.assertIn("GY_SESSION_COOKIE_SECURE", out)


if __name__ == "__main__":
    unittest.main()
