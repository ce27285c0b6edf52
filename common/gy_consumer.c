/*  gy_consumer — see gy_consumer.h. */
#include "gy_consumer.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gy_config.h"
#include "gy_util.h"

#define S_MAX_BATCH 256
/*  Events queued per producer before live ones are dropped (the replay
 *  brings them back once the queue has drained): memory stays bounded when
 *  the database is slower than the bus. */
#define S_PENDING_MAX           5000
#define S_REPLAY_LIMIT          1000
#define S_REPLAY_TIMEOUT_MS     2000
#define S_REPLAY_BACKOFF_MAX_MS 10000
#define S_RETRY_FIRST_MS        100
#define S_RETRY_MAX_MS          5000
#define S_TICK_MS               250
#define S_LIST_INTERVAL_MS      10000 /* asking a source which producers it has */
#define S_SCHEMA_MAX            48
#define S_PRODUCER_MAX          64

/*  Schema-qualified statements: STYLE rule 11 keeps SQL out of string
 *  building; the exception is the schema name, a fixed identifier of the
 *  consuming service (checked by s_schema_valid, never input) put into the
 *  text once at prepare time.  Values are parameters.
 *
 *  The advance statement inserts on first sight; otherwise it moves the
 *  position only from the one this consumer started from.  Any other stored
 *  position (another instance got there first) makes the new value NULL,
 *  which the NOT NULL column refuses: the whole transaction, effects
 *  included, fails with SQLSTATE 23502 and the consumer reloads. */
static const char s_sql_positions[] = "SELECT producer, last_sequence FROM %s.consumed";
static const char s_sql_advance[] =
    "INSERT INTO %s.consumed AS c (producer, last_sequence) VALUES ($1, $3::bigint)"
    " ON CONFLICT (producer) DO UPDATE SET last_sequence ="
    " CASE WHEN c.last_sequence = $2::bigint THEN EXCLUDED.last_sequence END";

typedef struct s_source s_source_t;
typedef struct s_producer s_producer_t;

/*  One event held by the consumer, from receipt to commit. */
typedef struct s_event {
    struct s_event *next; /* queue order */
    s_producer_t *producer;
    Gongyi__V1__Envelope *env;
    uint8_t *bytes;
    gy_consumer_event_t pub; /* what apply and done see */
    size_t first_stmt;       /* its statements in the transaction */
    size_t nstmts;
} s_event_t;

struct s_producer {
    struct s_producer *next;
    char *id;
    char *label;        /* producer="id", for metrics */
    s_source_t *source; /* where it was last heard: replays go there */
    uint64_t position;  /* last sequence committed */
    uint64_t next_seq;  /* next sequence to accept (position + pending + 1) */
    size_t pending;     /* queued and in flight */
    uint64_t announced; /* highest sequence an event or heartbeat showed */
    uint64_t head;      /* highest head_sequence announced */
    bool behind;        /* its database's head was below our position at the last list */
    bool found;         /* scratch: a row in the last position load */
    /* replay */
    bool replaying; /* a request is outstanding */
    char request_id[37];
    uint64_t replay_deadline_ms; /* when the outstanding request times out */
    uint64_t replay_after_ms;    /* no request before this (backoff) */
    uint64_t backoff_ms;
    /* scratch of the transaction being built */
    bool in_tx;
    uint64_t tx_prev;
    uint64_t tx_last;
    size_t tx_count;
};

/*  One resolved address of a source's events endpoint. */
typedef struct s_address {
    struct s_address *next;
    char *endpoint;
    bool seen; /* scratch: in the latest resolution */
} s_address_t;

typedef struct s_resolve s_resolve_t;

struct s_source {
    gy_consumer_t *consumer;
    size_t index; /* 1-based, for messages */
    char *events; /* as configured */
    char *replay;
    char *server_cert; /* NULL: plain */
    char *host;        /* tcp:// events: resolved; NULL: connected as is */
    char *port;
    bool v6_literal;
    gy_bus_socket_t *sub;
    gy_bus_socket_t *dealer;
    s_address_t *addresses;
    s_resolve_t *resolving; /* the lookup in flight */
    bool resolve_failed;    /* logged already */
    /* the list of producers (ReplayRequest with producer "") */
    char list_request_id[37]; /* the latest request: older answers are dropped */
    uint64_t list_due_ms;     /* when to ask (again), answered or not */
};

struct s_resolve {
    uv_getaddrinfo_t req;
    s_source_t *source; /* NULL once the source is gone */
};

struct gy_consumer {
    uv_loop_t *loop;
    gy_consumer_config_t config;
    s_source_t *sources;
    size_t nsources;
    s_producer_t *producers;
    s_event_t *queue_head; /* accepted, waiting for a transaction */
    s_event_t *queue_tail;
    size_t queued;
    s_event_t **batch; /* the transaction in flight */
    size_t batch_count;
    size_t result_cursor; /* event whose results arrive now */
    size_t npositions;    /* advance statements ahead of the effects */
    bool loaded;          /* positions known */
    bool loading;         /* a position load is running */
    bool reload;          /* load again before the next transaction */
    size_t singles;       /* after a failed batch: this many alone */
    uint64_t retry_ms;    /* backoff of an event that failed alone */
    bool retry_waiting;
    int resolve_s;
    unsigned ticks;
    int handles_open; /* timers; the last close frees us */
    bool destroying;
    uv_timer_t tick;    /* replay timeouts, gap checks, lag metrics */
    uv_timer_t resolve; /* DNS re-resolution */
    uv_timer_t retry;   /* backoff before a failed event goes again */
};

static void s_flush(gy_consumer_t *self);
static void s_want_replay(gy_consumer_t *self, s_producer_t *p);
static void s_load_positions(gy_consumer_t *self);

static bool s_schema_valid(const char *schema)
{
    size_t n = strlen(schema);
    if (n == 0 || n > S_SCHEMA_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = schema[i];
        if (!((c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

static uint64_t s_now(gy_consumer_t *self)
{
    return uv_now(self->loop);
}

void gy_consumer_prepare(const char *schema, gy_pg_t *pg)
{
    assert(s_schema_valid(schema));
    char sql[512];
    snprintf(sql, sizeof sql, s_sql_positions, schema);
    gy_pg_prepare(pg, "gy_consumer_positions", sql);
    snprintf(sql, sizeof sql, s_sql_advance, schema);
    gy_pg_prepare(pg, "gy_consumer_advance", sql);
}

void gy_consumer_tx_advance(gy_pg_tx_t *tx, const char *producer, uint64_t prev, uint64_t next)
{
    assert(next > prev);
    char prev_s[24], next_s[24];
    snprintf(prev_s, sizeof prev_s, "%" PRIu64, prev);
    snprintf(next_s, sizeof next_s, "%" PRIu64, next);
    const char *values[] = {producer, prev_s, next_s};
    gy_pg_tx_add(tx, "gy_consumer_advance", 3, values, NULL);
}

/*  ---- sources ---- */

typedef struct {
    char *events;
    char *replay;
    char *cert;
} s_spec_t;

static char *s_trim(const char *from, const char *to)
{
    while (from < to && (*from == ' ' || *from == '\t'))
        from++;
    while (to > from && (to[-1] == ' ' || to[-1] == '\t'))
        to--;
    return gy_strndup(from, (size_t)(to - from));
}

/*  Splits "tcp://host:port" into host and port; other transports give
 *  host NULL (connected as written).  -1 when malformed. */
static int s_split_endpoint(const char *endpoint, char **host_p, char **port_p, bool *v6_p)
{
    *host_p = *port_p = NULL;
    *v6_p = false;
    if (strncmp(endpoint, "ipc://", 6) == 0 || strncmp(endpoint, "inproc://", 9) == 0)
        return endpoint[strcspn(endpoint, "/") + 2] ? 0 : -1;
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return -1;
    const char *hp = endpoint + 6;
    const char *colon = strrchr(hp, ':');
    if (!colon || colon == hp)
        return -1;
    const char *port = colon + 1;
    size_t plen = strlen(port);
    if (plen == 0 || plen > 5 || strspn(port, "0123456789") != plen || atoi(port) == 0 ||
        atoi(port) > 65535)
        return -1;
    const char *h = hp;
    size_t hlen = (size_t)(colon - hp);
    if (*h == '[') {
        if (hlen < 3 || h[hlen - 1] != ']')
            return -1;
        h++;
        hlen -= 2;
        *v6_p = true;
    }
    for (size_t i = 0; i < hlen; i++) {
        char c = h[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_' || (*v6_p && c == ':');
        if (!ok || c == '*')
            return -1;
    }
    *host_p = gy_strndup(h, hlen);
    *port_p = gy_strdup(port);
    return 0;
}

static void s_specs_free(s_spec_t *specs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(specs[i].events);
        free(specs[i].replay);
        free(specs[i].cert);
    }
    free(specs);
}

/*  Parses GY_SOURCES.  NULL with why filled on error. */
static s_spec_t *s_parse_sources(const char *text, size_t *n_p, char *why, size_t why_size)
{
    *n_p = 0;
    if (!text || !*text) {
        snprintf(why, why_size,
                 "GY_SOURCES is not set: it lists the event sources as "
                 "EVENTS|REPLAY[|SERVER_PUBLIC_CERT_FILE],... e.g. "
                 "tcp://intake:7101|tcp://intake:7102");
        return NULL;
    }
    s_spec_t *specs = NULL;
    size_t n = 0;
    const char *p = text;
    for (;;) {
        const char *end = p + strcspn(p, ",");
        specs = gy_realloc(specs, (n + 1) * sizeof *specs);
        s_spec_t *s = &specs[n++];
        memset(s, 0, sizeof *s);
        char *parts[4] = {NULL, NULL, NULL, NULL};
        int nparts = 0;
        const char *q = p;
        while (nparts < 4) {
            const char *bar = q;
            while (bar < end && *bar != '|')
                bar++;
            parts[nparts++] = s_trim(q, bar);
            if (bar >= end)
                break;
            q = bar + 1;
        }
        s->events = parts[0];
        s->replay = parts[1];
        s->cert = parts[2];
        bool bad =
            nparts < 2 || nparts > 3 || !*parts[0] || !*parts[1] || (nparts == 3 && !*parts[2]);
        free(parts[3]);
        if (nparts == 3 && parts[2] && !*parts[2]) {
            free(s->cert);
            s->cert = NULL;
        }
        if (bad) {
            snprintf(why, why_size,
                     "invalid value for GY_SOURCES: source %zu is not "
                     "EVENTS|REPLAY[|SERVER_PUBLIC_CERT_FILE]",
                     n);
            goto fail;
        }
        char *host, *port;
        bool v6;
        for (int k = 0; k < 2; k++) {
            const char *ep = k == 0 ? s->events : s->replay;
            if (s_split_endpoint(ep, &host, &port, &v6) < 0) {
                snprintf(why, why_size,
                         "invalid value for GY_SOURCES: source %zu: \"%s\" is not an endpoint "
                         "like tcp://host:port",
                         n, ep);
                goto fail;
            }
            free(host);
            free(port);
        }
        if (!*end)
            break;
        p = end + 1;
    }
    *n_p = n;
    return specs;
fail:
    s_specs_free(specs, n);
    return NULL;
}

int gy_consumer_sources_check(const char *sources, char *why, size_t why_size)
{
    size_t n;
    s_spec_t *specs = s_parse_sources(sources, &n, why, why_size);
    if (!specs)
        return -1;
    s_specs_free(specs, n);
    return 0;
}

/*  ---- producers ---- */

static bool s_producer_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > S_PRODUCER_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (id[i] < 0x21 || id[i] > 0x7e || id[i] == '"' || id[i] == '\\')
            return false;
    return true;
}

static s_producer_t *s_producer_find(gy_consumer_t *self, const char *id)
{
    for (s_producer_t *p = self->producers; p; p = p->next)
        if (strcmp(p->id, id) == 0)
            return p;
    return NULL;
}

static s_producer_t *s_producer_get(gy_consumer_t *self, const char *id)
{
    s_producer_t *p = s_producer_find(self, id);
    if (p)
        return p;
    p = gy_calloc(1, sizeof *p);
    p->id = gy_strdup(id);
    p->label = gy_sprintf("producer=\"%s\"", id);
    p->next_seq = 1;
    p->backoff_ms = S_REPLAY_TIMEOUT_MS;
    p->next = self->producers;
    self->producers = p;
    return p;
}

uint64_t gy_consumer_position(const gy_consumer_t *self, const char *producer)
{
    for (const s_producer_t *p = self->producers; p; p = p->next)
        if (strcmp(p->id, producer) == 0)
            return p->position;
    return 0;
}

/*  ---- events in ---- */

static void s_event_free(s_event_t *ev)
{
    gongyi__v1__envelope__free_unpacked(ev->env, NULL);
    free(ev->bytes);
    free(ev);
}

/*  An event from a source, live or replayed.  Takes env. */
static void s_offer(gy_consumer_t *self, s_source_t *source, Gongyi__V1__Envelope *env,
                    const void *bytes, size_t len)
{
    if (!self->loaded || !s_producer_valid(env->producer) || env->sequence == 0) {
        /*  Before the positions are known nothing can be judged; the first
         *  heartbeat after the load brings a replay. */
        gongyi__v1__envelope__free_unpacked(env, NULL);
        return;
    }
    s_producer_t *p = s_producer_get(self, env->producer);
    p->source = source;
    uint64_t seq = env->sequence;
    if (seq > p->announced)
        p->announced = seq;
    if (seq < p->next_seq) {
        gy_metrics_count(self->config.metrics, "gy_consumer_duplicates_skipped_total", "", 1);
        gongyi__v1__envelope__free_unpacked(env, NULL);
        return;
    }
    if (seq > p->next_seq || p->pending >= S_PENDING_MAX) {
        /*  A gap (or no room): the replay brings everything from next_seq
         *  in order, this one included. */
        gongyi__v1__envelope__free_unpacked(env, NULL);
        s_want_replay(self, p);
        return;
    }
    s_event_t *ev = gy_calloc(1, sizeof *ev);
    ev->producer = p;
    ev->env = env;
    ev->bytes = gy_malloc(len ? len : 1);
    memcpy(ev->bytes, bytes, len);
    ev->pub.envelope = env;
    ev->pub.producer = p->id;
    ev->pub.sequence = seq;
    ev->pub.bytes = ev->bytes;
    ev->pub.len = len;
    if (self->queue_tail)
        self->queue_tail->next = ev;
    else
        self->queue_head = ev;
    self->queue_tail = ev;
    self->queued++;
    p->pending++;
    p->next_seq = seq + 1;
    s_flush(self);
}

static void s_heartbeat(gy_consumer_t *self, s_source_t *source, Gongyi__V1__Envelope *env)
{
    if (self->loaded && s_producer_valid(env->producer)) {
        s_producer_t *p = s_producer_get(self, env->producer);
        p->source = source;
        /*  A heartbeat proves the source is there (again): a replay asked
         *  while it was away, perhaps lost with the old connection, is asked
         *  again now rather than after the backoff it grew meanwhile. */
        if (p->backoff_ms > S_REPLAY_TIMEOUT_MS) {
            uint64_t sent = p->replay_deadline_ms - p->backoff_ms;
            p->backoff_ms = S_REPLAY_TIMEOUT_MS;
            p->replay_after_ms = 0;
            if (p->replaying && s_now(self) >= sent + S_REPLAY_TIMEOUT_MS)
                p->replaying = false;
        }
        if (env->sequence > p->announced)
            p->announced = env->sequence;
        if (env->heartbeat->head_sequence > p->head)
            p->head = env->heartbeat->head_sequence;
        if (p->announced >= p->next_seq)
            s_want_replay(self, p);
    }
    gongyi__v1__envelope__free_unpacked(env, NULL);
}

static void s_on_event_msg(void *arg, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    s_source_t *source = arg;
    gy_consumer_t *self = source->consumer;
    size_t len;
    const void *payload = gy_bus_msg_payload(msg, &len);
    Gongyi__V1__Envelope *env = gongyi__v1__envelope__unpack(NULL, len, payload);
    if (!env) {
        gy_log_debug("consumer: source %zu sent a frame that is not an Envelope", source->index);
    } else if (env->body_case == GONGYI__V1__ENVELOPE__BODY_HEARTBEAT) {
        s_heartbeat(self, source, env);
    } else {
        s_offer(self, source, env, payload, len);
    }
    gy_bus_msg_destroy(&msg);
}

/*  ---- replay ---- */

/*  Sends a ReplayRequest on a source's DEALER under a new id (written to
 *  request_id).  A send that would block counts as sent: the caller's
 *  timeout asks again. */
static void s_send_request(s_source_t *source, char request_id[37], const char *producer,
                           uint64_t after, uint32_t limit)
{
    Gongyi__V1__ReplayRequest rr = GONGYI__V1__REPLAY_REQUEST__INIT;
    rr.producer = (char *)producer;
    rr.after_sequence = after;
    rr.limit = limit;
    Gongyi__V1__Envelope env = GONGYI__V1__ENVELOPE__INIT;
    gy_uuid(request_id);
    env.id = request_id;
    env.type = "ReplayRequest";
    env.producer = "";
    env.time_unix_ms = gy_now_ms();
    env.body_case = GONGYI__V1__ENVELOPE__BODY_REPLAY_REQUEST;
    env.replay_request = &rr;
    size_t size = gongyi__v1__envelope__get_packed_size(&env);
    uint8_t *buf = gy_malloc(size);
    gongyi__v1__envelope__pack(&env, buf);
    gy_bus_frame_t frame = {buf, size};
    gy_bus_send(source->dealer, &frame, 1);
    free(buf);
}

static void s_send_replay(gy_consumer_t *self, s_producer_t *p)
{
    s_send_request(p->source, p->request_id, p->id, p->next_seq - 1, S_REPLAY_LIMIT);
    p->replaying = true;
    p->replay_deadline_ms = s_now(self) + p->backoff_ms;
    gy_metrics_count(self->config.metrics, "gy_consumer_replays_total", "", 1);
    gy_log_debug("consumer: replay of %s after %" PRIu64 " from source %zu", p->id, p->next_seq - 1,
                 p->source->index);
}

/*  The producer has events we lack: ask for them unless a request is out,
 *  the backoff says wait, or the queue is too full to take a page (the
 *  tick and each commit look again). */
static void s_want_replay(gy_consumer_t *self, s_producer_t *p)
{
    if (p->replaying || !p->source || !self->loaded || self->destroying)
        return;
    if (p->pending + S_REPLAY_LIMIT > S_PENDING_MAX)
        return;
    if (s_now(self) < p->replay_after_ms)
        return;
    s_send_replay(self, p);
}

/*  Asks a source which producers its site has.  A producer is otherwise
 *  known only from its own events and heartbeats, so one that is gone for
 *  good (a replica removed while we were away) would keep what we have
 *  not applied of it for ever. */
static void s_send_list(gy_consumer_t *self, s_source_t *source)
{
    s_send_request(source, source->list_request_id, "", 0, 0);
    source->list_due_ms = s_now(self) + S_LIST_INTERVAL_MS;
}

/*  The list's head comes from the producer's database, so it is below our
 *  position only when that database lost committed events (restored from
 *  a backup): the sequences it hands out again name new events, and the
 *  exactly-once rule skips them as duplicates.  That cannot be repaired
 *  here (which effects to keep is an operator's decision, docs/bus.md), but
 *  it must not pass in silence: an error once, and a gauge while it lasts.
 *  Heartbeats are not used: a restarted producer announces head 0 until its
 *  relay has read its position. */
static void s_check_behind(gy_consumer_t *self, s_producer_t *p, uint64_t head)
{
    bool behind = head < p->position;
    if (behind && !p->behind) {
        gy_log_error("consumer: producer %s has committed up to sequence %" PRIu64 " but %" PRIu64
                     " is applied here",
                     p->id, head, p->position);
        gy_log_error("detail: its database lost events (restored from a backup?); the "
                     "sequences %" PRIu64 " to %" PRIu64 " it hands out again are skipped as "
                     "duplicates",
                     head + 1, p->position);
        gy_log_error("hint: see docs/bus.md, \"A producer behind its consumers\"");
    }
    if (!behind && p->behind)
        gy_log_info("consumer: producer %s is at or beyond the applied position again", p->id);
    p->behind = behind;
    gy_metrics_set(self->config.metrics, "gy_consumer_producer_behind", p->label,
                   behind ? (double)(p->position - head) : 0);
}

/*  The list came: every producer with events beyond our position is
 *  replayed from this source, as after a heartbeat. */
static void s_on_list(gy_consumer_t *self, s_source_t *source, const Gongyi__V1__ReplayResponse *r)
{
    if (strcmp(r->request_id, source->list_request_id) != 0)
        return; /* an old answer */
    if (r->error_code && *r->error_code) {
        gy_log_warning("consumer: source %zu could not list its producers: %s", source->index,
                       r->error_code);
        return;
    }
    for (size_t i = 0; i < r->n_producers; i++) {
        const Gongyi__V1__ProducerHead *h = r->producers[i];
        if (!s_producer_valid(h->producer))
            continue;
        s_producer_t *p = s_producer_get(self, h->producer);
        if (!p->source)
            p->source = source;
        s_check_behind(self, p, h->head_sequence);
        if (h->head_sequence > p->announced)
            p->announced = h->head_sequence;
        if (h->head_sequence > p->head)
            p->head = h->head_sequence;
        if (p->announced >= p->next_seq)
            s_want_replay(self, p);
    }
}

static void s_on_replay_msg(void *arg, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    s_source_t *source = arg;
    gy_consumer_t *self = source->consumer;
    size_t len;
    const void *head = gy_bus_msg_frame(msg, 0, &len);
    Gongyi__V1__Envelope *env = head ? gongyi__v1__envelope__unpack(NULL, len, head) : NULL;
    if (!env || env->body_case != GONGYI__V1__ENVELOPE__BODY_REPLAY_RESPONSE) {
        gy_log_warning("consumer: source %zu answered a replay with something else", source->index);
        gongyi__v1__envelope__free_unpacked(env, NULL);
        gy_bus_msg_destroy(&msg);
        return;
    }
    Gongyi__V1__ReplayResponse *r = env->replay_response;
    if (!r->producer || !*r->producer) {
        if (self->loaded)
            s_on_list(self, source, r);
        gongyi__v1__envelope__free_unpacked(env, NULL);
        gy_bus_msg_destroy(&msg);
        return;
    }
    s_producer_t *p = s_producer_valid(r->producer) ? s_producer_find(self, r->producer) : NULL;
    bool current = p && p->replaying && strcmp(p->request_id, r->request_id) == 0;
    uint64_t before = p ? p->next_seq : 0;
    if (!r->error_code || !*r->error_code) {
        /*  Events of a late answer are as good as any: dedupe sorts them. */
        size_t n = gy_bus_msg_count(msg);
        for (size_t i = 1; i < n; i++) {
            size_t flen;
            const void *frame = gy_bus_msg_frame(msg, i, &flen);
            Gongyi__V1__Envelope *ev = gongyi__v1__envelope__unpack(NULL, flen, frame);
            if (!ev)
                continue;
            if (!p || strcmp(ev->producer, p->id) != 0) {
                gongyi__v1__envelope__free_unpacked(ev, NULL);
                continue;
            }
            s_offer(self, source, ev, frame, flen);
        }
    }
    if (current) {
        p->replaying = false;
        if (r->error_code && *r->error_code) {
            gy_log_warning("consumer: replay of %s from source %zu failed: %s", p->id,
                           source->index, r->error_code);
            p->replay_after_ms = s_now(self) + p->backoff_ms;
            if (p->backoff_ms < S_REPLAY_BACKOFF_MAX_MS)
                p->backoff_ms *= 2;
        } else {
            p->backoff_ms = S_REPLAY_TIMEOUT_MS;
            if (r->more && r->head_sequence > p->announced)
                p->announced = r->head_sequence;
            if (r->head_sequence > p->head)
                p->head = r->head_sequence;
            /*  An answer that brought nothing while we still lack events
             *  (a replica behind, say) waits a little before the next. */
            if (p->next_seq == before && !r->more)
                p->replay_after_ms = s_now(self) + S_REPLAY_TIMEOUT_MS;
            if (p->announced >= p->next_seq)
                s_want_replay(self, p);
        }
    }
    gongyi__v1__envelope__free_unpacked(env, NULL);
    gy_bus_msg_destroy(&msg);
}

/*  ---- transactions ---- */

static void s_on_tx_result(void *arg, size_t index, const gy_pg_result_t *res)
{
    gy_consumer_t *self = arg;
    if (index < self->npositions || !self->config.result)
        return;
    while (self->result_cursor < self->batch_count) {
        s_event_t *ev = self->batch[self->result_cursor];
        if (index < ev->first_stmt + ev->nstmts) {
            if (index >= ev->first_stmt)
                self->config.result(self->config.arg, &ev->pub, index - ev->first_stmt, res);
            return;
        }
        self->result_cursor++;
    }
}

/*  Puts the batch back at the head of the queue, in order. */
static void s_requeue_batch(gy_consumer_t *self)
{
    for (size_t i = self->batch_count; i-- > 0;) {
        s_event_t *ev = self->batch[i];
        ev->next = self->queue_head;
        self->queue_head = ev;
        if (!self->queue_tail)
            self->queue_tail = ev;
        self->queued++;
    }
}

static void s_on_retry(uv_timer_t *timer);

static void s_on_tx_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    gy_consumer_t *self = arg;
    size_t n = self->batch_count;
    for (size_t i = 0; i < n; i++) {
        s_event_t *ev = self->batch[i];
        if (self->config.done)
            self->config.done(self->config.arg, &ev->pub, status);
        ev->pub.user = NULL;
    }
    if (status == GY_PG_OK) {
        for (size_t i = 0; i < n; i++) {
            s_event_t *ev = self->batch[i];
            s_producer_t *p = ev->producer;
            if (p->in_tx) {
                p->in_tx = false;
                p->position = p->tx_last;
                p->pending -= p->tx_count;
                gy_metrics_count(self->config.metrics, "gy_consumer_events_applied_total", p->label,
                                 p->tx_count);
                /*  Room again: a replay held back by a full queue goes on. */
                if (p->announced >= p->next_seq)
                    s_want_replay(self, p);
            }
            s_event_free(ev);
        }
        gy_metrics_count(self->config.metrics, "gy_consumer_batches_total", "", 1);
        self->retry_ms = 0;
    } else {
        for (s_producer_t *p = self->producers; p; p = p->next)
            p->in_tx = false;
        s_requeue_batch(self);
        if (status == GY_PG_ERROR && n > 1) {
            /*  One event the service cannot apply must not hold back the
             *  others of the batch: each goes alone next. */
            gy_log_warning("consumer: a batch of %zu events failed (SQLSTATE %s); "
                           "retrying one by one",
                           n, sqlstate);
            self->singles = n;
        } else if (status == GY_PG_ERROR) {
            s_event_t *ev = self->queue_head;
            self->retry_ms = self->retry_ms ? self->retry_ms * 2 : S_RETRY_FIRST_MS;
            if (self->retry_ms > S_RETRY_MAX_MS)
                self->retry_ms = S_RETRY_MAX_MS;
            gy_log_error("consumer: event %s/%" PRIu64 " failed (SQLSTATE %s); "
                         "retrying in %" PRIu64 " ms",
                         ev->producer->id, ev->pub.sequence, sqlstate, self->retry_ms);
            self->retry_waiting = true;
            uv_timer_start(&self->retry, s_on_retry, self->retry_ms, 0);
        }
        /*  Failed or unknown: what the database holds decides. */
        self->reload = true;
    }
    free(self->batch);
    self->batch = NULL;
    self->batch_count = 0;
    if (self->reload)
        s_load_positions(self);
    s_flush(self);
}

static void s_on_retry(uv_timer_t *timer)
{
    gy_consumer_t *self = timer->data;
    self->retry_waiting = false;
    s_flush(self);
}

/*  The batch's write: positions, then each event's statements. */
static void s_write_batch(gy_consumer_t *self)
{
    size_t n = self->batch_count;
    self->result_cursor = 0;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    /*  Positions first: a stale one fails the transaction before any
     *  effect runs, and the row lock orders concurrent consumers. */
    self->npositions = 0;
    for (size_t i = 0; i < n; i++) {
        s_producer_t *p = self->batch[i]->producer;
        if (self->batch[i]->pub.sequence == p->tx_prev + 1) { /* its first event here */
            gy_consumer_tx_advance(tx, p->id, p->tx_prev, p->tx_last);
            self->npositions++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        s_event_t *ev = self->batch[i];
        ev->first_stmt = gy_pg_tx_size(tx);
        self->config.apply(self->config.arg, &ev->pub, tx);
        ev->nstmts = gy_pg_tx_size(tx) - ev->first_stmt;
    }
    if (gy_pg_run(self->config.pg, &tx, s_on_tx_result, s_on_tx_done, self) < 0) {
        /*  Not up after all: as if it failed before it was sent. */
        s_on_tx_done(self, GY_PG_DOWN, "");
    }
}

static void s_on_read_result(void *arg, size_t index, const gy_pg_result_t *res)
{
    gy_consumer_t *self = arg;
    while (self->result_cursor < self->batch_count) {
        s_event_t *ev = self->batch[self->result_cursor];
        if (index < ev->first_stmt + ev->nstmts) {
            if (index >= ev->first_stmt)
                self->config.read_result(self->config.arg, &ev->pub, index - ev->first_stmt, res);
            return;
        }
        self->result_cursor++;
    }
}

static void s_on_read_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    gy_consumer_t *self = arg;
    if (status != GY_PG_OK || self->destroying) {
        /*  Nothing was written: a failed batch, retried as any other. */
        s_on_tx_done(self, status == GY_PG_OK ? GY_PG_DOWN : status, sqlstate);
        return;
    }
    s_write_batch(self);
}

/*  The service's read, when it has one and the batch needs it; then the
 *  write. */
static void s_read_batch(gy_consumer_t *self)
{
    if (!self->config.read) {
        s_write_batch(self);
        return;
    }
    self->result_cursor = 0;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    for (size_t i = 0; i < self->batch_count; i++) {
        s_event_t *ev = self->batch[i];
        ev->first_stmt = gy_pg_tx_size(tx);
        self->config.read(self->config.arg, &ev->pub, tx);
        ev->nstmts = gy_pg_tx_size(tx) - ev->first_stmt;
    }
    if (gy_pg_tx_size(tx) == 0) {
        gy_pg_tx_destroy(&tx);
        s_write_batch(self);
        return;
    }
    if (gy_pg_run(self->config.pg, &tx, s_on_read_result, s_on_read_done, self) < 0)
        s_on_tx_done(self, GY_PG_DOWN, "");
}

/*  Sends what is queued as one transaction, unless one is in flight or
 *  the positions are being (re)loaded. */
static void s_flush(gy_consumer_t *self)
{
    if (self->batch || !self->loaded || self->loading || self->reload || self->retry_waiting ||
        !self->queue_head || self->destroying || !gy_pg_up(self->config.pg))
        return;
    size_t n = self->queued < self->config.max_batch ? self->queued : self->config.max_batch;
    if (self->singles) {
        self->singles--;
        n = 1;
    }
    self->batch = gy_calloc(n, sizeof *self->batch);
    self->batch_count = n;
    self->result_cursor = 0;
    for (size_t i = 0; i < n; i++) {
        s_event_t *ev = self->queue_head;
        self->queue_head = ev->next;
        ev->next = NULL;
        self->queued--;
        self->batch[i] = ev;
        s_producer_t *p = ev->producer;
        if (!p->in_tx) {
            p->in_tx = true;
            p->tx_prev = p->position;
            p->tx_count = 0;
            assert(ev->pub.sequence == p->position + 1);
        }
        p->tx_last = ev->pub.sequence;
        p->tx_count++;
    }
    if (!self->queue_head)
        self->queue_tail = NULL;
    s_read_batch(self);
}

/*  ---- positions ---- */

static void s_on_positions(void *arg, size_t index, const gy_pg_result_t *res)
{
    gy_consumer_t *self = arg;
    for (s_producer_t *p = self->producers; p; p = p->next)
        p->found = false;
    int rows = gy_pg_ntuples(res);
    for (int r = 0; r < rows; r++) {
        const char *id = gy_pg_value(res, r, 0);
        if (!s_producer_valid(id))
            continue;
        s_producer_t *p = s_producer_get(self, id);
        p->found = true;
        p->position = strtoull(gy_pg_value(res, r, 1), NULL, 10);
    }
    for (s_producer_t *p = self->producers; p; p = p->next)
        if (!p->found)
            p->position = 0;
}

/*  After a load: drop what the database says is applied, keep what
 *  follows the position without a gap, and let the replay bring the rest. */
static void s_reconcile(gy_consumer_t *self)
{
    for (s_producer_t *p = self->producers; p; p = p->next) {
        p->pending = 0;
        p->next_seq = p->position + 1;
    }
    s_event_t **link = &self->queue_head;
    self->queue_tail = NULL;
    while (*link) {
        s_event_t *ev = *link;
        s_producer_t *p = ev->producer;
        if (ev->pub.sequence != p->next_seq) {
            if (ev->pub.sequence < p->next_seq)
                gy_metrics_count(self->config.metrics, "gy_consumer_duplicates_skipped_total", "",
                                 1);
            *link = ev->next;
            self->queued--;
            s_event_free(ev);
            continue;
        }
        p->next_seq++;
        p->pending++;
        self->queue_tail = ev;
        link = &ev->next;
    }
}

static void s_on_positions_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    gy_consumer_t *self = arg;
    self->loading = false;
    if (status != GY_PG_OK) {
        /*  The connection's next "up" loads again. */
        return;
    }
    bool first = !self->loaded;
    self->loaded = true;
    self->reload = false;
    s_reconcile(self);
    if (first) {
        size_t n = 0;
        for (s_producer_t *p = self->producers; p; p = p->next)
            n++;
        gy_log_info("consumer: positions of %zu producers loaded", n);
    }
    s_flush(self);
    for (s_producer_t *p = self->producers; p; p = p->next)
        if (p->announced >= p->next_seq)
            s_want_replay(self, p);
}

static void s_load_positions(gy_consumer_t *self)
{
    if (self->loading || self->batch || self->destroying)
        return;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "gy_consumer_positions", 0, NULL, NULL);
    if (gy_pg_run(self->config.pg, &tx, s_on_positions, s_on_positions_done, self) < 0)
        return; /* down: gy_consumer_pg_up comes */
    self->loading = true;
}

void gy_consumer_pg_up(gy_consumer_t *self)
{
    self->reload = true;
    s_load_positions(self);
}

/*  ---- addresses ---- */

static void s_resolve_source(s_source_t *source);

static void s_on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    s_resolve_t *r = req->data;
    s_source_t *source = r->source;
    free(r);
    if (!source) {
        uv_freeaddrinfo(res);
        return;
    }
    source->resolving = NULL;
    if (status < 0) {
        if (!source->resolve_failed)
            gy_log_warning("consumer: could not resolve \"%s\" (source %zu of GY_SOURCES): %s; "
                           "trying again",
                           source->host, source->index, uv_strerror(status));
        source->resolve_failed = true;
        uv_freeaddrinfo(res);
        return;
    }
    source->resolve_failed = false;
    for (s_address_t *a = source->addresses; a; a = a->next)
        a->seen = false;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char ip[INET6_ADDRSTRLEN];
        char *endpoint;
        if (ai->ai_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, ip, sizeof ip);
            endpoint = gy_sprintf("tcp://%s:%s", ip, source->port);
        } else if (ai->ai_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, ip, sizeof ip);
            endpoint = gy_sprintf("tcp://[%s]:%s", ip, source->port);
        } else {
            continue;
        }
        s_address_t *a = source->addresses;
        while (a && strcmp(a->endpoint, endpoint) != 0)
            a = a->next;
        if (a) {
            a->seen = true;
            free(endpoint);
            continue;
        }
        if (gy_bus_connect(source->sub, endpoint) < 0) {
            free(endpoint);
            continue;
        }
        a = gy_calloc(1, sizeof *a);
        a->endpoint = endpoint;
        a->seen = true;
        a->next = source->addresses;
        source->addresses = a;
    }
    uv_freeaddrinfo(res);
    /*  An address the name no longer has is a replica that went away. */
    s_address_t **link = &source->addresses;
    while (*link) {
        s_address_t *a = *link;
        if (a->seen) {
            link = &a->next;
            continue;
        }
        gy_bus_disconnect(source->sub, a->endpoint);
        *link = a->next;
        free(a->endpoint);
        free(a);
    }
}

static void s_resolve_source(s_source_t *source)
{
    if (!source->host || source->resolving)
        return;
    s_resolve_t *r = gy_calloc(1, sizeof *r);
    r->source = source;
    r->req.data = r;
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = uv_getaddrinfo(source->consumer->loop, &r->req, s_on_resolved, source->host,
                            source->port, &hints);
    if (rc < 0) {
        gy_log_warning("consumer: could not start resolving \"%s\": %s", source->host,
                       uv_strerror(rc));
        free(r);
        return;
    }
    source->resolving = r;
}

static void s_on_resolve_timer(uv_timer_t *timer)
{
    gy_consumer_t *self = timer->data;
    for (size_t i = 0; i < self->nsources; i++)
        s_resolve_source(&self->sources[i]);
}

/*  ---- housekeeping ---- */

static void s_on_tick(uv_timer_t *timer)
{
    gy_consumer_t *self = timer->data;
    uint64_t now = s_now(self);
    for (s_producer_t *p = self->producers; p; p = p->next) {
        if (p->replaying && now >= p->replay_deadline_ms) {
            gy_log_warning("consumer: no replay of %s from source %zu within %" PRIu64
                           " ms; asking again",
                           p->id, p->source->index, p->backoff_ms);
            p->replaying = false;
            if (p->backoff_ms < S_REPLAY_BACKOFF_MAX_MS)
                p->backoff_ms *= 2;
            if (p->backoff_ms > S_REPLAY_BACKOFF_MAX_MS)
                p->backoff_ms = S_REPLAY_BACKOFF_MAX_MS;
        }
        if (p->announced >= p->next_seq)
            s_want_replay(self, p);
    }
    /*  Each source is asked for its producers once the positions are
     *  known, then every S_LIST_INTERVAL_MS (an unanswered request too). */
    for (size_t i = 0; self->loaded && !self->destroying && i < self->nsources; i++) {
        s_source_t *source = &self->sources[i];
        if (source->dealer && now >= source->list_due_ms)
            s_send_list(self, source);
    }
    if (++self->ticks % (1000 / S_TICK_MS) == 0) {
        /*  A position load that failed on a connection that stayed up (a
         *  missing table, say) is tried again, once a second. */
        if (self->reload && !self->loading && !self->batch && gy_pg_up(self->config.pg))
            s_load_positions(self);
        for (s_producer_t *p = self->producers; p; p = p->next) {
            uint64_t known = p->head > p->announced ? p->head : p->announced;
            double lag = known > p->position ? (double)(known - p->position) : 0;
            gy_metrics_set(self->config.metrics, "gy_consumer_lag", p->label, lag);
        }
    }
}

/*  ---- life cycle ---- */

static void s_timer_close_cb(uv_handle_t *handle)
{
    gy_consumer_t *self = handle->data;
    if (--self->handles_open > 0)
        return;
    free(self);
}

static void s_free_parts(gy_consumer_t *self)
{
    for (size_t i = 0; i < self->nsources; i++) {
        s_source_t *s = &self->sources[i];
        if (s->resolving)
            s->resolving->source = NULL; /* its callback frees it */
        gy_bus_close(&s->sub);
        gy_bus_close(&s->dealer);
        while (s->addresses) {
            s_address_t *a = s->addresses;
            s->addresses = a->next;
            free(a->endpoint);
            free(a);
        }
        free(s->events);
        free(s->replay);
        free(s->server_cert);
        free(s->host);
        free(s->port);
    }
    free(self->sources);
    self->sources = NULL;
    while (self->queue_head) {
        s_event_t *ev = self->queue_head;
        self->queue_head = ev->next;
        s_event_free(ev);
    }
    while (self->producers) {
        s_producer_t *p = self->producers;
        self->producers = p->next;
        free(p->id);
        free(p->label);
        free(p);
    }
}

void gy_consumer_destroy(gy_consumer_t **self_p)
{
    assert(self_p);
    gy_consumer_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    /*  The connection goes first (gy_consumer.h), so no transaction is in
     *  flight: its done callback has put the batch back in the queue. */
    assert(!self->batch);
    self->destroying = true;
    s_free_parts(self);
    uv_close((uv_handle_t *)&self->tick, s_timer_close_cb);
    uv_close((uv_handle_t *)&self->resolve, s_timer_close_cb);
    uv_close((uv_handle_t *)&self->retry, s_timer_close_cb);
}

static void s_describe(gy_metrics_t *m)
{
    gy_metrics_describe(m, "gy_consumer_events_applied_total", "counter",
                        "Events applied (committed with their effect), per producer.");
    gy_metrics_describe(m, "gy_consumer_duplicates_skipped_total", "counter",
                        "Events received again after they were applied, and skipped.");
    gy_metrics_describe(m, "gy_consumer_replays_total", "counter",
                        "Replay requests sent (pages and retries included).");
    gy_metrics_describe(m, "gy_consumer_batches_total", "counter",
                        "Transactions that applied events (group commits).");
    gy_metrics_describe(m, "gy_consumer_producer_behind", "gauge",
                        "How far a producer's committed head is below the position applied here "
                        "(its database lost events); 0 normally.");
    gy_metrics_describe(m, "gy_consumer_lag", "gauge",
                        "Newest sequence a producer announced minus the applied position.");
}

gy_consumer_t *gy_consumer_new(uv_loop_t *loop, const gy_consumer_config_t *config)
{
    assert(config->pg && config->bus && config->apply && config->metrics);
    assert(s_schema_valid(config->schema));
    gy_consumer_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    self->config = *config;
    if (!self->config.max_batch)
        self->config.max_batch = S_MAX_BATCH;
    uv_timer_init(loop, &self->tick);
    uv_timer_init(loop, &self->resolve);
    uv_timer_init(loop, &self->retry);
    self->tick.data = self->resolve.data = self->retry.data = self;
    self->handles_open = 3;

    const char *text = config->sources ? config->sources : gy_config_str("GY_SOURCES", NULL);
    const char *client_cert =
        config->client_cert ? config->client_cert : gy_config_str("GY_CURVE_CLIENT_CERT", NULL);
    int64_t resolve_s = config->resolve_s;
    if (resolve_s <= 0 && gy_config_int("GY_SOURCES_RESOLVE_S", 5, 1, 3600, &resolve_s) < 0)
        goto fail;
    self->resolve_s = (int)resolve_s;
    char why[512];
    size_t n;
    s_spec_t *specs = s_parse_sources(text, &n, why, sizeof why);
    if (!specs) {
        gy_log_error("%s", why);
        goto fail;
    }
    self->sources = gy_calloc(n, sizeof *self->sources);
    self->nsources = n;
    for (size_t i = 0; i < n; i++) {
        s_source_t *s = &self->sources[i];
        s->consumer = self;
        s->index = i + 1;
        s->events = specs[i].events;
        s->replay = specs[i].replay;
        s->server_cert = specs[i].cert;
        specs[i].events = specs[i].replay = specs[i].cert = NULL;
        s_split_endpoint(s->events, &s->host, &s->port, &s->v6_literal);
    }
    s_specs_free(specs, n);
    for (size_t i = 0; i < n; i++) {
        s_source_t *s = &self->sources[i];
        const char *mine = s->server_cert ? client_cert : NULL;
        if (s->server_cert && !client_cert) {
            gy_log_error("GY_CURVE_CLIENT_CERT is not set, but source %zu of GY_SOURCES names "
                         "a server certificate",
                         s->index);
            gy_log_error("hint: make a client key pair with gy-keygen DIR NAME, point "
                         "GY_CURVE_CLIENT_CERT to NAME_secret and put NAME in the "
                         "producer's clients folder.");
            goto fail;
        }
        s->sub = gy_bus_client(config->bus, GY_BUS_SUB, mine, s->server_cert, s_on_event_msg, s);
        s->dealer =
            gy_bus_client(config->bus, GY_BUS_DEALER, mine, s->server_cert, s_on_replay_msg, s);
        if (!s->sub || !s->dealer)
            goto fail;
        gy_bus_subscribe(s->sub, "");
        if (gy_bus_connect(s->dealer, s->replay) < 0)
            goto fail;
        if (!s->host && gy_bus_connect(s->sub, s->events) < 0)
            goto fail;
    }
    s_describe(config->metrics);
    for (size_t i = 0; i < n; i++)
        s_resolve_source(&self->sources[i]);
    uv_timer_start(&self->tick, s_on_tick, S_TICK_MS, S_TICK_MS);
    uv_timer_start(&self->resolve, s_on_resolve_timer, (uint64_t)self->resolve_s * 1000,
                   (uint64_t)self->resolve_s * 1000);
    return self;
fail:
    gy_consumer_destroy(&self);
    return NULL;
}
