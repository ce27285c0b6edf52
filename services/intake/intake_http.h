/*  intake_http — intake's HTTP routes (docs/api.md): POST /api/v1/clues
 *  (media type, length, Idempotency-Key and X-Request-Id checks, the
 *  volunteer's bearer token, the per-address then per-volunteer rate
 *  limits, the clue's checks, one store call), GET /api/v1/clues (a
 *  volunteer's own clues with their status), GET /api/v1/clues/{code}
 *  (the status timeline by receipt code) and GET
 *  /api/v1/clues/{clue_id}/reporter (503 without the router's events).
 *
 *      intake_http_settings_t settings;
 *      intake_http_settings_load(&settings);   // -1: logged
 *      // from spec.start:
 *      intake_http_t *http = intake_http_new(node, &settings, store, refdata, reporter);
 *      ...
 *      // the node's spec.unrouted:
 *      if (intake_http_handle(http, req)) return true;   // answered
 *      ...
 *      intake_http_destroy(&http);   // after the store's and Redis's callbacks ran
 */
#ifndef INTAKE_HTTP_H
#define INTAKE_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "gy_http.h"
#include "gy_node.h"
#include "gy_pg.h"
#include "gy_ratelimit.h"
#include "gy_refdata.h"
#include "gy_token.h"
#include "intake_reporter.h"
#include "intake_store.h"

typedef struct intake_http intake_http_t;

/*  The routes' settings, from the environment (docs/configuration.md). */
typedef struct {
    int64_t rate_per_min;           /* GY_RATE_LIMIT_PER_MIN: per client address */
    int64_t volunteer_rate_per_min; /* GY_RATE_LIMIT_VOLUNTEER_PER_MIN: per volunteer, after
                                       the address's; 0: none */
    bool has_token_key;             /* GY_TOKEN_PUBLIC_KEY_FILE is set; else no token is valid */
    uint8_t token_key[GY_TOKEN_PUBLIC_KEY_BYTES]; /* verifies bearer tokens */
} intake_http_settings_t;

/*  Reads the settings; 0, or -1 (logged). */
int intake_http_settings_load(intake_http_settings_t *settings);

/*  The token key, or NULL without one. */
const uint8_t *intake_http_token_key(const intake_http_settings_t *settings);

/*  The routes on the node's reader (the status timeline, its statement
 *  registered here) and rate limiter, from spec.start; settings (its key),
 *  store (stores the submissions), refdata (the clue's checks) and
 *  reporter borrowed (NULL: the reporter route answers 503). */
intake_http_t *intake_http_new(gy_node_t *node, const intake_http_settings_t *settings,
                               intake_store_t *store, const gy_refdata_t *refdata,
                               intake_reporter_t *reporter);

/*  Answers req when it is one of intake's routes (404 / 405 / OPTIONS
 *  within them as gy_route_dispatch_or does); false when no route matched
 *  and the caller answers. */
bool intake_http_handle(intake_http_t *self, gy_http_request_t *req);

/*  After every callback of a request (store, rate limiter) ran. */
void intake_http_destroy(intake_http_t **self_p);

#endif
