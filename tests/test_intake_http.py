"""intake over HTTP, as a reporter, a volunteer and an operator meet it:
submit a clue, follow it up by receipt code, retry safely, stay private."""

import http.client
import threading
import time
import unittest
import uuid

import gytest
from gytest import IntakeTestCase, valid_clue

REPORTER = {"name": "张三", "phone": "13800000000", "email": "zhangsan@example.com",
            "id_number": "14020219800101123X"}
# What must never be readable outside the sealed box.
SECRETS = ["张三", "13800000000", "zhangsan@example.com", "14020219800101123X"]

S = {}  # the module's service, database and keys


def setUpModule():
    gytest.require_build()
    folder = gytest.run_dir("test_intake_http")
    dbname = gytest.create_database("http")
    token_secret, token_public = gytest.token_keys(folder)
    intake = gytest.Intake(folder, "intake-http", dbname, env={
        # Debug logging is the hardest case for "never in the logs".
        "GY_LOG_LEVEL": "debug",
        "GY_TOKEN_PUBLIC_KEY_FILE": token_public,
    })
    S.update(folder=folder, dbname=dbname, token_secret=token_secret, intake=intake,
             db=gytest.Db(dbname))
    intake.start()


def tearDownModule():
    for name in ("intake", "intake2"):
        if name in S:
            S[name].stop()
    if "db" in S:
        S["db"].close()
    if "dbname" in S:
        gytest.drop_database(S["dbname"])


class SubmitTest(IntakeTestCase):

    def setUp(self):
        self.intake = S["intake"]
        self.db = S["db"]

    def test_valid_clue_is_stored_with_one_event(self):
        before = self.db.counts()
        r = self.intake.post_clue(valid_clue())
        body = self.assertCreated(r)
        self.assertTrue(r.headers.get("content-type", "").startswith("application/json"))
        self.assertEqual(set(body), {"id", "receipt_code", "status"}, body)
        clues, events, seqs = self.db.counts()
        self.assertEqual((clues, events), (before[0] + 1, before[1] + 1))

        rows = self.db.query(
            "SELECT receipt_code, title, description, field_code, region_code, lat, lon, "
            "address, extract(epoch FROM occurred_at)::bigint, attachments, source_channel, "
            "reporter_sealed, reporter_subject, status, producer, sequence "
            "FROM intake.clue WHERE id = %s", (body["id"],))
        self.assertEqual(len(rows), 1)
        (receipt, title, description, field, region, lat, lon, address, occurred, attachments,
         channel, sealed, subject, status, producer, seq) = rows[0]
        clue = valid_clue()
        self.assertEqual(receipt, body["receipt_code"])
        self.assertEqual(title, clue["title"])
        self.assertEqual(description, clue["description"])
        self.assertEqual((field, region), ("ecology", "140213"))
        self.assertAlmostEqual(lat, 40.0768)
        self.assertAlmostEqual(lon, 113.3001)
        self.assertEqual(address, clue["location"]["address"])
        self.assertEqual(occurred, 1730471400)  # 2024-11-01T22:30:00+08:00
        self.assertEqual(attachments, clue["attachments"])
        self.assertEqual(channel, "web")
        self.assertIsNone(sealed, "an anonymous clue has no sealed reporter")
        self.assertIsNone(subject)
        self.assertEqual(status, "received")
        self.assertEqual(producer, self.intake.producer)

        outbox = self.db.query(
            "SELECT type, procuratorate FROM intake.outbox WHERE producer = %s AND sequence = %s",
            (producer, seq))
        self.assertEqual(outbox, [("ClueReceived", "140213")])

    def test_default_source_channel_is_web(self):
        clue = valid_clue()
        del clue["source_channel"], clue["occurred_at"], clue["attachments"]
        body = self.assertCreated(self.intake.post_clue(clue))
        self.assertEqual(self.db.scalar("SELECT source_channel FROM intake.clue WHERE id = %s",
                                        (body["id"],)), "web")

    def test_address_only_and_coordinates_only(self):
        a = self.assertCreated(self.intake.post_clue(valid_clue(location={"address": "云冈区新平旺"})))
        b = self.assertCreated(self.intake.post_clue(valid_clue(location={"lat": -33.9, "lon": -180})))
        rows = dict((r[0], r[1:]) for r in self.db.query(
            "SELECT id::text, lat, lon, address FROM intake.clue WHERE id IN (%s, %s)",
            (a["id"], b["id"])))
        self.assertEqual(rows[a["id"]], (None, None, "云冈区新平旺"))
        self.assertEqual(rows[b["id"]][2], None)
        self.assertAlmostEqual(rows[b["id"]][1], -180)

    def test_limits_count_characters_not_bytes(self):
        # 200 Chinese characters are 600 bytes of UTF-8 and still a valid title.
        body = self.assertCreated(self.intake.post_clue(valid_clue(title="污" * 200)))
        self.assertEqual(self.db.scalar("SELECT title FROM intake.clue WHERE id = %s",
                                        (body["id"],)), "污" * 200)

    def test_content_type_with_charset_is_json(self):
        self.assertCreated(self.intake.post_clue(
            valid_clue(), headers={"Content-Type": "application/json; charset=utf-8"}))

    def test_receipt_codes_are_distinct(self):
        codes = {self.assertCreated(self.intake.post_clue(valid_clue()))["receipt_code"]
                 for _ in range(5)}
        self.assertEqual(len(codes), 5)

    def test_keep_alive_connection_serves_several_requests(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.intake.http_port,
                                          timeout=gytest.HTTP_TIMEOUT)
        try:
            for _ in range(3):
                conn.request("POST", "/api/v1/clues",
                             body=gytest.json.dumps(valid_clue()).encode(),
                             headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, 201)
        finally:
            conn.close()


class FollowUpTest(IntakeTestCase):

    def setUp(self):
        self.intake = S["intake"]
        self.db = S["db"]

    def test_receipt_shows_progress_and_never_the_reporter(self):
        created = self.assertCreated(self.intake.post_clue(valid_clue(reporter=REPORTER)))
        r = self.intake.get("/api/v1/clues/" + created["receipt_code"])
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(set(body), {"receipt_code", "status", "field_code", "region_code",
                                     "received_at", "timeline"}, body)
        # Not routed (no router here): received is the only step.
        self.assertEqual(body["timeline"], [{"step": "received", "at": body["received_at"]}])
        self.assertEqual(body["receipt_code"], created["receipt_code"])
        self.assertEqual(body["status"], "received")
        self.assertEqual(body["field_code"], "ecology")
        self.assertEqual(body["region_code"], "140213")
        self.assertRegex(body["received_at"], r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")
        text = r.body.decode("utf-8")
        for secret in SECRETS:
            self.assertNotIn(secret, text)

    def test_received_by_the_process_clock(self):
        """received_at is the instant of intake's clock (the one ClueReceived
        carries), not the database's: an intake set to a fixed date shows
        that date."""
        other = gytest.Intake(S["folder"], "intake-clock", S["dbname"],
                              env={"GY_CLOCK_START": "2026-10-03T23:30:00+08:00"}).start()
        try:
            created = self.assertCreated(other.post_clue(valid_clue()))
            body = other.get("/api/v1/clues/" + created["receipt_code"]).json()
        finally:
            other.stop()
        self.assertRegex(body["received_at"], r"^2026-10-03T15:3\d:\d\d\.\d{3}Z$")
        self.assertEqual(body["timeline"], [{"step": "received", "at": body["received_at"]}])
        stored_ms = self.db.scalar(
            "SELECT (extract(epoch FROM received_at) * 1000)::bigint FROM intake.clue"
            " WHERE id = %s", (created["id"],))
        time_ms = self.db.scalar("SELECT time_ms FROM intake.outbox WHERE producer = %s",
                                 ("intake-clock",))
        self.assertLessEqual(abs(stored_ms - time_ms), 1)

    def test_unknown_or_malformed_receipt_is_not_found(self):
        for code in ("GY-00000-00000-00000-00000", "GY-ABCDE", "nothing",
                     "GY-00000-00000-00000-0000%27%20OR%201%3D1"):
            with self.subTest(code=code):
                self.assertError(self.intake.get("/api/v1/clues/" + code), 404, "not_found")


class IdempotencyTest(IntakeTestCase):

    def setUp(self):
        self.intake = S["intake"]
        self.db = S["db"]

    def test_same_key_same_body_returns_the_original(self):
        key = "retry-" + uuid.uuid4().hex
        first = self.assertCreated(self.intake.post_clue(valid_clue(), idem=key))
        with self.assertNothingStored(self.db):
            for _ in range(2):
                again = self.assertCreated(self.intake.post_clue(valid_clue(), idem=key), 200)
                self.assertEqual(again, first)

    def test_same_key_other_body_is_a_conflict(self):
        key = "conflict-" + uuid.uuid4().hex
        first = self.assertCreated(self.intake.post_clue(valid_clue(), idem=key))
        with self.assertNothingStored(self.db):
            r = self.intake.post_clue(valid_clue(title="另一条线索"), idem=key)
            self.assertError(r, 409, "idempotency_conflict", fields={None, "Idempotency-Key"})
        self.assertEqual(self.db.scalar("SELECT title FROM intake.clue WHERE id = %s",
                                        (first["id"],)), valid_clue()["title"])

    def test_without_key_every_post_is_a_new_clue(self):
        a = self.assertCreated(self.intake.post_clue(valid_clue()))
        b = self.assertCreated(self.intake.post_clue(valid_clue()))
        self.assertNotEqual(a["id"], b["id"])

    def test_simultaneous_retries_on_two_instances_store_once(self):
        """A client whose first try is slow retries the same key through
        another instance behind the load balancer: one clue, one answer, and
        both producers' event streams stay gap-free."""
        other = gytest.Intake(S["folder"], "intake-http-twin", S["dbname"]).start()
        self.addCleanup(other.stop)
        keys = ["twin-%d-%s" % (i, uuid.uuid4().hex) for i in range(10)]
        answers = {}

        def fire(intake, key, barrier):
            barrier.wait(5)
            try:
                answers[(intake.name, key)] = intake.post_clue(valid_clue(title="并发 " + key),
                                                               idem=key)
            except Exception as exc:  # reported below
                answers[(intake.name, key)] = exc

        for key in keys:
            barrier = threading.Barrier(2)
            threads = [threading.Thread(target=fire, args=(i, key, barrier))
                       for i in (self.intake, other)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(15)
        for key in keys:
            a, b = answers[(self.intake.name, key)], answers[(other.name, key)]
            with self.subTest(key=key):
                self.assertEqual(sorted([a.status, b.status]), [200, 201], (a, b))
                self.assertEqual(a.json(), b.json())
                self.assertEqual(self.db.scalar(
                    "SELECT count(*) FROM intake.clue WHERE title = %s", ("并发 " + key,)), 1)
        for producer in (self.intake.producer, other.producer):
            with self.subTest(producer=producer):
                seqs = [s for (s,) in self.db.query(
                    "SELECT sequence FROM intake.outbox WHERE producer = %s ORDER BY sequence",
                    (producer,))]
                self.assertEqual(seqs, list(range(1, len(seqs) + 1)))
                self.assertEqual(self.db.scalar(
                    "SELECT last_sequence FROM intake.producer WHERE producer = %s",
                    (producer,)), len(seqs))
                self.assertEqual(self.db.scalar(
                    "SELECT count(*) FROM intake.clue WHERE producer = %s", (producer,)),
                    len(seqs))

    def test_keys_are_per_key(self):
        a = self.assertCreated(self.intake.post_clue(valid_clue(), idem="k-" + uuid.uuid4().hex))
        b = self.assertCreated(self.intake.post_clue(valid_clue(), idem="k-" + uuid.uuid4().hex))
        self.assertNotEqual(a["id"], b["id"])


class PrivacyTest(IntakeTestCase):

    def setUp(self):
        self.intake = S["intake"]
        self.db = S["db"]

    def test_reporter_identity_is_sealed_everywhere(self):
        a = self.assertCreated(self.intake.post_clue(valid_clue(reporter=REPORTER)))
        b = self.assertCreated(self.intake.post_clue(valid_clue(reporter=REPORTER),
                                                     idem="p-" + uuid.uuid4().hex))
        sealed = {row[0]: bytes(row[1]) for row in self.db.query(
            "SELECT id::text, reporter_sealed FROM intake.clue WHERE id IN (%s, %s)",
            (a["id"], b["id"]))}
        for cid in (a["id"], b["id"]):
            self.assertIsNotNone(sealed.get(cid), "the reporter must be stored, sealed")
            # nonce (24) + MAC (16) + at least the phone number
            self.assertGreater(len(sealed[cid]), 24 + 16 + 11)
        self.assertNotEqual(sealed[a["id"]], sealed[b["id"]],
                            "the same reporter sealed twice must differ (fresh nonce)")

        text, blobs = self.db.schema_dump()
        self.assertIn(a["id"], text, "the dump should include the clue")
        for secret in SECRETS:
            with self.subTest(where="database", secret=secret):
                self.assertNotIn(secret, text)
                raw = secret.encode("utf-8")
                for blob in blobs:
                    self.assertNotIn(raw, blob)
                    self.assertNotIn(raw.hex().encode(), blob)

        log = self.intake.log_text()
        self.assertTrue(log.strip(), "the service should log something")
        for secret in SECRETS:
            with self.subTest(where="log", secret=secret):
                self.assertNotIn(secret, log)

    def test_anonymous_clue_has_no_reporter(self):
        body = self.assertCreated(self.intake.post_clue(valid_clue()))
        self.assertEqual(self.db.query(
            "SELECT reporter_sealed, reporter_subject FROM intake.clue WHERE id = %s",
            (body["id"],)), [(None, None)])


class TokenTest(IntakeTestCase):

    def setUp(self):
        self.intake = S["intake"]
        self.db = S["db"]

    def test_valid_token_links_the_volunteer(self):
        token = gytest.issue_token(S["token_secret"], "vol-1024", "volunteer", "140213")
        body = self.assertCreated(self.intake.post_clue(valid_clue(), token=token))
        self.assertEqual(self.db.scalar(
            "SELECT reporter_subject FROM intake.clue WHERE id = %s", (body["id"],)), "vol-1024")
        body = self.assertCreated(self.intake.post_clue(valid_clue(reporter=REPORTER),
                                                        token=token))
        row = self.db.query("SELECT reporter_subject, reporter_sealed IS NOT NULL "
                            "FROM intake.clue WHERE id = %s", (body["id"],))
        self.assertEqual(row, [("vol-1024", True)])

    def test_only_a_volunteer_submits_as_a_volunteer(self):
        """Another role's valid token is refused, never taken as a
        volunteer's (docs/api.md): the clue is not linked to a prosecutor,
        an administrator or an integrator."""
        for role in ("prosecutor", "chief_prosecutor", "admin", "integrator"):
            token = gytest.issue_token(S["token_secret"], "user-" + role, role, "140213")
            with self.subTest(role), self.assertNothingStored(self.db):
                r = self.intake.post_clue(valid_clue(), token=token)
                self.assertError(r, 403, "forbidden", "Authorization")

    def test_bad_tokens_are_refused_and_nothing_is_stored(self):
        other_folder = gytest.os.path.join(S["folder"], "other-keys")
        gytest.os.makedirs(other_folder, exist_ok=True)
        other_secret, _ = gytest.token_keys(other_folder)
        good = gytest.issue_token(S["token_secret"], "vol-7", "volunteer", "140213")
        expired = gytest.issue_token(S["token_secret"], "vol-8", "volunteer", "140213", ttl=1)
        forged = gytest.issue_token(other_secret, "vol-9", "volunteer", "140213")
        head, claims, sig = good.split(".")
        tampered = ".".join([head, claims, sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")])
        time.sleep(2.2)  # let the 1-second token expire
        cases = {
            "garbage": {"Authorization": "Bearer not-a-token"},
            "empty bearer": {"Authorization": "Bearer "},
            "other key": {"Authorization": "Bearer " + forged},
            "tampered signature": {"Authorization": "Bearer " + tampered},
            "expired": {"Authorization": "Bearer " + expired},
            "not bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
        }
        for name, headers in cases.items():
            with self.subTest(name), self.assertNothingStored(self.db):
                r = self.intake.post_clue(valid_clue(), headers=headers)
                self.assertError(r, 401, "invalid_token", fields={None, "Authorization"})

    def test_without_a_public_key_every_token_is_refused(self):
        if "intake2" not in S:
            S["intake2"] = gytest.Intake(S["folder"], "intake-http-nokey", S["dbname"]).start()
        token = gytest.issue_token(S["token_secret"], "vol-1024", "volunteer", "140213")
        with self.assertNothingStored(self.db):
            r = S["intake2"].post_clue(valid_clue(), token=token)
            self.assertError(r, 401, "invalid_token", fields={None, "Authorization"})
        self.assertCreated(S["intake2"].post_clue(valid_clue()))


class OperatorTest(IntakeTestCase):

    def setUp(self):
        self.intake = S["intake"]
        self.db = S["db"]

    def test_healthz(self):
        r = self.intake.get("/healthz")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual((body.get("status"), body.get("postgres"), body.get("redis")),
                         ("ok", "ok", "ok"), body)

    def test_metrics(self):
        self.assertCreated(self.intake.post_clue(valid_clue()))
        r = self.intake.get("/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers.get("content-type", "").startswith("text/plain"), r.headers)
        text = r.body.decode("utf-8")
        committed = gytest.metric_value(text, "gy_clues_committed_total")
        self.assertIsNotNone(committed, "gy_clues_committed_total missing:\n" + text)
        stored = self.db.scalar("SELECT count(*) FROM intake.clue WHERE producer = %s",
                                (self.intake.producer,))
        self.assertEqual(committed, stored)
        for name in ("gy_http_requests_total", "gy_commit_batches_total", "gy_outbox_lag",
                     "gy_redis_up", "gy_postgres_up"):
            self.assertIsNotNone(gytest.metric_value(text, name), name + " missing:\n" + text)
        self.assertEqual(gytest.metric_value(text, "gy_postgres_up"), 1)
        self.assertEqual(gytest.metric_value(text, "gy_redis_up"), 1)
        self.assertIn("gy_http_request_duration_seconds_bucket", text)
        self.assertGreaterEqual(gytest.metric_value(
            text, "gy_http_requests_total", {"status": "201"}) or 0, 1)

    def test_sigterm_stops_cleanly(self):
        extra = gytest.Intake(S["folder"], "intake-http-term", S["dbname"]).start()
        try:
            self.assertCreated(extra.post_clue(valid_clue()))
            self.assertEqual(extra.stop(), 0, "exit status after SIGTERM; log:\n"
                             + extra.log_tail())
        finally:
            extra.kill()


if __name__ == "__main__":
    unittest.main()
