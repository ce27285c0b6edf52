/*  gy_hold — requests that outlive a call: a request that goes on through
 *  a callback to come (a transaction, the thread pool, the rate limiter)
 *  holds its owner, so the owner is freed only after the last such
 *  callback, and a callback that comes after the owner stopped answers 503
 *  "the service is stopping" instead of doing its work.
 *
 *      struct api { gy_holds_t holds; ... };
 *      gy_holds_init(&api->holds, s_free_api, api);
 *
 *      gy_hold(&api->holds);                     // before the callback is due
 *      ...
 *      static void s_on_done(void *arg, ...)     // the callback
 *      {
 *          if (gy_hold_gone(&call->api->holds, call->req))
 *              return free(call);                // answered 503; api may be freed
 *          ...
 *      }
 *
 *      gy_holds_stop(&api->holds);               // instead of freeing the api
 */
#ifndef GY_HOLD_H
#define GY_HOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "gy_http.h"

typedef void(gy_holds_free_fn)(void *owner);

typedef struct {
    size_t pending;
    bool stopped;
    gy_holds_free_fn *free_owner;
    void *owner;
} gy_holds_t;

void gy_holds_init(gy_holds_t *holds, gy_holds_free_fn *free_owner, void *owner);

/*  One more callback to come. */
void gy_hold(gy_holds_t *holds);

/*  First thing in such a callback: false to go on; true when the owner
 *  stopped meanwhile: req (may be NULL) was answered 503, the owner was
 *  freed if this was the last hold, and the caller frees only its own state
 *  and returns. */
bool gy_hold_gone(gy_holds_t *holds, gy_http_request_t *req);

/*  The owner stops: freed now when nothing holds it, else by the last
 *  gy_hold_gone. */
void gy_holds_stop(gy_holds_t *holds);

#endif
