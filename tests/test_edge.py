"""The nginx edge of the local run (deploy/nginx/gongyi.conf.template, as
scripts/up fills it in) in front of a real gy-intake: every answer the edge
gives itself is the API's JSON error, a slow body cannot hold a connection
longer than the instance's read timeout, one address gets at most 32
requests served at once, headers must arrive within 10 s, and a spoofed
X-Forwarded-For sent straight to an instance's port does not escape the
per-address rate limit.  Every API path docs/api.md documents has a
location; with a real router behind a second edge, the console's session
cookie passes unchanged both ways and no CORS preflight is granted.

Debian's nginx (scripts/deps installs nginx-light) runs on free loopback
ports with its files in this module's run folder; each malformed request
goes over a raw socket, as a broken or hostile client would send it."""

import json
import csv
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import unittest

import gytest
from gytest import IntakeTestCase, valid_clue

S = {}

# The instance's whole-request bound (GY_HTTP_READ_TIMEOUT_MS); short so the
# slow-body tests end soon.
READ_TIMEOUT_S = 3
# What scripts/up uses: the edge connects to the instances from this
# address, and only it is trusted for X-Forwarded-For.
EDGE_SOURCE = "127.0.0.2"
# The edge's connections per address (limit_conn in the template).
CONN_PER_ADDR = 32
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONSOLE_STAND_IN = "<!doctype html><html lang=\"zh-CN\"><title>console</title></html>\n"


class Edge:
    """nginx with the local template, placeholders filled as scripts/up
    fills them."""

    def __init__(self, folder, intake_port, router_port, workflow_port, console_dir=None,
                 name="edge"):
        """console_dir: the console's built files; None: a stand-in page
        (these tests check the edge, not the console).  name: its folder
        under folder."""
        self.root = os.path.join(folder, name)
        for sub in ("pids", "log", "nginx/tmp/client_body", "nginx/tmp/proxy",
                    "nginx/tmp/fastcgi", "nginx/tmp/uwsgi", "nginx/tmp/scgi", "console"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        if console_dir is None:
            console_dir = os.path.join(self.root, "console")
            with open(os.path.join(console_dir, "index.html"), "w") as f:
                f.write(CONSOLE_STAND_IN)
        self.port = gytest.free_port()
        with open(os.path.join(gytest.SOURCE_DIR, "deploy", "nginx",
                               "gongyi.conf.template")) as f:
            tpl = f.read()
        user = "user nobody nogroup;" if os.getuid() == 0 else ""
        for name, value in (("RUN_DIR", self.root),
                            ("EDGE_LISTEN", "127.0.0.1:%d" % self.port),
                            ("EDGE_SOURCE", EDGE_SOURCE),
                            ("USER_DIRECTIVE", user),
                            ("INTAKE_SERVERS", "        server 127.0.0.1:%d;" % intake_port),
                            ("ROUTER_SERVERS", "        server 127.0.0.1:%d;" % router_port),
                            ("WORKFLOW_SERVERS",
                             "        server 127.0.0.1:%d;" % workflow_port),
                            ("CONSOLE_DIR", console_dir)):
            tpl = tpl.replace("@%s@" % name, value)
        left = [p for p in re.findall(r"@[A-Z_]+@", tpl) if p != "@NAME@"]
        assert not left, "placeholders left: %s" % left
        self.conf = os.path.join(self.root, "nginx", "gongyi.conf")
        with open(self.conf, "w") as f:
            f.write(tpl)
        self.error_log = os.path.join(self.root, "log", "nginx-error.log")

    def _nginx(self, *args):
        return subprocess.run([NGINX, "-e", self.error_log, "-p", self.root + "/nginx/",
                               "-c", self.conf] + list(args),
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=30)

    def start(self):
        r = self._nginx("-t", "-q")
        assert r.returncode == 0, "invalid nginx configuration: %s" % r.stderr.decode()
        r = self._nginx()
        assert r.returncode == 0, "nginx did not start: %s" % r.stderr.decode()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if gytest.http_request(self.port, "GET", "/healthz", timeout=1).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("the edge did not answer /healthz")

    def stop(self):
        self._nginx("-s", "stop")
        pid_file = os.path.join(self.root, "pids", "nginx.pid")
        deadline = time.monotonic() + 10
        while os.path.exists(pid_file) and time.monotonic() < deadline:
            time.sleep(0.05)


def setUpModule():
    gytest.require_build()
    if not os.access(NGINX, os.X_OK):
        raise unittest.SkipTest("nginx not installed (scripts/deps installs nginx-light)")
    folder = gytest.run_dir("test_edge")
    dbname = gytest.create_database("edge")
    S.update(folder=folder, dbname=dbname, db=gytest.Db(dbname))
    # One Redis for this module: the per-address counts must not mix with
    # other modules' submissions from 127.0.0.1.
    redis = gytest.PrivateRedis(folder, "redis").start()
    S["redis"] = redis
    # Behind the edge, configured as scripts/up configures it.
    S["intake"] = gytest.Intake(folder, "intake-edge", dbname, redis_port=redis.port, env={
        "GY_HTTP_READ_TIMEOUT_MS": str(READ_TIMEOUT_S * 1000),
        "GY_TRUSTED_PROXIES": EDGE_SOURCE}).start()
    # Straight at its port, with the default GY_TRUSTED_PROXIES.
    S["direct"] = gytest.Intake(folder, "intake-direct", dbname, redis_port=redis.port, env={
        "GY_RATE_LIMIT_PER_MIN": "3"}).start()
    # No router and no workflow in this module: their routes answer the edge's 503.
    S["edge"] = Edge(folder, S["intake"].http_port, gytest.free_port(),
                     gytest.free_port()).start()


def tearDownModule():
    for key in ("edge", "intake", "direct", "redis"):
        if key in S:
            S[key].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


def send_raw(data, timeout=10.0, port=None):
    """Sends bytes as they are to the edge (or to port) and reads until it
    closes (or a whole response arrived).  Returns the raw bytes."""
    s = socket.create_connection(("127.0.0.1", port or S["edge"].port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            buf += chunk
            if _complete(buf):
                break
        return buf
    finally:
        s.close()


def _complete(buf):
    head, sep, rest = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(rest) >= int(v)
    return False


def parse(buf):
    """(status, headers, body) of one HTTP/1.x response."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    assert sep and head.startswith(b"HTTP/1."), "not an HTTP/1.x response: %r" % buf[:300]
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = body[:int(headers["content-length"])]
    return status, headers, body


def served(metrics):
    """Requests intake answered, but for /metrics itself."""
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("gy_http_requests_total") and "metrics" not in line:
            total += float(line.split()[-1])
    return total


class EdgeTestCase(IntakeTestCase):

    def assertJsonError(self, buf, status, code):
        got_status, headers, body = parse(buf)
        self.assertEqual(got_status, status, buf[:400])
        self.assertEqual(headers.get("content-type"), "application/json; charset=utf-8", buf[:400])
        self.assertNotIn(b"<html", body.lower())
        err = json.loads(body.decode("utf-8"))["error"]
        self.assertEqual(err["code"], code, body)
        self.assertIsInstance(err["message"], str)
        self.assertIn("field", err)
        return err


class MalformedRequestTest(EdgeTestCase):
    """Each request nginx refuses itself, over a raw socket."""

    def check(self, data, status, code):
        self.assertJsonError(send_raw(data), status, code)

    def test_nul_in_path(self):
        self.check(b"GET /api/v1/clues/%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request")

    def test_asterisk_target(self):
        self.check(b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request")

    def test_bad_percent_encoding_and_dot_segments(self):
        self.check(b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request")
        self.check(b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request")

    def test_bad_method(self):
        self.check(b"G@T /api/v1/clues HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request")

    def test_tls_client_hello_on_the_plain_port(self):
        hello = bytes.fromhex("16030100a5010000a10303") + os.urandom(32) + b"\x00" * 130
        self.check(hello, 400, "bad_request")

    def test_unknown_transfer_encoding(self):
        self.check(b"POST /api/v1/clues HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                   b"Content-Type: application/json\r\n\r\n", 501, "not_implemented")

    def test_unsupported_http_version(self):
        self.check(b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505,
                   "http_version_not_supported")

    def test_http09_gets_the_json_error_alone(self):
        # HTTP/0.9 has no status line and no headers: the body is all a
        # client of it can get, and the request never reaches intake.
        before = S["intake"].metrics()
        for target in (b"/api/v1/clues/ABCD1234", b"/healthz"):
            buf = send_raw(b"GET " + target + b"\r\n")
            self.assertFalse(buf.startswith(b"HTTP/"), buf)
            err = json.loads(buf.decode("utf-8"))["error"]
            self.assertEqual(err["code"], "http_version_not_supported")
        self.assertEqual(served(S["intake"].metrics()), served(before))

    def test_missing_host_and_bad_lengths(self):
        self.check(b"GET /api/v1/clues/x HTTP/1.1\r\n\r\n", 400, "bad_request")
        self.check(b"POST /api/v1/clues HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                   400, "bad_request")
        self.check(b"POST /api/v1/clues HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   b"Content-Length: 3\r\n\r\n0\r\n\r\n", 400, "bad_request")

    def test_too_large_body_and_headers(self):
        self.check(b"POST /api/v1/clues HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                   b"Content-Type: application/json\r\nConnection: close\r\n\r\n", 413,
                   "body_too_large")
        self.check(b"GET /api/v1/clues/x HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 +
                   b"\r\n\r\n", 431, "headers_too_large")
        self.check(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 431,
                   "headers_too_large")

    def test_unknown_route_method_and_internal_paths(self):
        self.check(b"GET /api/nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found")
        self.check(b"GET /api/v1/nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found")
        self.check(b"GET /_edge/bad_request HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found")
        self.check(b"TRACE /api/v1/clues HTTP/1.1\r\nHost: x\r\n\r\n", 405,
                   "method_not_allowed")

    def test_upstream_down(self):
        # No router runs: nothing listens on its port.
        self.check(b"GET /router/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 503, "unavailable")
        # Nor does the workflow: its routes go to it all the same.
        self.check(b"GET /workflow/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 503, "unavailable")
        self.check(b"GET /api/v1/workflow/reviews HTTP/1.1\r\nHost: x\r\n\r\n", 503,
                   "unavailable")

    def test_intake_answers_pass_through(self):
        r = gytest.post_clue(S["edge"].port, valid_clue())
        self.assertCreated(r)
        r = gytest.http_request(S["edge"].port, "GET", "/api/v1/clues/GY-00000-00000-00000-00000")
        self.assertError(r, 404, "not_found")


class RoutesTest(EdgeTestCase):
    """Every path docs/api.md documents goes to a service: intake answers
    its own, and the router's and the workflow's reach their upstreams
    (none runs here: the edge's 503), never the edge's 404 for an API path
    no location names."""

    def documented_paths(self):
        with open(os.path.join(gytest.SOURCE_DIR, "docs", "api.md"), encoding="utf-8") as f:
            text = f.read()
        paths = set(re.findall(r"`(?:GET|POST|PUT|DELETE) (/api/v1/[^`\s?]+)", text))
        self.assertGreater(len(paths), 40)
        return sorted(re.sub(r"\{[a-z_]+\}", "x", p) for p in paths)

    def test_every_documented_path_reaches_a_service(self):
        for path in self.documented_paths():
            with self.subTest(path=path):
                r = gytest.http_request(S["edge"].port, "GET", path)
                body = r.json()
                self.assertNotEqual(body.get("error", {}).get("message"), "no such route", path)
        for path in ("/api/v1/tasks", "/api/v1/tasks/x/decline", "/api/v1/auth/session",
                     "/api/v1/calendar", "/api/v1/calendar/years/2027",
                     "/api/v1/tokens", "/api/v1/tokens/x"):
            r = gytest.http_request(S["edge"].port, "GET", path)
            self.assertError(r, 503, "unavailable")
        # A volunteer's own clues: GET of the collection (with its query)
        # reaches intake, whose guard answers, as POST does.
        r = gytest.http_request(S["edge"].port, "GET", "/api/v1/clues?limit=5")
        self.assertError(r, 401, "unauthenticated", "Authorization")


class ConsoleTest(EdgeTestCase):
    """Every path outside the API is the console's: its file, or its
    index.html for the console's own pages."""

    def test_pages_are_the_console_and_the_api_stays_json(self):
        for path in ("/", "/follow", "/receipt/GY-00000-00000-00000-00000", "/nowhere"):
            r = gytest.http_request(S["edge"].port, "GET", path)
            self.assertEqual((r.status, r.body.decode()), (200, CONSOLE_STAND_IN), path)
            self.assertIn("text/html", r.headers["content-type"], path)
        r = gytest.http_request(S["edge"].port, "GET", "/assets/missing.js")
        self.assertEqual(r.status, 404)


class ReferenceTest(EdgeTestCase):
    """The forms' reference data through the edge: the files' rows, and a
    browser's copy revalidated by its ETag."""

    def reference(self, name):
        """The file's rows by code, as the API lists them."""
        with open(os.path.join(gytest.SOURCE_DIR, "reference", name), encoding="utf-8") as f:
            return sorted(csv.DictReader(f), key=lambda row: row["code"])

    def test_fields_and_regions_as_the_files_say(self):
        r = gytest.http_request(S["edge"].port, "GET", "/api/v1/reference/fields")
        self.assertEqual(r.status, 200, r)
        self.assertIn("max-age=300", r.headers["cache-control"])
        kinds = {"both": ["administrative", "civil"], "administrative": ["administrative"],
                 "civil": ["civil"]}
        self.assertEqual(r.json()["fields"],
                         [{"code": f["code"], "name_zh": f["name_zh"], "name_en": f["name_en"],
                           "case_kinds": kinds[f["case_kinds"]], "min_level": f["min_level"],
                           "description_zh": f["description_zh"]}
                          for f in self.reference("fields.csv")])
        etag = r.headers["etag"]
        again = gytest.http_request(S["edge"].port, "GET", "/api/v1/reference/fields",
                                    headers={"If-None-Match": etag})
        self.assertEqual((again.status, again.body, again.headers["etag"]), (304, b"", etag))
        stale = gytest.http_request(S["edge"].port, "GET", "/api/v1/reference/fields",
                                    headers={"If-None-Match": '"0123"'})
        self.assertEqual(stale.status, 200)

        r = gytest.http_request(S["edge"].port, "GET", "/api/v1/reference/regions")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["regions"],
                         [{"code": g["code"], "parent": g["parent_code"] or None,
                           "level": g["level"], "name_zh": g["name_zh"],
                           "procuratorate_zh": g["procuratorate_zh"]}
                          for g in self.reference("regions.csv")])
        self.assertNotEqual(r.headers["etag"], etag)
        r = gytest.http_request(S["edge"].port, "GET", "/api/v1/reference/nothing")
        self.assertError(r, 404, "not_found")


class SlowClientTest(EdgeTestCase):
    """A body at one byte a second ends with the instance's read timeout,
    counted from the request's first byte; the edge's own gap timeout
    (10 s) never fires because every gap is short."""

    def test_slow_body_is_cut_by_the_whole_request_bound(self):
        clue = json.dumps(valid_clue(), ensure_ascii=False).encode("utf-8")
        s = socket.create_connection(("127.0.0.1", S["edge"].port), timeout=2)
        t0 = time.monotonic()
        answer = b""
        try:
            s.sendall(b"POST /api/v1/clues HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(clue))
            s.settimeout(0.5)
            for byte in clue:
                try:
                    s.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    break
                try:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
                    if _complete(answer):
                        break
                except socket.timeout:
                    pass
                self.assertLess(time.monotonic() - t0, READ_TIMEOUT_S + 10,
                                "the edge still takes the slow body")
        finally:
            s.close()
        elapsed = time.monotonic() - t0
        self.assertJsonError(answer, 408, "request_timeout")
        self.assertGreaterEqual(elapsed, READ_TIMEOUT_S - 0.5)
        self.assertLess(elapsed, READ_TIMEOUT_S + 5)

    def test_slow_headers_end_at_the_header_timeout(self):
        # nginx counts client_header_timeout (10 s) from the first read, not
        # between reads: a header sent a byte every half second is cut at
        # 10 s.  nginx closes without an answer then (it has no request to
        # answer yet).
        s = socket.create_connection(("127.0.0.1", S["edge"].port), timeout=2)
        s.settimeout(0.5)
        t0 = time.monotonic()
        header = b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 200
        answer, closed = b"", False
        try:
            for byte in header:
                try:
                    s.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                try:
                    chunk = s.recv(65536)
                    if not chunk:
                        closed = True
                        break
                    answer += chunk
                except socket.timeout:
                    pass
                except ConnectionResetError:
                    closed = True
                    break
                if time.monotonic() - t0 > 20:
                    break
        finally:
            s.close()
        elapsed = time.monotonic() - t0
        self.assertTrue(closed, "the edge still reads the slow header after %.0f s" % elapsed)
        self.assertEqual(answer, b"")
        self.assertGreater(elapsed, 9)
        self.assertLess(elapsed, 13)

    def test_connections_per_address(self):
        clue_len = 500
        held = []
        try:
            # CONN_PER_ADDR requests whose bodies never finish: each holds its
            # slot until the instance's read timeout ends it.
            for _ in range(CONN_PER_ADDR):
                s = socket.create_connection(("127.0.0.1", S["edge"].port), timeout=10)
                s.sendall(b"POST /api/v1/clues HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n{"
                          % clue_len)
                held.append(s)
            time.sleep(0.5)
            self.assertJsonError(send_raw(b"GET /api/v1/clues/GY-00000-00000-00000-00000 HTTP/1.1\r\nHost: x\r\n\r\n"),
                                 429, "too_many_connections")
            # The held ones end with the read timeout; then there is room again.
            for s in held:
                buf = b""
                while not _complete(buf):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                self.assertJsonError(buf, 408, "request_timeout")
        finally:
            for s in held:
                s.close()
        r = gytest.http_request(S["edge"].port, "GET", "/api/v1/clues/GY-00000-00000-00000-00000")
        self.assertError(r, 404, "not_found")


class SessionTest(EdgeTestCase):
    """The console's session through the edge, with a real router behind
    it: the router's Set-Cookie reaches the browser as it was sent, the
    Cookie and X-Gongyi-Console headers reach the router, no CORS preflight
    is granted, and the volunteers' /api/v1/tasks and the administrators'
    /api/v1/tokens are the router's."""

    @classmethod
    def setUpClass(cls):
        gytest.require_router_build()
        folder = S["folder"]
        secret, public = gytest.token_keys(folder)
        cls.secret = secret
        cls.router = gytest.Router(folder, "router-edge", S["dbname"], [S["intake"]],
                                   env=gytest.router_api_env(folder, secret, public,
                                                             GY_DEADLINE_SCAN_MS="0",
                                                             GY_TRUSTED_PROXIES=EDGE_SOURCE))
        cls.addClassCleanup(cls.router.stop)
        cls.router.start()
        cls.edge = Edge(folder, S["intake"].http_port, cls.router.http_port, gytest.free_port(),
                        name="edge-session")
        cls.addClassCleanup(cls.edge.stop)
        cls.edge.start()

    def raw(self, port, request):
        """The head's lines of one answer, as sent, and the body."""
        head, _, body = send_raw(request, port=port).partition(b"\r\n\r\n")
        return head.decode("latin-1").split("\r\n"), body

    def set_cookies(self, lines):
        return [line for line in lines if line.lower().startswith("set-cookie:")]

    def test_the_cookie_passes_unchanged(self):
        issued = gytest.issue_token(self.secret, "p-edge", role="prosecutor", proc="140213")
        body = json.dumps({"token": issued}).encode()
        request = (b"POST /api/v1/auth/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                   b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                   + body)
        direct, _ = self.raw(self.router.http_port, request)
        lines, answer = self.raw(self.edge.port, request)
        self.assertTrue(lines[0].startswith("HTTP/1.1 200"), lines)
        self.assertEqual(json.loads(answer)["subject"], "p-edge")
        cookies = self.set_cookies(lines)
        self.assertEqual(len(cookies), 1, lines)
        self.assertTrue(cookies[0].startswith("Set-Cookie: gy_session=%s; Path=/api/; HttpOnly; "
                                              "SameSite=Strict; Max-Age=" % issued), cookies)
        # What the router sent, but for the second of Max-Age that may pass
        # between the two.
        def ageless(lines):
            return [re.sub(r"Max-Age=\d+", "", line) for line in lines]
        self.assertEqual(ageless(cookies), ageless(self.set_cookies(direct)))

        cookie = {"Cookie": "gy_session=" + issued}
        r = gytest.http_request(self.edge.port, "GET", "/api/v1/auth/session", headers=cookie)
        self.assertEqual((r.status, r.json()["role"]), (200, "prosecutor"), r)
        r = gytest.http_request(self.edge.port, "DELETE", "/api/v1/auth/session", headers=cookie)
        self.assertError(r, 403, "csrf_header_missing", "X-Gongyi-Console")
        r = gytest.http_request(self.edge.port, "DELETE", "/api/v1/auth/session",
                                headers=dict(cookie, **{"X-Gongyi-Console": "1"}))
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.headers["set-cookie"],
                         "gy_session=; Path=/api/; HttpOnly; SameSite=Strict; Max-Age=0")

    def test_no_cross_origin_preflight_is_granted(self):
        r = gytest.http_request(self.edge.port, "OPTIONS", "/api/v1/auth/session", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-gongyi-console"})
        self.assertEqual(r.status, 204, r)
        self.assertFalse([h for h in r.headers if h.startswith("access-control-")], r.headers)

    def test_tasks_reach_the_router(self):
        volunteer = gytest.issue_token(self.secret, "0b6b3c1e-8f55-4f27-9d43-3c8e2d0f6a11",
                                       role="volunteer", proc="140213")
        bearer = {"Authorization": "Bearer " + volunteer}
        r = gytest.http_request(self.edge.port, "GET", "/api/v1/tasks", headers=bearer)
        self.assertEqual((r.status, r.json()), (200, {"items": [], "next": None}), r)
        r = gytest.http_request(self.edge.port, "POST",
                                "/api/v1/tasks/0b6b3c1e-8f55-4f27-9d43-3c8e2d0f6a12/decline",
                                {"reason": "亲属在该企业工作"},
                                headers=dict(bearer, **{"Content-Type": "application/json"}))
        self.assertError(r, 404, "not_found")
        self.assertNotEqual(r.json()["error"]["message"], "no such route")


    def test_tokens_reach_the_router(self):
        admin = gytest.issue_token(self.secret, "edge.admin", role="admin", proc="140200")
        bearer = {"Authorization": "Bearer " + admin}
        r = gytest.http_request(self.edge.port, "GET", "/api/v1/tokens", headers=bearer)
        self.assertEqual((r.status, r.json()), (200, {"items": [], "next": None}), r)
        r = gytest.http_request(self.edge.port, "POST", "/api/v1/tokens",
                                {"sub": "edge.p", "role": "volunteer", "proc": "140213",
                                 "purpose": "边缘测试"},
                                headers=dict(bearer, **{"Content-Type": "application/json"}))
        self.assertError(r, 400, "invalid_value", "role")


class TrustedProxyTest(EdgeTestCase):
    """GY_TRUSTED_PROXIES trusts nobody by default: an X-Forwarded-For sent
    straight to an instance's port is ignored, and the limit counts the
    peer."""

    def test_spoofed_forwarded_for_is_limited_as_the_peer(self):
        direct = S["direct"]
        into = gytest.now_ms() / 1000.0 % 60
        if into > 50:  # the limit counts calendar minutes (of the service's clock)
            time.sleep(60 - into + 0.2)
        for i in range(3):
            self.assertCreated(direct.post_clue(valid_clue(), headers={
                "X-Forwarded-For": "198.51.100.%d" % (i + 1)}))
        with self.assertNothingStored(S["db"]):
            self.assertError(direct.post_clue(valid_clue(), headers={
                "X-Forwarded-For": "198.51.100.99"}), 429, "rate_limited")


if __name__ == "__main__":
    unittest.main()
