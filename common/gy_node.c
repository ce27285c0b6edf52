/*  gy_node — see gy_node.h. */
#include "gy_node.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_config.h"
#include "gy_crypto.h"
#include "gy_http.h"
#include "gy_util.h"

#define S_MAX_EXTRA_PG 32
#define S_MAX_POOLS    8
#define S_POSITIONS    "gy_node_positions" /* the consumed positions, for /healthz */

typedef struct {
    gy_pg_t *pg;
    gy_pg_state_cb *state_cb;
    void *arg;
} s_extra_pg_t;

struct gy_node {
    uv_loop_t *loop;
    const gy_node_spec_t *spec;
    void *arg; /* the service's */
    char *conninfo;
    char *producer;
    gy_metrics_t *metrics;
    gy_pg_t *writer;
    gy_pg_t *relay;
    gy_pg_t *reader;
    s_extra_pg_t extra[S_MAX_EXTRA_PG];
    size_t nextra;
    gy_pgpool_t *pools[S_MAX_POOLS]; /* of extra connections */
    size_t npools;
    gy_bus_t *bus;
    gy_bus_socket_t *events;
    gy_bus_socket_t *replay;
    gy_bus_msg_cb *replay_handler;
    void *replay_arg;
    gy_outbox_t *outbox;
    gy_consumer_t *consumer;
    void *consumer_arg; /* the consumer callbacks' arg: the service's unless set */
    gy_redis_t *redis;
    gy_ratelimit_t *limiter;
    gy_http_server_t *http;
    bool started; /* spec.start ran: spec.stop and spec.release are due */
    bool stopped;
};

/*  ---- configuration and database ---- */

static int s_load_config(gy_node_t *self)
{
    const char *dsn =
        gy_config_str("GY_PG_DSN", "host=127.0.0.1 port=5432 dbname=gongyi user=gongyi");
    int failed = 0;
    char *password = gy_config_secret_file("GY_PG_PASSWORD_FILE", &failed);
    if (failed)
        return -1;
    self->conninfo = gy_pg_conninfo(dsn, password);
    free(password);
    char *fallback = gy_sprintf("%s-1", self->spec->name);
    self->producer = gy_strdup(gy_config_str("GY_PRODUCER", fallback));
    free(fallback);
    if (strlen(self->producer) > 64) {
        gy_log_error("invalid value for GY_PRODUCER: at most 64 characters");
        return -1;
    }
    return 0;
}

/*  Containers start in any order: wait for PostgreSQL, within reason. */
static int s_prepare_database(gy_node_t *self)
{
    const gy_node_spec_t *spec = self->spec;
    int64_t timeout_s;
    if (gy_config_int("GY_PG_START_TIMEOUT_S", 120, 0, 86400, &timeout_s) < 0)
        return -1;
    gy_pg_session_t *session = gy_pg_session_wait(self->conninfo, timeout_s);
    if (!session)
        return -1;
    int rc = gy_pg_migrate(session, spec->schema, spec->migrations,
                           spec->migrations_count ? *spec->migrations_count : 0);
    if (rc == 0 && spec->prepare_db)
        rc = spec->prepare_db(self->arg, session);
    gy_pg_session_destroy(&session);
    return rc;
}

/*  ---- HTTP: /healthz and /metrics ---- */

typedef struct {
    gy_node_t *node;
    gy_http_request_t *req;
    json_t *consumed;
} s_health_t;

static void s_on_positions(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_health_t *h = arg;
    for (int r = 0; r < gy_pg_ntuples(res); r++) {
        const char *producer = gy_pg_value(res, r, 0);
        char labels[160];
        snprintf(labels, sizeof labels, "producer=\"%s\"", producer);
        json_object_set_new(
            h->consumed, producer,
            json_pack("{s:I,s:I}", "position",
                      (json_int_t)strtoll(gy_pg_value(res, r, 1), NULL, 10), "lag",
                      (json_int_t)gy_metrics_value(h->node->metrics, "gy_consumer_lag", labels)));
    }
}

static void s_answer_health(s_health_t *h, bool ok)
{
    gy_node_t *self = h->node;
    /*  Ready only when every connection is, the service's own (its API's
     *  pools) too: a request that reaches an instance whose connection is
     *  still coming up would answer 503. */
    ok = ok && gy_pg_up(self->writer) && gy_pg_up(self->reader) && gy_pg_up(self->relay);
    for (size_t i = 0; ok && i < self->nextra; i++)
        ok = gy_pg_up(self->extra[i].pg);
    json_t *body = json_pack("{s:s,s:s,s:s}", "status", ok ? "ok" : "unavailable", "postgres",
                             ok ? "ok" : "down", "producer", self->producer);
    if (self->redis)
        json_object_set_new(body, "redis", json_string(gy_redis_up(self->redis) ? "ok" : "down"));
    if (self->outbox)
        json_object_set_new(body, "outbox_lag",
                            json_integer((json_int_t)gy_outbox_lag(self->outbox)));
    if (h->consumed)
        json_object_set_new(body, "consumed", json_incref(h->consumed));
    if (self->spec->health)
        self->spec->health(self->arg, body);
    gy_reply_json(h->req, ok ? 200 : 503, body);
    json_decref(h->consumed);
    free(h);
}

static void s_on_positions_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_answer_health(arg, status == GY_PG_OK);
}

static void s_healthz(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    gy_node_t *self = arg;
    s_health_t *h = gy_calloc(1, sizeof *h);
    h->node = self;
    h->req = req;
    if (!self->consumer) {
        s_answer_health(h, true);
        return;
    }
    h->consumed = json_object();
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, S_POSITIONS, 0, NULL, NULL);
    if (gy_pg_run(self->reader, &tx, s_on_positions, s_on_positions_done, h) < 0)
        s_answer_health(h, false);
}

static void s_set_gauges(gy_node_t *self)
{
    gy_metrics_set(self->metrics, "gy_postgres_up", "", gy_pg_up(self->writer) ? 1 : 0);
    if (self->redis)
        gy_metrics_set(self->metrics, "gy_redis_up", "", gy_redis_up(self->redis) ? 1 : 0);
    if (self->outbox)
        gy_metrics_set(self->metrics, "gy_outbox_lag", "", (double)gy_outbox_lag(self->outbox));
}

static void s_metrics(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    gy_node_t *self = arg;
    s_set_gauges(self);
    if (self->spec->metrics)
        self->spec->metrics(self->arg, self->metrics);
    char *text = gy_metrics_render(self->metrics);
    gy_http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, text, strlen(text));
    free(text);
}

static const gy_route_t s_routes[] = {
    {"GET", "/healthz", "healthz", s_healthz},
    {"GET", "/metrics", "metrics", s_metrics},
    {NULL, NULL, NULL, NULL},
};

static void s_on_request(gy_http_request_t *req, void *arg)
{
    gy_node_t *self = arg;
    if (gy_route_dispatch_or(s_routes, req, self, false))
        return;
    if (self->spec->routes && gy_route_dispatch_or(self->spec->routes, req, self->arg, false))
        return;
    if (self->spec->unrouted && self->spec->unrouted(self->arg, req))
        return;
    gy_http_respond_error(req, 404, "not_found", "no such resource", NULL);
}

/*  ---- connections and bus ---- */

static void s_on_writer_state(void *arg, bool up)
{
    gy_node_t *self = arg;
    gy_metrics_set(self->metrics, "gy_postgres_up", "", up ? 1 : 0);
    if (up && self->consumer)
        gy_consumer_pg_up(self->consumer);
    if (self->spec->writer_state)
        self->spec->writer_state(self->arg, up);
}

static void s_on_relay_state(void *arg, bool up)
{
    gy_node_t *self = arg;
    if (up && self->outbox)
        gy_outbox_relay_up(self->outbox);
    if (self->spec->relay_state)
        self->spec->relay_state(self->arg, up);
}

static void s_on_replay(void *arg, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    gy_node_t *self = arg;
    if (self->replay_handler)
        self->replay_handler(self->replay_arg, socket, msg);
    else
        gy_outbox_replay(self->outbox, socket, msg);
}

static int s_start_bus(gy_node_t *self)
{
    const gy_node_spec_t *spec = self->spec;
    self->bus = gy_bus_new(self->loop, gy_config_str("GY_CURVE_SERVER_CERT", NULL),
                           gy_config_str("GY_CURVE_CLIENTS_DIR", NULL));
    if (!self->bus)
        return -1;
    if (spec->events) {
        self->events = gy_bus_bind(self->bus, GY_BUS_PUB,
                                   gy_config_str("GY_BUS_EVENTS", spec->events), NULL, NULL);
        if (!self->events)
            return -1;
    }
    if (spec->outbox) {
        assert(self->events); /* the relay publishes there */
        gy_outbox_config_t config = {
            .schema = spec->schema,
            .producer = self->producer,
            .relay = self->relay,
            .reader = self->reader,
            .events = self->events,
            .metrics = self->metrics,
            .sequence_pending = spec->sequence_pending,
        };
        self->outbox = gy_outbox_new(self->loop, &config);
    }
    if (spec->replay) {
        self->replay = gy_bus_bind(self->bus, GY_BUS_ROUTER,
                                   gy_config_str("GY_BUS_REPLAY", spec->replay), s_on_replay, self);
        if (!self->replay)
            return -1;
    }
    return 0;
}

static int s_start_redis(gy_node_t *self)
{
    int64_t port;
    if (gy_config_int("GY_REDIS_PORT", 6379, 1, 65535, &port) < 0)
        return -1;
    self->redis =
        gy_redis_new(self->loop, gy_config_str("GY_REDIS_HOST", "127.0.0.1"), (int)port, 0);
    char prefix[96];
    snprintf(prefix, sizeof prefix, "gy:rl:%s:", self->spec->name);
    self->limiter = gy_ratelimit_new(self->loop, self->redis, prefix);
    return 0;
}

/*  The consumer's callbacks reach the service's with its arg (or the one
 *  gy_node_set_consumer_arg gave). */
static void s_read(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    gy_node_t *self = arg;
    self->spec->read(self->consumer_arg, event, tx);
}

static void s_read_result(void *arg, gy_consumer_event_t *event, size_t index,
                          const gy_pg_result_t *res)
{
    gy_node_t *self = arg;
    if (self->spec->read_result)
        self->spec->read_result(self->consumer_arg, event, index, res);
}

static void s_apply(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    gy_node_t *self = arg;
    self->spec->apply(self->consumer_arg, event, tx);
}

static void s_result(void *arg, gy_consumer_event_t *event, size_t index, const gy_pg_result_t *res)
{
    gy_node_t *self = arg;
    if (self->spec->result)
        self->spec->result(self->consumer_arg, event, index, res);
}

/*  Without the service's own done callback, what a batch appended to the
 *  outbox is published as soon as it is (or may be) committed. */
static void s_done(void *arg, gy_consumer_event_t *event, gy_pg_status_t status)
{
    gy_node_t *self = arg;
    if (self->spec->done)
        self->spec->done(self->consumer_arg, event, status);
    else if (self->outbox && (status == GY_PG_OK || status == GY_PG_LOST))
        gy_outbox_check(self->outbox);
}

static int s_start_consumer(gy_node_t *self)
{
    const gy_node_spec_t *spec = self->spec;
    gy_consumer_config_t config = {
        .schema = spec->schema,
        .sources = gy_config_str("GY_SOURCES", spec->sources),
        .pg = self->writer,
        .bus = self->bus,
        .metrics = self->metrics,
        .read = spec->read ? s_read : NULL,
        .read_result = s_read_result,
        .apply = s_apply,
        .result = s_result,
        .done = s_done,
        .arg = self,
    };
    self->consumer = gy_consumer_new(self->loop, &config);
    return self->consumer ? 0 : -1;
}

static int s_start_http(gy_node_t *self)
{
    int64_t port, max_body, read_timeout;
    if (gy_config_int("GY_HTTP_PORT", self->spec->http_port, 0, 65535, &port) < 0 ||
        gy_config_int("GY_HTTP_MAX_BODY", 65536, 1024, INT64_C(16) * 1024 * 1024, &max_body) < 0 ||
        gy_config_int("GY_HTTP_READ_TIMEOUT_MS", 10000, 100, 600000, &read_timeout) < 0)
        return -1;
    gy_http_config_t config = {
        .host = gy_config_str("GY_HTTP_HOST", "127.0.0.1"),
        .port = (int)port,
        .max_body = (size_t)max_body,
        .read_timeout_ms = (uint64_t)read_timeout,
        .trusted_proxies = gy_config_str("GY_TRUSTED_PROXIES", ""),
        .metrics = self->metrics,
    };
    self->http = gy_http_server_new(self->loop, &config, s_on_request, self);
    if (!self->http)
        return -1;
    gy_log_info("%s %s listening on http://%s:%d", self->spec->name, self->producer, config.host,
                gy_http_server_port(self->http));
    return 0;
}

static int s_start(gy_node_t *self)
{
    const gy_node_spec_t *spec = self->spec;
    self->metrics = gy_metrics_new();
    gy_metrics_describe(self->metrics, "gy_postgres_up", "gauge",
                        "1 while the service's database (PostgreSQL) is reachable.");
    if (spec->redis)
        gy_metrics_describe(self->metrics, "gy_redis_up", "gauge", "1 while Redis is reachable.");

    self->writer = gy_pg_new(self->loop, self->conninfo, "pg writer");
    self->relay = gy_pg_new(self->loop, self->conninfo, "pg relay");
    self->reader = gy_pg_new(self->loop, self->conninfo, "pg reader");
    if (spec->outbox)
        gy_outbox_prepare(spec->schema, self->relay, self->reader, NULL);
    if (spec->outbox && spec->sequence_pending)
        gy_outbox_prepare_sequencer(spec->schema, self->relay);
    if (spec->apply) {
        gy_consumer_prepare(spec->schema, self->writer);
        /*  The schema is the service's constant (gy_consumer_prepare
         *  asserts its shape), not input. */
        char *sql = gy_sprintf("SELECT producer, last_sequence FROM %s.consumed ORDER BY producer",
                               spec->schema);
        gy_pg_prepare(self->reader, S_POSITIONS, sql);
        free(sql);
    }
    if (s_start_bus(self) < 0)
        return -1;
    if (spec->redis && s_start_redis(self) < 0)
        return -1;
    self->started = true;
    if (spec->start && spec->start(self->arg, self) < 0)
        return -1;
    if (spec->apply && s_start_consumer(self) < 0)
        return -1;
    gy_pg_start(self->writer, s_on_writer_state, self);
    gy_pg_start(self->relay, s_on_relay_state, self);
    gy_pg_start(self->reader, NULL, NULL);
    for (size_t i = 0; i < self->nextra; i++)
        gy_pg_start(self->extra[i].pg, self->extra[i].state_cb, self->extra[i].arg);
    return s_start_http(self);
}

gy_node_t *gy_node_new(uv_loop_t *loop, const gy_node_spec_t *spec, void *arg)
{
    assert(loop && spec && spec->name && spec->schema);
    gy_node_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    self->spec = spec;
    self->arg = arg;
    self->consumer_arg = arg;
    /*  libsodium first: ids (gy_uuid), hashing and sealing use it. */
    if (gy_crypto_init() < 0 || s_load_config(self) < 0 || s_prepare_database(self) < 0 ||
        s_start(self) < 0) {
        gy_node_stop(self);
        gy_node_destroy(&self);
        return NULL;
    }
    return self;
}

void gy_node_stop(gy_node_t *self)
{
    assert(self);
    if (self->stopped)
        return;
    self->stopped = true;
    /*  Stop taking work first, then fail what is in flight (the
     *  connections report to the consumer, the service and the outbox),
     *  then the parts that answered it. */
    gy_http_server_destroy(&self->http);
    if (self->started && self->spec->stop)
        self->spec->stop(self->arg);
    for (size_t i = 0; i < self->npools; i++)
        gy_pgpool_destroy(&self->pools[i]);
    for (size_t i = 0; i < self->nextra; i++)
        gy_pg_destroy(&self->extra[i].pg);
    gy_ratelimit_destroy(&self->limiter);
    gy_redis_destroy(&self->redis);
    gy_pg_destroy(&self->writer);
    gy_pg_destroy(&self->relay);
    gy_pg_destroy(&self->reader);
    gy_consumer_destroy(&self->consumer);
    if (self->started && self->spec->release)
        self->spec->release(self->arg);
    gy_outbox_destroy(&self->outbox);
    gy_bus_destroy(&self->bus);
}

void gy_node_stop_cb(void *node)
{
    gy_node_stop(node);
}

void gy_node_destroy(gy_node_t **self_p)
{
    assert(self_p);
    gy_node_t *self = *self_p;
    if (!self)
        return;
    assert(self->stopped);
    gy_metrics_destroy(&self->metrics);
    free(self->producer);
    free(self->conninfo);
    free(self);
    *self_p = NULL;
}

gy_pg_t *gy_node_pg(gy_node_t *self, const char *name, gy_pg_state_cb *state_cb, void *arg)
{
    assert(self && name && self->nextra < S_MAX_EXTRA_PG);
    s_extra_pg_t *extra = &self->extra[self->nextra++];
    extra->pg = gy_pg_new(self->loop, self->conninfo, name);
    extra->state_cb = state_cb;
    extra->arg = arg;
    return extra->pg;
}

gy_pgpool_t *gy_node_pg_pool(gy_node_t *self, const char *name, size_t n)
{
    assert(self && name && n > 0 && self->npools < S_MAX_POOLS);
    gy_pgpool_t *pool = gy_pgpool_new();
    for (size_t i = 0; i < n; i++)
        gy_pgpool_add(pool, gy_node_pg(self, name, NULL, NULL));
    self->pools[self->npools++] = pool;
    return pool;
}

void gy_node_on_replay(gy_node_t *self, gy_bus_msg_cb *handler, void *arg)
{
    assert(self && handler);
    self->replay_handler = handler;
    self->replay_arg = arg;
}

uv_loop_t *gy_node_loop(gy_node_t *self)
{
    return self->loop;
}
const char *gy_node_producer(const gy_node_t *self)
{
    return self->producer;
}
const char *gy_node_conninfo(const gy_node_t *self)
{
    return self->conninfo;
}
gy_metrics_t *gy_node_metrics(gy_node_t *self)
{
    return self->metrics;
}
gy_pg_t *gy_node_writer(gy_node_t *self)
{
    return self->writer;
}
gy_pg_t *gy_node_relay(gy_node_t *self)
{
    return self->relay;
}
gy_pg_t *gy_node_reader(gy_node_t *self)
{
    return self->reader;
}
gy_bus_t *gy_node_bus(gy_node_t *self)
{
    return self->bus;
}
gy_bus_socket_t *gy_node_events(gy_node_t *self)
{
    return self->events;
}
gy_outbox_t *gy_node_outbox(gy_node_t *self)
{
    return self->outbox;
}
gy_consumer_t *gy_node_consumer(gy_node_t *self)
{
    return self->consumer;
}
gy_redis_t *gy_node_redis(gy_node_t *self)
{
    return self->redis;
}
gy_ratelimit_t *gy_node_limiter(gy_node_t *self)
{
    return self->limiter;
}
int gy_node_http_port(gy_node_t *self)
{
    return self->http ? gy_http_server_port(self->http) : 0;
}

void gy_node_set_consumer_arg(gy_node_t *self, void *arg)
{
    assert(self && !self->consumer);
    self->consumer_arg = arg;
}
