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
#include "gy_util.h"
#include "intake_bus.h"
#include "intake_competence.h"
#include "intake_http.h"
#include "intake_refdata.h"
#include "intake_reporter.h"
#include "intake_store.h"

extern const gy_pg_migration_t intake_migrations[];
extern const size_t intake_migrations_count;

struct intake_server {
    uv_loop_t *loop;
    gy_node_t *node; /* configuration, connections, bus, Redis, HTTP: the kit's */
    /* configuration */
    intake_http_settings_t http_settings; /* rate limits, token key: intake_http's */
    uint8_t seal_key[GY_SEAL_KEY_BYTES];
    char *router_sources; /* GY_ROUTER_SOURCES [, GY_WORKFLOW_SOURCES], or NULL */
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
    if (intake_http_settings_load(&self->http_settings) < 0 ||
        intake_store_seal_key_load(self->seal_key) < 0 ||
        intake_competence_sources_load(&self->router_sources) < 0)
        return -1;
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

static void s_on_relay_state(void *arg, bool up)
{
    intake_server_t *self = arg;
    if (up)
        intake_store_relay_up(self->store);
}

/*  Intake's parts on the node's: statements, the store (its outbox relays
 *  on the node's relay connection and PUB), the routes, submissions over
 *  the bus, and the router's events when GY_ROUTER_SOURCES is set. */
static int s_start(void *arg, gy_node_t *node)
{
    intake_server_t *self = arg;
    self->node = node;
    self->store = intake_store_start(node, self->seal_key);
    self->submissions = intake_bus_start(node, self->refdata, self->store);
    if (!self->submissions)
        return -1;
    if (self->router_sources &&
        intake_competence_start(&self->competence, node, self->router_sources, self->seal_key,
                                intake_http_token_key(&self->http_settings), &self->reporter) < 0)
        return -1;
    self->http =
        intake_http_new(node, &self->http_settings, self->store, self->refdata, self->reporter);
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
    free(self->router_sources);
    memset(self->seal_key, 0, sizeof self->seal_key);
    free(self);
    *self_p = NULL;
}
