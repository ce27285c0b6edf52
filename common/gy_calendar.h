/*  gy_calendar — the public-holiday calendar and legal periods (DESIGN.md,
 *  "Time and legal periods"), for every service.
 *
 *  A calendar is data: the State Council's arrangement for each year,
 *  published each November or December — holidays, and weekend days
 *  worked instead (调休, "workday").  It says which years it covers: a
 *  year is covered when its arrangement was loaded, whether or not it has
 *  rows in a given month.  Files (reference/holidays.csv) look like
 *
 *      date,kind,name
 *      2026,year,国务院办公厅关于2026年部分节假日安排的通知
 *      2026-10-01,holiday,国庆节
 *      2026-10-10,workday,国庆节调休
 *
 *  Days are Beijing days (UTC+8, no daylight saving): a gy_day_t counts
 *  days since 1970-01-01 and gy_day_of_ms gives the Beijing day of an
 *  instant.
 *
 *  A period (gy_period_due):
 *  - in days starts on the day after the event that starts it;
 *  - in months ends on the same day number of the last month, or on that
 *    month's last day when it has no such day (Jan 31 + 1 month = Feb 28
 *    or 29);
 *  - suspended days (中止; 鉴定/评估/审计), given as intervals, do not
 *    count: the end moves on by as many days as were suspended;
 *  - a last day that is a rest day (Saturday, Sunday, a listed holiday;
 *    not a weekend day listed as workday) moves to the next working day;
 *  - ends at 24:00 Beijing time of its last day;
 *  - is provisional when a day it had to judge lies in a year the
 *    calendar does not cover: compute it again when that year is loaded.
 *  The result keeps every reason its due date moved.
 *
 *      gy_calendar_t *cal = gy_calendar_load("reference/holidays.csv");
 *      gy_period_t seven = {GY_PERIOD_DAYS, 7};
 *      gy_due_date_t due;
 *      gy_period_due(cal, received_ms, seven, NULL, 0, &due);
 *      ... due.due_ms, due.provisional, due.reasons[0..nreasons) ...
 */
#ifndef GY_CALENDAR_H
#define GY_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*  ---- Beijing days ---- */

typedef int32_t gy_day_t; /* days since 1970-01-01 */

#define GY_BEIJING_OFFSET_MS (8LL * 3600 * 1000)
#define GY_DAY_MS            (86400LL * 1000)

/*  The Beijing day an instant falls on. */
gy_day_t gy_day_of_ms(int64_t ms);
/*  The instant a Beijing day begins (00:00 +08:00). */
int64_t gy_day_start_ms(gy_day_t day);
/*  "YYYY-MM-DD" (years 1970-9999) to a day; -1 when it is not a date. */
gy_day_t gy_day_parse(const char *text);
/*  Writes "YYYY-MM-DD". */
void gy_day_format(gy_day_t day, char out[11]);
int gy_day_year(gy_day_t day);
/*  ISO weekday: 1 = Monday ... 7 = Sunday. */
int gy_day_isodow(gy_day_t day);
gy_day_t gy_day_from_civil(int year, int month, int mday);

/*  ---- the calendar ---- */

typedef struct gy_calendar gy_calendar_t;

typedef enum { GY_DAY_WORKING = 0, GY_DAY_REST } gy_day_kind_t;

/*  An empty calendar (covers no year). */
gy_calendar_t *gy_calendar_new(void);
/*  Loads and checks a file; NULL (logged with file and line) when it is
 *  unreadable or wrong. */
gy_calendar_t *gy_calendar_load(const char *path);
/*  The same from text in memory; `where` names it in messages. */
gy_calendar_t *gy_calendar_parse(const char *text, const char *where);
void gy_calendar_destroy(gy_calendar_t **self_p);

/*  Adds a covered year with the source of its arrangement, or a day
 *  ("YYYY-MM-DD", "holiday" or "workday", its name).  0, or -1 (logged,
 *  naming `where`) when the row is wrong: a year twice, a day twice, a
 *  "workday" on a weekday, an empty name or source. */
int gy_calendar_add_year(gy_calendar_t *self, int year, const char *source, const char *where);
int gy_calendar_add_day(gy_calendar_t *self, const char *day, const char *kind, const char *name,
                        const char *where);

/*  What gy_calendar_add_day would refuse in a day row, without logging it
 *  (a client's request is answered, not logged): GY_DAY_OK when the row
 *  would be added.  The rules of the file format, in the order checked. */
typedef enum {
    GY_DAY_OK = 0,
    GY_DAY_NOT_A_DATE,         /* day: not YYYY-MM-DD (years 1970-9999) */
    GY_DAY_UNKNOWN_KIND,       /* kind: neither "holiday" nor "workday" */
    GY_DAY_NO_NAME,            /* name: empty */
    GY_DAY_BAD_NAME,           /* name: not one line of valid UTF-8 */
    GY_DAY_WORKDAY_ON_WEEKDAY, /* day: a "workday" names a weekend day worked instead */
    GY_DAY_TWICE,              /* day: already in the calendar */
} gy_day_problem_t;
gy_day_problem_t gy_calendar_day_check(const gy_calendar_t *self, const char *day, const char *kind,
                                       const char *name);
/*  The problem in words, to follow the day: "is listed twice". */
const char *gy_day_problem_text(gy_day_problem_t problem);

size_t gy_calendar_day_count(const gy_calendar_t *self);
size_t gy_calendar_year_count(const gy_calendar_t *self);
/*  The i-th year (ascending) and its source; the i-th day (ascending). */
int gy_calendar_year_at(const gy_calendar_t *self, size_t i, const char **source_p);
gy_day_t gy_calendar_day_at(const gy_calendar_t *self, size_t i, const char **kind_p,
                            const char **name_p);

bool gy_calendar_covers(const gy_calendar_t *self, int year);
/*  The last day of the run of covered years that contains `day`'s year;
 *  -1 when that year is not covered. */
gy_day_t gy_calendar_covered_until(const gy_calendar_t *self, gy_day_t day);
/*  Whether a day is worked; *name_p (may be NULL) gets the holiday's or
 *  workday's name, "星期六"/"星期日" for a plain weekend day, or "" for a
 *  plain weekday.  *covered_p (may be NULL) says whether its year is
 *  covered: if not, only the weekday decided. */
gy_day_kind_t gy_calendar_kind(const gy_calendar_t *self, gy_day_t day, const char **name_p,
                               bool *covered_p);

/*  {"years":[{"year","source"}],"days":[{"day","kind","name"}]}; the
 *  caller frees. */
char *gy_calendar_json(const gy_calendar_t *self);

/*  ---- legal periods ---- */

typedef enum { GY_PERIOD_DAYS = 0, GY_PERIOD_MONTHS } gy_period_unit_t;

typedef struct {
    gy_period_unit_t unit;
    int count; /* > 0 */
} gy_period_t;

/*  Suspended Beijing days, first and last included. */
typedef struct {
    gy_day_t first;
    gy_day_t last;
} gy_suspension_t;

typedef enum {
    GY_MOVED_SUSPENDED = 0, /* days of a suspension did not count */
    GY_MOVED_REST_DAY,      /* the last day was a rest day */
} gy_moved_t;

typedef struct {
    gy_moved_t why;
    gy_day_t from; /* the last day before this move */
    gy_day_t to;   /* the last day after it */
    int days;      /* suspended days counted out (GY_MOVED_SUSPENDED) */
    gy_day_t suspension_first, suspension_last; /* which suspension */
    char name[64];                              /* the rest day's name (GY_MOVED_REST_DAY) */
} gy_due_reason_t;

#define GY_DUE_MAX_REASONS 16

typedef struct {
    int64_t due_ms;       /* the end of the last day: 24:00 Beijing time */
    gy_day_t start_day;   /* the Beijing day of the event */
    gy_day_t nominal_day; /* the last day by the period alone */
    gy_day_t last_day;    /* after every move */
    bool provisional;     /* a day judged lies in a year not covered */
    int uncovered_year;   /* the first such year, when provisional */
    size_t nreasons;
    gy_due_reason_t reasons[GY_DUE_MAX_REASONS];
} gy_due_date_t;

/*  Computes the due date of `period` started by an event at start_ms.
 *  suspensions may be NULL when nsuspensions is 0; they may overlap and
 *  come in any order.  0, or -1 when the period is over 100 years or there
 *  are more than GY_DUE_MAX_REASONS - 1 suspensions (every reason must
 *  fit: merge adjacent ones first). */
int gy_period_due(const gy_calendar_t *cal, int64_t start_ms, gy_period_t period,
                  const gy_suspension_t *suspensions, size_t nsuspensions, gy_due_date_t *out);

/*  The reasons as a JSON array, e.g.
 *  [{"reason":"rest_day","from":"2026-10-03","to":"2026-10-08","name":"国庆节"}];
 *  the caller frees. */
char *gy_due_reasons_json(const gy_due_date_t *due);
/*  The same array as a jansson value, for a caller that puts it in a
 *  document of its own; the caller owns it. */
json_t *gy_due_reasons(const gy_due_date_t *due);

#endif
