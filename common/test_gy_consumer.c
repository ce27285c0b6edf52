/*  Unit test of gy_consumer's own rules: GY_SOURCES is parsed strictly,
 *  with messages that name the variable, and the position update
 *  (gy_consumer_tx_advance) against a real PostgreSQL that the test starts
 *  for itself: an insert on first sight, a move from the expected position
 *  only, and a stale position fails the whole transaction, effects
 *  included.  The consumer as a whole (sockets, replay, kill -9) is tested
 *  by tests/test_consumer.py against real intake instances. */
/* cmocka.h needs these first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* clang-format on */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gy_consumer.h"
#include "gy_pg.h"
#include "gy_util.h"

static char s_dir[256];
static char s_conninfo[256];
static char s_cluster[512];

static void test_sources_accepted(void **state)
{
    char why[512] = "";
    const char *good[] = {
        "tcp://intake:7101|tcp://intake:7102",
        "tcp://127.0.0.1:7101|tcp://127.0.0.1:7102,tcp://10.0.0.2:7111|tcp://10.0.0.2:7112",
        " tcp://intake-a:7101 | tcp://intake-a:7102 | /etc/gongyi/keys/intake ",
        "tcp://[::1]:7101|tcp://[::1]:7102",
        "ipc:///run/gongyi/events|ipc:///run/gongyi/replay",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        int rc = gy_consumer_sources_check(good[i], why, sizeof why);
        if (rc != 0)
            fail_msg("refused \"%s\": %s", good[i], why);
    }
}

static void test_sources_refused_with_the_variable_named(void **state)
{
    const char *bad[] = {
        NULL,
        "",
        "tcp://intake:7101",                    /* no replay endpoint */
        "tcp://intake|tcp://intake:7102",       /* no port */
        "tcp://intake:0|tcp://intake:7102",     /* port 0 */
        "tcp://intake:70000|tcp://intake:7102", /* port too big */
        "http://intake:7101|tcp://intake:7102", /* not ZeroMQ */
        "tcp://*:7101|tcp://intake:7102",       /* a bind address */
        "tcp://a:1|tcp://a:2|cert|extra",       /* four parts */
        "tcp://a:1|tcp://a:2,",                 /* an empty source */
        "tcp://a:1||tcp://a:2",                 /* an empty part */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char why[512] = "";
        if (gy_consumer_sources_check(bad[i], why, sizeof why) == 0)
            fail_msg("accepted \"%s\"", bad[i] ? bad[i] : "(unset)");
        if (!strstr(why, "GY_SOURCES"))
            fail_msg("message for \"%s\" does not name GY_SOURCES: %s", bad[i] ? bad[i] : "(unset)",
                     why);
    }
}

/*  ---- the position update, against PostgreSQL ---- */

static int s_setup_pg(void **state)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/gy-test-consumer-XXXXXX");
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
    snprintf(cmd, sizeof cmd, "sh %s pg-start %s/pg %d", s_cluster, s_dir, port);
    if (system(cmd) != 0)
        return -1;
    snprintf(s_conninfo, sizeof s_conninfo,
             "host=127.0.0.1 port=%d dbname=gongyi user=gongyi connect_timeout=5", port);
    gy_pg_session_t *session = gy_pg_session_new(s_conninfo);
    if (!session)
        return -1;
    /*  The table as gy_consumer.h tells a service to create it. */
    int rc = gy_pg_session_exec(session,
                                "CREATE SCHEMA svc;"
                                "CREATE TABLE svc.consumed (producer text PRIMARY KEY,"
                                " last_sequence bigint NOT NULL);"
                                "CREATE TABLE svc.effect (producer text, sequence bigint)",
                                0, NULL, NULL);
    gy_pg_session_destroy(&session);
    return rc;
}

static int s_teardown_pg(void **state)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "sh %s pg-destroy %s/pg >/dev/null; rm -rf %s", s_cluster, s_dir,
             s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

typedef struct {
    uv_loop_t loop;
    gy_pg_t *pg;
    int ups;
    int done;
    gy_pg_status_t status;
    char sqlstate[6];
} s_ctx_t;

static void s_on_state(void *arg, bool up)
{
    s_ctx_t *ctx = arg;
    ctx->ups += up;
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
        uv_run(&ctx->loop, UV_RUN_ONCE);
    assert_true(*counter >= target);
}

/*  Moves producer p from prev to next with one effect row; the status. */
static gy_pg_status_t s_advance(s_ctx_t *ctx, const char *p, uint64_t prev, uint64_t next)
{
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_consumer_tx_advance(tx, p, prev, next);
    char seq[24];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)next);
    const char *values[] = {p, seq};
    gy_pg_tx_add(tx, "effect", 2, values, NULL);
    int before = ctx->done;
    assert_int_equal(gy_pg_run(ctx->pg, &tx, NULL, s_on_done, ctx), 0);
    s_run_until(ctx, &ctx->done, before + 1);
    return ctx->status;
}

static long long s_scalar(const char *sql)
{
    gy_pg_session_t *session = gy_pg_session_new(s_conninfo);
    assert_non_null(session);
    gy_pg_result_t *res = NULL;
    assert_int_equal(gy_pg_session_exec(session, sql, 0, NULL, &res), 0);
    long long v = gy_pg_ntuples(res) ? atoll(gy_pg_value(res, 0, 0)) : -1;
    gy_pg_result_free(&res);
    gy_pg_session_destroy(&session);
    return v;
}

static void test_advance_moves_only_from_the_expected_position(void **state)
{
    s_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    uv_loop_init(&ctx.loop);
    ctx.pg = gy_pg_new(&ctx.loop, s_conninfo, "test");
    gy_consumer_prepare("svc", ctx.pg);
    gy_pg_prepare(ctx.pg, "effect",
                  "INSERT INTO svc.effect (producer, sequence) VALUES ($1, $2::bigint)");
    gy_pg_start(ctx.pg, s_on_state, &ctx);
    s_run_until(&ctx, &ctx.ups, 1);

    /*  First sight: inserted. */
    assert_int_equal(s_advance(&ctx, "intake-1", 0, 5), GY_PG_OK);
    assert_int_equal(s_scalar("SELECT last_sequence FROM svc.consumed WHERE producer = 'intake-1'"),
                     5);
    /*  From the stored position: moved. */
    assert_int_equal(s_advance(&ctx, "intake-1", 5, 9), GY_PG_OK);
    assert_int_equal(s_scalar("SELECT last_sequence FROM svc.consumed WHERE producer = 'intake-1'"),
                     9);
    /*  From a stale position (another instance moved it, or a lost commit
     *  did): the transaction fails, its effect with it. */
    assert_int_equal(s_advance(&ctx, "intake-1", 5, 12), GY_PG_ERROR);
    assert_string_equal(ctx.sqlstate, "23502");
    assert_int_equal(s_advance(&ctx, "intake-1", 0, 3), GY_PG_ERROR);
    assert_int_equal(s_scalar("SELECT last_sequence FROM svc.consumed WHERE producer = 'intake-1'"),
                     9);
    assert_int_equal(s_scalar("SELECT count(*) FROM svc.effect WHERE producer = 'intake-1'"), 2);
    /*  Producers are independent. */
    assert_int_equal(s_advance(&ctx, "intake-2", 0, 1), GY_PG_OK);
    assert_int_equal(s_scalar("SELECT count(*) FROM svc.consumed"), 2);

    gy_pg_destroy(&ctx.pg);
    uv_run(&ctx.loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&ctx.loop), 0);
}

int main(void)
{
    gy_log_init("test_gy_consumer", getenv("GY_LOG_LEVEL") ? getenv("GY_LOG_LEVEL") : "error");
    const struct CMUnitTest parsing[] = {
        cmocka_unit_test(test_sources_accepted),
        cmocka_unit_test(test_sources_refused_with_the_variable_named),
    };
    const struct CMUnitTest database[] = {
        cmocka_unit_test(test_advance_moves_only_from_the_expected_position),
    };
    int failed = cmocka_run_group_tests_name("sources", parsing, NULL, NULL);
    failed += cmocka_run_group_tests_name("positions", database, s_setup_pg, s_teardown_pg);
    return failed ? 1 : 0;
}
