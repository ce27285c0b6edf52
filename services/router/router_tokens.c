/*  router_tokens — see router_tokens.h. */
#include "router_tokens.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_crypto.h"
#include "gy_scope.h"
#include "gy_util.h"

#define S_DAY_S INT64_C(86400)

/*  gy_token's roles (gy-token issue) but volunteer, who logs in with a
 *  password and whose subject must be their registry id. */
static const char *const s_issuable[] = {"prosecutor", "chief_prosecutor", "admin", "integrator",
                                         NULL};

static const char *const s_members[] = {"sub", "role", "proc", "ttl_days", "purpose", NULL};

bool router_token_role_issuable(const char *role)
{
    for (const char *const *r = s_issuable; *r; r++)
        if (strcmp(role, *r) == 0)
            return true;
    return false;
}

/*  What a token's claim may hold, as gy-token issue checks it: the claim
 *  goes into every log line and access record, so no blanks or control
 *  characters that would make one subject look like another. */
static bool s_claim_text_ok(const char *s)
{
    for (const char *c = s; *c; c++)
        if (*c <= ' ' || *c > '~')
            return false;
    return true;
}

static int s_sub(json_t *root, char out[ROUTER_TOKEN_SUB_MAX + 1], gy_error_t *err)
{
    const char *sub;
    if (gy_json_text(json_object_get(root, "sub"), "sub", true, 1, ROUTER_TOKEN_SUB_MAX, false,
                     &sub, err) < 0)
        return -1;
    if (!s_claim_text_ok(sub)) {
        gy_error_set(err, 400, "invalid_value", "sub",
                     "sub must be printable ASCII without spaces (a staff number, a name in "
                     "pinyin, a system's name)");
        return -1;
    }
    snprintf(out, ROUTER_TOKEN_SUB_MAX + 1, "%s", sub);
    return 0;
}

static int s_role(json_t *root, char out[33], gy_error_t *err)
{
    const char *role;
    if (gy_json_text(json_object_get(root, "role"), "role", true, 1, 32, false, &role, err) < 0)
        return -1;
    if (strcmp(role, "volunteer") == 0) {
        gy_error_set(err, 400, "invalid_value", "role",
                     "a volunteer logs in with their login and password; no token is issued "
                     "for one");
        return -1;
    }
    if (!router_token_role_issuable(role)) {
        gy_error_set(err, 400, "invalid_value", "role",
                     "role is prosecutor, chief_prosecutor, admin or integrator");
        return -1;
    }
    snprintf(out, 33, "%s", role);
    return 0;
}

static int s_proc(json_t *root, const gy_refdata_t *refdata, const char *prefix, char out[7],
                  gy_error_t *err)
{
    const char *proc;
    if (gy_json_text(json_object_get(root, "proc"), "proc", true, 1, 6, false, &proc, err) < 0)
        return -1;
    if (!gy_scope_code_valid(proc)) {
        gy_error_set(err, 400, "invalid_value", "proc", "proc is a six-digit region code");
        return -1;
    }
    if (!gy_refdata_region(refdata, proc)) {
        gy_error_set(err, 422, "unknown_region_code", "proc",
                     "proc must be the region code of a procuratorate in the reference data");
        return -1;
    }
    if (!gy_scope_within(proc, prefix)) {
        gy_error_set(err, 403, "forbidden", "proc",
                     "an administrator issues tokens only for their own procuratorate and those "
                     "below it");
        return -1;
    }
    memcpy(out, proc, 7);
    return 0;
}

static int s_ttl_days(json_t *root, int *out, gy_error_t *err)
{
    json_t *v = json_object_get(root, "ttl_days");
    if (!v || json_is_null(v)) {
        *out = ROUTER_TOKEN_DAYS_DEFAULT;
        return 0;
    }
    if (!json_is_integer(v)) {
        gy_error_set(err, 400, "invalid_type", "ttl_days", "ttl_days must be a whole number");
        return -1;
    }
    json_int_t days = json_integer_value(v);
    if (days < 1 || days > ROUTER_TOKEN_DAYS_MAX) {
        gy_error_set(err, 400, "invalid_value", "ttl_days", "ttl_days is from 1 to %d",
                     ROUTER_TOKEN_DAYS_MAX);
        return -1;
    }
    *out = (int)days;
    return 0;
}

int router_token_request_parse(router_token_request_t *tr, const char *body, size_t len,
                               const gy_refdata_t *refdata, const char *prefix, gy_error_t *err)
{
    assert(tr && refdata && prefix && err);
    memset(tr, 0, sizeof *tr);
    json_t *root = gy_json_object_load(body, len, err);
    if (!root)
        return -1;
    const char *purpose = NULL;
    int rc = -1;
    /*  In the order of the form, so the first mistake a user sees is the
     *  first field's. */
    if (gy_json_known(root, "", s_members, err) == 0 && s_sub(root, tr->sub, err) == 0 &&
        s_role(root, tr->role, err) == 0 && s_proc(root, refdata, prefix, tr->proc, err) == 0 &&
        s_ttl_days(root, &tr->ttl_days, err) == 0 &&
        gy_json_text(json_object_get(root, "purpose"), "purpose", true, 1, ROUTER_TOKEN_PURPOSE_MAX,
                     true, &purpose, err) == 0) {
        tr->purpose = gy_strdup(purpose);
        rc = 0;
    }
    json_decref(root);
    return rc;
}

void router_token_request_clear(router_token_request_t *tr)
{
    if (!tr)
        return;
    free(tr->purpose);
    memset(tr, 0, sizeof *tr);
}

void router_token_claims(const router_token_request_t *tr, int64_t now_s, gy_token_claims_t *claims)
{
    assert(tr && claims);
    memset(claims, 0, sizeof *claims);
    snprintf(claims->sub, sizeof claims->sub, "%s", tr->sub);
    snprintf(claims->role, sizeof claims->role, "%s", tr->role);
    snprintf(claims->proc, sizeof claims->proc, "%s", tr->proc);
    claims->iat = now_s;
    claims->exp = now_s + tr->ttl_days * S_DAY_S;
}

/*  ---- the record ---- */

void router_tokens_prepare(gy_pg_t *pg)
{
    /*  The time comes from the process clock (gy_now_ms), never now(): a
     *  test puts the whole process on a date, and the record must say
     *  what the token says. */
    gy_pg_prepare(pg, "tokens_issue",
                  "INSERT INTO router.issued_token AS t (id, sub, role, proc, expires_at, purpose, "
                  "issued_by, issued_at, token_sha256) VALUES ($1::uuid, $2, $3, $4, "
                  "'epoch'::timestamptz + $5::bigint * interval '1 second', $6, $7, "
                  "'epoch'::timestamptz + $8::bigint * interval '1 millisecond', $9::bytea) "
                  "RETURNING router.issued_token_json(t)::text");
    gy_pg_prepare(pg, "tokens_list",
                  "SELECT router.api_issued_tokens($1, 'epoch'::timestamptz + $2::bigint * "
                  "interval '1 microsecond', $3::uuid, $4::integer, 'epoch'::timestamptz + "
                  "$5::bigint * interval '1 millisecond')::text");
}

typedef struct {
    router_answer_cb *cb;
    void *arg;
    char id[37];
    char *token; /* the signed text: wiped when freed */
    char *stored;
} s_issue_t;

static void s_issue_free(s_issue_t *job)
{
    if (job->token) {
        sodium_memzero(job->token, strlen(job->token));
        free(job->token);
    }
    free(job->stored);
    free(job);
}

static void s_on_issue_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_issue_t *job = arg;
    (void)index;
    if (gy_pg_ntuples(res) == 1 && !job->stored)
        job->stored = gy_strdup(gy_pg_value(res, 0, 0));
}

static void s_on_issue_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_issue_t *job = arg;
    json_t *body;
    router_answer_t answer;
    if (status == GY_PG_ERROR && strcmp(sqlstate, "23505") == 0) {
        /*  Signing is deterministic and iat counts seconds: the same claims
         *  twice within one second are the same token, which is recorded
         *  once (a double click, most likely; the first answer showed it). */
        answer = (router_answer_t){.status = 409, .code = "already_issued"};
        snprintf(answer.message, sizeof answer.message,
                 "the same token (holder, role, procuratorate, validity) was issued within "
                 "this second; if it is needed again, issue it again in a second");
        job->cb(job->arg, &answer);
        s_issue_free(job);
        return;
    }
    /*  Nothing else to decide again on a conflict: as many tries as
     *  allowed means none. */
    switch (router_write_judge(status, sqlstate, ROUTER_WRITE_TRIES, job->stored, true, NULL,
                               "token issue", job->id, &body, &answer)) {
    case ROUTER_WRITE_STORED:
        json_object_set_new(body, "token", json_string(job->token));
        answer = (router_answer_t){.status = 201, .body = body};
        break;
    case ROUTER_WRITE_RETRY:
    case ROUTER_WRITE_UNAVAILABLE:
        answer = (router_answer_t){.status = 503, .code = "unavailable"};
        snprintf(answer.message, sizeof answer.message,
                 "the token could not be recorded, so it was not issued; retry later");
        break;
    case ROUTER_WRITE_FAILED: break;
    }
    job->cb(job->arg, &answer);
    s_issue_free(job);
}

int router_tokens_issue(gy_pg_t *pg, const uint8_t secret_key[GY_TOKEN_SECRET_KEY_BYTES],
                        const router_token_request_t *tr, const char *issued_by,
                        router_answer_cb *cb, void *arg)
{
    assert(pg && secret_key && tr && tr->purpose && issued_by && cb);
    int64_t now_ms = gy_now_ms();
    gy_token_claims_t claims;
    router_token_claims(tr, now_ms / 1000, &claims);
    s_issue_t *job = gy_calloc(1, sizeof *job);
    job->cb = cb;
    job->arg = arg;
    gy_uuid(job->id);
    job->token = gy_token_issue(secret_key, &claims);
    assert(job->token); /* NULL only for claims that are not UTF-8: parse let none through */
    /*  Only a digest is kept: enough to tell which record a token shown
     *  later belongs to, useless for signing in. */
    uint8_t digest[32];
    gy_sha256(job->token, strlen(job->token), digest);
    char expires[24], issued[24];
    snprintf(expires, sizeof expires, "%" PRId64, claims.exp);
    snprintf(issued, sizeof issued, "%" PRId64, now_ms);
    const char *values[] = {job->id,   tr->sub, tr->role,
                            tr->proc,  expires, tr->purpose,
                            issued_by, issued,  (const char *)digest};
    const int lengths[] = {0, 0, 0, 0, 0, 0, 0, 0, (int)sizeof digest};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "tokens_issue", 9, values, lengths);
    if (gy_pg_run(pg, &tx, s_on_issue_row, s_on_issue_done, job) < 0) {
        s_issue_free(job);
        return -1;
    }
    return 0;
}
