/*  router_server — see router_server.h. */
#include "router_server.h"

#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_calendar.h"
#include "gy_config.h"
#include "gy_crypto.h"
#include "gy_metrics.h"
#include "gy_node.h"
#include "gy_pg.h"
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

struct router_server {
    uv_loop_t *loop;
    gy_node_t *node;     /* connections, bus, outbox, consumer, Redis, HTTP: the kit's */
    gy_node_spec_t spec; /* s_spec, with Redis when the registry is on */
    /* configuration */
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
    /* parts */
    gy_refdata_t *refdata;
    router_rules_t *rules;
    router_jurisdiction_t *jurisdiction;
    gy_calendar_t *calendar;      /* the file's, until the deadlines take it */
    router_deadline_t *deadlines; /* the reporter's deadlines and the calendar */
    router_store_t *store;
    router_api_t *api; /* NULL while the registry is off */
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
    return gy_config_int("GY_TOKEN_TTL_S", INT64_C(12) * 3600, 60, INT64_C(30) * 86400,
                         &self->token_ttl_s) < 0 ||
                   gy_config_int("GY_RATE_LIMIT_APPLY_PER_HOUR", 10, 0, 1000000,
                                 &self->apply_per_hour) < 0 ||
                   gy_config_int("GY_RATE_LIMIT_LOGIN_PER_MIN", 10, 0, 1000000,
                                 &self->login_per_min) < 0
               ? -1
               : 0;
}

static int s_load_config(router_server_t *self)
{
    const char *assessment = gy_config_str("GY_ASSESSMENT", "off");
    if (strcmp(assessment, "on") != 0 && strcmp(assessment, "off") != 0) {
        gy_log_error("invalid value for GY_ASSESSMENT: \"%s\" (on or off)", assessment);
        return -1;
    }
    self->assessment_on = strcmp(assessment, "on") == 0;
    if (gy_config_int("GY_ASSESSORS", 3, 1, 9, &self->assessors) < 0 ||
        gy_config_int("GY_ASSESSMENT_DUE_S", INT64_C(72) * 3600, 1, INT64_C(90) * 86400,
                      &self->assessment_due_s) < 0)
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

/*  After the migrations: the file's calendar years replace those years in
 *  the database; a year loaded there since (docs/calendar.md) stays. */
static int s_prepare_database(void *arg, gy_pg_session_t *session)
{
    router_server_t *self = arg;
    char *calendar = gy_calendar_json(self->calendar);
    const char *params[] = {calendar};
    int rc = gy_pg_session_exec(session, "SELECT router.calendar_merge($1::json)", 1, params, NULL);
    free(calendar);
    return rc;
}

/*  ---- the node's hooks ---- */

static void s_health(void *arg, json_t *body)
{
    router_server_t *self = arg;
    json_object_set_new(body, "assessment", json_string(self->assessment_on ? "on" : "off"));
    if (self->deadlines)
        json_object_set_new(body, "calendar", router_deadline_health(self->deadlines));
}

/*  Requests no route of the node took: the API's, or 503 while it is off. */
static bool s_unrouted(void *arg, gy_http_request_t *req)
{
    router_server_t *self = arg;
    if (self->api)
        return router_api_handle(self->api, req);
    if (strncmp(gy_http_path(req), "/api/", 5) != 0)
        return false;
    gy_http_respond_error(req, 503, "api_unavailable",
                          "the router's API is off on this instance (no GY_SEAL_KEY_FILE)", NULL);
    return true;
}

/*  The consumer's callbacks go to the store. */
static void s_read(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    router_store_read(((router_server_t *)arg)->store, event, tx);
}

static void s_read_result(void *arg, gy_consumer_event_t *event, size_t index,
                          const gy_pg_result_t *res)
{
    router_store_read_result(((router_server_t *)arg)->store, event, index, res);
}

static void s_apply(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    router_store_apply(((router_server_t *)arg)->store, event, tx);
}

static void s_result(void *arg, gy_consumer_event_t *event, size_t index, const gy_pg_result_t *res)
{
    router_store_result(((router_server_t *)arg)->store, event, index, res);
}

static void s_done(void *arg, gy_consumer_event_t *event, gy_pg_status_t status)
{
    router_store_done(((router_server_t *)arg)->store, event, status);
}

static int s_start_registry(router_server_t *self, gy_node_t *node)
{
    gy_pg_t *api_pg = gy_node_pg(node, "pg api", NULL, NULL);
    router_api_prepare(api_pg);
    router_api_config_t api_config = {
        .pg = api_pg,
        .refdata = self->refdata,
        .seal_key = self->seal_key,
        .token_public = self->has_token_public ? self->token_public : NULL,
        .token_secret = self->has_token_secret ? self->token_secret : NULL,
        .token_ttl_s = self->token_ttl_s,
        .limiter = gy_node_limiter(node),
        .apply_per_hour = (uint32_t)self->apply_per_hour,
        .login_per_min = (uint32_t)self->login_per_min,
        .producer = gy_node_producer(node),
        .outbox = gy_node_outbox(node),
        .assess_due_ms = self->assessment_due_s * 1000,
    };
    self->api = router_api_new(self->loop, &api_config);
    return self->api ? 0 : -1;
}

static int s_start(void *arg, gy_node_t *node)
{
    router_server_t *self = arg;
    self->node = node;
    router_store_prepare(gy_node_writer(node), gy_node_reader(node));
    router_deadline_config_t deadline_config = {
        .producer = gy_node_producer(node),
        .interval_ms = (uint64_t)self->scan_ms,
        .writer = gy_node_writer(node),
        .reader = gy_node_reader(node),
        .outbox = gy_node_outbox(node),
        .metrics = gy_node_metrics(node),
    };
    self->deadlines = router_deadline_new(self->loop, &deadline_config, &self->calendar);
    router_store_config_t store_config = {
        .producer = gy_node_producer(node),
        .rules = self->rules,
        .jurisdiction = self->jurisdiction,
        .max_distance = (int)self->max_distance,
        .window_ms = self->window_days * 86400000,
        .near_km = (double)self->near_m / 1000.0,
        .scan_interval_ms = (uint64_t)self->scan_ms,
        .assess_k = self->assessment_on ? (int)self->assessors : 0,
        .assess_due_ms = self->assessment_due_s * 1000,
        .writer = gy_node_writer(node),
        .reader = gy_node_reader(node),
        .outbox = gy_node_outbox(node),
        .metrics = gy_node_metrics(node),
        .deadlines = self->deadlines,
    };
    self->store = router_store_new(self->loop, &store_config);
    if (self->registry_on && s_start_registry(self, node) < 0)
        return -1;
    gy_log_info("router %s: %zu triage rules", gy_node_producer(node),
                router_rules_count(self->rules));
    return 0;
}

/*  Stop taking work: requests waiting on the API answer 503. */
static void s_stop(void *arg)
{
    router_server_t *self = arg;
    router_api_destroy(&self->api);
}

/*  After the connections closed (their callbacks reach the store). */
static void s_release(void *arg)
{
    router_server_t *self = arg;
    router_store_destroy(&self->store);
    router_deadline_destroy(&self->deadlines);
}

static const gy_node_spec_t s_spec = {
    .name = "router",
    .schema = "router",
    .migrations = router_migrations,
    .migrations_count = &router_migrations_count,
    .prepare_db = s_prepare_database,
    .http_port = 8091,
    .events = "tcp://127.0.0.1:7201",
    .replay = "tcp://127.0.0.1:7202",
    .outbox = true,
    .sources = "tcp://127.0.0.1:7101|tcp://127.0.0.1:7102",
    .read = s_read,
    .read_result = s_read_result,
    .apply = s_apply,
    .result = s_result,
    .done = s_done,
    .unrouted = s_unrouted,
    .health = s_health,
    .start = s_start,
    .stop = s_stop,
    .release = s_release,
};

router_server_t *router_server_new(uv_loop_t *loop)
{
    router_server_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    self->spec = s_spec;
    /*  libsodium first: ids (gy_uuid), password hashing and sealing use it. */
    if (gy_crypto_init() < 0 || s_load_config(self) < 0) {
        router_server_destroy(&self);
        return NULL;
    }
    self->spec.redis = self->registry_on; /* rate limits of the API only */
    self->node = gy_node_new(loop, &self->spec, self);
    if (!self->node) {
        router_server_destroy(&self);
        return NULL;
    }
    return self;
}

void router_server_stop(router_server_t *self)
{
    gy_node_stop(self->node);
}

void router_server_destroy(router_server_t **self_p)
{
    assert(self_p);
    router_server_t *self = *self_p;
    if (!self)
        return;
    gy_node_destroy(&self->node);
    gy_calendar_destroy(&self->calendar);
    router_jurisdiction_destroy(&self->jurisdiction);
    router_rules_destroy(&self->rules);
    gy_refdata_destroy(&self->refdata);
    memset(self->seal_key, 0, sizeof self->seal_key);
    memset(self->token_secret, 0, sizeof self->token_secret);
    free(self);
    *self_p = NULL;
}
