/*  workflow_api — see workflow_api.h. */
#include "workflow_api.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gy_auth.h"
#include "gy_config.h"
#include "gy_hold.h"
#include "gy_page.h"
#include "gy_route.h"
#include "gy_scope.h"
#include "gy_text.h"
#include "gy_token.h"
#include "gy_util.h"
#include "workflow_case.h"
#include "workflow_document_api.h"
#include "workflow_review.h"

/*  A conflict means another step won the race; a few tries settle it. */
#define S_TRIES 4

static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    {"api_reviews", "SELECT workflow.api_reviews($1, $2, $3, 'epoch'::timestamptz + $4::bigint * "
                    "interval '1 microsecond', $5::uuid, $6::integer)::text"},
    {"api_review", "SELECT workflow.api_review($1::uuid, $2)::text"},
    {"api_rotation", "SELECT workflow.api_rotation($1)::text"},
    {"api_rotation_set", "SELECT workflow.rotation_set($1, $2::text[], $3, $4::bigint)::text"},
    {"api_review_read", "SELECT state, version, procuratorate, field_code, case_kinds, cluster_id,"
                        " assignee, origin_producer, origin_reference"
                        " FROM workflow.review_read($1::uuid)"},
    {"api_case_read", "SELECT kind, procuratorate, field_code, state, version"
                      " FROM workflow.case_read($1::uuid)"},
    {"api_review_step", "SELECT workflow.review_step($1::uuid, $2, $3::integer, $4, $5, $6, $7,"
                        " $8::jsonb, $9::bigint)"},
    {"api_case_open", "SELECT workflow.case_open($1::jsonb, $2::uuid, $3, $4::bigint)"},
    {"api_case_join", "SELECT workflow.case_join($1::uuid, $2, $3::integer, $4::uuid, $5,"
                      " $6::bigint)"},
};

struct workflow_api {
    gy_pgpool_t *pool;           /* borrowed: the API's own connections */
    const uint8_t *public_key;   /* borrowed */
    const gy_refdata_t *refdata; /* borrowed */
    gy_outbox_t *outbox;         /* borrowed: woken after a commit */
    workflow_cases_t *cases;     /* the cases' routes, and what opening starts */
    char *producer;
    gy_holds_t holds;
    workflow_document_api_t *documents; /* the documents' routes (文书) */
};

static void s_unavailable(gy_http_request_t *req)
{
    gy_http_respond_error(
        req, 503, "unavailable",
        "the workflow's database is unavailable; nothing was changed; retry later", NULL);
}

static const char *const s_handler_roles[] = {"prosecutor", "chief_prosecutor", NULL};
static const gy_guard_t s_handlers = {s_handler_roles, true, false,
                                      "only a prosecutor or a chief prosecutor may review clues"};
static const char *const s_chief_roles[] = {"chief_prosecutor", NULL};
static const gy_guard_t s_chiefs = {s_chief_roles, true, false,
                                    "only a chief prosecutor may set the rotation"};

/*  Reads: one statement answering a JSON document (NULL: not found). */
static void s_read(workflow_api_t *self, gy_http_request_t *req, const char *stmt, int n,
                   const char *const *values, const char *not_found)
{
    gy_reply_document(gy_pgpool_pick(self->pool), &self->holds, req, stmt, n, values, not_found);
}

/*  ---- GET /api/v1/workflow/reviews ---- */

static void s_reviews(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_api_t *self = arg;
    (void)match;
    gy_token_claims_t claims;
    char prefix[7];
    if (gy_auth_guard(req, self->public_key, &s_handlers, &claims, prefix) < 0)
        return;
    static const char *const queues[] = {"mine", "unassigned", "all", NULL};
    gy_page_spec_t spec = {"queue", queues, 20, 100};
    gy_page_t page;
    gy_error_t err;
    if (gy_page_parse(&spec, gy_http_query(req), &page, &err) < 0) {
        gy_reply_error(req, &err);
        return;
    }
    const char *values[] = {prefix,
                            page.filter[0] ? page.filter : "all",
                            claims.sub,
                            page.has_after ? page.after_us : NULL,
                            page.has_after ? page.after_id : NULL,
                            page.limit_text};
    s_read(self, req, "api_reviews", 6, values, "no such queue");
}

static void s_review(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_api_t *self = arg;
    gy_token_claims_t claims;
    char prefix[7];
    if (gy_auth_guard(req, self->public_key, &s_handlers, &claims, prefix) < 0)
        return;
    const char *id = gy_route_param(match, "clue_id");
    if (!gy_uuid_valid(id)) {
        gy_http_respond_error(req, 404, "not_found", "no such review", NULL);
        return;
    }
    const char *values[] = {id, prefix};
    s_read(self, req, "api_review", 2, values, "no such review");
}

/*  ---- rotations ---- */

/*  The procuratorate of the path, in the caller's scope and the reference
 *  data; otherwise answered 404. */
static int s_rotation_head(workflow_api_t *self, gy_http_request_t *req,
                           const gy_route_match_t *match, const gy_guard_t *guard,
                           gy_token_claims_t *claims, const char **code)
{
    char prefix[7];
    if (gy_auth_guard(req, self->public_key, guard, claims, prefix) < 0)
        return -1;
    *code = gy_route_param(match, "procuratorate");
    if (!gy_scope_code_valid(*code) || !gy_scope_within(*code, prefix) ||
        !gy_refdata_region(self->refdata, *code)) {
        gy_http_respond_error(req, 404, "not_found", "no such procuratorate", NULL);
        return -1;
    }
    return 0;
}

static void s_rotation(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_api_t *self = arg;
    gy_token_claims_t claims;
    const char *code;
    if (s_rotation_head(self, req, match, &s_handlers, &claims, &code) < 0)
        return;
    const char *values[] = {code};
    s_read(self, req, "api_rotation", 1, values, "no such procuratorate");
}

static void s_rotation_set(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_api_t *self = arg;
    gy_token_claims_t claims;
    const char *code, *body;
    size_t len;
    if (s_rotation_head(self, req, match, &s_chiefs, &claims, &code) < 0 ||
        gy_require_json(req) < 0)
        return;
    body = gy_http_body(req, &len);
    char *list;
    gy_error_t err;
    if (workflow_rotation_parse(body, len, &list, &err) < 0) {
        gy_reply_error(req, &err);
        return;
    }
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    const char *values[] = {code, list, claims.sub, at};
    s_read(self, req, "api_rotation_set", 4, values, "no such procuratorate");
    free(list);
}

/*  ---- steps: read, decide in C, write guarded ---- */

typedef struct {
    workflow_api_t *api;
    gy_http_request_t *req;
    int event; /* WORKFLOW_REVIEW_ASSIGN, _NOT_OPEN, _OPEN or _JOIN */
    int tries;
    char clue_id[37];
    char prefix[7];
    gy_token_claims_t claims;
    /* the request */
    bool has_version;
    long expected_version;
    char *assignee, *reason, *public_reason, *case_kind, *case_id, *title;
    bool harm_ongoing;
    /* what the read found */
    bool found, case_found;
    char state[24];
    long version;
    char procuratorate[7];
    char field_code[33];
    char case_kinds[16];
    char *origin_producer, *origin_reference;
    char case_kind_read[16], case_proc[7], case_field[33], case_state[24];
    long case_version;
    char new_case_id[37];
    /* what the write answered */
    size_t answer_index; /* the statement that reads the review back */
    char *answer;
} s_step_t;

static void s_step_free(s_step_t *s)
{
    free(s->assignee);
    free(s->reason);
    free(s->public_reason);
    free(s->case_kind);
    free(s->case_id);
    free(s->title);
    free(s->origin_producer);
    free(s->origin_reference);
    free(s->answer);
    free(s);
}

static void s_step_read(s_step_t *s);

static void s_on_write_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_step_t *s = arg;
    /*  The last statement answers the review as it is now. */
    if (index == s->answer_index && gy_pg_ntuples(res) == 1 && !gy_pg_isnull(res, 0, 0)) {
        free(s->answer);
        s->answer = gy_strdup(gy_pg_value(res, 0, 0));
    }
}

static void s_on_write_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_step_t *s = arg;
    if (gy_hold_gone(&s->api->holds, s->req)) {
        s_step_free(s);
        return;
    }
    bool conflict = gy_pg_conflict(status, sqlstate, true);
    if (conflict && s->tries < S_TRIES) {
        s_step_read(s); /* decide again on what is stored now */
        return;
    }
    if (status == GY_PG_LOST)
        gy_outbox_check(s->api->outbox);
    if (conflict) {
        gy_reply_conflict(s->req);
    } else if (status != GY_PG_OK) {
        s_unavailable(s->req);
    } else {
        gy_outbox_check(s->api->outbox); /* the event is committed: the relay reads it */
        json_t *body = s->answer ? json_loads(s->answer, 0, NULL) : NULL;
        if (body)
            gy_reply_json(s->req, s->event == WORKFLOW_REVIEW_OPEN ? 201 : 200, body);
        else
            gy_http_respond_error(s->req, 500, "internal", "internal error", NULL);
    }
    s_step_free(s);
}

static void s_origin(s_step_t *s, Gongyi__V1__Origin *origin, Gongyi__V1__Origin **out)
{
    *out = NULL;
    if (s->origin_producer && s->origin_producer[0]) {
        origin->producer = s->origin_producer;
        origin->reference_id = s->origin_reference;
        *out = origin;
    }
}

/*  The event of the step, packed here from the generated code. */
static void s_add_event(s_step_t *s, gy_pg_tx_t *tx, int64_t at_ms)
{
    char trace[37];
    gy_uuid(trace);
    Gongyi__V1__Origin origin = GONGYI__V1__ORIGIN__INIT;
    const char *producer = s->api->producer;
    switch (s->event) {
    case WORKFLOW_REVIEW_ASSIGN: {
        Gongyi__V1__ClueReviewAssigned m = GONGYI__V1__CLUE_REVIEW_ASSIGNED__INIT;
        m.clue_id = s->clue_id;
        m.procuratorate = s->procuratorate;
        m.field_code = s->field_code;
        m.assignee = s->assignee;
        m.by = s->claims.sub;
        s_origin(s, &origin, &m.origin);
        gy_outbox_tx_append_msg(tx, producer, &m.base, trace, s->procuratorate);
        break;
    }
    case WORKFLOW_REVIEW_NOT_OPEN: {
        Gongyi__V1__ClueNotOpened m = GONGYI__V1__CLUE_NOT_OPENED__INIT;
        m.clue_id = s->clue_id;
        m.procuratorate = s->procuratorate;
        m.field_code = s->field_code;
        m.public_reason = s->public_reason;
        m.decided_by = s->claims.sub;
        s_origin(s, &origin, &m.origin);
        gy_outbox_tx_append_msg(tx, producer, &m.base, trace, s->procuratorate);
        break;
    }
    case WORKFLOW_REVIEW_OPEN: {
        Gongyi__V1__CaseOpened m = GONGYI__V1__CASE_OPENED__INIT;
        char *ids[] = {s->clue_id};
        Gongyi__V1__Origin *origins[] = {&origin};
        m.case_id = s->new_case_id;
        m.kind = s->case_kind;
        m.procuratorate = s->procuratorate;
        m.field_code = s->field_code;
        m.n_clue_ids = 1;
        m.clue_ids = ids;
        m.title = s->title;
        m.heroes = strcmp(s->field_code, "heroes_martyrs") == 0;
        m.harm_ongoing = s->harm_ongoing;
        m.opened_by = s->claims.sub;
        m.opened_unix_ms = at_ms;
        if (s->origin_producer && s->origin_producer[0]) {
            origin.producer = s->origin_producer;
            origin.reference_id = s->origin_reference;
            m.n_origins = 1;
            m.origins = origins;
        }
        gy_outbox_tx_append_msg(tx, producer, &m.base, trace, s->procuratorate);
        break;
    }
    case WORKFLOW_REVIEW_JOIN: {
        Gongyi__V1__ClueJoined m = GONGYI__V1__CLUE_JOINED__INIT;
        m.clue_id = s->clue_id;
        m.case_id = s->case_id;
        m.kind = s->case_kind_read;
        m.procuratorate = s->procuratorate;
        m.field_code = s->case_field;
        m.by = s->claims.sub;
        s_origin(s, &origin, &m.origin);
        gy_outbox_tx_append_msg(tx, producer, &m.base, trace, s->procuratorate);
        break;
    }
    default: assert(false);
    }
}

static void s_fail(s_step_t *s, int status, const char *code, const char *field,
                   const char *message)
{
    gy_http_respond_error(s->req, status, code, message, field);
    s_step_free(s);
}

/*  The default title of a case: its field and kind. */
static char *s_default_title(s_step_t *s)
{
    const gy_field_t *f = gy_refdata_field(s->api->refdata, s->field_code);
    return gy_sprintf("%s%s公益诉讼案", f ? f->name_zh : s->field_code,
                      strcmp(s->case_kind, "civil") == 0 ? "民事" : "行政");
}

static void s_decide(s_step_t *s)
{
    const gy_machine_t *m = &workflow_review_machine;
    if (!s->found || !gy_scope_within(s->procuratorate, s->prefix)) {
        s_fail(s, 404, "not_found", NULL, "no such review");
        return;
    }
    int state = gy_machine_state_of(m, s->state);
    if (state < 0) {
        gy_log_error("review of clue %s has state \"%s\", unknown to the review machine",
                     s->clue_id, s->state);
        s_fail(s, 500, "internal", NULL, "internal error");
        return;
    }
    if (s->has_version && s->expected_version != s->version) {
        char message[160];
        snprintf(message, sizeof message,
                 "the review is at version %ld, not %ld: it changed since you read it; reload",
                 s->version, s->expected_version);
        s_fail(s, 409, "conflict", "expected_version", message);
        return;
    }
    int next = gy_machine_next(m, state, s->event);
    if (next == GY_MACHINE_REFUSED) {
        char why[256];
        gy_machine_refusal(m, state, s->event, why, sizeof why);
        s_fail(s, 409, "invalid_state", "state", why);
        return;
    }
    json_t *change = json_object();
    if (s->event == WORKFLOW_REVIEW_ASSIGN) {
        json_object_set_new(change, "assignee", json_string(s->assignee));
    } else if (s->event == WORKFLOW_REVIEW_NOT_OPEN) {
        json_object_set_new(change, "reason", json_string(s->reason));
        json_object_set_new(change, "public_reason", json_string(s->public_reason));
    } else if (s->event == WORKFLOW_REVIEW_OPEN) {
        if (!workflow_case_kind_allowed(s->case_kinds, s->case_kind)) {
            json_decref(change);
            char message[200];
            snprintf(message, sizeof message,
                     "the field %s allows %s cases only (reference/fields.csv)", s->field_code,
                     s->case_kinds);
            s_fail(s, 422, "case_kind_not_allowed", "case_kind", message);
            return;
        }
        gy_uuid(s->new_case_id);
        json_object_set_new(change, "case_id", json_string(s->new_case_id));
    } else {
        if (!s->case_found || !gy_scope_within(s->case_proc, s->prefix)) {
            json_decref(change);
            s_fail(s, 422, "unknown_case", "case_id", "no such case");
            return;
        }
        /*  Several clues, one case: of one procuratorate, and still open
         *  (closed and terminated are the case machines' final states,
         *  workflow_machines.h). */
        bool ended =
            strcmp(s->case_state, "closed") == 0 || strcmp(s->case_state, "terminated") == 0;
        if (strcmp(s->case_proc, s->procuratorate) != 0 || ended) {
            json_decref(change);
            s_fail(s, 409, "invalid_case", "case_id",
                   strcmp(s->case_proc, s->procuratorate) != 0
                       ? "the case belongs to another procuratorate than the clue"
                       : "the case is closed or terminated");
            return;
        }
        json_object_set_new(change, "case_id", json_string(s->case_id));
    }
    char *change_text = json_dumps(change, JSON_COMPACT);
    json_decref(change);
    int64_t at_ms = gy_now_ms();
    char version[24], at[24];
    snprintf(version, sizeof version, "%ld", s->version);
    snprintf(at, sizeof at, "%" PRId64, at_ms);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {s->clue_id,
                            s->state,
                            version,
                            gy_machine_state_name(m, next),
                            gy_machine_event_name(m, s->event),
                            s->claims.sub,
                            s->reason,
                            change_text,
                            at};
    gy_pg_tx_add(tx, "api_review_step", 9, values, NULL);
    free(change_text);
    if (s->event == WORKFLOW_REVIEW_OPEN) {
        if (!s->title)
            s->title = s_default_title(s);
        json_t *c =
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "id", s->new_case_id, "kind", s->case_kind,
                      "procuratorate", s->procuratorate, "field_code", s->field_code, "title",
                      s->title, "heroes", strcmp(s->field_code, "heroes_martyrs") == 0,
                      "harm_ongoing", s->harm_ongoing);
        char *text = json_dumps(c, JSON_COMPACT);
        json_decref(c);
        const char *cv[] = {text, s->clue_id, s->claims.sub, at};
        gy_pg_tx_add(tx, "api_case_open", 4, cv, NULL);
        free(text);
        workflow_cases_opening(s->api->cases, tx, s->new_case_id, s->case_kind, s->procuratorate,
                               s->harm_ongoing, s->claims.sub, at_ms);
    } else if (s->event == WORKFLOW_REVIEW_JOIN) {
        char cversion[24];
        snprintf(cversion, sizeof cversion, "%ld", s->case_version);
        const char *cv[] = {s->case_id, s->case_state, cversion, s->clue_id, s->claims.sub, at};
        gy_pg_tx_add(tx, "api_case_join", 6, cv, NULL);
    }
    s_add_event(s, tx, at_ms);
    const char *rv[] = {s->clue_id, s->prefix};
    s->answer_index = gy_pg_tx_size(tx);
    gy_pg_tx_add(tx, "api_review", 2, rv, NULL);
    if (gy_pg_run(gy_pgpool_pick(s->api->pool), &tx, s_on_write_row, s_on_write_done, s) < 0) {
        s_unavailable(s->req);
        s_step_free(s);
        return;
    }
    gy_hold(&s->api->holds);
}

static void s_on_step_read_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_step_t *s = arg;
    if (gy_pg_ntuples(res) != 1)
        return;
    if (index == 0) {
        s->found = true;
        snprintf(s->state, sizeof s->state, "%s", gy_pg_value(res, 0, 0));
        s->version = strtol(gy_pg_value(res, 0, 1), NULL, 10);
        snprintf(s->procuratorate, sizeof s->procuratorate, "%s", gy_pg_value(res, 0, 2));
        snprintf(s->field_code, sizeof s->field_code, "%s", gy_pg_value(res, 0, 3));
        snprintf(s->case_kinds, sizeof s->case_kinds, "%s", gy_pg_value(res, 0, 4));
        free(s->origin_producer);
        free(s->origin_reference);
        s->origin_producer = gy_strdup(gy_pg_value(res, 0, 7));
        s->origin_reference = gy_strdup(gy_pg_value(res, 0, 8));
    } else {
        s->case_found = true;
        snprintf(s->case_kind_read, sizeof s->case_kind_read, "%s", gy_pg_value(res, 0, 0));
        snprintf(s->case_proc, sizeof s->case_proc, "%s", gy_pg_value(res, 0, 1));
        snprintf(s->case_field, sizeof s->case_field, "%s", gy_pg_value(res, 0, 2));
        snprintf(s->case_state, sizeof s->case_state, "%s", gy_pg_value(res, 0, 3));
        s->case_version = strtol(gy_pg_value(res, 0, 4), NULL, 10);
    }
}

static void s_on_step_read_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_step_t *s = arg;
    (void)sqlstate;
    if (gy_hold_gone(&s->api->holds, s->req)) {
        s_step_free(s);
        return;
    }
    if (status != GY_PG_OK) {
        s_unavailable(s->req);
        s_step_free(s);
        return;
    }
    s_decide(s);
}

static void s_step_read(s_step_t *s)
{
    s->tries++;
    s->found = s->case_found = false;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {s->clue_id};
    gy_pg_tx_add(tx, "api_review_read", 1, values, NULL);
    if (s->event == WORKFLOW_REVIEW_JOIN) {
        const char *cv[] = {s->case_id};
        gy_pg_tx_add(tx, "api_case_read", 1, cv, NULL);
    }
    if (gy_pg_run(gy_pgpool_pick(s->api->pool), &tx, s_on_step_read_row, s_on_step_read_done, s) <
        0) {
        s_unavailable(s->req);
        s_step_free(s);
        return;
    }
    gy_hold(&s->api->holds);
}

/*  Common head of the POST routes on a review: the guard, the body, the
 *  clue id.  NULL when answered. */
static s_step_t *s_step_new(workflow_api_t *self, gy_http_request_t *req,
                            const gy_route_match_t *match, const char **body, size_t *len)
{
    s_step_t *s = gy_calloc(1, sizeof *s);
    s->api = self;
    s->req = req;
    if (gy_auth_guard(req, self->public_key, &s_handlers, &s->claims, s->prefix) < 0 ||
        gy_require_json(req) < 0) {
        s_step_free(s);
        return NULL;
    }
    *body = gy_http_body(req, len);
    const char *id = gy_route_param(match, "clue_id");
    if (!gy_uuid_valid(id)) {
        s_fail(s, 404, "not_found", NULL, "no such review");
        return NULL;
    }
    snprintf(s->clue_id, sizeof s->clue_id, "%s", id);
    for (char *c = s->clue_id; *c; c++) /* as PostgreSQL writes it, for the events */
        *c = (char)tolower((unsigned char)*c);
    return s;
}

static void s_forbidden(s_step_t *s, const char *message)
{
    s_fail(s, 403, "forbidden", NULL, message);
}

static void s_assign(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    const char *body;
    size_t len;
    s_step_t *s = s_step_new(arg, req, match, &body, &len);
    if (!s)
        return;
    workflow_assignment_t a;
    gy_error_t err;
    if (workflow_assignment_parse(body, len, &a, &err) < 0) {
        gy_reply_error(req, &err);
        s_step_free(s);
        return;
    }
    s->event = WORKFLOW_REVIEW_ASSIGN;
    s->assignee = gy_strdup(a.prosecutor);
    s->reason = gy_strdup(a.reason);
    s->has_version = a.has_version;
    s->expected_version = a.expected_version;
    workflow_assignment_clear(&a);
    if (!workflow_review_may(s->event, s->claims.role, s->claims.sub, s->assignee)) {
        s_forbidden(s, "a prosecutor may take a clue for themselves; a chief prosecutor assigns "
                       "it to anyone");
        return;
    }
    s_step_read(s);
}

static void s_decide_route(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    const char *body;
    size_t len;
    s_step_t *s = s_step_new(arg, req, match, &body, &len);
    if (!s)
        return;
    workflow_decision_t d;
    gy_error_t err;
    if (workflow_decision_parse(body, len, &d, &err) < 0) {
        gy_reply_error(req, &err);
        s_step_free(s);
        return;
    }
    s->event = d.event;
    s->reason = gy_strdup(d.reason);
    s->public_reason = d.public_reason ? gy_strdup(d.public_reason) : NULL;
    s->case_kind = d.case_kind ? gy_strdup(d.case_kind) : NULL;
    s->case_id = d.case_id ? gy_strdup(d.case_id) : NULL;
    s->title = d.title ? gy_strdup(d.title) : NULL;
    s->harm_ongoing = d.harm_ongoing;
    s->has_version = d.has_version;
    s->expected_version = d.expected_version;
    workflow_decision_clear(&d);
    if (s->case_id)
        for (char *c = s->case_id; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    if (!workflow_review_may(s->event, s->claims.role, s->claims.sub, NULL)) {
        s_forbidden(s, "only the chief prosecutor decides to open a case or not (立案, 不立案)");
        return;
    }
    s_step_read(s);
}

/*  ---- routing ---- */

static const gy_route_t s_routes[] = {
    {"GET", "/api/v1/workflow/reviews", "workflow_reviews", s_reviews},
    {"GET", "/api/v1/workflow/reviews/{clue_id}", "workflow_review", s_review},
    {"POST", "/api/v1/workflow/reviews/{clue_id}/assign", "workflow_assign", s_assign},
    {"POST", "/api/v1/workflow/reviews/{clue_id}/decide", "workflow_decide", s_decide_route},
    {"GET", "/api/v1/workflow/rotations/{procuratorate}", "workflow_rotation", s_rotation},
    {"PUT", "/api/v1/workflow/rotations/{procuratorate}", "workflow_rotation_set", s_rotation_set},
    {NULL, NULL, NULL, NULL},
};

bool workflow_api_handle(workflow_api_t *self, gy_http_request_t *req)
{
    if (self)
        return workflow_document_api_handle(self->documents, req) ||
               workflow_cases_handle(self->cases, req) ||
               gy_route_dispatch_or(s_routes, req, self, false);
    if (strncmp(gy_http_path(req), "/api/v1/workflow/", 17) != 0)
        return false;
    gy_http_respond_error(req, 503, "api_unavailable",
                          "the workflow's API is off on this instance (no "
                          "GY_TOKEN_PUBLIC_KEY_FILE)",
                          NULL);
    return true;
}

/*  ---- life cycle ---- */

int workflow_api_settings_load(bool *on, uint8_t *public_key)
{
    const char *pk = gy_config_str("GY_TOKEN_PUBLIC_KEY_FILE", NULL);
    *on = pk != NULL;
    if (!pk) {
        gy_log_warning("the workflow's API is off: GY_TOKEN_PUBLIC_KEY_FILE is not set (its "
                       "paths answer 503); clues are reviewed from the router's events all the "
                       "same");
        return 0;
    }
    return gy_token_load_key(pk, public_key, GY_TOKEN_PUBLIC_KEY_BYTES) < 0 ? -1 : 0;
}

static void s_free(void *arg)
{
    workflow_api_t *self = arg;
    free(self->producer);
    free(self);
}

workflow_api_t *workflow_api_start(gy_node_t *node, const uint8_t *public_key,
                                   const gy_refdata_t *refdata, const workflow_limits_t *limits,
                                   workflow_deadlines_store_t *deadlines, size_t connections,
                                   workflow_documents_t *documents)
{
    assert(node && public_key && refdata && limits && deadlines && documents);
    workflow_api_t *self = gy_calloc(1, sizeof *self);
    self->pool = gy_node_pg_pool(node, "pg api", connections);
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        gy_pgpool_prepare(self->pool, s_statements[i].name, s_statements[i].sql);
    for (size_t i = 0; i < connections; i++)
        gy_outbox_prepare("workflow", NULL, NULL, gy_pgpool_at(self->pool, i));
    self->public_key = public_key;
    self->refdata = refdata;
    self->outbox = gy_node_outbox(node);
    self->producer = gy_strdup(gy_node_producer(node));
    self->cases = workflow_cases_start(self->pool, public_key, refdata, limits, deadlines,
                                       self->producer, self->outbox);
    gy_holds_init(&self->holds, s_free, self);
    /*  One connection of its own: numbers of a series decided while
     *  others are in flight chain on them only if the writes commit in the
     *  order they were decided (workflow_document.h). */
    self->documents =
        workflow_document_api_new(gy_node_pg(node, "pg documents", NULL, NULL), public_key, refdata,
                                  documents, self->outbox, self->producer);
    return self;
}

void workflow_api_destroy(workflow_api_t **self_p)
{
    assert(self_p);
    workflow_api_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    workflow_cases_destroy(&self->cases);
    workflow_document_api_destroy(&self->documents);
    gy_holds_stop(&self->holds);
}
