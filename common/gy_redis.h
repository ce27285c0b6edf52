/*  gy_redis — one asynchronous Redis connection on a libuv loop (hiredis
 *  0.14 and its libuv adapter), used as a cache and a limiter, never as the
 *  only copy of anything (DESIGN.md invariant 5).
 *
 *  The connection reconnects by itself (every second while down).  Callers
 *  check gy_redis_up before relying on it; every command has a deadline, and
 *  a command that gets no reply in time is answered with an error so no
 *  caller waits on a stalled Redis.  Only this module includes hiredis.
 */
#ifndef GY_REDIS_H
#define GY_REDIS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct gy_redis gy_redis_t;

/*  Starts connecting; never fails for an unreachable server (it keeps
 *  trying).  timeout_ms bounds every command (0 = 200). */
gy_redis_t *gy_redis_new(uv_loop_t *loop, const char *host, int port, uint64_t timeout_ms);
/*  Closes the connection and timers; pending commands are answered with an
 *  error.  Memory is released from close callbacks: run the loop after. */
void gy_redis_destroy(gy_redis_t **self_p);

bool gy_redis_up(gy_redis_t *self);

/*  Result of gy_redis_incr_window: ok is false when Redis could not answer
 *  (down, error, or deadline passed); count is the counter after the
 *  increment otherwise. */
typedef void(gy_redis_count_cb)(void *arg, bool ok, int64_t count);

/*  Atomically increments the counter `key`, creating it with a lifetime of
 *  ttl_ms when new (SET NX PX, then INCR, pipelined).  cb runs exactly once,
 *  never before this function returns. */
void gy_redis_incr_window(gy_redis_t *self, const char *key, uint64_t ttl_ms, gy_redis_count_cb *cb,
                          void *arg);

#endif
