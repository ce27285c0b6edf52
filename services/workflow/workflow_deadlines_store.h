/*  workflow_deadlines_store — the holiday calendar the case deadlines are
 *  judged on, and their firing: DeadlineDue at a deadline's warn instant
 *  and DeadlineMissed at its due instant when it is not settled by then,
 *  each exactly once (gy_due, one instance: a row of the scan is a
 *  deadline and a kind, "due" or "missed").  The scan reads two partial
 *  indexes of workflow.deadline (unfired, unsettled rows only), so its cost
 *  does not grow with the table.
 *
 *      workflow_deadlines_store_t *ds = workflow_deadlines_store_new(refdir);  // the calendar
 *      ... workflow_deadlines_calendar(ds) for workflow_deadline_compute ...
 *      workflow_deadlines_store_start(ds, node, interval_ms);  // spec.start: firing
 *      workflow_deadlines_store_health(ds, body);              // spec.health: "calendar"
 *      workflow_deadlines_store_stop(ds);                      // spec.stop
 *      workflow_deadlines_store_destroy(&ds);                  // after the loop
 *
 *  The calendar is the file GY_HOLIDAYS (default refdir/holidays.csv),
 *  read at start.  GY_WORKFLOW_DEADLINE_SCAN_MS is the scan interval
 *  (default 30000; 0: no scan).
 */
#ifndef WORKFLOW_DEADLINES_STORE_H
#define WORKFLOW_DEADLINES_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "gy_calendar.h"
#include "gy_node.h"

typedef struct workflow_deadlines_store workflow_deadlines_store_t;

/*  Loads the calendar; NULL (logged) when it cannot be read. */
workflow_deadlines_store_t *workflow_deadlines_store_new(const char *refdir);
void workflow_deadlines_store_destroy(workflow_deadlines_store_t **self_p);

/*  Prepares the scan (reader) and the firing (writer) and starts the
 *  scan every interval_ms (0: never).  0, or -1 (logged). */
int workflow_deadlines_store_start(workflow_deadlines_store_t *self, gy_node_t *node,
                                   uint64_t interval_ms);
/*  Stops the scan (run the loop to release it). */
void workflow_deadlines_store_stop(workflow_deadlines_store_t *self);

/*  The calendar in use, borrowed. */
const gy_calendar_t *workflow_deadlines_calendar(const workflow_deadlines_store_t *self);

/*  Adds "calendar": {"covered_until", "warning" when the next 12 months
 *  are not covered} to a /healthz body. */
void workflow_deadlines_store_health(const workflow_deadlines_store_t *self, json_t *body);

/*  Scans now (after a step that may have made something due). */
void workflow_deadlines_store_poke(workflow_deadlines_store_t *self);

#endif
