/*  router_store — the router's writes: each ClueReceived routed in the
 *  consumer's transaction with its deadlines, and late assessment tasks.
 *
 *  Routing (gy_consumer's read, apply, result and done callbacks): the
 *  clue is triaged (router_rules), placed (router_jurisdiction) and
 *  fingerprinted (router_simhash) in C, and the best stored duplicate
 *  cluster is read before the batch's transaction (router_store_read).  In
 *  the transaction (router_store_apply) C decides the cluster — the stored
 *  one or one started earlier in the same batch, or its own — packs
 *  ClueRouted whole from the generated code, router.route_clue_packed
 *  stores clue, cluster and those bytes in the outbox, and router_deadline
 *  writes its deadlines — in the same transaction as the consumer's
 *  position, so each clue is routed exactly once whatever crashes.  After
 *  the commit the event goes to the relay (gy_outbox_committed) with the
 *  bytes packed here.
 *
 *  With GY_ASSESSMENT=off every clue is routed at once; with it on, a new
 *  matter that someone can assess is held: C picks the k least loaded of
 *  the assessors read with the clue (counting what the batch gave), packs
 *  their AssessmentRequested, and router.task_insert stores each; the
 *  ClueRouted is kept for later (router_assess releases it).  The priority comes from the triage:
 *      priority = round(60 * field confidence) + 40 if major or cross-county
 *
 *  Deadlines are router_deadline's: computed in C on the holiday calendar
 *  and fired by common/gy_due.
 */
#ifndef ROUTER_STORE_H
#define ROUTER_STORE_H

#include <stdint.h>
#include <uv.h>

#include "gy_consumer.h"
#include "gy_metrics.h"
#include "gy_node.h"
#include "gy_outbox.h"
#include "gy_pg.h"
#include "router_deadline.h"
#include "router_jurisdiction.h"
#include "router_rules.h"

typedef struct router_store router_store_t;

typedef struct {
    const char *producer;                      /* this instance's producer id */
    const router_rules_t *rules;               /* borrowed */
    const router_jurisdiction_t *jurisdiction; /* borrowed */
    int max_distance;                          /* SimHash bits, 0..3 */
    int64_t window_ms;                         /* duplicates: time window */
    double near_km;                            /* duplicates: "nearby" */
    uint64_t scan_interval_ms;                 /* late task scanner; 0 = off */
    int assess_k;                              /* assessors per new matter; 0 = assessment off */
    int64_t assess_due_ms;                     /* how long an assessor has */
    gy_pg_t *writer;                           /* borrowed: the consumer's connection */
    gy_pg_t *reader;                           /* borrowed */
    gy_outbox_t *outbox;                       /* borrowed */
    gy_metrics_t *metrics;                     /* borrowed */
    router_deadline_t *deadlines;              /* borrowed: writes each clue's deadlines */
} router_store_config_t;

/*  Reads the routing settings from the environment into config
 *  (docs/configuration.md): GY_ASSESSMENT (on or off), GY_ASSESSORS,
 *  GY_ASSESSMENT_DUE_S, GY_DUP_MAX_DISTANCE, GY_DUP_WINDOW_DAYS,
 *  GY_DUP_NEAR_M and GY_DEADLINE_SCAN_MS; 0, or -1 (logged).  The
 *  borrowed parts are the caller's to set. */
int router_store_settings_load(router_store_config_t *config);

/*  Registers the statements; call before gy_pg_start. */
void router_store_prepare(gy_pg_t *writer, gy_pg_t *reader);

router_store_t *router_store_new(uv_loop_t *loop, const router_store_config_t *config);
/*  From spec.start: registers the statements on the node's writer and
 *  reader, sets config's producer, writer, reader, outbox and metrics to
 *  the node's (the rules, jurisdiction and deadlines are the caller's to
 *  set before), and router_store_new. */
router_store_t *router_store_start(gy_node_t *node, router_store_config_t *config);
/*  Stops the scanner; memory goes in a close callback: run the loop.
 *  Destroy the connections first. */
void router_store_destroy(router_store_t **self_p);

/*  gy_consumer callbacks; arg is the store. */
void router_store_read(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx);
void router_store_read_result(void *arg, gy_consumer_event_t *event, size_t index,
                              const gy_pg_result_t *res);
void router_store_apply(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx);
void router_store_result(void *arg, gy_consumer_event_t *event, size_t index,
                         const gy_pg_result_t *res);
void router_store_done(void *arg, gy_consumer_event_t *event, gy_pg_status_t status);

#endif
