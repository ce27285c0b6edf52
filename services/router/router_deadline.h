/*  router_deadline — the reporter's deadlines: their rules, their due dates
 *  (legal periods on the holiday calendar, common/gy_calendar), firing them
 *  when due (common/gy_due: ClueDeadlineDue, exactly once), and the
 *  calendar as data that changes without a restart.
 *
 *  Rules (each deadline row keeps its rule, the rule's version, its start
 *  event and instant, whether it is provisional and every reason its due
 *  date moved):
 *      acknowledge_7d  v1  7 days from ClueReceived
 *      progress_3m     v1  3 months from ClueReceived
 *
 *  Deadlines are written in the consumer's transaction that routes the
 *  clue (router_deadline_json, stored by router.route_clue_packed).  The calendar is
 *  router.calendar_year + router.holiday; the router puts its file there at
 *  start (router.calendar_merge) and polls router.calendar_version every
 *  interval, or at once when the API loaded a year (router_deadline_reload):
 *  a change (a year's arrangement loaded through the API or with psql,
 *  docs/calendar.md) is read, checked, and every provisional unfired deadline is
 *  computed again with the reason recorded.
 *
 *      router_deadline_calendar_merge(file_calendar, session);   // prepare_db
 *      router_deadline_prepare(writer, reader);        // before gy_pg_start
 *      d = router_deadline_new(loop, &config, &file_calendar);
 *      consumer apply:  the clue's JSON gets router_deadline_json(d, received_ms)
 *      /healthz:        json_object_set_new(body, "calendar", router_deadline_health(d));
 */
#ifndef ROUTER_DEADLINE_H
#define ROUTER_DEADLINE_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "gy_calendar.h"
#include "gy_metrics.h"
#include "gy_node.h"
#include "gy_outbox.h"
#include "gy_pg.h"

typedef struct router_deadline router_deadline_t;

typedef struct {
    const char *producer;  /* this instance's producer id */
    uint64_t interval_ms;  /* due scan and calendar poll; 0 = off */
    gy_pg_t *writer;       /* borrowed */
    gy_pg_t *reader;       /* borrowed */
    gy_outbox_t *outbox;   /* borrowed */
    gy_metrics_t *metrics; /* borrowed */
} router_deadline_config_t;

/*  At start, after the migrations (the node's spec.prepare_db): the file's
 *  calendar years replace those years in the database; a year loaded there
 *  since (docs/calendar.md) stays.  0, or -1 (logged). */
int router_deadline_calendar_merge(const gy_calendar_t *calendar, gy_pg_session_t *session);

/*  The holiday calendar file named by GY_HOLIDAYS (default
 *  refdir/holidays.csv); NULL (logged) when it cannot be read. */
gy_calendar_t *router_deadline_calendar_load(const char *refdir);

/*  Registers the statements; call before gy_pg_start. */
void router_deadline_prepare(gy_pg_t *writer, gy_pg_t *reader);

/*  Takes the calendar read from the file (used until the database's is
 *  read). */
router_deadline_t *router_deadline_new(uv_loop_t *loop, const router_deadline_config_t *config,
                                       gy_calendar_t **calendar_p);
/*  router_deadline_new on the node's producer, writer, reader, outbox and
 *  metrics, from spec.start (router_store_start registers the statements). */
router_deadline_t *router_deadline_start(gy_node_t *node, uint64_t interval_ms,
                                         gy_calendar_t **calendar_p);
/*  Memory goes in close callbacks: run the loop.  Destroy the connections
 *  first. */
void router_deadline_destroy(router_deadline_t **self_p);

/*  A routed clue's deadlines, computed here, for router.route_clue_packed
 *  to store with the clue in the same statement (its "deadlines" member):
 *  [{"rule", "version", "due_ms", "provisional", "reasons"}], one per rule;
 *  received_ms starts every rule's period.  The caller owns the array.
 *  One statement per clue rather than one more per rule: the router's
 *  backlog throughput (docs/performance.md). */
json_t *router_deadline_json(const router_deadline_t *self, int64_t received_ms);

/*  Reads the calendar's version now, not at the next poll (a year was just
 *  loaded through the API, common/gy_calendar_api). */
void router_deadline_reload(router_deadline_t *self);
/*  The calendar in use, borrowed until the next reload. */
const gy_calendar_t *router_deadline_calendar(const router_deadline_t *self);

/*  {"covered_until": "YYYY-MM-DD" or null, "warning": text (only when the
 *  calendar does not cover the next 12 months by the process clock)}. */
json_t *router_deadline_health(const router_deadline_t *self);

#endif
