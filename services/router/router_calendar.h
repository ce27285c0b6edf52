/*  router_calendar — the public-holiday calendar legal periods follow
 *  (DESIGN.md, "Periods"), as data: reference/holidays.csv, one line per
 *  day that is not what its weekday says — a holiday, or a weekend day
 *  worked instead (调休, "workday").
 *
 *  The router reads and checks the file at start and puts it into its
 *  schema (router.holiday, replaced whole, in one statement); the database
 *  then moves a reporter deadline that would end on a rest day to the next
 *  working day as the deadline is written (migrations/0007_calendar.sql).
 *
 *      router_calendar_t *cal = router_calendar_new(path);  // NULL: logged
 *      char *json = router_calendar_json(cal);              // for the sync
 */
#ifndef ROUTER_CALENDAR_H
#define ROUTER_CALENDAR_H

#include <stddef.h>

typedef struct router_calendar router_calendar_t;

/*  Loads and checks the file: a header line "date,kind,name", then
 *  "YYYY-MM-DD,holiday|workday,NAME" lines (# comments and blank lines
 *  allowed), each date once, a "workday" only on a Saturday or Sunday.
 *  NULL (logged with file and line) when it is unreadable or wrong. */
router_calendar_t *router_calendar_new(const char *path);
/*  The same from text in memory; `where` names it in messages. */
router_calendar_t *router_calendar_parse(const char *text, const char *where);
void router_calendar_destroy(router_calendar_t **self_p);

size_t router_calendar_count(const router_calendar_t *self);

/*  The days as a JSON array of {"day","kind","name"}; the caller frees. */
char *router_calendar_json(const router_calendar_t *self);

#endif
