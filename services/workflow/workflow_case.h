/*  workflow_case — cases under the law's time limits (docs/workflow.md,
 *  "Cases"): the steps of a case by its machine (workflow_machines), the
 *  actions that change no state (extend_period, filing upward, serving
 *  the closing decision), the deadlines each step starts, settles,
 *  suspends, resumes or extends (workflow_deadline on the calendar of
 *  workflow_deadlines_store), the queues of cases and a case with its
 *  timeline, deadlines and the events the caller may take.
 *
 *  A step is decided in C: the case and its open deadlines are read, the
 *  role checked (403), the event looked up in the case's machine (409
 *  invalid_state with the events it allows), the deadlines computed, and
 *  the write — the case's state and version, a workflow.case_step row, the
 *  deadlines, CaseStageChanged (and CaseClosed on a final state) — commits
 *  in one transaction guarded by the state and version read; a guard that
 *  fails reads and decides again (at most 4 times, then 409 conflict).  A
 *  refusal writes nothing.
 *
 *      cases = workflow_cases_start(pool, public_key, refdata, limits, deadlines, producer, outbox);
 *      workflow_cases_handle(cases, req);     // true: one of its routes answered
 *      // the review's 立案, in the review's own transaction:
 *      workflow_cases_opening(cases, tx, case_id, "administrative", "140213", harm, actor, at);
 *      workflow_cases_destroy(&cases);
 */
#ifndef WORKFLOW_CASE_H
#define WORKFLOW_CASE_H

#include <stdbool.h>
#include <stdint.h>

#include "gy_http.h"
#include "gy_outbox.h"
#include "gy_pg.h"
#include "gy_pgpool.h"
#include "gy_refdata.h"
#include "workflow_deadlines_store.h"
#include "workflow_limits.h"

typedef struct workflow_cases workflow_cases_t;

/*  On the API's connection pg (its statements are prepared here); every
 *  argument is borrowed and outlives the object. */
workflow_cases_t *workflow_cases_start(gy_pgpool_t *pool, const uint8_t *public_key,
                                       const gy_refdata_t *refdata, const workflow_limits_t *limits,
                                       workflow_deadlines_store_t *deadlines, const char *producer,
                                       gy_outbox_t *outbox);
/*  Requests still waiting answer 503 when their callback comes. */
void workflow_cases_destroy(workflow_cases_t **self_p);

/*  Answers GET /api/v1/workflow/cases, GET .../cases/{id}, POST
 *  .../cases/{id}/steps and GET .../time-limits (true); false for any
 *  other path. */
bool workflow_cases_handle(workflow_cases_t *self, gy_http_request_t *req);

/*  Adds to tx (on the connection given at start) what opening a case
 *  starts: the opening's history row and its deadlines (serve_opening and
 *  investigation for an administrative case, investigation for a civil
 *  one), started at at_ms. */
void workflow_cases_opening(workflow_cases_t *self, gy_pg_tx_t *tx, const char *case_id,
                            const char *kind, const char *procuratorate, bool harm_ongoing,
                            const char *actor, int64_t at_ms);

#endif
