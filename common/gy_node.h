/*  gy_node — what every service brings up, from a spec it hands over: the
 *  configuration every service reads, the writer / relay / reader
 *  PostgreSQL connections, migrations, the bus endpoints, the outbox relay
 *  and replay, an exactly-once consumer, Redis and its rate limiter, the
 *  HTTP server with /healthz and /metrics, and the stop order.  The service
 *  keeps only its own logic: routes, statements, callbacks.
 *
 *      static const gy_node_spec_t s_spec = {
 *          .name = "echo", .schema = "echo",
 *          .migrations = echo_migrations, .migrations_count = &echo_migrations_count,
 *          .http_port = 8071, .events = "tcp://127.0.0.1:7171",
 *          .replay = "tcp://127.0.0.1:7172", .outbox = true,
 *          .sources = "tcp://127.0.0.1:7101|tcp://127.0.0.1:7102", .apply = s_apply,
 *          .routes = s_routes, .start = s_start,
 *      };
 *      gy_node_t *node = gy_node_new(loop, &s_spec, self);   // NULL: logged
 *      gy_service_run(loop, gy_node_stop_cb, node);
 *      gy_node_destroy(&node);
 *
 *  Environment (docs/configuration.md): GY_PG_DSN, GY_PG_PASSWORD_FILE,
 *  GY_PG_START_TIMEOUT_S, GY_PRODUCER (default "<name>-1"), GY_BUS_EVENTS,
 *  GY_BUS_REPLAY, GY_CURVE_SERVER_CERT, GY_CURVE_CLIENTS_DIR, GY_SOURCES
 *  (consumers), GY_REDIS_HOST, GY_REDIS_PORT, GY_HTTP_HOST, GY_HTTP_PORT,
 *  GY_HTTP_MAX_BODY, GY_HTTP_READ_TIMEOUT_MS, GY_TRUSTED_PROXIES.
 *
 *  Start order: configuration, database (wait, migrate, spec.prepare_db),
 *  metrics, connections, bus endpoints, outbox, Redis, spec.start (the
 *  service registers its statements and builds its parts), the consumer,
 *  the connections start, HTTP listens.  Stop order (gy_node_stop): HTTP
 *  closes, spec.stop (stop taking work), the extra connections, Redis, the
 *  writer / relay / reader (in-flight work fails into its callbacks), the
 *  consumer, spec.release (free what those callbacks used), the outbox, the
 *  bus.  Run the loop afterwards; then gy_node_destroy.
 *
 *  GET /healthz answers {"status","postgres","producer","outbox_lag"}, plus
 *  "redis" with Redis and "consumed" {producer: {position, lag}} with a
 *  consumer, plus what spec.health adds; 200 while the writer, reader and
 *  relay connections are all up, else 503.  GET /metrics renders the metrics (gy_postgres_up, gy_redis_up,
 *  gy_outbox_lag set just before).
 */
#ifndef GY_NODE_H
#define GY_NODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gy_bus.h"
#include "gy_consumer.h"
#include "gy_metrics.h"
#include "gy_outbox.h"
#include "gy_pg.h"
#include "gy_pgpool.h"
#include "gy_ratelimit.h"
#include "gy_redis.h"
#include "gy_route.h"

typedef struct gy_node gy_node_t;

typedef struct {
    const char *name;   /* the service: default producer "<name>-1", log lines, Redis keys */
    const char *schema; /* its PostgreSQL schema: migrations, outbox, consumed positions */
    const gy_pg_migration_t *migrations;
    const size_t *migrations_count; /* a pointer: the embedded count is not a constant */
    /*  Start-up work in the database after the migrations (reference
     *  data), on the blocking session; 0 or -1 (logged).  May be NULL. */
    int (*prepare_db)(void *arg, gy_pg_session_t *session);

    int http_port;               /* default of GY_HTTP_PORT */
    const char *events;          /* default of GY_BUS_EVENTS (PUB); NULL: no events */
    const char *replay;          /* default of GY_BUS_REPLAY (ROUTER); NULL: no replay */
    bool outbox;                 /* a gy_outbox on schema: relay, heartbeat and replay */
    bool sequence_pending;       /* its events are numbered by the relay (gy_outbox.h) */
    const char *sources;         /* default of GY_SOURCES, with a consumer */
    gy_consumer_apply_fn *apply; /* NULL: no consumer; arg is the service's, or see
                                    gy_node_set_consumer_arg */
    gy_consumer_result_fn *result;
    gy_consumer_done_fn *done; /* NULL: the outbox is checked after each commit */
    gy_consumer_read_fn *read; /* a read before the write (gy_consumer.h); may be NULL */
    gy_consumer_result_fn *read_result;
    bool redis; /* Redis and a rate limiter (keys "gy:rl:<name>:") */

    const gy_route_t *routes; /* the service's; arg is the service's.  May be NULL */
    /*  A request no route matched: true when it answered (e.g. 503 for a
     *  part that is off).  May be NULL: 404. */
    bool (*unrouted)(void *arg, gy_http_request_t *req);
    void (*health)(void *arg, json_t *body);     /* extra /healthz fields; may be NULL */
    void (*metrics)(void *arg, gy_metrics_t *m); /* before /metrics renders; may be NULL */
    void (*writer_state)(void *arg, bool up);    /* may be NULL */
    void (*relay_state)(void *arg, bool up);     /* a service's own relay; may be NULL */

    /*  The service's parts: statements on the node's connections, its
     *  objects, extra bus sockets.  0 or -1 (logged).  May be NULL. */
    int (*start)(void *arg, gy_node_t *node);
    void (*stop)(void *arg);    /* stop taking work (before the connections close) */
    void (*release)(void *arg); /* free what the connections' callbacks used */
} gy_node_spec_t;

/*  Brings everything up; NULL (logged) when any part cannot start (what
 *  did start is stopped: run the loop until it ends). */
gy_node_t *gy_node_new(uv_loop_t *loop, const gy_node_spec_t *spec, void *arg);
/*  Stops everything in order, once; memory goes in close callbacks. */
void gy_node_stop(gy_node_t *self);
/*  gy_node_stop as a gy_service_stop_fn. */
void gy_node_stop_cb(void *node);
/*  After the loop ended. */
void gy_node_destroy(gy_node_t **self_p);

/*  The parts, borrowed.  NULL when the spec did not ask for them. */
uv_loop_t *gy_node_loop(gy_node_t *self);
const char *gy_node_producer(const gy_node_t *self);
const char *gy_node_conninfo(const gy_node_t *self);
gy_metrics_t *gy_node_metrics(gy_node_t *self);
gy_pg_t *gy_node_writer(gy_node_t *self);
gy_pg_t *gy_node_relay(gy_node_t *self);
gy_pg_t *gy_node_reader(gy_node_t *self);
gy_bus_t *gy_node_bus(gy_node_t *self);
gy_bus_socket_t *gy_node_events(gy_node_t *self);
gy_outbox_t *gy_node_outbox(gy_node_t *self);
gy_consumer_t *gy_node_consumer(gy_node_t *self);
gy_redis_t *gy_node_redis(gy_node_t *self);
gy_ratelimit_t *gy_node_limiter(gy_node_t *self);
int gy_node_http_port(gy_node_t *self);

/*  One more connection for the service (e.g. an API apart from the
 *  writer's group commit), from spec.start: statements are prepared on it
 *  then; the node starts it with the others (state_cb may be NULL) and
 *  destroys it first. */
gy_pg_t *gy_node_pg(gy_node_t *self, const char *name, gy_pg_state_cb *state_cb, void *arg);

/*  n such connections as one pool (gy_pgpool.h: each transaction to the
 *  member with the fewest pending), e.g. an API whose requests each
 *  commit their own transaction; from spec.start.  The node owns the pool
 *  and its members (destroyed with the other connections). */
gy_pgpool_t *gy_node_pg_pool(gy_node_t *self, const char *name, size_t n);

/*  The replay socket's requests go to handler instead of the outbox (a
 *  service whose outbox lives in its store); from spec.start. */
void gy_node_on_replay(gy_node_t *self, gy_bus_msg_cb *handler, void *arg);

/*  The consumer's callbacks get arg instead of the service's (e.g. a part
 *  built in spec.start whose functions are the spec's callbacks); from
 *  spec.start, which runs before the consumer starts. */
void gy_node_set_consumer_arg(gy_node_t *self, void *arg);

#endif
