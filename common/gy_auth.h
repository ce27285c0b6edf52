/*  gy_auth — the token of an HTTP request, checked the same way by every
 *  service: "Authorization: Bearer <gy1 token>" or, without that header,
 *  the console's session cookie (gy_session, holding the same token),
 *  verified with the service's public key (gy_token), and the answers the
 *  API documents for what fails (401 with WWW-Authenticate: Bearer, field
 *  "Authorization" or "Cookie").
 *
 *      gy_token_claims_t claims;
 *      switch (gy_auth_bearer(req, public_key, &claims)) {
 *      case GY_AUTH_OK:       ... claims.sub, claims.role, claims.proc
 *      case GY_AUTH_NONE:     anonymous, or gy_auth_respond_missing(req)
 *      case GY_AUTH_ANSWERED: return (401 invalid_token or 403
 *                             csrf_header_missing was sent)
 *      }
 *
 *  The cookie is the browser's (docs/console.md, "Where the token lives"):
 *  HttpOnly, so script in the page cannot read it; SameSite=Strict, so no
 *  other site's page makes the browser send it.  A request it authenticates
 *  whose method changes something (anything but GET, HEAD, OPTIONS) must
 *  also say "X-Gongyi-Console: 1", else it is refused (403
 *  csrf_header_missing) before anything is done: another origin cannot
 *  add that header without a CORS preflight, which no service grants.  A
 *  request with an Authorization header is not the browser's session and
 *  needs no such header (integrators).
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

/*  The console's session cookie, and the header an unsafe request that
 *  the cookie authenticates must carry (with the value "1"). */
#define GY_AUTH_COOKIE         "gy_session"
#define GY_AUTH_CONSOLE_HEADER "X-Gongyi-Console"

typedef enum {
    GY_AUTH_OK = 0,        /* a valid token: claims filled */
    GY_AUTH_NONE = 1,      /* no Authorization header, no session cookie; nothing answered */
    GY_AUTH_ANSWERED = -1, /* 401 invalid_token or 403 csrf_header_missing sent */
} gy_auth_status_t;

/*  public_key NULL: this instance accepts no token (answered like a bad one). */
gy_auth_status_t gy_auth_bearer(gy_http_request_t *req,
                                const uint8_t public_key[GY_TOKEN_PUBLIC_KEY_BYTES],
                                gy_token_claims_t *claims);

/*  Verifies a token the request brought, from where `field` says
 *  ("Authorization", "Cookie", or a body's member such as "token"), as
 *  gy_auth_bearer does (through one cache of verified tokens): GY_AUTH_OK
 *  with claims, or GY_AUTH_ANSWERED after 401 invalid_token naming field. */
gy_auth_status_t gy_auth_verify(gy_http_request_t *req,
                                const uint8_t public_key[GY_TOKEN_PUBLIC_KEY_BYTES],
                                const char *token, const char *field, gy_token_claims_t *claims);

/*  Answers 401 unauthenticated: this needs a bearer token or the session. */
void gy_auth_respond_missing(gy_http_request_t *req);

/*  What a Cookie header says of one cookie. */
typedef enum {
    GY_COOKIE_ABSENT = 0,    /* not sent, or sent empty (a deleted cookie) */
    GY_COOKIE_FOUND = 1,     /* its value was copied */
    GY_COOKIE_SEVERAL = -1,  /* sent more than once with a value: which is ours is unknown */
    GY_COOKIE_TOO_LONG = -2, /* its value does not fit */
} gy_cookie_status_t;

/*  Finds the cookie `name` in a Cookie header's value ("a=1; b=2", RFC
 *  6265 section 4.2.1, read as leniently as section 5.4 lets browsers
 *  write it): pairs separated by ";", blanks around names and values
 *  ignored, a pair without "=" skipped, the name matched exactly
 *  (case-sensitive), a value in double quotes taken without them.  When
 *  found, its value goes into out (cap bytes with the NUL).  header may
 *  be NULL (no Cookie header). */
gy_cookie_status_t gy_auth_cookie_find(const char *header, const char *name, char *out, size_t cap);

/*  Whether a request with this method and this X-Gongyi-Console value
 *  (NULL: absent) may be acted on as the session cookie's: a safe method
 *  (GET, HEAD, OPTIONS), or the header's value "1". */
bool gy_auth_csrf_passes(const char *method, const char *console_header);

/*  For a request the session cookie speaks for (a gy_session cookie, valid
 *  or not, and no Authorization header): 0 when gy_auth_csrf_passes, else
 *  -1 after answering 403 csrf_header_missing (field X-Gongyi-Console).
 *  Any other request: 0.  gy_auth_bearer applies it; a route that acts on
 *  the cookie without verifying it (logging out) calls it itself. */
int gy_auth_csrf_check(gy_http_request_t *req);

/*  The "Set-Cookie: ...\r\n" line that keeps token as the session for
 *  max_age_s seconds (Path=/api/; HttpOnly; SameSite=Strict; Max-Age;
 *  Secure when secure), or deletes it (token "", max_age_s 0).  token must
 *  be one that verified (gy_token.h: nothing in it needs quoting).  The
 *  caller frees. */
char *gy_auth_cookie_line(const char *token, int64_t max_age_s, bool secure);

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

/*  Anyone with a valid token, whatever the role and procuratorate: for
 *  what every signed-in user may read (reference data such as the time
 *  limits, the impact measures, the holiday calendar). */
extern const gy_guard_t gy_guard_signed_in;

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
