/*  router_tokens — access tokens that an administrator issues from the
 *  console (POST /api/v1/tokens) for prosecutors, chief prosecutors,
 *  administrators and integrators, and the record of every one issued
 *  (router.issued_token, migrations/0016_issued_tokens.sql; GET
 *  /api/v1/tokens lists it).
 *
 *  The request is checked here, before anything is signed or stored
 *  (pure: unit-tested in test_router_tokens.c): the members, the role
 *  (never `volunteer`: volunteers log in with their password), the
 *  procuratorate (in the reference data, and within the issuer's scope),
 *  the validity in days and the purpose.  Then router_tokens_issue signs
 *  the token with the router's secret key (the one its logins use), and
 *  records it — its claims, purpose, issuer, and the SHA-256 of its text,
 *  never the text itself — in one transaction; the callback gets the 201
 *  answer, the only place the token is ever shown, after the commit:
 *
 *      router_token_request_t tr;
 *      if (router_token_request_parse(&tr, body, len, refdata, prefix, &err) < 0)
 *          return gy_reply_error(req, &err);
 *      router_tokens_issue(pg, secret_key, &tr, claims.sub, on_answer, req);
 *      router_token_request_clear(&tr);
 *
 *  A token is stateless (gy_token.h): the record is an audit trail, not a
 *  list of the tokens that work, and removing a row revokes nothing.
 */
#ifndef ROUTER_TOKENS_H
#define ROUTER_TOKENS_H

#include <stdint.h>

#include "gy_pg.h"
#include "gy_refdata.h"
#include "gy_route.h"
#include "gy_token.h"
#include "router_answer.h"

#define ROUTER_TOKEN_SUB_MAX      64  /* the claim's room (gy_token_claims_t.sub) */
#define ROUTER_TOKEN_DAYS_MAX     366 /* gy-token's longest TTL: more is likely a typo */
#define ROUTER_TOKEN_DAYS_DEFAULT 30
#define ROUTER_TOKEN_PURPOSE_MAX  500 /* characters */

/*  POST /api/v1/tokens, checked.  purpose is owned: free with
 *  router_token_request_clear. */
typedef struct {
    char sub[ROUTER_TOKEN_SUB_MAX + 1]; /* 1-64 printable ASCII without spaces, as gy-token */
    char role[33];                      /* prosecutor, chief_prosecutor, admin, integrator */
    char proc[7];                       /* a region of the reference data, in the scope */
    int ttl_days;                       /* 1-366 */
    char *purpose;                      /* 1-500 characters: who it is for and why */
} router_token_request_t;

/*  Parses and checks the body against the issuer's scope prefix
 *  (gy_scope_prefix of the administrator's `proc`).  0, or -1 with err:
 *  400 (malformed_json, unknown_property, missing_field, invalid_type,
 *  invalid_value, too_long), 422 unknown_region_code, 403 forbidden
 *  (field proc: outside the scope). */
int router_token_request_parse(router_token_request_t *tr, const char *body, size_t len,
                               const gy_refdata_t *refdata, const char *prefix, gy_error_t *err);
void router_token_request_clear(router_token_request_t *tr);

/*  The claims of the token the request asks for, issued at now_s. */
void router_token_claims(const router_token_request_t *tr, int64_t now_s,
                         gy_token_claims_t *claims);

/*  Whether an administrator may issue a token with this role (gy_token's
 *  roles but volunteer). */
bool router_token_role_issuable(const char *role);

/*  Registers the statements (tokens_issue, tokens_list) on pg; call before
 *  gy_pg_start.  tokens_list takes ($prefix, $after_us, $after_id,
 *  $limit, $now_ms) and answers one JSON document {"items","next"}, newest
 *  first (gy_page.h's keyset). */
void router_tokens_prepare(gy_pg_t *pg);

/*  Signs the token (issued now, by the process clock) and records it;
 *  cb gets 201 with {"id","token","sub","role","proc","expires_at",
 *  "purpose","issued_by","issued_at"} once committed, or the failure (503
 *  unavailable; 409 already_issued: the same claims within the same
 *  second, which sign the same token; 500 internal).  -1 when the connection is
 *  down (then cb never runs).  issued_by: the administrator's subject. */
int router_tokens_issue(gy_pg_t *pg, const uint8_t secret_key[GY_TOKEN_SECRET_KEY_BYTES],
                        const router_token_request_t *tr, const char *issued_by,
                        router_answer_cb *cb, void *arg);

#endif
