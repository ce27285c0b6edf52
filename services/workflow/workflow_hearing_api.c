/*  workflow_hearing_api — see workflow_hearing_api.h. */
#include "workflow_hearing_api.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gongyi.pb-c.h"
#include "gy_auth.h"
#include "gy_hold.h"
#include "gy_page.h"
#include "gy_route.h"
#include "gy_scope.h"
#include "gy_util.h"
#include "workflow_hearing.h"

/*  A conflict means another step won the race; a few tries settle it. */
#define S_TRIES 4

static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    {"hearing_case_read", "SELECT kind, procuratorate, field_code, state"
                          " FROM workflow.case_read($1::uuid)"},
    {"hearing_pool_read", "SELECT id, procuratorate, kind, volunteer_id, active"
                          " FROM workflow.hearing_pool_read($1::uuid[], $2::text[])"},
    {"hearing_insert", "SELECT workflow.hearing_insert($1::jsonb, $2, $3, $4::bigint)"},
    {"hearing_read", "SELECT state, version, case_id, procuratorate, field_code, case_kind,"
                     " starts_ms, public, place, topic, stream_url, member_ids, participant_ids,"
                     " volunteer_ids FROM workflow.hearing_read($1::uuid)"},
    {"hearing_step", "SELECT workflow.hearing_step($1::uuid, $2, $3::integer, $4, $5, $6, $7,"
                     " $8::jsonb, $9::bigint)"},
    {"api_hearing", "SELECT workflow.api_hearing($1::uuid, $2)::text"},
    {"api_case_hearings", "SELECT workflow.api_case_hearings($1::uuid, $2)::text"},
    {"api_public_hearings",
     "SELECT workflow.api_public_hearings($1::bigint, $2, 'epoch'::timestamptz"
     " + $3::bigint * interval '1 microsecond', $4::uuid, $5::integer)::text"},
    {"api_hearing_pool", "SELECT workflow.api_hearing_pool($1)::text"},
    {"hearing_pool_add", "SELECT workflow.hearing_pool_add($1::jsonb, $2, $3::bigint)::text"},
    {"hearing_pool_deactivate",
     "SELECT workflow.hearing_pool_deactivate($1, $2::uuid, $3, $4::bigint)::text"},
    {"impact_insert", "SELECT workflow.impact_insert($1::jsonb, $2, $3, $4::bigint)::text"},
    {"api_case_impact", "SELECT workflow.api_case_impact($1::uuid, $2)::text"},
};

struct workflow_hearing_api {
    gy_pg_t *pg;                       /* borrowed: the API's own connection */
    const uint8_t *public_key;         /* borrowed */
    const gy_refdata_t *refdata;       /* borrowed: procuratorates' names */
    const workflow_impact_t *measures; /* borrowed */
    gy_outbox_t *outbox;               /* borrowed: woken after a commit */
    char *producer;
    gy_holds_t holds;
};

static const char *const s_handler_roles[] = {"prosecutor", "chief_prosecutor", NULL};
static const gy_guard_t s_handlers = {s_handler_roles, true, false,
                                      "only a prosecutor or a chief prosecutor may do this"};
static const char *const s_pool_reader_roles[] = {"prosecutor", "chief_prosecutor", "admin", NULL};
static const gy_guard_t s_pool_readers = {
    s_pool_reader_roles, true, false,
    "only a prosecutor, a chief prosecutor or an administrator may see the hearing pool"};
static const char *const s_pool_manager_roles[] = {"chief_prosecutor", "admin", NULL};
static const gy_guard_t s_pool_managers = {
    s_pool_manager_roles, true, false,
    "only a chief prosecutor or an administrator manages the hearing pool"};

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

/*  The body of a request that says it is JSON; -1 when answered (415). */
static int s_require_json_body(gy_http_request_t *req, const char **body, size_t *len)
{
    if (gy_require_json(req) < 0)
        return -1;
    *body = gy_http_body(req, len);
    return 0;
}

/*  The id of a path parameter as PostgreSQL writes it (lower case); false
 *  when it is not a UUID. */
static bool s_path_id(const gy_route_match_t *match, const char *name, char out[37])
{
    const char *id = gy_route_param(match, name);
    if (!gy_uuid_valid(id))
        return false;
    snprintf(out, 37, "%s", id);
    s_lower(out);
    return true;
}

/*  ---- reads and single-statement writes: one statement answering JSON
 *  (NULL: not found) ---- */

typedef struct {
    workflow_hearing_api_t *api;
    gy_http_request_t *req;
    char *answer;
    int status;            /* of a found answer */
    const char *not_found; /* the 404's message */
    const char *duplicate; /* the 409's message on a unique violation, or NULL */
    bool wakes_outbox;     /* nothing here writes events: false */
} s_read_t;

static void s_on_read_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_read_t *r = arg;
    (void)index;
    if (gy_pg_ntuples(res) == 1 && !gy_pg_isnull(res, 0, 0) && !r->answer)
        r->answer = gy_strdup(gy_pg_value(res, 0, 0));
}

static void s_on_read_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_read_t *r = arg;
    if (!gy_hold_gone(&r->api->holds, r->req)) {
        json_t *body = r->answer ? json_loads(r->answer, 0, NULL) : NULL;
        if (status == GY_PG_ERROR && r->duplicate && strcmp(sqlstate, "23505") == 0)
            gy_http_respond_error(r->req, 409, "already_in_pool", r->duplicate, NULL);
        else if (status != GY_PG_OK)
            s_unavailable(r->req);
        else if (!body)
            gy_http_respond_error(r->req, 404, "not_found", r->not_found, NULL);
        else
            gy_reply_json(r->req, r->status, json_incref(body));
        json_decref(body);
    }
    free(r->answer);
    free(r);
}

static void s_read_as(workflow_hearing_api_t *self, gy_http_request_t *req, const char *stmt, int n,
                      const char *const *values, int status, const char *not_found,
                      const char *duplicate)
{
    s_read_t *r = gy_calloc(1, sizeof *r);
    r->api = self;
    r->req = req;
    r->status = status;
    r->not_found = not_found;
    r->duplicate = duplicate;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, stmt, n, values, NULL);
    if (gy_pg_run(self->pg, &tx, s_on_read_row, s_on_read_done, r) < 0) {
        free(r);
        s_unavailable(req);
        return;
    }
    gy_hold(&self->holds);
}

static void s_read(workflow_hearing_api_t *self, gy_http_request_t *req, const char *stmt, int n,
                   const char *const *values, const char *not_found)
{
    gy_reply_document(self->pg, &self->holds, req, stmt, n, values, not_found);
}

static void s_case_hearings(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_hearing_api_t *self = arg;
    gy_token_claims_t claims;
    char prefix[7], id[37];
    if (gy_auth_guard(req, self->public_key, &s_handlers, &claims, prefix) < 0)
        return;
    if (!s_path_id(match, "case_id", id)) {
        gy_http_respond_error(req, 404, "not_found", "no such case", NULL);
        return;
    }
    const char *values[] = {id, prefix};
    s_read(self, req, "api_case_hearings", 2, values, "no such case");
}

static void s_hearing(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_hearing_api_t *self = arg;
    gy_token_claims_t claims;
    char prefix[7], id[37];
    if (gy_auth_guard(req, self->public_key, &s_handlers, &claims, prefix) < 0)
        return;
    if (!s_path_id(match, "hearing_id", id)) {
        gy_http_respond_error(req, 404, "not_found", "no such hearing", NULL);
        return;
    }
    const char *values[] = {id, prefix};
    s_read(self, req, "api_hearing", 2, values, "no such hearing");
}

static void s_case_impact(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_hearing_api_t *self = arg;
    gy_token_claims_t claims;
    char prefix[7], id[37];
    if (gy_auth_guard(req, self->public_key, &s_handlers, &claims, prefix) < 0)
        return;
    if (!s_path_id(match, "case_id", id)) {
        gy_http_respond_error(req, 404, "not_found", "no such case", NULL);
        return;
    }
    const char *values[] = {id, prefix};
    s_read(self, req, "api_case_impact", 2, values, "no such case");
}

/*  Upcoming public hearings: no token, no personal data (the SQL function
 *  selects what the announcement says and nothing of any person). */
static void s_public_hearings(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_hearing_api_t *self = arg;
    (void)match;
    gy_page_spec_t spec = {NULL, NULL, 20, 100};
    gy_page_t page;
    gy_error_t err;
    char rest[512], code[7], prefix[7] = "";
    if (workflow_public_query(gy_http_query(req), rest, sizeof rest, code, &err) < 0 ||
        gy_page_parse(&spec, rest, &page, &err) < 0) {
        gy_reply_error(req, &err);
        return;
    }
    if (code[0] && (!gy_refdata_region(self->refdata, code) || gy_scope_prefix(code, prefix) < 0)) {
        gy_http_respond_error(req, 400, "invalid_value", "no such procuratorate", "procuratorate");
        return;
    }
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, gy_now_ms());
    const char *values[] = {now, prefix, page.has_after ? page.after_us : NULL,
                            page.has_after ? page.after_id : NULL, page.limit_text};
    s_read(self, req, "api_public_hearings", 5, values, "no hearings");
}

static void s_impact_measures(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_hearing_api_t *self = arg;
    (void)match;
    /*  Reference data (the console's 字典): every signed-in user may read it. */
    gy_token_claims_t claims;
    if (gy_auth_guard(req, self->public_key, &gy_guard_signed_in, &claims, NULL) < 0)
        return;
    char *text = workflow_impact_json(self->measures);
    gy_reply_json(req, 200, json_loads(text, 0, NULL));
    free(text);
}

/*  ---- the hearing pool ---- */

/*  The procuratorate of the path, in the caller's scope and the reference
 *  data; otherwise answered 404. */
static int s_pool_head(workflow_hearing_api_t *self, gy_http_request_t *req,
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

static void s_pool(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_hearing_api_t *self = arg;
    gy_token_claims_t claims;
    const char *code;
    if (s_pool_head(self, req, match, &s_pool_readers, &claims, &code) < 0)
        return;
    const char *values[] = {code};
    s_read(self, req, "api_hearing_pool", 1, values, "no such procuratorate");
}

static void s_pool_add(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_hearing_api_t *self = arg;
    gy_token_claims_t claims;
    const char *code, *body;
    size_t len;
    if (s_pool_head(self, req, match, &s_pool_managers, &claims, &code) < 0 ||
        s_require_json_body(req, &body, &len) < 0)
        return;
    workflow_pool_entry_t e;
    gy_error_t err;
    if (workflow_pool_entry_parse(body, len, &e, &err) < 0) {
        gy_reply_error(req, &err);
        return;
    }
    char id[37], at[24];
    gy_uuid(id);
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s?}", "id", id, "procuratorate", code, "kind",
                            e.kind, "name", e.name, "volunteer_id", e.volunteer_id);
    char *text = json_dumps(row, JSON_COMPACT);
    json_decref(row);
    workflow_pool_entry_clear(&e);
    const char *values[] = {text, claims.sub, at};
    s_read_as(self, req, "hearing_pool_add", 3, values, 201, "no such procuratorate",
              "this volunteer is in the procuratorate's hearing pool already");
    free(text);
}

static void s_pool_deactivate(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_hearing_api_t *self = arg;
    gy_token_claims_t claims;
    const char *code;
    char id[37];
    if (s_pool_head(self, req, match, &s_pool_managers, &claims, &code) < 0)
        return;
    if (!s_path_id(match, "member_id", id)) {
        gy_http_respond_error(req, 404, "not_found", "no such person in the hearing pool", NULL);
        return;
    }
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    const char *values[] = {code, id, claims.sub, at};
    s_read(self, req, "hearing_pool_deactivate", 4, values, "no such person in the hearing pool");
}

/*  ---- steps: read, decide in C, write guarded ---- */

enum { S_SCHEDULE, S_STEP, S_IMPACT };

typedef struct {
    workflow_hearing_api_t *api;
    gy_http_request_t *req;
    int what; /* S_SCHEDULE, S_STEP, S_IMPACT */
    int tries;
    char prefix[7];
    gy_token_claims_t claims;
    char id[37]; /* the case (schedule, impact) or the hearing (step) */
    workflow_hearing_plan_t plan;
    workflow_hearing_step_t step;
    workflow_impact_entry_t entry;
    /* what the read found */
    bool found;
    char state[24];
    long version;
    char procuratorate[7], field_code[33], kind[16], case_id[37];
    int64_t starts_ms;
    bool public_hearing;
    char *place, *topic, *stream_url, *member_ids, *participant_ids, *volunteer_ids;
    json_t *pool; /* schedule: the pool rows read, [{id, procuratorate, kind, ...}] */
    /* what the write answered */
    char new_id[37];
    size_t answer_index;
    char *answer;
} s_job_t;

static void s_job_forget(s_job_t *j)
{
    free(j->place);
    free(j->topic);
    free(j->stream_url);
    free(j->member_ids);
    free(j->participant_ids);
    free(j->volunteer_ids);
    j->place = j->topic = j->stream_url = j->member_ids = j->participant_ids = j->volunteer_ids =
        NULL;
    json_decref(j->pool);
    j->pool = json_array();
    j->found = false;
}

static void s_job_free(s_job_t *j)
{
    s_job_forget(j);
    json_decref(j->pool);
    workflow_hearing_plan_clear(&j->plan);
    workflow_hearing_step_clear(&j->step);
    workflow_impact_entry_clear(&j->entry);
    free(j->answer);
    free(j);
}

static void s_fail(s_job_t *j, int status, const char *code, const char *field, const char *message)
{
    gy_http_respond_error(j->req, status, code, message, field);
    s_job_free(j);
}

static void s_job_read(s_job_t *j);

static void s_on_write_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_job_t *j = arg;
    if (index == j->answer_index && gy_pg_ntuples(res) == 1 && !gy_pg_isnull(res, 0, 0)) {
        free(j->answer);
        j->answer = gy_strdup(gy_pg_value(res, 0, 0));
    }
}

static void s_on_write_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_job_t *j = arg;
    if (gy_hold_gone(&j->api->holds, j->req)) {
        s_job_free(j);
        return;
    }
    bool conflict = gy_pg_conflict(status, sqlstate, false);
    if (conflict && j->tries < S_TRIES) {
        s_job_read(j); /* decide again on what is stored now */
        return;
    }
    if (status == GY_PG_LOST)
        gy_outbox_check(j->api->outbox);
    if (conflict) {
        gy_reply_conflict(j->req);
    } else if (status != GY_PG_OK) {
        s_unavailable(j->req);
    } else {
        gy_outbox_check(j->api->outbox); /* the event is committed: the relay reads it */
        json_t *body = j->answer ? json_loads(j->answer, 0, NULL) : NULL;
        if (body)
            gy_reply_json(j->req, j->what == S_STEP ? 200 : 201, body);
        else
            gy_http_respond_error(j->req, 500, "internal", "internal error", NULL);
    }
    s_job_free(j);
}

static void s_run_write(s_job_t *j, gy_pg_tx_t *tx)
{
    if (gy_pg_run(j->api->pg, &tx, s_on_write_row, s_on_write_done, j) < 0) {
        s_unavailable(j->req);
        s_job_free(j);
        return;
    }
    gy_hold(&j->api->holds);
}

/*  "a,b,c" as a NULL-terminated array of pointers into text (modified);
 *  *n the count.  The array is to free. */
static char **s_split(char *text, size_t *n)
{
    size_t count = 0, cap = 4;
    char **out = gy_calloc(cap, sizeof *out);
    for (char *p = text; p && *p;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (count + 1 >= cap) {
            cap *= 2;
            out = gy_realloc(out, cap * sizeof *out);
        }
        out[count++] = p;
        p = comma ? comma + 1 : NULL;
    }
    out[count] = NULL;
    *n = count;
    return out;
}

static bool s_case_ended(const char *state)
{
    /*  closed and terminated: the case machines' final states
     *  (workflow_machines.h). */
    return strcmp(state, "closed") == 0 || strcmp(state, "terminated") == 0;
}

static char *s_announcement(s_job_t *j, int64_t starts_ms, const char *place, const char *topic,
                            const char *stream_url)
{
    const gy_region_t *r = gy_refdata_region(j->api->refdata, j->procuratorate);
    return workflow_hearing_announcement(r ? r->procuratorate_zh : j->procuratorate, starts_ms,
                                         place, topic, stream_url);
}

/*  The pool row of id read for this job, or NULL. */
static json_t *s_pool_row(s_job_t *j, const char *id)
{
    size_t i;
    json_t *row;
    json_array_foreach(j->pool, i, row) {
        if (strcasecmp(json_string_value(json_object_get(row, "id")), id) == 0)
            return row;
    }
    return NULL;
}

static void s_decide_schedule(s_job_t *j)
{
    workflow_hearing_plan_t *p = &j->plan;
    if (!j->found || !gy_scope_within(j->procuratorate, j->prefix)) {
        s_fail(j, 404, "not_found", NULL, "no such case");
        return;
    }
    if (s_case_ended(j->state)) {
        s_fail(j, 409, "invalid_case", "case_id",
               "the case is closed or terminated: no hearing can be scheduled");
        return;
    }
    /*  Members: active people of the case's procuratorate's pool. */
    for (size_t i = 0; i < p->n_members; i++) {
        json_t *row = s_pool_row(j, p->members[i]);
        if (!row || !json_is_true(json_object_get(row, "active")) ||
            strcmp(json_string_value(json_object_get(row, "procuratorate")), j->procuratorate) !=
                0) {
            char field[32];
            snprintf(field, sizeof field, "members[%zu]", i);
            s_fail(j, 422, "unknown_member", field,
                   row ? "this person is no longer active in the hearing pool"
                       : "no such person in the hearing pool of the case's procuratorate");
            return;
        }
    }
    /*  A volunteer sitting as a member is in that pool as a volunteer. */
    for (size_t i = 0; i < p->n_volunteers; i++) {
        if (!p->volunteers[i].member)
            continue;
        bool in_pool = false;
        size_t k;
        json_t *row;
        json_array_foreach(j->pool, k, row) {
            in_pool = in_pool || (json_is_true(json_object_get(row, "active")) &&
                                  strcmp(json_string_value(json_object_get(row, "volunteer_id")),
                                         p->volunteers[i].volunteer_id) == 0 &&
                                  strcmp(json_string_value(json_object_get(row, "procuratorate")),
                                         j->procuratorate) == 0);
        }
        if (!in_pool) {
            char field[48];
            snprintf(field, sizeof field, "volunteers[%zu].volunteer_id", i);
            s_fail(j, 422, "volunteer_not_in_pool", field,
                   "a volunteer sits as a member only from the procuratorate's hearing pool; "
                   "invite them as an observer or add them to the pool");
            return;
        }
    }
    gy_uuid(j->new_id);
    json_t *members = json_array(), *participants = json_array(), *volunteers = json_array();
    char **member_ids = gy_calloc(p->n_members + 1, sizeof *member_ids);
    char **participant_ids = gy_calloc(p->n_participants + 1, sizeof *participant_ids);
    char **volunteer_ids = gy_calloc(p->n_volunteers + p->n_members + 1, sizeof *volunteer_ids);
    size_t n_volunteers = 0;
    for (size_t i = 0; i < p->n_members; i++) {
        member_ids[i] = gy_strdup(p->members[i]);
        s_lower(member_ids[i]);
        json_array_append_new(members, json_string(member_ids[i]));
    }
    for (size_t i = 0; i < p->n_participants; i++) {
        participant_ids[i] = gy_calloc(1, 37);
        gy_uuid(participant_ids[i]);
        json_array_append_new(participants,
                              json_pack("{s:s,s:s,s:s,s:s}", "id", participant_ids[i], "name",
                                        p->participants[i].name, "role", p->participants[i].role,
                                        "contact", p->participants[i].contact));
    }
    for (size_t i = 0; i < p->n_volunteers; i++) {
        volunteer_ids[n_volunteers++] = (char *)p->volunteers[i].volunteer_id;
        json_array_append_new(volunteers,
                              json_pack("{s:s,s:s}", "volunteer_id", p->volunteers[i].volunteer_id,
                                        "as", p->volunteers[i].member ? "member" : "observer"));
    }
    /*  A volunteer of the pool named among the members sits as a member
     *  all the same: their own tasks and notify find them by their id. */
    for (size_t i = 0; i < p->n_members; i++) {
        json_t *row = s_pool_row(j, p->members[i]);
        const char *id = json_string_value(json_object_get(row, "volunteer_id"));
        if (strcmp(json_string_value(json_object_get(row, "kind")), "volunteer") != 0 || !id[0])
            continue;
        bool listed = false;
        for (size_t k = 0; k < n_volunteers && !listed; k++)
            listed = strcmp(volunteer_ids[k], id) == 0;
        if (listed)
            continue;
        volunteer_ids[n_volunteers++] = (char *)id;
        json_array_append_new(volunteers,
                              json_pack("{s:s,s:s}", "volunteer_id", id, "as", "member"));
    }
    char *announcement = p->public_hearing
                             ? s_announcement(j, p->starts_ms, p->place, p->topic, p->stream_url)
                             : NULL;
    json_t *h = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:b,s:s?,s:s?,s:o,s:o,s:o}", "id", j->new_id, "case_id",
        j->id, "procuratorate", j->procuratorate, "field_code", j->field_code, "case_kind", j->kind,
        "starts_ms", (json_int_t)p->starts_ms, "place", p->place, "topic", p->topic, "public",
        p->public_hearing, "stream_url", p->stream_url, "announcement", announcement, "members",
        members, "participants", participants, "volunteers", volunteers);
    char *text = json_dumps(h, JSON_COMPACT);
    json_decref(h);
    free(announcement);
    int64_t at_ms = gy_now_ms();
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, at_ms);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {text, j->state, j->claims.sub, at};
    gy_pg_tx_add(tx, "hearing_insert", 4, values, NULL);
    free(text);

    Gongyi__V1__HearingScheduled m = GONGYI__V1__HEARING_SCHEDULED__INIT;
    m.hearing_id = j->new_id;
    m.case_id = j->id;
    m.procuratorate = j->procuratorate;
    m.field_code = j->field_code;
    m.kind = j->kind;
    m.starts_unix_ms = p->starts_ms;
    m.public_hearing = p->public_hearing;
    m.place = (char *)p->place;
    m.n_member_ids = p->n_members;
    m.member_ids = member_ids;
    m.n_participant_ids = p->n_participants;
    m.participant_ids = participant_ids;
    m.n_volunteer_ids = n_volunteers;
    m.volunteer_ids = volunteer_ids;
    m.scheduled_by = j->claims.sub;
    m.stream_url = (char *)(p->stream_url ? p->stream_url : "");
    char trace[37];
    gy_uuid(trace);
    gy_outbox_tx_append_msg(tx, j->api->producer, &m.base, trace, j->procuratorate);
    for (size_t i = 0; i < p->n_members; i++)
        free(member_ids[i]);
    for (size_t i = 0; i < p->n_participants; i++)
        free(participant_ids[i]);
    free(member_ids);
    free(participant_ids);
    free(volunteer_ids);

    const char *rv[] = {j->new_id, j->prefix};
    j->answer_index = gy_pg_tx_size(tx);
    gy_pg_tx_add(tx, "api_hearing", 2, rv, NULL);
    s_run_write(j, tx);
}

static void s_decide_step(s_job_t *j)
{
    const gy_machine_t *m = &workflow_hearing_machine;
    workflow_hearing_step_t *s = &j->step;
    if (!j->found || !gy_scope_within(j->procuratorate, j->prefix)) {
        s_fail(j, 404, "not_found", NULL, "no such hearing");
        return;
    }
    int state = gy_machine_state_of(m, j->state);
    if (state < 0) {
        gy_log_error("hearing %s has state \"%s\", unknown to the hearing machine", j->id,
                     j->state);
        s_fail(j, 500, "internal", NULL, "internal error");
        return;
    }
    if (s->has_version && s->expected_version != j->version) {
        char message[160];
        snprintf(message, sizeof message,
                 "the hearing is at version %ld, not %ld: it changed since you read it; reload",
                 j->version, s->expected_version);
        s_fail(j, 409, "conflict", "expected_version", message);
        return;
    }
    int next = gy_machine_next(m, state, s->event);
    if (next == GY_MACHINE_REFUSED) {
        char why[256];
        gy_machine_refusal(m, state, s->event, why, sizeof why);
        s_fail(j, 409, "invalid_state", "state", why);
        return;
    }
    int64_t at_ms = gy_now_ms();
    if (s->event == WORKFLOW_HEARING_HOLD && at_ms < j->starts_ms) {
        s_fail(j, 409, "not_started", "state",
               "the hearing has not begun: its outcome is recorded once it has been held "
               "(postpone or cancel it otherwise)");
        return;
    }
    json_t *change = json_object();
    int64_t starts_ms = j->starts_ms;
    if (s->event == WORKFLOW_HEARING_POSTPONE) {
        starts_ms = s->starts_ms;
        json_object_set_new(change, "starts_ms", json_integer((json_int_t)starts_ms));
        if (j->public_hearing) {
            char *text = s_announcement(j, starts_ms, j->place, j->topic,
                                        j->stream_url[0] ? j->stream_url : NULL);
            json_object_set_new(change, "announcement", json_string(text));
            free(text);
        }
    } else if (s->event == WORKFLOW_HEARING_CANCEL && j->public_hearing) {
        /*  Whoever read the announcement learns that it is off. */
        const gy_region_t *r = gy_refdata_region(j->api->refdata, j->procuratorate);
        char *text = workflow_hearing_cancellation(r ? r->procuratorate_zh : j->procuratorate,
                                                   starts_ms, j->place, j->topic);
        json_object_set_new(change, "announcement", json_string(text));
        free(text);
    } else if (s->event == WORKFLOW_HEARING_HOLD) {
        json_object_set_new(change, "outcome", json_string(s->outcome));
        json_object_set_new(change, "summary", json_string(s->summary));
        json_object_set_new(change, "opinions",
                            s->opinions ? json_incref(s->opinions) : json_array());
    }
    char *change_text = json_dumps(change, JSON_COMPACT);
    json_decref(change);
    char version[24], at[24];
    snprintf(version, sizeof version, "%ld", j->version);
    snprintf(at, sizeof at, "%" PRId64, at_ms);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {j->id,
                            j->state,
                            version,
                            gy_machine_state_name(m, next),
                            gy_machine_event_name(m, s->event),
                            j->claims.sub,
                            s->reason,
                            change_text,
                            at};
    gy_pg_tx_add(tx, "hearing_step", 9, values, NULL);
    free(change_text);

    size_t n_members, n_participants, n_volunteers;
    char **members = s_split(j->member_ids, &n_members);
    char **participants = s_split(j->participant_ids, &n_participants);
    char **volunteers = s_split(j->volunteer_ids, &n_volunteers);
    Gongyi__V1__HearingStageChanged e = GONGYI__V1__HEARING_STAGE_CHANGED__INIT;
    e.hearing_id = j->id;
    e.case_id = j->case_id;
    e.procuratorate = j->procuratorate;
    e.field_code = j->field_code;
    e.kind = j->kind;
    e.event = (char *)gy_machine_event_name(m, s->event);
    e.from_state = j->state;
    e.to_state = (char *)gy_machine_state_name(m, next);
    e.starts_unix_ms = starts_ms;
    e.public_hearing = j->public_hearing;
    e.n_member_ids = n_members;
    e.member_ids = members;
    e.n_participant_ids = n_participants;
    e.participant_ids = participants;
    e.n_volunteer_ids = n_volunteers;
    e.volunteer_ids = volunteers;
    e.by = j->claims.sub;
    e.reason = (char *)s->reason;
    e.outcome = (char *)(s->outcome ? s->outcome : "");
    char trace[37];
    gy_uuid(trace);
    gy_outbox_tx_append_msg(tx, j->api->producer, &e.base, trace, j->procuratorate);
    free(members);
    free(participants);
    free(volunteers);

    const char *rv[] = {j->id, j->prefix};
    j->answer_index = gy_pg_tx_size(tx);
    gy_pg_tx_add(tx, "api_hearing", 2, rv, NULL);
    s_run_write(j, tx);
}

static void s_decide_impact(s_job_t *j)
{
    workflow_impact_entry_t *e = &j->entry;
    if (!j->found || !gy_scope_within(j->procuratorate, j->prefix)) {
        s_fail(j, 404, "not_found", NULL, "no such case");
        return;
    }
    if (s_case_ended(j->state)) {
        s_fail(j, 409, "invalid_case", "case_id",
               "the case is closed or terminated: record its impact on closing (on_closing)");
        return;
    }
    if (!workflow_measure_applies(e->measure, j->field_code)) {
        char message[256];
        snprintf(message, sizeof message,
                 "%s is not a measure of field %s (reference/impact_measures.csv: %s)",
                 e->measure->code, j->field_code, e->measure->fields);
        s_fail(j, 422, "measure_not_for_field", "measure", message);
        return;
    }
    gy_uuid(j->new_id);
    json_t *row =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:I}", "id", j->new_id, "case_id", j->id, "measure",
                  e->measure->code, "value", e->value, "unit", e->measure->unit, "note", e->note,
                  "on_closing", e->on_closing, "recorded_ms", (json_int_t)e->recorded_ms);
    char *text = json_dumps(row, JSON_COMPACT);
    json_decref(row);
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {text, j->state, j->claims.sub, at};
    j->answer_index = gy_pg_tx_size(tx);
    gy_pg_tx_add(tx, "impact_insert", 4, values, NULL);
    free(text);
    Gongyi__V1__ImpactRecorded m = GONGYI__V1__IMPACT_RECORDED__INIT;
    m.impact_id = j->new_id;
    m.case_id = j->id;
    m.procuratorate = j->procuratorate;
    m.field_code = j->field_code;
    m.kind = j->kind;
    m.measure = (char *)e->measure->code;
    m.value = e->value;
    m.unit = (char *)e->measure->unit;
    m.on_closing = e->on_closing;
    m.recorded_unix_ms = e->recorded_ms;
    m.recorded_by = j->claims.sub;
    char trace[37];
    gy_uuid(trace);
    gy_outbox_tx_append_msg(tx, j->api->producer, &m.base, trace, j->procuratorate);
    s_run_write(j, tx);
}

static char *s_dup_value(const gy_pg_result_t *res, int row, int col)
{
    return gy_strdup(gy_pg_isnull(res, row, col) ? "" : gy_pg_value(res, row, col));
}

static void s_on_job_read_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_job_t *j = arg;
    int n = gy_pg_ntuples(res);
    if (j->what == S_SCHEDULE && index == 1) {
        for (int r = 0; r < n; r++)
            json_array_append_new(
                j->pool, json_pack("{s:s,s:s,s:s,s:s,s:b}", "id", gy_pg_value(res, r, 0),
                                   "procuratorate", gy_pg_value(res, r, 1), "kind",
                                   gy_pg_value(res, r, 2), "volunteer_id", gy_pg_value(res, r, 3),
                                   "active", strcmp(gy_pg_value(res, r, 4), "t") == 0));
        return;
    }
    if (index != 0 || n != 1)
        return;
    j->found = true;
    if (j->what == S_STEP) {
        snprintf(j->state, sizeof j->state, "%s", gy_pg_value(res, 0, 0));
        j->version = strtol(gy_pg_value(res, 0, 1), NULL, 10);
        snprintf(j->case_id, sizeof j->case_id, "%s", gy_pg_value(res, 0, 2));
        snprintf(j->procuratorate, sizeof j->procuratorate, "%s", gy_pg_value(res, 0, 3));
        snprintf(j->field_code, sizeof j->field_code, "%s", gy_pg_value(res, 0, 4));
        snprintf(j->kind, sizeof j->kind, "%s", gy_pg_value(res, 0, 5));
        j->starts_ms = strtoll(gy_pg_value(res, 0, 6), NULL, 10);
        j->public_hearing = strcmp(gy_pg_value(res, 0, 7), "t") == 0;
        j->place = s_dup_value(res, 0, 8);
        j->topic = s_dup_value(res, 0, 9);
        j->stream_url = s_dup_value(res, 0, 10);
        j->member_ids = s_dup_value(res, 0, 11);
        j->participant_ids = s_dup_value(res, 0, 12);
        j->volunteer_ids = s_dup_value(res, 0, 13);
    } else {
        snprintf(j->kind, sizeof j->kind, "%s", gy_pg_value(res, 0, 0));
        snprintf(j->procuratorate, sizeof j->procuratorate, "%s", gy_pg_value(res, 0, 1));
        snprintf(j->field_code, sizeof j->field_code, "%s", gy_pg_value(res, 0, 2));
        snprintf(j->state, sizeof j->state, "%s", gy_pg_value(res, 0, 3));
    }
}

static void s_on_job_read_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_job_t *j = arg;
    (void)sqlstate;
    if (gy_hold_gone(&j->api->holds, j->req)) {
        s_job_free(j);
        return;
    }
    if (status != GY_PG_OK) {
        s_unavailable(j->req);
        s_job_free(j);
        return;
    }
    if (j->what == S_SCHEDULE)
        s_decide_schedule(j);
    else if (j->what == S_STEP)
        s_decide_step(j);
    else
        s_decide_impact(j);
}

/*  A PostgreSQL array literal of ids ({"a","b"}), to free; ids are UUIDs
 *  or printable ASCII checked by the parser, quoted with " and \ escaped. */
static char *s_array_literal(const char *const *items, size_t n)
{
    gy_buf_t buf = {0};
    gy_buf_append(&buf, "{", 1);
    for (size_t i = 0; i < n; i++) {
        gy_buf_append(&buf, i ? ",\"" : "\"", i ? 2 : 1);
        for (const char *c = items[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                gy_buf_append(&buf, "\\", 1);
            gy_buf_append(&buf, c, 1);
        }
        gy_buf_append(&buf, "\"", 1);
    }
    gy_buf_append(&buf, "}", 2); /* with the NUL */
    return buf.data;
}

static void s_job_read(s_job_t *j)
{
    j->tries++;
    s_job_forget(j);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {j->id};
    gy_pg_tx_add(tx, j->what == S_STEP ? "hearing_read" : "hearing_case_read", 1, values, NULL);
    if (j->what == S_SCHEDULE) {
        const char **volunteers = gy_calloc(j->plan.n_volunteers + 1, sizeof *volunteers);
        for (size_t i = 0; i < j->plan.n_volunteers; i++)
            volunteers[i] = j->plan.volunteers[i].volunteer_id;
        char *ids = s_array_literal(j->plan.members, j->plan.n_members);
        char *vols = s_array_literal(volunteers, j->plan.n_volunteers);
        const char *pv[] = {ids, vols};
        gy_pg_tx_add(tx, "hearing_pool_read", 2, pv, NULL);
        free(ids);
        free(vols);
        free(volunteers);
    }
    if (gy_pg_run(j->api->pg, &tx, s_on_job_read_row, s_on_job_read_done, j) < 0) {
        s_unavailable(j->req);
        s_job_free(j);
        return;
    }
    gy_hold(&j->api->holds);
}

/*  Common head of the POST routes: the guard, the body, the path's id.
 *  NULL when answered. */
static s_job_t *s_job_new(workflow_hearing_api_t *self, gy_http_request_t *req,
                          const gy_route_match_t *match, int what, const char *param,
                          const char *not_found, const char **body, size_t *len)
{
    s_job_t *j = gy_calloc(1, sizeof *j);
    j->api = self;
    j->req = req;
    j->what = what;
    j->pool = json_array();
    if (gy_auth_guard(req, self->public_key, &s_handlers, &j->claims, j->prefix) < 0 ||
        s_require_json_body(req, body, len) < 0) {
        s_job_free(j);
        return NULL;
    }
    if (!s_path_id(match, param, j->id)) {
        s_fail(j, 404, "not_found", NULL, not_found);
        return NULL;
    }
    return j;
}

static void s_schedule(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    const char *body;
    size_t len;
    s_job_t *j = s_job_new(arg, req, match, S_SCHEDULE, "case_id", "no such case", &body, &len);
    if (!j)
        return;
    gy_error_t err;
    if (workflow_hearing_plan_parse(body, len, gy_now_ms(), &j->plan, &err) < 0) {
        gy_reply_error(req, &err);
        s_job_free(j);
        return;
    }
    s_job_read(j);
}

static void s_step(gy_http_request_t *req, const gy_route_match_t *match, void *arg, int event)
{
    const char *body;
    size_t len;
    s_job_t *j = s_job_new(arg, req, match, S_STEP, "hearing_id", "no such hearing", &body, &len);
    if (!j)
        return;
    gy_error_t err;
    if (workflow_hearing_step_parse(event, body, len, gy_now_ms(), &j->step, &err) < 0) {
        gy_reply_error(req, &err);
        s_job_free(j);
        return;
    }
    s_job_read(j);
}

static void s_postpone(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    s_step(req, match, arg, WORKFLOW_HEARING_POSTPONE);
}

static void s_hold(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    s_step(req, match, arg, WORKFLOW_HEARING_HOLD);
}

static void s_cancel(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    s_step(req, match, arg, WORKFLOW_HEARING_CANCEL);
}

static void s_impact(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_hearing_api_t *self = arg;
    const char *body;
    size_t len;
    s_job_t *j = s_job_new(self, req, match, S_IMPACT, "case_id", "no such case", &body, &len);
    if (!j)
        return;
    gy_error_t err;
    if (workflow_impact_entry_parse(self->measures, body, len, gy_now_ms(), &j->entry, &err) < 0) {
        gy_reply_error(req, &err);
        s_job_free(j);
        return;
    }
    s_job_read(j);
}

/*  ---- routing ---- */

static const gy_route_t s_routes[] = {
    {"POST", "/api/v1/workflow/cases/{case_id}/hearings", "workflow_hearing_schedule", s_schedule},
    {"GET", "/api/v1/workflow/cases/{case_id}/hearings", "workflow_case_hearings", s_case_hearings},
    {"GET", "/api/v1/workflow/hearings/{hearing_id}", "workflow_hearing", s_hearing},
    {"POST", "/api/v1/workflow/hearings/{hearing_id}/postpone", "workflow_hearing_postpone",
     s_postpone},
    {"POST", "/api/v1/workflow/hearings/{hearing_id}/hold", "workflow_hearing_hold", s_hold},
    {"POST", "/api/v1/workflow/hearings/{hearing_id}/cancel", "workflow_hearing_cancel", s_cancel},
    {"GET", "/api/v1/workflow/public/hearings", "workflow_public_hearings", s_public_hearings},
    {"GET", "/api/v1/workflow/hearing-pools/{procuratorate}", "workflow_hearing_pool", s_pool},
    {"POST", "/api/v1/workflow/hearing-pools/{procuratorate}", "workflow_hearing_pool_add",
     s_pool_add},
    {"POST", "/api/v1/workflow/hearing-pools/{procuratorate}/{member_id}/deactivate",
     "workflow_hearing_pool_deactivate", s_pool_deactivate},
    {"POST", "/api/v1/workflow/cases/{case_id}/impact", "workflow_impact_record", s_impact},
    {"GET", "/api/v1/workflow/cases/{case_id}/impact", "workflow_case_impact", s_case_impact},
    {"GET", "/api/v1/workflow/impact-measures", "workflow_impact_measures", s_impact_measures},
    {NULL, NULL, NULL, NULL},
};

bool workflow_hearing_api_handle(workflow_hearing_api_t *self, gy_http_request_t *req)
{
    return self && gy_route_dispatch_or(s_routes, req, self, false);
}

/*  ---- life cycle ---- */

static void s_free(void *arg)
{
    workflow_hearing_api_t *self = arg;
    free(self->producer);
    free(self);
}

workflow_hearing_api_t *workflow_hearing_api_start(gy_node_t *node, const uint8_t *public_key,
                                                   const gy_refdata_t *refdata,
                                                   const workflow_impact_t *measures)
{
    assert(node && public_key && refdata && measures);
    workflow_hearing_api_t *self = gy_calloc(1, sizeof *self);
    self->pg = gy_node_pg(node, "pg hearings", NULL, NULL);
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        gy_pg_prepare(self->pg, s_statements[i].name, s_statements[i].sql);
    gy_outbox_prepare("workflow", NULL, NULL, self->pg);
    self->public_key = public_key;
    self->refdata = refdata;
    self->measures = measures;
    self->outbox = gy_node_outbox(node);
    self->producer = gy_strdup(gy_node_producer(node));
    gy_holds_init(&self->holds, s_free, self);
    return self;
}

void workflow_hearing_api_destroy(workflow_hearing_api_t **self_p)
{
    assert(self_p);
    workflow_hearing_api_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    gy_holds_stop(&self->holds);
}
