/*  gy_redis — see gy_redis.h.
 *
 *  The connection goes DOWN → CONNECTING → HANDSHAKE (PING sent) → UP, and
 *  back to DOWN when hiredis reports an error or when we drop it.  One
 *  repeating one-second tick drives everything slow: it starts a new
 *  attempt while DOWN, abandons an attempt that is not UP a second later
 *  (a stopped Redis still completes the TCP handshake from the kernel's
 *  backlog, so "connected" proves nothing until PING is answered), and
 *  drops an UP connection on which commands have waited a second without
 *  any reply arriving.
 *
 *  Each command is an s_command_t that hiredis holds as privdata and that
 *  owns a uv_timer.  The timer first measures the deadline; when the reply
 *  (or hiredis's NULL reply on disconnect and free) arrives first, the
 *  result is copied out of the reply and the timer is restarted with a zero
 *  delay.  The caller's callback therefore always runs from that timer:
 *  never before gy_redis_incr_window returns, never inside hiredis (so it
 *  may freely issue commands or destroy this object), and exactly once.
 *  A reply arriving after the deadline finds `answered` set and only
 *  releases hiredis's hold; the command is freed when both hiredis and the
 *  timer's close callback have let go of it.
 *
 *  The socket is watched by s_watch_t below rather than by hiredis 0.14.1's
 *  adapters/libuv.h: libuv reports EPOLLERR as status UV_EBADF and stops the
 *  poll handle, and that adapter then returns without telling hiredis, so a
 *  refused connect is never reported and a reset connection is never
 *  noticed (fixed upstream after 0.14, redis/hiredis#624).
 *
 *  hiredis resolves host names synchronously inside redisAsyncConnect, so
 *  configure an address or a name that /etc/hosts answers.  hiredis writes
 *  with write(2): the process must ignore SIGPIPE (gy_service_run does).
 */
#include "gy_redis.h"

#include <assert.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"

#define S_DEFAULT_TIMEOUT_MS 200
/*  The reconnect period, and how long a connection attempt or a connection
 *  with unanswered commands may stay silent before it is dropped. */
#define S_TICK_MS 1000
/*  Error replies repeat for every command while they last; one line per
 *  period is enough to notice them. */
#define S_ERROR_LOG_PERIOD_MS 10000

typedef enum { S_DOWN, S_CONNECTING, S_HANDSHAKE, S_UP } s_state_t;

struct gy_redis {
    uv_loop_t *loop;
    char *host;
    int port;
    uint64_t timeout_ms;   /* deadline of every command */
    uv_timer_t tick;       /* every S_TICK_MS: reconnect, or watch for a stall */
    redisAsyncContext *ac; /* NULL while DOWN */
    s_state_t state;
    uint64_t attempt_ms;      /* loop time the current connection attempt began */
    size_t waiting;           /* commands sent on ac and not yet replied to */
    uint64_t progress_ms;     /* loop time of the last reply, or of the first wait */
    bool outage_logged;       /* one warning per outage, not one per retry */
    uint64_t error_logged_ms; /* loop time an error reply was last logged */
};

typedef struct {
    uv_timer_t timer; /* the deadline, then the zero delay that answers */
    gy_redis_count_cb *cb;
    void *arg;
    bool settled; /* the outcome is known: a reply, or a failure */
    bool ok;      /* the outcome, with count */
    int64_t count;
    bool answered;   /* cb has run */
    bool in_hiredis; /* hiredis still holds this as privdata */
    bool timer_open; /* the timer's close callback has not run */
} s_command_t;

/*  The hiredis event hooks, on a uv_poll_t.  One per connection; hiredis
 *  calls s_watch_cleanup when it frees the context, and the watch is freed
 *  in the poll handle's close callback. */
typedef struct {
    redisAsyncContext *ac; /* NULL once hiredis has let go */
    uv_poll_t poll;
    int events; /* UV_READABLE | UV_WRITABLE, as hiredis asked */
} s_watch_t;

static void s_watch_on_poll(uv_poll_t *poll, int status, int events)
{
    s_watch_t *watch = poll->data;
    /*  On a socket error, let hiredis try what it was waiting for: the read
     *  or the connect check then fails and hiredis disconnects. */
    if (status < 0)
        events = watch->events;
    if (watch->ac && (events & UV_READABLE))
        redisAsyncHandleRead(watch->ac);
    if (watch->ac && (events & UV_WRITABLE)) /* the read may have freed the context */
        redisAsyncHandleWrite(watch->ac);
}

static void s_watch_update(s_watch_t *watch)
{
    if (watch->events)
        uv_poll_start(&watch->poll, watch->events, s_watch_on_poll);
    else
        uv_poll_stop(&watch->poll);
}

static void s_watch_add_read(void *data)
{
    s_watch_t *watch = data;
    watch->events |= UV_READABLE;
    s_watch_update(watch);
}

static void s_watch_del_read(void *data)
{
    s_watch_t *watch = data;
    watch->events &= ~UV_READABLE;
    s_watch_update(watch);
}

static void s_watch_add_write(void *data)
{
    s_watch_t *watch = data;
    watch->events |= UV_WRITABLE;
    s_watch_update(watch);
}

static void s_watch_del_write(void *data)
{
    s_watch_t *watch = data;
    watch->events &= ~UV_WRITABLE;
    s_watch_update(watch);
}

static void s_watch_on_closed(uv_handle_t *handle)
{
    free(handle->data);
}

/*  hiredis closes the socket right after this returns; uv_close stops
 *  watching it first. */
static void s_watch_cleanup(void *data)
{
    s_watch_t *watch = data;
    watch->ac = NULL;
    uv_close((uv_handle_t *)&watch->poll, s_watch_on_closed);
}

static int s_watch_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    s_watch_t *watch = gy_calloc(1, sizeof *watch);
    int rc = uv_poll_init(loop, &watch->poll, ac->c.fd);
    if (rc < 0) {
        free(watch);
        return rc;
    }
    watch->poll.data = watch;
    watch->ac = ac;
    ac->ev.data = watch;
    ac->ev.addRead = s_watch_add_read;
    ac->ev.delRead = s_watch_del_read;
    ac->ev.addWrite = s_watch_add_write;
    ac->ev.delWrite = s_watch_del_write;
    ac->ev.cleanup = s_watch_cleanup;
    return 0;
}

static void s_command_release(s_command_t *cmd)
{
    if (!cmd->in_hiredis && !cmd->timer_open)
        free(cmd);
}

static void s_on_command_closed(uv_handle_t *handle)
{
    s_command_t *cmd = handle->data;
    cmd->timer_open = false;
    s_command_release(cmd);
}

static void s_on_command_timer(uv_timer_t *timer)
{
    s_command_t *cmd = timer->data;
    assert(!cmd->answered);
    cmd->answered = true;
    /*  cmd stays valid until the close callback, which runs after this. */
    uv_close((uv_handle_t *)timer, s_on_command_closed);
    if (!cmd->settled)
        gy_log_debug("redis command passed its deadline");
    cmd->cb(cmd->arg, cmd->settled && cmd->ok, cmd->count);
}

static void s_command_settle_now(s_command_t *cmd)
{
    cmd->settled = true;
    int rc = uv_timer_start(&cmd->timer, s_on_command_timer, 0, 0);
    assert(rc == 0);
    (void)rc;
}

static void s_log_error_reply(gy_redis_t *self, const redisReply *reply)
{
    uint64_t now = uv_now(self->loop);
    if (self->error_logged_ms && now - self->error_logged_ms < S_ERROR_LOG_PERIOD_MS)
        return;
    self->error_logged_ms = now;
    if (reply->type == REDIS_REPLY_ERROR)
        gy_log_warning("redis at %s:%d answered an error: %s", self->host, self->port, reply->str);
    else
        gy_log_warning("redis at %s:%d answered INCR with reply type %d", self->host, self->port,
                       reply->type);
}

/*  hiredis calls this once per INCR: with the reply, or with NULL when the
 *  context is freed (by us, or after a connection error). */
static void s_on_incr_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    s_command_t *cmd = privdata;
    const redisReply *reply = r;
    gy_redis_t *self = ac->data; /* NULL once we dropped or destroyed the connection */
    cmd->in_hiredis = false;
    if (self && self->waiting > 0) {
        self->waiting--;
        if (reply)
            self->progress_ms = uv_now(self->loop);
    }
    if (cmd->answered) {
        s_command_release(cmd); /* a late reply: the caller has had its error */
        return;
    }
    /*  The reply is freed by hiredis when this returns: copy what we need. */
    if (reply && reply->type == REDIS_REPLY_INTEGER) {
        cmd->ok = true;
        cmd->count = reply->integer;
    } else if (reply && self) {
        s_log_error_reply(self, reply);
    }
    s_command_settle_now(cmd);
}

static void s_log_outage(gy_redis_t *self, const char *detail)
{
    if (!self->outage_logged)
        gy_log_warning("could not connect to redis at %s:%d: %s", self->host, self->port, detail);
    else
        gy_log_debug("could not connect to redis at %s:%d: %s", self->host, self->port, detail);
    self->outage_logged = true;
}

/*  Forgets the connection and frees it.  Every command still waiting on it
 *  is settled with an error by hiredis's NULL replies; clearing ac->data
 *  first tells those callbacks and the disconnect callback that the context
 *  is no longer ours.  Inside a hiredis reply callback, hiredis defers the
 *  free until the callback returns. */
static void s_drop(gy_redis_t *self)
{
    redisAsyncContext *ac = self->ac;
    self->ac = NULL;
    self->state = S_DOWN;
    self->waiting = 0;
    if (!ac)
        return;
    ac->data = NULL;
    redisAsyncFree(ac);
}

static void s_on_pong(redisAsyncContext *ac, void *r, void *privdata)
{
    (void)privdata;
    gy_redis_t *self = ac->data;
    const redisReply *reply = r;
    if (!self || ac != self->ac || !reply)
        return; /* being freed: whoever frees it has set the state */
    if (reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0) {
        if (self->outage_logged)
            gy_log_info("redis at %s:%d is reachable again", self->host, self->port);
        else
            gy_log_info("connected to redis at %s:%d", self->host, self->port);
        self->outage_logged = false;
        self->state = S_UP;
        self->waiting = 0;
        return;
    }
    /*  LOADING while Redis reads its data set, NOAUTH, and the like: retry
     *  on the next tick. */
    s_log_outage(self, reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply to PING");
    s_drop(self);
}

/*  Must not free the context: hiredis keeps using it after this returns. */
static void s_on_connect(const redisAsyncContext *ac, int status)
{
    gy_redis_t *self = ac->data;
    if (!self || ac != self->ac)
        return;
    if (status != REDIS_OK) {
        s_log_outage(self, ac->errstr);
        self->ac = NULL; /* hiredis frees it after this callback */
        self->state = S_DOWN;
        return;
    }
    self->state = S_HANDSHAKE;
    /*  Should this fail, the tick abandons the attempt. */
    redisAsyncCommand(self->ac, s_on_pong, NULL, "PING");
}

static void s_on_disconnect(const redisAsyncContext *ac, int status)
{
    gy_redis_t *self = ac->data;
    if (!self || ac != self->ac)
        return;
    if (self->state == S_UP) {
        gy_log_warning("lost connection to redis at %s:%d: %s", self->host, self->port,
                       status == REDIS_OK ? "closed" : ac->errstr);
        self->outage_logged = true;
    } else {
        s_log_outage(self, status == REDIS_OK ? "closed" : ac->errstr);
    }
    self->ac = NULL; /* hiredis frees it after this callback */
    self->state = S_DOWN;
    self->waiting = 0;
}

static void s_connect(gy_redis_t *self)
{
    assert(!self->ac);
    redisAsyncContext *ac = redisAsyncConnect(self->host, self->port);
    if (!ac) {
        gy_log_error("out of memory creating a redis context");
        abort();
    }
    if (ac->err) {
        s_log_outage(self, ac->errstr);
        redisAsyncFree(ac);
        return;
    }
    int rc = s_watch_attach(ac, self->loop);
    if (rc < 0) {
        s_log_outage(self, uv_strerror(rc));
        redisAsyncFree(ac);
        return;
    }
    ac->data = self;
    redisAsyncSetConnectCallback(ac, s_on_connect);
    redisAsyncSetDisconnectCallback(ac, s_on_disconnect);
    self->ac = ac;
    self->state = S_CONNECTING;
    self->attempt_ms = uv_now(self->loop);
}

static void s_on_tick(uv_timer_t *timer)
{
    gy_redis_t *self = timer->data;
    uint64_t now = uv_now(self->loop);
    switch (self->state) {
    case S_UP:
        if (self->waiting > 0 && now - self->progress_ms >= S_TICK_MS) {
            gy_log_warning("redis at %s:%d has not answered for %" PRIu64 " ms; reconnecting",
                           self->host, self->port, now - self->progress_ms);
            self->outage_logged = true;
            s_drop(self);
        }
        break;
    case S_CONNECTING:
    case S_HANDSHAKE:
        if (now - self->attempt_ms >= S_TICK_MS) {
            s_log_outage(self,
                         self->state == S_CONNECTING ? "connect timed out" : "no answer to PING");
            s_drop(self);
            s_connect(self);
        }
        break;
    case S_DOWN: s_connect(self); break;
    }
}

gy_redis_t *gy_redis_new(uv_loop_t *loop, const char *host, int port, uint64_t timeout_ms)
{
    assert(loop);
    assert(host);
    assert(port > 0 && port <= 65535);
    gy_redis_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    self->host = gy_strdup(host);
    self->port = port;
    self->timeout_ms = timeout_ms ? timeout_ms : S_DEFAULT_TIMEOUT_MS;
    self->state = S_DOWN;
    uv_timer_init(loop, &self->tick);
    self->tick.data = self;
    uv_timer_start(&self->tick, s_on_tick, S_TICK_MS, S_TICK_MS);
    s_connect(self);
    return self;
}

static void s_on_tick_closed(uv_handle_t *handle)
{
    gy_redis_t *self = handle->data;
    free(self->host);
    free(self);
}

void gy_redis_destroy(gy_redis_t **self_p)
{
    assert(self_p);
    gy_redis_t *self = *self_p;
    if (!self)
        return;
    s_drop(self);
    uv_close((uv_handle_t *)&self->tick, s_on_tick_closed);
    *self_p = NULL;
}

/*  Up means answering: connected, PING answered, and no command waiting
 *  longer than the deadline without any reply arriving.  A stalled Redis
 *  thus turns "down" after one deadline, and callers stop waiting on it
 *  well before the tick drops the connection. */
bool gy_redis_up(gy_redis_t *self)
{
    assert(self);
    if (self->state != S_UP)
        return false;
    return self->waiting == 0 || uv_now(self->loop) - self->progress_ms < self->timeout_ms;
}

/*  Queues SET key 0 PX ttl NX and INCR key back to back: one round trip.
 *  The SET reply is not needed (INCR fails too when SET does), so hiredis
 *  discards it. */
static int s_send_incr(gy_redis_t *self, const char *key, uint64_t ttl_ms, s_command_t *cmd)
{
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%" PRIu64, ttl_ms);
    size_t key_len = strlen(key);
    const char *set_argv[] = {"SET", key, "0", "PX", ttl, "NX"};
    const size_t set_len[] = {3, key_len, 1, 2, strlen(ttl), 2};
    const char *incr_argv[] = {"INCR", key};
    const size_t incr_len[] = {4, key_len};
    if (redisAsyncCommandArgv(self->ac, NULL, NULL, 6, set_argv, set_len) != REDIS_OK)
        return -1;
    if (redisAsyncCommandArgv(self->ac, s_on_incr_reply, cmd, 2, incr_argv, incr_len) != REDIS_OK)
        return -1;
    return 0;
}

void gy_redis_incr_window(gy_redis_t *self, const char *key, uint64_t ttl_ms, gy_redis_count_cb *cb,
                          void *arg)
{
    assert(self);
    assert(key);
    assert(ttl_ms > 0);
    assert(cb);
    s_command_t *cmd = gy_calloc(1, sizeof *cmd);
    cmd->cb = cb;
    cmd->arg = arg;
    uv_timer_init(self->loop, &cmd->timer);
    cmd->timer.data = cmd;
    cmd->timer_open = true;
    if (!gy_redis_up(self) || s_send_incr(self, key, ttl_ms, cmd) < 0) {
        s_command_settle_now(cmd); /* not ok: the caller decides without Redis */
        return;
    }
    cmd->in_hiredis = true;
    if (self->waiting++ == 0)
        self->progress_ms = uv_now(self->loop);
    int rc = uv_timer_start(&cmd->timer, s_on_command_timer, self->timeout_ms, 0);
    assert(rc == 0);
    (void)rc;
}
