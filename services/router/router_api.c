/*  router_api — see router_api.h. */
#include "router_api.h"

#include <assert.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <strings.h>

#include "gy_crypto.h"
#include "gy_token.h"
#include "gy_util.h"
#include "router_volunteer.h"

#define S_HOUR_MS 3600000
#define S_MINUTE_MS 60000
#define S_PAGE_DEFAULT 20
#define S_PAGE_MAX 100

struct router_api {
    uv_loop_t *loop;
    router_api_config_t config; /* borrowed pointers, see router_api.h */
    size_t working;             /* requests on the thread pool */
    bool destroyed;             /* destroy ran: the last thread-pool callback frees */
};

/*  Statements.  Each write is one call of a registry function that answers
 *  {"status","body"} (migrations/0002_volunteers.sql). */
static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    {"api_apply", "SELECT router.api_apply($1, $2, $3::bytea, $4, $5, $6::json, $7::json, $8)::text"},
    {"api_login", "SELECT id, password_hash, status, procuratorate, coalesce(term_ok, false) "
                  "FROM router.login_lookup($1)"},
    {"api_volunteers",
     "SELECT router.api_volunteers($1, $2, 'epoch'::timestamptz + $3::bigint * interval "
     "'1 microsecond', $4::uuid, $5::integer)::text"},
    {"api_volunteer", "SELECT answer::text, person FROM router.api_volunteer($1::uuid, $2, $3, "
                      "$4, $5)"},
    {"api_volunteer_action",
     "SELECT router.api_volunteer_action($1::uuid, $2, $3, $4, $5, $6, $7::date, $8::date, "
     "$9::json, $10::json)::text"},
};

void router_api_prepare(gy_pg_t *pg)
{
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        gy_pg_prepare(pg, s_statements[i].name, s_statements[i].sql);
}

/*  ---- answers ---- */

static void s_respond_json(gy_http_request_t *req, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    gy_http_respond(req, status, NULL, NULL, text, strlen(text));
    free(text);
    json_decref(body);
}

static void s_respond_error(gy_http_request_t *req, const router_error_t *err)
{
    gy_http_respond_error(req, err->http_status, err->code, err->message,
                          err->field[0] ? err->field : NULL);
}

static void s_unavailable(gy_http_request_t *req)
{
    gy_http_respond_error(req, 503, "unavailable",
                          "the volunteer registry is unavailable; nothing was changed; retry later",
                          NULL);
}

static void s_respond_401(gy_http_request_t *req, const char *code, const char *message)
{
    json_t *body = json_pack("{s:{s:s,s:s,s:s}}", "error", "code", code, "message", message,
                             "field", "Authorization");
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    gy_http_respond(req, 401, NULL, "WWW-Authenticate: Bearer\r\n", text, strlen(text));
    free(text);
}

/*  ---- checks shared by the routes ---- */

/*  The caller's verified claims, or an answer (401) and -1. */
static int s_authenticate(router_api_t *self, gy_http_request_t *req, gy_token_claims_t *claims)
{
    const char *auth = gy_http_header(req, "Authorization");
    if (!auth) {
        s_respond_401(req, "unauthenticated", "this needs a bearer token (Authorization: Bearer ...)");
        return -1;
    }
    const char *why = NULL;
    if (strncasecmp(auth, "Bearer ", 7) != 0)
        why = "Authorization must be \"Bearer <token>\"";
    else if (!self->config.token_public)
        why = "bearer tokens are not accepted: this instance has no token key";
    else {
        gy_token_status_t st =
            gy_token_verify(self->config.token_public, auth + 7, gy_now_ms() / 1000, claims);
        if (st == GY_TOKEN_EXPIRED)
            why = "the bearer token has expired";
        else if (st != GY_TOKEN_OK)
            why = "the bearer token is not valid";
    }
    if (why) {
        s_respond_401(req, "invalid_token", why);
        return -1;
    }
    return 0;
}

/*  A manager (prosecutor, chief prosecutor, administrator) with a usable
 *  scope, or an answer and -1. */
static int s_manager(router_api_t *self, gy_http_request_t *req, gy_token_claims_t *claims,
                     char prefix[7])
{
    if (s_authenticate(self, req, claims) < 0)
        return -1;
    if (!router_role_manages(claims->role) || router_scope_prefix(claims->proc, prefix) < 0) {
        gy_http_respond_error(req, 403, "forbidden",
                              "only a prosecutor or an administrator of a procuratorate may do this",
                              NULL);
        return -1;
    }
    return 0;
}

static int s_require_json_body(gy_http_request_t *req)
{
    const char *type = gy_http_header(req, "Content-Type");
    if (!type || strncasecmp(type, "application/json", 16) != 0 ||
        (type[16] && type[16] != ';' && type[16] != ' ')) {
        gy_http_respond_error(req, 415, "unsupported_media_type",
                              "Content-Type must be application/json", "Content-Type");
        return -1;
    }
    return 0;
}

static bool s_uuid_ok(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

/*  ---- one SQL call answering {"status","body"} ---- */

typedef struct {
    router_api_t *api;
    gy_http_request_t *req;
    bool has_person;   /* the statement's column 1 is a sealed person */
    char *answer;      /* column 0 */
    uint8_t *person;   /* column 1 (sealed), when has_person */
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
    json_t *answer = call->answer ? json_loads(call->answer, 0, NULL) : NULL;
    json_t *body = answer ? json_object_get(answer, "body") : NULL;
    int http = answer ? (int)json_integer_value(json_object_get(answer, "status")) : 0;
    if (status == GY_PG_ERROR && strncmp(sqlstate, "23", 2) == 0) {
        /* Two requests raced for the same unique value; the other won. */
        gy_http_respond_error(call->req, 409, "conflict",
                              "this conflicts with a change made at the same time; reload and retry",
                              NULL);
    } else if (status != GY_PG_OK) {
        s_unavailable(call->req);
    } else if (!answer || !json_is_object(body) || http < 200 || http > 599) {
        gy_log_error("registry answer is not {\"status\",\"body\"}: %.200s",
                     call->answer ? call->answer : "(no row)");
        gy_http_respond_error(call->req, 500, "internal", "internal error; nothing was changed",
                              NULL);
    } else if (call->person && http == 200 &&
               s_add_person(call->api, body, call->person, call->person_len) < 0) {
        gy_log_error("a volunteer's personal data cannot be opened with this seal key");
        gy_http_respond_error(call->req, 500, "internal",
                              "personal data cannot be opened with this instance's key", NULL);
    } else {
        s_respond_json(call->req, http, json_incref(body));
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
    }
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

static void s_work_done(uv_work_t *uv, int status)
{
    s_work_t *work = uv->data;
    router_api_t *api = work->api;
    api->working--;
    if (api->destroyed || status != 0) {
        gy_http_respond_error(work->req, 503, "unavailable", "the service is stopping", NULL);
    } else {
        work->after(work);
    }
    s_work_free(work);
    if (api->destroyed && api->working == 0)
        free(api);
}

static void s_work_start(s_work_t *work)
{
    work->uv.data = work;
    if (uv_queue_work(work->api->loop, &work->uv, s_work_run, s_work_done) != 0) {
        s_unavailable(work->req);
        s_work_free(work);
        return;
    }
    work->api->working++;
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
    const char *values[] = {work->app.login,      work->hash,           (const char *)sealed,
                            work->app.procuratorate, work->app.city,    work->app.expertise,
                            work->app.roles,      work->app.statement};
    const int lengths[] = {0, 0, (int)sealed_len, 0, 0, 0, 0, 0};
    s_call(self, work->req, "api_apply", 8, values, lengths, false);
    free(sealed);
}

static void s_on_apply_limit(void *arg, bool allowed)
{
    s_work_t *work = arg;
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
    if (s_require_json_body(req) < 0)
        return;
    size_t len;
    const char *body = gy_http_body(req, &len);
    router_error_t err;
    s_work_t *work = gy_calloc(1, sizeof *work);
    work->api = self;
    work->req = req;
    work->after = s_apply_hashed;
    if (router_application_parse(&work->app, body, len, self->config.refdata, &err) < 0) {
        s_respond_error(req, &err);
        s_work_free(work);
        return;
    }
    char key[80];
    snprintf(key, sizeof key, "apply:%s", gy_http_client_addr(req));
    gy_ratelimit_check(self->config.limiter, key, self->config.apply_per_hour, S_HOUR_MS,
                       s_on_apply_limit, work);
}

/*  ---- POST /api/v1/auth/login ---- */

static void s_login_verified(s_work_t *work)
{
    router_api_t *self = work->api;
    if (!work->verified) {
        gy_http_respond_error(work->req, 401, "invalid_credentials",
                              "the login or the password is wrong", NULL);
        return;
    }
    if (strcmp(work->status, "appointed") != 0) {
        gy_http_respond_error(work->req, 403, "not_appointed",
                              strcmp(work->status, "applied") == 0
                                  ? "the application has not been decided yet"
                                  : "this volunteer is not appointed now",
                              NULL);
        return;
    }
    if (!work->term_ok) {
        gy_http_respond_error(work->req, 403, "term_expired",
                              "the appointment's term has not begun or has ended", NULL);
        return;
    }
    gy_token_claims_t claims = {0};
    snprintf(claims.sub, sizeof claims.sub, "%s", work->id);
    snprintf(claims.role, sizeof claims.role, "volunteer");
    snprintf(claims.proc, sizeof claims.proc, "%s", work->procuratorate);
    claims.iat = gy_now_ms() / 1000;
    claims.exp = claims.iat + self->config.token_ttl_s;
    char *token = gy_token_issue(self->config.token_secret, &claims);
    s_respond_json(work->req, 200,
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
    if (status != GY_PG_OK) {
        s_unavailable(work->req);
        s_work_free(work);
        return;
    }
    s_work_start(work); /* an unknown login is verified against a fixed hash: same time */
}

static void s_on_login_limit(void *arg, bool allowed);

static void s_on_login_address_limit(void *arg, bool allowed)
{
    s_work_t *work = arg;
    if (!allowed) {
        s_on_login_limit(arg, false);
        return;
    }
    char key[80];
    snprintf(key, sizeof key, "login:%s", work->login.login);
    gy_ratelimit_check(work->api->config.limiter, key, work->api->config.login_per_min,
                       S_MINUTE_MS, s_on_login_limit, work);
}

static void s_on_login_limit(void *arg, bool allowed)
{
    s_work_t *work = arg;
    if (!allowed) {
        gy_http_respond_error(work->req, 429, "rate_limited",
                              "too many login attempts; wait a minute", NULL);
        s_work_free(work);
        return;
    }
    const char *values[] = {work->login.login};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "api_login", 1, values, NULL);
    if (gy_pg_run(work->api->config.pg, &tx, s_on_login_row, s_on_login_done, work) < 0) {
        s_unavailable(work->req);
        s_work_free(work);
    }
}

static void s_login(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    if (s_require_json_body(req) < 0)
        return;
    if (!self->config.token_secret) {
        gy_http_respond_error(req, 503, "login_unavailable",
                              "this instance cannot sign tokens (no GY_TOKEN_SECRET_KEY_FILE)",
                              NULL);
        return;
    }
    size_t len;
    const char *body = gy_http_body(req, &len);
    router_error_t err;
    s_work_t *work = gy_calloc(1, sizeof *work);
    work->api = self;
    work->req = req;
    work->after = s_login_verified;
    if (router_login_parse(&work->login, body, len, &err) < 0) {
        s_respond_error(req, &err);
        s_work_free(work);
        return;
    }
    char key[80];
    snprintf(key, sizeof key, "login-ip:%s", gy_http_client_addr(req));
    gy_ratelimit_check(self->config.limiter, key, self->config.login_per_min, S_MINUTE_MS,
                       s_on_login_address_limit, work);
}

/*  ---- GET /api/v1/volunteers ---- */

/*  The value of `name` in a query string, decoded only as far as our
 *  values need (no escapes are valid in them): NULL when absent. */
static int s_query_params(const char *query, char *status, size_t status_size, char *after,
                          size_t after_size, char *limit, size_t limit_size,
                          router_error_t *err)
{
    status[0] = after[0] = limit[0] = '\0';
    const char *p = query;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t klen = eq ? (size_t)(eq - p) : n;
        const char *v = eq ? eq + 1 : p + n;
        size_t vlen = (size_t)(p + n - v);
        char *dst = NULL;
        size_t size = 0;
        if (klen == 6 && strncmp(p, "status", 6) == 0)
            dst = status, size = status_size;
        else if (klen == 5 && strncmp(p, "after", 5) == 0)
            dst = after, size = after_size;
        else if (klen == 5 && strncmp(p, "limit", 5) == 0)
            dst = limit, size = limit_size;
        if (n > 0 && !dst) {
            router_error_set(err, 400, "unknown_parameter", NULL,
                             "unknown query parameter (status, after and limit are known)");
            return -1;
        }
        if (dst) {
            if (vlen == 0 || vlen >= size) {
                router_error_set(err, 400, "invalid_value", dst == status ? "status"
                                                            : dst == after ? "after"
                                                                           : "limit",
                                 "a query parameter is empty or too long");
                return -1;
            }
            memcpy(dst, v, vlen);
            dst[vlen] = '\0';
        }
        p += n + (end ? 1 : 0);
    }
    return 0;
}

static void s_list(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    gy_token_claims_t claims;
    char prefix[7];
    if (s_manager(self, req, &claims, prefix) < 0)
        return;
    char status[16], after[64], limit_text[8];
    router_error_t err;
    if (s_query_params(gy_http_query(req), status, sizeof status, after, sizeof after, limit_text,
                       sizeof limit_text, &err) < 0) {
        s_respond_error(req, &err);
        return;
    }
    static const char *const statuses[] = {"applied", "appointed", "suspended", "rejected",
                                           "dismissed", NULL};
    bool known = !status[0];
    for (const char *const *s = statuses; *s && !known; s++)
        known = strcmp(status, *s) == 0;
    if (!known) {
        gy_http_respond_error(req, 400, "invalid_value",
                              "status is one of applied, appointed, suspended, rejected, dismissed",
                              "status");
        return;
    }
    long limit = S_PAGE_DEFAULT;
    if (limit_text[0]) {
        char *end;
        limit = strtol(limit_text, &end, 10);
        if (*end || limit < 1 || limit > S_PAGE_MAX) {
            gy_http_respond_error(req, 400, "invalid_value", "limit is a number from 1 to 100",
                                  "limit");
            return;
        }
    }
    /* The cursor is the last row's keyset: "<microseconds since 1970>.<id>". */
    char *after_id = after[0] ? strchr(after, '.') : NULL;
    if (after[0]) {
        bool ok = after_id && after_id > after && (size_t)(after_id - after) <= 18;
        for (char *c = after; ok && c < after_id; c++)
            ok = isdigit((unsigned char)*c);
        if (!ok || !s_uuid_ok(after_id + 1)) {
            gy_http_respond_error(req, 400, "invalid_value",
                                  "after must be the \"next\" value of the previous page", "after");
            return;
        }
        *after_id++ = '\0';
    }
    char limit_value[8];
    snprintf(limit_value, sizeof limit_value, "%ld", limit);
    const char *values[] = {prefix, status[0] ? status : NULL, after[0] ? after : NULL, after_id,
                            limit_value};
    s_call(self, req, "api_volunteers", 5, values, NULL, false);
}

/*  ---- GET /api/v1/volunteers/me and /api/v1/volunteers/{id} ---- */

static void s_me(router_api_t *self, gy_http_request_t *req, char **args)
{
    (void)args;
    gy_token_claims_t claims;
    if (s_authenticate(self, req, &claims) < 0)
        return;
    if (strcmp(claims.role, "volunteer") != 0 || !s_uuid_ok(claims.sub)) {
        gy_http_respond_error(req, 403, "forbidden", "only a volunteer has a registry record",
                              NULL);
        return;
    }
    const char *values[] = {claims.sub, NULL, claims.sub, claims.role, claims.proc};
    s_call(self, req, "api_volunteer", 5, values, NULL, true);
}

static void s_get(router_api_t *self, gy_http_request_t *req, char **args)
{
    gy_token_claims_t claims;
    char prefix[7];
    if (s_manager(self, req, &claims, prefix) < 0)
        return;
    if (!s_uuid_ok(args[0])) {
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
    if (len && s_require_json_body(req) < 0)
        return;
    router_action_t act;
    router_error_t err;
    if (router_action_parse(&act, args[1], body, len, self->config.refdata, &err) < 0) {
        s_respond_error(req, &err);
        return;
    }
    if (!s_uuid_ok(args[0])) {
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
    s_call(self, req, "api_volunteer_action", 10, values, NULL, false);
    router_action_clear(&act);
}

/*  ---- routing ---- */

typedef void(s_route_fn)(router_api_t *self, gy_http_request_t *req, char **args);

typedef struct {
    const char *method;
    const char *pattern; /* "*" matches one path segment, passed in args */
    const char *route;   /* metrics label */
    s_route_fn *fn;
} s_route_t;

/*  Literal routes come before the patterns that would also match them. */
static const s_route_t s_routes[] = {
    {"POST", "/api/v1/volunteers/applications", "volunteer_apply", s_apply},
    {"POST", "/api/v1/auth/login", "auth_login", s_login},
    {"GET", "/api/v1/volunteers", "volunteers_list", s_list},
    {"GET", "/api/v1/volunteers/me", "volunteer_me", s_me},
    {"GET", "/api/v1/volunteers/*", "volunteer_get", s_get},
    {"POST", "/api/v1/volunteers/*/*", "volunteer_action", s_act},
    {NULL, NULL, NULL, NULL},
};

/*  Matches path against pattern, copying "*" segments into buf and args. */
static bool s_match(const char *pattern, const char *path, char *buf, size_t size, char **args,
                    bool *literal)
{
    size_t used = 0;
    int nargs = 0;
    *literal = true;
    while (*pattern && *path) {
        if (*pattern == '*') {
            size_t n = strcspn(path, "/");
            if (n == 0 || used + n + 1 > size || nargs == 2)
                return false;
            memcpy(buf + used, path, n);
            buf[used + n] = '\0';
            args[nargs++] = buf + used;
            used += n + 1;
            path += n;
            pattern++;
            *literal = false;
        } else if (*pattern++ != *path++) {
            return false;
        }
    }
    return !*pattern && !*path;
}

bool router_api_handle(router_api_t *self, gy_http_request_t *req)
{
    const char *path = gy_http_path(req);
    const char *method = gy_http_method(req);
    char buf[256], *args[2] = {NULL, NULL};
    const s_route_t *found = NULL, *other = NULL;
    bool literal_other = false;
    for (const s_route_t *r = s_routes; r->method && !found; r++) {
        bool literal;
        if (!s_match(r->pattern, path, buf, sizeof buf, args, &literal))
            continue;
        if (strcmp(method, r->method) == 0 && !(literal_other && !literal))
            found = r;
        else if (!other || (literal && !literal_other)) {
            other = r;
            literal_other = literal;
        }
    }
    if (found) {
        gy_http_set_route(req, found->route);
        found->fn(self, req, args);
        return true;
    }
    if (other) {
        gy_http_set_route(req, other->route);
        char allow[48];
        snprintf(allow, sizeof allow, "Allow: %s\r\n", other->method);
        const char *text = "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"this method "
                           "is not allowed here\",\"field\":null}}";
        gy_http_respond(req, 405, NULL, allow, text, strlen(text));
        return true;
    }
    return false;
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
    if (self->config.token_ttl_s <= 0)
        self->config.token_ttl_s = 12 * 3600;
    return self;
}

void router_api_destroy(router_api_t **self_p)
{
    assert(self_p);
    router_api_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    if (self->working > 0)
        self->destroyed = true; /* s_work_done frees after the last one */
    else
        free(self);
}
