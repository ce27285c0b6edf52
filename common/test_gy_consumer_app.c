/*  gy-test-consumer — the smallest service that consumes the bus with
 *  gy_consumer, for tests/test_consumer.py: every ClueReceived becomes one
 *  row of probe.applied, in the same transaction as the position, so the
 *  test can count what was applied how often and in which order, across
 *  kill -9 of this process and of the producers.
 *
 *  Environment: GY_PG_DSN, GY_SOURCES (and the other consumer variables),
 *  GY_HTTP_PORT (GET /healthz, GET /metrics), GY_LOG_LEVEL,
 *  GY_TEST_MAX_BATCH (events per transaction, default gy_consumer's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "gy_bus.h"
#include "gy_config.h"
#include "gy_consumer.h"
#include "gy_http.h"
#include "gy_metrics.h"
#include "gy_pg.h"
#include "gy_service.h"
#include "gy_util.h"

/*  What a consuming service puts in its own migration (gy_consumer.h),
 *  plus the probe's effect table.  No unique key on (producer, sequence):
 *  a double apply must show as two rows, not as a failed transaction. */
static const char s_migration[] =
    "CREATE SCHEMA IF NOT EXISTS probe;"
    "CREATE TABLE probe.consumed (producer text PRIMARY KEY, last_sequence bigint NOT NULL);"
    "CREATE TABLE probe.applied (id bigserial PRIMARY KEY, producer text NOT NULL,"
    " sequence bigint NOT NULL, clue_id text NOT NULL, applied_at timestamptz NOT NULL"
    " DEFAULT now());";
static const gy_pg_migration_t s_migrations[] = {{"0001_probe.sql", s_migration}};

static const char s_sql_apply[] =
    "INSERT INTO probe.applied (producer, sequence, clue_id) VALUES ($1, $2::bigint, $3)";

typedef struct {
    uv_loop_t *loop;
    gy_metrics_t *metrics;
    gy_pg_t *pg;
    gy_bus_t *bus;
    gy_consumer_t *consumer;
    gy_http_server_t *http;
} s_app_t;

static void s_apply(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    const Gongyi__V1__Envelope *env = event->envelope;
    if (env->body_case != GONGYI__V1__ENVELOPE__BODY_CLUE_RECEIVED)
        return;
    char seq[24];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)event->sequence);
    const char *values[] = {event->producer, seq, env->clue_received->clue_id};
    gy_pg_tx_add(tx, "probe_apply", 3, values, NULL);
}

static void s_on_request(gy_http_request_t *req, void *arg)
{
    s_app_t *self = arg;
    const char *path = gy_http_path(req);
    if (strcmp(path, "/metrics") == 0) {
        char *text = gy_metrics_render(self->metrics);
        gy_http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, text,
                        strlen(text));
        free(text);
    } else if (strcmp(path, "/healthz") == 0) {
        bool up = gy_pg_up(self->pg);
        const char *body = up ? "{\"status\":\"ok\"}" : "{\"status\":\"unavailable\"}";
        gy_http_respond(req, up ? 200 : 503, NULL, NULL, body, strlen(body));
    } else {
        gy_http_respond_error(req, 404, "not_found", "no such resource", NULL);
    }
}

static void s_on_pg_state(void *arg, bool up)
{
    s_app_t *self = arg;
    if (up)
        gy_consumer_pg_up(self->consumer);
}

static void s_stop(void *arg)
{
    s_app_t *self = arg;
    gy_http_server_destroy(&self->http);
    gy_pg_destroy(&self->pg);
    gy_consumer_destroy(&self->consumer);
    gy_bus_destroy(&self->bus);
}

int main(void)
{
    if (gy_log_init("test-consumer", getenv("GY_LOG_LEVEL")) < 0)
        return 1;
    const char *dsn = gy_config_str("GY_PG_DSN", "host=127.0.0.1 dbname=gongyi user=gongyi");
    int64_t port, max_batch;
    if (gy_config_int("GY_HTTP_PORT", 0, 0, 65535, &port) < 0 ||
        gy_config_int("GY_TEST_MAX_BATCH", 0, 0, 100000, &max_batch) < 0)
        return 1;
    gy_pg_session_t *session = gy_pg_session_new(dsn);
    if (!session)
        return 1;
    int rc = gy_pg_migrate(session, "probe", s_migrations, 1);
    gy_pg_session_destroy(&session);
    if (rc < 0)
        return 1;

    uv_loop_t loop;
    uv_loop_init(&loop);
    s_app_t app = {.loop = &loop};
    app.metrics = gy_metrics_new();
    app.pg = gy_pg_new(&loop, dsn, "pg consumer");
    gy_consumer_prepare("probe", app.pg);
    gy_pg_prepare(app.pg, "probe_apply", s_sql_apply);
    app.bus = gy_bus_new(&loop, NULL, NULL);
    gy_consumer_config_t config = {
        .schema = "probe",
        .max_batch = (size_t)max_batch,
        .pg = app.pg,
        .bus = app.bus,
        .metrics = app.metrics,
        .apply = s_apply,
        .arg = &app,
    };
    app.consumer = app.bus ? gy_consumer_new(&loop, &config) : NULL;
    gy_http_config_t http_config = {.host = "127.0.0.1", .port = (int)port};
    app.http = app.consumer ? gy_http_server_new(&loop, &http_config, s_on_request, &app) : NULL;
    if (!app.http) {
        s_stop(&app);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        gy_metrics_destroy(&app.metrics);
        return 1;
    }
    gy_pg_start(app.pg, s_on_pg_state, &app);
    rc = gy_service_run(&loop, s_stop, &app);
    gy_metrics_destroy(&app.metrics);
    return rc == 0 ? 0 : 1;
}
