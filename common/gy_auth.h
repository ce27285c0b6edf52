/*  gy_auth — the bearer token of an HTTP request, checked the same way by
 *  every service: "Authorization: Bearer <gy1 token>" verified with the
 *  service's public key (gy_token), and the answers the API documents for
 *  what fails (401 with WWW-Authenticate: Bearer and field
 *  "Authorization").
 *
 *      gy_token_claims_t claims;
 *      switch (gy_auth_bearer(req, public_key, &claims)) {
 *      case GY_AUTH_OK:       ... claims.sub, claims.role, claims.proc
 *      case GY_AUTH_NONE:     anonymous, or gy_auth_respond_missing(req)
 *      case GY_AUTH_ANSWERED: return (401 invalid_token was sent)
 *      }
 *
 *  Most routes want one guard instead: a token, one of some roles, and
 *  (when scoped) a procuratorate code whose scope the caller acts in:
 *
 *      static const char *const s_handlers[] = {"prosecutor", "chief_prosecutor", NULL};
 *      static const gy_guard_t s_guard = {s_handlers, true, false,
 *                                         "only a prosecutor may handle clues"};
 *      gy_token_claims_t claims;
 *      char prefix[7];
 *      if (gy_auth_guard(req, public_key, &s_guard, &claims, prefix) < 0)
 *          return;   (401 or 403 was sent)
 */
#ifndef GY_AUTH_H
#define GY_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "gy_http.h"
#include "gy_route.h"
#include "gy_token.h"

typedef enum {
    GY_AUTH_OK = 0,        /* a valid token: claims filled */
    GY_AUTH_NONE = 1,      /* no Authorization header; nothing answered */
    GY_AUTH_ANSWERED = -1, /* a header that does not verify: 401 invalid_token sent */
} gy_auth_status_t;

/*  public_key NULL: this instance accepts no token (answered like a bad one). */
gy_auth_status_t gy_auth_bearer(gy_http_request_t *req,
                                const uint8_t public_key[GY_TOKEN_PUBLIC_KEY_BYTES],
                                gy_token_claims_t *claims);

/*  Answers 401 unauthenticated: this needs a bearer token. */
void gy_auth_respond_missing(gy_http_request_t *req);

/*  Who may pass: a NULL-terminated list of roles (NULL: any role), whether
 *  the token's `proc` must be a procuratorate code (its scope prefix is
 *  handed back, gy_scope_prefix), whether `sub` must be a registry id (a
 *  UUID), and the message of the 403. */
typedef struct {
    const char *const *roles;
    bool scoped;
    bool subject_id;
    const char *forbidden;
} gy_guard_t;

/*  Whether verified claims pass the guard: 0, or -1 with err set (403
 *  forbidden).  prefix (may be NULL unless scoped) gets the scope prefix. */
int gy_guard_check(const gy_guard_t *guard, const gy_token_claims_t *claims, char prefix[7],
                   gy_error_t *err);

/*  The bearer token checked against the guard: 0 with claims (and prefix
 *  when scoped), or -1 when answered (401 unauthenticated or invalid_token,
 *  403 forbidden). */
int gy_auth_guard(gy_http_request_t *req, const uint8_t public_key[GY_TOKEN_PUBLIC_KEY_BYTES],
                  const gy_guard_t *guard, gy_token_claims_t *claims, char prefix[7]);

#endif
