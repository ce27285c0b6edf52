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
 */
#ifndef GY_AUTH_H
#define GY_AUTH_H

#include <stdint.h>

#include "gy_http.h"
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

#endif
