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

static void s_respond_401(gy_http_request_t *req, const char *code, const char *message,
                          const char *field)
{
    char *text = gy_error_body(code, message, field);
    gy_http_respond(req, 401, NULL, "WWW-Authenticate: Bearer\r\n", text, strlen(text));
    free(text);
}

gy_auth_status_t gy_auth_verify(gy_http_request_t *req,
                                const uint8_t public_key[GY_TOKEN_PUBLIC_KEY_BYTES],
                                const char *token, const char *field, gy_token_claims_t *claims)
{
    assert(req && token && field && claims);
    const char *why = NULL;
    if (!public_key) {
        why = "tokens are not accepted: this instance has no token key";
    } else {
        /*  Tokens are verified on the loop's thread only: one cache. */
        static gy_token_cache_t *cache;
        if (!cache)
            cache = gy_token_cache_new(S_TOKEN_CACHE_SLOTS);
        gy_token_status_t st =
            gy_token_verify_cached(cache, public_key, token, gy_now_ms() / 1000, claims);
        if (st == GY_TOKEN_EXPIRED)
            why = "the token has expired; log in again";
        else if (st != GY_TOKEN_OK)
            why = "the token is not valid";
    }
    if (why) {
        s_respond_401(req, "invalid_token", why, field);
        return GY_AUTH_ANSWERED;
    }
    return GY_AUTH_OK;
}

/*  The session cookie of the request, when the cookie speaks for it: no
 *  Authorization header (a request with one is an integrator's or a
 *  script's, whatever cookies ride along). */
static gy_cookie_status_t s_session_cookie(gy_http_request_t *req, char out[GY_TOKEN_MAX_LEN + 1])
{
    if (gy_http_header(req, "Authorization"))
        return GY_COOKIE_ABSENT;
    return gy_auth_cookie_find(gy_http_header(req, "Cookie"), GY_AUTH_COOKIE, out,
                               GY_TOKEN_MAX_LEN + 1);
}

gy_auth_status_t gy_auth_bearer(gy_http_request_t *req,
                                const uint8_t public_key[GY_TOKEN_PUBLIC_KEY_BYTES],
                                gy_token_claims_t *claims)
{
    assert(req && claims);
    const char *auth = gy_http_header(req, "Authorization");
    if (auth) {
        if (strncasecmp(auth, "Bearer ", 7) == 0)
            return gy_auth_verify(req, public_key, auth + 7, "Authorization", claims);
        s_respond_401(req, "invalid_token", "Authorization must be \"Bearer <token>\"",
                      "Authorization");
        return GY_AUTH_ANSWERED;
    }
    char token[GY_TOKEN_MAX_LEN + 1];
    switch (s_session_cookie(req, token)) {
    case GY_COOKIE_ABSENT: return GY_AUTH_NONE;
    case GY_COOKIE_FOUND: break;
    case GY_COOKIE_SEVERAL:
        /*  Only this site sets it (host-only, Path=/api/): a second one was
         *  planted, and taking either could log the user in as someone else. */
        s_respond_401(req, "invalid_token",
                      "more than one " GY_AUTH_COOKIE " cookie was sent; clear this site's "
                      "cookies and log in again",
                      "Cookie");
        return GY_AUTH_ANSWERED;
    case GY_COOKIE_TOO_LONG:
        s_respond_401(req, "invalid_token", "the token is not valid", "Cookie");
        return GY_AUTH_ANSWERED;
    }
    /*  The token first: a stale session is told to log in again (401)
     *  whatever the method; the header is asked of a live one only. */
    gy_auth_status_t status = gy_auth_verify(req, public_key, token, "Cookie", claims);
    if (status == GY_AUTH_OK && gy_auth_csrf_check(req) < 0)
        return GY_AUTH_ANSWERED;
    return status;
}

void gy_auth_respond_missing(gy_http_request_t *req)
{
    s_respond_401(req, "unauthenticated",
                  "this needs a bearer token (Authorization: Bearer ...) or the console's "
                  "session (POST /api/v1/auth/session)",
                  "Authorization");
}

/*  ---- the session cookie ---- */

static bool s_blank(char c)
{
    return c == ' ' || c == '\t';
}

gy_cookie_status_t gy_auth_cookie_find(const char *header, const char *name, char *out, size_t cap)
{
    assert(name && *name && out && cap > 0);
    size_t name_len = strlen(name);
    gy_cookie_status_t status = GY_COOKIE_ABSENT;
    for (const char *p = header; p && *p;) {
        const char *end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq) {
            const char *n = p, *n_end = eq, *v = eq + 1, *v_end = end;
            while (n < n_end && s_blank(*n))
                n++;
            while (n_end > n && s_blank(n_end[-1]))
                n_end--;
            while (v < v_end && s_blank(*v))
                v++;
            while (v_end > v && s_blank(v_end[-1]))
                v_end--;
            /*  RFC 6265 allows a value in double quotes; they are not part
             *  of it. */
            if (v_end - v >= 2 && *v == '"' && v_end[-1] == '"') {
                v++;
                v_end--;
            }
            size_t len = (size_t)(v_end - v);
            if ((size_t)(n_end - n) == name_len && memcmp(n, name, name_len) == 0 && len > 0) {
                if (status != GY_COOKIE_ABSENT)
                    return GY_COOKIE_SEVERAL;
                if (len >= cap) {
                    status = GY_COOKIE_TOO_LONG;
                } else {
                    memcpy(out, v, len);
                    out[len] = '\0';
                    status = GY_COOKIE_FOUND;
                }
            }
        }
        p = *end ? end + 1 : end;
    }
    return status;
}

bool gy_auth_csrf_passes(const char *method, const char *console_header)
{
    assert(method);
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || strcmp(method, "OPTIONS") == 0)
        return true;
    return console_header && strcmp(console_header, "1") == 0;
}

int gy_auth_csrf_check(gy_http_request_t *req)
{
    assert(req);
    char token[GY_TOKEN_MAX_LEN + 1];
    if (s_session_cookie(req, token) == GY_COOKIE_ABSENT ||
        gy_auth_csrf_passes(gy_http_method(req), gy_http_header(req, GY_AUTH_CONSOLE_HEADER)))
        return 0;
    gy_http_respond_error(req, 403, "csrf_header_missing",
                          "a change made with the console's session cookie must carry the "
                          "header " GY_AUTH_CONSOLE_HEADER ": 1 (the console sends it)",
                          GY_AUTH_CONSOLE_HEADER);
    return -1;
}

char *gy_auth_cookie_line(const char *token, int64_t max_age_s, bool secure)
{
    assert(token && max_age_s >= 0);
    assert(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
           strlen(token));
    /*  Path=/api/: every service's API behind the edge, and none of the
     *  console's files. */
    return gy_sprintf("Set-Cookie: " GY_AUTH_COOKIE "=%s; Path=/api/; HttpOnly; SameSite=Strict; "
                      "Max-Age=%lld%s\r\n",
                      token, (long long)max_age_s, secure ? "; Secure" : "");
}

const gy_guard_t gy_guard_signed_in = {NULL, false, false, "any signed-in user may read this"};

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
