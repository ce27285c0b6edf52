/*  workflow_document_api — see workflow_document_api.h. */
#include "workflow_document_api.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gongyi.pb-c.h"
#include "gy_auth.h"
#include "gy_clock.h"
#include "gy_crypto.h"
#include "gy_hold.h"
#include "gy_route.h"
#include "gy_scope.h"
#include "gy_text.h"
#include "gy_util.h"
#include "workflow_machines.h"

/*  A conflict means another write won the race; a few tries settle it. */
#define S_TRIES               4
#define S_ATTACHMENTS_MAX     50
#define S_ATTACHMENT_NAME_MAX 255
#define S_SIZE_MAX            9007199254740991LL /* 2^53 - 1: every JSON reader keeps it exactly */
#define S_REASON_MAX          2000
#define S_FUTURE_SLACK_MS     60000 /* clocks of hosts differ a little */

static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    {"doc_case_read", "SELECT kind, procuratorate, field_code, state, heroes, title, done_id,"
                      " done_hash, done_case FROM workflow.document_case_read($1::uuid, $2)"},
    {"doc_read", "SELECT procuratorate, version, served, issued_ms, attachments, case_id, kind,"
                 " number FROM workflow.document_read($1::uuid)"},
    {"doc_attach", "SELECT workflow.document_attach($1::uuid, $2::integer, $3::jsonb, $4,"
                   " $5::bigint)"},
    {"doc_api_document", "SELECT workflow.api_document($1::uuid, $2)::text"},
    {"doc_api_case_documents", "SELECT workflow.api_case_documents($1::uuid, $2)::text"},
};

/*  How a document is served (送达方式, 民事诉讼法 arts. 87-95). */
static const char *const s_methods[] = {
    "direct",        /* 直接送达 */
    "lodged",        /* 留置送达 */
    "electronic",    /* 电子送达 */
    "entrusted",     /* 委托送达 */
    "post",          /* 邮寄送达 */
    "forwarded",     /* 转交送达 */
    "public_notice", /* 公告送达 */
    NULL,
};

struct workflow_document_api {
    gy_pg_t *pg;                     /* borrowed: the API's connection */
    const uint8_t *public_key;       /* borrowed */
    const gy_refdata_t *refdata;     /* borrowed: names of procuratorates and fields */
    workflow_documents_t *documents; /* borrowed: templates, bodies, numbers in flight */
    gy_outbox_t *outbox;             /* borrowed: woken after a commit */
    char *producer;
    gy_holds_t holds;
    struct s_op *keyed; /* issues with an Idempotency-Key being written */
};

static const char *const s_handler_roles[] = {"prosecutor", "chief_prosecutor", NULL};
static const gy_guard_t s_handlers = {s_handler_roles, true, false,
                                      "only a prosecutor or a chief prosecutor handles documents"};

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

/*  ---- request bodies ---- */

static int s_known(json_t *root, const char *const *names, gy_error_t *err)
{
    return gy_json_known(root, "", names, err);
}

/*  A string member of min..max characters, one line unless multiline;
 *  NULL when absent and optional. */
static int s_string(json_t *root, const char *name, bool required, long min, long max,
                    bool multiline, const char **out, gy_error_t *err)
{
    return gy_json_text(json_object_get(root, name), name, required, min, max, multiline, out, err);
}

/*  Reads: one statement answering a JSON document (NULL: not found). */
static void s_read(workflow_document_api_t *self, gy_http_request_t *req, const char *stmt,
                   const char *id, const char *prefix, const char *not_found)
{
    const char *values[] = {id, prefix};
    gy_reply_document(self->pg, &self->holds, req, stmt, 2, values, not_found);
}

static void s_get_document(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_document_api_t *self = arg;
    gy_token_claims_t claims;
    char prefix[7];
    if (gy_auth_guard(req, self->public_key, &s_handlers, &claims, prefix) < 0)
        return;
    const char *id = gy_route_param(match, "document_id");
    if (!gy_uuid_valid(id)) {
        gy_http_respond_error(req, 404, "not_found", "no such document", NULL);
        return;
    }
    s_read(self, req, "doc_api_document", id, prefix, "no such document");
}

static void s_list(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_document_api_t *self = arg;
    gy_token_claims_t claims;
    char prefix[7];
    if (gy_auth_guard(req, self->public_key, &s_handlers, &claims, prefix) < 0)
        return;
    const char *id = gy_route_param(match, "case_id");
    if (!gy_uuid_valid(id)) {
        gy_http_respond_error(req, 404, "not_found", "no such case", NULL);
        return;
    }
    s_read(self, req, "doc_api_case_documents", id, prefix, "no such case");
}

/*  ---- writes: read, decide in C, write guarded ---- */

typedef enum { S_ISSUE, S_SERVE, S_ATTACH } s_op_kind_t;

typedef struct s_op s_op_t;
struct s_op {
    workflow_document_api_t *api;
    gy_http_request_t *req;
    json_t *body; /* the request, checked; its strings are borrowed below */
    /* issue: the request */
    const char *kind, *text, *recipient, *reason;
    char *idem_key;
    /* issue: what the read found */
    workflow_document_counters_t counters;
    char *title;
    /* serve: the request */
    const char *served_on, *method;
    /* attach: the request */
    const char *name, *media_type, *sha256_in;
    /* serve and attach: what the read found */
    json_t *attachments;
    char *doc_number;
    char *answer;        /* the write's answer */
    size_t answer_index; /* the statement that reads the document back */
    int64_t at_ms;       /* issue: the instant of issue, and its year */
    int64_t seq;         /* issue: in flight, settled when the write ends */
    int64_t served_ms;
    int64_t size;
    int64_t issued_ms;
    long version;
    s_op_kind_t op;
    int tries;
    int year;
    gy_token_claims_t claims;
    char id[37]; /* the case (issue) or the document (serve, attach) */
    char prefix[7];
    char request_hash[65];
    char case_kind[16], procuratorate[7], field_code[33], state[32];
    char done_id[37], done_hash[65], done_case[37];
    char new_id[37];
    char series[96];
    char sha256[65];
    char doc_case[37], doc_kind[40];
    /* an issue with an Idempotency-Key being written, and the requests
       with the same key that wait for its outcome */
    s_op_t *next_keyed;
    s_op_t *waiters, *next_waiter;
    bool found, heroes, served;
};

static void s_op_free(s_op_t *o)
{
    json_decref(o->body);
    json_decref(o->attachments);
    workflow_document_counters_clear(&o->counters);
    free(o->idem_key);
    free(o->title);
    free(o->doc_number);
    free(o->answer);
    free(o);
}

static void s_fail(s_op_t *o, int status, const char *code, const char *field, const char *message)
{
    gy_http_respond_error(o->req, status, code, message, field);
    s_op_free(o);
}

static void s_op_read(s_op_t *o);

static void s_settle(s_op_t *o, bool committed)
{
    if (o->seq > 0) {
        workflow_documents_settled(o->api->documents, o->procuratorate, o->series, o->year,
                                   committed);
        o->seq = 0;
    }
}

static void s_on_write_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_op_t *o = arg;
    if (index == o->answer_index && gy_pg_ntuples(res) == 1 && !gy_pg_isnull(res, 0, 0)) {
        free(o->answer);
        o->answer = gy_strdup(gy_pg_value(res, 0, 0));
    }
}

/*  The write of a keyed issue ended: the requests that waited for it
 *  read again (they find its document, or decide anew). */
static void s_release_waiters(s_op_t *o)
{
    workflow_document_api_t *self = o->api;
    for (s_op_t **p = &self->keyed; *p; p = &(*p)->next_keyed)
        if (*p == o) {
            *p = o->next_keyed;
            break;
        }
    while (o->waiters) {
        s_op_t *w = o->waiters;
        o->waiters = w->next_waiter;
        if (self->holds.stopped) {
            gy_http_respond_error(w->req, 503, "unavailable", "the service is stopping", NULL);
            s_op_free(w);
        } else {
            w->tries--; /* waiting was not a try */
            s_op_read(w);
        }
    }
}

static void s_on_write_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_op_t *o = arg;
    s_settle(o, status == GY_PG_OK);
    s_release_waiters(o);
    if (gy_hold_gone(&o->api->holds, o->req)) {
        s_op_free(o);
        return;
    }
    bool conflict = gy_pg_conflict(status, sqlstate, true);
    if (conflict && o->tries < S_TRIES) {
        s_op_read(o); /* decide again on what is stored now */
        return;
    }
    if (status == GY_PG_LOST)
        gy_outbox_check(o->api->outbox);
    if (conflict) {
        s_fail(o, 409, "conflict", NULL, GY_CONFLICT_MESSAGE);
        return;
    }
    json_t *body = status == GY_PG_OK && o->answer ? json_loads(o->answer, 0, NULL) : NULL;
    if (status != GY_PG_OK || !body) {
        s_unavailable(o->req);
    } else {
        gy_outbox_check(o->api->outbox); /* the event is committed: the relay reads it */
        gy_reply_json(o->req, o->op == S_SERVE ? 200 : 201, body);
    }
    s_op_free(o);
}

static void s_run_write(s_op_t *o, gy_pg_tx_t *tx)
{
    const char *values[] = {o->op == S_ISSUE ? o->new_id : o->id, o->prefix};
    o->answer_index = gy_pg_tx_size(tx);
    gy_pg_tx_add(tx, "doc_api_document", 2, values, NULL);
    if (gy_pg_run(o->api->pg, &tx, s_on_write_row, s_on_write_done, o) < 0) {
        s_settle(o, false);
        s_unavailable(o->req);
        s_op_free(o);
        return;
    }
    gy_hold(&o->api->holds);
    if (o->op == S_ISSUE && o->idem_key) {
        o->next_keyed = o->api->keyed;
        o->api->keyed = o;
    }
}

/*  The answer to a retried issue: the document it made, as it is now. */
static void s_answer_done(s_op_t *o)
{
    gy_http_request_t *req = o->req;
    workflow_document_api_t *self = o->api;
    char id[37], prefix[7];
    snprintf(id, sizeof id, "%s", o->done_id);
    snprintf(prefix, sizeof prefix, "%s", o->prefix);
    s_op_free(o);
    s_read(self, req, "doc_api_document", id, prefix, "no such document");
}

/*  The kind's body template filled with the case's facts and the number
 *  seq would have. */
static int s_fill(s_op_t *o, const workflow_docnum_template_t *t, int64_t seq, char **text,
                  gy_error_t *err)
{
    const gy_region_t *region = gy_refdata_region(o->api->refdata, o->procuratorate);
    const gy_field_t *field = gy_refdata_field(o->api->refdata, o->field_code);
    char *number = workflow_docnum_render(t, o->year, seq);
    workflow_document_facts_t facts = {
        region ? region->procuratorate_zh : o->procuratorate,
        number,
        t->name_zh,
        o->recipient,
        o->title,
        field ? field->name_zh : o->field_code,
        o->at_ms,
    };
    int rc = workflow_documents_text(o->api->documents, o->kind, o->case_kind, &facts, text, err);
    free(number);
    return rc;
}

static void s_decide_issue(s_op_t *o)
{
    workflow_document_api_t *self = o->api;
    if (!o->found || !gy_scope_within(o->procuratorate, o->prefix)) {
        s_fail(o, 404, "not_found", NULL, "no such case");
        return;
    }
    if (o->done_id[0]) {
        if (strcmp(o->done_hash, o->request_hash) != 0 || strcmp(o->done_case, o->id) != 0) {
            s_fail(o, 409, "idempotency_conflict", "Idempotency-Key",
                   "this Idempotency-Key was used with a different request");
            return;
        }
        s_answer_done(o);
        return;
    }
    /*  The same request (a client retrying while its first try is still
     *  being written) waits for that write instead of numbering too: its
     *  write would fail on the key and take the numbers chained on it
     *  down with it. */
    for (s_op_t *k = self->keyed; o->idem_key && k; k = k->next_keyed)
        if (strcmp(k->idem_key, o->idem_key) == 0) {
            o->next_waiter = k->waiters;
            k->waiters = o;
            return;
        }
    const char *role = workflow_document_issue_role(o->case_kind, o->kind);
    if (!role) {
        char message[200];
        snprintf(message, sizeof message, "no step of a%s %s case issues a %s",
                 o->case_kind[0] == 'a' ? "n" : "", o->case_kind, o->kind);
        s_fail(o, 422, "kind_not_in_case", "kind", message);
        return;
    }
    if (strcmp(role, WORKFLOW_ROLE_CHIEF) == 0 &&
        strcmp(o->claims.role, WORKFLOW_ROLE_CHIEF) != 0) {
        s_fail(o, 403, "forbidden", NULL,
               "only the chief prosecutor issues this document (立案决定书, 检察建议书, 起诉书)");
        return;
    }
    workflow_docnum_template_t t;
    workflow_csv_error_t cerr;
    if (workflow_docnum_lookup(workflow_documents_docnum(self->documents), o->procuratorate,
                               o->case_kind, o->kind, &t, &cerr) < 0) {
        s_fail(o, 422, cerr.code, "kind", cerr.message);
        return;
    }
    int64_t read_last = workflow_document_counters_last(&o->counters, t.series);
    /*  The text is checked before the number is decided (a refusal then
     *  leaves the numbers in flight alone), and filled with the number
     *  after. */
    char *text = NULL;
    gy_error_t err;
    if (!o->text && s_fill(o, &t, read_last + 1, &text, &err) < 0) {
        gy_reply_error(o->req, &err);
        s_op_free(o);
        return;
    }
    free(text);
    text = NULL;
    int64_t last =
        workflow_documents_decide(self->documents, o->procuratorate, t.series, o->year, read_last);
    o->seq = last + 1;
    snprintf(o->series, sizeof o->series, "%s", t.series);
    char *number = workflow_docnum_render(&t, o->year, o->seq);
    if (!o->text && s_fill(o, &t, o->seq, &text, &err) < 0) {
        free(number);
        s_settle(o, false);
        gy_reply_error(o->req, &err);
        s_op_free(o);
        return;
    }
    gy_uuid(o->new_id);
    char trace[37];
    gy_uuid(trace);
    workflow_document_issue_t d = {
        .id = o->new_id,
        .case_id = o->id,
        .case_kind = o->case_kind,
        .field_code = o->field_code,
        .procuratorate = o->procuratorate,
        .t = &t,
        .kind = o->kind,
        .year = o->year,
        .last = last,
        .number = number,
        .text = o->text ? o->text : text,
        .text_given = o->text != NULL,
        .recipient = o->recipient,
        .transition = NULL,
        .reason = o->reason,
        .issued_by = o->claims.sub,
        .issued_role = o->claims.role,
        .issued_ms = o->at_ms,
        .idempotency_key = o->idem_key,
        .request_hash = o->idem_key ? o->request_hash : NULL,
    };
    gy_pg_tx_t *tx = gy_pg_tx_new();
    workflow_document_tx_issue(tx, self->producer, &d, trace);
    free(number);
    free(text);
    s_run_write(o, tx);
}

static void s_decide_serve(s_op_t *o)
{
    if (!o->found || !gy_scope_within(o->procuratorate, o->prefix)) {
        s_fail(o, 404, "not_found", NULL, "no such document");
        return;
    }
    if (o->served) {
        s_fail(o, 409, "already_served", NULL,
               "the document was served already; its service is recorded once");
        return;
    }
    if (o->served_ms < o->issued_ms - S_FUTURE_SLACK_MS) {
        s_fail(o, 400, "invalid_value", "served_at", "served_at is before the document was issued");
        return;
    }
    char trace[37];
    gy_uuid(trace);
    workflow_document_serve_t sv = {
        .document_id = o->id,
        .version = o->version,
        .case_id = o->doc_case,
        .kind = o->doc_kind,
        .number = o->doc_number,
        .procuratorate = o->procuratorate,
        .served_on = o->served_on,
        .served_ms = o->served_ms,
        .method = o->method,
        .recorded_by = o->claims.sub,
        .recorded_ms = gy_now_ms(),
    };
    gy_pg_tx_t *tx = gy_pg_tx_new();
    workflow_document_tx_serve(tx, o->api->producer, &sv, trace);
    s_run_write(o, tx);
}

static void s_decide_attach(s_op_t *o)
{
    if (!o->found || !gy_scope_within(o->procuratorate, o->prefix)) {
        s_fail(o, 404, "not_found", NULL, "no such document");
        return;
    }
    size_t i;
    json_t *a;
    json_array_foreach(o->attachments, i, a) {
        if (strcmp(json_string_value(json_object_get(a, "name")), o->name) != 0)
            continue;
        /*  The same attachment again (a retry) changes nothing. */
        if (strcmp(json_string_value(json_object_get(a, "sha256")), o->sha256) == 0 &&
            json_integer_value(json_object_get(a, "size")) == o->size &&
            strcmp(json_string_value(json_object_get(a, "media_type")), o->media_type) == 0) {
            gy_http_request_t *req = o->req;
            workflow_document_api_t *self = o->api;
            char id[37], prefix[7];
            snprintf(id, sizeof id, "%s", o->id);
            snprintf(prefix, sizeof prefix, "%s", o->prefix);
            s_op_free(o);
            s_read(self, req, "doc_api_document", id, prefix, "no such document");
            return;
        }
        s_fail(o, 409, "duplicate_attachment", "name",
               "the document has another attachment of this name");
        return;
    }
    if (json_array_size(o->attachments) >= S_ATTACHMENTS_MAX) {
        char message[96];
        snprintf(message, sizeof message, "a document has at most %d attachments",
                 S_ATTACHMENTS_MAX);
        s_fail(o, 422, "too_many_attachments", NULL, message);
        return;
    }
    json_t *att = json_pack("{s:s,s:s,s:I,s:s}", "name", o->name, "media_type", o->media_type,
                            "size", (json_int_t)o->size, "sha256", o->sha256);
    char *att_text = json_dumps(att, JSON_COMPACT);
    json_decref(att);
    char version[24], at[24];
    snprintf(version, sizeof version, "%ld", o->version);
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {o->id, version, att_text, o->claims.sub, at};
    gy_pg_tx_add(tx, "doc_attach", 5, values, NULL);
    free(att_text);
    s_run_write(o, tx);
}

static void s_on_op_read_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_op_t *o = arg;
    if (o->op == S_ISSUE && index == 1) {
        workflow_document_counters_add(&o->counters, res);
        return;
    }
    if (gy_pg_ntuples(res) != 1)
        return;
    o->found = true;
    snprintf(o->procuratorate, sizeof o->procuratorate, "%s", gy_pg_value(res, 0, 1));
    if (o->op == S_ISSUE) {
        snprintf(o->case_kind, sizeof o->case_kind, "%s", gy_pg_value(res, 0, 0));
        snprintf(o->field_code, sizeof o->field_code, "%s", gy_pg_value(res, 0, 2));
        snprintf(o->state, sizeof o->state, "%s", gy_pg_value(res, 0, 3));
        o->heroes = strcmp(gy_pg_value(res, 0, 4), "t") == 0;
        free(o->title);
        o->title = gy_strdup(gy_pg_value(res, 0, 5));
        snprintf(o->done_id, sizeof o->done_id, "%s", gy_pg_value(res, 0, 6));
        snprintf(o->done_hash, sizeof o->done_hash, "%s", gy_pg_value(res, 0, 7));
        snprintf(o->done_case, sizeof o->done_case, "%s", gy_pg_value(res, 0, 8));
        return;
    }
    snprintf(o->procuratorate, sizeof o->procuratorate, "%s", gy_pg_value(res, 0, 0));
    o->version = strtol(gy_pg_value(res, 0, 1), NULL, 10);
    o->served = strcmp(gy_pg_value(res, 0, 2), "t") == 0;
    o->issued_ms = strtoll(gy_pg_value(res, 0, 3), NULL, 10);
    json_decref(o->attachments);
    o->attachments = json_loads(gy_pg_value(res, 0, 4), 0, NULL);
    snprintf(o->doc_case, sizeof o->doc_case, "%s", gy_pg_value(res, 0, 5));
    snprintf(o->doc_kind, sizeof o->doc_kind, "%s", gy_pg_value(res, 0, 6));
    free(o->doc_number);
    o->doc_number = gy_strdup(gy_pg_value(res, 0, 7));
}

static void s_on_op_read_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_op_t *o = arg;
    (void)sqlstate;
    if (gy_hold_gone(&o->api->holds, o->req)) {
        s_op_free(o);
        return;
    }
    if (status != GY_PG_OK || (o->found && o->op != S_ISSUE && !o->attachments)) {
        s_unavailable(o->req);
        s_op_free(o);
        return;
    }
    if (o->op == S_ISSUE)
        s_decide_issue(o);
    else if (o->op == S_SERVE)
        s_decide_serve(o);
    else
        s_decide_attach(o);
}

static void s_op_read(s_op_t *o)
{
    o->tries++;
    o->found = false;
    o->done_id[0] = '\0';
    workflow_document_counters_clear(&o->counters);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    if (o->op == S_ISSUE) {
        /*  The instant of issue is taken before the read: its year keys
         *  the counters read and the number decided on them. */
        o->at_ms = gy_now_ms();
        o->year = workflow_docnum_year(o->at_ms);
        const char *values[] = {o->id, o->idem_key};
        gy_pg_tx_add(tx, "doc_case_read", 2, values, NULL);
        workflow_document_read_add(tx, o->id, o->year);
    } else {
        const char *values[] = {o->id};
        gy_pg_tx_add(tx, "doc_read", 1, values, NULL);
    }
    if (gy_pg_run(o->api->pg, &tx, s_on_op_read_row, s_on_op_read_done, o) < 0) {
        s_unavailable(o->req);
        s_op_free(o);
        return;
    }
    gy_hold(&o->api->holds);
}

/*  Common head of the writes: the guard, the id of the path, the body.
 *  NULL when answered. */
static s_op_t *s_op_new(workflow_document_api_t *self, gy_http_request_t *req,
                        const gy_route_match_t *match, s_op_kind_t op, const char *param,
                        const char *not_found, const char *const *members)
{
    s_op_t *o = gy_calloc(1, sizeof *o);
    o->api = self;
    o->req = req;
    o->op = op;
    if (gy_auth_guard(req, self->public_key, &s_handlers, &o->claims, o->prefix) < 0) {
        s_op_free(o);
        return NULL;
    }
    const char *id = gy_route_param(match, param);
    if (!gy_uuid_valid(id)) {
        s_fail(o, 404, "not_found", NULL, not_found);
        return NULL;
    }
    snprintf(o->id, sizeof o->id, "%s", id);
    s_lower(o->id); /* as PostgreSQL writes it, for the events and the idempotency check */
    if (gy_require_json(req) < 0) {
        s_op_free(o);
        return NULL;
    }
    gy_error_t err;
    size_t len;
    const char *body = gy_http_body(req, &len);
    if (!(o->body = gy_json_object_load(body ? body : "", body ? len : 0, &err)) ||
        s_known(o->body, members, &err) < 0) {
        gy_reply_error(req, &err);
        s_op_free(o);
        return NULL;
    }
    return o;
}

static void s_issue(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    static const char *const members[] = {"kind", "text", "recipient", "reason", NULL};
    workflow_document_api_t *self = arg;
    const char *key = gy_http_header(req, "Idempotency-Key");
    if (key && !gy_text_id_valid(key, 128)) {
        gy_http_respond_error(req, 400, "invalid_idempotency_key",
                              "Idempotency-Key must be 1 to 128 printable ASCII characters",
                              "Idempotency-Key");
        return;
    }
    s_op_t *o = s_op_new(self, req, match, S_ISSUE, "case_id", "no such case", members);
    if (!o)
        return;
    gy_error_t err;
    if (s_string(o->body, "kind", true, 1, 39, false, &o->kind, &err) < 0 ||
        s_string(o->body, "text", false, 1, WORKFLOW_DOCUMENT_TEXT_MAX, true, &o->text, &err) < 0 ||
        s_string(o->body, "recipient", false, 1, WORKFLOW_DOCUMENT_RECIPIENT_MAX, false,
                 &o->recipient, &err) < 0 ||
        s_string(o->body, "reason", false, 1, S_REASON_MAX, false, &o->reason, &err) < 0) {
        gy_reply_error(req, &err);
        s_op_free(o);
        return;
    }
    bool known = false;
    for (const char *const *k = WORKFLOW_DOC_KINDS; *k && !known; k++)
        known = strcmp(*k, o->kind) == 0;
    if (!known) {
        s_fail(o, 400, "invalid_value", "kind",
               "kind is one of opening_decision, not_opened_decision, suggestion, announcement, "
               "closing_decision, indictment, support_letter, appeal");
        return;
    }
    if (key) {
        /*  A retry is the same request by the same person on the same
         *  case: the key is namespaced by the caller, the hash tells a
         *  different request under a reused key. */
        o->idem_key = gy_sprintf("%s:%s", o->claims.sub, key);
        json_t *canon = json_pack("{s:s,s:s,s:o,s:o,s:o}", "case_id", o->id, "kind", o->kind,
                                  "text", o->text ? json_string(o->text) : json_null(), "recipient",
                                  o->recipient ? json_string(o->recipient) : json_null(), "reason",
                                  o->reason ? json_string(o->reason) : json_null());
        char *text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(canon);
        uint8_t hash[32];
        gy_sha256(text, strlen(text), hash);
        free(text);
        gy_hex(hash, sizeof hash, o->request_hash);
    }
    s_op_read(o);
}

static void s_serve(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    static const char *const members[] = {"served_on", "served_at", "method", NULL};
    s_op_t *o = s_op_new(arg, req, match, S_SERVE, "document_id", "no such document", members);
    if (!o)
        return;
    gy_error_t err;
    const char *at;
    if (s_string(o->body, "served_on", true, 1, WORKFLOW_DOCUMENT_RECIPIENT_MAX, false,
                 &o->served_on, &err) < 0 ||
        s_string(o->body, "served_at", true, 1, 40, false, &at, &err) < 0 ||
        s_string(o->body, "method", true, 1, 20, false, &o->method, &err) < 0) {
        gy_reply_error(req, &err);
        s_op_free(o);
        return;
    }
    o->served_ms = gy_clock_parse_iso(at);
    if (o->served_ms == GY_CLOCK_INVALID) {
        s_fail(o, 400, "invalid_value", "served_at",
               "served_at is an instant with its offset, e.g. 2026-11-29T10:30:00+08:00");
        return;
    }
    if (o->served_ms > gy_now_ms() + S_FUTURE_SLACK_MS) {
        s_fail(o, 400, "invalid_value", "served_at", "served_at is in the future");
        return;
    }
    bool known = false;
    for (const char *const *m = s_methods; *m && !known; m++)
        known = strcmp(*m, o->method) == 0;
    if (!known) {
        s_fail(o, 400, "invalid_value", "method",
               "method is one of direct, lodged, electronic, entrusted, post, forwarded, "
               "public_notice");
        return;
    }
    s_op_read(o);
}

static bool s_media_type_char(char c)
{
    return isalnum((unsigned char)c) || strchr("!#$&^_.+-", c);
}

static void s_attach(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    static const char *const members[] = {"name", "media_type", "size", "sha256", NULL};
    s_op_t *o = s_op_new(arg, req, match, S_ATTACH, "document_id", "no such document", members);
    if (!o)
        return;
    gy_error_t err;
    if (s_string(o->body, "name", true, 1, S_ATTACHMENT_NAME_MAX, false, &o->name, &err) < 0 ||
        s_string(o->body, "media_type", true, 3, 127, false, &o->media_type, &err) < 0 ||
        s_string(o->body, "sha256", true, 64, 64, false, &o->sha256_in, &err) < 0) {
        if (strcmp(err.field, "sha256") == 0)
            gy_error_set(&err, 400, "invalid_value", "sha256",
                         "sha256 is the SHA-256 of the bytes: 64 hexadecimal digits");
        gy_reply_error(req, &err);
        s_op_free(o);
        return;
    }
    if (strchr(o->name, '/') || strchr(o->name, '\\') || strcmp(o->name, ".") == 0 ||
        strcmp(o->name, "..") == 0) {
        s_fail(o, 400, "invalid_value", "name", "name is a file name, without / or \\");
        return;
    }
    const char *slash = strchr(o->media_type, '/');
    bool ok = slash && slash != o->media_type && slash[1];
    for (const char *p = o->media_type; ok && *p; p++)
        ok = p == slash || s_media_type_char(*p);
    if (!ok) {
        s_fail(o, 400, "invalid_value", "media_type",
               "media_type is a media type such as application/pdf");
        return;
    }
    for (int i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char)o->sha256_in[i])) {
            s_fail(o, 400, "invalid_value", "sha256",
                   "sha256 is the SHA-256 of the bytes: 64 hexadecimal digits");
            return;
        }
        o->sha256[i] = (char)tolower((unsigned char)o->sha256_in[i]);
    }
    json_t *size = json_object_get(o->body, "size");
    if (!size || json_is_null(size)) {
        s_fail(o, 400, "missing_field", "size", "size is required");
        return;
    }
    if (!json_is_integer(size)) {
        s_fail(o, 400, "invalid_type", "size", "size must be a whole number of bytes");
        return;
    }
    if (json_integer_value(size) < 0 || json_integer_value(size) > S_SIZE_MAX) {
        s_fail(o, 400, "invalid_value", "size", "size is 0 to 9007199254740991 bytes");
        return;
    }
    o->size = (int64_t)json_integer_value(size);
    s_op_read(o);
}

/*  ---- routing and life cycle ---- */

static const gy_route_t s_routes[] = {
    {"GET", "/api/v1/workflow/cases/{case_id}/documents", "workflow_case_documents", s_list},
    {"POST", "/api/v1/workflow/cases/{case_id}/documents", "workflow_document_issue", s_issue},
    {"GET", "/api/v1/workflow/documents/{document_id}", "workflow_document", s_get_document},
    {"POST", "/api/v1/workflow/documents/{document_id}/served", "workflow_document_served",
     s_serve},
    {"POST", "/api/v1/workflow/documents/{document_id}/attachments",
     "workflow_document_attachments", s_attach},
    {NULL, NULL, NULL, NULL},
};

bool workflow_document_api_handle(workflow_document_api_t *self, gy_http_request_t *req)
{
    assert(self && req);
    return gy_route_dispatch_or(s_routes, req, self, false);
}

static void s_free(void *arg)
{
    workflow_document_api_t *self = arg;
    free(self->producer);
    free(self);
}

workflow_document_api_t *workflow_document_api_new(gy_pg_t *pg, const uint8_t *public_key,
                                                   const gy_refdata_t *refdata,
                                                   workflow_documents_t *documents,
                                                   gy_outbox_t *outbox, const char *producer)
{
    assert(pg && public_key && refdata && documents && producer);
    workflow_document_api_t *self = gy_calloc(1, sizeof *self);
    self->pg = pg;
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        gy_pg_prepare(pg, s_statements[i].name, s_statements[i].sql);
    workflow_document_prepare(pg);
    gy_outbox_prepare("workflow", NULL, NULL, pg);
    self->public_key = public_key;
    self->refdata = refdata;
    self->documents = documents;
    self->outbox = outbox;
    self->producer = gy_strdup(producer);
    gy_holds_init(&self->holds, s_free, self);
    return self;
}

void workflow_document_api_destroy(workflow_document_api_t **self_p)
{
    assert(self_p);
    workflow_document_api_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    gy_holds_stop(&self->holds);
}
