/*  gy_outbox — the durable event relay of a producing service (transactional
 *  outbox), shared by intake and every later producer.
 *
 *  The service writes its events into its own schema's outbox table in the
 *  same transaction as the state that causes them (its own SQL: see the
 *  tables and the helper function below, to copy into the service's
 *  migration).  This module owns everything after the commit:
 *
 *  - Relay: events the service hands over after their commit
 *    (gy_outbox_committed) are published on the PUB socket in sequence
 *    order straight from memory.  After a start, or whenever it sees a gap,
 *    the relay reads the outbox from its saved position instead.  The
 *    position (producer.published) is saved every second, so a crash
 *    re-publishes at most about a second of events; consumers skip a
 *    (producer, sequence) they have.
 *  - Heartbeat: every second, frames ["Heartbeat"][Envelope{type
 *    "Heartbeat", producer, sequence = last published, heartbeat
 *    {head_sequence = newest committed}}].  Not stored, never replayed; it
 *    lets a consumer notice a tail it missed (docs/bus.md).
 *  - Replay: answers ReplayRequest messages from the outbox (any producer
 *    stored in this database), ReplayResponse plus the events, each
 *    byte-for-byte the bytes that were published.
 *  - Metrics: gy_outbox_lag (committed minus published; with
 *    config.sequence_pending, numbered minus published),
 *    gy_events_published_total, gy_heartbeats_published_total.
 *
 *  Envelope bytes are the same live and replayed because both are packed
 *  by gy_outbox_pack from the same stored columns: the header fields, then
 *  the already packed body appended as the oneof field (gy_envelope_pack).
 *
 *  Tables (in the service's schema S; intake's 0001_intake.sql has them):
 *
 *    CREATE TABLE S.producer (
 *        producer      text PRIMARY KEY,
 *        last_sequence bigint NOT NULL DEFAULT 0,  -- newest committed
 *        published     bigint NOT NULL DEFAULT 0   -- relay's saved position
 *    );
 *    CREATE TABLE S.outbox (
 *        producer text NOT NULL, sequence bigint NOT NULL,
 *        event_id uuid NOT NULL, type text NOT NULL,
 *        created_at timestamptz NOT NULL DEFAULT now(),
 *        time_ms bigint NOT NULL, trace_id text NOT NULL,
 *        procuratorate text NOT NULL, body bytea NOT NULL,
 *        PRIMARY KEY (producer, sequence)
 *    );
 *
 *  `type` is the body's message name (e.g. "ClueRouted"); the Envelope
 *  oneof field is found from it through the generated descriptor, so a new
 *  event type needs no change here.  Sequences are allocated by locking
 *  the producer row, which keeps them gap-free and in commit order, e.g.
 *  with this function in the service's migration (the writer then adds
 *  gy_outbox_tx_append statements to its transactions; the result row of
 *  each is the sequence, read with gy_outbox_sequence):
 *
 *    CREATE FUNCTION S.outbox_append(p_producer text, p_event_id uuid,
 *        p_type text, p_time_ms bigint, p_trace text, p_procuratorate text,
 *        p_body bytea) RETURNS bigint LANGUAGE plpgsql AS $$
 *    DECLARE v_seq bigint;
 *    BEGIN
 *        INSERT INTO S.producer AS pr (producer, last_sequence)
 *             VALUES (p_producer, 1)
 *        ON CONFLICT (producer) DO UPDATE SET last_sequence = pr.last_sequence + 1
 *        RETURNING pr.last_sequence INTO v_seq;
 *        INSERT INTO S.outbox (producer, sequence, event_id, type, time_ms,
 *                              trace_id, procuratorate, body)
 *        VALUES (p_producer, v_seq, p_event_id, p_type, p_time_ms, p_trace,
 *                p_procuratorate, p_body);
 *        RETURN v_seq;
 *    END $$;
 *
 *  (intake allocates inside intake.submit_clue instead, for its
 *  idempotency rule.)
 *
 *  That lock is held from the append to the commit, so a producer's
 *  writers commit one at a time.  A service whose events come from many
 *  concurrent transactions (the workflow's API) sets
 *  config.sequence_pending instead: outbox_append only inserts the event
 *  into S.outbox_pending (id bigserial, then the outbox's columns but the
 *  sequence) and returns that id; the relay numbers pending events in its
 *  own transaction before each read (a gy_outbox_check waits 5 ms for
 *  other commits, so one numbering serves a burst of them), with
 *
 *    S.outbox_sequence(p_producer text, p_limit integer) RETURNS bigint:
 *      locks the producer row (creating it), moves up to p_limit pending
 *      events of the producer, in id order, into S.outbox with the next
 *      sequences, and returns the newest sequence.
 *
 *  An event committed after another committed is numbered after it (its id
 *  is larger, and no snapshot sees it without the other); events of one
 *  transaction keep their order.  Sequences stay gap-free and in the order
 *  of publication; the workflow's R__workflow_functions.sql has both
 *  functions.
 *
 *  Use:
 *      gy_outbox_prepare("router", relay_pg, reader_pg, writer_pg);
 *      outbox = gy_outbox_new(loop, &config);   // before gy_pg_start
 *      relay state callback, up:  gy_outbox_relay_up(outbox);
 *      after each commit, in commit order: gy_outbox_committed(outbox, &ev);
 *      commit outcome unknown (GY_PG_LOST):  gy_outbox_check(outbox);
 *      replay ROUTER callback:  gy_outbox_replay(outbox, socket, msg);
 *      shutdown: destroy the gy_pg connections first, then gy_outbox_destroy.
 */
#ifndef GY_OUTBOX_H
#define GY_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gongyi.pb-c.h"
#include "gy_bus.h"
#include "gy_metrics.h"
#include "gy_pg.h"

typedef struct gy_outbox gy_outbox_t;

/*  One event as stored in the outbox; all borrowed. */
typedef struct {
    uint64_t sequence;
    const char *event_id; /* UUID */
    const char *type;     /* body message name, e.g. "ClueReceived" */
    int64_t time_ms;      /* Envelope.time_unix_ms */
    const char *trace_id;
    const char *procuratorate; /* region code, may be "" */
    const uint8_t *body;       /* the packed body message */
    size_t body_len;
} gy_outbox_event_t;

typedef struct {
    const char *schema;      /* the service's schema: [a-z_][a-z0-9_]*, at most 48 */
    const char *producer;    /* this instance's producer id */
    gy_pg_t *relay;          /* borrowed: the relay's own connection */
    gy_pg_t *reader;         /* borrowed: replay queries (may be shared with others) */
    gy_bus_socket_t *events; /* PUB, borrowed */
    gy_metrics_t *metrics;   /* borrowed */
    bool sequence_pending;   /* events are appended unnumbered and the relay numbers them
                                (S.outbox_sequence; see above and gy_outbox_prepare_sequencer) */
} gy_outbox_config_t;

/*  Registers the statements the relay and the replay need on their
 *  connections (and gy_outbox_tx_append's on writer, which may be NULL);
 *  call before gy_pg_start.  The schema is checked (assert: it is a
 *  constant of the service, not input). */
void gy_outbox_prepare(const char *schema, gy_pg_t *relay, gy_pg_t *reader, gy_pg_t *writer);
/*  Registers S.outbox_sequence on the relay's connection, for
 *  config.sequence_pending. */
void gy_outbox_prepare_sequencer(const char *schema, gy_pg_t *relay);

gy_outbox_t *gy_outbox_new(uv_loop_t *loop, const gy_outbox_config_t *config);
/*  Stops the timers; memory goes in their close callbacks: run the loop.
 *  Destroy the gy_pg connections first (their callbacks reference us). */
void gy_outbox_destroy(gy_outbox_t **self_p);

/*  The relay connection came up: read the saved position and catch up. */
void gy_outbox_relay_up(gy_outbox_t *self);

/*  An event of this producer committed: publish it now if it is the next
 *  in sequence, otherwise read the outbox.  Call in commit order.  With
 *  config.sequence_pending the event has no number yet: the same as
 *  gy_outbox_check. */
void gy_outbox_committed(gy_outbox_t *self, const gy_outbox_event_t *event);

/*  A writer transaction ended with an unknown outcome (GY_PG_LOST): events
 *  may have committed that nobody will hand over; look in the outbox. */
void gy_outbox_check(gy_outbox_t *self);

/*  Answers a ReplayRequest that arrived on `socket` (a ROUTER); takes msg. */
void gy_outbox_replay(gy_outbox_t *self, gy_bus_socket_t *socket, gy_bus_msg_t *msg);

/*  Committed minus published events. */
uint64_t gy_outbox_lag(const gy_outbox_t *self);

/*  ---- writer helpers ---- */

/*  Adds one execution of S.outbox_append (registered on the writer by
 *  gy_outbox_prepare) for this producer; event->sequence is ignored.  Its
 *  result row holds the sequence: gy_outbox_sequence(res). */
void gy_outbox_tx_append(gy_pg_tx_t *tx, const char *producer, const gy_outbox_event_t *event);
/*  The same for an event built with the generated code: packs msg (a body
 *  of the Envelope oneof, e.g. &routed.base), gives it a new id and the
 *  time now. */
void gy_outbox_tx_append_msg(gy_pg_tx_t *tx, const char *producer, const ProtobufCMessage *msg,
                             const char *trace_id, const char *procuratorate);
/*  The sequence in the result of a gy_outbox_tx_append statement, 0 if none. */
uint64_t gy_outbox_sequence(const gy_pg_result_t *res);

/*  ---- envelopes ---- */

/*  Packs the event's Envelope: the exact bytes that are published and
 *  replayed.  The caller frees *out.  -1 (logged) when `type` names no
 *  message of the Envelope oneof. */
int gy_outbox_pack(const char *producer, const gy_outbox_event_t *event, uint8_t **out,
                   size_t *len_p);

/*  Packs an Envelope around an already packed body (field `body_field` of
 *  the oneof; header->body_case must be NOT_SET): protobuf's own encoding
 *  of the whole message.  The caller frees *out. */
void gy_envelope_pack(const Gongyi__V1__Envelope *header, uint32_t body_field, const uint8_t *body,
                      size_t body_len, uint8_t **out, size_t *len_p);

/*  The oneof field number of the body message named `type`, 0 if none. */
uint32_t gy_envelope_body_field(const char *type);

#endif
