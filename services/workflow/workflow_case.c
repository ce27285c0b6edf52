/*  workflow_case — see workflow_case.h. */
#include "workflow_case.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gongyi.pb-c.h"
#include "gy_auth.h"
#include "gy_hold.h"
#include "gy_page.h"
#include "gy_route.h"
#include "gy_scope.h"
#include "gy_text.h"
#include "gy_token.h"
#include "gy_util.h"
#include "workflow_case_request.h"
#include "workflow_deadline.h"
#include "workflow_machines.h"

/*  A conflict means another step won the race; a few tries settle it. */
#define S_TRIES 4
/*  Open deadlines of one case a step looks at (a case has a handful). */
#define S_OPEN_MAX 32

static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    {"case_decide_read", "SELECT kind, procuratorate, field_code, state, version, heroes,"
                         " harm_ongoing, coalesce(clue_ids, '')"
                         " FROM workflow.case_decide_read($1::uuid)"},
    {"case_open_deadlines",
     "SELECT id, rule, rule_version, detail, missed FROM workflow.case_open_deadlines($1::uuid)"},
    {"case_advance",
     "SELECT workflow.case_advance($1::uuid, $2, $3::integer, $4::jsonb, $5::bigint)"},
    {"case_deadlines_write",
     "SELECT workflow.deadlines_write($1::uuid, $2, $3::jsonb, $4::bigint)"},
    {"case_opening_step", "SELECT workflow.case_opening_step($1::uuid, $2, $3, $4::bigint)"},
    {"case_full", "SELECT workflow.api_case_full($1::uuid, $2)::text"},
    {"case_queue", "SELECT workflow.api_case_queue($1, $2, $3, $4, $5, $6::bigint, $7::bigint,"
                   " $8::uuid, $9::integer)::text"},
};

struct workflow_cases {
    gy_pgpool_t *pool;                     /* borrowed: the API's connections */
    const uint8_t *public_key;             /* borrowed */
    const gy_refdata_t *refdata;           /* borrowed */
    const workflow_limits_t *limits;       /* borrowed */
    workflow_deadlines_store_t *deadlines; /* borrowed: the calendar, the scan */
    gy_outbox_t *outbox;                   /* borrowed: woken after a commit */
    char *producer;
    gy_holds_t holds;
};

static const char *const s_handler_roles[] = {"prosecutor", "chief_prosecutor", NULL};
static const gy_guard_t s_handlers = {s_handler_roles, true, false,
                                      "only a prosecutor or a chief prosecutor handles cases"};

static void s_unavailable(gy_http_request_t *req)
{
    gy_http_respond_error(
        req, 503, "unavailable",
        "the workflow's database is unavailable; nothing was changed; retry later", NULL);
}

static void s_lower(char *s)
{
    for (; *s; s++) /* as PostgreSQL writes it, for the events */
        *s = (char)tolower((unsigned char)*s);
}

/*  ---- what a case shows besides its rows ---- */

/*  Whether the case (as JSON) has an open deadline of rule (NULL: one
 *  whose rule allows an extension). */
static bool s_has_open(const workflow_cases_t *self, json_t *deadlines, const char *rule)
{
    size_t i;
    json_t *d;
    json_array_foreach(deadlines, i, d) {
        if (!json_is_null(json_object_get(d, "settled_at")))
            continue;
        const char *r = json_string_value(json_object_get(d, "rule"));
        if (!r)
            continue;
        if (rule ? strcmp(r, rule) == 0 : false)
            return true;
        if (!rule) {
            const workflow_limit_t *l = workflow_limits_find(
                self->limits, r, (int)json_integer_value(json_object_get(d, "rule_version")));
            if (l && l->extend.by_role)
                return true;
        }
    }
    return false;
}

/*  A deadline's rule name, basis and verified flag: the limits are data
 *  in C, not rows. */
static void s_decorate_deadline(const workflow_cases_t *self, json_t *d)
{
    if (!json_is_object(d))
        return;
    const char *rule = json_string_value(json_object_get(d, "rule"));
    const workflow_limit_t *l =
        rule ? workflow_limits_find(self->limits, rule,
                                    (int)json_integer_value(json_object_get(d, "rule_version")))
             : NULL;
    json_object_set_new(d, "name_zh", l ? json_string(l->name_zh) : json_null());
    json_object_set_new(d, "basis", l ? json_string(l->basis) : json_null());
    json_object_set_new(d, "verified", json_boolean(l && l->verified));
}

/*  A page of a queue: each case's next deadline named. */
static void s_decorate_queue(const workflow_cases_t *self, json_t *page)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(page, "items"), i, c) {
        s_decorate_deadline(self, json_object_get(c, "next_due"));
    }
}

/*  Adds the events and actions the caller's role may take in the case's
 *  state (the console's buttons); `deadlines` (as in a case) tells which
 *  periods are open. */
static void s_allowed(const workflow_cases_t *self, json_t *c, json_t *deadlines, const char *role)
{
    int kind = workflow_case_kind_of(json_string_value(json_object_get(c, "kind")));
    const char *state_name = json_string_value(json_object_get(c, "state"));
    if (kind < 0 || !state_name)
        return;
    const gy_machine_t *m = workflow_case_machine((workflow_case_kind_t)kind,
                                                  json_is_true(json_object_get(c, "heroes")));
    int state = gy_machine_state_of(m, state_name);
    json_t *events = json_array(), *actions = json_array();
    for (int e = 0; state >= 0 && e < m->nevents; e++)
        if (gy_machine_next(m, state, e) != GY_MACHINE_REFUSED &&
            workflow_event_allowed_for((workflow_case_kind_t)kind, e, role))
            json_array_append_new(events, json_string(gy_machine_event_name(m, e)));
    bool final = state >= 0 && workflow_case_state_final((workflow_case_kind_t)kind, state);
    for (int a = 0; state >= 0 && a < WORKFLOW_NACTIONS; a++) {
        const workflow_action_info_t *info = workflow_action_info((workflow_action_t)a);
        if (!workflow_action_allowed_for((workflow_case_kind_t)kind, (workflow_action_t)a, role) ||
            (final && !info->on_final))
            continue;
        bool open = a == WORKFLOW_ACTION_EXTEND_PERIOD ? s_has_open(self, deadlines, NULL)
                    : info->settles                    ? s_has_open(self, deadlines, info->settles)
                                                       : true;
        if (open)
            json_array_append_new(actions, json_string(info->name));
    }
    json_object_set_new(c, "allowed_events", events);
    json_object_set_new(c, "allowed_actions", actions);
}

/*  Adds each deadline's rule name, and what the caller may do now. */
static void s_decorate(const workflow_cases_t *self, json_t *c, const char *role)
{
    json_t *deadlines = json_object_get(c, "deadlines");
    size_t i;
    json_t *d;
    json_array_foreach(deadlines, i, d) {
        s_decorate_deadline(self, d);
    }
    s_allowed(self, c, deadlines, role);
}

/*  ---- reads ---- */

typedef struct {
    workflow_cases_t *cases;
    gy_http_request_t *req;
    char role[33];
    bool decorate; /* a case (else a page of a queue) */
    char *answer;
    const char *not_found;
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
    (void)sqlstate;
    if (!gy_hold_gone(&r->cases->holds, r->req)) {
        json_t *body = r->answer ? json_loads(r->answer, 0, NULL) : NULL;
        if (status != GY_PG_OK) {
            s_unavailable(r->req);
        } else if (!body) {
            gy_http_respond_error(r->req, 404, "not_found", r->not_found, NULL);
        } else {
            if (r->decorate)
                s_decorate(r->cases, body, r->role);
            else
                s_decorate_queue(r->cases, body);
            gy_reply_json(r->req, 200, json_incref(body));
        }
        json_decref(body);
    }
    free(r->answer);
    free(r);
}

static void s_read(workflow_cases_t *self, gy_http_request_t *req, const char *role, bool decorate,
                   const char *stmt, int n, const char *const *values, const char *not_found)
{
    s_read_t *r = gy_calloc(1, sizeof *r);
    r->cases = self;
    r->req = req;
    r->decorate = decorate;
    snprintf(r->role, sizeof r->role, "%s", role);
    r->not_found = not_found;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, stmt, n, values, NULL);
    if (gy_pg_run(gy_pgpool_pick(self->pool), &tx, s_on_read_row, s_on_read_done, r) < 0) {
        free(r);
        s_unavailable(req);
        return;
    }
    gy_hold(&self->holds);
}

static void s_case(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_cases_t *self = arg;
    gy_token_claims_t claims;
    char prefix[7];
    if (gy_auth_guard(req, self->public_key, &s_handlers, &claims, prefix) < 0)
        return;
    const char *id = gy_route_param(match, "case_id");
    if (!gy_uuid_valid(id)) {
        gy_http_respond_error(req, 404, "not_found", "no such case", NULL);
        return;
    }
    const char *values[] = {id, prefix};
    s_read(self, req, claims.role, true, "case_full", 2, values, "no such case");
}

/*  Whether name is a state of any case machine. */
static bool s_known_state(const char *name)
{
    for (int k = 0; k < WORKFLOW_CASE_NKINDS; k++)
        for (int heroes = 0; heroes < 2; heroes++)
            if (gy_machine_state_of(workflow_case_machine((workflow_case_kind_t)k, heroes), name) >=
                0)
                return true;
    return false;
}

/*  The query without stage= and kind= (gy_page takes the rest), and
 *  those two.  -1 when one is given twice or is empty (answered). */
static int s_queue_query(gy_http_request_t *req, char *rest, size_t size, char *stage,
                         size_t stage_size, char *kind, size_t kind_size)
{
    const char *q = gy_http_query(req);
    rest[0] = stage[0] = kind[0] = '\0';
    size_t used = 0;
    while (q && *q) {
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        char *target = NULL;
        size_t target_size = 0;
        const char *name = NULL;
        if (len >= 6 && strncmp(q, "stage=", 6) == 0) {
            target = stage, target_size = stage_size, name = "stage";
        } else if (len >= 5 && strncmp(q, "kind=", 5) == 0) {
            target = kind, target_size = kind_size, name = "kind";
        }
        if (target) {
            size_t skip = strlen(name) + 1;
            if (target[0] || len == skip || len - skip >= target_size) {
                gy_http_respond_error(req, 400, "invalid_value",
                                      "give it once, as a state (stage) or a case kind (kind)",
                                      name);
                return -1;
            }
            memcpy(target, q + skip, len - skip);
            target[len - skip] = '\0';
        } else if (len > 0 && used + len + 2 < size) {
            if (used)
                rest[used++] = '&';
            memcpy(rest + used, q, len);
            used += len;
            rest[used] = '\0';
        }
        q = end ? end + 1 : NULL;
    }
    return 0;
}

static void s_cases(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_cases_t *self = arg;
    (void)match;
    gy_token_claims_t claims;
    char prefix[7];
    if (gy_auth_guard(req, self->public_key, &s_handlers, &claims, prefix) < 0)
        return;
    char rest[1024], stage[48], kind[24];
    if (s_queue_query(req, rest, sizeof rest, stage, sizeof stage, kind, sizeof kind) < 0)
        return;
    if (stage[0] && !s_known_state(stage)) {
        gy_http_respond_error(req, 400, "invalid_value",
                              "stage is a state of the case machines (docs/workflow.md)", "stage");
        return;
    }
    if (kind[0] && workflow_case_kind_of(kind) < 0) {
        gy_http_respond_error(req, 400, "invalid_value", "kind is administrative or civil", "kind");
        return;
    }
    static const char *const queues[] = {"mine", "due_soon", "overdue", "all", NULL};
    gy_page_spec_t spec = {"queue", queues, 20, 100};
    gy_page_t page;
    gy_error_t err;
    if (gy_page_parse(&spec, rest, &page, &err) < 0) {
        gy_reply_error(req, &err);
        return;
    }
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, gy_now_ms());
    const char *values[] = {prefix,
                            page.filter[0] ? page.filter : "all",
                            claims.sub,
                            stage[0] ? stage : NULL,
                            kind[0] ? kind : NULL,
                            now,
                            page.has_after ? page.after_us : NULL,
                            page.has_after ? page.after_id : NULL,
                            page.limit_text};
    s_read(self, req, claims.role, false, "case_queue", 9, values, "no such queue");
}

static void s_time_limits(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_cases_t *self = arg;
    (void)match;
    /*  The rules are the law's and the reference data's, not a case's:
     *  every signed-in user may read them (an administrator checks them). */
    gy_token_claims_t claims;
    if (gy_auth_guard(req, self->public_key, &gy_guard_signed_in, &claims, NULL) < 0)
        return;
    gy_reply_json(req, 200, workflow_limits_to_json(self->limits));
}

/*  ---- deadlines of a step ---- */

/*  Starts the rules of a step (a NULL-terminated list) at at_ms into rows.
 *  -1 (logged) when a rule has no row in the limits: the machines and the
 *  file disagree, which the limits' load refuses. */
static int s_start_rules(const workflow_cases_t *self, const char *const *rules, bool harm,
                         const char *event, int64_t at_ms, json_t *rows)
{
    for (size_t i = 0; rules[i]; i++) {
        const workflow_limit_t *rule = workflow_limits_current(self->limits, rules[i]);
        if (!rule) {
            gy_log_error("time limit rule \"%s\" has no row in the limits file", rules[i]);
            return -1;
        }
        workflow_deadline_error_t err;
        workflow_deadline_t *d = workflow_deadline_new(rule, at_ms, harm && rule->has_urgent, &err);
        assert(d); /* urgent only when the rule has the variant */
        workflow_deadline_compute(d, workflow_deadlines_calendar(self->deadlines));
        char id[37];
        gy_uuid(id);
        json_array_append_new(rows, workflow_deadlines_row("start", id, d, event, at_ms));
        workflow_deadline_destroy(&d);
    }
    return 0;
}

void workflow_cases_opening(workflow_cases_t *self, gy_pg_tx_t *tx, const char *case_id,
                            const char *kind, const char *procuratorate, bool harm_ongoing,
                            const char *actor, int64_t at_ms)
{
    assert(self && tx && case_id && kind && procuratorate && actor);
    int k = workflow_case_kind_of(kind);
    assert(k >= 0);
    const workflow_step_t *opening = workflow_case_opening((workflow_case_kind_t)k);
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, at_ms);
    const char *sv[] = {case_id, actor, opening->public_label, at};
    gy_pg_tx_add(tx, "case_opening_step", 4, sv, NULL);
    json_t *rows = json_array();
    if (s_start_rules(self, opening->starts, harm_ongoing, "open", at_ms, rows) == 0) {
        char *text = json_dumps(rows, JSON_COMPACT);
        const char *dv[] = {case_id, procuratorate, text, at};
        gy_pg_tx_add(tx, "case_deadlines_write", 4, dv, NULL);
        free(text);
    }
    json_decref(rows);
}

/*  ---- a step: read, decide in C, write guarded ---- */

typedef struct {
    char id[37];
    char rule[48];
    int version; /* the rule's */
    char *detail;
    bool missed; /* DeadlineMissed fired: no extension revives it */
} s_open_t;

typedef struct {
    workflow_cases_t *cases;
    gy_http_request_t *req;
    gy_token_claims_t claims;
    char prefix[7];
    char case_id[37];
    int tries;
    workflow_step_request_t request; /* the body, parsed */
    /* what the read found */
    bool found;
    char kind[16], procuratorate[7], field_code[33], state[40];
    long version;
    bool heroes, harm_ongoing;
    char *clue_ids;
    s_open_t open[S_OPEN_MAX];
    size_t nopen;
    bool too_many_open; /* more open deadlines than a case can have: a broken store */
    char next[40];
    json_t *answer; /* the step's answer, sent once its write commits */
    bool due_now;   /* it started or moved a deadline already past its warn instant */
} s_step_t;

static void s_open_clear(s_step_t *s)
{
    for (size_t i = 0; i < s->nopen; i++)
        free(s->open[i].detail);
    s->nopen = 0;
}

static void s_step_free(s_step_t *s)
{
    s_open_clear(s);
    workflow_step_request_clear(&s->request);
    free(s->clue_ids);
    json_decref(s->answer);
    free(s);
}

static void s_fail(s_step_t *s, int status, const char *code, const char *field,
                   const char *message)
{
    gy_http_respond_error(s->req, status, code, message, field);
    s_step_free(s);
}

static void s_step_read(s_step_t *s);

static void s_on_write_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_step_t *s = arg;
    if (gy_hold_gone(&s->cases->holds, s->req)) {
        s_step_free(s);
        return;
    }
    bool conflict = gy_pg_conflict(status, sqlstate, true);
    if (conflict && s->tries < S_TRIES) {
        s_step_read(s); /* decide again on what is stored now */
        return;
    }
    if (status == GY_PG_LOST)
        gy_outbox_check(s->cases->outbox);
    if (conflict) {
        gy_reply_conflict(s->req);
    } else if (status != GY_PG_OK) {
        s_unavailable(s->req);
    } else {
        gy_outbox_check(s->cases->outbox); /* the events are committed: the relay reads them */
        /*  Fired now rather than at the next scan; the rest wait for it. */
        if (s->due_now)
            workflow_deadlines_store_poke(s->cases->deadlines);
        gy_reply_json(s->req, 200, s->answer);
        s->answer = NULL;
    }
    s_step_free(s);
}

/*  The case's clues as an array of the comma-separated list read. */
static char **s_clues(s_step_t *s, size_t *n)
{
    size_t count = 0, cap = 4;
    char **ids = gy_malloc(cap * sizeof *ids);
    for (char *save = NULL, *t = strtok_r(s->clue_ids, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (count == cap)
            ids = gy_realloc(ids, (cap *= 2) * sizeof *ids);
        ids[count++] = t;
    }
    *n = count;
    return ids;
}

/*  CaseStageChanged (an action's too), and CaseClosed when the step ends
 *  the case. */
static void s_add_events(s_step_t *s, gy_pg_tx_t *tx, bool action, const char *public_label,
                         bool final, int64_t at_ms)
{
    char trace[37];
    gy_uuid(trace);
    size_t n;
    char **ids = s_clues(s, &n);
    Gongyi__V1__CaseStageChanged m = GONGYI__V1__CASE_STAGE_CHANGED__INIT;
    m.case_id = s->case_id;
    m.kind = s->kind;
    m.procuratorate = s->procuratorate;
    m.field_code = s->field_code;
    m.event = (char *)s->request.event;
    m.from_state = s->state;
    m.to_state = s->next;
    m.public_label = (char *)(public_label ? public_label : "");
    m.n_clue_ids = n;
    m.clue_ids = ids;
    m.by = s->claims.sub;
    m.role = s->claims.role;
    m.at_unix_ms = at_ms;
    m.version = (int32_t)s->version + 1;
    m.heroes = s->heroes;
    m.public_outcome = (char *)(s->request.public_outcome ? s->request.public_outcome : "");
    m.action = action;
    gy_outbox_tx_append_msg(tx, s->cases->producer, &m.base, trace, s->procuratorate);
    if (final) {
        Gongyi__V1__CaseClosed c = GONGYI__V1__CASE_CLOSED__INIT;
        c.case_id = s->case_id;
        c.kind = s->kind;
        c.procuratorate = s->procuratorate;
        c.field_code = s->field_code;
        c.final_state = s->next;
        c.outcome = (char *)(s->request.outcome ? s->request.outcome : "");
        c.public_outcome = (char *)(s->request.public_outcome ? s->request.public_outcome : "");
        c.n_clue_ids = n;
        c.clue_ids = ids;
        c.by = s->claims.sub;
        c.at_unix_ms = at_ms;
        gy_outbox_tx_append_msg(tx, s->cases->producer, &c.base, trace, s->procuratorate);
    }
    free(ids);
}

/*  A deadline error as the answer: 422 with its code. */
static void s_deadline_fail(s_step_t *s, const workflow_deadline_error_t *err, const char *field)
{
    s_fail(s, 422, err->code, field, err->message);
}

/*  The open deadline of a rule, -1 when none. */
static int s_open_of(const s_step_t *s, const char *rule)
{
    for (size_t i = 0; i < s->nopen; i++)
        if (strcmp(s->open[i].rule, rule) == 0)
            return (int)i;
    return -1;
}

/*  An open deadline read back; NULL (answered 500) when its row is broken. */
static workflow_deadline_t *s_load(s_step_t *s, size_t i)
{
    workflow_deadline_error_t err;
    workflow_deadline_t *d = workflow_deadline_from_json(s->cases->limits, s->open[i].detail, &err);
    if (!d) {
        gy_log_error("deadline %s of case %s cannot be read back: %s", s->open[i].id, s->case_id,
                     err.message);
        s_fail(s, 500, "internal", NULL, "internal error");
    }
    return d;
}

static json_t *s_instant(json_t *ms)
{
    if (!json_is_integer(ms))
        return json_null();
    char text[25];
    workflow_iso_format(json_integer_value(ms), text);
    return json_string(text);
}

/*  What a step answers (docs/api.md): the case's state after it, the step
 *  as its timeline shows it, what it did to the deadlines, and what the
 *  caller may do next; built from what was decided, not read back. */
static json_t *s_answer(s_step_t *s, json_t *step, json_t *rows, int64_t at_ms)
{
    char at[25];
    workflow_iso_format(at_ms, at);
    json_t *public_label = json_object_get(step, "public_label");
    json_t *item = json_pack(
        "{s:O,s:O,s:s,s:s,s:I,s:O,s:O,s:O,s:O,s:o,s:s}", "event", json_object_get(step, "event"),
        "action", json_object_get(step, "action"), "from_state", s->state, "to_state", s->next,
        "version", (json_int_t)s->version + 1, "actor", json_object_get(step, "actor"), "role",
        json_object_get(step, "role"), "reason", json_object_get(step, "reason"), "members",
        json_object_get(step, "members"), "public_label",
        public_label ? json_incref(public_label) : json_null(), "at", at);
    json_t *changes = json_array(), *open = json_array();
    bool settled[S_OPEN_MAX] = {false};
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const char *op = json_string_value(json_object_get(row, "op"));
        const char *id = json_string_value(json_object_get(row, "id"));
        json_t *c = json_pack("{s:s,s:s}", "id", id, "change",
                              strcmp(op, "start") == 0    ? "started"
                              : strcmp(op, "update") == 0 ? "moved"
                                                          : "settled");
        if (strcmp(op, "settle") == 0) {
            for (size_t k = 0; k < s->nopen; k++) {
                if (strcmp(s->open[k].id, id) != 0)
                    continue;
                settled[k] = true;
                json_object_set_new(c, "rule", json_string(s->open[k].rule));
                json_object_set_new(c, "rule_version", json_integer(s->open[k].version));
            }
            json_object_set_new(c, "settled_by_event", json_incref(json_object_get(row, "event")));
        } else {
            json_t *detail = json_object_get(row, "detail");
            json_t *due = json_object_get(row, "due_ms");
            json_object_set(c, "rule", json_object_get(detail, "rule"));
            json_object_set(c, "rule_version", json_object_get(detail, "version"));
            json_object_set_new(c, "paused", json_boolean(json_is_null(due)));
            json_object_set_new(c, "due_at", s_instant(due));
            json_object_set_new(c, "warn_at", s_instant(json_object_get(row, "warn_ms")));
            json_object_set(c, "last_day", json_object_get(row, "last_day"));
            json_object_set(c, "provisional", json_object_get(row, "provisional"));
            json_object_set(c, "uncovered_year", json_object_get(row, "uncovered_year"));
            if (strcmp(op, "start") == 0)
                json_array_append_new(open,
                                      json_pack("{s:O,s:O,s:n}", "rule", json_object_get(c, "rule"),
                                                "rule_version", json_object_get(c, "rule_version"),
                                                "settled_at"));
        }
        s_decorate_deadline(s->cases, c);
        json_array_append_new(changes, c);
    }
    for (size_t k = 0; k < s->nopen; k++)
        if (!settled[k])
            json_array_append_new(open,
                                  json_pack("{s:s,s:i,s:n}", "rule", s->open[k].rule,
                                            "rule_version", s->open[k].version, "settled_at"));
    json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:o,s:o}", "id", s->case_id, "kind", s->kind,
                          "procuratorate", s->procuratorate, "state", s->next, "version",
                          (json_int_t)s->version + 1, "heroes", s->heroes, "step", item,
                          "deadline_changes", changes);
    s_allowed(s->cases, a, open, s->claims.role);
    json_decref(open);
    return a;
}

static void s_write(s_step_t *s, json_t *step, json_t *rows, const char *public_label, bool final,
                    int64_t at_ms)
{
    char version[24], at[24];
    snprintf(version, sizeof version, "%ld", s->version);
    snprintf(at, sizeof at, "%" PRId64, at_ms);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    char *step_text = json_dumps(step, JSON_COMPACT);
    const char *av[] = {s->case_id, s->state, version, step_text, at};
    gy_pg_tx_add(tx, "case_advance", 5, av, NULL);
    free(step_text);
    if (json_array_size(rows) > 0) {
        char *text = json_dumps(rows, JSON_COMPACT);
        const char *dv[] = {s->case_id, s->procuratorate, text, at};
        gy_pg_tx_add(tx, "case_deadlines_write", 4, dv, NULL);
        free(text);
    }
    s_add_events(s, tx, json_is_true(json_object_get(step, "action")), public_label, final, at_ms);
    json_decref(s->answer);
    s->answer = s_answer(s, step, rows, at_ms);
    s->due_now = false;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *warn = json_object_get(row, "warn_ms");
        if (json_is_integer(warn) && json_integer_value(warn) <= at_ms)
            s->due_now = true;
    }
    if (gy_pg_run(gy_pgpool_pick(s->cases->pool), &tx, NULL, s_on_write_done, s) < 0) {
        s_unavailable(s->req);
        s_step_free(s);
        return;
    }
    gy_hold(&s->cases->holds);
}

/*  An action (no state change). */
static void s_decide_action(s_step_t *s, workflow_case_kind_t kind, int state, int action,
                            int64_t at_ms)
{
    const workflow_action_info_t *info = workflow_action_info((workflow_action_t)action);
    const gy_machine_t *m = workflow_case_machine(kind, s->heroes);
    if (workflow_case_state_final(kind, state) && !info->on_final) {
        char message[200];
        snprintf(message, sizeof message, "the %s is %s: %s is not allowed", m->name, s->state,
                 info->name);
        s_fail(s, 409, "invalid_state", "state", message);
        return;
    }
    const char *rule =
        action == WORKFLOW_ACTION_EXTEND_PERIOD ? s->request.ext_rule : info->settles;
    int i = rule ? s_open_of(s, rule) : -1;
    if (i < 0) {
        char message[200];
        snprintf(message, sizeof message, "the case has no open deadline of rule %s",
                 rule ? rule : "(none)");
        s_fail(s, 409, "invalid_state", action == WORKFLOW_ACTION_EXTEND_PERIOD ? "rule" : "state",
               message);
        return;
    }
    if (action == WORKFLOW_ACTION_EXTEND_PERIOD && s->open[i].missed) {
        char message[200];
        snprintf(message, sizeof message,
                 "the deadline of rule %s was missed: a period that ran out is not extended", rule);
        s_fail(s, 409, "deadline_missed", "rule", message);
        return;
    }
    json_t *rows = json_array();
    if (action == WORKFLOW_ACTION_EXTEND_PERIOD) {
        workflow_deadline_t *d = s_load(s, (size_t)i);
        if (!d) {
            json_decref(rows);
            return;
        }
        /*  The chief of the case's own procuratorate grants; one above it
         *  approves as the upper procuratorate. */
        workflow_extension_t ext = {
            .by = s->claims.sub,
            .authority = strcmp(s->claims.proc, s->procuratorate) == 0 ? WORKFLOW_EXTEND_CHIEF
                                                                       : WORKFLOW_EXTEND_UPPER,
            .size = s->request.ext_size,
            .reason = s->request.reason,
            .at_ms = at_ms,
        };
        workflow_deadline_error_t err;
        if (workflow_deadline_extend(d, &ext, &err) < 0) {
            workflow_deadline_destroy(&d);
            json_decref(rows);
            s_deadline_fail(s, &err, "count");
            return;
        }
        workflow_deadline_compute(d, workflow_deadlines_calendar(s->cases->deadlines));
        json_array_append_new(rows, workflow_deadlines_row("update", s->open[i].id, d, NULL, 0));
        workflow_deadline_destroy(&d);
    } else {
        json_array_append_new(rows, json_pack("{s:s,s:s,s:s}", "op", "settle", "id", s->open[i].id,
                                              "event", info->name));
    }
    snprintf(s->next, sizeof s->next, "%s", s->state);
    json_t *step =
        json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:o}", "next", s->state, "event", info->name, "action",
                  true, "actor", s->claims.sub, "role", s->claims.role, "reason", s->request.reason,
                  "members", workflow_step_request_members(&s->request));
    s_write(s, step, rows, NULL, false, at_ms);
    json_decref(step);
    json_decref(rows);
}

static void s_decide(s_step_t *s)
{
    if (!s->found || !gy_scope_within(s->procuratorate, s->prefix)) {
        s_fail(s, 404, "not_found", NULL, "no such case");
        return;
    }
    int k = workflow_case_kind_of(s->kind);
    const gy_machine_t *m =
        k < 0 ? NULL : workflow_case_machine((workflow_case_kind_t)k, s->heroes);
    int state = m ? gy_machine_state_of(m, s->state) : -1;
    if (state < 0) {
        gy_log_error("case %s is a %s case in state \"%s\", unknown to the case machines",
                     s->case_id, s->kind, s->state);
        s_fail(s, 500, "internal", NULL, "internal error");
        return;
    }
    workflow_case_kind_t kind = (workflow_case_kind_t)k;
    int event = gy_machine_event_of(m, s->request.event);
    int action = event < 0 ? workflow_action_of(s->request.event) : -1;
    if (action >= 0) {
        const workflow_action_info_t *info = workflow_action_info((workflow_action_t)action);
        if (!(kind == WORKFLOW_CASE_ADMINISTRATIVE ? info->administrative : info->civil))
            action = -1;
    }
    if (event < 0 && action < 0) {
        char message[200];
        snprintf(message, sizeof message,
                 "the %s has no event or action \"%s\" (docs/workflow.md, \"Case state "
                 "machines\")",
                 m->name, s->request.event);
        s_fail(s, 422, "unknown_event", "event", message);
        return;
    }
    /*  The role before the version: who may not take the step learns
     *  that, not that the case moved. */
    bool allowed =
        event >= 0 ? workflow_event_allowed_for(kind, event, s->claims.role)
                   : workflow_action_allowed_for(kind, (workflow_action_t)action, s->claims.role);
    if (!allowed) {
        char message[160];
        snprintf(message, sizeof message, "%s is the chief prosecutor's decision",
                 s->request.event);
        s_fail(s, 403, "forbidden", "event", message);
        return;
    }
    if (s->request.has_version && s->request.expected_version != s->version) {
        char message[160];
        snprintf(message, sizeof message,
                 "the case is at version %ld, not %ld: it changed since you read it; reload",
                 s->version, s->request.expected_version);
        s_fail(s, 409, "conflict", "expected_version", message);
        return;
    }
    int64_t at_ms = gy_now_ms();
    if (action >= 0) {
        s_decide_action(s, kind, state, action, at_ms);
        return;
    }
    const workflow_step_t *step = workflow_case_step(kind, s->heroes, state, event);
    if (!step) {
        char why[300];
        gy_machine_refusal(m, state, event, why, sizeof why);
        s_fail(s, 409, "invalid_state", "state", why);
        return;
    }
    int next = gy_machine_next(m, state, event);
    snprintf(s->next, sizeof s->next, "%s", gy_machine_state_name(m, next));
    bool suspending = workflow_case_suspended_from(kind, next) >= 0;
    bool resuming = workflow_case_suspended_from(kind, state) >= 0 &&
                    workflow_case_suspended_from(kind, next) < 0 && !step->settles_all;
    const gy_calendar_t *cal = workflow_deadlines_calendar(s->cases->deadlines);
    json_t *rows = json_array();
    /*  Settling first (workflow_machines.h), then suspending or resuming
     *  what stays open, then what the step starts. */
    for (size_t i = 0; i < s->nopen; i++) {
        bool settle = step->settles_all;
        for (size_t j = 0; !settle && j < 3 && step->settles[j]; j++)
            settle = strcmp(step->settles[j], s->open[i].rule) == 0;
        if (settle) {
            json_array_append_new(rows, json_pack("{s:s,s:s,s:s}", "op", "settle", "id",
                                                  s->open[i].id, "event", s->request.event));
            continue;
        }
        if (!suspending && !resuming)
            continue;
        workflow_deadline_t *d = s_load(s, i);
        if (!d) {
            json_decref(rows);
            return;
        }
        workflow_deadline_error_t err;
        int rc = suspending ? workflow_deadline_suspend(d, at_ms, &err)
                            : workflow_deadline_resume(d, at_ms, &err);
        if (rc < 0) {
            workflow_deadline_destroy(&d);
            json_decref(rows);
            s_deadline_fail(s, &err, "event");
            return;
        }
        workflow_deadline_compute(d, cal);
        json_array_append_new(rows, workflow_deadlines_row("update", s->open[i].id, d, NULL, 0));
        workflow_deadline_destroy(&d);
    }
    bool harm = s->request.harm >= 0 ? s->request.harm == 1 : s->harm_ongoing;
    if (s_start_rules(s->cases, step->starts, harm, s->request.event, at_ms, rows) < 0) {
        json_decref(rows);
        s_fail(s, 500, "internal", NULL, "internal error");
        return;
    }
    bool final = workflow_case_state_final(kind, next);
    json_t *st = json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:o,s:b}", "next", s->next, "event",
                           s->request.event, "action", false, "actor", s->claims.sub, "role",
                           s->claims.role, "reason", s->request.reason, "members",
                           workflow_step_request_members(&s->request), "final", final);
    if (step->public_label)
        json_object_set_new(st, "public_label", json_string(step->public_label));
    if (s->request.outcome)
        json_object_set_new(st, "outcome", json_string(s->request.outcome));
    if (s->request.public_outcome)
        json_object_set_new(st, "public_outcome", json_string(s->request.public_outcome));
    if (suspending)
        json_object_set_new(st, "suspend", json_string(s->request.suspension_reason));
    if (resuming)
        json_object_set_new(st, "resume", json_true());
    /*  A case terminated while suspended ends its suspension too. */
    if (final && workflow_case_suspended_from(kind, state) >= 0)
        json_object_set_new(st, "resume", json_true());
    s_write(s, st, rows, step->public_label, final, at_ms);
    json_decref(st);
    json_decref(rows);
}

static void s_on_step_read_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_step_t *s = arg;
    if (index == 0) {
        if (gy_pg_ntuples(res) != 1)
            return;
        s->found = true;
        snprintf(s->kind, sizeof s->kind, "%s", gy_pg_value(res, 0, 0));
        snprintf(s->procuratorate, sizeof s->procuratorate, "%s", gy_pg_value(res, 0, 1));
        snprintf(s->field_code, sizeof s->field_code, "%s", gy_pg_value(res, 0, 2));
        snprintf(s->state, sizeof s->state, "%s", gy_pg_value(res, 0, 3));
        s->version = strtol(gy_pg_value(res, 0, 4), NULL, 10);
        s->heroes = gy_pg_value(res, 0, 5)[0] == 't';
        s->harm_ongoing = gy_pg_value(res, 0, 6)[0] == 't';
        free(s->clue_ids);
        s->clue_ids = gy_strdup(gy_pg_value(res, 0, 7));
        return;
    }
    int n = gy_pg_ntuples(res);
    s->too_many_open = n > S_OPEN_MAX;
    for (int r = 0; r < n && s->nopen < S_OPEN_MAX; r++) {
        s_open_t *o = &s->open[s->nopen++];
        snprintf(o->id, sizeof o->id, "%s", gy_pg_value(res, r, 0));
        snprintf(o->rule, sizeof o->rule, "%s", gy_pg_value(res, r, 1));
        o->version = (int)strtol(gy_pg_value(res, r, 2), NULL, 10);
        o->detail = gy_strdup(gy_pg_value(res, r, 3));
        o->missed = gy_pg_value(res, r, 4)[0] == 't';
    }
}

static void s_on_step_read_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_step_t *s = arg;
    (void)sqlstate;
    if (gy_hold_gone(&s->cases->holds, s->req)) {
        s_step_free(s);
        return;
    }
    if (status != GY_PG_OK) {
        s_unavailable(s->req);
        s_step_free(s);
        return;
    }
    if (s->too_many_open) {
        gy_log_error("case %s has more than %d open deadlines; no step is decided on it",
                     s->case_id, S_OPEN_MAX);
        s_fail(s, 500, "internal", NULL, "internal error");
        return;
    }
    s_decide(s);
}

static void s_step_read(s_step_t *s)
{
    s->tries++;
    s->found = false;
    s_open_clear(s);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {s->case_id};
    gy_pg_tx_add(tx, "case_decide_read", 1, values, NULL);
    gy_pg_tx_add(tx, "case_open_deadlines", 1, values, NULL);
    if (gy_pg_run(gy_pgpool_pick(s->cases->pool), &tx, s_on_step_read_row, s_on_step_read_done, s) <
        0) {
        s_unavailable(s->req);
        s_step_free(s);
        return;
    }
    gy_hold(&s->cases->holds);
}

static void s_steps(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    workflow_cases_t *self = arg;
    s_step_t *s = gy_calloc(1, sizeof *s);
    s->cases = self;
    s->req = req;
    if (gy_auth_guard(req, self->public_key, &s_handlers, &s->claims, s->prefix) < 0 ||
        gy_require_json(req) < 0) {
        s_step_free(s);
        return;
    }
    size_t len;
    const char *body = gy_http_body(req, &len);
    const char *id = gy_route_param(match, "case_id");
    if (!gy_uuid_valid(id)) {
        s_fail(s, 404, "not_found", NULL, "no such case");
        return;
    }
    snprintf(s->case_id, sizeof s->case_id, "%s", id);
    s_lower(s->case_id);
    gy_error_t err;
    if (workflow_step_request_parse(body, len, &s->request, &err) < 0) {
        gy_reply_error(req, &err);
        s_step_free(s);
        return;
    }
    s_step_read(s);
}

/*  ---- routing and life cycle ---- */

static const gy_route_t s_routes[] = {
    {"GET", "/api/v1/workflow/cases", "workflow_cases", s_cases},
    {"GET", "/api/v1/workflow/cases/{case_id}", "workflow_case", s_case},
    {"POST", "/api/v1/workflow/cases/{case_id}/steps", "workflow_case_steps", s_steps},
    {"GET", "/api/v1/workflow/time-limits", "workflow_time_limits", s_time_limits},
    {NULL, NULL, NULL, NULL},
};

bool workflow_cases_handle(workflow_cases_t *self, gy_http_request_t *req)
{
    assert(self && req);
    return gy_route_dispatch_or(s_routes, req, self, false);
}

static void s_free(void *arg)
{
    workflow_cases_t *self = arg;
    free(self->producer);
    free(self);
}

workflow_cases_t *workflow_cases_start(gy_pgpool_t *pool, const uint8_t *public_key,
                                       const gy_refdata_t *refdata, const workflow_limits_t *limits,
                                       workflow_deadlines_store_t *deadlines, const char *producer,
                                       gy_outbox_t *outbox)
{
    assert(pool && public_key && refdata && limits && deadlines && producer);
    workflow_cases_t *self = gy_calloc(1, sizeof *self);
    self->pool = pool;
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        gy_pgpool_prepare(pool, s_statements[i].name, s_statements[i].sql);
    self->public_key = public_key;
    self->refdata = refdata;
    self->limits = limits;
    self->deadlines = deadlines;
    self->outbox = outbox;
    self->producer = gy_strdup(producer);
    gy_holds_init(&self->holds, s_free, self);
    return self;
}

void workflow_cases_destroy(workflow_cases_t **self_p)
{
    assert(self_p);
    workflow_cases_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    gy_holds_stop(&self->holds);
}
