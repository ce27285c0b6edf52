/*  gy_due — due work: rows with a due time that fire exactly once, each
 *  with its event, in one transaction.  Reporter deadlines (router), case
 *  deadlines (workflow), notification retries and report snapshots are
 *  such rows.
 *
 *  The service owns its table and two named statements (SQL lives in the
 *  service, gy_due runs it):
 *  - due_stmt, prepared on `reader`: ($1 bigint: now, ms since the epoch;
 *    $2 int: batch size) -> the unfired rows due by then, oldest first,
 *    LIMIT $2.  Its cost must not grow with the table: an index on the due
 *    time of unfired rows (a partial index WHERE fired_at IS NULL).  The
 *    first key_columns columns identify the row.
 *  - fire_stmt, prepared on `writer`: (the key columns..., then fired ms,
 *    producer, event id, event time ms, trace id, procuratorate, body)
 *    marks the row fired — guarded by "not fired yet" — and appends the
 *    event to the outbox only when the guard let it through, returning
 *    the sequence; no row when it had fired already.  E.g.
 *
 *        WITH fired AS (UPDATE s.thing SET fired_at = to_timestamp($2 / 1000.0)
 *                        WHERE id = $1 AND fired_at IS NULL RETURNING 1)
 *        SELECT s.outbox_append($3, $4::uuid, 'ThingDue', $5, $6, $7, $8) FROM fired
 *
 *  Every interval_ms (and on gy_due_poke) gy_due reads the due rows with
 *  the process clock (gy_clock), asks the service to pack each row's event
 *  (pack), and fires the batch on the writer in one transaction; a full
 *  batch is followed by the next at once.  The guard makes it exactly
 *  once: two scanners that read the same rows, or a retry after a commit
 *  whose outcome was lost, fire each row once; the loser appends nothing.
 *  Committed events go to the relay (gy_outbox_committed); a lost commit
 *  asks the outbox to look (gy_outbox_check).
 *
 *      gy_due_config_t c = {.name = "deadline", .due_stmt = "deadlines_due",
 *                           .fire_stmt = "deadline_fire", .key_columns = 2,
 *                           .pack = s_pack, ...};
 *      gy_due_t *due = gy_due_new(loop, &c);
 *      ...
 *      gy_due_destroy(&due);   // then run the loop: a timer closes
 */
#ifndef GY_DUE_H
#define GY_DUE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gy_metrics.h"
#include "gy_outbox.h"
#include "gy_pg.h"

#define GY_DUE_MAX_KEYS 4

typedef struct gy_due gy_due_t;

/*  The event one due row fires, filled by the pack callback. */
typedef struct {
    const char *type;       /* the body message's name, static */
    char procuratorate[16]; /* the region the event is about, may be "" */
    uint8_t *body;          /* packed by the service with gy_malloc; gy_due frees */
    size_t body_len;
} gy_due_event_t;

/*  Packs the event of row `row` of a due_stmt result, fired at now_ms.
 *  0, or -1 to leave the row for now (logged by the callback). */
typedef int(gy_due_pack_fn)(void *arg, const gy_pg_result_t *res, int row, int64_t now_ms,
                            gy_due_event_t *event);

typedef struct {
    const char *name;      /* what is due, for logs and the metric label: [a-z_]+ */
    const char *due_stmt;  /* named statement on reader */
    const char *fire_stmt; /* named statement on writer */
    int key_columns;       /* 1..GY_DUE_MAX_KEYS */
    gy_due_pack_fn *pack;
    void *arg;             /* for pack */
    const char *producer;  /* this instance's producer id */
    gy_pg_t *reader;       /* borrowed */
    gy_pg_t *writer;       /* borrowed */
    gy_outbox_t *outbox;   /* borrowed; NULL: events wait for the relay's next look */
    gy_metrics_t *metrics; /* borrowed; gy_due_fired_total{due="name"} */
    uint64_t interval_ms;  /* 0: scans only on gy_due_poke */
    int batch;             /* rows per transaction; 0: 500 */
} gy_due_config_t;

gy_due_t *gy_due_new(uv_loop_t *loop, const gy_due_config_t *config);
/*  Stops the timer; memory goes in its close callback (a scan in flight
 *  keeps it until its callback): run the loop.  Destroy the connections
 *  first. */
void gy_due_destroy(gy_due_t **self_p);
/*  Scans now (unless a scan is running: then it scans again after). */
void gy_due_poke(gy_due_t *self);
/*  Rows fired by this instance since it started. */
uint64_t gy_due_fired(const gy_due_t *self);

#endif
