/*  Unit test of gy_pg against a real PostgreSQL that the test starts for
 *  itself (scripts/lib/cluster.sh) on a free port: transactions commit
 *  whole or not at all, results arrive in order, and a lost server is
 *  reported, then reconnected to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gy_pg.h"
#include "gy_pgpool.h"
#include "gy_util.h"

static char s_dir[256];
static char s_conninfo[256];
static char s_cluster[512];

static int s_sh(const char *fmt, const char *arg1, const char *arg2)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, arg1, arg2);
    return system(cmd);
}

static int s_setup(void **state)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/gy-test-pg-XXXXXX");
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
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/pg", s_dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s pg-start %s %s", s_cluster, dir, port_s);
    if (system(cmd) != 0)
        return -1;
    snprintf(s_conninfo, sizeof s_conninfo,
             "host=127.0.0.1 port=%d dbname=gongyi user=gongyi connect_timeout=5", port);
    gy_pg_session_t *session = gy_pg_session_new(s_conninfo);
    if (!session)
        return -1;
    int rc =
        gy_pg_session_exec(session, "CREATE TABLE t (k int PRIMARY KEY, v text)", 0, NULL, NULL);
    gy_pg_session_destroy(&session);
    return rc;
}

static int s_teardown(void **state)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/pg", s_dir);
    s_sh("%s pg-destroy %s >/dev/null", s_cluster, dir);
    s_sh("rm -rf %s%s", s_dir, "");
    return 0;
}

typedef struct {
    uv_loop_t *loop;
    gy_pg_t *pg;
    int ups;
    int downs;
    gy_pg_status_t status;
    int done;
    char sqlstate[6];
    char values[8][32];
    size_t nvalues;
} s_ctx_t;

static void s_on_state(void *arg, bool up)
{
    s_ctx_t *ctx = arg;
    if (up)
        ctx->ups++;
    else
        ctx->downs++;
}

static void s_on_result(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_ctx_t *ctx = arg;
    if (gy_pg_ntuples(res) > 0 && ctx->nvalues < 8)
        snprintf(ctx->values[ctx->nvalues++], 32, "%zu:%s", index, gy_pg_value(res, 0, 0));
}

static void s_on_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_ctx_t *ctx = arg;
    ctx->status = status;
    snprintf(ctx->sqlstate, sizeof ctx->sqlstate, "%s", sqlstate);
    ctx->done++;
}

static void s_run_until(s_ctx_t *ctx, int *counter, int target)
{
    uint64_t deadline = gy_mono_ns() + 20ull * 1000000000u;
    while (*counter < target && gy_mono_ns() < deadline)
        uv_run(ctx->loop, UV_RUN_ONCE);
    assert_true(*counter >= target);
}

static void s_start(s_ctx_t *ctx, uv_loop_t *loop)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->loop = loop;
    uv_loop_init(loop);
    ctx->pg = gy_pg_new(loop, s_conninfo, "test");
    gy_pg_prepare(ctx->pg, "put", "INSERT INTO t (k, v) VALUES ($1::int, $2) RETURNING k");
    gy_pg_prepare(ctx->pg, "get", "SELECT v FROM t WHERE k = $1::int");
    gy_pg_prepare(ctx->pg, "backend", "SELECT pg_backend_pid()");
    gy_pg_start(ctx->pg, s_on_state, ctx);
    s_run_until(ctx, &ctx->ups, 1);
}

static void s_stop(s_ctx_t *ctx)
{
    gy_pg_destroy(&ctx->pg);
    uv_run(ctx->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(ctx->loop), 0);
}

static void s_put(gy_pg_tx_t *tx, const char *k, const char *v)
{
    const char *params[] = {k, v};
    gy_pg_tx_add(tx, "put", 2, params, NULL);
}

static void test_transaction_commits_whole(void **state)
{
    uv_loop_t loop;
    s_ctx_t ctx;
    s_start(&ctx, &loop);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    s_put(tx, "1", "一");
    s_put(tx, "2", "二");
    const char *k[] = {"1"};
    gy_pg_tx_add(tx, "get", 1, k, NULL);
    assert_int_equal(gy_pg_run(ctx.pg, &tx, s_on_result, s_on_done, &ctx), 0);
    assert_null(tx);
    s_run_until(&ctx, &ctx.done, 1);
    assert_int_equal(ctx.status, GY_PG_OK);
    assert_int_equal(ctx.nvalues, 3);
    assert_string_equal(ctx.values[0], "0:1");
    assert_string_equal(ctx.values[1], "1:2");
    assert_string_equal(ctx.values[2], "2:一");
    s_stop(&ctx);
}

static void test_failed_statement_rolls_back_everything(void **state)
{
    uv_loop_t loop;
    s_ctx_t ctx;
    s_start(&ctx, &loop);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    s_put(tx, "10", "ten");
    s_put(tx, "1", "duplicate key"); /* committed by the test above */
    s_put(tx, "11", "eleven");
    assert_int_equal(gy_pg_run(ctx.pg, &tx, s_on_result, s_on_done, &ctx), 0);
    /*  A second transaction queued behind the failing one still runs. */
    gy_pg_tx_t *tx2 = gy_pg_tx_new();
    const char *k[] = {"10"};
    gy_pg_tx_add(tx2, "get", 1, k, NULL);
    s_ctx_t ctx2 = {.loop = &loop};
    assert_int_equal(gy_pg_run(ctx.pg, &tx2, s_on_result, s_on_done, &ctx2), 0);
    s_run_until(&ctx, &ctx.done, 1);
    s_run_until(&ctx2, &ctx2.done, 1);
    assert_int_equal(ctx.status, GY_PG_ERROR);
    assert_string_equal(ctx.sqlstate, "23505");
    assert_int_equal(ctx2.status, GY_PG_OK);
    assert_int_equal(ctx2.nvalues, 0); /* row 10 was rolled back */
    s_stop(&ctx);
}

static void test_lost_server_is_reported_and_reconnected(void **state)
{
    uv_loop_t loop;
    s_ctx_t ctx;
    s_start(&ctx, &loop);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "backend", 0, NULL, NULL);
    assert_int_equal(gy_pg_run(ctx.pg, &tx, s_on_result, s_on_done, &ctx), 0);
    s_run_until(&ctx, &ctx.done, 1);
    const char *pid = strchr(ctx.values[0], ':') + 1;
    /*  Kill our backend from another session, the way a server crash or a
     *  failover cuts a connection. */
    gy_pg_session_t *admin = gy_pg_session_new(s_conninfo);
    const char *params[] = {pid};
    assert_int_equal(
        gy_pg_session_exec(admin, "SELECT pg_terminate_backend($1::int)", 1, params, NULL), 0);
    gy_pg_session_destroy(&admin);
    /*  Work sent now is lost with the connection, and the loss is told. */
    s_ctx_t ctx2 = {.loop = &loop};
    gy_pg_tx_t *tx2 = gy_pg_tx_new();
    s_put(tx2, "20", "twenty");
    assert_int_equal(gy_pg_run(ctx.pg, &tx2, NULL, s_on_done, &ctx2), 0);
    s_run_until(&ctx2, &ctx2.done, 1);
    assert_true(ctx2.status == GY_PG_LOST || ctx2.status == GY_PG_DOWN);
    s_run_until(&ctx, &ctx.downs, 1);
    assert_false(gy_pg_up(ctx.pg));
    tx2 = gy_pg_tx_new();
    s_put(tx2, "21", "x");
    assert_int_equal(gy_pg_run(ctx.pg, &tx2, NULL, s_on_done, &ctx2), -1);
    assert_null(tx2);
    s_run_until(&ctx, &ctx.ups, 2);
    assert_true(gy_pg_up(ctx.pg));
    s_stop(&ctx);
}

/*  ---- migrations ---- */

static int s_count(gy_pg_session_t *session, const char *sql)
{
    gy_pg_result_t *res = NULL;
    assert_int_equal(gy_pg_session_exec(session, sql, 0, NULL, &res), 0);
    int n = atoi(gy_pg_value(res, 0, 0));
    gy_pg_result_free(&res);
    return n;
}

/*  A migration that was applied must not change: the next start refuses,
 *  and nothing of the new list is applied. */
static void test_changed_migration_is_refused(void **state)
{
    gy_pg_session_t *session = gy_pg_session_new(s_conninfo);
    gy_pg_migration_t v1[] = {{"0001_a.sql", "CREATE TABLE m1.a (k int)"}};
    assert_int_equal(gy_pg_migrate(session, "m1", v1, 1), 0);
    assert_int_equal(gy_pg_migrate(session, "m1", v1, 1), 0); /* again: nothing to do */
    gy_pg_migration_t v2[] = {{"0001_a.sql", "CREATE TABLE m1.a (k bigint)"},
                              {"0002_b.sql", "CREATE TABLE m1.b (k int)"}};
    assert_int_equal(gy_pg_migrate(session, "m1", v2, 2), -1);
    assert_int_equal(
        s_count(session,
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'm1' AND tablename = 'b'"),
        0);
    char sum[65];
    gy_pg_migration_checksum(v1[0].sql, sum);
    const char *params[] = {sum};
    gy_pg_result_t *res = NULL;
    assert_int_equal(gy_pg_session_exec(session,
                                        "SELECT count(*) FROM m1.gy_migrations WHERE name = "
                                        "'0001_a.sql' AND checksum = $1",
                                        1, params, &res),
                     0);
    assert_string_equal(gy_pg_value(res, 0, 0), "1");
    gy_pg_result_free(&res);
    gy_pg_session_destroy(&session);
}

/*  Functions live in repeatable files: applied after the numbered
 *  migrations wherever they are listed, again only when their text
 *  changes. */
static void test_repeatable_files_follow_their_text(void **state)
{
    gy_pg_session_t *session = gy_pg_session_new(s_conninfo);
    gy_pg_migration_t v1[] = {
        {"R__f.sql", "CREATE OR REPLACE FUNCTION m2.f() RETURNS int LANGUAGE sql AS 'SELECT 1';"
                     "INSERT INTO m2.runs VALUES (1)"},
        {"0001_runs.sql", "CREATE TABLE m2.runs (n int)"},
    };
    assert_int_equal(gy_pg_migrate(session, "m2", v1, 2), 0);
    assert_int_equal(s_count(session, "SELECT m2.f()"), 1);
    assert_int_equal(gy_pg_migrate(session, "m2", v1, 2), 0);
    assert_int_equal(s_count(session, "SELECT count(*) FROM m2.runs"),
                     1); /* unchanged: not re-run */
    gy_pg_migration_t v2[] = {
        {"R__f.sql", "CREATE OR REPLACE FUNCTION m2.f() RETURNS int LANGUAGE sql AS 'SELECT 2';"
                     "INSERT INTO m2.runs VALUES (2)"},
        {"0001_runs.sql", "CREATE TABLE m2.runs (n int)"},
    };
    assert_int_equal(gy_pg_migrate(session, "m2", v2, 2), 0);
    assert_int_equal(s_count(session, "SELECT m2.f()"), 2);
    assert_int_equal(s_count(session, "SELECT count(*) FROM m2.runs"), 2);
    gy_pg_session_destroy(&session);
}

/*  A database migrated before checksums were kept starts as before, and is
 *  protected from then on. */
static void test_ledger_without_checksums_upgrades(void **state)
{
    gy_pg_session_t *session = gy_pg_session_new(s_conninfo);
    assert_int_equal(gy_pg_session_exec(session,
                                        "CREATE SCHEMA m3; CREATE TABLE m3.a (k int);"
                                        "CREATE TABLE m3.gy_migrations (name text PRIMARY KEY,"
                                        " applied_at timestamptz NOT NULL DEFAULT now());"
                                        "INSERT INTO m3.gy_migrations (name) VALUES ('0001_a.sql')",
                                        0, NULL, NULL),
                     0);
    gy_pg_migration_t v1[] = {{"0001_a.sql", "CREATE TABLE m3.a (k int)"},
                              {"0002_b.sql", "CREATE TABLE m3.b (k int)"}};
    assert_int_equal(gy_pg_migrate(session, "m3", v1, 2), 0);
    assert_int_equal(s_count(session, "SELECT count(*) FROM m3.b"), 0);
    assert_int_equal(
        s_count(session, "SELECT count(*) FROM m3.gy_migrations WHERE checksum IS NOT NULL"), 2);
    gy_pg_migration_t v2[] = {{"0001_a.sql", "CREATE TABLE m3.a (k text)"},
                              {"0002_b.sql", "CREATE TABLE m3.b (k int)"}};
    assert_int_equal(gy_pg_migrate(session, "m3", v2, 2), -1);
    gy_pg_session_destroy(&session);
}

/*  A released migration's text may be superseded (dead code removed) by a
 *  text that names the applied checksum; the ledger then follows the new
 *  text.  A change that names no checksum, or another one, is refused. */
static void test_superseding_text_names_the_applied_checksum(void **state)
{
    gy_pg_session_t *session = gy_pg_session_new(s_conninfo);
    const char *old_sql = "CREATE TABLE m4.a (k int);"
                          "CREATE FUNCTION m4.dead() RETURNS int LANGUAGE sql AS 'SELECT 1'";
    gy_pg_migration_t v1[] = {{"0001_a.sql", old_sql}};
    assert_int_equal(gy_pg_migrate(session, "m4", v1, 1), 0);
    char old_sum[65];
    gy_pg_migration_checksum(old_sql, old_sum);

    /*  Another checksum, or a prefix of the right one: still refused. */
    char *wrong = gy_sprintf("-- gy:replaces-checksum %064d\nCREATE TABLE m4.a (k int)", 0);
    char short_sum[64]; /* all but the last hex digit */
    memcpy(short_sum, old_sum, 63);
    short_sum[63] = '\0';
    char *prefix = gy_sprintf("-- gy:replaces-checksum %s\nCREATE TABLE m4.a (k int)", short_sum);
    gy_pg_migration_t bad[] = {
        {"0001_a.sql", "CREATE TABLE m4.a (k int)"}, {"0001_a.sql", wrong}, {"0001_a.sql", prefix}};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(gy_pg_migrate(session, "m4", &bad[i], 1), -1);

    char *new_sql = gy_sprintf("-- the dead function is gone\n"
                               "-- gy:replaces-checksum %064d\n"
                               "-- gy:replaces-checksum %s\n"
                               "CREATE TABLE m4.a (k int)",
                               1, old_sum);
    gy_pg_migration_t v2[] = {{"0001_a.sql", new_sql}, {"0002_b.sql", "CREATE TABLE m4.b (k int)"}};
    assert_int_equal(gy_pg_migrate(session, "m4", v2, 2), 0);
    assert_int_equal(s_count(session, "SELECT count(*) FROM m4.b"), 0);
    /*  Not re-run: the old text's function is still there (a later
     *  migration drops what the new text no longer makes). */
    assert_int_equal(s_count(session, "SELECT m4.dead()"), 1);
    char new_sum[65];
    gy_pg_migration_checksum(new_sql, new_sum);
    const char *params[] = {new_sum};
    gy_pg_result_t *res = NULL;
    assert_int_equal(gy_pg_session_exec(session,
                                        "SELECT count(*) FROM m4.gy_migrations WHERE name = "
                                        "'0001_a.sql' AND checksum = $1",
                                        1, params, &res),
                     0);
    assert_string_equal(gy_pg_value(res, 0, 0), "1");
    gy_pg_result_free(&res);
    assert_int_equal(gy_pg_migrate(session, "m4", v2, 2), 0); /* again: nothing to do */
    /*  The old text itself is now a change. */
    gy_pg_migration_t v3[] = {{"0001_a.sql", old_sql}, {"0002_b.sql", "CREATE TABLE m4.b (k int)"}};
    assert_int_equal(gy_pg_migrate(session, "m4", v3, 2), -1);
    free(new_sql);
    free(prefix);
    free(wrong);
    gy_pg_session_destroy(&session);
}

/*  A pool sends each transaction to the member with the fewest pending:
 *  three slow transactions at once run on three connections (three
 *  backends), not one after another on the first. */
static void test_pool_spreads_transactions(void **state)
{
    (void)state;
    uv_loop_t loop;
    s_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.loop = &loop;
    uv_loop_init(&loop);
    gy_pg_t *members[3];
    gy_pgpool_t *pool = gy_pgpool_new();
    for (int i = 0; i < 3; i++) {
        members[i] = gy_pg_new(&loop, s_conninfo, "pool");
        gy_pgpool_add(pool, members[i]);
    }
    assert_int_equal(gy_pgpool_size(pool), 3);
    gy_pgpool_prepare(pool, "slow_backend", "SELECT pg_backend_pid() FROM pg_sleep(0.3)");
    /*  Nothing is up yet: the first member answers. */
    assert_false(gy_pgpool_up(pool));
    assert_ptr_equal(gy_pgpool_pick(pool), members[0]);
    for (int i = 0; i < 3; i++)
        gy_pg_start(members[i], s_on_state, &ctx);
    s_run_until(&ctx, &ctx.ups, 3);
    assert_true(gy_pgpool_up(pool));
    for (int i = 0; i < 3; i++) {
        gy_pg_tx_t *tx = gy_pg_tx_new();
        gy_pg_tx_add(tx, "slow_backend", 0, NULL, NULL);
        assert_int_equal(gy_pg_run(gy_pgpool_pick(pool), &tx, s_on_result, s_on_done, &ctx), 0);
    }
    s_run_until(&ctx, &ctx.done, 3);
    assert_int_equal(ctx.status, GY_PG_OK);
    assert_int_equal(ctx.nvalues, 3);
    assert_string_not_equal(ctx.values[0], ctx.values[1]);
    assert_string_not_equal(ctx.values[0], ctx.values[2]);
    assert_string_not_equal(ctx.values[1], ctx.values[2]);
    gy_pgpool_destroy(&pool);
    for (int i = 0; i < 3; i++)
        gy_pg_destroy(&members[i]);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    gy_log_init("test", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transaction_commits_whole),
        cmocka_unit_test(test_pool_spreads_transactions),
        cmocka_unit_test(test_failed_statement_rolls_back_everything),
        cmocka_unit_test(test_lost_server_is_reported_and_reconnected),
        cmocka_unit_test(test_changed_migration_is_refused),
        cmocka_unit_test(test_repeatable_files_follow_their_text),
        cmocka_unit_test(test_ledger_without_checksums_upgrades),
        cmocka_unit_test(test_superseding_text_names_the_applied_checksum),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
