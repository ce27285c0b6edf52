/*  gy_ratelimit — see gy_ratelimit.h.
 *
 *  Every check counts the hit in the in-process table, whether or not Redis
 *  is used, so that when Redis goes away mid-window the fallback starts
 *  from what this instance has already seen instead of from zero.  With
 *  Redis up, Redis's shared count decides; when it is down, errs or misses
 *  its deadline, the local count decides.
 *
 *  The limiter owns no libuv handle: answers that do not come from Redis
 *  are delivered by a short-lived timer of their own, and checks still out
 *  at Redis are detached on destroy.  So destroy frees at once, and a check
 *  outstanding at that moment is answered "not allowed" when Redis answers
 *  (the limiter that could vouch for it is gone).
 */
#include "gy_ratelimit.h"

#include <assert.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"

/*  Ended windows are swept from the table at most this often. */
#define S_PRUNE_PERIOD_MS 1000

typedef struct s_entry {
    struct s_entry *next; /* next entry in the same slot */
    uint64_t hash;
    uint64_t window; /* window number: wall-clock ms / window_ms */
    int64_t ends_ms; /* wall-clock end of the window; swept after it */
    uint32_t count;
    char key[];
} s_entry_t;

typedef struct s_check s_check_t;

struct gy_ratelimit {
    uv_loop_t *loop;
    gy_redis_t *redis; /* borrowed; NULL for in-process only */
    char *prefix;      /* of every key in Redis */
    s_entry_t **slots; /* the in-process table */
    size_t nslots;     /* a power of two */
    size_t nentries;
    int64_t next_prune_ms;
    /*  A random SipHash key, so clients choosing keys (addresses, ids)
     *  cannot pile them into one slot. */
    uint8_t hash_key[crypto_shorthash_KEYBYTES];
    s_check_t *waiting; /* checks out at Redis, detached on destroy */
};

/*  A check waiting for Redis. */
struct s_check {
    s_check_t *prev;
    s_check_t *next;
    gy_ratelimit_t *self; /* NULL once the limiter is destroyed */
    gy_ratelimit_cb *cb;
    void *arg;
    uint32_t limit;
    uint32_t local_count; /* this process's count: the decision if Redis fails */
};

/*  A decision already taken, waiting for the loop to deliver it. */
typedef struct {
    uv_timer_t timer;
    gy_ratelimit_cb *cb;
    void *arg;
    bool allowed;
} s_answer_t;

gy_ratelimit_t *gy_ratelimit_new(uv_loop_t *loop, gy_redis_t *redis, const char *prefix)
{
    assert(loop);
    assert(prefix);
    if (sodium_init() < 0) {
        gy_log_error("could not initialise libsodium");
        return NULL;
    }
    gy_ratelimit_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    self->redis = redis;
    self->prefix = gy_strdup(prefix);
    self->nslots = 64;
    self->slots = gy_calloc(self->nslots, sizeof(s_entry_t *));
    crypto_shorthash_keygen(self->hash_key);
    return self;
}

void gy_ratelimit_destroy(gy_ratelimit_t **self_p)
{
    assert(self_p);
    gy_ratelimit_t *self = *self_p;
    if (!self)
        return;
    for (s_check_t *check = self->waiting; check; check = check->next)
        check->self = NULL;
    for (size_t i = 0; i < self->nslots; i++) {
        s_entry_t *entry = self->slots[i];
        while (entry) {
            s_entry_t *next = entry->next;
            free(entry);
            entry = next;
        }
    }
    free(self->slots);
    free(self->prefix);
    free(self);
    *self_p = NULL;
}

static void s_on_answer_closed(uv_handle_t *handle)
{
    free(handle->data);
}

static void s_on_answer(uv_timer_t *timer)
{
    s_answer_t *answer = timer->data;
    uv_close((uv_handle_t *)timer, s_on_answer_closed);
    answer->cb(answer->arg, answer->allowed);
}

/*  Delivers a decision from the loop, so cb never runs inside check. */
static void s_answer_later(gy_ratelimit_t *self, gy_ratelimit_cb *cb, void *arg, bool allowed)
{
    s_answer_t *answer = gy_calloc(1, sizeof *answer);
    answer->cb = cb;
    answer->arg = arg;
    answer->allowed = allowed;
    uv_timer_init(self->loop, &answer->timer);
    answer->timer.data = answer;
    int rc = uv_timer_start(&answer->timer, s_on_answer, 0, 0);
    assert(rc == 0);
    (void)rc;
}

static uint64_t s_hash(const gy_ratelimit_t *self, const char *key, uint64_t window)
{
    uint8_t out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const uint8_t *)key, strlen(key), self->hash_key);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    /*  Mix in the window (splitmix64 finaliser) so a key's successive
     *  windows land in different slots. */
    h ^= window * 0x9e3779b97f4a7c15u;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9u;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebu;
    return h ^ (h >> 31);
}

static void s_prune(gy_ratelimit_t *self, int64_t now_ms)
{
    for (size_t i = 0; i < self->nslots; i++) {
        s_entry_t **link = &self->slots[i];
        while (*link) {
            s_entry_t *entry = *link;
            if (entry->ends_ms <= now_ms) {
                *link = entry->next;
                free(entry);
                self->nentries--;
            } else {
                link = &entry->next;
            }
        }
    }
    self->next_prune_ms = now_ms + S_PRUNE_PERIOD_MS;
}

static void s_grow(gy_ratelimit_t *self)
{
    size_t nslots = self->nslots * 2;
    s_entry_t **slots = gy_calloc(nslots, sizeof(s_entry_t *));
    for (size_t i = 0; i < self->nslots; i++) {
        s_entry_t *entry = self->slots[i];
        while (entry) {
            s_entry_t *next = entry->next;
            size_t slot = entry->hash & (nslots - 1);
            entry->next = slots[slot];
            slots[slot] = entry;
            entry = next;
        }
    }
    free(self->slots);
    self->slots = slots;
    self->nslots = nslots;
}

/*  Counts one hit for key in window and returns the count so far. */
static uint32_t s_count_local(gy_ratelimit_t *self, const char *key, uint64_t window,
                              int64_t ends_ms, int64_t now_ms)
{
    if (now_ms >= self->next_prune_ms)
        s_prune(self, now_ms);
    uint64_t hash = s_hash(self, key, window);
    for (s_entry_t *entry = self->slots[hash & (self->nslots - 1)]; entry; entry = entry->next) {
        if (entry->hash == hash && entry->window == window && strcmp(entry->key, key) == 0) {
            if (entry->count < UINT32_MAX)
                entry->count++;
            return entry->count;
        }
    }
    size_t len = strlen(key);
    s_entry_t *entry = gy_malloc(sizeof *entry + len + 1);
    memcpy(entry->key, key, len + 1);
    entry->hash = hash;
    entry->window = window;
    entry->ends_ms = ends_ms;
    entry->count = 1;
    if (self->nentries >= self->nslots)
        s_grow(self);
    size_t slot = hash & (self->nslots - 1);
    entry->next = self->slots[slot];
    self->slots[slot] = entry;
    self->nentries++;
    return 1;
}

static void s_on_count(void *arg, bool ok, int64_t count)
{
    s_check_t *check = arg;
    gy_ratelimit_t *self = check->self;
    bool allowed = false;
    if (self) {
        if (check->prev)
            check->prev->next = check->next;
        else
            self->waiting = check->next;
        if (check->next)
            check->next->prev = check->prev;
        allowed = ok ? count <= (int64_t)check->limit : check->local_count <= check->limit;
    }
    gy_ratelimit_cb *cb = check->cb;
    void *cb_arg = check->arg;
    free(check);
    cb(cb_arg, allowed);
}

void gy_ratelimit_check(gy_ratelimit_t *self, const char *key, uint32_t limit, uint64_t window_ms,
                        gy_ratelimit_cb *cb, void *arg)
{
    assert(self);
    assert(key);
    assert(cb);
    if (limit == 0) {
        s_answer_later(self, cb, arg, true);
        return;
    }
    assert(window_ms > 0);
    /*  Wall-clock time, so that every instance numbers windows alike. */
    int64_t now_ms = gy_now_ms();
    uint64_t window = (uint64_t)now_ms / window_ms;
    int64_t ends_ms = (int64_t)((window + 1) * window_ms);
    uint32_t local_count = s_count_local(self, key, window, ends_ms, now_ms);
    if (!self->redis || !gy_redis_up(self->redis)) {
        s_answer_later(self, cb, arg, local_count <= limit);
        return;
    }
    s_check_t *check = gy_calloc(1, sizeof *check);
    check->self = self;
    check->cb = cb;
    check->arg = arg;
    check->limit = limit;
    check->local_count = local_count;
    check->next = self->waiting;
    if (self->waiting)
        self->waiting->prev = check;
    self->waiting = check;

    char *redis_key = gy_sprintf("%s%s:%" PRIu64, self->prefix, key, window);
    /*  The key outlives its window by one more window: instances whose
     *  clocks disagree by less than that still share it, and it cannot
     *  expire between SET NX and INCR (INCR would then make a key that
     *  never expires). */
    uint64_t ttl_ms = (uint64_t)(ends_ms - now_ms) + window_ms;
    gy_redis_incr_window(self->redis, redis_key, ttl_ms, s_on_count, check);
    free(redis_key);
}
