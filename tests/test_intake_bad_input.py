"""Every way a client can get a submission wrong over HTTP (docs/api.md,
"Error codes"): each one gets the documented status, code and field in the
JSON error shape, and nothing is written."""

import copy
import datetime
import json
import socket
import time
import unittest

import gytest
from gytest import IntakeTestCase, valid_clue

S = {}

READ_TIMEOUT_MS = 1000


def setUpModule():
    gytest.require_build()
    folder = gytest.run_dir("test_intake_bad_input")
    dbname = gytest.create_database("bad_input")
    intake = gytest.Intake(folder, "intake-bad", dbname,
                           env={"GY_HTTP_READ_TIMEOUT_MS": str(READ_TIMEOUT_MS)})
    S.update(dbname=dbname, intake=intake, db=gytest.Db(dbname))
    intake.start()


def tearDownModule():
    if "intake" in S:
        S["intake"].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


# -- building bodies --------------------------------------------------------

def _walk(obj, path):
    """Splits "attachments[1].size" into the parent container and the key."""
    parts = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        parts.append(name)
        while rest:
            idx, _, rest = rest.partition("]")
            parts.append(int(idx))
            rest = rest.lstrip("[")
    for p in parts[:-1]:
        obj = obj[p]
    return obj, parts[-1]


def with_(path, value, base=None):
    clue = copy.deepcopy(base or valid_clue())
    parent, key = _walk(clue, path)
    parent[key] = value
    return clue


def without(path, base=None):
    clue = copy.deepcopy(base or valid_clue())
    parent, key = _walk(clue, path)
    del parent[key]
    return clue


def two_attachments():
    clue = valid_clue()
    clue["attachments"].append({"name": "录像.mp4", "media_type": "video/mp4", "size": 1048576,
                                "sha256": "0" * 64})
    return clue


def encode(clue):
    return json.dumps(clue, ensure_ascii=False).encode("utf-8")


def with_raw(path, raw):
    """The clue as JSON text with the string at path replaced by raw bytes
    (inside the quotes), for what json.dumps cannot produce."""
    text = encode(with_(path, "@@RAW@@"))
    assert text.count(b"@@RAW@@") == 1
    return text.replace(b"@@RAW@@", raw)


def future(days):
    t = datetime.datetime.fromtimestamp(gytest.now_ms() / 1000.0,
                                       datetime.timezone(datetime.timedelta(hours=8))) + \
        datetime.timedelta(days=days)
    return t.replace(microsecond=0).isoformat()


SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

# (name, body (dict or bytes), status, code, field or set of fields)
# A set of codes is given only where docs/api.md leaves the choice open.
BODY_CASES = [
    # malformed_json: not JSON, or not an object
    ("not json", b"not json", 400, "malformed_json", None),
    ("truncated", b'{"title": "x"', 400, "malformed_json", None),
    ("trailing comma", b'{"title": "x",}', 400, "malformed_json", None),
    ("trailing garbage", encode(valid_clue()) + b" x", 400, "malformed_json", None),
    ("two objects", encode(valid_clue()) + encode(valid_clue()), 400, "malformed_json", None),
    ("array", b"[]", 400, "malformed_json", None),
    ("array of clue", b"[" + encode(valid_clue()) + b"]", 400, "malformed_json", None),
    ("string", '"平城区污水"'.encode(), 400, "malformed_json", None),
    ("number", b"42", 400, "malformed_json", None),
    ("null", b"null", 400, "malformed_json", None),
    ("true", b"true", 400, "malformed_json", None),

    # invalid_type
    ("title number", with_("title", 42), 400, "invalid_type", "title"),
    ("title object", with_("title", {"zh": "标题"}), 400, "invalid_type", "title"),
    ("description array", with_("description", ["a"]), 400, "invalid_type", "description"),
    ("field_code number", with_("field_code", 1), 400, "invalid_type", "field_code"),
    ("region_code number", with_("region_code", 140213), 400, "invalid_type", "region_code"),
    ("location string", with_("location", "大同市"), 400, "invalid_type", "location"),
    ("location array", with_("location", [40.0, 113.3]), 400, "invalid_type", "location"),
    ("lat string", with_("location.lat", "40.07"), 400, "invalid_type", "location.lat"),
    ("lon boolean", with_("location.lon", True), 400, "invalid_type", "location.lon"),
    ("address number", with_("location.address", 88), 400, "invalid_type", "location.address"),
    ("occurred_at number", with_("occurred_at", 1730471400), 400, "invalid_type", "occurred_at"),
    ("attachments object", with_("attachments", {"name": "a"}), 400, "invalid_type",
     "attachments"),
    ("attachment string", with_("attachments[0]", "照片.jpg"), 400, "invalid_type",
     "attachments[0]"),
    ("attachment name number", with_("attachments[1].name", 7, two_attachments()), 400,
     "invalid_type", "attachments[1].name"),
    ("attachment media_type number", with_("attachments[0].media_type", 1), 400, "invalid_type",
     "attachments[0].media_type"),
    ("attachment size string", with_("attachments[1].size", "1024", two_attachments()), 400,
     "invalid_type", "attachments[1].size"),
    ("attachment sha256 number", with_("attachments[0].sha256", 12), 400, "invalid_type",
     "attachments[0].sha256"),
    ("source_channel array", with_("source_channel", ["web"]), 400, "invalid_type",
     "source_channel"),
    ("reporter string", with_("reporter", "张三"), 400, "invalid_type", "reporter"),
    ("reporter name number", with_("reporter", {"name": 5}), 400, "invalid_type",
     "reporter.name"),
    ("reporter phone number", with_("reporter", {"phone": 13800000000}), 400, "invalid_type",
     "reporter.phone"),

    # missing_field
    ("no title", without("title"), 400, "missing_field", "title"),
    ("no description", without("description"), 400, "missing_field", "description"),
    ("no field_code", without("field_code"), 400, "missing_field", "field_code"),
    ("no region_code", without("region_code"), 400, "missing_field", "region_code"),
    ("no location", without("location"), 400, "missing_field", "location"),
    ("empty location", with_("location", {}), 400, "missing_field",
     {"location", "location.address"}),
    ("lat without lon", with_("location", {"lat": 40.07, "address": "平城区"}), 400,
     "missing_field", "location.lon"),
    ("lon without lat", with_("location", {"lon": 113.3}), 400, "missing_field",
     "location.lat"),
    ("attachment without sha256", without("attachments[0].sha256"), 400, "missing_field",
     "attachments[0].sha256"),
    ("attachment without size", without("attachments[1].size", two_attachments()), 400,
     "missing_field", "attachments[1].size"),
    ("attachment without name", without("attachments[0].name"), 400, "missing_field",
     "attachments[0].name"),
    ("attachment without media_type", without("attachments[0].media_type"), 400,
     "missing_field", "attachments[0].media_type"),

    # unknown_property
    ("unknown top member", with_("titel", "typo"), 400, "unknown_property", "titel"),
    ("client sets id", with_("id", "00000000-0000-0000-0000-000000000000"), 400,
     "unknown_property", "id"),
    ("client sets status", with_("status", "closed"), 400, "unknown_property", "status"),
    ("unknown location member", with_("location.street", "御河东路"), 400, "unknown_property",
     "location.street"),
    ("unknown attachment member", with_("attachments[0].url", "http://x"), 400,
     "unknown_property", "attachments[0].url"),
    ("unknown reporter member", with_("reporter", {"name": "李四", "wechat": "lisi"}), 400,
     "unknown_property", "reporter.wechat"),

    # invalid_utf8: raw bytes that are not UTF-8
    ("latin-1 byte in title", with_raw("title", b"\xe5\x9c\x9f\xff"), 400, "invalid_utf8",
     {None, "title"}),
    ("overlong encoding in description", with_raw("description", b"a\xc0\xafb"), 400,
     "invalid_utf8", {None, "description"}),
    ("encoded surrogate in address", with_raw("location.address", b"\xed\xa0\x80"), 400,
     "invalid_utf8", {None, "location.address"}),
    ("truncated sequence in title", with_raw("title", b"\xe6\xb1"), 400, "invalid_utf8",
     {None, "title"}),
    ("invalid byte in a member name", encode(valid_clue())[:-1] + b',"\xff":1}', 400,
     "invalid_utf8", {None}),

    # control characters (tab and newline only in description)
    ("control char in title", with_("title", "排污\u0001"), 400, "invalid_value", "title"),
    ("newline in title", with_("title", "排污\n线索"), 400, "invalid_value", "title"),
    ("tab in title", with_("title", "排污\t线索"), 400, "invalid_value", "title"),
    ("bell in description", with_("description", "描述\u0007"), 400, "invalid_value",
     "description"),
    ("escape in address", with_("location.address", "\u001b[31m平城区"), 400, "invalid_value",
     "location.address"),
    ("DEL in title", with_("title", "排污\u007f"), 400, "invalid_value", "title"),
    ("control char in reporter name", with_("reporter", {"name": "张\u0002三"}), 400,
     "invalid_value", "reporter.name"),
    ("control char in attachment name", with_("attachments[0].name", "a\u0003.jpg"), 400,
     "invalid_value", "attachments[0].name"),

    # invalid_value: lengths
    ("empty title", with_("title", ""), 400, "invalid_value", "title"),
    ("title 201 chars", with_("title", "a" * 201), 400, "invalid_value", "title"),
    ("title 201 Chinese chars", with_("title", "污" * 201), 400, "invalid_value", "title"),
    ("empty description", with_("description", ""), 400, "invalid_value", "description"),
    ("description 10001 chars", with_("description", "d" * 10001), 400, "invalid_value",
     "description"),
    ("empty address", with_("location", {"address": ""}), 400, "invalid_value",
     "location.address"),
    ("address 501 chars", with_("location.address", "址" * 501), 400, "invalid_value",
     "location.address"),
    ("attachment name empty", with_("attachments[0].name", ""), 400, "invalid_value",
     "attachments[0].name"),
    ("attachment name 256 chars", with_("attachments[0].name", "n" * 252 + ".jpg"), 400,
     "invalid_value", "attachments[0].name"),
    ("reporter name 101 chars", with_("reporter", {"name": "张" * 101}), 400, "invalid_value",
     "reporter.name"),
    ("reporter phone 33 chars", with_("reporter", {"phone": "1" * 33}), 400, "invalid_value",
     "reporter.phone"),
    ("reporter email 255 chars", with_("reporter", {"email": "a" * 243 + "@example.com"}), 400,
     "invalid_value", "reporter.email"),
    ("reporter id_number 33 chars", with_("reporter", {"id_number": "1" * 33}), 400,
     "invalid_value", "reporter.id_number"),
    ("empty reporter", with_("reporter", {}), 400, "invalid_value", "reporter"),

    # invalid_value: ranges
    ("lat over 90", with_("location.lat", 90.0001), 400, "invalid_value", "location.lat"),
    ("lat under -90", with_("location.lat", -91), 400, "invalid_value", "location.lat"),
    ("lon over 180", with_("location.lon", 180.5), 400, "invalid_value", "location.lon"),
    ("lon under -180", with_("location.lon", -181), 400, "invalid_value", "location.lon"),

    # reference data
    ("unknown field code", with_("field_code", "ecology2"), 422, "unknown_field_code",
     "field_code"),
    ("field code in other case", with_("field_code", "ECOLOGY"), 422, "unknown_field_code",
     "field_code"),
    ("field code in Chinese", with_("field_code", "生态环境"), 422, "unknown_field_code",
     "field_code"),
    ("region 999999", with_("region_code", "999999"), 422, "unknown_region_code", "region_code"),
    ("region 14021 (five digits)", with_("region_code", "14021"), 422, "unknown_region_code",
     "region_code"),
    ("region abcdef", with_("region_code", "abcdef"), 422, "unknown_region_code", "region_code"),
    ("region seven digits", with_("region_code", "1402130"), 422, "unknown_region_code",
     "region_code"),

    # occurred_at
    ("occurred_at words", with_("occurred_at", "yesterday"), 400, "invalid_value",
     "occurred_at"),
    ("occurred_at date only", with_("occurred_at", "2024-11-01"), 400, "invalid_value",
     "occurred_at"),
    ("occurred_at without offset", with_("occurred_at", "2024-11-01T22:30:00"), 400,
     "invalid_value", "occurred_at"),
    ("occurred_at month 13", with_("occurred_at", "2024-13-01T08:00:00+08:00"), 400,
     "invalid_value", "occurred_at"),
    ("occurred_at February 30", with_("occurred_at", "2024-02-30T08:00:00+08:00"), 400,
     "invalid_value", "occurred_at"),
    ("occurred_at hour 25", with_("occurred_at", "2024-11-01T25:00:00+08:00"), 400,
     "invalid_value", "occurred_at"),
    ("occurred_at far future", with_("occurred_at", "2999-01-01T00:00:00+08:00"), 400,
     "invalid_value", "occurred_at"),
    ("occurred_at tomorrow", with_("occurred_at", future(1)), 400, "invalid_value",
     "occurred_at"),

    # attachments
    ("sha256 not hex", with_("attachments[0].sha256", "xyz"), 400, "invalid_value",
     "attachments[0].sha256"),
    ("sha256 63 digits", with_("attachments[1].sha256", SHA[:63], two_attachments()), 400,
     "invalid_value", "attachments[1].sha256"),
    ("sha256 65 digits", with_("attachments[0].sha256", SHA + "0"), 400, "invalid_value",
     "attachments[0].sha256"),
    ("sha256 with g", with_("attachments[0].sha256", "g" + SHA[1:]), 400, "invalid_value",
     "attachments[0].sha256"),
    ("size negative", with_("attachments[0].size", -1), 400, "invalid_value",
     "attachments[0].size"),
    ("size fraction", with_("attachments[0].size", 1.5), 400, {"invalid_value", "invalid_type"},
     "attachments[0].size"),
    ("media_type without slash", with_("attachments[0].media_type", "jpeg"), 400,
     "invalid_value", "attachments[0].media_type"),
    ("media_type without subtype", with_("attachments[1].media_type", "image/",
                                         two_attachments()), 400, "invalid_value",
     "attachments[1].media_type"),
    ("media_type empty", with_("attachments[0].media_type", ""), 400, "invalid_value",
     "attachments[0].media_type"),
    ("21 attachments", with_("attachments", [valid_clue()["attachments"][0]] * 21), 400,
     "invalid_value", "attachments"),

    # source_channel
    ("source_channel fax", with_("source_channel", "fax"), 400, "invalid_value",
     "source_channel"),
    ("source_channel upper case", with_("source_channel", "WEB"), 400, "invalid_value",
     "source_channel"),
    ("source_channel empty", with_("source_channel", ""), 400, "invalid_value",
     "source_channel"),
]

# Cases where docs/api.md allows more than one reading: any of these codes.
LOOSE_CASES = [
    # RFC 8259 parses a lone surrogate escape but it is no character.
    ("escaped lone surrogate", with_raw("title", b"\\ud800"), 400,
     {"invalid_utf8", "malformed_json", "invalid_value"}, {None, "title"}),
    ("escaped NUL", with_raw("title", b"a\\u0000b"), 400, {"invalid_value", "malformed_json"},
     {None, "title"}),
]


class BodyTest(IntakeTestCase):

    def setUp(self):
        self.intake = S["intake"]
        self.db = S["db"]

    def _check(self, cases):
        for name, body, status, code, field in cases:
            with self.subTest(name), self.assertNothingStored(self.db):
                if isinstance(body, dict):
                    body = encode(body)
                r = gytest.http_request(self.intake.http_port, "POST", "/api/v1/clues", body,
                                        {"Content-Type": "application/json"})
                self.assertError(r, status, code,
                                 fields=field if isinstance(field, set) else {field})

    def test_every_bad_body_is_refused_with_its_code(self):
        self._check(BODY_CASES)

    def test_ambiguous_bodies_are_refused(self):
        self._check(LOOSE_CASES)

    def test_what_the_rules_allow(self):
        """The edges of the rules, from the allowed side: these are stored."""
        ok = [
            ("tab and newline in description", with_("description", "第一行\n\t第二行")),
            ("20 attachments", with_("attachments", [valid_clue()["attachments"][0]] * 20)),
            ("upper-case sha256", with_("attachments[0].sha256", SHA.upper())),
            ("size zero", with_("attachments[0].size", 0)),
            ("lat/lon at the limits", with_("location", {"lat": -90, "lon": 180})),
            ("occurred_at in UTC", with_("occurred_at", "2024-11-01T14:30:00Z")),
            ("no optional members", {k: v for k, v in valid_clue().items()
                                     if k in ("title", "description", "field_code",
                                              "region_code", "location")}),
            ("every channel", None),
            ("reporter with one member", with_("reporter", {"phone": "13800000000"})),
            ("a new field", with_("field_code", "barrier_free")),
            ("a city region", with_("region_code", "140200")),
        ]
        for name, body in ok:
            with self.subTest(name):
                if body is None:
                    for channel in ("web", "app", "wechat", "hotline_12345", "agency",
                                    "data_model", "letter", "visit", "other"):
                        self.assertCreated(self.intake.post_clue(
                            with_("source_channel", channel)))
                else:
                    self.assertCreated(self.intake.post_clue(body))


class HttpLevelTest(IntakeTestCase):

    def setUp(self):
        self.intake = S["intake"]
        self.db = S["db"]
        self.port = self.intake.http_port

    def raw(self, data, **kw):
        return gytest.raw_http(self.port, data, **kw)

    def post_raw(self, body, extra=b"", content_type=b"application/json"):
        head = b"POST /api/v1/clues HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if content_type is not None:
            head += b"Content-Type: " + content_type + b"\r\n"
        return self.raw(head + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def test_body_limit(self):
        clue = encode(valid_clue())
        at_limit = clue + b" " * (65536 - len(clue))
        over = clue + b" " * (65537 - len(clue))
        self.assertCreated(self.post_raw(at_limit))
        with self.assertNothingStored(self.db):
            self.assertError(self.post_raw(over), 413, "body_too_large")

    def test_body_limit_is_checked_before_reading(self):
        with self.assertNothingStored(self.db):
            t0 = time.monotonic()
            r = self.raw(b"POST /api/v1/clues HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{",
                         timeout=5)
            self.assertError(r, 413, "body_too_large")
            self.assertLess(time.monotonic() - t0, READ_TIMEOUT_MS / 1000.0,
                            "the limit should answer at once, not after the read timeout")

    def test_chunked_body_over_limit(self):
        chunk = b" " * 8192
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(9)) + b"0\r\n\r\n"
        with self.assertNothingStored(self.db):
            r = self.raw(b"POST /api/v1/clues HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                         + body)
            self.assertError(r, 413, "body_too_large")

    def test_header_limit(self):
        with self.assertNothingStored(self.db):
            r = self.post_raw(encode(valid_clue()), extra=b"X-Padding: " + b"p" * 9000 + b"\r\n")
            self.assertError(r, 431, "headers_too_large")
        with self.assertNothingStored(self.db):
            many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 90) for i in range(100))
            self.assertError(self.post_raw(encode(valid_clue()), extra=many), 431,
                             "headers_too_large")

    def test_content_type(self):
        for ctype in (b"text/plain", b"application/x-www-form-urlencoded",
                      b"application/json-patch+json", b"multipart/form-data; boundary=x", None):
            with self.subTest(content_type=ctype), self.assertNothingStored(self.db):
                self.assertError(self.post_raw(encode(valid_clue()), content_type=ctype), 415,
                                 "unsupported_media_type", fields={None, "Content-Type"})

    def test_wrong_method(self):
        # GET /api/v1/clues is a volunteer's list (test_intake_mine.py).
        for method, path, allow in (
                ("PUT", "/api/v1/clues", "POST, GET"),
                ("DELETE", "/api/v1/clues", "POST, GET"),
                ("PATCH", "/api/v1/clues", "POST, GET"),
                ("DELETE", "/api/v1/clues/GY-00000-00000-00000-00000", "GET"),
                ("POST", "/healthz", None), ("POST", "/metrics", None)):
            with self.subTest(method=method, path=path), self.assertNothingStored(self.db):
                r = gytest.http_request(self.port, method, path, encode(valid_clue()),
                                        {"Content-Type": "application/json"})
                self.assertError(r, 405, "method_not_allowed")
                if allow:
                    self.assertEqual(r.headers.get("allow"), allow)

    def test_unknown_route(self):
        for method, path in (("GET", "/"), ("GET", "/api/v2/clues"), ("POST", "/api/v1/clue"),
                             ("GET", "/api/v1/../../etc/passwd")):
            with self.subTest(method=method, path=path), self.assertNothingStored(self.db):
                r = gytest.http_request(self.port, method, path, encode(valid_clue()),
                                        {"Content-Type": "application/json"})
                self.assertError(r, 404, "not_found")

    def test_post_without_length(self):
        with self.assertNothingStored(self.db):
            r = self.raw(b"POST /api/v1/clues HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\n\r\n", timeout=5)
            self.assertError(r, 411, "length_required")

    def test_post_with_empty_body(self):
        with self.assertNothingStored(self.db):
            r = self.post_raw(b"")
            err = self.assertError(r, {411, 400}, {"length_required", "malformed_json"})
            self.assertIn((r.status, err["code"]), {(411, "length_required"),
                                                    (400, "malformed_json")}, r)

    def test_unparseable_request(self):
        for data in (b"HELLO\r\n\r\n",
                     b"GET / HTTP/1.1\r\nHost x\r\n\r\n",
                     b"POST /api/v1/clues HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                     b"POST /api/v1/clues HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 5\r\nContent-Length: 7\r\n\r\n{}"):
            with self.subTest(data=data), self.assertNothingStored(self.db):
                self.assertError(self.raw(data, timeout=5), 400, "bad_request")

    def test_idempotency_key_rules(self):
        body = encode(valid_clue())
        bad = [b"k" * 129, b"", "钥匙".encode("utf-8"), b"\xff\xfe"]
        for key in bad:
            with self.subTest(key=key), self.assertNothingStored(self.db):
                r = self.post_raw(body, extra=b"Idempotency-Key: " + key + b"\r\n")
                self.assertError(r, 400, "invalid_idempotency_key",
                                 fields={None, "Idempotency-Key"})
        # Control characters are not allowed in any HTTP header value
        # (RFC 9110), so the HTTP layer may refuse the request first.
        for key in (b"key\x01", b"key\x7f"):
            with self.subTest(key=key), self.assertNothingStored(self.db):
                r = self.post_raw(body, extra=b"Idempotency-Key: " + key + b"\r\n")
                self.assertError(r, 400, {"invalid_idempotency_key", "bad_request"},
                                 fields={None, "Idempotency-Key"})
        # The edges from the allowed side.
        for key in (b"k" * 128, b"~", b"a b", b"!#$%&'()*+,-./:;<=>?@[\\]^_`{|}"):
            with self.subTest(key=key):
                self.assertCreated(self.post_raw(body, extra=b"Idempotency-Key: " + key + b"\r\n"))


    def test_request_id_rules(self):
        """X-Request-Id becomes the clue event's trace id: checked whole,
        refused when it breaks the rule, never cut (a cut inside a
        character made PostgreSQL refuse the event)."""
        outbox_trace = ("SELECT o.trace_id FROM intake.outbox o JOIN intake.clue c"
                        " ON c.producer = o.producer AND c.sequence = o.sequence WHERE c.id = %s")
        body = encode(valid_clue())
        for value in (b"r" * 65, b"", b"ab\xc0\xaf", b"ab\xed\xa0\x80", b"\xff\xfe"):
            with self.subTest(value=value), self.assertNothingStored(self.db):
                r = self.post_raw(body, extra=b"X-Request-Id: " + value + b"\r\n")
                self.assertError(r, 400, "invalid_request_id", "X-Request-Id")
        # 35 ASCII and one Chinese character (38 bytes), and 64 bytes: kept whole.
        for value in ("0123456789" * 3 + "abcde中", "r" * 61 + "中"):
            with self.subTest(value=value):
                r = self.post_raw(body, extra=b"X-Request-Id: " + value.encode() + b"\r\n")
                created = self.assertCreated(r)
                self.assertEqual(self.db.scalar(outbox_trace, (created["id"],)), value)


class SlowClientTest(IntakeTestCase):
    """A client that starts a request and stalls gets 408 (or is cut off)
    after GY_HTTP_READ_TIMEOUT_MS, and does not hold up anyone else."""

    def setUp(self):
        self.intake = S["intake"]
        self.db = S["db"]

    def _stall(self, data):
        s = socket.create_connection(("127.0.0.1", self.intake.http_port), timeout=10)
        try:
            t0 = time.monotonic()
            s.sendall(data)
            # Meanwhile another client is served at once.
            r = self.intake.get("/healthz", timeout=READ_TIMEOUT_MS * 0.8 / 1000.0)
            self.assertEqual(r.status, 200, "a stalled client blocks others")
            buf = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                    if gytest._parse_response(buf) is not None:
                        break
            except ConnectionResetError:
                pass
            except socket.timeout:
                self.fail("the server kept a stalled request open for 10 s "
                          "(GY_HTTP_READ_TIMEOUT_MS=%d)" % READ_TIMEOUT_MS)
            elapsed = time.monotonic() - t0
        finally:
            s.close()
        self.assertGreater(elapsed, READ_TIMEOUT_MS / 1000.0 * 0.8, "cut off too early")
        self.assertLess(elapsed, READ_TIMEOUT_MS / 1000.0 + 3.0, "cut off too late")
        if buf:
            self.assertError(gytest._parse_response(buf, eof=True), 408, "request_timeout")

    def test_stall_in_headers(self):
        with self.assertNothingStored(self.db):
            self._stall(b"POST /api/v1/clues HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")

    def test_stall_in_body(self):
        body = encode(valid_clue())
        with self.assertNothingStored(self.db):
            self._stall(b"POST /api/v1/clues HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                        % len(body) + body[:len(body) // 2])

    def test_trickle_does_not_extend_the_deadline(self):
        """Sending a byte now and then is still one request that must arrive
        whole within the timeout (the slowloris defence)."""
        body = encode(valid_clue())
        data = (b"POST /api/v1/clues HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        with self.assertNothingStored(self.db):
            s = socket.create_connection(("127.0.0.1", self.intake.http_port), timeout=10)
            got = b""
            try:
                t0 = time.monotonic()
                for i in range(len(data)):
                    if time.monotonic() - t0 > READ_TIMEOUT_MS / 1000.0 + 3.0:
                        self.fail("the server still reads a request trickling for %.1f s"
                                  % (time.monotonic() - t0))
                    try:
                        s.sendall(data[i:i + 1])
                    except (BrokenPipeError, ConnectionResetError):
                        break
                    time.sleep(0.2)
                    s.setblocking(False)
                    try:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        got += chunk
                    except BlockingIOError:
                        pass
                    except ConnectionResetError:
                        break
                    finally:
                        s.settimeout(10)
                    if got:
                        break
            finally:
                s.close()
            if got:
                r = gytest._parse_response(got, eof=True)
                self.assertError(r, 408, "request_timeout")


class StillServingTest(IntakeTestCase):

    def test_service_still_accepts_after_all_that(self):
        self.assertCreated(S["intake"].post_clue(valid_clue()))
        self.assertEqual(S["intake"].get("/healthz").status, 200)
        self.assertTrue(S["intake"].running())


if __name__ == "__main__":
    unittest.main()
