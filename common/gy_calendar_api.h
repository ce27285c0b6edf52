/*  gy_calendar_api — the holiday calendar over HTTP, for every service that
 *  keeps one in its own schema (the router for the reporter's deadlines,
 *  the workflow for case deadlines): read what is in use, and load the
 *  next year's arrangement (docs/calendar.md, docs/api.md).
 *
 *      GET  <prefix>/calendar               any valid token
 *      PUT  <prefix>/calendar/years/{year}  an administrator
 *
 *  The schema keeps the calendar as gy_calendar's file has it:
 *  S.calendar_year (year, source, loaded_at), S.holiday (day, kind, name),
 *  S.calendar_version (bumped by their triggers) and S.calendar_load (every
 *  load through here: who, when, the rows, and the source it replaced).
 *
 *  A PUT is checked as the file format is (gy_calendar_day_check: a date,
 *  a known kind, a name, a "workday" only on a weekend day, each day once)
 *  and every day must lie in {year}; then, in one transaction, the year
 *  and its days are written (its earlier rows of S.holiday go), and the
 *  load recorded.  A year already loaded is 409 year_loaded: a published
 *  arrangement is not edited.  A wrong one is corrected by sending the
 *  whole year again with "replace": true, which only an administrator of a
 *  province or of the Supreme People's Procuratorate may do, and which
 *  S.calendar_load keeps with the source it replaced.  After the commit
 *  the service is told to read its tables at once (config.reload): the
 *  same reload that finds a year loaded with psql, which recomputes the
 *  provisional deadlines.
 *
 *      gy_calendar_api_prepare("router", writer);        // spec.start, before gy_pg_start
 *      api = gy_calendar_api_new(&(gy_calendar_api_config_t){
 *          .path = "/api/v1/calendar", .writer = writer, .token_public = key,
 *          .calendar = s_calendar, .status = s_status, .reload = s_reload,
 *          .arg = deadlines});
 *      gy_calendar_api_handle(api, req) || ...           // spec.unrouted
 *      gy_calendar_api_destroy(&api);                    // spec.stop
 */
#ifndef GY_CALENDAR_API_H
#define GY_CALENDAR_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "gy_calendar.h"
#include "gy_http.h"
#include "gy_pg.h"
#include "gy_route.h"
#include "gy_token.h"

typedef struct gy_calendar_api gy_calendar_api_t;

typedef struct {
    const char *path;            /* "/api/v1/calendar": GET path, PUT path/years/{year} */
    gy_pg_t *writer;             /* borrowed; statements from gy_calendar_api_prepare */
    const uint8_t *token_public; /* borrowed; NULL: every token is refused */
    /*  The calendar in use, borrowed for the call. */
    const gy_calendar_t *(*calendar)(void *arg);
    /*  {"covered_until","version",...} as /healthz's "calendar": a new
     *  reference. */
    json_t *(*status)(void *arg);
    /*  A load committed: read the tables now rather than at the next poll. */
    void (*reload)(void *arg);
    void *arg;
} gy_calendar_api_config_t;

/*  Registers the load's statements on the service's writer (schema: the
 *  service's, e.g. "router").  Before gy_pg_start. */
void gy_calendar_api_prepare(const char *schema, gy_pg_t *writer);

gy_calendar_api_t *gy_calendar_api_new(const gy_calendar_api_config_t *config);
/*  Stops: loads still running answer 503 (their transaction commits or
 *  not, as it goes; nothing is half-written).  Freed with the last. */
void gy_calendar_api_destroy(gy_calendar_api_t **self_p);

/*  Answers a request for config.path or config.path/years/{year} (405
 *  with Allow for another method): true; false for any other path (self
 *  NULL: always), which the caller answers.
 *
 *  GET: 200 {"covered_until","version","years":[{"year","source","days":
 *  [{"day","kind","name"}]}]}, the calendar in use, covered_until and
 *  version as /healthz says them (covered_until null when today's year is
 *  not covered).
 *  PUT: the year from the body {"source","days":[{"day","kind","name"}],
 *  "replace"}: 201 (200 when it replaced one) {"year","source","days",
 *  "replaced","version"}. */
bool gy_calendar_api_handle(gy_calendar_api_t *self, gy_http_request_t *req);

/*  A load, checked (pure, for tests): the year from its path segment, the
 *  body's members.  0 with *out filled (the caller frees it with
 *  gy_calendar_load_clear), or -1 with err: 400 for the body's shape
 *  (invalid_value, invalid_type, missing_field, unknown_property, too_long,
 *  invalid_utf8), 422 for the calendar's rules (day_not_in_year,
 *  workday_on_weekday, duplicate_day), field naming the member
 *  ("days[3].day"). */
typedef struct {
    int year;
    const char *source;  /* borrowed from the body */
    bool replace;        /* "replace": true */
    gy_calendar_t *days; /* the year and its days */
    char *days_json;     /* [{"day","kind","name"}] for the statement */
} gy_calendar_load_t;

int gy_calendar_load_check(const char *year, const json_t *body, gy_calendar_load_t *out,
                           gy_error_t *err);
void gy_calendar_load_clear(gy_calendar_load_t *load);

#endif
