/*  gy_ratelimit — fixed-window rate limits shared between instances through
 *  Redis, with an in-process fallback while Redis is down or slow.
 *
 *  A check counts one hit for `key` in the current window of window_ms and
 *  allows it when the count is at most `limit`.  With Redis up the count is
 *  shared by every instance using the same prefix; when Redis is down or
 *  does not answer within its deadline, the decision is taken from an
 *  in-process table of the same shape, so a limit always applies.  The
 *  in-process table forgets windows that ended.
 */
#ifndef GY_RATELIMIT_H
#define GY_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "gy_redis.h"

typedef struct gy_ratelimit gy_ratelimit_t;

typedef void(gy_ratelimit_cb)(void *arg, bool allowed);

/*  redis is borrowed and may be NULL (in-process only).  prefix names the
 *  keys in Redis, e.g. "gy:rl:intake:". */
gy_ratelimit_t *gy_ratelimit_new(uv_loop_t *loop, gy_redis_t *redis, const char *prefix);
void gy_ratelimit_destroy(gy_ratelimit_t **self_p);

/*  cb runs exactly once, never before this function returns.  limit 0
 *  means unlimited (allowed at once, through the callback). */
void gy_ratelimit_check(gy_ratelimit_t *self, const char *key, uint32_t limit, uint64_t window_ms,
                        gy_ratelimit_cb *cb, void *arg);

#endif
