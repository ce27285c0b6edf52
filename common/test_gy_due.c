/*  test_gy_due — due work against a real PostgreSQL (started by the test,
 *  scripts/lib/cluster.sh): rows fire when the process clock reaches their
 *  due time, never before, each exactly once with its event even with two
 *  scanners on two connections, in batches.  The clock is frozen on fixed
 *  dates (gy_clock): the database's now() plays no part. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_clock.h"
#include "gy_due.h"
#include "gy_pg.h"
#include "gy_util.h"

static char s_dir[256];
static char s_conninfo[256];
static char s_cluster[512];

/*  What a service would have: a table of due rows and an outbox. */
static const char s_schema[] =
    "CREATE SCHEMA d;"
    "CREATE TABLE d.reminder (id int PRIMARY KEY, due_at timestamptz NOT NULL,"
    "                         fired_at timestamptz);"
    "CREATE INDEX reminder_due ON d.reminder (due_at) WHERE fired_at IS NULL;"
    "CREATE TABLE d.outbox (sequence bigserial PRIMARY KEY, producer text NOT NULL,"
    "    event_id uuid NOT NULL, type text NOT NULL, time_ms bigint NOT NULL,"
    "    trace_id text NOT NULL, procuratorate text NOT NULL, body bytea NOT NULL);";
static const char s_sql_due[] =
    "SELECT id, (extract(epoch FROM due_at) * 1000)::bigint FROM d.reminder"
    " WHERE fired_at IS NULL AND due_at <= to_timestamp($1::bigint / 1000.0)"
    " ORDER BY due_at LIMIT $2::int";
static const char s_sql_fire[] =
    "WITH fired AS (UPDATE d.reminder SET fired_at = to_timestamp($2::bigint / 1000.0)"
    "                WHERE id = $1::int AND fired_at IS NULL RETURNING 1)"
    " INSERT INTO d.outbox (producer, event_id, type, time_ms, trace_id, procuratorate, body)"
    " SELECT $3, $4::uuid, 'Heartbeat', $5::bigint, $6, $7, $8::bytea FROM fired"
    " RETURNING sequence";

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/gy-test-due-XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    snprintf(s_cluster, sizeof s_cluster, "%s/scripts/lib/cluster.sh", GY_SOURCE_DIR);
    FILE *p = popen("/usr/bin/python3 -c 'import socket; s=socket.socket(); "
                    "s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])'",
                    "r");
    int port = 0;
    if (!p || fscanf(p, "%d", &port) != 1)
        return -1;
    pclose(p);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s pg-start %s/pg %d", s_cluster, s_dir, port);
    if (system(cmd) != 0)
        return -1;
    snprintf(s_conninfo, sizeof s_conninfo,
             "host=127.0.0.1 port=%d dbname=gongyi user=gongyi connect_timeout=5", port);
    gy_pg_session_t *session = gy_pg_session_new(s_conninfo);
    if (!session)
        return -1;
    int rc = gy_pg_session_exec(session, s_schema, 0, NULL, NULL);
    gy_pg_session_destroy(&session);
    return rc;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "%s pg-destroy %s/pg >/dev/null; rm -rf %s", s_cluster, s_dir, s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int64_t s_sql_int(const char *sql)
{
    gy_pg_session_t *session = gy_pg_session_new(s_conninfo);
    assert_non_null(session);
    gy_pg_result_t *res = NULL;
    assert_int_equal(gy_pg_session_exec(session, sql, 0, NULL, &res), 0);
    int64_t v = res && gy_pg_ntuples(res) == 1 ? strtoll(gy_pg_value(res, 0, 0), NULL, 10) : -1;
    gy_pg_result_free(&res);
    gy_pg_session_destroy(&session);
    return v;
}

static int s_packed;

/*  The event of a reminder: its id and due time as text (any bytes do). */
static int s_pack(void *arg, const gy_pg_result_t *res, int row, int64_t now_ms,
                  gy_due_event_t *event)
{
    (void)arg;
    (void)now_ms;
    event->type = "Heartbeat";
    snprintf(event->procuratorate, sizeof event->procuratorate, "140213");
    char *text = gy_sprintf("%s@%s", gy_pg_value(res, row, 0), gy_pg_value(res, row, 1));
    event->body_len = strlen(text);
    event->body = (uint8_t *)text;
    s_packed++;
    return 0;
}

typedef struct {
    gy_pg_t *reader;
    gy_pg_t *writer;
    gy_due_t *due;
} s_scanner_t;

static void s_scanner_new(s_scanner_t *s, uv_loop_t *loop, int batch)
{
    s->reader = gy_pg_new(loop, s_conninfo, "reader");
    s->writer = gy_pg_new(loop, s_conninfo, "writer");
    gy_pg_prepare(s->reader, "reminders_due", s_sql_due);
    gy_pg_prepare(s->writer, "reminder_fire", s_sql_fire);
    gy_pg_start(s->reader, NULL, NULL);
    gy_pg_start(s->writer, NULL, NULL);
    gy_due_config_t c = {
        .name = "reminder",
        .due_stmt = "reminders_due",
        .fire_stmt = "reminder_fire",
        .key_columns = 1,
        .pack = s_pack,
        .producer = "test-1",
        .reader = s->reader,
        .writer = s->writer,
        .interval_ms = 0, /* poked by the test */
        .batch = batch,
    };
    s->due = gy_due_new(loop, &c);
    uint64_t deadline = gy_mono_ns() + 20ull * 1000000000u;
    while ((!gy_pg_up(s->reader) || !gy_pg_up(s->writer)) && gy_mono_ns() < deadline)
        uv_run(loop, UV_RUN_ONCE);
    assert_true(gy_pg_up(s->reader) && gy_pg_up(s->writer));
}

static void s_scanner_destroy(s_scanner_t *s)
{
    gy_pg_destroy(&s->reader);
    gy_pg_destroy(&s->writer);
    gy_due_destroy(&s->due);
}

/*  Runs the loop until the outbox holds `events` rows (or 20 s), then a
 *  little longer so that nothing more would come unnoticed. */
static void s_settle(uv_loop_t *loop, int64_t events)
{
    uint64_t deadline = gy_mono_ns() + 20ull * 1000000000u;
    while (s_sql_int("SELECT count(*) FROM d.outbox") < events && gy_mono_ns() < deadline)
        uv_run(loop, UV_RUN_NOWAIT);
    deadline = gy_mono_ns() + 300ull * 1000000u;
    while (gy_mono_ns() < deadline)
        uv_run(loop, UV_RUN_NOWAIT);
}

static void test_fires_when_due_by_the_clock_once(void **state)
{
    (void)state;
    /*  Reminders due from Friday 18:00 to Monday 09:00 Beijing time. */
    s_sql_int("INSERT INTO d.reminder (id, due_at) VALUES"
              " (1, '2026-11-27 18:00+08'), (2, '2026-11-28 07:00+08'),"
              " (3, '2026-11-29 23:30+08'), (4, '2026-11-30 09:00+08') RETURNING 0");
    uv_loop_t loop;
    uv_loop_init(&loop);
    s_scanner_t a, b;
    s_scanner_new(&a, &loop, 0);
    s_scanner_new(&b, &loop, 0);

    /*  Saturday noon: two due.  Both scanners read them; each fires once. */
    gy_clock_set_ms(gy_clock_parse_iso("2026-11-28T12:00:00+08:00"));
    gy_due_poke(a.due);
    gy_due_poke(b.due);
    s_settle(&loop, 2);
    assert_int_equal(s_sql_int("SELECT count(*) FROM d.outbox"), 2);
    assert_int_equal(gy_due_fired(a.due) + gy_due_fired(b.due), 2);
    assert_int_equal(s_sql_int("SELECT count(DISTINCT body) FROM d.outbox"), 2);
    /*  fired_at is the process clock's. */
    assert_int_equal(s_sql_int("SELECT count(*) FROM d.reminder"
                               " WHERE fired_at = '2026-11-28 12:00+08'"),
                     2);
    /*  Again and again: nothing more. */
    gy_due_poke(a.due);
    gy_due_poke(b.due);
    s_settle(&loop, 2);
    assert_int_equal(s_sql_int("SELECT count(*) FROM d.outbox"), 2);

    /*  Monday 09:00 exactly: the other two. */
    gy_clock_set_ms(gy_clock_parse_iso("2026-11-30T09:00:00+08:00"));
    gy_due_poke(b.due);
    gy_due_poke(a.due);
    s_settle(&loop, 4);
    assert_int_equal(s_sql_int("SELECT count(*) FROM d.outbox"), 4);
    assert_int_equal(s_sql_int("SELECT count(*) FROM d.reminder WHERE fired_at IS NULL"), 0);
    assert_int_equal(gy_due_fired(a.due) + gy_due_fired(b.due), 4);

    s_scanner_destroy(&a);
    s_scanner_destroy(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    gy_clock_reset();
}

static void test_batches(void **state)
{
    (void)state;
    s_sql_int("DELETE FROM d.outbox; DELETE FROM d.reminder;"
              " INSERT INTO d.reminder (id, due_at)"
              " SELECT g, '2026-10-01 00:00+08'::timestamptz + g * interval '1 minute'"
              "   FROM generate_series(1, 230) g RETURNING 0");
    uv_loop_t loop;
    uv_loop_init(&loop);
    s_scanner_t a;
    s_scanner_new(&a, &loop, 50);
    gy_clock_set_ms(gy_clock_parse_iso("2026-10-08T00:00:00+08:00"));
    s_packed = 0;
    /*  One poke: a full batch is followed by the next at once. */
    gy_due_poke(a.due);
    s_settle(&loop, 230);
    assert_int_equal(s_sql_int("SELECT count(*) FROM d.outbox"), 230);
    assert_int_equal(s_packed, 230);
    /*  Oldest first: the outbox's order is the due order. */
    assert_int_equal(s_sql_int("SELECT count(*) FROM (SELECT sequence, body, lag(body) OVER"
                               " (ORDER BY sequence) AS prev FROM d.outbox) x"
                               " WHERE prev IS NOT NULL AND"
                               " split_part(convert_from(prev, 'UTF8'), '@', 2)::bigint >"
                               " split_part(convert_from(body, 'UTF8'), '@', 2)::bigint"),
                     0);
    s_scanner_destroy(&a);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    gy_clock_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fires_when_due_by_the_clock_once),
        cmocka_unit_test(test_batches),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
