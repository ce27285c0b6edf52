/*  intake_timeline — see intake_timeline.h. */
#include "intake_timeline.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_route.h"
#include "gy_scope.h"
#include "gy_text.h"
#include "gy_util.h"

/*  Only a clue stored here gets steps: the router may follow intakes of
 *  other sites.  $8: a step recorded once per clue (being assessed is one
 *  step however many volunteers are asked, and asked again). */
static const char s_sql_add_step[] =
    "INSERT INTO intake.timeline (clue_id, step, procuratorate, from_procuratorate, reason_code,"
    " at, recorded_by_event, public_reason, label)"
    " SELECT c.id, $2, NULLIF($3, ''), NULLIF($4, ''), NULLIF($5, ''),"
    " coalesce(to_timestamp(NULLIF($6, '')::bigint / 1000.0), now()), $7, NULLIF($9, ''),"
    " NULLIF($10, '')"
    "   FROM intake.clue c WHERE c.id = $1::uuid"
    "    AND NOT ($8::boolean AND EXISTS (SELECT 1 FROM intake.timeline t"
    "                                      WHERE t.clue_id = c.id AND t.step = $2))";

/*  A clue and its steps after "received", oldest first (the order
 *  intake.clue_last_step reads as latest), with the procuratorates' names
 *  from the reference data: one row per step, or one without a step.  One
 *  statement, so the status and the steps are of one snapshot. */
static const char s_sql_clue[] =
    "SELECT c.field_code, c.region_code, intake.api_time(c.received_at),"
    " intake.clue_last_step(c)->>'step',"
    " t.step, t.procuratorate, p.procuratorate_zh, t.from_procuratorate, f.procuratorate_zh,"
    " t.reason_code, intake.api_time(t.at), t.public_reason, t.label"
    "  FROM intake.clue c LEFT JOIN intake.timeline t ON t.clue_id = c.id"
    "  LEFT JOIN intake.region p ON p.code = t.procuratorate"
    "  LEFT JOIN intake.region f ON f.code = t.from_procuratorate"
    " WHERE c.receipt_code = $1 ORDER BY t.at, t.id";

/*  A volunteer's own clues, one keyset page (migrations/R__timeline.sql). */
static const char s_sql_mine[] =
    "SELECT intake.api_reporter_clues($1, 'epoch'::timestamptz + $2::bigint * interval "
    "'1 microsecond', $3::uuid, $4::integer)::text";

/*  ---- from the router's events ---- */

/*  A step an event makes public: the event's body, and for a transfer
 *  its step.  Anything not listed is not public. */
typedef struct {
    const char *transfer_step; /* ClueTransferred.step, or NULL */
    const char *step;          /* the public step */
    Gongyi__V1__Envelope__BodyCase body;
    bool once; /* at most one per clue */
} s_public_t;

static const s_public_t s_public[] = {
    {.body = GONGYI__V1__ENVELOPE__BODY_ASSESSMENT_REQUESTED,
     .transfer_step = NULL,
     .step = "assessing",
     .once = true},
    {.body = GONGYI__V1__ENVELOPE__BODY_CLUE_ROUTED,
     .transfer_step = NULL,
     .step = "accepted",
     .once = false},
    {.body = GONGYI__V1__ENVELOPE__BODY_CLUE_TRANSFERRED,
     .transfer_step = "accepted",
     .step = "transferred",
     .once = false},
    {.body = GONGYI__V1__ENVELOPE__BODY_CLUE_TRANSFERRED,
     .transfer_step = "decided",
     .step = "transferred",
     .once = false},
    {.body = GONGYI__V1__ENVELOPE__BODY_CLUE_REJECTED,
     .transfer_step = NULL,
     .step = "rejected",
     .once = false},
    /*  The workflow's: a clue opened as a case or joined to one is, for
     *  its reporter, the same step (已立案); 不立案 with its public reason. */
    {.body = GONGYI__V1__ENVELOPE__BODY_CASE_OPENED,
     .transfer_step = NULL,
     .step = "case_opened",
     .once = true},
    {.body = GONGYI__V1__ENVELOPE__BODY_CLUE_JOINED,
     .transfer_step = NULL,
     .step = "case_opened",
     .once = true},
    {.body = GONGYI__V1__ENVELOPE__BODY_CLUE_NOT_OPENED,
     .transfer_step = NULL,
     .step = "not_opened",
     .once = true},
    /*  A case's steps: only those with a public label (s_case_step). */
    {.body = GONGYI__V1__ENVELOPE__BODY_CASE_STAGE_CHANGED,
     .transfer_step = NULL,
     .step = "case_progress",
     .once = false},
};

/*  The step code of a case's public step, by the machine's event; a
 *  public step of an event not listed here (a later machine's) is
 *  "case_progress", shown by its label. */
static const struct {
    const char *event;
    const char *step;
} s_case_steps[] = {
    {"issue_suggestion", "suggestion_issued"}, {"publish_announcement", "announced"},
    {"confirm_rectified", "rectified"},        {"file_suit", "suit_filed"},
    {"support_suit", "suit_supported"},        {"close", "case_closed"},
    {"terminate", "case_terminated"},          {"reopen", "case_reopened"},
};

static const char *s_case_step(const char *event)
{
    for (size_t i = 0; i < sizeof s_case_steps / sizeof s_case_steps[0]; i++)
        if (strcmp(event, s_case_steps[i].event) == 0)
            return s_case_steps[i].step;
    return "case_progress";
}

static const s_public_t *s_public_of(const Gongyi__V1__Envelope *env)
{
    for (size_t i = 0; i < sizeof s_public / sizeof s_public[0]; i++) {
        const s_public_t *p = &s_public[i];
        if (p->body != env->body_case)
            continue;
        if (!p->transfer_step || strcmp(p->transfer_step, env->clue_transferred->step) == 0)
            return p;
    }
    return NULL;
}

/*  A reason code is a short lower-case identifier (router's API). */
static bool s_code_valid(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz_");
    return n > 0 && n <= 32 && n == strlen(s);
}

void intake_timeline_prepare_consumer(gy_pg_t *pg)
{
    gy_pg_prepare(pg, "timeline_add_step", s_sql_add_step);
}

/*  Adds one step of one clue, or passes a malformed one over. */
static void s_add_step(const gy_consumer_event_t *event, const s_public_t *pub, const char *clue_id,
                       const char *to, const char *from, const char *code,
                       const char *public_reason, const char *label, gy_pg_tx_t *tx,
                       gy_metrics_t *metrics)
{
    const Gongyi__V1__Envelope *env = event->envelope;
    /*  A malformed event would fail its transaction on every retry and stop
     *  the stream behind it; it is logged and passed over instead. */
    if (!gy_uuid_valid(clue_id) || (*to && !gy_scope_code_valid(to)) ||
        (*from && !gy_scope_code_valid(from)) || (*code && !s_code_valid(code)) ||
        gy_text_check(public_reason, strlen(public_reason), GY_TEXT_MULTILINE) < 0 ||
        strlen(public_reason) > 8000 || gy_text_check(label, strlen(label), GY_TEXT_LINE) < 0 ||
        strlen(label) > 200) {
        gy_log_warning("%s %s:%" PRIu64 " has no valid clue id, procuratorate, reason code or "
                       "public reason; its public step is passed over",
                       env->type, event->producer, event->sequence);
        gy_metrics_count(metrics, "gy_intake_timeline_malformed_total", "", 1);
        return;
    }
    char at[24] = "";
    if (env->time_unix_ms > 0)
        snprintf(at, sizeof at, "%" PRId64, env->time_unix_ms);
    char *by =
        gy_sprintf("%s%s%s@%s:%" PRIu64, env->type, pub->transfer_step ? ":" : "",
                   pub->transfer_step ? pub->transfer_step : "", event->producer, event->sequence);
    const char *values[] = {clue_id,       pub->step, to, from,
                            code,          at,        by, pub->once ? "true" : "false",
                            public_reason, label};
    gy_pg_tx_add(tx, "timeline_add_step", 10, values, NULL);
    free(by);
}

void intake_timeline_apply(const gy_consumer_event_t *event, gy_pg_tx_t *tx, gy_metrics_t *metrics)
{
    const Gongyi__V1__Envelope *env = event->envelope;
    const s_public_t *pub = s_public_of(env);
    if (!pub)
        return;
    const char *clue_id = NULL, *to = "", *from = "", *code = "", *public_reason = "";
    switch (env->body_case) {
    case GONGYI__V1__ENVELOPE__BODY_ASSESSMENT_REQUESTED:
        clue_id = env->assessment_requested->clue_id;
        break;
    case GONGYI__V1__ENVELOPE__BODY_CLUE_ROUTED:
        clue_id = env->clue_routed->clue_id;
        to = env->clue_routed->procuratorate;
        break;
    case GONGYI__V1__ENVELOPE__BODY_CLUE_TRANSFERRED:
        clue_id = env->clue_transferred->clue_id;
        from = env->clue_transferred->from_procuratorate;
        /*  The common superior's choice is only in the Envelope; choosing
         *  the side that had the clue moves nothing. */
        to = strcmp(env->clue_transferred->step, "decided") == 0
                 ? env->procuratorate
                 : env->clue_transferred->to_procuratorate;
        if (strcmp(to, from) == 0)
            return;
        break;
    case GONGYI__V1__ENVELOPE__BODY_CLUE_REJECTED:
        clue_id = env->clue_rejected->clue_id;
        to = env->clue_rejected->procuratorate;
        code = env->clue_rejected->reason_code;
        break;
    case GONGYI__V1__ENVELOPE__BODY_CASE_OPENED:
        /*  Every clue of the new case: each reporter follows their own. */
        for (size_t i = 0; i < env->case_opened->n_clue_ids; i++)
            s_add_step(event, pub, env->case_opened->clue_ids[i], env->case_opened->procuratorate,
                       "", "", "", "", tx, metrics);
        return;
    case GONGYI__V1__ENVELOPE__BODY_CASE_STAGE_CHANGED: {
        /*  Every clue of the case, when the step is public; a closing
         *  step carries the outcome written for the reporters. */
        const Gongyi__V1__CaseStageChanged *c = env->case_stage_changed;
        if (!c->public_label[0])
            return;
        s_public_t step = *pub;
        step.step = s_case_step(c->event);
        for (size_t i = 0; i < c->n_clue_ids; i++)
            s_add_step(event, &step, c->clue_ids[i], c->procuratorate, "", "", c->public_outcome,
                       c->public_label, tx, metrics);
        return;
    }
    case GONGYI__V1__ENVELOPE__BODY_CLUE_JOINED:
        clue_id = env->clue_joined->clue_id;
        to = env->clue_joined->procuratorate;
        break;
    case GONGYI__V1__ENVELOPE__BODY_CLUE_NOT_OPENED:
        clue_id = env->clue_not_opened->clue_id;
        to = env->clue_not_opened->procuratorate;
        public_reason = env->clue_not_opened->public_reason;
        break;
    default: assert(false); return;
    }
    s_add_step(event, pub, clue_id, to, from, code, public_reason, "", tx, metrics);
}

/*  ---- the reporter's view ---- */

/*  The public wording of each reason a clue is rejected for (the router's
 *  reason codes, docs/api.md "decide").  A prosecutor's own reason stays
 *  inside: it may name people or hold notes of the investigation. */
static const struct {
    const char *code;
    const char *reason;
} s_reasons[] = {
    {"no_public_interest", "经评估，未发现损害国家利益或者社会公共利益的情形。"},
    {"out_of_scope", "反映的问题不属于检察公益诉讼的案件范围。"},
    {"insufficient_facts", "反映的事实不够具体，暂无法核实。"},
    {"duplicate", "反映的问题已在其他线索中受理。"},
};
/*  A code added to the router before intake learnt its wording. */
static const char s_reason_other[] = "经审查，不予受理。";

static const char *s_reason(const char *code)
{
    for (size_t i = 0; i < sizeof s_reasons / sizeof s_reasons[0]; i++)
        if (strcmp(code, s_reasons[i].code) == 0)
            return s_reasons[i].reason;
    return s_reason_other;
}

#define S_RECEIPT_MAX 64 /* a checked receipt code is far shorter */

typedef struct {
    gy_http_request_t *req;
    char receipt[S_RECEIPT_MAX];
    json_t *found;    /* the clue's fields with its status, once read */
    json_t *timeline; /* its steps */
} s_query_t;

/*  The columns of s_sql_clue's steps, after the clue's four. */
enum {
    S_COL_STEP = 4,
    S_COL_TO = 5,
    S_COL_FROM = 7,
    S_COL_REASON_CODE = 9,
    S_COL_AT = 10,
    S_COL_PUBLIC_REASON = 11,
    S_COL_LABEL = 12
};

static json_t *s_procuratorate(const gy_pg_result_t *res, int row, int code_col)
{
    if (gy_pg_isnull(res, row, code_col))
        return NULL;
    return json_pack("{s:s,s:o}", "code", gy_pg_value(res, row, code_col), "name",
                     gy_pg_isnull(res, row, code_col + 1)
                         ? json_null()
                         : json_string(gy_pg_value(res, row, code_col + 1)));
}

static void s_on_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_query_t *q = arg;
    (void)index;
    if (gy_pg_ntuples(res) < 1)
        return;
    q->found = json_pack("{s:s,s:s,s:s,s:s,s:s}", "receipt_code", q->receipt, "field_code",
                         gy_pg_value(res, 0, 0), "region_code", gy_pg_value(res, 0, 1),
                         "received_at", gy_pg_value(res, 0, 2), "status", gy_pg_value(res, 0, 3));
    json_array_append_new(q->timeline,
                          json_pack("{s:s,s:s}", "step", "received", "at", gy_pg_value(res, 0, 2)));
    for (int row = 0; row < gy_pg_ntuples(res); row++) {
        if (gy_pg_isnull(res, row, S_COL_STEP))
            continue; /* nothing followed "received" */
        json_t *step = json_pack("{s:s,s:s}", "step", gy_pg_value(res, row, S_COL_STEP), "at",
                                 gy_pg_value(res, row, S_COL_AT));
        json_t *to = s_procuratorate(res, row, S_COL_TO);
        if (to)
            json_object_set_new(step, "procuratorate", to);
        json_t *from = s_procuratorate(res, row, S_COL_FROM);
        if (from)
            json_object_set_new(step, "from", from);
        if (!gy_pg_isnull(res, row, S_COL_REASON_CODE)) {
            const char *code = gy_pg_value(res, row, S_COL_REASON_CODE);
            json_object_set_new(step, "reason_code", json_string(code));
            json_object_set_new(step, "reason", json_string(s_reason(code)));
        }
        /*  不立案: the chief prosecutor's words for the reporter. */
        if (!gy_pg_isnull(res, row, S_COL_PUBLIC_REASON))
            json_object_set_new(step, "reason",
                                json_string(gy_pg_value(res, row, S_COL_PUBLIC_REASON)));
        /*  A case's step: the workflow's wording. */
        if (!gy_pg_isnull(res, row, S_COL_LABEL))
            json_object_set_new(step, "label", json_string(gy_pg_value(res, row, S_COL_LABEL)));
        json_array_append_new(q->timeline, step);
    }
}

static void s_on_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_query_t *q = arg;
    (void)sqlstate;
    if (status != GY_PG_OK) {
        gy_http_respond_error(q->req, 503, "unavailable", "the clue store is unavailable", NULL);
    } else if (!q->found) {
        gy_http_respond_error(q->req, 404, "not_found", "no clue has this receipt code", NULL);
    } else {
        json_object_set(q->found, "timeline", q->timeline);
        gy_reply_json(q->req, 200, json_incref(q->found));
    }
    json_decref(q->found);
    json_decref(q->timeline);
    free(q);
}

void intake_timeline_prepare_reader(gy_pg_t *reader)
{
    gy_pg_prepare(reader, "timeline_clue", s_sql_clue);
    gy_pg_prepare(reader, "timeline_mine", s_sql_mine);
}

void intake_timeline_get(gy_pg_t *reader, gy_http_request_t *req, const char *receipt_code)
{
    assert(reader && req && receipt_code && strlen(receipt_code) < S_RECEIPT_MAX);
    s_query_t *q = gy_calloc(1, sizeof *q);
    q->req = req;
    snprintf(q->receipt, sizeof q->receipt, "%s", receipt_code);
    q->timeline = json_array();
    const char *params[] = {q->receipt};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "timeline_clue", 1, params, NULL);
    if (gy_pg_run(reader, &tx, s_on_row, s_on_done, q) < 0) {
        json_decref(q->timeline);
        free(q);
        gy_http_respond_error(req, 503, "unavailable", "the clue store is unavailable", NULL);
    }
}

void intake_timeline_mine(gy_pg_t *reader, gy_http_request_t *req, const char *subject,
                          const gy_page_t *page)
{
    assert(reader && req && subject && page);
    const char *values[] = {subject, page->has_after ? page->after_us : NULL,
                            page->has_after ? page->after_id : NULL, page->limit_text};
    /*  Always a document (an empty page has no items): never not found. */
    gy_reply_document(reader, NULL, req, "timeline_mine", 4, values, "no such page");
}
