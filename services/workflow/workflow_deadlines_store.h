/*  workflow_deadlines_store — the holiday calendar the case deadlines are
 *  judged on, and their firing.
 *
 *  The calendar lives in the workflow's schema (workflow.holiday,
 *  workflow.calendar_year, as the router keeps its own): the file
 *  GY_HOLIDAYS (default refdir/holidays.csv) is merged in at start
 *  (spec.prepare_db); a year loaded into the tables since — the next
 *  year's arrangement, through the API or with psql — is read without a
 *  restart: the version is polled (at once after a load through the API),
 *  the calendar read again, and every provisional deadline still open is
 *  recomputed on it (workflow_deadline_recompute: a calendar_reload reason
 *  when its last day moved).
 *
 *  Firing: DeadlineDue at a deadline's warn instant and DeadlineMissed at
 *  its due instant when it is not settled by then, each exactly once
 *  (gy_due, one instance: a row of the scan is a deadline and a kind,
 *  "due" or "missed"), read through two partial indexes of
 *  workflow.deadline (unfired, unsettled rows only), so the scan does not
 *  grow with the table.
 *
 *      ds = workflow_deadlines_store_new(refdir);              // the file's calendar
 *      workflow_deadlines_store_merge(ds, session);            // spec.prepare_db
 *      workflow_deadlines_store_start(ds, node, limits, ms);   // spec.start
 *      ... workflow_deadlines_calendar(ds) for workflow_deadline_compute ...
 *      workflow_deadlines_store_health(ds, body);              // spec.health: "calendar"
 *      workflow_deadlines_store_stop(ds);                      // spec.stop
 *      workflow_deadlines_store_destroy(&ds);                  // after the loop
 *
 *  GY_WORKFLOW_DEADLINE_SCAN_MS is the interval of the scan and of the
 *  calendar poll (0: neither; a step still pokes the scan).
 */
#ifndef WORKFLOW_DEADLINES_STORE_H
#define WORKFLOW_DEADLINES_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "gy_calendar.h"
#include "gy_node.h"
#include "workflow_deadline.h"
#include "workflow_limits.h"

typedef struct workflow_deadlines_store workflow_deadlines_store_t;

/*  Loads the file's calendar; NULL (logged) when it cannot be read. */
workflow_deadlines_store_t *workflow_deadlines_store_new(const char *refdir);
/*  After the loop ended (stop was called). */
void workflow_deadlines_store_destroy(workflow_deadlines_store_t **self_p);

/*  Merges the file's calendar into the tables: 0, or -1 (logged). */
int workflow_deadlines_store_merge(const workflow_deadlines_store_t *self,
                                   gy_pg_session_t *session);

/*  Prepares the scan, the firing and the calendar's statements on the
 *  node's reader and writer; starts the scan and the calendar poll every
 *  interval_ms (0: never), the first poll at once.  limits are borrowed.
 *  0, or -1 (logged). */
int workflow_deadlines_store_start(workflow_deadlines_store_t *self, gy_node_t *node,
                                   const workflow_limits_t *limits, uint64_t interval_ms);
/*  Stops the scan and the poll (run the loop to release them). */
void workflow_deadlines_store_stop(workflow_deadlines_store_t *self);

/*  The calendar in use, borrowed until the next reload: look it up for
 *  each decision, do not keep it. */
const gy_calendar_t *workflow_deadlines_calendar(const workflow_deadlines_store_t *self);

/*  Adds "calendar": {"covered_until", "version", "warning" when the next
 *  12 months are not covered} to a /healthz body. */
void workflow_deadlines_store_health(const workflow_deadlines_store_t *self, json_t *body);

/*  The same object alone (a new reference), for GET .../calendar. */
json_t *workflow_deadlines_store_status(const workflow_deadlines_store_t *self);

/*  Reads the calendar's version now, not at the next poll (a year was just
 *  loaded through the API, common/gy_calendar_api). */
void workflow_deadlines_store_reload(workflow_deadlines_store_t *self);

/*  Scans now (after a step that may have made something due). */
void workflow_deadlines_store_poke(workflow_deadlines_store_t *self);

/*  One row of workflow.deadlines_write for a computed deadline: op
 *  "start" (with start_event and start_ms) or "update".  A new reference. */
json_t *workflow_deadlines_row(const char *op, const char *id, const workflow_deadline_t *d,
                               const char *start_event, int64_t start_ms);

#endif
