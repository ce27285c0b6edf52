/*  router_server — see router_server.h. */
#include "router_server.h"

#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>

#include "gy_calendar.h"
#include "gy_calendar_api.h"
#include "gy_config.h"
#include "gy_crypto.h"
#include "gy_node.h"
#include "gy_pg.h"
#include "gy_refdata.h"
#include "gy_util.h"
#include "router_api.h"
#include "router_deadline.h"
#include "router_jurisdiction.h"
#include "router_rules.h"
#include "router_store.h"

extern const gy_pg_migration_t router_migrations[];
extern const size_t router_migrations_count;

struct router_server {
    uv_loop_t *loop;
    gy_node_t *node;     /* connections, bus, outbox, consumer, Redis, HTTP: the kit's */
    gy_node_spec_t spec; /* s_spec, with Redis when the registry is on */
    /* configuration; its borrowed parts are set at start */
    router_store_config_t store_config; /* routing, duplicates, assessment, scan interval */
    router_api_settings_t api_settings; /* the API's keys and limits; off without a seal key */
    /* parts */
    gy_refdata_t *refdata;
    router_rules_t *rules;
    router_jurisdiction_t *jurisdiction;
    gy_calendar_t *calendar;      /* the file's, until the deadlines take it */
    router_deadline_t *deadlines; /* the reporter's deadlines and the calendar */
    router_store_t *store;
    router_api_t *api;               /* NULL while the registry is off */
    gy_calendar_api_t *calendar_api; /* GET /calendar, PUT /calendar/years/{year} */
};

/*  ---- start-up ---- */

static int s_load_config(router_server_t *self)
{
    const char *refdir = gy_config_str("GY_REFDATA_DIR", GY_DEFAULT_REFDATA_DIR);
    if (router_store_settings_load(&self->store_config) < 0 ||
        !(self->refdata = gy_refdata_new(refdir)) ||
        !(self->rules = router_rules_load(refdir, self->refdata)) ||
        !(self->calendar = router_deadline_calendar_load(refdir)) ||
        router_api_settings_load(&self->api_settings, self->store_config.assess_k > 0) < 0)
        return -1;
    self->jurisdiction = router_jurisdiction_new(self->refdata);
    self->spec.redis = self->api_settings.on; /* rate limits of the API only */
    return 0;
}

/*  After the migrations: the file's calendar (router_deadline). */
static int s_prepare_database(void *arg, gy_pg_session_t *session)
{
    router_server_t *self = arg;
    return router_deadline_calendar_merge(self->calendar, session);
}

/*  ---- the node's hooks ---- */

static void s_health(void *arg, json_t *body)
{
    router_server_t *self = arg;
    json_object_set_new(body, "assessment",
                        json_string(self->store_config.assess_k > 0 ? "on" : "off"));
    if (self->deadlines)
        json_object_set_new(body, "calendar", router_deadline_health(self->deadlines));
}

/*  Requests no route of the node took: the calendar's, the API's, or 503 while
 *  the API is off. */
static bool s_unrouted(void *arg, gy_http_request_t *req)
{
    router_server_t *self = arg;
    return gy_calendar_api_handle(self->calendar_api, req) || router_api_handle(self->api, req);
}

/*  ---- the calendar's API (common/gy_calendar_api) ---- */

static const gy_calendar_t *s_calendar(void *arg)
{
    return router_deadline_calendar(arg);
}

static json_t *s_calendar_status(void *arg)
{
    return router_deadline_health(arg);
}

static void s_calendar_reload(void *arg)
{
    router_deadline_reload(arg);
}

static int s_start(void *arg, gy_node_t *node)
{
    router_server_t *self = arg;
    router_store_config_t *store_config = &self->store_config;
    self->deadlines = router_deadline_start(node, store_config->scan_interval_ms, &self->calendar);
    store_config->rules = self->rules;
    store_config->jurisdiction = self->jurisdiction;
    store_config->deadlines = self->deadlines;
    self->store = router_store_start(node, store_config);
    gy_node_set_consumer_arg(node, self->store); /* the spec's callbacks are the store's */
    gy_calendar_api_prepare("router", gy_node_writer(node));
    self->calendar_api = gy_calendar_api_new(&(gy_calendar_api_config_t){
        .path = "/api/v1/calendar",
        .writer = gy_node_writer(node),
        .token_public =
            self->api_settings.has_token_public ? self->api_settings.token_public : NULL,
        .calendar = s_calendar,
        .status = s_calendar_status,
        .reload = s_calendar_reload,
        .arg = self->deadlines,
    });
    if (self->api_settings.on &&
        !(self->api = router_api_start(node, &self->api_settings, self->refdata,
                                       store_config->assess_due_ms)))
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
    gy_calendar_api_destroy(&self->calendar_api);
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
    .read = router_store_read,
    .read_result = router_store_read_result,
    .apply = router_store_apply,
    .result = router_store_result,
    .done = router_store_done,
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
    if (gy_crypto_init() < 0 || s_load_config(self) < 0 ||
        !(self->node = gy_node_new(loop, &self->spec, self))) {
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
    router_api_settings_clear(&self->api_settings);
    free(self);
    *self_p = NULL;
}
