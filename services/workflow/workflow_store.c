/*  workflow_store — see workflow_store.h. */
#include "workflow_store.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_scope.h"
#include "gy_text.h"
#include "gy_util.h"
#include "workflow_review.h"
#include "workflow_volunteer.h"

static const char s_sql_review_state[] =
    "SELECT clue_id, state, version, procuratorate, field_code, case_kinds, cluster_id,"
    " origin_producer, origin_reference FROM workflow.review_state($1::uuid[])";
static const char s_sql_rotation_state[] =
    "SELECT prosecutors::text, position, version FROM workflow.rotation_state($1)";
static const char s_sql_review_insert[] = "SELECT workflow.review_insert($1::jsonb, $2::bigint)";
static const char s_sql_rotation_advance[] =
    "SELECT workflow.rotation_advance($1, $2::integer, $3::integer)";
static const char s_sql_review_step[] = "SELECT workflow.review_step($1::uuid, $2, $3::integer,"
                                        " $4, $5, $6, $7, $8::jsonb, $9::bigint)";
static const char s_sql_review_cluster[] =
    "SELECT workflow.review_cluster($1::uuid, $2::uuid[], $3, $4, $5::bigint)";

/*  A review as known to the batch being written: read, or written by an
 *  earlier event of the batch (the read could not see that). */
typedef struct s_review {
    struct s_review *next;
    char clue_id[37];
    int state;
    long version;
    char procuratorate[7];
    char field_code[33];
    char case_kinds[16];
    char cluster_id[37];
    char *origin_producer; /* "" when the clue came over HTTP */
    char *origin_reference;
} s_review_t;

/*  A procuratorate's rotation, likewise. */
typedef struct s_rotation {
    struct s_rotation *next;
    char procuratorate[7];
    bool found; /* it has one */
    json_t *prosecutors;
    long position, version;
} s_rotation_t;

/*  One event on its way through the read and the write. */
typedef struct {
    bool has_review;
    s_review_t review;
    bool has_rotation;
    s_rotation_t rotation;
    bool wrote; /* an event was appended */
} s_work_t;

struct workflow_store {
    const gy_refdata_t *refdata;
    char *producer;
    gy_outbox_t *outbox;
    gy_metrics_t *metrics;
    s_review_t *reviews;     /* known to the batch being written */
    s_rotation_t *rotations; /*   likewise */
};

static void s_review_free(s_review_t *r)
{
    free(r->origin_producer);
    free(r->origin_reference);
}

static void s_batch_clear(workflow_store_t *self)
{
    while (self->reviews) {
        s_review_t *r = self->reviews;
        self->reviews = r->next;
        s_review_free(r);
        free(r);
    }
    while (self->rotations) {
        s_rotation_t *r = self->rotations;
        self->rotations = r->next;
        json_decref(r->prosecutors);
        free(r);
    }
}

static s_review_t *s_batch_review(workflow_store_t *self, const char *clue_id)
{
    for (s_review_t *r = self->reviews; r; r = r->next)
        if (strcmp(r->clue_id, clue_id) == 0)
            return r;
    return NULL;
}

/*  The batch's copy of a review (made from what was read, or new). */
static s_review_t *s_batch_review_put(workflow_store_t *self, const s_review_t *from)
{
    s_review_t *r = s_batch_review(self, from->clue_id);
    if (!r) {
        r = gy_calloc(1, sizeof *r);
        r->next = self->reviews;
        self->reviews = r;
    } else {
        s_review_free(r);
    }
    s_review_t *next = r->next;
    *r = *from;
    r->next = next;
    r->origin_producer = gy_strdup(from->origin_producer ? from->origin_producer : "");
    r->origin_reference = gy_strdup(from->origin_reference ? from->origin_reference : "");
    return r;
}

static s_rotation_t *s_batch_rotation(workflow_store_t *self, const char *procuratorate,
                                      const s_rotation_t *read)
{
    for (s_rotation_t *r = self->rotations; r; r = r->next)
        if (strcmp(r->procuratorate, procuratorate) == 0)
            return r;
    s_rotation_t *r = gy_calloc(1, sizeof *r);
    snprintf(r->procuratorate, sizeof r->procuratorate, "%s", procuratorate);
    if (read && read->found) {
        r->found = true;
        r->prosecutors = json_incref(read->prosecutors);
        r->position = read->position;
        r->version = read->version;
    }
    r->next = self->rotations;
    self->rotations = r;
    return r;
}

/*  ---- checks ---- */

static bool s_text_ok(const char *s, size_t max)
{
    return s && strlen(s) <= max && gy_text_check(s, strlen(s), GY_TEXT_MULTILINE) >= 0;
}

static void s_malformed(workflow_store_t *self, const gy_consumer_event_t *event, const char *what)
{
    gy_log_warning("%s %s:%" PRIu64 " is malformed (%s); passed over", event->envelope->type,
                   event->producer, event->sequence, what);
    gy_metrics_count(self->metrics, "gy_workflow_malformed_total", "", 1);
}

static void s_passed_over(workflow_store_t *self, const gy_consumer_event_t *event, const char *why)
{
    gy_log_warning("%s %s:%" PRIu64 " passed over: %s", event->envelope->type, event->producer,
                   event->sequence, why);
    gy_metrics_count(self->metrics, "gy_workflow_passed_over_total", "", 1);
}

/*  The procuratorate a transfer leaves the clue at, or NULL when the step
 *  moves nothing (requested, disputed). */
static const char *s_transfer_to(const Gongyi__V1__Envelope *env)
{
    const Gongyi__V1__ClueTransferred *t = env->clue_transferred;
    if (strcmp(t->step, "accepted") == 0)
        return t->to_procuratorate;
    /*  The common superior chose a side; only the Envelope says which. */
    if (strcmp(t->step, "decided") == 0)
        return env->procuratorate;
    return NULL;
}

/*  ---- the read ---- */

static void s_add_reads(gy_pg_tx_t *tx, const char *clue_id, const char *procuratorate)
{
    char ids[40];
    snprintf(ids, sizeof ids, "{%s}", clue_id);
    const char *v1[] = {ids};
    gy_pg_tx_add(tx, "wf_review_state", 1, v1, NULL);
    if (procuratorate) {
        const char *v2[] = {procuratorate};
        gy_pg_tx_add(tx, "wf_rotation_state", 1, v2, NULL);
    }
}

void workflow_store_read(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    workflow_store_t *self = arg;
    const Gongyi__V1__Envelope *env = event->envelope;
    if (env->body_case == GONGYI__V1__ENVELOPE__BODY_CLUE_ROUTED) {
        const Gongyi__V1__ClueRouted *r = env->clue_routed;
        bool handling = strcmp(r->queue, "handling") == 0;
        if (!gy_uuid_valid(r->clue_id) || !gy_scope_code_valid(r->procuratorate) ||
            (!handling && strcmp(r->queue, "triage") != 0) ||
            (r->cluster_id[0] && !gy_uuid_valid(r->cluster_id)) ||
            !gy_text_id_valid(r->field_code, 32)) {
            s_malformed(self, event, "clue id, procuratorate, queue, cluster or field");
            return;
        }
        event->user = gy_calloc(1, sizeof(s_work_t));
        s_add_reads(tx, r->clue_id, handling ? r->procuratorate : NULL);
    } else if (env->body_case == GONGYI__V1__ENVELOPE__BODY_CLUE_TRANSFERRED) {
        const char *to = s_transfer_to(env);
        if (!to)
            return; /* requested or disputed: the clue stays where it is */
        const Gongyi__V1__ClueTransferred *t = env->clue_transferred;
        if (!gy_uuid_valid(t->clue_id) || !gy_uuid_valid(t->transfer_id) ||
            !gy_scope_code_valid(to) || !s_text_ok(t->by, 256) || !s_text_ok(t->reason, 4000)) {
            s_malformed(self, event, "clue id, transfer id, procuratorate, by or reason");
            return;
        }
        event->user = gy_calloc(1, sizeof(s_work_t));
        s_add_reads(tx, t->clue_id, to);
    }
}

static char *s_dup_or_empty(const gy_pg_result_t *res, int row, int col)
{
    return gy_strdup(gy_pg_value(res, row, col));
}

void workflow_store_read_result(void *arg, gy_consumer_event_t *event, size_t index,
                                const gy_pg_result_t *res)
{
    (void)arg;
    s_work_t *w = event->user;
    if (!w || gy_pg_ntuples(res) != 1)
        return;
    if (index == 0) {
        s_review_t *r = &w->review;
        int state = gy_machine_state_of(&workflow_review_machine, gy_pg_value(res, 0, 1));
        if (state < 0)
            return; /* logged at apply: a state the code does not know */
        w->has_review = true;
        snprintf(r->clue_id, sizeof r->clue_id, "%s", gy_pg_value(res, 0, 0));
        r->state = state;
        r->version = strtol(gy_pg_value(res, 0, 2), NULL, 10);
        snprintf(r->procuratorate, sizeof r->procuratorate, "%s", gy_pg_value(res, 0, 3));
        snprintf(r->field_code, sizeof r->field_code, "%s", gy_pg_value(res, 0, 4));
        snprintf(r->case_kinds, sizeof r->case_kinds, "%s", gy_pg_value(res, 0, 5));
        snprintf(r->cluster_id, sizeof r->cluster_id, "%s", gy_pg_value(res, 0, 6));
        r->origin_producer = s_dup_or_empty(res, 0, 7);
        r->origin_reference = s_dup_or_empty(res, 0, 8);
    } else if (index == 1) {
        json_t *list = json_loads(gy_pg_value(res, 0, 0), 0, NULL);
        if (!json_is_array(list) || json_array_size(list) == 0) {
            json_decref(list);
            return;
        }
        w->has_rotation = true;
        w->rotation.found = true;
        w->rotation.prosecutors = list;
        w->rotation.position = strtol(gy_pg_value(res, 0, 1), NULL, 10);
        w->rotation.version = strtol(gy_pg_value(res, 0, 2), NULL, 10);
    }
}

/*  ---- the write ---- */

/*  The next prosecutor of procuratorate's rotation ("" when it has none),
 *  with the rotation's advance added to tx. */
static const char *s_rotate(workflow_store_t *self, s_work_t *w, const char *procuratorate,
                            gy_pg_tx_t *tx)
{
    s_rotation_t *rot =
        s_batch_rotation(self, procuratorate, w->has_rotation ? &w->rotation : NULL);
    if (!rot->found)
        return "";
    long next;
    size_t at = workflow_rotation_pick(json_array_size(rot->prosecutors), rot->position, &next);
    char version[24], position[24];
    snprintf(version, sizeof version, "%ld", rot->version);
    snprintf(position, sizeof position, "%ld", next);
    const char *values[] = {procuratorate, version, position};
    gy_pg_tx_add(tx, "wf_rotation_advance", 3, values, NULL);
    rot->version++;
    rot->position = next;
    return json_string_value(json_array_get(rot->prosecutors, at));
}

static void s_trace(const Gongyi__V1__Envelope *env, char out[37])
{
    if (env->trace_id && gy_uuid_valid(env->trace_id))
        snprintf(out, 37, "%s", env->trace_id);
    else
        gy_uuid(out);
}

static void s_started(workflow_store_t *self, gy_consumer_event_t *event, gy_pg_tx_t *tx,
                      const s_review_t *r, const char *assignee, const char *from)
{
    Gongyi__V1__ClueReviewStarted m = GONGYI__V1__CLUE_REVIEW_STARTED__INIT;
    m.clue_id = (char *)r->clue_id;
    m.cluster_id = (char *)r->cluster_id;
    m.procuratorate = (char *)r->procuratorate;
    m.field_code = (char *)r->field_code;
    m.case_kinds = (char *)r->case_kinds;
    m.assignee = (char *)assignee;
    m.from_procuratorate = (char *)from;
    m.source_producer = (char *)event->producer;
    m.source_sequence = event->sequence;
    Gongyi__V1__Origin origin = GONGYI__V1__ORIGIN__INIT;
    if (r->origin_producer && r->origin_producer[0]) {
        origin.producer = r->origin_producer;
        origin.reference_id = r->origin_reference;
        m.origin = &origin;
    }
    char trace[37];
    s_trace(event->envelope, trace);
    gy_outbox_tx_append_msg(tx, self->producer, &m.base, trace, r->procuratorate);
    ((s_work_t *)event->user)->wrote = true;
}

static void s_apply_routed(workflow_store_t *self, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    s_work_t *w = event->user;
    const Gongyi__V1__ClueRouted *cr = event->envelope->clue_routed;
    if (s_batch_review(self, cr->clue_id) || w->has_review) {
        s_passed_over(self, event, "the clue is under review already");
        return;
    }
    bool handling = strcmp(cr->queue, "handling") == 0;
    const gy_field_t *field = gy_refdata_field(self->refdata, cr->field_code);
    if (!field)
        gy_log_warning("ClueRouted %s:%" PRIu64 " has field %s, not in this workflow's reference "
                       "data: both case kinds are allowed for it",
                       event->producer, event->sequence, cr->field_code);
    s_review_t r = {.state = handling ? WORKFLOW_REVIEW_UNDER_REVIEW : WORKFLOW_REVIEW_TRIAGE,
                    .version = 1};
    snprintf(r.clue_id, sizeof r.clue_id, "%s", cr->clue_id);
    snprintf(r.cluster_id, sizeof r.cluster_id, "%s",
             cr->cluster_id[0] ? cr->cluster_id : cr->clue_id);
    snprintf(r.procuratorate, sizeof r.procuratorate, "%s", cr->procuratorate);
    snprintf(r.field_code, sizeof r.field_code, "%s", cr->field_code);
    snprintf(r.case_kinds, sizeof r.case_kinds, "%s",
             !field                                  ? "both"
             : field->administrative && field->civil ? "both"
             : field->administrative                 ? "administrative"
                                                     : "civil");
    bool origin = cr->origin && s_text_ok(cr->origin->producer, 256) &&
                  s_text_ok(cr->origin->reference_id, 256);
    r.origin_producer = origin ? cr->origin->producer : "";
    r.origin_reference = origin ? cr->origin->reference_id : "";
    const char *assignee = handling ? s_rotate(self, w, cr->procuratorate, tx) : "";

    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:I}", "clue_id", r.clue_id, "cluster_id",
        r.cluster_id, "procuratorate", r.procuratorate, "queue", cr->queue, "field_code",
        r.field_code, "case_kinds", r.case_kinds, "priority", (int)cr->priority, "assignee",
        assignee, "state", gy_machine_state_name(&workflow_review_machine, r.state),
        "origin_producer", r.origin_producer, "origin_reference", r.origin_reference,
        "source_producer", event->producer, "source_sequence", (json_int_t)event->sequence);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    const char *values[] = {text, at};
    gy_pg_tx_add(tx, "wf_review_insert", 2, values, NULL);
    free(text);
    s_batch_review_put(self, &r);
    if (handling)
        s_started(self, event, tx, &r, assignee, "");
}

static void s_apply_transferred(workflow_store_t *self, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    s_work_t *w = event->user;
    const Gongyi__V1__ClueTransferred *t = event->envelope->clue_transferred;
    const char *to = s_transfer_to(event->envelope);
    s_review_t *r = s_batch_review(self, t->clue_id);
    if (!r && w->has_review)
        r = s_batch_review_put(self, &w->review);
    if (!r) {
        s_passed_over(self, event, "no review of this clue here (never routed to this workflow)");
        return;
    }
    /*  Decided for the side that had it: a review stays as it is, but a
     *  clue of a triage queue is placed there (the router puts it in that
     *  procuratorate's handling queue). */
    if (strcmp(r->procuratorate, to) == 0 && r->state != WORKFLOW_REVIEW_TRIAGE)
        return;
    const gy_machine_t *m = &workflow_review_machine;
    int next = gy_machine_next(m, r->state, WORKFLOW_REVIEW_TRANSFER);
    if (next == GY_MACHINE_REFUSED) {
        char why[200];
        gy_machine_refusal(m, r->state, WORKFLOW_REVIEW_TRANSFER, why, sizeof why);
        s_passed_over(self, event, why);
        return;
    }
    char from[7];
    snprintf(from, sizeof from, "%s", r->procuratorate);
    const char *assignee = s_rotate(self, w, to, tx);
    json_t *change = json_pack("{s:s,s:s,s:s,s:s}", "procuratorate", to, "assignee", assignee,
                               "from_procuratorate", from, "transfer_id", t->transfer_id);
    char *text = json_dumps(change, JSON_COMPACT);
    json_decref(change);
    char version[24], at[24];
    snprintf(version, sizeof version, "%ld", r->version);
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    const char *values[] = {
        r->clue_id, gy_machine_state_name(m, r->state), version,   gy_machine_state_name(m, next),
        "transfer", t->by[0] ? t->by : "router",        t->reason, text,
        at};
    gy_pg_tx_add(tx, "wf_review_step", 9, values, NULL);
    free(text);
    r->state = next;
    r->version++;
    snprintf(r->procuratorate, sizeof r->procuratorate, "%s", to);
    s_started(self, event, tx, r, assignee, from);
}

static void s_apply_cluster(workflow_store_t *self, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    const Gongyi__V1__ClusterChanged *c = event->envelope->cluster_changed;
    bool ok = gy_uuid_valid(c->cluster_id) && s_text_ok(c->by, 256) && s_text_ok(c->reason, 4000);
    for (size_t i = 0; ok && i < c->n_clue_ids; i++)
        ok = gy_uuid_valid(c->clue_ids[i]);
    if (!ok) {
        s_malformed(self, event, "cluster id, clue ids, by or reason");
        return;
    }
    gy_buf_t ids = {0};
    gy_buf_append(&ids, "{", 1);
    for (size_t i = 0; i < c->n_clue_ids; i++) {
        gy_buf_printf(&ids, "%s%s", i ? "," : "", c->clue_ids[i]);
        s_review_t *r = s_batch_review(self, c->clue_ids[i]);
        if (r)
            snprintf(r->cluster_id, sizeof r->cluster_id, "%s", c->cluster_id);
    }
    gy_buf_append(&ids, "}", 2);
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    const char *values[] = {c->cluster_id, ids.data, c->by[0] ? c->by : "router", c->reason, at};
    gy_pg_tx_add(tx, "wf_review_cluster", 5, values, NULL);
    gy_buf_free(&ids);
}

void workflow_store_apply(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    workflow_store_t *self = arg;
    switch (event->envelope->body_case) {
    case GONGYI__V1__ENVELOPE__BODY_CLUE_ROUTED:
        if (event->user)
            s_apply_routed(self, event, tx);
        break;
    case GONGYI__V1__ENVELOPE__BODY_CLUE_TRANSFERRED:
        if (event->user)
            s_apply_transferred(self, event, tx);
        break;
    case GONGYI__V1__ENVELOPE__BODY_CLUSTER_CHANGED: s_apply_cluster(self, event, tx); break;
    case GONGYI__V1__ENVELOPE__BODY_VOLUNTEER_CHANGED: /* the projection (workflow_volunteer) */
        if (workflow_volunteer_apply(event, tx) < 0)
            s_malformed(self, event, "volunteer id, procuratorate, status, term or codes");
        break;
    default: break; /* not ours: the position still advances */
    }
}

void workflow_store_done(void *arg, gy_consumer_event_t *event, gy_pg_status_t status)
{
    workflow_store_t *self = arg;
    s_work_t *w = event->user;
    event->user = NULL;
    /*  The batch is over, whatever its fate: what it wrote is stored (the
     *  next read sees it) or was never written. */
    s_batch_clear(self);
    /*  The events are committed: the relay reads them from the outbox. */
    if ((status == GY_PG_OK && w && w->wrote) || status == GY_PG_LOST)
        gy_outbox_check(self->outbox);
    if (status == GY_PG_OK && w && w->wrote)
        gy_metrics_count(self->metrics, "gy_workflow_reviews_started_total", "", 1);
    if (w) {
        s_review_free(&w->review);
        json_decref(w->rotation.prosecutors);
    }
    free(w);
}

/*  ---- life cycle ---- */

workflow_store_t *workflow_store_start(gy_node_t *node, const gy_refdata_t *refdata)
{
    assert(node && refdata);
    gy_pg_t *writer = gy_node_writer(node);
    gy_pg_prepare(writer, "wf_review_state", s_sql_review_state);
    gy_pg_prepare(writer, "wf_rotation_state", s_sql_rotation_state);
    gy_pg_prepare(writer, "wf_review_insert", s_sql_review_insert);
    gy_pg_prepare(writer, "wf_rotation_advance", s_sql_rotation_advance);
    gy_pg_prepare(writer, "wf_review_step", s_sql_review_step);
    gy_pg_prepare(writer, "wf_review_cluster", s_sql_review_cluster);
    gy_outbox_prepare("workflow", NULL, NULL, writer);
    workflow_volunteer_prepare(writer);
    workflow_store_t *self = gy_calloc(1, sizeof *self);
    self->refdata = refdata;
    self->producer = gy_strdup(gy_node_producer(node));
    self->outbox = gy_node_outbox(node);
    self->metrics = gy_node_metrics(node);
    gy_metrics_describe(self->metrics, "gy_workflow_reviews_started_total", "counter",
                        "Clues put under review at a procuratorate (ClueReviewStarted committed).");
    gy_metrics_describe(self->metrics, "gy_workflow_malformed_total", "counter",
                        "Router events passed over as malformed.");
    gy_metrics_describe(self->metrics, "gy_workflow_passed_over_total", "counter",
                        "Router events passed over: a transfer of a decided review or of a clue "
                        "never routed here, a second ClueRouted.");
    return self;
}

void workflow_store_destroy(workflow_store_t **self_p)
{
    assert(self_p);
    workflow_store_t *self = *self_p;
    if (!self)
        return;
    s_batch_clear(self);
    free(self->producer);
    free(self);
    *self_p = NULL;
}
