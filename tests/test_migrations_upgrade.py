"""A database migrated by the release at f9c6853 and then started with this
build ends in the same schema as a fresh one, and works.

The released migrations built protobuf in SQL; their texts were edited to
drop that dead code, each listing the released text's checksum
(`-- gy:replaces-checksum`, docs/kit.md).  Two old databases are built from
the released texts (tests/fixtures/released_f9c6853): one with the ledger
as that release kept it (no checksums), one with the checksums the kit
records (as a build before the edit would have).  Both start with the
current intake and router, route a clue, and have the functions, tables,
indexes, constraints and triggers of a fresh database; no function of
either service builds protobuf bytes."""

import hashlib
import os
import re
import time
import unittest
import uuid

import gytest
from gytest import valid_clue

S = {}
HERE = os.path.dirname(os.path.abspath(__file__))
RELEASED = os.path.join(HERE, "fixtures", "released_f9c6853")
SOURCE = os.environ.get("GY_SOURCE_DIR", os.path.dirname(HERE))
SCHEMAS = ("intake", "router")

# What the database shows of a schema, each as sorted text rows.
CATALOG = {
    "functions": "SELECT pg_get_functiondef(p.oid) FROM pg_proc p"
                 " WHERE p.pronamespace = %(s)s::regnamespace",
    "columns": "SELECT table_name || '.' || column_name || ' ' || data_type || ' '"
               " || coalesce(column_default, '') || ' ' || is_nullable"
               " FROM information_schema.columns WHERE table_schema = %(s)s",
    "indexes": "SELECT indexdef FROM pg_indexes WHERE schemaname = %(s)s",
    "constraints": "SELECT conrelid::regclass || ' ' || conname || ' '"
                   " || pg_get_constraintdef(oid) FROM pg_constraint"
                   " WHERE connamespace = %(s)s::regnamespace",
    "triggers": "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE c.relnamespace = %(s)s::regnamespace AND NOT t.tgisinternal",
}


def released(schema):
    """(name, text) of the released migrations of schema, in order."""
    folder = os.path.join(RELEASED, schema)
    out = []
    for f in sorted(os.listdir(folder)):
        with open(os.path.join(folder, f), "rb") as fh:
            out.append((f[:-len(".released")], fh.read()))
    return out


def build_released(db, with_checksums):
    """The schemas as the release left them: its migrations applied and
    recorded in its ledger (with the kit's checksums when asked)."""
    for schema in SCHEMAS:
        db.query("CREATE SCHEMA %s" % schema)
        db.query("CREATE TABLE %s.gy_migrations (name text PRIMARY KEY,"
                 " applied_at timestamptz NOT NULL DEFAULT now())" % schema)
        if with_checksums:
            db.query("ALTER TABLE %s.gy_migrations ADD COLUMN checksum text" % schema)
        for name, text in released(schema):
            db.query(text.decode("utf-8"))
            if with_checksums:
                db.query("INSERT INTO " + schema + ".gy_migrations (name, checksum)"
                         " VALUES (%s, %s)", (name, hashlib.sha256(text).hexdigest()))
            else:
                db.query("INSERT INTO " + schema + ".gy_migrations (name) VALUES (%s)",
                         (name,))


def catalog(db):
    out = {}
    for schema in SCHEMAS:
        for what, sql in CATALOG.items():
            out["%s %s" % (schema, what)] = sorted(
                r[0] for r in db.query(sql, {"s": schema}))
    return out


class Site:
    """One database with an intake and a router on it."""

    def __init__(self, label, with_released=None):
        self.dbname = gytest.create_database("mig_" + label)
        self.db = gytest.Db(self.dbname)
        if with_released is not None:
            build_released(self.db, with_released)
        self.intake = gytest.Intake(S["folder"], "intake-" + label, self.dbname).start()
        self.router = gytest.Router(S["folder"], "router-" + label, self.dbname,
                                    [self.intake]).start()

    def stop(self):
        self.router.stop()
        self.intake.stop()
        self.db.close()
        gytest.drop_database(self.dbname)


def setUpModule():
    gytest.require_router_build()
    S["folder"] = gytest.run_dir("test_migrations_upgrade")
    S["fresh"] = Site("fresh")
    S["fresh_catalog"] = catalog(S["fresh"].db)


def tearDownModule():
    if "fresh" in S:
        S["fresh"].stop()


class UpgradeTest(gytest.IntakeTestCase):

    def assert_like_fresh(self, site):
        got = catalog(site.db)
        for key, rows in S["fresh_catalog"].items():
            self.assertEqual(got[key], rows, key)

    def assert_routes(self, site):
        r = site.intake.post_clue(valid_clue(description="升级后的线索。" + uuid.uuid4().hex),
                                  idem=str(uuid.uuid4()))
        self.assertEqual(r.status, 201, r)
        cid = r.json()["id"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            n = site.db.scalar("SELECT count(*) FROM router.clue WHERE id = %s", (cid,))
            if n == 1:
                break
            time.sleep(0.1)
        self.assertEqual(n, 1, site.router.log_tail())
        self.assertEqual(site.db.scalar(
            "SELECT count(*) FROM router.outbox WHERE type = 'ClueRouted'"), 1)

    def assert_ledger_follows_the_files(self, site):
        for schema in SCHEMAS:
            folder = os.path.join(SOURCE, "services", schema, "migrations")
            for f in sorted(os.listdir(folder)):
                with open(os.path.join(folder, f), "rb") as fh:
                    want = hashlib.sha256(fh.read()).hexdigest()
                got = site.db.scalar("SELECT checksum FROM " + schema + ".gy_migrations"
                                     " WHERE name = %s", (f,))
                self.assertEqual(got, want, "%s.%s" % (schema, f))

    def test_fresh_database_builds_no_protobuf_in_sql(self):
        db = S["fresh"].db
        for schema in SCHEMAS:
            rows = db.query(
                "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = %s::regnamespace"
                " AND (p.proname LIKE 'pb\\_%%' OR p.proname LIKE 'emit\\_%%'"
                "      OR p.prosrc ~ 'pb_|set_byte|\\\\x[0-9a-f]{2}')", (schema,))
            self.assertEqual(rows, [], schema)
        self.assert_routes(S["fresh"])

    def test_every_function_is_in_a_repeatable_file(self):
        """A change to a function is an edit of its R__ file: each function
        of the fresh schema is defined there."""
        for schema in SCHEMAS:
            folder = os.path.join(SOURCE, "services", schema, "migrations")
            text = ""
            for f in sorted(os.listdir(folder)):
                if f.startswith("R__"):
                    with open(os.path.join(folder, f), encoding="utf-8") as fh:
                        text += fh.read()
            names = S["fresh"].db.query(
                "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = %s::regnamespace",
                (schema,))
            self.assertTrue(names, schema)
            for (name,) in names:
                self.assertIn("CREATE OR REPLACE FUNCTION %s.%s(" % (schema, name), text)

    def test_no_migration_builds_protobuf(self):
        """Issue 8: grep finds no protobuf building in any .sql file."""
        pattern = re.compile(r"pb_varint|pb_string|\\x32|\\x38|set_byte")
        for service in ("intake", "router"):
            folder = os.path.join(SOURCE, "services", service, "migrations")
            for f in sorted(os.listdir(folder)):
                with open(os.path.join(folder, f), encoding="utf-8") as fh:
                    for n, line in enumerate(fh, 1):
                        self.assertIsNone(pattern.search(line), "%s:%d: %s" % (f, n, line))

    def test_released_database_without_checksums_upgrades(self):
        site = Site("old", with_released=False)
        try:
            self.assert_routes(site)
            self.assert_ledger_follows_the_files(site)
            self.assert_like_fresh(site)
        finally:
            site.stop()

    def test_released_texts_with_checksums_are_superseded(self):
        site = Site("oldsum", with_released=True)
        try:
            self.assertIn("its text replaces the applied one", site.router.log_text())
            self.assertIn("its text replaces the applied one", site.intake.log_text())
            self.assert_routes(site)
            self.assert_ledger_follows_the_files(site)
            self.assert_like_fresh(site)
        finally:
            site.stop()


if __name__ == "__main__":
    unittest.main()
