/*  workflow_volunteer_api — see workflow_volunteer_api.h. */
#include "workflow_volunteer_api.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_auth.h"
#include "gy_calendar.h"
#include "gy_hold.h"
#include "gy_route.h"
#include "gy_scope.h"
#include "gy_util.h"
#include "workflow_consult.h"
#include "workflow_observation.h"

/*  A conflict means another step won the race; a few tries settle it. */
#define S_TRIES 4

static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    {"wv_case", "SELECT kind, procuratorate, field_code, state, title"
                " FROM workflow.volunteer_case($1::uuid)"},
    {"wv_candidates", "SELECT volunteer_id, load FROM workflow.consult_candidates($1::uuid, $2, $3,"
                      " $4::date, $5::uuid, $6::integer)"},
    {"wv_next", "SELECT volunteer_id FROM workflow.consult_next($1::uuid, $2::date)"},
    {"wv_task", "SELECT state, version, volunteer_id, request_id, case_id, kind, procuratorate,"
                " field_code, question, title, requested_by, due_ms, asked_ms"
                " FROM workflow.consult_task_read($1::uuid)"},
    {"wv_request_insert", "SELECT workflow.consult_request_insert($1::jsonb, $2::bigint)"},
    {"wv_task_insert", "SELECT workflow.consult_task_insert($1::uuid, $2::uuid, $3::uuid,"
                       " $4::bigint, $5::uuid, $6, $7::bigint)"},
    {"wv_step", "SELECT workflow.consult_step($1::uuid, $2, $3::integer, $4, $5, $6, $7,"
                " $8::jsonb, $9::bigint)"},
    {"wv_request", "SELECT workflow.api_consultation_request($1::uuid)::text"},
    {"wv_consultation", "SELECT workflow.api_consultation($1::uuid)::text"},
    {"wv_consultations", "SELECT workflow.api_consultations($1::uuid, $2)::text AS answer"},
    {"wv_supervisor_check", "SELECT known, fits, appointed"
                            " FROM workflow.supervisor_check($1::uuid, $2::uuid, $3::date)"},
    {"wv_supervisor_insert", "SELECT workflow.supervisor_insert($1::uuid, $2::uuid, $3, $4,"
                             " $5::bigint)"},
    {"wv_supervisors", "SELECT workflow.api_supervisors($1::uuid, $2)::text AS answer"},
    {"wv_supervised", "SELECT kind, procuratorate, field_code, state"
                      " FROM workflow.supervised_case($1::uuid, $2::uuid, $3::date)"},
    {"wv_observation_insert", "SELECT workflow.observation_insert($1::jsonb, $2::bigint)"},
    {"wv_observation", "SELECT workflow.api_observation($1::uuid)::text"},
    {"wv_observations", "SELECT workflow.api_observations($1::uuid, $2)::text AS answer"},
    {"wv_my_tasks", "SELECT workflow.api_my_tasks($1::uuid)::text AS answer"},
    /* the due scan (gy_due) */
    {"wv_due", "SELECT id, new_id, candidate, new_due_ms, request_id, case_id, kind,"
               " procuratorate, field_code, volunteer_id, requested_by"
               " FROM workflow.consult_due($1::bigint, $2::integer)"},
    {"wv_fire", "SELECT s FROM workflow.consult_fire($1::uuid, $2::uuid, $3, $4::bigint,"
                " $5::bigint, $6, $7::uuid, $8::bigint, $9, $10, $11::bytea) s"},
};

struct workflow_volunteer_api {
    gy_pg_t *pg;                 /* borrowed: the node's "pg volunteers" connection */
    const uint8_t *public_key;   /* borrowed; NULL: the routes are off */
    const gy_refdata_t *refdata; /* borrowed */
    gy_outbox_t *outbox;         /* borrowed: woken after a commit */
    char *producer;
    gy_holds_t holds;
};

static const char *const s_handler_roles[] = {"prosecutor", "chief_prosecutor", NULL};
static const gy_guard_t s_handlers = {s_handler_roles, true, false,
                                      "only a prosecutor or a chief prosecutor handles cases"};
static const char *const s_volunteer_roles[] = {"volunteer", NULL};
static const gy_guard_t s_volunteers = {s_volunteer_roles, false, true,
                                        "only a volunteer has volunteer tasks"};

static void s_unavailable(gy_http_request_t *req)
{
    gy_http_respond_error(
        req, 503, "unavailable",
        "the workflow's database is unavailable; nothing was changed; retry later", NULL);
}

static void s_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static void s_today(char out[11])
{
    gy_day_format(gy_day_of_ms(gy_now_ms()), out);
}

static int s_json_body(gy_http_request_t *req, const char **body, size_t *len)
{
    if (gy_require_json(req) < 0)
        return -1;
    *body = gy_http_body(req, len);
    return 0;
}

/*  ---- operations: read, decide in C, write guarded ---- */

typedef struct s_op s_op_t;
typedef void(s_decide_fn)(s_op_t *op);
typedef void(s_reads_fn)(s_op_t *op, gy_pg_tx_t *tx);

struct s_op {
    workflow_volunteer_api_t *api;
    gy_http_request_t *req;
    gy_token_claims_t claims;
    char prefix[7];
    int tries;
    s_reads_fn *reads;
    s_decide_fn *decide;
    char id[37];   /* the case or the consultation of the path */
    char made[37]; /* the id the write makes (request, observation) */
    void *in;      /* the parsed request (the operation's own type) */
    void (*in_free)(void *in);
    json_t *rows;     /* what the read found: per statement, an array of row objects */
    int status;       /* the answer's status when the write commits */
    size_t answer_at; /* the write's statement whose first column is the answer */
    char *answer;
};

static void s_op_free(s_op_t *op)
{
    if (op->in_free)
        op->in_free(op->in);
    json_decref(op->rows);
    free(op->answer);
    free(op);
}

static void s_op_fail(s_op_t *op, int status, const char *code, const char *field,
                      const char *message)
{
    gy_http_respond_error(op->req, status, code, message, field);
    s_op_free(op);
}

/*  The row-th row of the index-th read, or NULL. */
static json_t *s_row(s_op_t *op, size_t index, size_t row)
{
    return json_array_get(json_array_get(op->rows, index), row);
}

static const char *s_col(json_t *row, const char *name)
{
    json_t *v = json_object_get(row, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/*  A boolean column: true only when it is there and true. */
static bool s_true(json_t *row, const char *name)
{
    const char *v = s_col(row, name);
    return v && strcmp(v, "t") == 0;
}

static void s_read(s_op_t *op);

static void s_on_write_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_op_t *op = arg;
    if (index == op->answer_at && gy_pg_ntuples(res) == 1 && !gy_pg_isnull(res, 0, 0)) {
        free(op->answer);
        op->answer = gy_strdup(gy_pg_value(res, 0, 0));
    }
}

static void s_on_write_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_op_t *op = arg;
    if (gy_hold_gone(&op->api->holds, op->req)) {
        s_op_free(op);
        return;
    }
    bool conflict = gy_pg_conflict(status, sqlstate, true);
    if (conflict && op->tries < S_TRIES) {
        s_read(op); /* decide again on what is stored now */
        return;
    }
    if (status == GY_PG_LOST)
        gy_outbox_check(op->api->outbox);
    if (conflict) {
        s_op_fail(op, 409, "conflict", NULL, GY_CONFLICT_MESSAGE);
        return;
    }
    if (status != GY_PG_OK) {
        s_unavailable(op->req);
        s_op_free(op);
        return;
    }
    gy_outbox_check(op->api->outbox); /* events are committed: the relay reads them */
    json_t *body = op->answer ? json_loads(op->answer, 0, NULL) : NULL;
    if (body)
        gy_reply_json(op->req, op->status, body);
    else
        gy_http_respond_error(op->req, 500, "internal", "internal error", NULL);
    s_op_free(op);
}

/*  Runs the write; its statement answer_at answers with op->status. */
static void s_write(s_op_t *op, gy_pg_tx_t *tx)
{
    if (gy_pg_run(op->api->pg, &tx, s_on_write_row, s_on_write_done, op) < 0) {
        s_unavailable(op->req);
        s_op_free(op);
        return;
    }
    gy_hold(&op->api->holds);
}

static void s_on_read_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_op_t *op = arg;
    while (json_array_size(op->rows) <= index)
        json_array_append_new(op->rows, json_array());
    json_t *rows = json_array_get(op->rows, index);
    for (int r = 0; r < gy_pg_ntuples(res); r++) {
        json_t *row = json_object();
        for (int c = 0; c < gy_pg_nfields(res); c++)
            if (!gy_pg_isnull(res, r, c))
                json_object_set_new(row, gy_pg_fname(res, c), json_string(gy_pg_value(res, r, c)));
        json_array_append_new(rows, row);
    }
}

static void s_on_read_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_op_t *op = arg;
    (void)sqlstate;
    if (gy_hold_gone(&op->api->holds, op->req)) {
        s_op_free(op);
        return;
    }
    if (status != GY_PG_OK) {
        s_unavailable(op->req);
        s_op_free(op);
        return;
    }
    op->decide(op);
}

static void s_read(s_op_t *op)
{
    op->tries++;
    json_decref(op->rows);
    op->rows = json_array();
    gy_pg_tx_t *tx = gy_pg_tx_new();
    op->reads(op, tx);
    if (gy_pg_run(op->api->pg, &tx, s_on_read_row, s_on_read_done, op) < 0) {
        s_unavailable(op->req);
        s_op_free(op);
        return;
    }
    gy_hold(&op->api->holds);
}

/*  The head of every route: the guard, the path's id (a UUID, else 404
 *  `missing`), and for a write its JSON body.  NULL when answered. */
static s_op_t *s_op_new(workflow_volunteer_api_t *self, gy_http_request_t *req,
                        const gy_guard_t *guard, const char *id, const char *missing,
                        const char **body, size_t *len)
{
    s_op_t *op = gy_calloc(1, sizeof *op);
    op->api = self;
    op->req = req;
    op->status = 200;
    if (gy_auth_guard(req, self->public_key, guard, &op->claims,
                      guard->scoped ? op->prefix : NULL) < 0 ||
        (body && s_json_body(req, body, len) < 0)) {
        s_op_free(op);
        return NULL;
    }
    if (id && !gy_uuid_valid(id)) {
        s_op_fail(op, 404, "not_found", NULL, missing);
        return NULL;
    }
    snprintf(op->id, sizeof op->id, "%s", id ? id : "");
    s_lower(op->id);
    if (guard == &s_volunteers)
        s_lower(op->claims.sub);
    return op;
}

/*  A case the caller may see (in scope) and act on (not closed or
 *  terminated): else answered and false. */
static bool s_case_open(s_op_t *op, json_t *c)
{
    const char *proc = s_col(c, "procuratorate");
    if (!c || !proc || !gy_scope_within(proc, op->prefix)) {
        s_op_fail(op, 404, "not_found", NULL, "no such case");
        return false;
    }
    const char *state = s_col(c, "state");
    if (strcmp(state, "closed") == 0 || strcmp(state, "terminated") == 0) {
        char message[120];
        snprintf(message, sizeof message, "the case is %s: volunteers no longer work on it", state);
        s_op_fail(op, 409, "invalid_state", "state", message);
        return false;
    }
    return true;
}

static void s_append(s_op_t *op, gy_pg_tx_t *tx, const ProtobufCMessage *m, const char *proc)
{
    char trace[37];
    gy_uuid(trace);
    gy_outbox_tx_append_msg(tx, op->api->producer, m, trace, proc);
}

/*  ConsultationRequested for a task. */
static void s_requested(s_op_t *op, gy_pg_tx_t *tx, const char *task, const char *request,
                        const char *case_id, json_t *c, const char *field, const char *volunteer,
                        int64_t due_ms, const char *by, const char *replaces)
{
    Gongyi__V1__ConsultationRequested m = GONGYI__V1__CONSULTATION_REQUESTED__INIT;
    m.consultation_id = (char *)task;
    m.request_id = (char *)request;
    m.case_id = (char *)case_id;
    m.kind = (char *)s_col(c, "kind");
    m.procuratorate = (char *)s_col(c, "procuratorate");
    m.field_code = (char *)field;
    m.volunteer_id = (char *)volunteer;
    m.due_unix_ms = due_ms;
    m.requested_by = (char *)by;
    m.replaces = (char *)replaces;
    s_append(op, tx, &m.base, m.procuratorate);
}

/*  ---- POST /cases/{case_id}/consultations ---- */

static void s_free_request(void *in)
{
    workflow_consult_request_clear(in);
    free(in);
}

static void s_ask_reads(s_op_t *op, gy_pg_tx_t *tx)
{
    workflow_consult_request_t *r = op->in;
    char today[11], experts[8];
    s_today(today);
    snprintf(experts, sizeof experts, "%d", r->experts);
    const char *v0[] = {op->id};
    gy_pg_tx_add(tx, "wv_case", 1, v0, NULL);
    const char *v1[] = {op->id, r->field, r->question, today, op->made, experts};
    gy_pg_tx_add(tx, "wv_candidates", 6, v1, NULL);
}

static void s_ask_decide(s_op_t *op)
{
    workflow_consult_request_t *r = op->in;
    json_t *c = s_row(op, 0, 0);
    if (!s_case_open(op, c))
        return;
    const char *field = r->field ? r->field : s_col(c, "field_code");
    json_t *cands = json_array_get(op->rows, 1);
    if (json_array_size(cands) == 0) {
        char message[200];
        snprintf(message, sizeof message,
                 "no volunteer can be asked: none appointed and in term, with the assessor role "
                 "and expertise in %s, of the case's city and free of conflicts",
                 field);
        s_op_fail(op, 422, "no_expert", "field", message);
        return;
    }
    int64_t at = gy_now_ms();
    char at_s[24], due_s[24];
    snprintf(at_s, sizeof at_s, "%" PRId64, at);
    snprintf(due_s, sizeof due_s, "%" PRId64, r->due_ms);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    json_t *req = json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:s}", "id", op->made, "case_id", op->id,
                            "question", r->question, "field_code", field, "experts", r->experts,
                            "due_ms", (json_int_t)r->due_ms, "requested_by", op->claims.sub);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    const char *v0[] = {text, at_s};
    gy_pg_tx_add(tx, "wv_request_insert", 2, v0, NULL);
    free(text);
    size_t i;
    json_t *cand;
    json_array_foreach(cands, i, cand) {
        char task[37];
        gy_uuid(task);
        const char *vol = s_col(cand, "volunteer_id");
        const char *v[] = {task, op->made, vol, due_s, NULL, op->claims.sub, at_s};
        gy_pg_tx_add(tx, "wv_task_insert", 7, v, NULL);
        s_requested(op, tx, task, op->made, op->id, c, field, vol, r->due_ms, op->claims.sub, "");
    }
    op->answer_at = gy_pg_tx_size(tx);
    const char *va[] = {op->made};
    gy_pg_tx_add(tx, "wv_request", 1, va, NULL);
    op->status = 201;
    s_write(op, tx);
}

static void s_ask(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_volunteer_api_t *self = arg;
    const char *body;
    size_t len;
    s_op_t *op = s_op_new(self, req, &s_handlers, gy_route_param(match, "case_id"), "no such case",
                          &body, &len);
    if (!op)
        return;
    workflow_consult_request_t *r = gy_calloc(1, sizeof *r);
    op->in = r;
    op->in_free = s_free_request;
    gy_error_t err;
    if (workflow_consult_request_parse(body, len, gy_now_ms(), r, &err) < 0) {
        gy_reply_error(req, &err);
        s_op_free(op);
        return;
    }
    if (r->field && !gy_refdata_field(self->refdata, r->field)) {
        s_op_fail(op, 422, "unknown_field_code", "field", "field is not a known field code");
        return;
    }
    gy_uuid(op->made);
    op->reads = s_ask_reads;
    op->decide = s_ask_decide;
    s_read(op);
}

/*  ---- POST /consultations/{id}/answer and /decline ---- */

static void s_task_reads(s_op_t *op, gy_pg_tx_t *tx)
{
    const char *v0[] = {op->id};
    gy_pg_tx_add(tx, "wv_task", 1, v0, NULL);
    char today[11];
    s_today(today);
    const char *v1[] = {op->id, today};
    gy_pg_tx_add(tx, "wv_next", 2, v1, NULL); /* who would be asked instead */
}

/*  The task of the path when it is the caller's, and the machine's next
 *  state for event; else answered and -1. */
static int s_task_step(s_op_t *op, int event, json_t **task)
{
    const gy_machine_t *m = &workflow_consult_machine;
    json_t *t = s_row(op, 0, 0);
    const char *who = s_col(t, "volunteer_id");
    if (!t || !who || strcmp(who, op->claims.sub) != 0) {
        s_op_fail(op, 404, "not_found", NULL, "no such consultation");
        return -1;
    }
    int state = gy_machine_state_of(m, s_col(t, "state"));
    int next = state < 0 ? GY_MACHINE_REFUSED : gy_machine_next(m, state, event);
    if (next == GY_MACHINE_REFUSED) {
        char why[200];
        if (state < 0)
            snprintf(why, sizeof why, "the consultation is in an unknown state");
        else
            gy_machine_refusal(m, state, event, why, sizeof why);
        s_op_fail(op, 409, "invalid_state", "state", why);
        return -1;
    }
    *task = t;
    return next;
}

static void s_step_add(s_op_t *op, gy_pg_tx_t *tx, json_t *t, int next, int event,
                       const char *reason, json_t *change, const char *at)
{
    const gy_machine_t *m = &workflow_consult_machine;
    char *text = json_dumps(change, JSON_COMPACT);
    const char *v[] = {op->id,
                       s_col(t, "state"),
                       s_col(t, "version"),
                       gy_machine_state_name(m, next),
                       gy_machine_event_name(m, event),
                       op->claims.sub,
                       reason,
                       text,
                       at};
    gy_pg_tx_add(tx, "wv_step", 9, v, NULL);
    free(text);
}

static void s_free_answer(void *in)
{
    workflow_consult_answer_clear(in);
    free(in);
}

static void s_answer_decide(s_op_t *op)
{
    workflow_consult_answer_t *a = op->in;
    json_t *t;
    int next = s_task_step(op, WORKFLOW_CONSULT_ANSWER, &t);
    if (next < 0)
        return;
    int64_t at = gy_now_ms();
    char at_s[24];
    snprintf(at_s, sizeof at_s, "%" PRId64, at);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    json_t *change = json_pack("{s:s,s:o}", "answer", a->answer, "references",
                               json_loads(a->references_json, 0, NULL));
    s_step_add(op, tx, t, next, WORKFLOW_CONSULT_ANSWER, "", change, at_s);
    json_decref(change);
    Gongyi__V1__ConsultationAnswered m = GONGYI__V1__CONSULTATION_ANSWERED__INIT;
    m.consultation_id = op->id;
    m.request_id = (char *)s_col(t, "request_id");
    m.case_id = (char *)s_col(t, "case_id");
    m.kind = (char *)s_col(t, "kind");
    m.procuratorate = (char *)s_col(t, "procuratorate");
    m.field_code = (char *)s_col(t, "field_code");
    m.volunteer_id = op->claims.sub;
    m.answered_unix_ms = at;
    s_append(op, tx, &m.base, m.procuratorate);
    op->answer_at = gy_pg_tx_size(tx);
    const char *va[] = {op->id};
    gy_pg_tx_add(tx, "wv_consultation", 1, va, NULL);
    s_write(op, tx);
}

static void s_free_decline(void *in)
{
    workflow_consult_decline_clear(in);
    free(in);
}

static void s_decline_decide(s_op_t *op)
{
    workflow_consult_decline_t *d = op->in;
    json_t *t;
    int next = s_task_step(op, WORKFLOW_CONSULT_DECLINE, &t);
    if (next < 0)
        return;
    int64_t at = gy_now_ms();
    char at_s[24];
    snprintf(at_s, sizeof at_s, "%" PRId64, at);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    json_t *change = json_pack("{s:s,s:b}", "reason", d->reason, "conflict", d->conflict ? 1 : 0);
    s_step_add(op, tx, t, next, WORKFLOW_CONSULT_DECLINE, d->reason, change, at_s);
    json_decref(change);
    /*  The next matching volunteer is asked, for as long as this one had. */
    const char *next_vol = s_col(s_row(op, 1, 0), "volunteer_id");
    if (next_vol) {
        int64_t due =
            at + (strtoll(s_col(t, "due_ms"), NULL, 10) - strtoll(s_col(t, "asked_ms"), NULL, 10));
        char task[37], due_s[24];
        gy_uuid(task);
        snprintf(due_s, sizeof due_s, "%" PRId64, due);
        const char *v[] = {task,   s_col(t, "request_id"), next_vol, due_s,
                           op->id, op->claims.sub,         at_s};
        gy_pg_tx_add(tx, "wv_task_insert", 7, v, NULL);
        s_requested(op, tx, task, s_col(t, "request_id"), s_col(t, "case_id"), t,
                    s_col(t, "field_code"), next_vol, due, s_col(t, "requested_by"), op->id);
    }
    op->answer_at = gy_pg_tx_size(tx);
    const char *va[] = {op->id};
    gy_pg_tx_add(tx, "wv_consultation", 1, va, NULL);
    s_write(op, tx);
}

static void s_task_route(gy_http_request_t *req, const gy_route_match_t *match, void *arg,
                         bool answer)
{
    workflow_volunteer_api_t *self = arg;
    const char *body;
    size_t len;
    s_op_t *op = s_op_new(self, req, &s_volunteers, gy_route_param(match, "id"),
                          "no such consultation", &body, &len);
    if (!op)
        return;
    gy_error_t err;
    int rc;
    if (answer) {
        op->in = gy_calloc(1, sizeof(workflow_consult_answer_t));
        op->in_free = s_free_answer;
        op->decide = s_answer_decide;
        rc = workflow_consult_answer_parse(body, len, op->in, &err);
    } else {
        op->in = gy_calloc(1, sizeof(workflow_consult_decline_t));
        op->in_free = s_free_decline;
        op->decide = s_decline_decide;
        rc = workflow_consult_decline_parse(body, len, op->in, &err);
    }
    if (rc < 0) {
        gy_reply_error(req, &err);
        s_op_free(op);
        return;
    }
    op->reads = s_task_reads;
    s_read(op);
}

static void s_answer(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    s_task_route(req, match, arg, true);
}

static void s_decline(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    s_task_route(req, match, arg, false);
}

/*  ---- POST /cases/{case_id}/supervisors ---- */

static void s_free_supervisor(void *in)
{
    workflow_supervisor_clear(in);
    free(in);
}

static void s_appoint_reads(s_op_t *op, gy_pg_tx_t *tx)
{
    workflow_supervisor_t *s = op->in;
    char today[11];
    s_today(today);
    const char *v0[] = {op->id};
    gy_pg_tx_add(tx, "wv_case", 1, v0, NULL);
    const char *v1[] = {op->id, s->volunteer_id, today};
    gy_pg_tx_add(tx, "wv_supervisor_check", 3, v1, NULL);
}

static void s_appoint_decide(s_op_t *op)
{
    workflow_supervisor_t *s = op->in;
    if (!s_case_open(op, s_row(op, 0, 0)))
        return;
    json_t *check = s_row(op, 1, 0);
    if (!check) {
        s_op_fail(op, 422, "unknown_volunteer", "volunteer_id",
                  "no volunteer has this id (the router has announced none)");
        return;
    }
    if (s_true(check, "appointed")) {
        s_op_fail(op, 409, "already_appointed", "volunteer_id",
                  "this volunteer supervises the case already");
        return;
    }
    if (!s_true(check, "fits")) {
        s_op_fail(op, 422, "volunteer_not_eligible", "volunteer_id",
                  "a supervisor is a volunteer appointed and in term, with the supervisor role, "
                  "of the case's city and free of conflicts with it");
        return;
    }
    char at_s[24];
    snprintf(at_s, sizeof at_s, "%" PRId64, gy_now_ms());
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *v[] = {op->id, s->volunteer_id, op->claims.sub, s->reason, at_s};
    gy_pg_tx_add(tx, "wv_supervisor_insert", 5, v, NULL);
    op->answer_at = gy_pg_tx_size(tx);
    const char *va[] = {op->id, op->prefix};
    gy_pg_tx_add(tx, "wv_supervisors", 2, va, NULL);
    op->status = 201;
    s_write(op, tx);
}

static void s_appoint(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_volunteer_api_t *self = arg;
    const char *body;
    size_t len;
    s_op_t *op = s_op_new(self, req, &s_handlers, gy_route_param(match, "case_id"), "no such case",
                          &body, &len);
    if (!op)
        return;
    op->in = gy_calloc(1, sizeof(workflow_supervisor_t));
    op->in_free = s_free_supervisor;
    gy_error_t err;
    if (workflow_supervisor_parse(body, len, op->in, &err) < 0) {
        gy_reply_error(req, &err);
        s_op_free(op);
        return;
    }
    op->reads = s_appoint_reads;
    op->decide = s_appoint_decide;
    s_read(op);
}

/*  ---- POST /cases/{case_id}/observations ---- */

static void s_free_observation(void *in)
{
    workflow_observation_clear(in);
    free(in);
}

static void s_observe_reads(s_op_t *op, gy_pg_tx_t *tx)
{
    char today[11];
    s_today(today);
    const char *v[] = {op->id, op->claims.sub, today};
    gy_pg_tx_add(tx, "wv_supervised", 3, v, NULL);
}

static void s_observe_decide(s_op_t *op)
{
    workflow_observation_t *o = op->in;
    json_t *c = s_row(op, 0, 0);
    if (!c) {
        s_op_fail(op, 403, "forbidden", NULL,
                  "only a supervisor appointed to this case, appointed and in term at the "
                  "registry, may file observations on it");
        return;
    }
    char at_s[24];
    snprintf(at_s, sizeof at_s, "%" PRId64, gy_now_ms());
    gy_pg_tx_t *tx = gy_pg_tx_new();
    json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "id", op->made, "case_id", op->id,
                            "volunteer_id", op->claims.sub, "observed_on", o->observed_on, "place",
                            o->place, "text", o->text, "finding", o->finding, "photos",
                            json_loads(o->photos_json, 0, NULL));
    char *text = json_dumps(row, JSON_COMPACT);
    json_decref(row);
    const char *v[] = {text, at_s};
    gy_pg_tx_add(tx, "wv_observation_insert", 2, v, NULL);
    free(text);
    Gongyi__V1__ObservationFiled m = GONGYI__V1__OBSERVATION_FILED__INIT;
    m.observation_id = op->made;
    m.case_id = op->id;
    m.kind = (char *)s_col(c, "kind");
    m.procuratorate = (char *)s_col(c, "procuratorate");
    m.field_code = (char *)s_col(c, "field_code");
    m.volunteer_id = op->claims.sub;
    m.observed_on = o->observed_on;
    m.finding = (char *)o->finding;
    m.photos = (uint32_t)o->photos;
    s_append(op, tx, &m.base, m.procuratorate);
    op->answer_at = gy_pg_tx_size(tx);
    const char *va[] = {op->made};
    gy_pg_tx_add(tx, "wv_observation", 1, va, NULL);
    op->status = 201;
    s_write(op, tx);
}

static void s_observe(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_volunteer_api_t *self = arg;
    const char *body;
    size_t len;
    s_op_t *op = s_op_new(self, req, &s_volunteers, gy_route_param(match, "case_id"),
                          "no such case", &body, &len);
    if (!op)
        return;
    op->in = gy_calloc(1, sizeof(workflow_observation_t));
    op->in_free = s_free_observation;
    gy_error_t err;
    if (workflow_observation_parse(body, len, gy_now_ms(), op->in, &err) < 0) {
        gy_reply_error(req, &err);
        s_op_free(op);
        return;
    }
    gy_uuid(op->made);
    op->reads = s_observe_reads;
    op->decide = s_observe_decide;
    s_read(op);
}

/*  ---- reads: one statement answering JSON (NULL: not found) ---- */

typedef struct {
    const char *stmt;
    const char *missing;
} s_show_t;

static void s_show_reads(s_op_t *op, gy_pg_tx_t *tx)
{
    const s_show_t *show = op->in;
    const char *v[] = {op->id[0] ? op->id : op->claims.sub, op->prefix};
    gy_pg_tx_add(tx, show->stmt, op->id[0] ? 2 : 1, v, NULL);
}

static void s_show_decide(s_op_t *op)
{
    const s_show_t *show = op->in;
    const char *text = s_col(s_row(op, 0, 0), "answer");
    json_t *body = text ? json_loads(text, 0, NULL) : NULL;
    if (!body) {
        s_op_fail(op, 404, "not_found", NULL, show->missing);
        return;
    }
    gy_reply_json(op->req, 200, body);
    s_op_free(op);
}

static void s_show(gy_http_request_t *req, const gy_route_match_t *match, void *arg,
                   const gy_guard_t *guard, const s_show_t *show)
{
    s_op_t *op =
        s_op_new(arg, req, guard, gy_route_param(match, "case_id"), show->missing, NULL, NULL);
    if (!op)
        return;
    op->in = (void *)show;
    op->reads = s_show_reads;
    op->decide = s_show_decide;
    s_read(op);
}

static void s_consultations(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    static const s_show_t show = {"wv_consultations", "no such case"};
    s_show(req, match, arg, &s_handlers, &show);
}

static void s_supervisors(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    static const s_show_t show = {"wv_supervisors", "no such case"};
    s_show(req, match, arg, &s_handlers, &show);
}

static void s_observations(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    static const s_show_t show = {"wv_observations", "no such case"};
    s_show(req, match, arg, &s_handlers, &show);
}

static void s_my_tasks(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    static const s_show_t show = {"wv_my_tasks", "no tasks"};
    s_show(req, match, arg, &s_volunteers, &show);
}

/*  ---- routing ---- */

static const gy_route_t s_routes[] = {
    {"POST", "/api/v1/workflow/cases/{case_id}/consultations", "workflow_consult_ask", s_ask},
    {"GET", "/api/v1/workflow/cases/{case_id}/consultations", "workflow_consultations",
     s_consultations},
    {"POST", "/api/v1/workflow/consultations/{id}/answer", "workflow_consult_answer", s_answer},
    {"POST", "/api/v1/workflow/consultations/{id}/decline", "workflow_consult_decline", s_decline},
    {"POST", "/api/v1/workflow/cases/{case_id}/supervisors", "workflow_supervisor_appoint",
     s_appoint},
    {"GET", "/api/v1/workflow/cases/{case_id}/supervisors", "workflow_supervisors", s_supervisors},
    {"POST", "/api/v1/workflow/cases/{case_id}/observations", "workflow_observe", s_observe},
    {"GET", "/api/v1/workflow/cases/{case_id}/observations", "workflow_observations",
     s_observations},
    {"GET", "/api/v1/workflow/me/tasks", "workflow_my_tasks", s_my_tasks},
    {NULL, NULL, NULL, NULL},
};

bool workflow_volunteer_api_handle(workflow_volunteer_api_t *self, gy_http_request_t *req)
{
    return self && self->public_key && gy_route_dispatch_or(s_routes, req, self, false);
}

/*  ---- the due scan ---- */

/*  A late task's event: ConsultationRequested for the volunteer asked
 *  instead, or ConsultationLate when nobody fits (workflow.consult_due's
 *  columns). */
static int s_pack_late(void *arg, const gy_pg_result_t *res, int row, int64_t now_ms,
                       gy_due_event_t *event)
{
    (void)arg;
    (void)now_ms;
    const char *candidate = gy_pg_value(res, row, 2);
    const char *kind = gy_pg_value(res, row, 6), *proc = gy_pg_value(res, row, 7);
    const char *field = gy_pg_value(res, row, 8);
    const ProtobufCMessage *msg;
    Gongyi__V1__ConsultationRequested r = GONGYI__V1__CONSULTATION_REQUESTED__INIT;
    Gongyi__V1__ConsultationLate l = GONGYI__V1__CONSULTATION_LATE__INIT;
    if (candidate[0]) {
        r.consultation_id = (char *)gy_pg_value(res, row, 1);
        r.request_id = (char *)gy_pg_value(res, row, 4);
        r.case_id = (char *)gy_pg_value(res, row, 5);
        r.kind = (char *)kind;
        r.procuratorate = (char *)proc;
        r.field_code = (char *)field;
        r.volunteer_id = (char *)candidate;
        r.due_unix_ms = strtoll(gy_pg_value(res, row, 3), NULL, 10);
        r.requested_by = (char *)gy_pg_value(res, row, 10);
        r.replaces = (char *)gy_pg_value(res, row, 0);
        msg = &r.base;
    } else {
        l.consultation_id = (char *)gy_pg_value(res, row, 0);
        l.request_id = (char *)gy_pg_value(res, row, 4);
        l.case_id = (char *)gy_pg_value(res, row, 5);
        l.kind = (char *)kind;
        l.procuratorate = (char *)proc;
        l.field_code = (char *)field;
        l.volunteer_id = (char *)gy_pg_value(res, row, 9);
        l.requested_by = (char *)gy_pg_value(res, row, 10);
        msg = &l.base;
    }
    event->type = msg->descriptor->short_name;
    snprintf(event->procuratorate, sizeof event->procuratorate, "%s", proc);
    event->body_len = protobuf_c_message_get_packed_size(msg);
    event->body = gy_malloc(event->body_len ? event->body_len : 1);
    protobuf_c_message_pack(msg, event->body);
    return 0;
}

gy_due_t *workflow_volunteer_due_start(gy_node_t *node, workflow_volunteer_api_t *self,
                                       uint64_t scan_ms)
{
    assert(node && self);
    gy_due_config_t c = {.name = "consultation",
                         .due_stmt = "wv_due",
                         .fire_stmt = "wv_fire",
                         .key_columns = 4,
                         .pack = s_pack_late,
                         .producer = gy_node_producer(node),
                         .reader = self->pg,
                         .writer = self->pg,
                         .outbox = self->outbox,
                         .metrics = gy_node_metrics(node),
                         .interval_ms = scan_ms};
    return gy_due_new(gy_node_loop(node), &c);
}

/*  ---- life cycle ---- */

static void s_free(void *arg)
{
    workflow_volunteer_api_t *self = arg;
    free(self->producer);
    free(self);
}

workflow_volunteer_api_t *workflow_volunteer_api_start(gy_node_t *node, const uint8_t *public_key,
                                                       const gy_refdata_t *refdata)
{
    assert(node && refdata);
    workflow_volunteer_api_t *self = gy_calloc(1, sizeof *self);
    self->pg = gy_node_pg(node, "pg volunteers", NULL, NULL);
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        gy_pg_prepare(self->pg, s_statements[i].name, s_statements[i].sql);
    gy_outbox_prepare("workflow", NULL, NULL, self->pg);
    self->public_key = public_key;
    self->refdata = refdata;
    self->outbox = gy_node_outbox(node);
    self->producer = gy_strdup(gy_node_producer(node));
    gy_holds_init(&self->holds, s_free, self);
    return self;
}

void workflow_volunteer_api_destroy(workflow_volunteer_api_t **self_p)
{
    assert(self_p);
    workflow_volunteer_api_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    gy_holds_stop(&self->holds);
}
