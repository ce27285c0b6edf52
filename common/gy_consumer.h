/*  gy_consumer — takes events from the bus exactly once, in order per
 *  producer, into the consuming service's own transactions.
 *
 *  Sources.  GY_SOURCES lists where events come from, comma-separated:
 *  "EVENTS|REPLAY[|SERVER_PUBLIC_CERT_FILE],...", e.g.
 *  "tcp://intake:7101|tcp://intake:7102".  Per source the consumer has one
 *  SUB socket (subscribed to everything) and one DEALER for replay.  The
 *  host of a tcp:// EVENTS endpoint is resolved with uv_getaddrinfo to all
 *  its addresses, again every GY_SOURCES_RESOLVE_S seconds (default 5),
 *  and the SUB connects to each, so every replica behind one DNS name is
 *  followed.  REPLAY is connected by name: any instance of a site replays
 *  every producer of the site's database.  With a server certificate the
 *  source is CURVE: GY_CURVE_CLIENT_CERT names the consumer's secret
 *  certificate (gy-keygen's NAME_secret).
 *
 *  Positions.  Per producer, the last sequence applied lives in the
 *  consuming service's table, which the service creates in its own
 *  migration (copy this, with S its schema):
 *
 *    CREATE TABLE S.consumed (
 *        producer      text PRIMARY KEY,
 *        last_sequence bigint NOT NULL
 *    );
 *
 *  Delivery.  Events are handed to `apply` in strict sequence order per
 *  producer, never a (producer, sequence) twice once its transaction
 *  committed.  The consumer opens the transaction, calls apply for every
 *  event of the batch (apply adds the service's statements for the event,
 *  or none to ignore it), adds the position update of each producer in the
 *  batch (gy_consumer_tx_advance: it fails the transaction unless the
 *  stored position is still the one the consumer started from), runs it on
 *  the service's connection, and advances only after the commit.  Events
 *  that queue up while a transaction is in flight go together in the next
 *  (group commit, up to max_batch).  After a failed or unknown commit the
 *  positions are read again from the database before anything else runs;
 *  a batch that failed is retried one event per transaction, and an event
 *  that fails alone is retried with backoff (never skipped: order holds).
 *
 *  Gaps.  On start the positions are loaded; the first event or heartbeat
 *  of a producer that shows a sequence beyond the position (event
 *  sequence > position + 1, heartbeat sequence > position) makes the
 *  consumer ask that producer's source for a replay from the position,
 *  page by page while `more`; live events beyond the next expected are
 *  dropped meanwhile (the replay brings them).  A replay that is not
 *  answered in 2 s is asked again, with backoff up to 10 s.  Each source
 *  is also asked which producers its site has (a ReplayRequest with
 *  producer ""), once the positions are loaded and every 10 s, so that a
 *  producer gone for good, which sends neither events nor heartbeats, is
 *  replayed all the same.
 *
 *  Metrics: gy_consumer_events_applied_total{producer},
 *  gy_consumer_duplicates_skipped_total, gy_consumer_replays_total,
 *  gy_consumer_batches_total, gy_consumer_lag{producer} (newest sequence
 *  the producer announced minus the applied position).
 *
 *  Use:
 *      gy_consumer_prepare("router", pg);           // before gy_pg_start
 *      consumer = gy_consumer_new(loop, &config);   // NULL: bad GY_SOURCES (logged)
 *      pg state callback, up:  gy_consumer_pg_up(consumer);
 *      shutdown: gy_pg_destroy first (the transaction in flight reports to
 *      us), then gy_consumer_destroy, then gy_bus_destroy; run the loop.
 */
#ifndef GY_CONSUMER_H
#define GY_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gongyi.pb-c.h"
#include "gy_bus.h"
#include "gy_metrics.h"
#include "gy_pg.h"

typedef struct gy_consumer gy_consumer_t;

/*  One event on its way into a transaction.  Everything but `user` is
 *  borrowed from the consumer and valid until the done callback. */
typedef struct {
    const Gongyi__V1__Envelope *envelope; /* unpacked */
    const char *producer;                 /* envelope->producer */
    uint64_t sequence;                    /* envelope->sequence */
    const uint8_t *bytes;                 /* the Envelope as received */
    size_t len;
    void *user; /* the service's, for this attempt: set in apply */
} gy_consumer_event_t;

/*  Adds the service's statements for this event to tx (none: the event
 *  does not concern the service; its position still advances). */
typedef void(gy_consumer_apply_fn)(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx);
/*  A result of the index-th statement apply added for this event, before
 *  the commit is known (see gy_pg_result_cb).  May be NULL in the config. */
typedef void(gy_consumer_result_fn)(void *arg, gy_consumer_event_t *event, size_t index,
                                    const gy_pg_result_t *res);
/*  Once per event per attempt, after the transaction ended: GY_PG_OK when
 *  the effect is committed; otherwise the event will be applied again
 *  later (with GY_PG_LOST it may have committed: a producer service calls
 *  gy_outbox_check).  Free event->user here.  May be NULL in the config. */
typedef void(gy_consumer_done_fn)(void *arg, gy_consumer_event_t *event, gy_pg_status_t status);

/*  Optional read before a batch's write, for a service that decides in C
 *  from stored state (the router: which duplicate cluster a clue joins).
 *  read adds the event's statements (or none) to a read transaction that
 *  runs first on the same connection; read_result (same contract as
 *  result, indexes counted from the event's first read statement) hands
 *  over their rows, to keep in event->user; then apply builds the write
 *  as usual.  A failed read is a failed batch: done runs with its status
 *  and the batch is retried like any other.  The read is not inside the
 *  write's transaction: what the decision rests on must be guarded there
 *  (a statement that fails when it changed). */
typedef void(gy_consumer_read_fn)(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx);

typedef struct {
    const char *schema;          /* holds S.consumed: [a-z_][a-z0-9_]*, at most 48 */
    const char *sources;         /* GY_SOURCES syntax; NULL: read GY_SOURCES */
    const char *client_cert;     /* secret cert file; NULL: read GY_CURVE_CLIENT_CERT */
    int resolve_s;               /* 0: read GY_SOURCES_RESOLVE_S (default 5) */
    size_t max_batch;            /* events per transaction; 0: 256 */
    gy_pg_t *pg;                 /* borrowed: runs the apply transactions */
    gy_bus_t *bus;               /* borrowed: creates the sockets */
    gy_metrics_t *metrics;       /* borrowed */
    gy_consumer_apply_fn *apply; /* required */
    gy_consumer_result_fn *result;
    gy_consumer_done_fn *done;
    gy_consumer_read_fn *read;          /* NULL: no read before the write */
    gy_consumer_result_fn *read_result; /* with read */
    void *arg;
} gy_consumer_config_t;

/*  Registers the consumer's statements on pg; call before gy_pg_start. */
void gy_consumer_prepare(const char *schema, gy_pg_t *pg);

/*  Parses the sources and connects the sockets.  NULL (logged, naming the
 *  variable) when the sources or the certificates are unusable. */
gy_consumer_t *gy_consumer_new(uv_loop_t *loop, const gy_consumer_config_t *config);
/*  Closes the sockets and timers; memory goes in close callbacks: run the
 *  loop.  Events still queued are dropped (they were never committed). */
void gy_consumer_destroy(gy_consumer_t **self_p);

/*  The connection came up (again): load the positions, then go on. */
void gy_consumer_pg_up(gy_consumer_t *self);

/*  Adds the position update of `producer` from prev to next (next > prev)
 *  to tx: an insert on first sight, otherwise an update that fails the
 *  transaction (SQLSTATE 23502) unless the stored position is prev.  The
 *  consumer adds these itself; exposed for services that move a position
 *  by other means (e.g. an administrator's skip). */
void gy_consumer_tx_advance(gy_pg_tx_t *tx, const char *producer, uint64_t prev, uint64_t next);

/*  The applied position of a producer (0 if unknown); for tests. */
uint64_t gy_consumer_position(const gy_consumer_t *self, const char *producer);

/*  Checks a GY_SOURCES value; 0, or -1 with a message in why (for tools
 *  and tests; gy_consumer_new logs the same message). */
int gy_consumer_sources_check(const char *sources, char *why, size_t why_size);

#endif
