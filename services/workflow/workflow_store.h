/*  workflow_store — the workflow's consumer: the router's events applied
 *  to clue reviews, exactly once (gy_consumer's read, apply, result and
 *  done callbacks, positions in workflow.consumed).
 *
 *    ClueRouted, queue handling  -> a review "under_review" at the
 *                                   procuratorate, assigned by its rotation
 *                                   when it has one (else in its queue);
 *                                   ClueReviewStarted
 *    ClueRouted, queue triage    -> a review "triage": not for review until
 *                                   a transfer places it (no event)
 *    ClueTransferred accepted /  -> the review moves to the procuratorate
 *    decided                        that has the clue now (transfer event of
 *                                   workflow_review's machine), unassigned
 *                                   there or by its rotation, history kept;
 *                                   ClueReviewStarted with from_procuratorate.
 *                                   Decided for the side that had it: a
 *                                   review stays, a triage clue comes under
 *                                   review there (the router placed it)
 *    ClusterChanged              -> the reviews of clue_ids take cluster_id
 *    VolunteerChanged            -> the projection of the router's volunteer
 *                                   registry (workflow_volunteer)
 *  Every other event only moves the position.
 *
 *  Decisions are taken in C on what the read found (the review, the
 *  rotation), together with what earlier events of the same batch wrote
 *  (the read cannot see those), and written guarded by the version read: a
 *  guard that fails fails the batch, which gy_consumer retries on a fresh
 *  read.  A review whose machine refuses a transfer (decided already), a
 *  transfer of a clue this workflow never saw and a malformed event are
 *  logged and passed over (gy_workflow_passed_over_total,
 *  gy_workflow_malformed_total): they must not stop the stream.
 *
 *      store = workflow_store_start(node, refdata);     // from spec.start
 *      gy_node_set_consumer_arg(node, store);           // the callbacks below
 *      workflow_store_destroy(&store);                   // from spec.release
 */
#ifndef WORKFLOW_STORE_H
#define WORKFLOW_STORE_H

#include "gy_consumer.h"
#include "gy_node.h"
#include "gy_refdata.h"

typedef struct workflow_store workflow_store_t;

/*  Registers the statements on the node's writer (the consumer's
 *  connection) and makes the store.  refdata is borrowed. */
workflow_store_t *workflow_store_start(gy_node_t *node, const gy_refdata_t *refdata);
void workflow_store_destroy(workflow_store_t **self_p);

/*  gy_consumer callbacks; arg is the store. */
void workflow_store_read(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx);
void workflow_store_read_result(void *arg, gy_consumer_event_t *event, size_t index,
                                const gy_pg_result_t *res);
void workflow_store_apply(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx);
void workflow_store_done(void *arg, gy_consumer_event_t *event, gy_pg_status_t status);

#endif
