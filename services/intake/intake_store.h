/*  intake_store — writes clues durably and announces them, in that order.
 *
 *  Writer: submissions queue up while a transaction is in flight and go in
 *  the next one together (group commit: one fsync for many clues).  Each
 *  clue is stored with its ClueReceived event in the outbox by
 *  intake.submit_clue, in the same transaction; a caller hears the outcome
 *  only after the commit, or "unavailable" when PostgreSQL is down or the
 *  outcome cannot be known.
 *
 *  Relay, heartbeat and replay are gy_outbox's (schema "intake"): events
 *  committed here are handed to it in commit order and published on the
 *  PUB socket straight from memory; after a start, or whenever it sees a
 *  gap, it reads the outbox from its saved position instead.  The position
 *  is saved every second, so a crash re-publishes at most about a second
 *  of events (subscribers skip a (producer, sequence) they have).  It also
 *  answers ReplayRequest messages from the outbox.
 */
#ifndef INTAKE_STORE_H
#define INTAKE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "gy_bus.h"
#include "gy_crypto.h"
#include "gy_metrics.h"
#include "gy_node.h"
#include "gy_outbox.h"
#include "gy_pg.h"
#include "intake_clue.h"

typedef struct intake_store intake_store_t;

typedef enum {
    INTAKE_STORED,      /* new clue committed */
    INTAKE_DUPLICATE,   /* idempotency key seen with the same body: the original */
    INTAKE_CONFLICT,    /* idempotency key seen with another body */
    INTAKE_UNAVAILABLE, /* nothing acknowledged: PostgreSQL down or outcome unknown */
} intake_outcome_t;

typedef struct {
    intake_outcome_t outcome;
    char id[37];
    char receipt_code[GY_RECEIPT_LEN + 1];
    char status[24];
} intake_result_t;

typedef void(intake_store_cb)(void *arg, const intake_result_t *result);

typedef struct {
    const char *producer;    /* this instance's producer id */
    const uint8_t *seal_key; /* GY_SEAL_KEY_BYTES, borrowed */
    gy_pg_t *writer;         /* borrowed; statements registered by intake_store_prepare */
    gy_pg_t *relay;          /* borrowed */
    gy_pg_t *reader;         /* borrowed */
    gy_bus_socket_t *events; /* PUB, borrowed */
    gy_metrics_t *metrics;   /* borrowed */
} intake_store_config_t;

/*  Reads the key that seals reporters' identities from the file named by
 *  GY_SEAL_KEY_FILE (required); 0, or -1 (logged). */
int intake_store_seal_key_load(uint8_t key[GY_SEAL_KEY_BYTES]);

/*  Registers the statements each connection needs; call before gy_pg_start. */
void intake_store_prepare(gy_pg_t *writer, gy_pg_t *relay, gy_pg_t *reader);

intake_store_t *intake_store_new(uv_loop_t *loop, const intake_store_config_t *config);
/*  On the node, from spec.start: the statements registered on its writer,
 *  relay and reader, its producer, PUB socket and metrics, and the replay
 *  socket's requests answered by intake_store_replay.  seal_key borrowed. */
intake_store_t *intake_store_start(gy_node_t *node, const uint8_t *seal_key);
void intake_store_destroy(intake_store_t **self_p);

/*  Stores the clue (taking it: *clue_p is cleared).  trace_id may be NULL.
 *  cb runs exactly once, possibly before this returns (when PostgreSQL is
 *  down). */
void intake_store_submit(intake_store_t *self, intake_clue_t *clue, const char *trace_id,
                         intake_store_cb *cb, void *arg);

/*  The relay connection came up: find the saved position and catch up. */
void intake_store_relay_up(intake_store_t *self);

/*  Answers a ReplayRequest that arrived on `socket` (a ROUTER); takes msg. */
void intake_store_replay(intake_store_t *self, gy_bus_socket_t *socket, gy_bus_msg_t *msg);

/*  Committed minus published events. */
uint64_t intake_store_lag(const intake_store_t *self);

#endif
