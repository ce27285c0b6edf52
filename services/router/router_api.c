/*  router_api — see router_api.h. */
#include "router_api.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gy_auth.h"
#include "gy_config.h"
#include "gy_crypto.h"
#include "gy_hold.h"
#include "gy_page.h"
#include "gy_route.h"
#include "gy_scope.h"
#include "gy_text.h"
#include "gy_token.h"
#include "gy_util.h"
#include "router_assess.h"
#include "router_cluster.h"
#include "router_tokens.h"
#include "router_transfer.h"
#include "router_volunteer.h"

#define S_HOUR_MS   3600000
#define S_MINUTE_MS 60000

struct router_api {
    uv_loop_t *loop;
    router_api_config_t config; /* borrowed pointers, see router_api.h */
    gy_holds_t holds;           /* callbacks to come (transactions, thread pool, limiter) */
};

/*  Statements.  Each write is one call of a registry function that answers
 *  {"status","body"} (migrations/0002_volunteers.sql). */
static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    /*  The registry's writes end with their VolunteerChanged
     *  (router.volunteer_event, 0015): appended when the write answered
     *  2xx and left the volunteer at the version the event was packed
     *  for. */
    {"api_apply",
     "WITH a AS MATERIALIZED (SELECT router.api_apply($1::uuid, $2, $3, $4::bytea, $5, $6, "
     "$7::json, $8::json, $9) AS r) SELECT r::text, router.volunteer_event(r, $1::uuid, "
     "$10::bigint, $11, $12::uuid, $13::bigint, $14, $15, $16::bytea) FROM a"},
    {"volunteer_public",
     "SELECT version, procuratorate, city, status, roles::text, expertise::text, term_start, "
     "term_end, conflicts::text, to_status FROM router.volunteer_public($1::uuid, $2)"},
    {"api_login", "SELECT id, password_hash, status, procuratorate, coalesce(term_ok, false) "
                  "FROM router.login_lookup($1)"},
    {"api_volunteers",
     "SELECT router.api_volunteers($1, $2, 'epoch'::timestamptz + $3::bigint * interval "
     "'1 microsecond', $4::uuid, $5::integer)::text"},
    {"api_volunteer", "SELECT answer::text, person FROM router.api_volunteer($1::uuid, $2, $3, "
                      "$4, $5)"},
    {"api_volunteer_action",
     "WITH a AS MATERIALIZED (SELECT router.api_volunteer_action($1::uuid, $2, $3, $4, $5, $6, "
     "$7::date, $8::date, $9::json, $10::json) AS r) SELECT r::text, router.volunteer_event(r, "
     "$1::uuid, $11::bigint, $12, $13::uuid, $14::bigint, $15, $16, $17::bytea) FROM a"},
    {"api_clues", "SELECT router.api_clues($1, $2, 'epoch'::timestamptz + $3::bigint * interval "
                  "'1 microsecond', $4::uuid, $5::integer)::text"},
    {"api_clue", "SELECT router.api_clue($1::uuid, $2)::text"},
    {"api_reclassify", "SELECT router.api_reclassify($1::uuid, $2, $3, $4, $5)::text"},
    {"api_transfers", "SELECT router.api_transfers($1)::text"},
    {"api_tasks", "SELECT router.api_tasks($1::uuid, $2, 'epoch'::timestamptz + $3::bigint * "
                  "interval '1 microsecond', $4::uuid, $5::integer)::text"},
    {"api_conflict_declare",
     "WITH a AS MATERIALIZED (SELECT router.api_conflict_declare($1::uuid, $2, $3, $4) AS r) "
     "SELECT r::text, router.volunteer_event(r, $1::uuid, $5::bigint, $6, $7::uuid, $8::bigint, "
     "$9, $10, $11::bytea) FROM a"},
    {"api_conflicts", "SELECT router.api_conflicts($1::uuid)::text"},
};

void router_api_prepare(gy_pg_t *pg)
{
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        gy_pg_prepare(pg, s_statements[i].name, s_statements[i].sql);
    router_transfer_prepare(pg);
    router_cluster_prepare(pg);
    router_assess_prepare(pg);
    router_tokens_prepare(pg);
    gy_outbox_prepare("router", NULL, NULL, pg); /* events packed here: gy_outbox_tx_append */
}

/*  ---- answers ---- */

static void s_unavailable(gy_http_request_t *req)
{
    gy_http_respond_error(req, 503, "unavailable",
                          "the volunteer registry is unavailable; nothing was changed; retry later",
                          NULL);
}

/*  ---- checks shared by the routes ---- */

/*  Who may call what (gy_auth_guard: the bearer token, then these). */
static const char *const s_manager_roles[] = {"prosecutor", "chief_prosecutor", "admin", NULL};
static const gy_guard_t s_managers = {
    s_manager_roles, true, false,
    "only a prosecutor or an administrator of a procuratorate may do this"};
static const char *const s_prosecutor_roles[] = {"prosecutor", "chief_prosecutor", NULL};
static const gy_guard_t s_prosecutors = {s_prosecutor_roles, true, false,
                                         "only a prosecutor may handle clues"};
static const char *const s_volunteer_roles[] = {"volunteer", NULL};
static const gy_guard_t s_registered = {s_volunteer_roles, false, true,
                                        "only a volunteer has a registry record"};
static const gy_guard_t s_assessors = {s_volunteer_roles, false, true,
                                       "only a volunteer has assessment tasks"};
static const char *const s_admin_roles[] = {"admin", NULL};
static const gy_guard_t s_admins = {s_admin_roles, true, false,
                                    "only an administrator issues and lists access tokens"};

/*  A manager (prosecutor, chief prosecutor, administrator) with a usable
 *  scope, or an answer and -1. */
static int s_manager(router_api_t *self, gy_http_request_t *req, gy_token_claims_t *claims,
                     char prefix[7])
{
    return gy_auth_guard(req, self->config.token_public, &s_managers, claims, prefix);
}

/*  A prosecutor or chief prosecutor with a usable scope: the people who
 *  handle clues.  Otherwise an answer and -1. */
static int s_prosecutor(router_api_t *self, gy_http_request_t *req, gy_token_claims_t *claims,
                        char prefix[7])
{
    return gy_auth_guard(req, self->config.token_public, &s_prosecutors, claims, prefix);
}

/*  ---- one SQL call answering {"status","body"} ---- */

typedef struct s_change s_change_t;

typedef struct {
    router_api_t *api;
    gy_http_request_t *req;
    s_change_t *change; /* a registry write announcing the standing, or NULL */
    bool has_person;    /* the statement's column 1 is a sealed person */
    char *answer;       /* column 0 */
    uint8_t *person;    /* column 1 (sealed), when has_person */
    size_t person_len;
} s_call_t;

static void s_on_call_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_call_t *call = arg;
    (void)index;
    if (gy_pg_ntuples(res) != 1 || call->answer)
        return;
    call->answer = gy_strdup(gy_pg_value(res, 0, 0));
    if (call->has_person && !gy_pg_isnull(res, 0, 1))
        call->person = gy_pg_bytea(res, 0, 1, &call->person_len);
}

/*  Opens the sealed person into body.person; the reading was logged by the
 *  statement that returned it. */
static int s_add_person(router_api_t *self, json_t *body, const uint8_t *sealed, size_t len)
{
    if (len < GY_SEAL_OVERHEAD)
        return -1;
    size_t plain_len = len - GY_SEAL_OVERHEAD;
    char *plain = gy_malloc(plain_len + 1);
    int rc = -1;
    if (gy_unseal(self->config.seal_key, sealed, len, (uint8_t *)plain) == 0) {
        plain[plain_len] = '\0';
        json_t *person = json_loads(plain, 0, NULL);
        if (person) {
            json_object_set_new(body, "person", person);
            rc = 0;
        }
    }
    sodium_memzero(plain, plain_len);
    free(plain);
    return rc;
}

static void s_on_call_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_call_t *call = arg;
    if (gy_hold_gone(&call->api->holds, call->req)) {
        free(call->answer);
        free(call->person);
        free(call);
        return;
    }
    json_t *answer = call->answer ? json_loads(call->answer, 0, NULL) : NULL;
    json_t *body = answer ? json_object_get(answer, "body") : NULL;
    int http = answer ? (int)json_integer_value(json_object_get(answer, "status")) : 0;
    if (status == GY_PG_ERROR && strncmp(sqlstate, "23", 2) == 0) {
        /* Two requests raced for the same unique value; the other won. */
        gy_http_respond_error(
            call->req, 409, "conflict",
            "this conflicts with a change made at the same time; reload and retry", NULL);
    } else if (status != GY_PG_OK) {
        s_unavailable(call->req);
    } else if (!answer || !json_is_object(body) || http < 200 || http > 599) {
        char excerpt[200]; /* the answer, cut at a character boundary */
        gy_text_excerpt(excerpt, sizeof excerpt, call->answer ? call->answer : "(no row)");
        gy_log_error("registry answer is not {\"status\",\"body\"}: %s", excerpt);
        gy_http_respond_error(call->req, 500, "internal", "internal error; nothing was changed",
                              NULL);
    } else if (call->person && http == 200 &&
               s_add_person(call->api, body, call->person, call->person_len) < 0) {
        gy_log_error("a volunteer's personal data cannot be opened with this seal key");
        gy_http_respond_error(call->req, 500, "internal",
                              "personal data cannot be opened with this instance's key", NULL);
    } else {
        /* Events this call appended are committed now: the relay reads
         * them from the outbox (they were not handed over in memory). */
        if (json_integer_value(json_object_get(answer, "events")) > 0 && call->api->config.outbox)
            gy_outbox_check(call->api->config.outbox);
        gy_reply_json(call->req, http, json_incref(body));
    }
    json_decref(answer);
    free(call->answer);
    free(call->person);
    free(call);
}

static void s_call(router_api_t *self, gy_http_request_t *req, const char *stmt, int n,
                   const char *const *values, const int *lengths, bool has_person)
{
    s_call_t *call = gy_calloc(1, sizeof *call);
    call->api = self;
    call->req = req;
    call->has_person = has_person;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, stmt, n, values, lengths);
    if (gy_pg_run(self->config.pg, &tx, s_on_call_row, s_on_call_done, call) < 0) {
        free(call);
        s_unavailable(req);
        return;
    }
    gy_hold(&self->holds);
}

/*  ---- registry writes that announce the standing (VolunteerChanged) ----
 *
 *  The standing is read (router.volunteer_public), the change applied to it
 *  in C (router_standing_*), and the write statement runs with the packed
 *  event and the version it was packed for; a change made meanwhile fails
 *  the write (40001), which reads and decides again, at most S_TRIES times,
 *  then 409 conflict.  An application needs no read: it is new. */

#define S_TRIES 4

typedef enum { S_CHANGE_APPLY, S_CHANGE_ACT, S_CHANGE_CONFLICT } s_change_kind_t;

struct s_change {
    router_api_t *api;
    gy_http_request_t *req;
    s_change_kind_t kind;
    int tries;
    char id[37];
    const char *stmt; /* the write */
    int n;            /* its own parameters, owned copies */
    char *values[10];
    int lengths[10];
    router_action_t act; /* S_CHANGE_ACT */
    char *conflict_kind, *conflict_value, *by;
    bool found; /* what the read found */
    char to_status[16];
    router_standing_t standing;
};

static void s_change_free(s_change_t *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->values[i]);
    router_action_clear(&c->act);
    free(c->conflict_kind);
    free(c->conflict_value);
    free(c->by);
    router_standing_clear(&c->standing);
    free(c);
}

/*  A change of the write's parameters (copied: binary when length > 0). */
static s_change_t *s_change_new(router_api_t *self, gy_http_request_t *req, s_change_kind_t kind,
                                const char *id, const char *stmt, int n, const char *const *values,
                                const int *lengths)
{
    assert(n <= 10);
    s_change_t *c = gy_calloc(1, sizeof *c);
    c->api = self;
    c->req = req;
    c->kind = kind;
    snprintf(c->id, sizeof c->id, "%s", id);
    for (char *p = c->id; *p; p++) /* as PostgreSQL writes it, for the event */
        *p = (char)tolower((unsigned char)*p);
    c->stmt = stmt;
    c->n = n;
    for (int i = 0; i < n; i++) {
        c->lengths[i] = lengths ? lengths[i] : 0;
        if (values[i] && c->lengths[i] > 0) {
            c->values[i] = gy_malloc((size_t)c->lengths[i]);
            memcpy(c->values[i], values[i], (size_t)c->lengths[i]);
        } else {
            c->values[i] = values[i] ? gy_strdup(values[i]) : NULL;
        }
    }
    return c;
}

static void s_change_read(s_change_t *c);

static void s_on_change_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_call_t *call = arg;
    s_change_t *c = call->change;
    if (gy_hold_gone(&c->api->holds, c->req)) {
        free(call->answer);
        free(call);
        s_change_free(c);
        return;
    }
    if (gy_pg_conflict(status, sqlstate, false)) {
        free(call->answer);
        free(call);
        if (c->tries < S_TRIES) {
            s_change_read(c); /* decide again on what is stored now */
            return;
        }
        gy_reply_conflict(c->req);
        s_change_free(c);
        return;
    }
    if (status == GY_PG_OK || status == GY_PG_LOST)
        gy_outbox_check(c->api->config.outbox); /* an event may be committed: the relay reads it */
    call->change = NULL;
    s_change_free(c);
    gy_hold(&call->api->holds); /* s_on_call_done answers, and lets go of it */
    s_on_call_done(call, status, sqlstate);
}

static void s_change_write(s_change_t *c)
{
    router_api_t *self = c->api;
    char version[24], at[24], event_id[37], trace[37];
    snprintf(version, sizeof version, "%" PRIu64, c->standing.version);
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    gy_uuid(event_id);
    gy_uuid(trace);
    size_t body_len;
    uint8_t *body = router_standing_pack(&c->standing, &body_len);
    const char *values[17];
    int lengths[17] = {0};
    for (int i = 0; i < c->n; i++) {
        values[i] = c->values[i];
        lengths[i] = c->lengths[i];
    }
    int n = c->n;
    values[n++] = version;
    values[n++] = self->config.producer;
    values[n++] = event_id;
    values[n++] = at;
    values[n++] = trace;
    values[n++] = c->standing.procuratorate;
    lengths[n] = (int)body_len;
    values[n++] = (const char *)body;
    s_call_t *call = gy_calloc(1, sizeof *call);
    call->api = self;
    call->req = c->req;
    call->change = c;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, c->stmt, n, values, lengths);
    free(body);
    if (gy_pg_run(self->config.pg, &tx, s_on_call_row, s_on_change_done, call) < 0) {
        free(call);
        s_unavailable(c->req);
        s_change_free(c);
        return;
    }
    gy_hold(&self->holds);
}

/*  What the read found decides the event; a volunteer that is not there
 *  (or a change its status does not allow) is the write's to refuse, and
 *  then nothing is announced. */
static void s_change_decide(s_change_t *c)
{
    if (c->found && c->kind == S_CHANGE_ACT && c->to_status[0])
        router_standing_act(&c->standing, &c->act, c->to_status, c->by);
    else if (c->found && c->kind == S_CHANGE_CONFLICT)
        router_standing_conflict(&c->standing, c->conflict_kind, c->conflict_value, c->by);
    s_change_write(c);
}

static void s_on_change_read_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_change_t *c = arg;
    (void)index;
    if (gy_pg_ntuples(res) != 1)
        return;
    const char *cols[9];
    for (int i = 0; i < 9; i++)
        cols[i] = gy_pg_value(res, 0, i);
    router_standing_from_row(&c->standing, c->id, cols);
    c->found = true;
    snprintf(c->to_status, sizeof c->to_status, "%s", gy_pg_value(res, 0, 9));
}

static void s_on_change_read_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_change_t *c = arg;
    (void)sqlstate;
    if (gy_hold_gone(&c->api->holds, c->req)) {
        s_change_free(c);
        return;
    }
    if (status != GY_PG_OK) {
        s_unavailable(c->req);
        s_change_free(c);
        return;
    }
    s_change_decide(c);
}

static void s_change_read(s_change_t *c)
{
    c->tries++;
    c->found = false;
    c->to_status[0] = '\0';
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {c->id, c->kind == S_CHANGE_ACT ? c->act.action : NULL};
    gy_pg_tx_add(tx, "volunteer_public", 2, values, NULL);
    if (gy_pg_run(c->api->config.pg, &tx, s_on_change_read_row, s_on_change_read_done, c) < 0) {
        s_unavailable(c->req);
        s_change_free(c);
        return;
    }
    gy_hold(&c->api->holds);
}

/*  ---- work on the thread pool (argon2id) ---- */

typedef struct s_work s_work_t;
typedef void(s_work_after_fn)(s_work_t *work);

struct s_work {
    uv_work_t uv;
    router_api_t *api;
    gy_http_request_t *req;
    s_work_after_fn *after;
    router_application_t app;   /* apply */
    router_login_t login;       /* login */
    char hash[ROUTER_HASH_MAX]; /* apply: computed; login: looked up ("" = no such login) */
    bool hash_failed;
    bool verified;
    char id[37], status[16], procuratorate[7];
    bool term_ok;
};

static void s_work_free(s_work_t *work)
{
    router_application_clear(&work->app);
    router_login_clear(&work->login);
    sodium_memzero(work->hash, sizeof work->hash);
    free(work);
}

static void s_work_run(uv_work_t *uv)
{
    s_work_t *work = uv->data;
    if (work->app.password)
        work->hash_failed = router_password_hash(work->app.password, work->hash) < 0;
    else
        work->verified =
            router_password_verify(work->hash[0] ? work->hash : NULL, work->login.password);
}

/*  First thing in a work's callback (s_gone). */
static bool s_release(s_work_t *work)
{
    if (!gy_hold_gone(&work->api->holds, work->req))
        return false;
    s_work_free(work);
    return true;
}

static void s_work_done(uv_work_t *uv, int status)
{
    s_work_t *work = uv->data;
    if (s_release(work))
        return;
    if (status != 0)
        s_unavailable(work->req);
    else
        work->after(work);
    s_work_free(work);
}

static void s_work_start(s_work_t *work)
{
    work->uv.data = work;
    if (uv_queue_work(work->api->loop, &work->uv, s_work_run, s_work_done) != 0) {
        s_unavailable(work->req);
        s_work_free(work);
        return;
    }
    gy_hold(&work->api->holds);
}

/*  ---- POST /api/v1/volunteers/applications ---- */

static void s_apply_hashed(s_work_t *work)
{
    router_api_t *self = work->api;
    if (work->hash_failed) {
        s_unavailable(work->req);
        return;
    }
    size_t plain_len = strlen(work->app.person_json);
    size_t sealed_len = plain_len + GY_SEAL_OVERHEAD;
    uint8_t *sealed = gy_malloc(sealed_len);
    gy_seal(self->config.seal_key, work->app.person_json, plain_len, sealed);
    char id[37];
    gy_uuid(id);
    const char *values[] = {id,
                            work->app.login,
                            work->hash,
                            (const char *)sealed,
                            work->app.procuratorate,
                            work->app.city,
                            work->app.expertise,
                            work->app.roles,
                            work->app.statement};
    const int lengths[] = {0, 0, 0, (int)sealed_len, 0, 0, 0, 0, 0};
    s_change_t *c =
        s_change_new(self, work->req, S_CHANGE_APPLY, id, "api_apply", 9, values, lengths);
    router_standing_applied(&c->standing, id, &work->app);
    s_change_write(c);
    free(sealed);
}

static void s_on_apply_limit(void *arg, bool allowed)
{
    s_work_t *work = arg;
    if (s_release(work))
        return;
    if (!allowed) {
        gy_http_respond_error(work->req, 429, "rate_limited",
                              "too many applications from this address; try again later", NULL);
        s_work_free(work);
        return;
    }
    s_work_start(work);
}

static void s_apply(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    if (gy_require_json(req) < 0)
        return;
    size_t len;
    const char *body = gy_http_body(req, &len);
    router_error_t err;
    s_work_t *work = gy_calloc(1, sizeof *work);
    work->api = self;
    work->req = req;
    work->after = s_apply_hashed;
    if (router_application_parse(&work->app, body, len, self->config.refdata, &err) < 0) {
        gy_reply_error(req, &err);
        s_work_free(work);
        return;
    }
    char key[80];
    snprintf(key, sizeof key, "apply:%s", gy_http_client_addr(req));
    gy_hold(&self->holds);
    gy_ratelimit_check(self->config.limiter, key, self->config.apply_per_hour, S_HOUR_MS,
                       s_on_apply_limit, work);
}

/*  ---- POST /api/v1/auth/login ---- */

/*  The token of a verified login (the caller frees) with its claims, or
 *  NULL after answering why this volunteer may not log in (401, 403). */
static char *s_login_token(s_work_t *work, gy_token_claims_t *claims)
{
    router_api_t *self = work->api;
    if (!work->verified) {
        gy_http_respond_error(work->req, 401, "invalid_credentials",
                              "the login or the password is wrong", NULL);
        return NULL;
    }
    if (strcmp(work->status, "appointed") != 0) {
        gy_http_respond_error(work->req, 403, "not_appointed",
                              strcmp(work->status, "applied") == 0
                                  ? "the application has not been decided yet"
                                  : "this volunteer is not appointed now",
                              NULL);
        return NULL;
    }
    if (!work->term_ok) {
        gy_http_respond_error(work->req, 403, "term_expired",
                              "the appointment's term has not begun or has ended", NULL);
        return NULL;
    }
    memset(claims, 0, sizeof *claims);
    snprintf(claims->sub, sizeof claims->sub, "%s", work->id);
    snprintf(claims->role, sizeof claims->role, "volunteer");
    snprintf(claims->proc, sizeof claims->proc, "%s", work->procuratorate);
    claims->iat = gy_now_ms() / 1000;
    claims->exp = claims->iat + self->config.token_ttl_s;
    return gy_token_issue(self->config.token_secret, claims);
}

static void s_login_verified(s_work_t *work)
{
    gy_token_claims_t claims;
    char *token = s_login_token(work, &claims);
    if (!token)
        return;
    gy_reply_json(work->req, 200,
                  json_pack("{s:s,s:s,s:I,s:s,s:s}", "token", token, "token_type", "Bearer",
                            "expires_at", (json_int_t)claims.exp, "volunteer_id", work->id,
                            "procuratorate", work->procuratorate));
    free(token);
}

static void s_on_login_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_work_t *work = arg;
    (void)index;
    if (gy_pg_ntuples(res) != 1)
        return;
    snprintf(work->id, sizeof work->id, "%s", gy_pg_value(res, 0, 0));
    snprintf(work->hash, sizeof work->hash, "%s", gy_pg_value(res, 0, 1));
    snprintf(work->status, sizeof work->status, "%s", gy_pg_value(res, 0, 2));
    snprintf(work->procuratorate, sizeof work->procuratorate, "%s", gy_pg_value(res, 0, 3));
    work->term_ok = strcmp(gy_pg_value(res, 0, 4), "t") == 0;
}

static void s_on_login_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_work_t *work = arg;
    (void)sqlstate;
    if (s_release(work))
        return;
    if (status != GY_PG_OK) {
        s_unavailable(work->req);
        s_work_free(work);
        return;
    }
    s_work_start(work); /* an unknown login is verified against a fixed hash: same time */
}

static void s_on_login_limit(void *arg, bool allowed);

static void s_login_limited(s_work_t *work)
{
    gy_http_respond_error(work->req, 429, "rate_limited", "too many login attempts; wait a minute",
                          NULL);
    s_work_free(work);
}

static void s_on_login_address_limit(void *arg, bool allowed)
{
    s_work_t *work = arg;
    if (s_release(work))
        return;
    if (!allowed) {
        s_login_limited(work);
        return;
    }
    char key[80];
    snprintf(key, sizeof key, "login:%s", work->login.login);
    gy_hold(&work->api->holds);
    gy_ratelimit_check(work->api->config.limiter, key, work->api->config.login_per_min, S_MINUTE_MS,
                       s_on_login_limit, work);
}

static void s_on_login_limit(void *arg, bool allowed)
{
    s_work_t *work = arg;
    if (s_release(work))
        return;
    if (!allowed) {
        s_login_limited(work);
        return;
    }
    const char *values[] = {work->login.login};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "api_login", 1, values, NULL);
    if (gy_pg_run(work->api->config.pg, &tx, s_on_login_row, s_on_login_done, work) < 0) {
        s_unavailable(work->req);
        s_work_free(work);
        return;
    }
    gy_hold(&work->api->holds);
}

/*  Whether this instance signs tokens; false after answering 503. */
static bool s_signs(router_api_t *self, gy_http_request_t *req)
{
    if (self->config.token_secret)
        return true;
    gy_http_respond_error(req, 503, "login_unavailable",
                          "this instance cannot sign tokens (no GY_TOKEN_SECRET_KEY_FILE)", NULL);
    return false;
}

/*  Checks a login (taken: *login is cleared): the rate limits per address
 *  and per login, the lookup, the password on the thread pool; then
 *  `after` answers. */
static void s_login_start(router_api_t *self, gy_http_request_t *req, router_login_t *login,
                          s_work_after_fn *after)
{
    s_work_t *work = gy_calloc(1, sizeof *work);
    work->api = self;
    work->req = req;
    work->after = after;
    work->login = *login;
    memset(login, 0, sizeof *login);
    char key[80];
    snprintf(key, sizeof key, "login-ip:%s", gy_http_client_addr(req));
    gy_hold(&self->holds);
    gy_ratelimit_check(self->config.limiter, key, self->config.login_per_min, S_MINUTE_MS,
                       s_on_login_address_limit, work);
}

static void s_login(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    if (gy_require_json(req) < 0 || !s_signs(self, req))
        return;
    size_t len;
    const char *body = gy_http_body(req, &len);
    router_error_t err;
    router_login_t login;
    if (router_login_parse(&login, body, len, &err) < 0) {
        gy_reply_error(req, &err);
        router_login_clear(&login);
        return;
    }
    s_login_start(self, req, &login, s_login_verified);
}

/*  ---- /api/v1/auth/session: the console's session cookie ---- */

/*  Who is logged in is nobody else's to keep: no shared cache stores it. */
#define S_NO_STORE "Cache-Control: no-store\r\n"

/*  Who the claims say the caller is: the answer of every session route. */
static json_t *s_session_body(const gy_token_claims_t *claims)
{
    bool volunteer = strcmp(claims->role, "volunteer") == 0;
    return json_pack("{s:s,s:s,s:s,s:I,s:o}", "subject", claims->sub, "role", claims->role,
                     "procuratorate", claims->proc, "expires_at", (json_int_t)claims->exp,
                     "volunteer_id", volunteer ? json_string(claims->sub) : json_null());
}

/*  Answers 200 with who the caller is and the cookie that keeps token, a
 *  token that verified with these claims, for as long as it is valid.
 *  The token itself never goes in a body the page's script can read. */
static void s_session_set(router_api_t *self, gy_http_request_t *req,
                          const gy_token_claims_t *claims, const char *token)
{
    int64_t left = claims->exp - gy_now_ms() / 1000;
    char *cookie = gy_auth_cookie_line(token, left > 0 ? left : 0, self->config.cookie_secure);
    char *headers = gy_sprintf("%s" S_NO_STORE, cookie);
    gy_reply_json_headers(req, 200, headers, s_session_body(claims));
    free(headers);
    free(cookie);
}

static void s_session_login_verified(s_work_t *work)
{
    gy_token_claims_t claims;
    char *token = s_login_token(work, &claims);
    if (!token)
        return;
    s_session_set(work->api, work->req, &claims, token);
    free(token);
}

/*  POST: a volunteer logs in, or staff hand in the token an administrator
 *  issued them; either way the token goes into the cookie.  No
 *  X-Gongyi-Console is asked: there is no session to forge yet, and the
 *  body must be JSON, which no cross-site form can send. */
static void s_session_create(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    if (gy_require_json(req) < 0)
        return;
    size_t len;
    const char *body = gy_http_body(req, &len);
    router_error_t err;
    router_session_t session;
    if (router_session_parse(&session, body, len, &err) < 0) {
        gy_reply_error(req, &err);
    } else if (session.token) {
        gy_token_claims_t claims;
        if (gy_auth_verify(req, self->config.token_public, session.token, "token", &claims) ==
            GY_AUTH_OK)
            s_session_set(self, req, &claims, session.token);
    } else if (s_signs(self, req)) {
        s_login_start(self, req, &session.login, s_session_login_verified);
    }
    router_session_clear(&session);
}

/*  GET: who the caller is, by the cookie or a bearer header. */
static void s_session_get(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    static const gy_guard_t anyone = {NULL, false, false, "any valid token will do"};
    gy_token_claims_t claims;
    if (gy_auth_guard(req, self->config.token_public, &anyone, &claims, NULL) < 0)
        return;
    gy_reply_json_headers(req, 200, S_NO_STORE, s_session_body(&claims));
}

/*  DELETE: the browser forgets the cookie.  The token is not verified (an
 *  expired session logs out too) and stays valid until it expires:
 *  tokens are stateless (docs/console.md). */
static void s_session_delete(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    if (gy_auth_csrf_check(req) < 0)
        return;
    char *cookie = gy_auth_cookie_line("", 0, self->config.cookie_secure);
    gy_http_respond(req, 204, NULL, cookie, "", 0);
    free(cookie);
}

/*  ---- GET /api/v1/volunteers ---- */

/*  A list: one page by keyset (owner: the scope prefix or the volunteer;
 *  an optional filter whose value must be one of `allowed`; after; limit),
 *  answered by `stmt`, which takes ($owner, $filter, $after_us, $after_id,
 *  $limit). */
static void s_page_call(router_api_t *self, gy_http_request_t *req, const char *owner,
                        const char *filter_name, const char *const *allowed, const char *stmt)
{
    gy_page_spec_t spec = {filter_name, allowed, 20, 100};
    gy_page_t page;
    gy_error_t err;
    if (gy_page_parse(&spec, gy_http_query(req), &page, &err) < 0) {
        gy_reply_error(req, &err);
        return;
    }
    const char *values[] = {owner, page.filter[0] ? page.filter : NULL,
                            page.has_after ? page.after_us : NULL,
                            page.has_after ? page.after_id : NULL, page.limit_text};
    s_call(self, req, stmt, 5, values, NULL, false);
}

static void s_list(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    gy_token_claims_t claims;
    char prefix[7];
    if (s_manager(self, req, &claims, prefix) < 0)
        return;
    static const char *const statuses[] = {"applied",  "appointed", "suspended",
                                           "rejected", "dismissed", NULL};
    s_page_call(self, req, prefix, "status", statuses, "api_volunteers");
}

/*  ---- GET /api/v1/volunteers/me and /api/v1/volunteers/{id} ---- */

static void s_me(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    gy_token_claims_t claims;
    if (gy_auth_guard(req, self->config.token_public, &s_registered, &claims, NULL) < 0)
        return;
    const char *values[] = {claims.sub, NULL, claims.sub, claims.role, claims.proc};
    s_call(self, req, "api_volunteer", 5, values, NULL, true);
}

static void s_get(router_api_t *self, gy_http_request_t *req, char **args)
{
    gy_token_claims_t claims;
    char prefix[7];
    if (s_manager(self, req, &claims, prefix) < 0)
        return;
    if (!gy_uuid_valid(args[0])) {
        gy_http_respond_error(req, 404, "not_found", "no such volunteer", NULL);
        return;
    }
    const char *values[] = {args[0], prefix, claims.sub, claims.role, claims.proc};
    s_call(self, req, "api_volunteer", 5, values, NULL, true);
}

/*  ---- POST /api/v1/volunteers/{id}/{action} ---- */

static void s_act(router_api_t *self, gy_http_request_t *req, char **args)
{
    gy_token_claims_t claims;
    char prefix[7];
    if (s_manager(self, req, &claims, prefix) < 0)
        return;
    size_t len;
    const char *body = gy_http_body(req, &len);
    if (len && gy_require_json(req) < 0)
        return;
    router_action_t act;
    router_error_t err;
    if (router_action_parse(&act, args[1], body, len, self->config.refdata, &err) < 0) {
        gy_reply_error(req, &err);
        return;
    }
    if (!gy_uuid_valid(args[0])) {
        router_action_clear(&act);
        gy_http_respond_error(req, 404, "not_found", "no such volunteer", NULL);
        return;
    }
    const char *values[] = {args[0],
                            prefix,
                            claims.sub,
                            act.action,
                            act.reason,
                            act.certificate_no,
                            act.term_start[0] ? act.term_start : NULL,
                            act.term_end[0] ? act.term_end : NULL,
                            act.roles,
                            act.expertise};
    s_change_t *c =
        s_change_new(self, req, S_CHANGE_ACT, args[0], "api_volunteer_action", 10, values, NULL);
    c->act = act; /* taken */
    c->by = gy_strdup(claims.sub);
    s_change_read(c);
}

/*  ---- routed clues ---- */

static void s_clues(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    gy_token_claims_t claims;
    char prefix[7];
    if (s_prosecutor(self, req, &claims, prefix) < 0)
        return;
    static const char *const queues[] = {"handling", "triage", NULL};
    s_page_call(self, req, prefix, "queue", queues, "api_clues");
}

static void s_clue(router_api_t *self, gy_http_request_t *req, char **args)
{
    gy_token_claims_t claims;
    char prefix[7];
    if (s_prosecutor(self, req, &claims, prefix) < 0)
        return;
    if (!gy_uuid_valid(args[0])) {
        gy_http_respond_error(req, 404, "not_found", "no such clue", NULL);
        return;
    }
    const char *values[] = {args[0], prefix};
    s_call(self, req, "api_clue", 2, values, NULL, false);
}

/*  The JSON body of a clue action: an object whose members are strings
 *  checked by router_action_body (reason required unless optional). */
typedef struct {
    json_t *root;
    const char *reason;
} s_body_t;

static int s_body(router_api_t *self, gy_http_request_t *req, bool reason_required, s_body_t *b,
                  router_error_t *err)
{
    (void)self;
    size_t len;
    const char *body = gy_http_body(req, &len);
    b->root = NULL;
    if (len && gy_require_json(req) < 0)
        return -2; /* answered */
    if (router_body_parse(len ? body : "{}", len ? len : 2, &b->root, err) < 0 ||
        router_body_string(b->root, "reason", reason_required, 1, 500, true, &b->reason, err) < 0) {
        json_decref(b->root);
        b->root = NULL;
        return -1;
    }
    if (!b->reason)
        b->reason = "";
    return 0;
}

/*  Common head of the POST handlers on one clue, transfer or cluster:
 *  prosecutor, id, body.  0 when the caller goes on (then json_decref
 *  b->root), -1 when answered. */
static int s_action_head(router_api_t *self, gy_http_request_t *req, const char *id,
                         bool reason_required, gy_token_claims_t *claims, char prefix[7],
                         s_body_t *b, const char *what)
{
    if (s_prosecutor(self, req, claims, prefix) < 0)
        return -1;
    router_error_t err;
    int rc = s_body(self, req, reason_required, b, &err);
    if (rc == -2)
        return -1;
    if (rc < 0) {
        gy_reply_error(req, &err);
        return -1;
    }
    if (!gy_uuid_valid(id)) {
        json_decref(b->root);
        char message[48];
        snprintf(message, sizeof message, "no such %s", what);
        gy_http_respond_error(req, 404, "not_found", message, NULL);
        return -1;
    }
    return 0;
}

static void s_reclassify(router_api_t *self, gy_http_request_t *req, char **args)
{
    gy_token_claims_t claims;
    char prefix[7];
    s_body_t b;
    if (s_action_head(self, req, args[0], true, &claims, prefix, &b, "clue") < 0)
        return;
    router_error_t err;
    const char *field;
    if (router_body_string(b.root, "field_code", true, 1, 64, false, &field, &err) < 0) {
        gy_reply_error(req, &err);
    } else if (!gy_refdata_field(self->config.refdata, field)) {
        gy_http_respond_error(req, 422, "unknown_field_code",
                              "field_code is not in the reference data", "field_code");
    } else {
        const char *values[] = {args[0], prefix, claims.sub, field, b.reason};
        s_call(self, req, "api_reclassify", 5, values, NULL, false);
    }
    json_decref(b.root);
}

/*  A procuratorate named in a body: six digits of a region in the
 *  reference data. */
static int s_procuratorate(router_api_t *self, json_t *root, const char *name, const char **out,
                           router_error_t *err)
{
    if (router_body_string(root, name, true, 6, 6, false, out, err) < 0)
        return -1;
    if (!gy_refdata_region(self->config.refdata, *out)) {
        router_error_set(err, 422, "unknown_region_code", name,
                         "%s must be the region code of a procuratorate in the reference data",
                         name);
        return -1;
    }
    return 0;
}

/*  ---- transfers: decided in C (router_transfer) ---- */

typedef struct {
    router_api_t *api;
    gy_http_request_t *req;
    const char *headers; /* extra header lines of a 2xx answer, or NULL */
} s_transfer_call_t;

static void s_on_transfer_answer(void *arg, router_answer_t *answer)
{
    s_transfer_call_t *call = arg;
    if (!gy_hold_gone(&call->api->holds, call->req)) {
        if (answer->body)
            gy_reply_json_headers(call->req, answer->status, call->headers,
                                  json_incref(answer->body));
        else
            gy_http_respond_error(call->req, answer->status, answer->code, answer->message,
                                  answer->field);
    }
    json_decref(answer->body);
    free(call);
}

static void s_transfer_run(router_api_t *self, gy_http_request_t *req,
                           const router_transfer_step_t *step)
{
    router_transfer_ctx_t ctx = {
        .pg = self->config.pg, .outbox = self->config.outbox, .producer = self->config.producer};
    s_transfer_call_t *call = gy_calloc(1, sizeof *call);
    call->api = self;
    call->req = req;
    if (router_transfer_run(&ctx, step, s_on_transfer_answer, call) < 0) {
        free(call);
        s_unavailable(req);
        return;
    }
    gy_hold(&self->holds);
}

/*  The pieces of a request handed to a decision in C: its context, the
 *  call that answers, and the start (-1: the connection is down). */
static router_transfer_ctx_t s_decision_ctx(router_api_t *self)
{
    return (router_transfer_ctx_t){
        .pg = self->config.pg, .outbox = self->config.outbox, .producer = self->config.producer};
}

static s_transfer_call_t *s_decision_call(router_api_t *self, gy_http_request_t *req)
{
    s_transfer_call_t *call = gy_calloc(1, sizeof *call);
    call->api = self;
    call->req = req;
    return call;
}

static void s_decision_started(router_api_t *self, gy_http_request_t *req, s_transfer_call_t *call,
                               int rc)
{
    if (rc < 0) {
        free(call);
        s_unavailable(req);
        return;
    }
    gy_hold(&self->holds);
}

/*  A merge (other is the cluster merged away) or a split (other NULL: id
 *  is the clue that leaves its cluster), decided in C (router_cluster). */
static void s_cluster_run(router_api_t *self, gy_http_request_t *req, const char *id,
                          const char *other, const char *prefix, const char *actor,
                          const char *reason)
{
    router_transfer_ctx_t ctx = {
        .pg = self->config.pg, .outbox = self->config.outbox, .producer = self->config.producer};
    s_transfer_call_t *call = gy_calloc(1, sizeof *call);
    call->api = self;
    call->req = req;
    int rc =
        other ? router_cluster_merge(&ctx, id, other, prefix, actor, reason, s_on_transfer_answer,
                                     call)
              : router_cluster_split(&ctx, id, prefix, actor, reason, s_on_transfer_answer, call);
    if (rc < 0) {
        free(call);
        s_unavailable(req);
        return;
    }
    gy_hold(&self->holds);
}

/*  A POST on one clue or transfer whose body names a procuratorate (in
 *  `member`) besides the reason: a transfer's request or its decision. */
static void s_procuratorate_call(router_api_t *self, gy_http_request_t *req, const char *id,
                                 const char *what, const char *member, int event)
{
    gy_token_claims_t claims;
    char prefix[7];
    s_body_t b;
    if (s_action_head(self, req, id, true, &claims, prefix, &b, what) < 0)
        return;
    router_error_t err;
    const char *to;
    if (s_procuratorate(self, b.root, member, &to, &err) < 0) {
        gy_reply_error(req, &err);
    } else {
        router_transfer_step_t step = {.event = event,
                                       .id = id,
                                       .prefix = prefix,
                                       .actor = claims.sub,
                                       .to = to,
                                       .reason = b.reason};
        s_transfer_run(self, req, &step);
    }
    json_decref(b.root);
}

static void s_transfer(router_api_t *self, gy_http_request_t *req, char **args)
{
    s_procuratorate_call(self, req, args[0], "clue", "to", ROUTER_TRANSFER_REQUEST);
}

static void s_split(router_api_t *self, gy_http_request_t *req, char **args)
{
    gy_token_claims_t claims;
    char prefix[7];
    s_body_t b;
    if (s_action_head(self, req, args[0], true, &claims, prefix, &b, "clue") < 0)
        return;
    s_cluster_run(self, req, args[0], NULL, prefix, claims.sub, b.reason);
    json_decref(b.root);
}

static void s_merge(router_api_t *self, gy_http_request_t *req, char **args)
{
    gy_token_claims_t claims;
    char prefix[7];
    s_body_t b;
    if (s_action_head(self, req, args[0], true, &claims, prefix, &b, "cluster") < 0)
        return;
    router_error_t err;
    const char *other;
    if (router_body_string(b.root, "cluster_id", true, 36, 36, false, &other, &err) < 0) {
        gy_reply_error(req, &err);
    } else if (!gy_uuid_valid(other)) {
        gy_http_respond_error(req, 400, "invalid_value", "cluster_id is a cluster's id (UUID)",
                              "cluster_id");
    } else if (strcasecmp(args[0], other) == 0) {
        gy_http_respond_error(req, 400, "invalid_value", "a cluster cannot be merged into itself",
                              "cluster_id");
    } else {
        s_cluster_run(self, req, args[0], other, prefix, claims.sub, b.reason);
    }
    json_decref(b.root);
}

static void s_transfers(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    gy_token_claims_t claims;
    char prefix[7];
    if (s_prosecutor(self, req, &claims, prefix) < 0)
        return;
    const char *values[] = {prefix};
    s_call(self, req, "api_transfers", 1, values, NULL, false);
}

static void s_transfer_answer(router_api_t *self, gy_http_request_t *req, const char *id,
                              bool accept)
{
    gy_token_claims_t claims;
    char prefix[7];
    s_body_t b;
    /* Accepting needs no reason; disputing does (it goes to the superior). */
    if (s_action_head(self, req, id, !accept, &claims, prefix, &b, "transfer") < 0)
        return;
    router_transfer_step_t step = {.event =
                                       accept ? ROUTER_TRANSFER_ACCEPT : ROUTER_TRANSFER_DISPUTE,
                                   .id = id,
                                   .prefix = prefix,
                                   .actor = claims.sub,
                                   .reason = b.reason};
    s_transfer_run(self, req, &step);
    json_decref(b.root);
}

static void s_transfer_accept(router_api_t *self, gy_http_request_t *req, char **args)
{
    s_transfer_answer(self, req, args[0], true);
}

static void s_transfer_dispute(router_api_t *self, gy_http_request_t *req, char **args)
{
    s_transfer_answer(self, req, args[0], false);
}

static void s_transfer_decide(router_api_t *self, gy_http_request_t *req, char **args)
{
    s_procuratorate_call(self, req, args[0], "transfer", "procuratorate", ROUTER_TRANSFER_DECIDE);
}

/*  ---- assessment: volunteers' tasks and conflicts, prosecutors' review ---- */

/*  An appointed volunteer's token (its subject is their registry id), or
 *  an answer and -1.  Whether they are still appointed is the registry's
 *  business at login; tasks are theirs either way. */
static int s_volunteer(router_api_t *self, gy_http_request_t *req, gy_token_claims_t *claims)
{
    return gy_auth_guard(req, self->config.token_public, &s_assessors, claims, NULL);
}

static void s_tasks(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    gy_token_claims_t claims;
    if (s_volunteer(self, req, &claims) < 0)
        return;
    static const char *const statuses[] = {"assigned", "submitted", "late", "declined", NULL};
    s_page_call(self, req, claims.sub, "status", statuses, "api_tasks");
}

/*  An integer member from 1 to 5. */
static int s_score(json_t *root, const char *name, char out[4], router_error_t *err)
{
    json_t *v = json_object_get(root, name);
    if (!v || json_is_null(v)) {
        router_error_set(err, 400, "missing_field", name, "%s is required", name);
        return -1;
    }
    if (!json_is_integer(v)) {
        router_error_set(err, 400, "invalid_type", name, "%s must be a whole number", name);
        return -1;
    }
    json_int_t n = json_integer_value(v);
    if (n < 1 || n > 5) {
        router_error_set(err, 400, "invalid_value", name, "%s is from 1 to 5", name);
        return -1;
    }
    snprintf(out, 4, "%d", (int)n);
    return 0;
}

static void s_task_submit(router_api_t *self, gy_http_request_t *req, char **args)
{
    gy_token_claims_t claims;
    if (s_volunteer(self, req, &claims) < 0 || gy_require_json(req) < 0)
        return;
    size_t len;
    const char *body = gy_http_body(req, &len);
    json_t *root;
    router_error_t err;
    char credibility[4], severity[4], harm[4];
    const char *recommendation, *comment;
    if (router_body_parse(body, len, &root, &err) < 0) {
        gy_reply_error(req, &err);
        return;
    }
    if (s_score(root, "credibility", credibility, &err) < 0 ||
        s_score(root, "severity", severity, &err) < 0 ||
        s_score(root, "public_interest_harm", harm, &err) < 0 ||
        router_body_string(root, "recommendation", true, 1, 16, false, &recommendation, &err) < 0 ||
        router_body_string(root, "comment", false, 0, 2000, true, &comment, &err) < 0) {
        gy_reply_error(req, &err);
    } else if (strcmp(recommendation, "route") != 0 && strcmp(recommendation, "reject") != 0 &&
               strcmp(recommendation, "review") != 0) {
        gy_http_respond_error(req, 400, "invalid_value",
                              "recommendation is route, reject or review", "recommendation");
    } else if (!gy_uuid_valid(args[0])) {
        gy_http_respond_error(req, 404, "not_found", "no such task", NULL);
    } else {
        router_scores_t scores = {.credibility = atoi(credibility),
                                  .severity = atoi(severity),
                                  .harm = atoi(harm),
                                  .recommendation = recommendation,
                                  .comment = comment ? comment : ""};
        router_transfer_ctx_t ctx = s_decision_ctx(self);
        s_transfer_call_t *call = s_decision_call(self, req);
        s_decision_started(
            self, req, call,
            router_assess_submit(&ctx, args[0], claims.sub, &scores, s_on_transfer_answer, call));
    }
    json_decref(root);
}

static void s_task_decline(router_api_t *self, gy_http_request_t *req, char **args)
{
    gy_token_claims_t claims;
    if (s_volunteer(self, req, &claims) < 0)
        return;
    s_body_t b;
    router_error_t err;
    int rc = s_body(self, req, true, &b, &err);
    if (rc == -2)
        return;
    if (rc < 0) {
        gy_reply_error(req, &err);
        return;
    }
    if (!gy_uuid_valid(args[0])) {
        gy_http_respond_error(req, 404, "not_found", "no such task", NULL);
    } else {
        router_transfer_ctx_t ctx = s_decision_ctx(self);
        s_transfer_call_t *call = s_decision_call(self, req);
        s_decision_started(self, req, call,
                           router_assess_decline(&ctx, args[0], claims.sub, b.reason,
                                                 gy_now_ms() + self->config.assess_due_ms,
                                                 s_on_transfer_answer, call));
    }
    json_decref(b.root);
}

static void s_conflicts(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    gy_token_claims_t claims;
    if (s_volunteer(self, req, &claims) < 0)
        return;
    const char *values[] = {claims.sub};
    s_call(self, req, "api_conflicts", 1, values, NULL, false);
}

static void s_conflict_declare(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    gy_token_claims_t claims;
    if (s_volunteer(self, req, &claims) < 0)
        return;
    s_body_t b;
    router_error_t err;
    int rc = s_body(self, req, true, &b, &err);
    if (rc == -2)
        return;
    const char *kind = NULL, *value = NULL;
    if (rc == 0 && router_body_string(b.root, "kind", true, 1, 16, false, &kind, &err) == 0 &&
        router_body_string(b.root, "value", true, 1, 100, false, &value, &err) == 0) {
        if (strcmp(kind, "region") == 0 && !gy_refdata_region(self->config.refdata, value))
            router_error_set(&err, 422, "unknown_region_code", "value",
                             "value must be a region code of the reference data");
        else if (strcmp(kind, "region") != 0 && strcmp(kind, "keyword") != 0)
            router_error_set(&err, 400, "invalid_value", "kind", "kind is region or keyword");
        else
            rc = 1;
    }
    if (rc == 1) {
        const char *values[] = {claims.sub, kind, value, b.reason};
        s_change_t *c = s_change_new(self, req, S_CHANGE_CONFLICT, claims.sub,
                                     "api_conflict_declare", 4, values, NULL);
        c->conflict_kind = gy_strdup(kind);
        c->conflict_value = gy_strdup(value);
        c->by = gy_strdup(claims.sub);
        s_change_read(c);
    } else {
        gy_reply_error(req, &err);
    }
    json_decref(b.root);
}

static void s_clue_decide(router_api_t *self, gy_http_request_t *req, char **args)
{
    gy_token_claims_t claims;
    char prefix[7];
    s_body_t b;
    if (s_action_head(self, req, args[0], true, &claims, prefix, &b, "clue") < 0)
        return;
    router_error_t err;
    const char *decision, *code = NULL;
    static const char *const codes[] = {"no_public_interest", "out_of_scope", "insufficient_facts",
                                        "duplicate", NULL};
    bool ok = router_body_string(b.root, "decision", true, 1, 16, false, &decision, &err) == 0 &&
              router_body_string(b.root, "reason_code", false, 1, 32, false, &code, &err) == 0;
    if (ok && strcmp(decision, "route") != 0 && strcmp(decision, "reject") != 0) {
        router_error_set(&err, 400, "invalid_value", "decision", "decision is route or reject");
        ok = false;
    }
    if (ok && strcmp(decision, "reject") == 0) {
        bool known = false;
        for (const char *const *c = codes; code && *c && !known; c++)
            known = strcmp(code, *c) == 0;
        if (!known) {
            router_error_set(&err, 400, code ? "invalid_value" : "missing_field", "reason_code",
                             "a rejection needs reason_code: no_public_interest, out_of_scope, "
                             "insufficient_facts or duplicate");
            ok = false;
        }
    }
    if (ok) {
        router_transfer_ctx_t ctx = s_decision_ctx(self);
        s_transfer_call_t *call = s_decision_call(self, req);
        s_decision_started(self, req, call,
                           router_assess_review(&ctx, args[0], prefix, claims.sub, decision, code,
                                                b.reason, s_on_transfer_answer, call));
    } else {
        gy_reply_error(req, &err);
    }
    json_decref(b.root);
}

/*  ---- /api/v1/tokens: access tokens issued by administrators ----
 *
 *  Not rate-limited: only an administrator's token gets this far, and
 *  every issue is recorded with who issued it (docs/api.md). */

static void s_tokens_issue(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    gy_token_claims_t claims;
    char prefix[7];
    if (gy_auth_guard(req, self->config.token_public, &s_admins, &claims, prefix) < 0 ||
        gy_require_json(req) < 0 || !s_signs(self, req))
        return;
    size_t len;
    const char *body = gy_http_body(req, &len);
    router_token_request_t tr;
    router_error_t err;
    if (router_token_request_parse(&tr, body, len, self->config.refdata, prefix, &err) < 0) {
        gy_reply_error(req, &err);
        return;
    }
    s_transfer_call_t *call = s_decision_call(self, req);
    call->headers = S_NO_STORE; /* the one answer that shows the token: no cache keeps it */
    s_decision_started(self, req, call,
                       router_tokens_issue(self->config.pg, self->config.token_secret, &tr,
                                           claims.sub, s_on_transfer_answer, call));
    router_token_request_clear(&tr);
}

static void s_tokens_list(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    gy_token_claims_t claims;
    char prefix[7];
    if (gy_auth_guard(req, self->config.token_public, &s_admins, &claims, prefix) < 0)
        return;
    static const gy_page_spec_t spec = {NULL, NULL, 20, 100};
    gy_page_t page;
    gy_error_t err;
    if (gy_page_parse(&spec, gy_http_query(req), &page, &err) < 0) {
        gy_reply_error(req, &err);
        return;
    }
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, gy_now_ms());
    const char *values[] = {prefix, page.has_after ? page.after_us : NULL,
                            page.has_after ? page.after_id : NULL, page.limit_text, now};
    gy_reply_document(self->config.pg, &self->holds, req, "tokens_list", 5, values,
                      "no issued tokens");
}

/*  ---- routing ---- */

/*  The handlers take (api, request, path parameters in order); each
 *  table entry reaches one through its adapter. */
#define S_ROUTE(fn)                                                                                \
    static void fn##_route(gy_http_request_t *req, const gy_route_match_t *match, void *arg)       \
    {                                                                                              \
        fn(arg, req, (char **)match->values);                                                      \
    }

S_ROUTE(s_apply)
S_ROUTE(s_login)
S_ROUTE(s_session_create)
S_ROUTE(s_session_get)
S_ROUTE(s_session_delete)
S_ROUTE(s_list)
S_ROUTE(s_me)
S_ROUTE(s_conflicts)
S_ROUTE(s_conflict_declare)
S_ROUTE(s_get)
S_ROUTE(s_act)
S_ROUTE(s_clues)
S_ROUTE(s_clue)
S_ROUTE(s_reclassify)
S_ROUTE(s_transfer)
S_ROUTE(s_split)
S_ROUTE(s_clue_decide)
S_ROUTE(s_tasks)
S_ROUTE(s_task_submit)
S_ROUTE(s_task_decline)
S_ROUTE(s_merge)
S_ROUTE(s_transfers)
S_ROUTE(s_transfer_accept)
S_ROUTE(s_transfer_dispute)
S_ROUTE(s_transfer_decide)
S_ROUTE(s_tokens_issue)
S_ROUTE(s_tokens_list)

static const gy_route_t s_routes[] = {
    {"POST", "/api/v1/volunteers/applications", "volunteer_apply", s_apply_route},
    {"POST", "/api/v1/auth/login", "auth_login", s_login_route},
    {"POST", "/api/v1/auth/session", "auth_session_create", s_session_create_route},
    {"GET", "/api/v1/auth/session", "auth_session_get", s_session_get_route},
    {"DELETE", "/api/v1/auth/session", "auth_session_delete", s_session_delete_route},
    {"GET", "/api/v1/volunteers", "volunteers_list", s_list_route},
    {"GET", "/api/v1/volunteers/me", "volunteer_me", s_me_route},
    {"GET", "/api/v1/volunteers/me/conflicts", "conflicts_list", s_conflicts_route},
    {"POST", "/api/v1/volunteers/me/conflicts", "conflict_declare", s_conflict_declare_route},
    {"GET", "/api/v1/volunteers/{id}", "volunteer_get", s_get_route},
    {"POST", "/api/v1/volunteers/{id}/{action}", "volunteer_action", s_act_route},
    {"GET", "/api/v1/routed-clues", "clues_list", s_clues_route},
    {"GET", "/api/v1/routed-clues/{id}", "clue_get", s_clue_route},
    {"POST", "/api/v1/routed-clues/{id}/reclassify", "clue_reclassify", s_reclassify_route},
    {"POST", "/api/v1/routed-clues/{id}/transfer", "clue_transfer", s_transfer_route},
    {"POST", "/api/v1/routed-clues/{id}/split", "clue_split", s_split_route},
    {"POST", "/api/v1/routed-clues/{id}/decide", "clue_decide", s_clue_decide_route},
    {"GET", "/api/v1/tasks", "tasks_list", s_tasks_route},
    {"POST", "/api/v1/tasks/{id}/assessment", "task_submit", s_task_submit_route},
    {"POST", "/api/v1/tasks/{id}/decline", "task_decline", s_task_decline_route},
    {"POST", "/api/v1/clusters/{id}/merge", "cluster_merge", s_merge_route},
    {"GET", "/api/v1/transfers", "transfers_list", s_transfers_route},
    {"POST", "/api/v1/transfers/{id}/accept", "transfer_accept", s_transfer_accept_route},
    {"POST", "/api/v1/transfers/{id}/dispute", "transfer_dispute", s_transfer_dispute_route},
    {"POST", "/api/v1/transfers/{id}/decide", "transfer_decide", s_transfer_decide_route},
    {"POST", "/api/v1/tokens", "tokens_issue", s_tokens_issue_route},
    {"GET", "/api/v1/tokens", "tokens_list", s_tokens_list_route},
    {NULL, NULL, NULL, NULL},
};

bool router_api_handle(router_api_t *self, gy_http_request_t *req)
{
    if (self)
        return gy_route_dispatch_or(s_routes, req, self, false);
    if (strncmp(gy_http_path(req), "/api/", 5) != 0)
        return false;
    gy_http_respond_error(req, 503, "api_unavailable",
                          "the router's API is off on this instance (no GY_SEAL_KEY_FILE)", NULL);
    return true;
}

/*  ---- settings ---- */

int router_api_settings_load(router_api_settings_t *settings, bool assessment)
{
    const char *seal = gy_config_str("GY_SEAL_KEY_FILE", NULL);
    settings->on = seal != NULL;
    if (!seal)
        gy_log_warning("the router's API (volunteers, routed clues) is off: GY_SEAL_KEY_FILE is "
                       "not set (its endpoints answer 503); clues are routed all the same");
    else if (gy_crypto_load_key(seal, settings->seal_key) < 0)
        return -1;
    const char *pk = gy_config_str("GY_TOKEN_PUBLIC_KEY_FILE", NULL);
    if (pk) {
        if (gy_token_load_key(pk, settings->token_public, sizeof settings->token_public) < 0)
            return -1;
        settings->has_token_public = true;
    }
    const char *sk = gy_config_str("GY_TOKEN_SECRET_KEY_FILE", NULL);
    if (sk) {
        if (gy_token_load_key(sk, settings->token_secret, sizeof settings->token_secret) < 0)
            return -1;
        settings->has_token_secret = true;
    }
    if (gy_config_int("GY_TOKEN_TTL_S", INT64_C(12) * 3600, 60, INT64_C(30) * 86400,
                      &settings->token_ttl_s) < 0 ||
        gy_config_int("GY_RATE_LIMIT_APPLY_PER_HOUR", 10, 0, 1000000, &settings->apply_per_hour) <
            0 ||
        gy_config_int("GY_RATE_LIMIT_LOGIN_PER_MIN", 10, 0, 1000000, &settings->login_per_min) <
            0 ||
        gy_config_switch("GY_SESSION_COOKIE_SECURE", false, &settings->cookie_secure) < 0)
        return -1;
    if (assessment && !settings->on) {
        gy_log_error("GY_ASSESSMENT=on needs the router's API, where assessors log in and "
                     "submit: set GY_SEAL_KEY_FILE");
        return -1;
    }
    return 0;
}

void router_api_settings_clear(router_api_settings_t *settings)
{
    sodium_memzero(settings->seal_key, sizeof settings->seal_key);
    sodium_memzero(settings->token_secret, sizeof settings->token_secret);
}

/*  ---- lifecycle ---- */

router_api_t *router_api_new(uv_loop_t *loop, const router_api_config_t *config)
{
    assert(loop && config && config->pg && config->refdata && config->seal_key && config->limiter);
    if (router_password_init() < 0)
        return NULL;
    router_api_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    self->config = *config;
    gy_holds_init(&self->holds, free, self);
    if (self->config.token_ttl_s <= 0)
        self->config.token_ttl_s = INT64_C(12) * 3600;
    return self;
}

router_api_t *router_api_start(gy_node_t *node, const router_api_settings_t *settings,
                               const gy_refdata_t *refdata, int64_t assess_due_ms)
{
    assert(node && settings && settings->on);
    gy_pg_t *pg = gy_node_pg(node, "pg api", NULL, NULL);
    router_api_prepare(pg);
    router_api_config_t config = {
        .pg = pg,
        .refdata = refdata,
        .seal_key = settings->seal_key,
        .token_public = settings->has_token_public ? settings->token_public : NULL,
        .token_secret = settings->has_token_secret ? settings->token_secret : NULL,
        .token_ttl_s = settings->token_ttl_s,
        .limiter = gy_node_limiter(node),
        .apply_per_hour = (uint32_t)settings->apply_per_hour,
        .login_per_min = (uint32_t)settings->login_per_min,
        .cookie_secure = settings->cookie_secure,
        .producer = gy_node_producer(node),
        .outbox = gy_node_outbox(node),
        .assess_due_ms = assess_due_ms,
    };
    return router_api_new(gy_node_loop(node), &config);
}

void router_api_destroy(router_api_t **self_p)
{
    assert(self_p);
    router_api_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    gy_holds_stop(&self->holds); /* freed now, or by the last callback that held it */
}
