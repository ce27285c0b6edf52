"""The volunteer registry over the router's HTTP API: applying without an
account, appointment by a procuratorate, login with a password (argon2id)
for a signed bearer token, suspension and expiry, and who may see and act
on whom: a county sees its own volunteers, a city its counties', nobody
another city's; personal data is sealed at rest and every disclosure is
logged.  Real PostgreSQL, Redis and the real gy-router."""

import http.client
import threading
import time
import unittest
import uuid

import gytest

S = {}


def router_env(folder, extra=None):
    return gytest.router_api_env(folder, S["token_secret"], S["token_public"], **(extra or {}))


def setUpModule():
    gytest.require_router_build()
    S["folder"] = gytest.run_dir("test_router_volunteers")
    S["token_secret"], S["token_public"] = gytest.token_keys(S["folder"])
    S["dbname"] = gytest.create_database("volunteers")
    S["db"] = gytest.Db(S["dbname"])
    S["intake"] = gytest.Intake(S["folder"], "intake-v1", S["dbname"]).start()
    S["router"] = gytest.Router(S["folder"], "router-v1", S["dbname"], [S["intake"]],
                                env=router_env(S["folder"])).start()


def tearDownModule():
    for name in ("router", "intake"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def token(role, proc, sub=None):
    return gytest.issue_token(S["token_secret"], sub or "%s-%s" % (role, uuid.uuid4().hex[:8]),
                              role=role, proc=proc)


def call(method, path, body=None, bearer=None, headers=None, router=None):
    return gytest.api_request((router or S["router"]).http_port, method, path, body, bearer,
                              headers)


def application(**overrides):
    login = "v%s" % uuid.uuid4().hex[:12]
    body = {
        "login": login,
        "password": "长江水清澈-%s" % login,
        "name": "王建国",
        "phone": "+86 139-1234-5678",
        "email": "wang@example.cn",
        "procuratorate": "321112",
        "expertise": ["ecology", "food_drug"],
        "roles": ["assessor", "informant"],
        "statement": "从事环境监测工作十年，熟悉水质检测。",
    }
    body.update(overrides)
    return body


def apply(**overrides):
    body = application(**overrides)
    r = call("POST", "/api/v1/volunteers/applications", body)
    assert r.status == 201, r
    return r.json()["id"], body


def appoint(vid, proc="321112", **overrides):
    body = {"certificate_no": "镇检志聘〔2026〕%s号" % uuid.uuid4().hex[:8],
            "term_start": "2026-01-01", "term_end": "2099-12-31"}
    body.update(overrides)
    return call("POST", "/api/v1/volunteers/%s/appoint" % vid, body,
                bearer=token("prosecutor", proc))


def login(body, router=None):
    return call("POST", "/api/v1/auth/login",
                {"login": body["login"], "password": body["password"]}, router=router)


class ApplyTest(gytest.IntakeTestCase):

    def test_an_application_is_stored_with_its_personal_data_sealed(self):
        vid, body = apply()
        rows = S["db"].query("SELECT status, procuratorate, city, expertise, roles, person_sealed, "
                             "password_hash FROM router.volunteer WHERE id = %s", (vid,))
        self.assertEqual(len(rows), 1)
        status, proc, city, expertise, roles, sealed, pwhash = rows[0]
        self.assertEqual((status, proc, city), ("applied", "321112", "321100"))
        self.assertEqual(expertise, ["ecology", "food_drug"])
        self.assertEqual(roles, ["assessor", "informant"])
        sealed = bytes(sealed)
        for secret in (body["name"], body["phone"], body["email"]):
            self.assertNotIn(secret.encode("utf-8"), sealed)
        self.assertTrue(pwhash.startswith("$argon2id$"), pwhash)
        self.assertNotIn(body["password"], pwhash)

    def test_a_login_is_registered_once(self):
        _, body = apply()
        before = S["db"].scalar("SELECT count(*) FROM router.volunteer")
        r = call("POST", "/api/v1/volunteers/applications", application(login=body["login"]))
        self.assertError(r, 409, "login_taken", "login")
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM router.volunteer"), before)

    def test_bad_applications_are_refused_and_nothing_is_written(self):
        cases = [
            (b"{", 400, "malformed_json", None),
            (b"{\"login\":\"\xff\"}", 400, "invalid_utf8", None),
            (application(login=None), 400, "missing_field", "login"),
            (application(login="Has Space"), 400, "invalid_value", "login"),
            (application(password="short"), 400, "weak_password", "password"),
            (application(name=""), 400, "invalid_value", "name"),
            (application(name=7), 400, "invalid_type", "name"),
            (application(phone="call me"), 400, "invalid_value", "phone"),
            (application(email="not-an-address"), 400, "invalid_value", "email"),
            (application(procuratorate="999999"), 422, "unknown_region_code", "procuratorate"),
            (application(expertise=["astrology"]), 422, "unknown_field_code", "expertise"),
            (application(roles=[]), 400, "invalid_value", "roles"),
            (application(roles=["judge"]), 400, "invalid_value", "roles"),
            (application(statement="x" * 1001), 400, "too_long", "statement"),
        ]
        before = S["db"].scalar("SELECT count(*) FROM router.volunteer")
        for body, status, code, field in cases:
            with self.subTest(code=code, field=field):
                if isinstance(body, dict):
                    body = {k: v for k, v in body.items() if v is not None}
                r = call("POST", "/api/v1/volunteers/applications", body)
                self.assertError(r, status, code, field)
        r = call("POST", "/api/v1/volunteers/applications", b"{}",
                 headers={"Content-Type": "text/plain"})
        self.assertError(r, 415, "unsupported_media_type", "Content-Type")
        r = call("GET", "/api/v1/volunteers/applications")
        self.assertEqual(r.status, 405, r)
        self.assertEqual(r.headers.get("allow"), "POST")
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM router.volunteer"), before)


class LoginTest(gytest.IntakeTestCase):

    def test_only_an_appointed_volunteer_in_term_logs_in(self):
        vid, body = apply()
        self.assertError(login(body), 403, "not_appointed")
        self.assertError(login(dict(body, password=body["password"] + "x")), 401,
                         "invalid_credentials")
        self.assertError(login(dict(body, login="nobody-" + uuid.uuid4().hex[:8])), 401,
                         "invalid_credentials")

        r = appoint(vid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "appointed")
        r = login(body)
        self.assertEqual(r.status, 200, r)
        answer = r.json()
        self.assertEqual(answer["volunteer_id"], vid)
        self.assertEqual(answer["procuratorate"], "321112")
        # The token is one every service verifies the same way.
        out = gytest.run([gytest.TOKEN_BIN, "verify", S["token_public"], answer["token"]])
        self.assertIn(vid, out)
        self.assertIn("volunteer", out)

        # The volunteer reads their own record, with their personal data,
        # and the reading is logged.
        logged = S["db"].scalar("SELECT count(*) FROM router.personal_data_access "
                                "WHERE object_id = %s", (vid,))
        r = call("GET", "/api/v1/volunteers/me", bearer=answer["token"])
        self.assertEqual(r.status, 200, r)
        me = r.json()
        self.assertEqual(me["id"], vid)
        self.assertEqual(me["person"]["name"], body["name"])
        self.assertEqual(me["person"]["phone"], body["phone"])
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM router.personal_data_access "
                                        "WHERE object_id = %s", (vid,)), logged + 1)

        # Suspended: no login; reinstated: again.
        pros = token("prosecutor", "321112")
        r = call("POST", "/api/v1/volunteers/%s/suspend" % vid, {"reason": "利益冲突，暂停聘任"},
                 bearer=pros)
        self.assertEqual(r.json()["status"], "suspended", r)
        self.assertError(login(body), 403, "not_appointed")
        r = call("POST", "/api/v1/volunteers/%s/suspend" % vid, {"reason": "again"}, bearer=pros)
        self.assertError(r, 409, "invalid_state", "status")
        r = call("POST", "/api/v1/volunteers/%s/reinstate" % vid, {"reason": "冲突已消除"},
                 bearer=pros)
        self.assertEqual(r.json()["status"], "appointed", r)
        self.assertEqual(login(body).status, 200)
        history = S["db"].query("SELECT action, from_status, to_status FROM "
                                "router.volunteer_history WHERE volunteer_id = %s ORDER BY id",
                                (vid,))
        self.assertEqual(history, [("appoint", "applied", "appointed"),
                                   ("suspend", "appointed", "suspended"),
                                   ("reinstate", "suspended", "appointed")])

    def test_an_expired_term_refuses_login(self):
        vid, body = apply()
        r = appoint(vid, term_start="2020-01-01", term_end="2021-12-31")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["term_expired"])
        self.assertError(login(body), 403, "term_expired")

    def test_a_certificate_number_belongs_to_one_volunteer(self):
        a, _ = apply()
        b, _ = apply()
        cert = "镇检志聘〔2026〕%s号" % uuid.uuid4().hex[:6]
        self.assertEqual(appoint(a, certificate_no=cert).status, 200)
        self.assertError(appoint(b, certificate_no=cert), 409, "certificate_taken",
                         "certificate_no")
        self.assertEqual(S["db"].scalar("SELECT status FROM router.volunteer WHERE id = %s",
                                        (b,)), "applied")

    def test_bad_logins(self):
        r = call("POST", "/api/v1/auth/login", {"login": "x"})
        self.assertError(r, 400, "missing_field", "password")
        r = call("POST", "/api/v1/auth/login", b"[]")
        self.assertError(r, 400, "malformed_json")


class ScopeTest(gytest.IntakeTestCase):

    def test_who_sees_and_acts_on_whom(self):
        dantu, _ = apply(procuratorate="321112")     # 镇江市丹徒区
        runzhou, _ = apply(procuratorate="321111")   # 镇江市润州区
        datong, _ = apply(procuratorate="140213")    # 大同市平城区

        def listed(bearer):
            seen, after = [], None
            while True:
                r = call("GET", "/api/v1/volunteers?limit=100" + ("&after=" + after if after
                                                                  else ""), bearer=bearer)
                self.assertEqual(r.status, 200, r)
                page = r.json()
                seen += [v["id"] for v in page["items"]]
                after = page["next"]
                if not after:
                    return seen

        county = token("prosecutor", "321112")
        other_county = token("prosecutor", "321111")
        city = token("chief_prosecutor", "321100")
        other_city = token("admin", "140200")
        province = token("admin", "320000")

        self.assertIn(dantu, listed(county))
        self.assertNotIn(runzhou, listed(county))
        self.assertIn(runzhou, listed(other_county))
        self.assertNotIn(dantu, listed(other_county))
        self.assertTrue({dantu, runzhou} <= set(listed(city)))
        self.assertNotIn(datong, listed(city))
        self.assertIn(datong, listed(other_city))
        self.assertFalse({dantu, runzhou} & set(listed(other_city)))
        self.assertTrue({dantu, runzhou} <= set(listed(province)))

        # Outside one's jurisdiction a volunteer does not exist.
        r = call("GET", "/api/v1/volunteers/%s" % dantu, bearer=other_county)
        self.assertError(r, 404, "not_found")
        r = appoint(dantu, proc="321111")
        self.assertError(r, 404, "not_found")
        self.assertEqual(S["db"].scalar("SELECT status FROM router.volunteer WHERE id = %s",
                                        (dantu,)), "applied")
        # The city reads it (with personal data, logged) and appoints.
        r = call("GET", "/api/v1/volunteers/%s" % dantu, bearer=city)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["person"]["name"], "王建国")
        access = S["db"].query("SELECT role, procuratorate FROM router.personal_data_access "
                               "WHERE object_id = %s", (dantu,))
        self.assertEqual(access, [("chief_prosecutor", "321100")])
        self.assertEqual(appoint(dantu, proc="321100").status, 200)

    def test_roles_and_tokens(self):
        vid, _ = apply()
        volunteer = token("volunteer", "321112", sub=vid)
        self.assertError(call("GET", "/api/v1/volunteers", bearer=volunteer), 403, "forbidden")
        self.assertError(call("POST", "/api/v1/volunteers/%s/appoint" % vid, {},
                              bearer=volunteer), 403, "forbidden")
        self.assertError(call("GET", "/api/v1/volunteers"), 401, "unauthenticated",
                         "Authorization")
        self.assertError(call("GET", "/api/v1/volunteers", bearer="gy1.not.valid"), 401,
                         "invalid_token", "Authorization")
        expired = gytest.issue_token(S["token_secret"], "p", role="prosecutor", proc="321112",
                                     ttl=1)
        time.sleep(2.2)
        self.assertError(call("GET", "/api/v1/volunteers", bearer=expired), 401,
                         "invalid_token", "Authorization")
        self.assertError(call("GET", "/api/v1/volunteers/me", bearer=token("prosecutor", "321112")),
                         403, "forbidden")

    def test_bad_requests_of_managers(self):
        pros = token("prosecutor", "321112")
        vid, _ = apply()
        for query, field in (("?status=retired", "status"), ("?limit=0", "limit"),
                             ("?limit=101", "limit"), ("?after=123", "after"),
                             ("?after=x.%s" % vid, "after")):
            with self.subTest(query=query):
                self.assertError(call("GET", "/api/v1/volunteers" + query, bearer=pros), 400,
                                 "invalid_value", field)
        self.assertError(call("GET", "/api/v1/volunteers?sort=name", bearer=pros), 400,
                         "unknown_parameter")
        self.assertError(call("GET", "/api/v1/volunteers/not-a-uuid", bearer=pros), 404,
                         "not_found")
        self.assertError(call("POST", "/api/v1/volunteers/%s/promote" % vid, {}, bearer=pros),
                         404, "not_found")
        self.assertError(call("POST", "/api/v1/volunteers/%s/suspend" % vid, {}, bearer=pros),
                         400, "missing_field", "reason")
        self.assertError(call("POST", "/api/v1/volunteers/%s/appoint" % vid,
                              {"certificate_no": "1", "term_start": "2026-02-30",
                               "term_end": "2027-01-01"}, bearer=pros),
                         400, "invalid_value", "term_start")
        self.assertError(call("POST", "/api/v1/volunteers/%s/suspend" % vid, {"reason": "x"},
                              bearer=pros), 409, "invalid_state", "status")
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM router.volunteer_history "
                                        "WHERE volunteer_id = %s", (vid,)), 0)

    def test_pages_follow_the_keyset(self):
        proc = "321183"  # 句容市: this test's own
        made = [apply(procuratorate=proc)[0] for _ in range(5)]
        pros = token("prosecutor", proc)
        seen, after, pages = [], None, 0
        while True:
            r = call("GET", "/api/v1/volunteers?status=applied&limit=2"
                     + ("&after=" + after if after else ""), bearer=pros)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertLessEqual(len(page["items"]), 2)
            seen += [v["id"] for v in page["items"]]
            pages += 1
            after = page["next"]
            if not after:
                break
        self.assertEqual(seen, made)
        self.assertEqual(pages, 3)


class AnnounceTest(gytest.IntakeTestCase):
    """Every change of the registry emits one VolunteerChanged in its
    transaction, with the standing after it and nothing personal; a refused
    change emits none; changes made at the same time are each announced
    with the standing they left (the version guard)."""

    def changes(self, vid):
        out = []
        for (body,) in S["db"].query("SELECT body FROM router.outbox WHERE type = "
                                     "'VolunteerChanged' ORDER BY sequence"):
            m = gytest.pb.VolunteerChanged()
            m.ParseFromString(bytes(body))
            self.assertNotIn("王建国".encode(), bytes(body))
            self.assertNotIn(b"139-1234", bytes(body))
            if m.volunteer_id == vid:
                out.append(m)
        return out

    def declare(self, vid, value):
        return call("POST", "/api/v1/volunteers/me/conflicts",
                    {"kind": "keyword", "value": value, "reason": "亲属在该企业工作"},
                    bearer=token("volunteer", "321112", sub=vid))

    def test_each_change_is_announced_once(self):
        vid, body = apply(phone="+86 139-1234-0000")
        r = appoint(vid, roles=["supervisor"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.declare(vid, "化工厂").status, 201)
        manager = token("prosecutor", "321112")
        for action in ("suspend", "reinstate"):
            r = call("POST", "/api/v1/volunteers/%s/%s" % (vid, action), {"reason": "调整"},
                     bearer=manager)
            self.assertEqual(r.status, 200, r)
        before = S["db"].scalar("SELECT count(*) FROM router.outbox")
        r = call("POST", "/api/v1/volunteers/%s/reinstate" % vid, {"reason": "again"},
                 bearer=manager)
        self.assertError(r, 409, "invalid_state", "status")
        r = call("POST", "/api/v1/volunteers/applications", dict(application(),
                                                                 login=body["login"]))
        self.assertError(r, 409, "login_taken", "login")
        self.assertEqual(S["db"].scalar("SELECT count(*) FROM router.outbox"), before)
        events = self.changes(vid)
        self.assertEqual([(e.version, e.change, e.status, e.by[:1] != "") for e in events],
                         [(1, "apply", "applied", True), (2, "appoint", "appointed", True),
                          (3, "conflict", "appointed", True), (4, "suspend", "suspended", True),
                          (5, "reinstate", "appointed", True)])
        last = events[-1]
        self.assertEqual((last.procuratorate, last.city, list(last.roles), list(last.expertise),
                          last.term_start, last.term_end),
                         ("321112", "321100", ["supervisor"], ["ecology", "food_drug"],
                          "2026-01-01", "2099-12-31"))
        self.assertEqual([(c.kind, c.value) for c in last.conflicts], [("keyword", "化工厂")])
        self.assertEqual(S["db"].scalar("SELECT version FROM router.volunteer WHERE id = %s",
                                        (vid,)), 5)

    def test_changes_at_the_same_time_are_each_announced(self):
        vid, _ = apply()
        self.assertEqual(appoint(vid).status, 200)
        # Four at once: each loses the version race at most three times, within
        # the router's four tries.
        words = ["词%d" % i for i in range(4)]
        results = []
        threads = [threading.Thread(target=lambda w=w: results.append(self.declare(vid, w).status))
                   for w in words]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(sorted(results), [201] * 4)
        events = self.changes(vid)
        self.assertEqual([e.version for e in events], list(range(1, 7)))
        # Each standing holds the conflicts declared before it; the last, all.
        for e in events[2:]:
            self.assertEqual(len(e.conflicts), e.version - 2)
        self.assertEqual(sorted(c.value for c in events[-1].conflicts), sorted(words))


class RateLimitTest(gytest.IntakeTestCase):

    def test_applications_are_rate_limited_per_address(self):
        dbname = gytest.create_database("volunteers_rl")
        router = gytest.Router(S["folder"], "router-v-rl", dbname, [S["intake"]],
                               env=router_env(S["folder"], {"GY_RATE_LIMIT_APPLY_PER_HOUR": "2",
                                                            "GY_RATE_LIMIT_LOGIN_PER_MIN": "3",
                                                            # the test stands in for the edge
                                                            "GY_TRUSTED_PROXIES": "127.0.0.1"}))
        db = gytest.Db(dbname)
        try:
            router.start()
            # A fresh client address for this test's windows in the shared Redis.
            xff = {"X-Forwarded-For": "198.51.100.%d" % (uuid.uuid4().int % 250 + 1)}
            for _ in range(2):
                r = call("POST", "/api/v1/volunteers/applications", application(), headers=xff,
                         router=router)
                self.assertEqual(r.status, 201, r)
            r = call("POST", "/api/v1/volunteers/applications", application(), headers=xff,
                     router=router)
            self.assertError(r, 429, "rate_limited")
            self.assertEqual(db.scalar("SELECT count(*) FROM router.volunteer"), 2)
            nobody = "nobody-" + uuid.uuid4().hex[:8]
            statuses = [call("POST", "/api/v1/auth/login", {"login": nobody, "password": "x"},
                             headers=xff, router=router).status for _ in range(4)]
            self.assertEqual(statuses, [401, 401, 401, 429])
        finally:
            router.stop()
            db.close()
            gytest.drop_database(dbname)


class StopTest(gytest.IntakeTestCase):

    def test_stopping_with_requests_in_flight_exits_cleanly(self):
        """SIGTERM while applications and logins wait for the thread pool,
        the rate limiter and PostgreSQL: every request gets an answer or a
        closed connection, the router exits 0, and (in the sanitizer build)
        without a report."""
        dbname = gytest.create_database("volunteers_stop")
        router = gytest.Router(S["folder"], "router-v-stop", dbname, [S["intake"]],
                               env=router_env(S["folder"], {"GY_RATE_LIMIT_APPLY_PER_HOUR": "1000",
                                                            "GY_RATE_LIMIT_LOGIN_PER_MIN": "1000"}))
        try:
            router.start()
            results = []

            def client(n):
                try:
                    if n % 2:
                        r = call("POST", "/api/v1/volunteers/applications", application(),
                                 router=router)
                    else:
                        r = call("POST", "/api/v1/auth/login",
                                 {"login": "nobody-%d" % n, "password": "0123456789"},
                                 router=router)
                    results.append(r.status)
                except (OSError, http.client.HTTPException):
                    results.append("closed")

            threads = [threading.Thread(target=client, args=(n,)) for n in range(24)]
            for t in threads:
                t.start()
            time.sleep(0.05)
            status = router.stop()
            for t in threads:
                t.join(30)
            self.assertEqual(status, 0, router.log_tail())
            self.assertEqual(len(results), 24)
            for r in results:
                self.assertIn(r, {201, 401, 503, "closed"})
        finally:
            router.stop()
            gytest.drop_database(dbname)


if __name__ == "__main__":
    unittest.main()
