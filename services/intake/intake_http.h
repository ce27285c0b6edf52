/*  intake_http — intake's HTTP routes (docs/api.md): POST /api/v1/clues
 *  (media type, length, Idempotency-Key and X-Request-Id checks, the
 *  volunteer's bearer token, the per-address then per-volunteer rate
 *  limits, the clue's checks, one store call), GET /api/v1/clues/{code}
 *  (the status timeline by receipt code) and GET
 *  /api/v1/clues/{clue_id}/reporter (503 without the router's events).
 *
 *      intake_http_config_t config = {.store = store, .reader = reader,
 *          .limiter = limiter, .refdata = refdata, .rate_per_min = 60,
 *          .volunteer_rate_per_min = 120, .token_key = NULL, .reporter = NULL};
 *      intake_http_t *http = intake_http_new(&config);
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
#include "gy_pg.h"
#include "gy_ratelimit.h"
#include "gy_refdata.h"
#include "intake_reporter.h"
#include "intake_store.h"

typedef struct intake_http intake_http_t;

typedef struct {
    intake_store_t *store;          /* borrowed: stores the submissions */
    gy_pg_t *reader;                /* borrowed: the status timeline */
    gy_ratelimit_t *limiter;        /* borrowed */
    const gy_refdata_t *refdata;    /* borrowed: the clue's checks */
    int64_t rate_per_min;           /* per client address */
    int64_t volunteer_rate_per_min; /* per volunteer, after the address's; 0: none */
    const uint8_t *token_key;       /* GY_TOKEN_PUBLIC_KEY_BYTES, borrowed; NULL: no token */
    intake_reporter_t *reporter;    /* borrowed; NULL: the reporter route answers 503 */
} intake_http_config_t;

intake_http_t *intake_http_new(const intake_http_config_t *config);

/*  Answers req when it is one of intake's routes (404 / 405 / OPTIONS
 *  within them as gy_route_dispatch_or does); false when no route matched
 *  and the caller answers. */
bool intake_http_handle(intake_http_t *self, gy_http_request_t *req);

/*  After every callback of a request (store, rate limiter) ran. */
void intake_http_destroy(intake_http_t **self_p);

#endif
