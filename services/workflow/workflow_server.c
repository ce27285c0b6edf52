/*  workflow_server — see workflow_server.h. */
#include "workflow_server.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

#include "gy_calendar_api.h"
#include "gy_config.h"
#include "gy_crypto.h"
#include "gy_node.h"
#include "gy_refdata.h"
#include "gy_token.h"
#include "gy_util.h"
#include "workflow_api.h"
#include "workflow_deadlines_store.h"
#include "workflow_document.h"
#include "workflow_hearing_api.h"
#include "workflow_impact.h"
#include "workflow_limits.h"
#include "workflow_store.h"
#include "workflow_volunteer_api.h"

extern const gy_pg_migration_t workflow_migrations[];
extern const size_t workflow_migrations_count;

struct workflow_server {
    gy_node_t *node;       /* connections, bus, outbox, consumer, HTTP: the kit's */
    gy_refdata_t *refdata; /* fields (case kinds) and procuratorates */
    bool api_on;           /* a token key is configured */
    uint8_t token_public[GY_TOKEN_PUBLIC_KEY_BYTES];
    workflow_limits_t *limits;             /* reference/time_limits.csv */
    workflow_deadlines_store_t *deadlines; /* the calendar; firing the case deadlines */
    uint64_t deadline_scan_ms;             /* GY_WORKFLOW_DEADLINE_SCAN_MS */
    workflow_store_t *store;               /* the consumer's callbacks */
    workflow_api_t *api;                   /* NULL while off or stopped */
    workflow_impact_t *measures;           /* reference/impact_measures.csv */
    workflow_hearing_api_t *hearings;      /* hearings and impact; NULL while off or stopped */
    workflow_volunteer_api_t *volunteers;  /* volunteers' work (consultation, supervision) */
    gy_due_t *consult_due;                 /* late consultations */
    int64_t consult_scan_ms;               /* GY_CONSULT_SCAN_MS */
    int64_t api_connections;               /* GY_WORKFLOW_API_CONNECTIONS */
    workflow_documents_t *documents;       /* numbering and body templates (文书) */
    gy_calendar_api_t *calendar_api;       /* GET /calendar, PUT /calendar/years/{year} */
};

/*  Requests no route of the node took: the calendar's, the API's, or 503 while
 *  the API is off. */
static bool s_unrouted(void *arg, gy_http_request_t *req)
{
    workflow_server_t *self = arg;
    return gy_calendar_api_handle(self->calendar_api, req) ||
           workflow_volunteer_api_handle(self->volunteers, req) ||
           workflow_hearing_api_handle(self->hearings, req) || workflow_api_handle(self->api, req);
}

/*  ---- the calendar's API (common/gy_calendar_api) ---- */

static const gy_calendar_t *s_calendar(void *arg)
{
    return workflow_deadlines_calendar(arg);
}

static json_t *s_calendar_status(void *arg)
{
    return workflow_deadlines_store_status(arg);
}

static void s_calendar_reload(void *arg)
{
    workflow_deadlines_store_reload(arg);
}

static int s_start(void *arg, gy_node_t *node)
{
    workflow_server_t *self = arg;
    self->store = workflow_store_start(node, self->refdata);
    gy_node_set_consumer_arg(node, self->store); /* the spec's callbacks are the store's */
    if (workflow_deadlines_store_start(self->deadlines, node, self->limits,
                                       self->deadline_scan_ms) < 0)
        return -1;
    gy_calendar_api_prepare("workflow", gy_node_writer(node));
    self->calendar_api = gy_calendar_api_new(&(gy_calendar_api_config_t){
        .path = "/api/v1/workflow/calendar",
        .writer = gy_node_writer(node),
        .token_public = self->api_on ? self->token_public : NULL,
        .calendar = s_calendar,
        .status = s_calendar_status,
        .reload = s_calendar_reload,
        .arg = self->deadlines,
    });
    if (self->api_on) {
        self->api =
            workflow_api_start(node, self->token_public, self->refdata, self->limits,
                               self->deadlines, (size_t)self->api_connections, self->documents);
        self->hearings =
            workflow_hearing_api_start(node, self->token_public, self->refdata, self->measures);
    }
    self->volunteers =
        workflow_volunteer_api_start(node, self->api_on ? self->token_public : NULL, self->refdata);
    self->consult_due =
        workflow_volunteer_due_start(node, self->volunteers, (uint64_t)self->consult_scan_ms);
    gy_log_info("workflow %s: reviewing the router's clues; API %s", gy_node_producer(node),
                self->api_on ? "on" : "off");
    return 0;
}

/*  Stop taking work: requests waiting on the API answer 503. */
static void s_stop(void *arg)
{
    workflow_server_t *self = arg;
    workflow_api_destroy(&self->api);
    workflow_hearing_api_destroy(&self->hearings);
    workflow_volunteer_api_destroy(&self->volunteers);
    gy_calendar_api_destroy(&self->calendar_api);
    workflow_deadlines_store_stop(self->deadlines);
}

/*  The holiday file into the workflow's calendar tables, before anything
 *  reads them. */
static int s_prepare_db(void *arg, gy_pg_session_t *session)
{
    workflow_server_t *self = arg;
    return workflow_deadlines_store_merge(self->deadlines, session);
}

static void s_health(void *arg, json_t *body)
{
    workflow_server_t *self = arg;
    workflow_deadlines_store_health(self->deadlines, body);
}

/*  After the connections closed (their callbacks reach the store). */
static void s_release(void *arg)
{
    workflow_server_t *self = arg;
    workflow_store_destroy(&self->store);
    gy_due_destroy(&self->consult_due);
}

static const gy_node_spec_t s_spec = {
    .name = "workflow",
    .schema = "workflow",
    .migrations = workflow_migrations,
    .migrations_count = &workflow_migrations_count,
    .prepare_db = s_prepare_db,
    .http_port = 8101,
    .events = "tcp://127.0.0.1:7301",
    .replay = "tcp://127.0.0.1:7302",
    .outbox = true,
    .sequence_pending = true, /* many API connections commit events at once */
    .sources = "tcp://127.0.0.1:7201|tcp://127.0.0.1:7202",
    .read = workflow_store_read,
    .read_result = workflow_store_read_result,
    .apply = workflow_store_apply,
    .done = workflow_store_done,
    .unrouted = s_unrouted,
    .health = s_health,
    .start = s_start,
    .stop = s_stop,
    .release = s_release,
};

workflow_server_t *workflow_server_new(uv_loop_t *loop)
{
    workflow_server_t *self = gy_calloc(1, sizeof *self);
    const char *refdir = gy_config_str("GY_REFDATA_DIR", GY_DEFAULT_REFDATA_DIR);
    /*  The scan interval is read before the node: its start uses it. */
    int64_t scan_ms;
    /*  Half a second: a due deadline fires within a second of its
     *  instant, and the scan reads only the due rows (partial indexes),
     *  whatever the number of open deadlines. */
    if (gy_config_int("GY_WORKFLOW_DEADLINE_SCAN_MS", 500, 0, 86400000, &scan_ms) < 0) {
        workflow_server_destroy(&self);
        return NULL;
    }
    self->deadline_scan_ms = (uint64_t)scan_ms;
    /*  libsodium first: ids (gy_uuid) and token checks use it. */
    if (gy_crypto_init() < 0 || !(self->refdata = gy_refdata_new(refdir)) ||
        !(self->measures = workflow_impact_load_default(refdir, self->refdata, NULL)) ||
        !(self->limits = workflow_limits_load_default(refdir, NULL)) ||
        !(self->deadlines = workflow_deadlines_store_new(refdir)) ||
        !(self->documents = workflow_documents_load_default(refdir, self->refdata, NULL)) ||
        workflow_api_settings_load(&self->api_on, self->token_public) < 0 ||
        gy_config_int("GY_CONSULT_SCAN_MS", 1000, 0, 3600000, &self->consult_scan_ms) < 0 ||
        gy_config_int("GY_WORKFLOW_API_CONNECTIONS", 8, 1, 16, &self->api_connections) < 0 ||
        !(self->node = gy_node_new(loop, &s_spec, self))) {
        workflow_server_destroy(&self);
        return NULL;
    }
    return self;
}

void workflow_server_stop(workflow_server_t *self)
{
    gy_node_stop(self->node);
}

void workflow_server_destroy(workflow_server_t **self_p)
{
    assert(self_p);
    workflow_server_t *self = *self_p;
    if (!self)
        return;
    gy_node_destroy(&self->node);
    workflow_deadlines_store_destroy(&self->deadlines);
    workflow_limits_destroy(&self->limits);
    workflow_impact_destroy(&self->measures);
    workflow_documents_destroy(&self->documents);
    gy_refdata_destroy(&self->refdata);
    free(self);
    *self_p = NULL;
}
