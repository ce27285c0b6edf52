/*  gy_auth — see gy_auth.h. */
#include "gy_auth.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gy_util.h"

static void s_respond_401(gy_http_request_t *req, const char *code, const char *message)
{
    json_t *body = json_pack("{s:{s:s,s:s,s:s}}", "error", "code", code, "message", message,
                             "field", "Authorization");
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
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
        gy_token_status_t st = gy_token_verify(public_key, auth + 7, gy_now_ms() / 1000, claims);
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
