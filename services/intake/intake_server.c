/*  intake_server — see intake_server.h. */
#include "intake_server.h"

#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gy_config.h"
#include "gy_crypto.h"
#include "gy_node.h"
#include "gy_pg.h"
#include "gy_refdata.h"
#include "gy_token.h"
#include "gy_util.h"
#include "intake_bus.h"
#include "intake_competence.h"
#include "intake_http.h"
#include "intake_refdata.h"
#include "intake_reporter.h"
#include "intake_store.h"
#include "intake_timeline.h"

extern const gy_pg_migration_t intake_migrations[];
extern const size_t intake_migrations_count;

struct intake_server {
    uv_loop_t *loop;
    gy_node_t *node; /* configuration, connections, bus, Redis, HTTP: the kit's */
    /* configuration */
    char *producer;                   /* a copy of the node's */
    intake_http_config_t http_config; /* its rate limits and key; the parts at start */
    uint8_t seal_key[GY_SEAL_KEY_BYTES];
    uint8_t token_key[GY_TOKEN_PUBLIC_KEY_BYTES];
    const char *router_sources; /* GY_ROUTER_SOURCES (environment), or NULL */
    gy_refdata_t *refdata;
    /* our own parts */
    intake_store_t *store;
    intake_http_t *http;             /* the routes */
    intake_bus_t *submissions;       /* over the bus */
    intake_competence_t *competence; /* NULL without GY_ROUTER_SOURCES */
    intake_reporter_t *reporter;     /* NULL without GY_ROUTER_SOURCES */
};

/*  ---- start-up ---- */

static int s_load_config(intake_server_t *self)
{
    intake_http_config_t *http = &self->http_config;
    if (gy_config_int("GY_RATE_LIMIT_PER_MIN", 60, 0, 1000000, &http->rate_per_min) < 0 ||
        gy_config_int("GY_RATE_LIMIT_VOLUNTEER_PER_MIN", 120, 0, 1000000,
                      &http->volunteer_rate_per_min) < 0)
        return -1;
    const char *seal = gy_config_str("GY_SEAL_KEY_FILE", NULL);
    if (!seal) {
        gy_log_error("GY_SEAL_KEY_FILE is not set");
        gy_log_error("hint: it names a file of 64 hex characters, e.g. made with "
                     "\"head -c 32 /dev/urandom | xxd -p -c 64\"; reporters' identities "
                     "are sealed with it.");
        return -1;
    }
    if (gy_crypto_load_key(seal, self->seal_key) < 0)
        return -1;
    const char *token_key = gy_config_str("GY_TOKEN_PUBLIC_KEY_FILE", NULL);
    if (token_key) {
        if (gy_token_load_key(token_key, self->token_key, sizeof self->token_key) < 0)
            return -1;
        http->token_key = self->token_key;
    }
    /*  Who may see a reporter depends on the router's decisions; without
     *  its events intake cannot tell, and the reporter route says so. */
    self->router_sources = gy_config_str("GY_ROUTER_SOURCES", NULL);
    if (self->router_sources && intake_competence_check(self->router_sources) < 0)
        return -1;
    if (!self->router_sources)
        gy_log_info("GY_ROUTER_SOURCES is not set: reporters' identities are not shown by this "
                    "instance (GET /api/v1/clues/{clue_id}/reporter answers 503)");
    const char *refdir = gy_config_str("GY_REFDATA_DIR", GY_DEFAULT_REFDATA_DIR);
    self->refdata = gy_refdata_new(refdir);
    return self->refdata ? 0 : -1;
}

/*  After the migrations: the reference data (the files win, at every start). */
static int s_prepare_database(void *arg, gy_pg_session_t *session)
{
    intake_server_t *self = arg;
    return intake_refdata_sync(self->refdata, session);
}

/*  ---- the node's hooks ---- */

/*  /healthz and /metrics are the node's; these add intake's own. */
static void s_health(void *arg, json_t *body)
{
    intake_server_t *self = arg;
    json_object_set_new(body, "outbox_lag",
                        json_integer((json_int_t)intake_store_lag(self->store)));
}

static void s_metrics(void *arg, gy_metrics_t *metrics)
{
    intake_server_t *self = arg;
    gy_metrics_set(metrics, "gy_outbox_lag", "", (double)intake_store_lag(self->store));
}

/*  Intake's routes (intake_http); the HTTP server listens only after
 *  s_start built them. */
static bool s_unrouted(void *arg, gy_http_request_t *req)
{
    intake_server_t *self = arg;
    return self->http && intake_http_handle(self->http, req);
}

static void s_on_replay(void *arg, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    intake_server_t *self = arg;
    intake_store_replay(self->store, socket, msg);
}

/*  ---- connections ---- */

static void s_on_relay_state(void *arg, bool up)
{
    intake_server_t *self = arg;
    if (up)
        intake_store_relay_up(self->store);
}

static void s_on_competence_state(void *arg, bool up)
{
    intake_server_t *self = arg;
    if (self->competence)
        intake_competence_pg_state(self->competence, up);
}

/*  Intake's parts on the node's: statements, the store (its outbox relays
 *  on the node's relay connection and PUB), the routes, submissions over
 *  the bus, and the router's events when GY_ROUTER_SOURCES is set. */
static int s_start(void *arg, gy_node_t *node)
{
    intake_server_t *self = arg;
    intake_http_config_t *http = &self->http_config;
    self->node = node;
    self->producer = gy_strdup(gy_node_producer(node));
    gy_pg_t *reader = gy_node_reader(node);
    gy_pg_t *competence_pg = NULL; /* the router's events, apart from the writer's group commit */
    intake_store_prepare(gy_node_writer(node), gy_node_relay(node), reader);
    intake_timeline_prepare_reader(reader);
    if (self->router_sources) {
        competence_pg = gy_node_pg(node, "pg competence", s_on_competence_state, self);
        intake_competence_prepare(competence_pg);
        intake_reporter_prepare(reader);
    }
    intake_store_config_t store_config = {
        .producer = self->producer,
        .seal_key = self->seal_key,
        .writer = gy_node_writer(node),
        .relay = gy_node_relay(node),
        .reader = reader,
        .events = gy_node_events(node),
        .metrics = gy_node_metrics(node),
    };
    self->store = intake_store_new(self->loop, &store_config);
    gy_node_on_replay(node, s_on_replay, self);
    intake_bus_config_t bus_config = {.producer = self->producer,
                                      .metrics = gy_node_metrics(node),
                                      .refdata = self->refdata,
                                      .store = self->store};
    self->submissions = intake_bus_new(&bus_config);
    if (!gy_bus_bind(gy_node_bus(node), GY_BUS_ROUTER,
                     gy_config_str("GY_BUS_SUBMIT", "tcp://127.0.0.1:7103"), intake_bus_on_submit,
                     self->submissions))
        return -1;
    if (self->router_sources) {
        intake_competence_config_t competence_config = {
            .sources = self->router_sources,
            .pg = competence_pg,
            .bus = gy_node_bus(node),
            .metrics = gy_node_metrics(node),
        };
        self->competence = intake_competence_new(self->loop, &competence_config);
        if (!self->competence)
            return -1;
        intake_reporter_config_t reporter_config = {
            .pg = reader,
            .seal_key = self->seal_key,
            .token_key = http->token_key,
        };
        self->reporter = intake_reporter_new(&reporter_config);
    }
    http->store = self->store;
    http->reader = reader;
    http->limiter = gy_node_limiter(node);
    http->refdata = self->refdata;
    http->reporter = self->reporter;
    self->http = intake_http_new(http);
    return 0;
}

/*  After the connections closed (their callbacks reach these). */
static void s_release(void *arg)
{
    intake_server_t *self = arg;
    intake_http_destroy(&self->http);
    intake_bus_destroy(&self->submissions);
    intake_reporter_destroy(&self->reporter);
    intake_competence_destroy(&self->competence);
    intake_store_destroy(&self->store);
}

static const gy_node_spec_t s_spec = {
    .name = "intake",
    .schema = "intake",
    .migrations = intake_migrations,
    .migrations_count = &intake_migrations_count,
    .prepare_db = s_prepare_database,
    .http_port = 8081,
    .events = "tcp://127.0.0.1:7101",
    .replay = "tcp://127.0.0.1:7102",
    .redis = true,
    .unrouted = s_unrouted,
    .health = s_health,
    .metrics = s_metrics,
    .relay_state = s_on_relay_state,
    .start = s_start,
    .release = s_release,
};

intake_server_t *intake_server_new(uv_loop_t *loop)
{
    intake_server_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    if (gy_crypto_init() < 0 || s_load_config(self) < 0 ||
        !(self->node = gy_node_new(loop, &s_spec, self))) {
        intake_server_destroy(&self);
        return NULL;
    }
    return self;
}

void intake_server_stop(intake_server_t *self)
{
    gy_node_stop(self->node);
}

void intake_server_destroy(intake_server_t **self_p)
{
    assert(self_p);
    intake_server_t *self = *self_p;
    if (!self)
        return;
    gy_node_destroy(&self->node);
    gy_refdata_destroy(&self->refdata);
    memset(self->seal_key, 0, sizeof self->seal_key);
    free(self->producer);
    free(self);
    *self_p = NULL;
}
