/*  router_server — see router_server.h. */
#include "router_server.h"

#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_bus.h"
#include "gy_calendar.h"
#include "gy_config.h"
#include "gy_consumer.h"
#include "gy_crypto.h"
#include "gy_http.h"
#include "gy_metrics.h"
#include "gy_outbox.h"
#include "gy_pg.h"
#include "gy_ratelimit.h"
#include "gy_redis.h"
#include "gy_refdata.h"
#include "gy_token.h"
#include "gy_util.h"
#include "router_api.h"
#include "router_deadline.h"
#include "router_jurisdiction.h"
#include "router_rules.h"
#include "router_simhash.h"
#include "router_store.h"

extern const gy_pg_migration_t router_migrations[];
extern const size_t router_migrations_count;

static const char s_sql_positions[] =
    "SELECT producer, last_sequence FROM router.consumed ORDER BY producer";

struct router_server {
    uv_loop_t *loop;
    /* configuration */
    char *conninfo;
    char *producer;
    int64_t max_distance;
    int64_t window_days;
    int64_t near_m;
    int64_t scan_ms;
    bool assessment_on; /* GY_ASSESSMENT=on: new matters go to assessors first */
    int64_t assessors;  /* k */
    int64_t assessment_due_s;
    /* the volunteer registry (router_api): on when a seal key is configured */
    bool registry_on;
    uint8_t seal_key[GY_SEAL_KEY_BYTES];
    bool has_token_public, has_token_secret;
    uint8_t token_public[GY_TOKEN_PUBLIC_KEY_BYTES];
    uint8_t token_secret[GY_TOKEN_SECRET_KEY_BYTES];
    int64_t token_ttl_s;
    int64_t apply_per_hour;
    int64_t login_per_min;
    /* parts, in start order */
    gy_refdata_t *refdata;
    router_rules_t *rules;
    router_jurisdiction_t *jurisdiction;
    gy_calendar_t *calendar;      /* the file's, until the deadlines take it */
    router_deadline_t *deadlines; /* the reporter's deadlines and the calendar */
    gy_metrics_t *metrics;
    gy_pg_t *writer; /* consumer transactions: routing, deadlines */
    gy_pg_t *relay;  /* the outbox relay */
    gy_pg_t *reader; /* replay, health, the deadline scan */
    gy_bus_t *bus;
    gy_bus_socket_t *events; /* PUB */
    gy_bus_socket_t *replay; /* ROUTER */
    gy_outbox_t *outbox;
    router_store_t *store;
    gy_consumer_t *consumer;
    gy_pg_t *api_pg;   /* the volunteer registry's requests */
    gy_redis_t *redis; /* rate limits only */
    gy_ratelimit_t *limiter;
    router_api_t *api; /* NULL while the registry is off */
    gy_http_server_t *http;
    bool stopped;
};

/*  ---- start-up ---- */

/*  The volunteer registry seals personal data, so it runs only with a seal
 *  key; without one the router still routes clues and the registry's
 *  endpoints answer 503.  Logins are signed with the token secret key, and
 *  bearer tokens checked with the public key (gy-token keygen). */
static int s_load_registry_config(router_server_t *self)
{
    const char *seal = gy_config_str("GY_SEAL_KEY_FILE", NULL);
    self->registry_on = seal != NULL;
    if (!seal)
        gy_log_warning("the router's API (volunteers, routed clues) is off: GY_SEAL_KEY_FILE is "
                       "not set (its endpoints answer 503); clues are routed all the same");
    else if (gy_crypto_load_key(seal, self->seal_key) < 0)
        return -1;
    const char *pk = gy_config_str("GY_TOKEN_PUBLIC_KEY_FILE", NULL);
    if (pk) {
        if (gy_token_load_key(pk, self->token_public, sizeof self->token_public) < 0)
            return -1;
        self->has_token_public = true;
    }
    const char *sk = gy_config_str("GY_TOKEN_SECRET_KEY_FILE", NULL);
    if (sk) {
        if (gy_token_load_key(sk, self->token_secret, sizeof self->token_secret) < 0)
            return -1;
        self->has_token_secret = true;
    }
    if (self->assessment_on && !self->registry_on) {
        gy_log_error("GY_ASSESSMENT=on needs the router's API, where assessors log in and "
                     "submit: set GY_SEAL_KEY_FILE");
        return -1;
    }
    return gy_config_int("GY_TOKEN_TTL_S", 12 * 3600, 60, 30 * 86400, &self->token_ttl_s) < 0 ||
                   gy_config_int("GY_RATE_LIMIT_APPLY_PER_HOUR", 10, 0, 1000000,
                                 &self->apply_per_hour) < 0 ||
                   gy_config_int("GY_RATE_LIMIT_LOGIN_PER_MIN", 10, 0, 1000000,
                                 &self->login_per_min) < 0
               ? -1
               : 0;
}

static int s_load_config(router_server_t *self)
{
    const char *dsn =
        gy_config_str("GY_PG_DSN", "host=127.0.0.1 port=5432 dbname=gongyi user=gongyi");
    int failed = 0;
    char *password = gy_config_secret_file("GY_PG_PASSWORD_FILE", &failed);
    if (failed)
        return -1;
    self->conninfo = gy_pg_conninfo(dsn, password);
    free(password);
    self->producer = gy_strdup(gy_config_str("GY_PRODUCER", "router-1"));
    if (strlen(self->producer) > 64) {
        gy_log_error("invalid value for GY_PRODUCER: at most 64 characters");
        return -1;
    }
    const char *assessment = gy_config_str("GY_ASSESSMENT", "off");
    if (strcmp(assessment, "on") != 0 && strcmp(assessment, "off") != 0) {
        gy_log_error("invalid value for GY_ASSESSMENT: \"%s\" (on or off)", assessment);
        return -1;
    }
    self->assessment_on = strcmp(assessment, "on") == 0;
    if (gy_config_int("GY_ASSESSORS", 3, 1, 9, &self->assessors) < 0 ||
        gy_config_int("GY_ASSESSMENT_DUE_S", 72 * 3600, 1, 90 * 86400, &self->assessment_due_s) < 0)
        return -1;
    /*  The four 16-bit bands find every fingerprint within 3 bits
     *  (pigeonhole); more would need more bands. */
    if (gy_config_int("GY_DUP_MAX_DISTANCE", ROUTER_SIMHASH_MAX_DISTANCE, 0, 3,
                      &self->max_distance) < 0 ||
        gy_config_int("GY_DUP_WINDOW_DAYS", ROUTER_SIMHASH_WINDOW_DAYS, 0, 3650,
                      &self->window_days) < 0 ||
        gy_config_int("GY_DUP_NEAR_M", (int64_t)(ROUTER_NEAR_KM * 1000), 0, 100000, &self->near_m) <
            0 ||
        gy_config_int("GY_DEADLINE_SCAN_MS", 1000, 0, 3600000, &self->scan_ms) < 0)
        return -1;
    const char *refdir = gy_config_str("GY_REFDATA_DIR", GY_DEFAULT_REFDATA_DIR);
    self->refdata = gy_refdata_new(refdir);
    if (!self->refdata)
        return -1;
    char *default_rules = gy_sprintf("%s/triage_rules.csv", refdir);
    self->rules = router_rules_new(gy_config_str("GY_TRIAGE_RULES", default_rules), self->refdata);
    free(default_rules);
    if (!self->rules)
        return -1;
    self->jurisdiction = router_jurisdiction_new(self->refdata);
    char *default_calendar = gy_sprintf("%s/holidays.csv", refdir);
    self->calendar = gy_calendar_load(gy_config_str("GY_HOLIDAYS", default_calendar));
    free(default_calendar);
    if (!self->calendar)
        return -1;
    return s_load_registry_config(self);
}

/*  Containers start in any order: wait for PostgreSQL, within reason. */
static int s_prepare_database(router_server_t *self)
{
    int64_t timeout_s;
    if (gy_config_int("GY_PG_START_TIMEOUT_S", 120, 0, 86400, &timeout_s) < 0)
        return -1;
    gy_pg_session_t *session = gy_pg_session_wait(self->conninfo, timeout_s);
    if (!session)
        return -1;
    int rc = gy_pg_migrate(session, "router", router_migrations, router_migrations_count);
    if (rc == 0) {
        /*  The file's years replace those years in the database; a year
         *  loaded there since (docs/calendar.md) stays. */
        char *calendar = gy_calendar_json(self->calendar);
        const char *params[] = {calendar};
        rc = gy_pg_session_exec(session, "SELECT router.calendar_merge($1::json)", 1, params, NULL);
        free(calendar);
    }
    gy_pg_session_destroy(&session);
    return rc;
}

/*  ---- HTTP ---- */

typedef void(s_route_fn)(router_server_t *self, gy_http_request_t *req);

static void s_respond_json(gy_http_request_t *req, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    gy_http_respond(req, status, NULL, NULL, text, strlen(text));
    free(text);
    json_decref(body);
}

typedef struct {
    router_server_t *server;
    gy_http_request_t *req;
    json_t *consumed;
} s_health_t;

static void s_on_positions(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_health_t *h = arg;
    router_server_t *self = h->server;
    for (int r = 0; r < gy_pg_ntuples(res); r++) {
        const char *producer = gy_pg_value(res, r, 0);
        char labels[160];
        snprintf(labels, sizeof labels, "producer=\"%s\"", producer);
        json_object_set_new(
            h->consumed, producer,
            json_pack("{s:I,s:I}", "position",
                      (json_int_t)strtoll(gy_pg_value(res, r, 1), NULL, 10), "lag",
                      (json_int_t)gy_metrics_value(self->metrics, "gy_consumer_lag", labels)));
    }
}

static void s_on_positions_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_health_t *h = arg;
    router_server_t *self = h->server;
    bool ok = status == GY_PG_OK && gy_pg_up(self->writer) && gy_pg_up(self->relay);
    json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:I,s:o}", "status", ok ? "ok" : "unavailable",
                             "postgres", ok ? "ok" : "down", "producer", self->producer,
                             "assessment", self->assessment_on ? "on" : "off", "outbox_lag",
                             (json_int_t)gy_outbox_lag(self->outbox), "consumed", h->consumed);
    if (self->deadlines)
        json_object_set_new(body, "calendar", router_deadline_health(self->deadlines));
    s_respond_json(h->req, ok ? 200 : 503, body);
    free(h);
}

static void s_healthz(router_server_t *self, gy_http_request_t *req)
{
    s_health_t *h = gy_calloc(1, sizeof *h);
    h->server = self;
    h->req = req;
    h->consumed = json_object();
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "positions", 0, NULL, NULL);
    if (gy_pg_run(self->reader, &tx, s_on_positions, s_on_positions_done, h) < 0)
        s_on_positions_done(h, GY_PG_DOWN, "");
}

static void s_metrics(router_server_t *self, gy_http_request_t *req)
{
    gy_metrics_set(self->metrics, "gy_postgres_up", "", gy_pg_up(self->writer) ? 1 : 0);
    gy_metrics_set(self->metrics, "gy_outbox_lag", "", (double)gy_outbox_lag(self->outbox));
    char *text = gy_metrics_render(self->metrics);
    gy_http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, text, strlen(text));
    free(text);
}

typedef struct {
    const char *method;
    const char *path;
    const char *route;
    s_route_fn *fn;
} s_route_t;

static const s_route_t s_routes[] = {
    {"GET", "/healthz", "healthz", s_healthz},
    {"GET", "/metrics", "metrics", s_metrics},
    {NULL, NULL, NULL, NULL},
};

static void s_on_request(gy_http_request_t *req, void *arg)
{
    router_server_t *self = arg;
    const char *path = gy_http_path(req);
    for (const s_route_t *route = s_routes; route->method; route++) {
        if (strcmp(path, route->path) != 0)
            continue;
        gy_http_set_route(req, route->route);
        if (strcmp(gy_http_method(req), route->method) != 0) {
            gy_http_respond_error(req, 405, "method_not_allowed", "this method is not allowed here",
                                  NULL);
            return;
        }
        route->fn(self, req);
        return;
    }
    if (self->api && router_api_handle(self->api, req))
        return;
    if (!self->api && strncmp(path, "/api/", 5) == 0) {
        gy_http_respond_error(req, 503, "api_unavailable",
                              "the router's API is off on this instance (no GY_SEAL_KEY_FILE)",
                              NULL);
        return;
    }
    gy_http_respond_error(req, 404, "not_found", "no such resource", NULL);
}

/*  ---- bus and connections ---- */

static void s_on_replay(void *arg, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    router_server_t *self = arg;
    gy_outbox_replay(self->outbox, socket, msg);
}

static void s_on_writer_state(void *arg, bool up)
{
    router_server_t *self = arg;
    gy_metrics_set(self->metrics, "gy_postgres_up", "", up ? 1 : 0);
    if (up && self->consumer)
        gy_consumer_pg_up(self->consumer);
}

static void s_on_relay_state(void *arg, bool up)
{
    router_server_t *self = arg;
    if (up)
        gy_outbox_relay_up(self->outbox);
}

static int s_start_registry(router_server_t *self)
{
    int64_t redis_port;
    if (gy_config_int("GY_REDIS_PORT", 6379, 1, 65535, &redis_port) < 0)
        return -1;
    self->redis =
        gy_redis_new(self->loop, gy_config_str("GY_REDIS_HOST", "127.0.0.1"), (int)redis_port, 0);
    self->limiter = gy_ratelimit_new(self->loop, self->redis, "gy:rl:router:");
    self->api_pg = gy_pg_new(self->loop, self->conninfo, "pg api");
    router_api_prepare(self->api_pg);
    router_api_config_t api_config = {
        .pg = self->api_pg,
        .refdata = self->refdata,
        .seal_key = self->seal_key,
        .token_public = self->has_token_public ? self->token_public : NULL,
        .token_secret = self->has_token_secret ? self->token_secret : NULL,
        .token_ttl_s = self->token_ttl_s,
        .limiter = self->limiter,
        .apply_per_hour = (uint32_t)self->apply_per_hour,
        .login_per_min = (uint32_t)self->login_per_min,
        .producer = self->producer,
        .outbox = self->outbox,
        .assess_due_ms = self->assessment_due_s * 1000,
    };
    self->api = router_api_new(self->loop, &api_config);
    if (!self->api)
        return -1;
    gy_pg_start(self->api_pg, NULL, NULL);
    return 0;
}

static int s_start(router_server_t *self)
{
    self->metrics = gy_metrics_new();
    gy_metrics_describe(self->metrics, "gy_postgres_up", "gauge",
                        "1 while the router's database (PostgreSQL) is reachable.");

    self->writer = gy_pg_new(self->loop, self->conninfo, "pg writer");
    self->relay = gy_pg_new(self->loop, self->conninfo, "pg relay");
    self->reader = gy_pg_new(self->loop, self->conninfo, "pg reader");
    gy_outbox_prepare("router", self->relay, self->reader, NULL);
    gy_consumer_prepare("router", self->writer);
    router_store_prepare(self->writer, self->reader);
    gy_pg_prepare(self->reader, "positions", s_sql_positions);

    self->bus = gy_bus_new(self->loop, gy_config_str("GY_CURVE_SERVER_CERT", NULL),
                           gy_config_str("GY_CURVE_CLIENTS_DIR", NULL));
    if (!self->bus)
        return -1;
    self->events = gy_bus_bind(self->bus, GY_BUS_PUB,
                               gy_config_str("GY_BUS_EVENTS", "tcp://127.0.0.1:7201"), NULL, NULL);
    if (!self->events)
        return -1;
    gy_outbox_config_t outbox_config = {
        .schema = "router",
        .producer = self->producer,
        .relay = self->relay,
        .reader = self->reader,
        .events = self->events,
        .metrics = self->metrics,
    };
    self->outbox = gy_outbox_new(self->loop, &outbox_config);
    self->replay =
        gy_bus_bind(self->bus, GY_BUS_ROUTER,
                    gy_config_str("GY_BUS_REPLAY", "tcp://127.0.0.1:7202"), s_on_replay, self);
    if (!self->replay)
        return -1;
    router_deadline_config_t deadline_config = {
        .producer = self->producer,
        .interval_ms = (uint64_t)self->scan_ms,
        .writer = self->writer,
        .reader = self->reader,
        .outbox = self->outbox,
        .metrics = self->metrics,
    };
    self->deadlines = router_deadline_new(self->loop, &deadline_config, &self->calendar);
    router_store_config_t store_config = {
        .producer = self->producer,
        .rules = self->rules,
        .jurisdiction = self->jurisdiction,
        .max_distance = (int)self->max_distance,
        .window_ms = self->window_days * 86400000,
        .near_km = (double)self->near_m / 1000.0,
        .scan_interval_ms = (uint64_t)self->scan_ms,
        .assess_k = self->assessment_on ? (int)self->assessors : 0,
        .assess_due_ms = self->assessment_due_s * 1000,
        .writer = self->writer,
        .reader = self->reader,
        .outbox = self->outbox,
        .metrics = self->metrics,
        .deadlines = self->deadlines,
    };
    self->store = router_store_new(self->loop, &store_config);
    gy_consumer_config_t consumer_config = {
        .schema = "router",
        .sources = gy_config_str("GY_SOURCES", "tcp://127.0.0.1:7101|tcp://127.0.0.1:7102"),
        .pg = self->writer,
        .bus = self->bus,
        .metrics = self->metrics,
        .read = router_store_read,
        .read_result = router_store_read_result,
        .apply = router_store_apply,
        .result = router_store_result,
        .done = router_store_done,
        .arg = self->store,
    };
    self->consumer = gy_consumer_new(self->loop, &consumer_config);
    if (!self->consumer)
        return -1;

    int64_t port;
    if (gy_config_int("GY_HTTP_PORT", 8091, 0, 65535, &port) < 0)
        return -1;
    gy_http_config_t http_config = {
        .host = gy_config_str("GY_HTTP_HOST", "127.0.0.1"),
        .port = (int)port,
        .trusted_proxies = gy_config_str("GY_TRUSTED_PROXIES", ""),
        .metrics = self->metrics,
    };
    gy_pg_start(self->writer, s_on_writer_state, self);
    gy_pg_start(self->relay, s_on_relay_state, self);
    gy_pg_start(self->reader, NULL, NULL);
    if (self->registry_on && s_start_registry(self) < 0)
        return -1;
    self->http = gy_http_server_new(self->loop, &http_config, s_on_request, self);
    if (!self->http)
        return -1;
    gy_log_info("router %s: %zu triage rules; listening on http://%s:%d", self->producer,
                router_rules_count(self->rules), http_config.host, gy_http_server_port(self->http));
    return 0;
}

router_server_t *router_server_new(uv_loop_t *loop)
{
    router_server_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    /*  libsodium first: ids (gy_uuid), password hashing and sealing use it. */
    if (gy_crypto_init() < 0 || s_load_config(self) < 0 || s_prepare_database(self) < 0 ||
        s_start(self) < 0) {
        router_server_stop(self);
        router_server_destroy(&self);
        return NULL;
    }
    return self;
}

void router_server_stop(router_server_t *self)
{
    if (self->stopped)
        return;
    self->stopped = true;
    /*  Stop taking work, then fail what is in flight (the connections
     *  report to the consumer, the store and the outbox), then those. */
    gy_http_server_destroy(&self->http);
    router_api_destroy(&self->api);
    gy_pg_destroy(&self->api_pg);
    gy_ratelimit_destroy(&self->limiter);
    gy_redis_destroy(&self->redis);
    gy_pg_destroy(&self->writer);
    gy_pg_destroy(&self->relay);
    gy_pg_destroy(&self->reader);
    gy_consumer_destroy(&self->consumer);
    router_store_destroy(&self->store);
    router_deadline_destroy(&self->deadlines);
    gy_outbox_destroy(&self->outbox);
    gy_bus_destroy(&self->bus);
}

void router_server_destroy(router_server_t **self_p)
{
    assert(self_p);
    router_server_t *self = *self_p;
    if (!self)
        return;
    assert(self->stopped);
    gy_metrics_destroy(&self->metrics);
    gy_calendar_destroy(&self->calendar);
    router_jurisdiction_destroy(&self->jurisdiction);
    router_rules_destroy(&self->rules);
    gy_refdata_destroy(&self->refdata);
    free(self->producer);
    free(self->conninfo);
    free(self);
    *self_p = NULL;
}
