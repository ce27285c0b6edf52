/*  router_api — the router's HTTP API (docs/api.md):
 *  - the volunteer registry: apply (no account), log in (a signed bearer
 *    token), and, for prosecutors and administrators, list, read and
 *    change the standing of the volunteers in their jurisdiction;
 *  - the console's session: a login or an issued token kept in the
 *    HttpOnly cookie every service reads (gy_auth.h), who it is, log out;
 *  - routed clues, for prosecutors: the queues of their jurisdiction, a
 *    clue with its history and cluster, reclassification, transfers (移送)
 *    with the receiver's answer and the common superior's decision, merging
 *    and splitting duplicate clusters, the decision on a clue under review;
 *  - assessment tasks, for volunteers: submit or decline;
 *  - access tokens, for administrators: issue one for a procuratorate in
 *    their scope, signed with the logins' key and recorded without its
 *    text (router_tokens), and list those issued.
 *
 *  Every request is checked at the edge (router_volunteer) before the
 *  database is touched.  The registry's writes are one SQL function call
 *  that decides, writes and answers in one transaction
 *  (migrations/0002_volunteers.sql), together with the VolunteerChanged it
 *  causes, packed here from the standing read before (router_standing_*,
 *  guarded by the volunteer's version); transfers, clusters, tasks and reviews
 *  are decided in C on what was read, state machines included, and written
 *  guarded by the state and version decided on (router_transfer,
 *  router_cluster, router_assess).  Either way a refusal writes nothing.  Scope: a caller sees and acts on the
 *  volunteers whose procuratorate code starts with the caller's scope prefix
 *  (gy_scope_prefix, common/gy_scope.h); anything outside is answered 404, as if it did
 *  not exist.  Personal data is sealed at rest and opened only in answers
 *  whose reading was logged in the same transaction.
 *
 *  Password hashing (argon2id) runs on the libuv thread pool, never on the
 *  loop.
 */
#ifndef ROUTER_API_H
#define ROUTER_API_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "gy_crypto.h"
#include "gy_http.h"
#include "gy_node.h"
#include "gy_outbox.h"
#include "gy_pg.h"
#include "gy_ratelimit.h"
#include "gy_refdata.h"
#include "gy_token.h"

typedef struct router_api router_api_t;

/*  The API's keys and limits, from the environment (docs/configuration.md).
 *  The volunteer registry seals personal data, so the API runs only with a
 *  seal key (GY_SEAL_KEY_FILE); without one the router still routes clues
 *  and the API's paths answer 503.  Logins and the tokens administrators
 *  issue are signed with the token secret key (GY_TOKEN_SECRET_KEY_FILE)
 *  and bearer tokens checked with the public key (GY_TOKEN_PUBLIC_KEY_FILE,
 *  gy-token keygen). */
typedef struct {
    bool on; /* a seal key is configured */
    uint8_t seal_key[GY_SEAL_KEY_BYTES];
    bool has_token_public, has_token_secret;
    uint8_t token_public[GY_TOKEN_PUBLIC_KEY_BYTES];
    uint8_t token_secret[GY_TOKEN_SECRET_KEY_BYTES];
    int64_t token_ttl_s;    /* GY_TOKEN_TTL_S */
    int64_t apply_per_hour; /* GY_RATE_LIMIT_APPLY_PER_HOUR */
    int64_t login_per_min;  /* GY_RATE_LIMIT_LOGIN_PER_MIN */
    bool cookie_secure;     /* GY_SESSION_COOKIE_SECURE */
} router_api_settings_t;

/*  Reads the settings; 0, or -1 (logged).  The API being off is not an
 *  error (a warning is logged), unless assessment is on (GY_ASSESSMENT=on:
 *  assessors log in and submit through the API). */
int router_api_settings_load(router_api_settings_t *settings, bool assessment);

/*  Wipes the keys. */
void router_api_settings_clear(router_api_settings_t *settings);

typedef struct {
    gy_pg_t *pg;                 /* borrowed; statements from router_api_prepare */
    const gy_refdata_t *refdata; /* borrowed */
    const uint8_t *seal_key;     /* GY_SEAL_KEY_BYTES, borrowed */
    const uint8_t *token_public; /* verifies bearer tokens; NULL: every token is refused */
    const uint8_t *token_secret; /* signs login and issued tokens; NULL: those answer 503 */
    int64_t token_ttl_s;         /* lifetime of a login token */
    gy_ratelimit_t *limiter;     /* borrowed */
    uint32_t apply_per_hour;     /* applications per client address; 0 = unlimited */
    uint32_t login_per_min;      /* login attempts per address and per login; 0 = unlimited */
    bool cookie_secure;          /* the session cookie says Secure (the edge serves TLS) */
    const char *producer;        /* the router's producer id: events it appends */
    gy_outbox_t *outbox;         /* borrowed: woken after a call appended events */
    int64_t assess_due_ms;       /* how long a newly asked assessor has */
} router_api_config_t;

/*  Registers the API's statements on pg; call before gy_pg_start. */
void router_api_prepare(gy_pg_t *pg);

/*  NULL (logged) when the password hashing cannot be prepared. */
router_api_t *router_api_new(uv_loop_t *loop, const router_api_config_t *config);

/*  Requests still waiting for a transaction, the thread pool (hashing) or
 *  the rate limiter are answered 503 when their callback comes (the answer
 *  is dropped when the HTTP server is gone), and the memory goes with the
 *  last one: run the loop afterwards. */
void router_api_destroy(router_api_t **self_p);

/*  The API on the node, from spec.start: its own connection ("pg api",
 *  statements registered), the node's limiter, producer and outbox, and
 *  the settings' keys and limits (borrowed: they outlive the API).  NULL
 *  (logged) as router_api_new. */
router_api_t *router_api_start(gy_node_t *node, const router_api_settings_t *settings,
                               const gy_refdata_t *refdata, int64_t assess_due_ms);

/*  Answers the request when its path is one of the API's (true), or leaves
 *  it to the caller (false).  self NULL: the API is off, and every path
 *  under /api/ is answered 503 "api_unavailable". */
bool router_api_handle(router_api_t *self, gy_http_request_t *req);

#endif
