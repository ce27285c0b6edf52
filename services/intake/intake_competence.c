/*  intake_competence — see intake_competence.h. */
#include "intake_competence.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_config.h"
#include "gy_consumer.h"
#include "gy_scope.h"
#include "gy_util.h"
#include "intake_timeline.h"

/*  Only a clue stored here gets a row: the router may follow intakes of
 *  other sites, and a foreign key failure would stop the stream for good. */
static const char s_sql_set_competence[] =
    "INSERT INTO intake.competence AS k (clue_id, procuratorate, decided_by_event, updated_at)"
    " SELECT c.id, $2, $3, now() FROM intake.clue c WHERE c.id = $1::uuid"
    " ON CONFLICT (clue_id) DO UPDATE SET procuratorate = EXCLUDED.procuratorate,"
    " decided_by_event = EXCLUDED.decided_by_event, updated_at = EXCLUDED.updated_at";

/*  One instance at a time applies the events: the others would only lose
 *  the race on intake.consumed (a failed transaction and an error in the
 *  log for every event).  A session advisory lock on the consumer's own
 *  connection elects it; PostgreSQL frees the lock when that session ends
 *  (the instance stopped, crashed or lost its connection), and a waiting
 *  instance takes over at its next try.  Correctness does not rest on the
 *  lock: gy_consumer's positions keep every event exactly once anyway. */
static const char s_sql_lead[] =
    "SELECT pg_try_advisory_lock(hashtext('gy_consumer'), hashtext('intake'))";

#define S_LEAD_RETRY_MS 2000

struct intake_competence {
    gy_consumer_t *consumer;
    gy_pg_t *pg;           /* borrowed */
    gy_metrics_t *metrics; /* borrowed */
    bool leading;          /* this session holds the lock */
    bool asking;           /* a lock attempt is in flight */
    bool got;              /* its answer */
    uv_timer_t retry;      /* the next attempt; its close callback frees us */
};

/*  The procuratorate an event makes competent, or NULL when the event
 *  does not move competence. */
static const char *s_decision(const Gongyi__V1__Envelope *env, const char **step_p)
{
    *step_p = NULL;
    if (env->body_case == GONGYI__V1__ENVELOPE__BODY_CLUE_ROUTED)
        return env->clue_routed->procuratorate;
    if (env->body_case != GONGYI__V1__ENVELOPE__BODY_CLUE_TRANSFERRED)
        return NULL;
    const Gongyi__V1__ClueTransferred *t = env->clue_transferred;
    *step_p = t->step;
    if (strcmp(t->step, "accepted") == 0)
        return t->to_procuratorate;
    /*  The common superior chose one side; only the Envelope says which. */
    if (strcmp(t->step, "decided") == 0)
        return env->procuratorate;
    return NULL;
}

static void s_apply(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    intake_competence_t *self = arg;
    const Gongyi__V1__Envelope *env = event->envelope;
    /*  The reporter's public timeline, in the same transaction. */
    intake_timeline_apply(event, tx, self->metrics);
    const char *step;
    const char *procuratorate = s_decision(env, &step);
    if (!procuratorate)
        return; /* not a decision; the position still advances */
    const char *clue_id = env->body_case == GONGYI__V1__ENVELOPE__BODY_CLUE_ROUTED
                              ? env->clue_routed->clue_id
                              : env->clue_transferred->clue_id;
    /*  A malformed event would fail its transaction on every retry and stop
     *  the stream behind it; it is logged and passed over instead. */
    if (!gy_uuid_valid(clue_id) || !gy_scope_code_valid(procuratorate)) {
        gy_log_warning("%s %s:%" PRIu64 " has no valid clue id or procuratorate; passed over",
                       env->type, event->producer, event->sequence);
        gy_metrics_count(self->metrics, "gy_intake_competence_malformed_total", "", 1);
        return;
    }
    char *by = gy_sprintf("%s%s%s@%s:%" PRIu64, env->type, step ? ":" : "", step ? step : "",
                          event->producer, event->sequence);
    const char *values[] = {clue_id, procuratorate, by};
    gy_pg_tx_add(tx, "set_competence", 3, values, NULL);
    free(by);
}

void intake_competence_prepare(gy_pg_t *pg)
{
    gy_consumer_prepare("intake", pg);
    gy_pg_prepare(pg, "set_competence", s_sql_set_competence);
    gy_pg_prepare(pg, "competence_lead", s_sql_lead);
    intake_timeline_prepare_consumer(pg);
}

/*  ---- leading ---- */

static void s_try_lead(intake_competence_t *self);
static void s_on_retry(uv_timer_t *timer);

static void s_on_lead_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    intake_competence_t *self = arg;
    self->got = gy_pg_ntuples(res) == 1 && gy_pg_value(res, 0, 0)[0] == 't';
}

static void s_on_lead_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    intake_competence_t *self = arg;
    self->asking = false;
    if (!self->consumer)
        return; /* being destroyed */
    if (status == GY_PG_OK && self->got) {
        self->leading = true;
        gy_log_info("this instance applies the router's events (GY_ROUTER_SOURCES)");
        gy_consumer_pg_up(self->consumer);
        return;
    }
    uv_timer_start(&self->retry, s_on_retry, S_LEAD_RETRY_MS, 0);
}

static void s_try_lead(intake_competence_t *self)
{
    if (self->leading || self->asking || !self->consumer || !gy_pg_up(self->pg))
        return; /* the connection's next "up" tries again */
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "competence_lead", 0, NULL, NULL);
    self->got = false;
    if (gy_pg_run(self->pg, &tx, s_on_lead_row, s_on_lead_done, self) < 0)
        return;
    self->asking = true;
}

static void s_on_retry(uv_timer_t *timer)
{
    s_try_lead(timer->data);
}

/*  gy_consumer's own messages name GY_SOURCES; this value came from
 *  another variable, so name that one. */
static int s_check(const char *sources, const char *variable, const char *service)
{
    char why[512];
    if (gy_consumer_sources_check(sources, why, sizeof why) == 0)
        return 0;
    static const char theirs[] = "invalid value for GY_SOURCES: ";
    const char *detail = strncmp(why, theirs, strlen(theirs)) == 0 ? why + strlen(theirs) : why;
    gy_log_error("invalid value for %s: %s", variable, detail);
    gy_log_error("hint: %s lists the %s's endpoints like GY_SOURCES, e.g. "
                 "\"tcp://%s:%s|tcp://%s:%s\".",
                 variable, service, service, strcmp(service, "router") == 0 ? "7201" : "7301",
                 service, strcmp(service, "router") == 0 ? "7202" : "7302");
    return -1;
}

int intake_competence_check(const char *sources)
{
    return s_check(sources, "GY_ROUTER_SOURCES", "router");
}

int intake_competence_sources_load(char **sources)
{
    *sources = NULL;
    /*  Who may see a reporter depends on the router's decisions; without
     *  its events intake cannot tell, and the reporter route says so. */
    const char *router = gy_config_str("GY_ROUTER_SOURCES", NULL);
    /*  The workflow's public steps (case opened, not opened) come after
     *  the router's, on the same consumer. */
    const char *workflow = gy_config_str("GY_WORKFLOW_SOURCES", NULL);
    if (!router) {
        if (workflow) {
            gy_log_error("GY_WORKFLOW_SOURCES is set but GY_ROUTER_SOURCES is not: the "
                         "workflow's steps follow the router's; set both");
            return -1;
        }
        gy_log_info("GY_ROUTER_SOURCES is not set: reporters' identities are not shown by this "
                    "instance (GET /api/v1/clues/{clue_id}/reporter answers 503)");
        return 0;
    }
    if (s_check(router, "GY_ROUTER_SOURCES", "router") < 0 ||
        (workflow && s_check(workflow, "GY_WORKFLOW_SOURCES", "workflow") < 0))
        return -1;
    *sources = workflow ? gy_sprintf("%s,%s", router, workflow) : gy_strdup(router);
    return 0;
}

static void s_retry_close_cb(uv_handle_t *handle)
{
    free(handle->data);
}

intake_competence_t *intake_competence_new(uv_loop_t *loop,
                                           const intake_competence_config_t *config)
{
    assert(config->sources && config->pg && config->bus);
    char why[512];
    if (gy_consumer_sources_check(config->sources, why, sizeof why) < 0) {
        gy_log_error("%s", why);
        return NULL;
    }
    intake_competence_t *self = gy_calloc(1, sizeof *self);
    self->pg = config->pg;
    self->metrics = config->metrics;
    uv_timer_init(loop, &self->retry);
    self->retry.data = self;
    gy_metrics_describe(config->metrics, "gy_intake_competence_malformed_total", "counter",
                        "Router events passed over as malformed (clue id or procuratorate).");
    gy_metrics_describe(
        config->metrics, "gy_intake_timeline_malformed_total", "counter",
        "Router and workflow events whose public step was passed over as malformed.");
    gy_consumer_config_t consumer_config = {
        .schema = "intake",
        .sources = config->sources,
        .pg = config->pg,
        .bus = config->bus,
        .metrics = config->metrics,
        .apply = s_apply,
        .arg = self,
    };
    self->consumer = gy_consumer_new(loop, &consumer_config);
    if (!self->consumer) {
        intake_competence_destroy(&self);
        return NULL;
    }
    return self;
}

/*  The state of intake_competence_start's connection: the competence's
 *  while it exists (not yet when the connection is made, and no longer
 *  after it is destroyed). */
static void s_on_pg_state(void *arg, bool up)
{
    intake_competence_t **self_p = arg;
    if (*self_p)
        intake_competence_pg_state(*self_p, up);
}

int intake_competence_start(intake_competence_t **self_p, gy_node_t *node, const char *sources,
                            const uint8_t *seal_key, const uint8_t *token_key,
                            intake_reporter_t **reporter_p)
{
    assert(self_p && !*self_p && node && sources && seal_key && reporter_p);
    gy_pg_t *pg = gy_node_pg(node, "pg competence", s_on_pg_state, self_p);
    intake_competence_prepare(pg);
    intake_reporter_prepare(gy_node_reader(node));
    intake_competence_config_t config = {
        .sources = sources,
        .pg = pg,
        .bus = gy_node_bus(node),
        .metrics = gy_node_metrics(node),
    };
    *self_p = intake_competence_new(gy_node_loop(node), &config);
    if (!*self_p)
        return -1;
    intake_reporter_config_t reporter_config = {
        .pg = gy_node_reader(node),
        .seal_key = seal_key,
        .token_key = token_key,
    };
    *reporter_p = intake_reporter_new(&reporter_config);
    return 0;
}

void intake_competence_destroy(intake_competence_t **self_p)
{
    assert(self_p);
    intake_competence_t *self = *self_p;
    if (!self)
        return;
    /*  Once destroyed the consumer calls apply no more (it has no result or
     *  done callback of ours); the timer frees the struct when closed. */
    gy_consumer_destroy(&self->consumer);
    uv_timer_stop(&self->retry);
    uv_close((uv_handle_t *)&self->retry, s_retry_close_cb);
    *self_p = NULL;
}

void intake_competence_pg_state(intake_competence_t *self, bool up)
{
    /*  A new session holds no lock: ask again.  (Until another instance
     *  takes the lock, the consumer may still apply what it has queued;
     *  the positions keep that exactly once.) */
    self->leading = false;
    uv_timer_stop(&self->retry);
    if (up)
        s_try_lead(self);
}
