"""An outside system on the bus, written the way docs/bus.md tells an
integrator to write one: stock ZeroMQ plus the classes protoc generates
from proto/gongyi.proto, nothing of ours.  (gytest only starts the service
and looks into its database.)

The 12345 hotline submits clues and gets acks or nacks; a consumer follows
the events of the intake instance live and by replay; with CURVE on, only
a client whose key is on the allow-list is heard."""

import os
import re
import shutil
import time
import unittest
import uuid

import zmq
import zmq.auth

import gytest  # service lifecycle and database only
import gongyi_pb2 as pb  # protoc --python_out (the build puts it on sys.path)

S = {}
TIMEOUT_MS = 5000
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RECEIPT_RE = gytest.RECEIPT_RE

HOTLINE = "hotline-12345"


# -- an integrator's client -------------------------------------------------

class Client:
    """REQ with the "lazy pirate" rule: when no answer comes in time, drop the
    socket and open a new one (a REQ socket waiting for an answer can do
    nothing else)."""

    def __init__(self, endpoint, curve=None):
        self.endpoint = endpoint
        self.curve = curve
        self.ctx = zmq.Context.instance()
        self.sock = None

    def _open(self):
        self.sock = self.ctx.socket(zmq.REQ)
        self.sock.linger = 0
        if self.curve:
            self.sock.curve_publickey, self.sock.curve_secretkey, self.sock.curve_serverkey = \
                self.curve
        self.sock.connect(self.endpoint)

    def ask(self, frame, timeout_ms=TIMEOUT_MS):
        """Sends one frame; returns the answer's frames or None."""
        if self.sock is None:
            self._open()
        self.sock.send(frame)
        if self.sock.poll(timeout_ms, zmq.POLLIN):
            return self.sock.recv_multipart()
        self.close()
        return None

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def new_envelope(type_, producer=""):
    return pb.Envelope(id=str(uuid.uuid4()), type=type_, producer=producer,
                       time_unix_ms=gytest.now_ms(), trace_id=uuid.uuid4().hex)


def submit_clue(reference_id, **overrides):
    msg = pb.SubmitClue(
        reference_id=reference_id,
        title=overrides.pop("title", "热线来电：河道有人倾倒建筑垃圾"),
        description=overrides.pop("description",
                                  "市民来电称天镇县南河桥下连续三天有车辆夜间倾倒建筑垃圾，"
                                  "堵塞河道。"),
        field_code=overrides.pop("field_code", "ecology"),
        region_code=overrides.pop("region_code", "140222"),
        # A fixed time: resending must send the very same content.
        occurred_unix_ms=overrides.pop("occurred_unix_ms", 1730439000000),  # 2024-11-01 13:30 +08
    )
    msg.location.CopyFrom(overrides.pop("location", pb.Location(
        has_coordinates=True, lat=40.42, lon=114.09, address="天镇县南河桥")))
    for a in overrides.pop("attachments", [pb.Attachment(
            name="来电录音.wav", media_type="audio/wav", size=48000, sha256="b" * 64)]):
        msg.attachments.add().CopyFrom(a)
    for k, v in overrides.items():
        if k == "reporter":
            msg.reporter.CopyFrom(v)
        else:
            setattr(msg, k, v)
    return msg


def submission(reference_id, producer=HOTLINE, **overrides):
    env = new_envelope("SubmitClue", producer)
    env.submit_clue.CopyFrom(submit_clue(reference_id, **overrides))
    return env


def parse(frame):
    env = pb.Envelope()
    env.ParseFromString(frame)
    return env


def varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def field_bytes(number, payload):
    """A length-delimited protobuf field, as any encoder writes it."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


# Field 2000 (varint 1): a number no message of proto/gongyi.proto uses.
UNKNOWN_FIELD = varint(2000 << 3) + b"\x01"


def replay_request(producer, after, limit=0):
    env = new_envelope("ReplayRequest", "consumer-test")
    env.replay_request.producer = producer
    env.replay_request.after_sequence = after
    env.replay_request.limit = limit
    return env


# -- the service -------------------------------------------------------------

def setUpModule():
    gytest.require_build()
    S["folder"] = gytest.run_dir("test_bus_client")
    S["dbname"] = gytest.create_database("bus")
    S["db"] = gytest.Db(S["dbname"])
    S["intake"] = gytest.Intake(S["folder"], "intake-bus", S["dbname"],
                                producer="intake-bus-1").start()


def tearDownModule():
    for name in ("intake_curve", "intake"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


class BusClientTest(unittest.TestCase):
    """One story, in order: submit, retry, get refused, then read the events
    live and again by replay."""

    acked = {}       # reference_id -> SubmitClueAck
    http_ids = []    # clues submitted over HTTP meanwhile
    with_reporter = set()  # clue ids that carry a reporter

    @classmethod
    def setUpClass(cls):
        cls.intake = S["intake"]
        cls.db = S["db"]
        cls.client = Client(cls.intake.submit)
        # The consumer subscribes before anything happens.  A SUB socket
        # keeps what arrives until we read it.
        cls.sub = zmq.Context.instance().socket(zmq.SUB)
        cls.sub.linger = 0
        cls.sub.setsockopt(zmq.SUBSCRIBE, b"")
        cls.sub.connect(cls.intake.events)
        time.sleep(1.0)  # let the subscription reach the publisher

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.sub.close()

    def send(self, env_or_bytes, client=None):
        frame = env_or_bytes if isinstance(env_or_bytes, bytes) else \
            env_or_bytes.SerializeToString()
        frames = (client or self.client).ask(frame)
        self.assertIsNotNone(frames, "no answer within %d ms" % TIMEOUT_MS)
        self.assertEqual(len(frames), 1, "an answer is one frame")
        return parse(frames[0])

    def assertAck(self, reply, request, duplicate=False):
        self.assertEqual(reply.type, "SubmitClueAck", reply)
        self.assertEqual(reply.WhichOneof("body"), "submit_clue_ack", reply)
        ack = reply.submit_clue_ack
        self.assertEqual(ack.request_id, request.id)
        self.assertRegex(ack.clue_id, UUID_RE)
        self.assertRegex(ack.receipt_code, RECEIPT_RE)
        self.assertEqual(ack.duplicate, duplicate, reply)
        return ack

    def assertNack(self, reply, request_id, code, field=None):
        self.assertEqual(reply.type, "Nack", reply)
        self.assertEqual(reply.WhichOneof("body"), "nack", reply)
        nack = reply.nack
        self.assertIn(nack.code, code if isinstance(code, set) else {code}, reply)
        self.assertEqual(nack.request_id, request_id, reply)
        self.assertTrue(nack.message, reply)
        if field is not None:
            self.assertIn(nack.field, field if isinstance(field, set) else {field}, reply)
        return nack

    # -- submissions --

    def test_01_submissions_are_acked_after_commit(self):
        clues = [
            ("12345-2024-0001", {}),
            ("12345-2024-0002", {"field_code": "food_drug", "region_code": "430104",
                                 "title": "学校周边无证摊贩售卖过期食品"}),
            ("12345-2024-0003", {"field_code": "barrier_free", "region_code": "321102",
                                 "title": "盲道被共享单车长期占用",
                                 "location": pb.Location(address="镇江市京口区解放路")}),
            ("12345-2024-0004", {"reporter": pb.Reporter(name="王五", phone="13912345678"),
                                 "source_channel": "agency"}),
            ("12345-2024-0005", {"field_code": "cultural_relics", "region_code": "410928",
                                 "title": "古城墙遗址旁违规施工", "attachments": []}),
        ]
        for ref, overrides in clues:
            req = submission(ref, **overrides)
            ack = self.assertAck(self.send(req), req)
            type(self).acked[ref] = ack
            row = self.db.query("SELECT title, region_code, source_channel, receipt_code, "
                                "reporter_sealed IS NOT NULL FROM intake.clue WHERE id = %s",
                                (ack.clue_id,))
            self.assertEqual(len(row), 1, "acked but not stored: " + ref)
            title, region, channel, receipt, sealed = row[0]
            self.assertEqual(title, req.submit_clue.title)
            self.assertEqual(region, req.submit_clue.region_code)
            self.assertEqual(channel, overrides.get("source_channel", "hotline_12345"))
            self.assertEqual(receipt, ack.receipt_code)
            self.assertEqual(sealed, "reporter" in overrides)
            if "reporter" in overrides:
                type(self).with_reporter.add(ack.clue_id)
        self.assertEqual(len({a.clue_id for a in self.acked.values()}), len(clues))

        # The caller of the hotline can follow up with the receipt code.
        r = self.intake.get("/api/v1/clues/" + self.acked["12345-2024-0002"].receipt_code)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["region_code"], "430104")

        # A clue sent over HTTP meanwhile joins the same event stream.
        for _ in range(2):
            r = self.intake.post_clue(gytest.valid_clue())
            self.assertEqual(r.status, 201, r)
            type(self).http_ids.append(r.json()["id"])

    def test_02_resending_is_safe(self):
        before = self.db.counts()
        original = self.acked["12345-2024-0001"]
        # The same message again (an answer got lost) ...
        again = submission("12345-2024-0001")
        ack = self.assertAck(self.send(again), again, duplicate=True)
        self.assertEqual((ack.clue_id, ack.receipt_code),
                         (original.clue_id, original.receipt_code))
        # ... byte for byte, twice.
        frame = again.SerializeToString()
        for _ in range(2):
            ack = self.assertAck(self.send(frame), again, duplicate=True)
            self.assertEqual(ack.clue_id, original.clue_id)
        self.assertEqual(self.db.counts(), before, "a duplicate stored something")

    def test_03_reference_ids_are_per_integrator(self):
        req = submission("12345-2024-0001", producer="agency-env-140200")
        ack = self.assertAck(self.send(req), req)
        self.assertNotEqual(ack.clue_id, self.acked["12345-2024-0001"].clue_id)
        type(self).acked["agency:12345-2024-0001"] = ack

    def test_04_refusals_store_nothing(self):
        def raw_with_bad_title():
            req = submission("12345-2024-bad-utf8", title="@@@@")
            frame = req.SerializeToString()
            self.assertEqual(frame.count(b"@@@@"), 1)
            return req.id, frame.replace(b"@@@@", b"\xff\xfe\xfd\xfc")

        def with_location(**kw):
            return submission("12345-2024-bad-loc", location=pb.Location(**kw))

        cases = []
        req = submission("")
        cases.append(("no reference_id", req, req.id, "missing_field", "reference_id"))
        req = submission("12345-" + "x" * 124)
        cases.append(("reference_id too long", req, req.id, "invalid_value", "reference_id"))
        req = submission("12345-2024-bad-region", region_code="999999")
        cases.append(("unknown region", req, req.id, "unknown_region_code", "region_code"))
        req = submission("12345-2024-bad-region2", region_code="14021")
        cases.append(("five-digit region", req, req.id, "unknown_region_code", "region_code"))
        req = submission("12345-2024-bad-field", field_code="weather")
        cases.append(("unknown field", req, req.id, "unknown_field_code", "field_code"))
        req = submission("12345-2024-no-title", title="")
        cases.append(("no title", req, req.id, "missing_field", "title"))
        req = submission("12345-2024-long-title", title="标" * 201)
        cases.append(("long title", req, req.id, "invalid_value", "title"))
        req = submission("12345-2024-ctrl", title="标题\u0001")
        cases.append(("control character", req, req.id, "invalid_value", "title"))
        req = with_location(has_coordinates=True, lat=95.0, lon=113.0)
        cases.append(("latitude out of range", req, req.id, "invalid_value", "location.lat"))
        req = submission("12345-2024-bad-sha", attachments=[pb.Attachment(
            name="a.jpg", media_type="image/jpeg", size=1, sha256="xyz")])
        cases.append(("bad sha256", req, req.id, "invalid_value", "attachments[0].sha256"))
        req = submission("12345-2024-future",
                         occurred_unix_ms=gytest.now_ms() + 30 * 86400_000)
        cases.append(("occurred in the future", req, req.id, "invalid_value",
                      "occurred_unix_ms"))
        req = submission("12345-2024-channel", source_channel="fax")
        cases.append(("bad source_channel", req, req.id, "invalid_value", "source_channel"))
        req = submission("12345-2024-0001", title="同一编号，不同内容")
        cases.append(("same reference_id, other content", req, req.id, "idempotency_conflict",
                      None))
        req = submission("12345-2024-no-producer", producer="")
        cases.append(("no producer", req, req.id, {"missing_field", "invalid_value"},
                      "producer"))
        req_id, frame = raw_with_bad_title()
        cases.append(("invalid UTF-8 title", frame, req_id, "invalid_utf8", "title"))
        cases.append(("garbage", b"\xff\x00 this is not protobuf \x13\x37", "",
                      "malformed_message", None))
        cases.append(("truncated", b"\x0a\x64abc", "", "malformed_message", None))
        cases.append(("empty frame", b"", "", {"malformed_message", "unsupported_message"},
                      None))
        req = replay_request("intake-bus-1", 0)
        cases.append(("not a submission", req, req.id, "unsupported_message", None))

        for name, req, request_id, code, field in cases:
            with self.subTest(name):
                before = self.db.counts()
                reply = self.send(req)
                self.assertNack(reply, request_id, code, field)
                self.assertEqual(self.db.counts(), before, "a refusal stored something")

        # The refused conflict did not touch the original.
        title = self.db.scalar("SELECT title FROM intake.clue WHERE id = %s",
                               (self.acked["12345-2024-0001"].clue_id,))
        self.assertEqual(title, "热线来电：河道有人倾倒建筑垃圾")

    def test_04a_envelope_rules(self):
        """The envelope around a submission: an answer that cannot be matched
        (no id), a type that contradicts the body, a field this build does
        not know — each a clear nack, nothing stored."""
        cases = []
        req = submission("12345-2024-env-noid")
        req.id = ""
        cases.append(("empty id", req.SerializeToString(), "", "missing_field", "id"))
        req = submission("12345-2024-env-longid")
        req.id = "i" * 65
        cases.append(("id too long", req.SerializeToString(), "", "invalid_value", "id"))
        req = submission("12345-2024-env-type")
        req.type = "Heartbeat"
        cases.append(("type says Heartbeat", req.SerializeToString(), req.id, "invalid_value",
                      "type"))
        req = submission("12345-2024-env-notype")
        req.type = ""
        cases.append(("no type", req.SerializeToString(), req.id, "invalid_value", "type"))
        req = submission("12345-2024-env-unknown")
        cases.append(("unknown envelope field", req.SerializeToString() + UNKNOWN_FIELD, req.id,
                      "unknown_property", ""))
        req = submission("12345-2024-env-unknown-body")
        body = req.submit_clue.SerializeToString() + UNKNOWN_FIELD
        req.ClearField("submit_clue")
        cases.append(("unknown field in the body",
                      req.SerializeToString() + field_bytes(16, body), req.id,
                      "unknown_property", "submit_clue"))
        req = submission("12345-2024-env-longtrace")
        req.trace_id = "t" * 65
        cases.append(("trace_id too long", req.SerializeToString(), req.id, "invalid_value",
                      "trace_id"))
        req = submission("12345-2024-env-badtrace")
        req.trace_id = "@@@@"
        cases.append(("trace_id not UTF-8", req.SerializeToString().replace(b"@@@@", b"ab\xc0\xaf"),
                      req.id, "invalid_utf8", "trace_id"))
        req = submission("12345-2024-env-producer", producer="热线")
        cases.append(("producer not ASCII", req.SerializeToString(), req.id, "invalid_value",
                      "producer"))
        req = submission("12345-2024-huge-size", attachments=[pb.Attachment(
            name="a.jpg", media_type="image/jpeg", size=2**64 - 1, sha256="c" * 64)])
        cases.append(("attachment size 2^64-1", req.SerializeToString(), req.id, "invalid_value",
                      "attachments[0].size"))
        for name, frame, request_id, code, field in cases:
            with self.subTest(name):
                before = self.db.counts()
                self.assertNack(self.send(frame), request_id, code, field)
                self.assertEqual(self.db.counts(), before, "a refusal stored something")

    def test_04b_invalid_utf8_over_the_bus_is_a_clear_nack(self):
        """protobuf-c does not check UTF-8 and PostgreSQL refuses what is
        not: intake's own check is all that stands between an overlong or
        surrogate form and "unavailable ... retry later" for ever."""
        forms = {"overlong": b"\xc0\xaf", "surrogate": b"\xed\xa0\x80",
                 "past U+10FFFF": b"\xf4\x90\x80\x80"}
        for form, raw in forms.items():
            for field in ("title", "description", "location.address", "reporter.name",
                          "attachments[0].name"):
                with self.subTest(form=form, field=field):
                    # A placeholder of the same length keeps protobuf's
                    # length prefixes right when the bytes are swapped in.
                    mark = "~" * len(raw)
                    overrides = {}
                    if field == "title":
                        overrides["title"] = "标题" + mark
                    elif field == "description":
                        overrides["description"] = "描述" + mark
                    elif field == "location.address":
                        overrides["location"] = pb.Location(address="地址" + mark)
                    elif field == "reporter.name":
                        overrides["reporter"] = pb.Reporter(name="姓名" + mark)
                    else:
                        overrides["attachments"] = [pb.Attachment(
                            name="附件" + mark + ".jpg", media_type="image/jpeg", size=1,
                            sha256="d" * 64)]
                    req = submission("12345-2024-utf8-%d-%s" % (len(raw), field), **overrides)
                    frame = req.SerializeToString()
                    self.assertEqual(frame.count(mark.encode()), 1)
                    before = self.db.counts()
                    reply = self.send(frame.replace(mark.encode(), raw))
                    self.assertNack(reply, req.id, "invalid_utf8", field)
                    self.assertEqual(self.db.counts(), before, "a refusal stored something")

    def test_04c_trace_ids_are_kept_whole_and_acks_carry_them(self):
        outbox_trace = ("SELECT o.trace_id FROM intake.outbox o JOIN intake.clue c"
                        " ON c.producer = o.producer AND c.sequence = o.sequence WHERE c.id = %s")
        # 35 ASCII and one Chinese character: 38 bytes, a byte cut would
        # split the character (and PostgreSQL refuse the text).
        trace = "0123456789" * 3 + "abcde" + "中"
        self.assertEqual(len(trace.encode()), 38)
        req = submission("12345-2024-trace-utf8")
        req.trace_id = trace
        reply = self.send(req)
        ack = self.assertAck(reply, req)
        type(self).acked[req.submit_clue.reference_id] = ack
        self.assertEqual(reply.trace_id, trace)
        self.assertEqual(self.db.scalar(outbox_trace, (ack.clue_id,)), trace)
        # 64 bytes is the most, kept whole.
        req = submission("12345-2024-trace-64")
        req.trace_id = "t" * 61 + "中"
        reply = self.send(req)
        ack = self.assertAck(reply, req)
        type(self).acked[req.submit_clue.reference_id] = ack
        self.assertEqual(self.db.scalar(outbox_trace, (ack.clue_id,)), req.trace_id)
        # No trace given: the ack carries the one the event got.
        req = submission("12345-2024-trace-none")
        req.trace_id = ""
        reply = self.send(req)
        ack = self.assertAck(reply, req)
        type(self).acked[req.submit_clue.reference_id] = ack
        self.assertTrue(reply.trace_id, reply)
        self.assertEqual(self.db.scalar(outbox_trace, (ack.clue_id,)), reply.trace_id)

    def test_05_dealer_sends_many_and_matches_by_request_id(self):
        dealer = zmq.Context.instance().socket(zmq.DEALER)
        dealer.linger = 0
        dealer.connect(self.intake.submit)
        try:
            reqs = {}
            for i in range(3):
                req = submission("12345-2024-dealer-%d" % i)
                reqs[req.id] = req
                dealer.send(req.SerializeToString())
            answers = {}
            deadline = time.monotonic() + TIMEOUT_MS / 1000.0
            while len(answers) < len(reqs) and time.monotonic() < deadline:
                if dealer.poll(100, zmq.POLLIN):
                    frames = dealer.recv_multipart()
                    self.assertEqual(len(frames), 1, "an answer is one frame: %r" % frames)
                    reply = parse(frames[0])
                    answers[reply.submit_clue_ack.request_id or reply.nack.request_id] = reply
            self.assertEqual(set(answers), set(reqs), "answers for every request")
            for rid, reply in answers.items():
                ack = self.assertAck(reply, reqs[rid])
                type(self).acked[reqs[rid].submit_clue.reference_id] = ack
        finally:
            dealer.close()

    def test_05a_dealer_with_an_empty_delimiter_gets_it_back(self):
        """docs/bus.md: frames before the Envelope are routing frames and come
        back in front of the answer, so a DEALER that sends REQ's empty
        delimiter gets one back (and one that sends none, none: test_05)."""
        for endpoint, make in ((self.intake.submit,
                                lambda: submission("12345-2024-delimiter")),
                               (self.intake.replay,
                                lambda: replay_request("intake-bus-1", 0, 1))):
            dealer = zmq.Context.instance().socket(zmq.DEALER)
            dealer.linger = 0
            dealer.connect(endpoint)
            try:
                req = make()
                dealer.send_multipart([b"", req.SerializeToString()])
                self.assertTrue(dealer.poll(TIMEOUT_MS, zmq.POLLIN), "no answer")
                frames = dealer.recv_multipart()
                self.assertEqual(frames[0], b"", frames[:2])
                reply = parse(frames[1])
                if reply.type == "SubmitClueAck":
                    type(self).acked[req.submit_clue.reference_id] = self.assertAck(reply, req)
                else:
                    self.assertEqual(reply.replay_response.request_id, req.id)
                    self.assertEqual(len(frames), 3, "the response and one event")
            finally:
                dealer.close()

    # -- events --

    def all_clue_ids(self):
        return {a.clue_id for a in self.acked.values()} | set(self.http_ids)

    def read_published(self):
        """What the SUB socket got: [(type frame, Envelope bytes)]."""
        expected = len(self.all_clue_ids())
        if not hasattr(type(self), "published"):
            got = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self.sub.poll(200 if len(got) < expected else 1000, zmq.POLLIN):
                    frames = self.sub.recv_multipart()
                    self.assertEqual(len(frames), 2, "an event is two frames: %r" % frames)
                    if frames[0] == b"Heartbeat":
                        # Once a second, not an event (docs/bus.md): a
                        # subscriber to everything skips it.
                        self.assertEqual(parse(frames[1]).WhichOneof("body"), "heartbeat")
                        continue
                    got.append((frames[0], frames[1]))
                elif len(got) >= expected:
                    break
            type(self).published = got
        return type(self).published

    def test_06_every_clue_is_announced_once_in_order(self):
        published = self.read_published()
        ids = self.all_clue_ids()
        self.assertEqual(len(ids), self.db.scalar("SELECT count(*) FROM intake.clue"))
        events = []
        for type_frame, body in published:
            self.assertEqual(type_frame, b"ClueReceived")
            env = parse(body)
            self.assertEqual(env.type, "ClueReceived")
            self.assertEqual(env.WhichOneof("body"), "clue_received")
            self.assertEqual(env.producer, "intake-bus-1")
            self.assertTrue(env.id)
            self.assertGreater(env.time_unix_ms, 0)
            events.append(env)
        self.assertEqual([e.sequence for e in events], list(range(1, len(ids) + 1)),
                         "sequences are 1, 2, 3 ... with no gap")
        self.assertEqual({e.clue_received.clue_id for e in events}, ids)

        stored = {row[0]: row[1:] for row in self.db.query(
            "SELECT id::text, title, region_code, field_code, source_channel, sequence "
            "FROM intake.clue")}
        for e in events:
            c = e.clue_received
            title, region, field, channel, seq = stored[c.clue_id]
            self.assertEqual((c.title, c.region_code, c.field_code, c.source_channel),
                             (title, region, field, channel))
            self.assertEqual(e.sequence, seq)
            self.assertEqual(e.procuratorate, region)
            self.assertGreater(c.received_unix_ms, 0)
            self.assertEqual(c.anonymous, c.clue_id not in self.with_reporter)
            self.assertEqual(c.reporter_subject, "")
        for _, body in published:
            for secret in ("王五", "13912345678"):
                self.assertNotIn(secret.encode(), body, "reporter identity on the bus")
        # Defect 12: the integrator's producer and reference id ride on the
        # event (an integrator matches events to its work orders); a clue
        # sent over HTTP has no origin.
        origins = {a.clue_id: (("agency-env-140200", ref[len("agency:"):])
                               if ref.startswith("agency:") else (HOTLINE, ref))
                   for ref, a in self.acked.items()}
        for e in events:
            c = e.clue_received
            if c.clue_id in self.http_ids:
                self.assertFalse(c.HasField("origin"), c)
            elif c.clue_id in origins:
                self.assertEqual((c.origin.producer, c.origin.reference_id),
                                 origins[c.clue_id])
            else:
                self.assertTrue(c.origin.producer and c.origin.reference_id, c)
        first_id = self.acked["12345-2024-0001"].clue_id
        ev = [e for e in events if e.clue_received.clue_id == first_id][0]
        self.assertTrue(ev.clue_received.location.has_coordinates)
        self.assertAlmostEqual(ev.clue_received.location.lat, 40.42)
        self.assertEqual(ev.clue_received.location.address, "天镇县南河桥")
        self.assertEqual([(a.name, a.media_type, a.size, a.sha256)
                          for a in ev.clue_received.attachments],
                         [("来电录音.wav", "audio/wav", 48000, "b" * 64)])

    def replay(self, producer, after, limit=0, client=None):
        req = replay_request(producer, after, limit)
        own = client is None
        client = client or Client(self.intake.replay)
        try:
            frames = client.ask(req.SerializeToString())
        finally:
            if own:
                client.close()
        self.assertIsNotNone(frames, "no answer from the replay endpoint")
        head = parse(frames[0])
        self.assertEqual(head.type, "ReplayResponse", head)
        self.assertEqual(head.WhichOneof("body"), "replay_response", head)
        self.assertEqual(head.replay_response.request_id, req.id)
        return head.replay_response, frames[1:]

    def test_07_replay_returns_the_published_bytes(self):
        published = [body for _, body in self.read_published()]
        n = len(published)
        self.assertGreaterEqual(n, 8)
        client = Client(self.intake.replay)
        try:
            r, frames = self.replay("intake-bus-1", 0, client=client)
            self.assertEqual((r.producer, r.first_sequence, r.last_sequence, r.more, r.error_code,
                              r.head_sequence), ("intake-bus-1", 1, n, False, "", n))
            self.assertEqual(frames, published, "replayed events differ from the published")

            r, frames = self.replay("intake-bus-1", 2, 3, client=client)
            self.assertEqual((r.first_sequence, r.last_sequence, r.more, r.head_sequence),
                             (3, 5, True, n))
            self.assertEqual(frames, published[2:5])

            r, frames = self.replay("intake-bus-1", n - 2, 10, client=client)
            self.assertEqual((r.first_sequence, r.last_sequence, r.more), (n - 1, n, False))
            self.assertEqual(frames, published[n - 2:])

            r, frames = self.replay("intake-bus-1", n, client=client)
            self.assertEqual((r.first_sequence, r.more, r.error_code, r.head_sequence),
                             (0, False, "", n))
            self.assertEqual(frames, [])

            # Walking one at a time, as a cautious consumer would.
            walked, after = [], 0
            for _ in range(n + 1):
                r, frames = self.replay("intake-bus-1", after, 1, client=client)
                walked += frames
                if not r.more:
                    break
                after = r.last_sequence
            self.assertEqual(walked, published)

            r, frames = self.replay("nobody-has-this-producer", 0, client=client)
            self.assertEqual((r.first_sequence, r.more, r.error_code, r.head_sequence),
                             (0, False, "", 0))
            self.assertEqual(frames, [])
        finally:
            client.close()

    def test_08_replay_refuses_what_is_not_a_replay_request(self):
        client = Client(self.intake.replay)
        try:
            for name, frame in (("garbage", b"\xff\x00 this is not protobuf \x13\x37"),
                                ("truncated", b"\x0a\x64abc"),
                                ("a submission", submission("x").SerializeToString())):
                with self.subTest(name):
                    frames = client.ask(frame)
                    self.assertIsNotNone(frames, "no answer")
                    head = parse(frames[0])
                    self.assertEqual(head.WhichOneof("body"), "replay_response", head)
                    self.assertEqual(head.replay_response.error_code, "malformed_message")
                    self.assertEqual(frames[1:], [])
        finally:
            client.close()

    def test_08a_replay_requests_that_name_nothing_are_malformed(self):
        """Values no producer or sequence can have are refused as malformed
        before they reach PostgreSQL (where they were errors, answered
        "unavailable", and consumers backed off), and the answer parses:
        the producer it echoes is valid UTF-8."""
        client = Client(self.intake.replay)
        try:
            cases = []
            for after in (2**63, 2**64 - 1):
                req = replay_request("intake-bus-1", after)
                cases.append(("after_sequence %d" % after, req.SerializeToString(), req.id))
                req = replay_request("", after)
                cases.append(("list with after_sequence %d" % after, req.SerializeToString(),
                              req.id))
            for raw in (b"\xc0\xaf", b"\xed\xa0\x80", b"\xff\xfe"):
                req = replay_request("in" + "~" * len(raw), 0)
                frame = req.SerializeToString()
                self.assertEqual(frame.count(b"in" + b"~" * len(raw)), 1)
                cases.append(("producer %r" % raw, frame.replace(b"~" * len(raw), raw), req.id))
            req = replay_request("p" * 65, 0)
            cases.append(("producer of 65 bytes", req.SerializeToString(), req.id))
            req = replay_request("入口-1", 0)
            cases.append(("producer not ASCII", req.SerializeToString(), req.id))
            for name, frame, request_id in cases:
                with self.subTest(name):
                    frames = client.ask(frame)
                    self.assertIsNotNone(frames, "no answer")
                    head = parse(frames[0])  # fails on invalid UTF-8
                    r = head.replay_response
                    self.assertEqual((r.request_id, r.error_code, r.producer),
                                     (request_id, "malformed_message", ""), head)
                    self.assertEqual(frames[1:], [])
            # A field this build does not know is ignored in a replay
            # request (docs/bus.md: a newer consumer still reads).
            req = replay_request("intake-bus-1", 0, 1)
            frames = client.ask(req.SerializeToString() + UNKNOWN_FIELD)
            self.assertIsNotNone(frames, "no answer")
            r = parse(frames[0]).replay_response
            self.assertEqual((r.request_id, r.error_code, r.first_sequence), (req.id, "", 1))
            self.assertEqual(len(frames), 2)
            # The largest sequence there can be is a request like any other.
            r, frames = self.replay("intake-bus-1", 2**63 - 1, client=client)
            self.assertEqual((r.error_code, r.producer, r.first_sequence), ("", "intake-bus-1", 0))
            self.assertEqual(frames, [])
        finally:
            client.close()

    def test_09_replay_caps_a_batch_at_1000(self):
        """More than 1000 events: one answer carries 1000 and says more."""
        before = self.db.scalar("SELECT last_sequence FROM intake.producer WHERE producer = %s",
                                ("intake-bus-1",))
        dealer = zmq.Context.instance().socket(zmq.DEALER)
        dealer.linger = 0
        dealer.connect(self.intake.submit)
        try:
            pending = set()
            for i in range(1001 - before):
                req = submission("12345-bulk-%04d" % i)
                pending.add(req.id)
                dealer.send(req.SerializeToString())
            deadline = time.monotonic() + 60
            while pending and time.monotonic() < deadline:
                if dealer.poll(500, zmq.POLLIN):
                    reply = parse(dealer.recv_multipart()[-1])
                    self.assertEqual(reply.type, "SubmitClueAck", reply)
                    pending.discard(reply.submit_clue_ack.request_id)
            self.assertFalse(pending, "%d submissions unanswered" % len(pending))
        finally:
            dealer.close()
        r, frames = self.replay("intake-bus-1", 0, 5000)
        self.assertEqual((r.first_sequence, r.last_sequence, r.more, r.head_sequence),
                         (1, 1000, True, 1001))
        self.assertEqual(len(frames), 1000)
        r, frames = self.replay("intake-bus-1", 1000, 5000)
        self.assertEqual((r.first_sequence, r.last_sequence, r.more), (1001, 1001, False))
        self.assertEqual(parse(frames[0]).sequence, 1001)


class CurveTest(unittest.TestCase):
    """With CURVE on, the allow-list decides who is heard."""

    @classmethod
    def setUpClass(cls):
        folder = S["folder"]
        keys = os.path.join(folder, "keys")
        strangers = os.path.join(folder, "stranger-keys")
        clients = os.path.join(folder, "curve-clients")
        cls.server_pub_file, cls.server_sec_file, printed = gytest.curve_keygen(keys, "intake")
        client_pub_file, client_sec_file, _ = gytest.curve_keygen(keys, HOTLINE)
        stranger_pub_file, stranger_sec_file, _ = gytest.curve_keygen(strangers, "stranger")
        os.makedirs(clients, exist_ok=True)
        shutil.copy(client_pub_file, clients)

        # The certificates are what pyzmq's zmq.auth reads.
        server_pub, server_sec = zmq.auth.load_certificate(cls.server_sec_file)
        cls.printed = printed
        cls.server_pub = server_pub
        cls.server_pub_from_public_file, nothing = zmq.auth.load_certificate(cls.server_pub_file)
        cls.public_file_has_no_secret = nothing is None
        pub, sec = zmq.auth.load_certificate(client_sec_file)
        cls.allowed = (pub, sec, server_pub)
        pub, sec = zmq.auth.load_certificate(stranger_sec_file)
        cls.stranger = (pub, sec, server_pub)

        cls.intake = S["intake_curve"] = gytest.Intake(
            folder, "intake-curve", S["dbname"], producer="intake-curve-1",
            env={"GY_CURVE_SERVER_CERT": cls.server_sec_file, "GY_CURVE_CLIENTS_DIR": clients})
        cls.intake.start()
        cls.db = S["db"]

    def test_keygen_writes_zmq_certificates(self):
        self.assertEqual(self.printed.encode(), self.server_pub)
        self.assertEqual(self.server_pub_from_public_file, self.server_pub)
        self.assertTrue(self.public_file_has_no_secret, "the public file holds a secret key")
        self.assertEqual(os.stat(self.server_sec_file).st_mode & 0o077, 0,
                         "the secret certificate is readable by others")

    def test_allowed_client_is_heard_and_others_are_not(self):
        sub = zmq.Context.instance().socket(zmq.SUB)
        sub.linger = 0
        sub.curve_publickey, sub.curve_secretkey, sub.curve_serverkey = self.allowed
        sub.setsockopt(zmq.SUBSCRIBE, b"ClueReceived")
        sub.connect(self.intake.events)
        time.sleep(1.0)
        try:
            before = self.db.counts()
            # A stranger's key and no key at all: no handshake, no answer.
            for name, curve in (("unknown key", self.stranger), ("no CURVE", None)):
                with self.subTest(name):
                    c = Client(self.intake.submit, curve)
                    try:
                        frames = c.ask(submission("curve-" + name).SerializeToString(),
                                       timeout_ms=3000)
                        self.assertIsNone(frames, "an unlisted client was answered")
                    finally:
                        c.close()
                    c = Client(self.intake.replay, curve)
                    try:
                        frames = c.ask(replay_request("intake-curve-1", 0).SerializeToString(),
                                       timeout_ms=1500)
                        self.assertIsNone(frames, "an unlisted client was answered (replay)")
                    finally:
                        c.close()
            self.assertEqual(self.db.counts(), before)

            c = Client(self.intake.submit, self.allowed)
            try:
                req = submission("curve-allowed-1")
                frames = c.ask(req.SerializeToString())
                self.assertIsNotNone(frames, "the allowed client got no answer")
                reply = parse(frames[0])
                self.assertEqual(reply.type, "SubmitClueAck", reply)
                self.assertEqual(reply.submit_clue_ack.request_id, req.id)
                clue_id = reply.submit_clue_ack.clue_id
            finally:
                c.close()
            self.assertEqual(self.db.scalar("SELECT count(*) FROM intake.clue WHERE id = %s",
                                            (clue_id,)), 1)

            self.assertTrue(sub.poll(TIMEOUT_MS, zmq.POLLIN), "no event for the allowed client")
            kind, body = sub.recv_multipart()
            self.assertEqual(kind, b"ClueReceived")
            self.assertEqual(parse(body).clue_received.clue_id, clue_id)

            c = Client(self.intake.replay, self.allowed)
            try:
                frames = c.ask(replay_request("intake-curve-1", 0).SerializeToString())
                self.assertIsNotNone(frames, "the allowed client got no replay")
                self.assertEqual(frames[1:], [body])
            finally:
                c.close()
        finally:
            sub.close()

    def test_unknown_subscriber_gets_no_events(self):
        sub = zmq.Context.instance().socket(zmq.SUB)
        sub.linger = 0
        sub.curve_publickey, sub.curve_secretkey, sub.curve_serverkey = self.stranger
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(self.intake.events)
        try:
            time.sleep(1.0)
            c = Client(self.intake.submit, self.allowed)
            try:
                frames = c.ask(submission("curve-allowed-2").SerializeToString())
                self.assertIsNotNone(frames)
            finally:
                c.close()
            self.assertFalse(sub.poll(1500, zmq.POLLIN), "a stranger received an event")
        finally:
            sub.close()


if __name__ == "__main__":
    unittest.main()
