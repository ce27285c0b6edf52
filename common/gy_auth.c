/*  gy_auth — see gy_auth.h. */
#include "gy_auth.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gy_scope.h"
#include "gy_util.h"

/*  Bearer tokens remembered as verified (gy_token_cache_t): about 200
 *  bytes each, more than the people one instance serves at once. */
#define S_TOKEN_CACHE_SLOTS 4096

static void s_respond_401(gy_http_request_t *req, const char *code, const char *message)
{
    char *text = gy_error_body(code, message, "Authorization");
    gy_http_respond(req, 401, NULL, "WWW-Authenticate: Bearer\r\n", text, strlen(text));
    free(text);
}

gy_auth_status_t gy_auth_bearer(gy_http_request_t *req,
                                const uint8_t public_key[GY_TOKEN_PUBLIC_KEY_BYTES],
                                gy_token_claims_t *claims)
{
    assert(req && claims);
    const char *auth = gy_http_header(req, "Authorization");
    if (!auth)
        return GY_AUTH_NONE;
    const char *why = NULL;
    if (strncasecmp(auth, "Bearer ", 7) != 0)
        why = "Authorization must be \"Bearer <token>\"";
    else if (!public_key)
        why = "bearer tokens are not accepted: this instance has no token key";
    else {
        /*  Tokens are verified on the loop's thread only: one cache. */
        static gy_token_cache_t *cache;
        if (!cache)
            cache = gy_token_cache_new(S_TOKEN_CACHE_SLOTS);
        gy_token_status_t st =
            gy_token_verify_cached(cache, public_key, auth + 7, gy_now_ms() / 1000, claims);
        if (st == GY_TOKEN_EXPIRED)
            why = "the bearer token has expired";
        else if (st != GY_TOKEN_OK)
            why = "the bearer token is not valid";
    }
    if (why) {
        s_respond_401(req, "invalid_token", why);
        return GY_AUTH_ANSWERED;
    }
    return GY_AUTH_OK;
}

void gy_auth_respond_missing(gy_http_request_t *req)
{
    s_respond_401(req, "unauthenticated", "this needs a bearer token (Authorization: Bearer ...)");
}

int gy_guard_check(const gy_guard_t *guard, const gy_token_claims_t *claims, char prefix[7],
                   gy_error_t *err)
{
    assert(guard && claims && err && guard->forbidden);
    assert(!guard->scoped || prefix);
    bool ok = !guard->roles;
    for (const char *const *r = guard->roles; r && *r && !ok; r++)
        ok = strcmp(claims->role, *r) == 0;
    if (ok && guard->subject_id)
        ok = gy_uuid_valid(claims->sub);
    if (ok && guard->scoped)
        ok = gy_scope_prefix(claims->proc, prefix) == 0;
    if (!ok) {
        gy_error_set(err, 403, "forbidden", NULL, "%s", guard->forbidden);
        return -1;
    }
    return 0;
}

int gy_auth_guard(gy_http_request_t *req, const uint8_t public_key[GY_TOKEN_PUBLIC_KEY_BYTES],
                  const gy_guard_t *guard, gy_token_claims_t *claims, char prefix[7])
{
    switch (gy_auth_bearer(req, public_key, claims)) {
    case GY_AUTH_OK: break;
    case GY_AUTH_NONE: gy_auth_respond_missing(req); return -1;
    case GY_AUTH_ANSWERED: return -1;
    }
    gy_error_t err;
    if (gy_guard_check(guard, claims, prefix, &err) < 0) {
        gy_reply_error(req, &err);
        return -1;
    }
    return 0;
}
