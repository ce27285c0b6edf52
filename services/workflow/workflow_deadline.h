/*  workflow_deadline — one deadline of a case: the rule (and version) that
 *  made it, the instant that started it, urgent or not, the case's
 *  suspensions and the extensions granted, and what follows from them on a
 *  holiday calendar: the due instant, whether it is provisional, the
 *  instant DeadlineDue fires, and every reason the due date moved.
 *
 *      workflow_deadline_error_t err;
 *      const workflow_limit_t *rule = workflow_limits_current(limits, WORKFLOW_RULE_ORGAN_REPLY);
 *      workflow_deadline_t *d = workflow_deadline_new(rule, served_ms, harm_ongoing, &err);
 *      if (!d) ... err.code "no_urgent_variant" ...
 *      workflow_deadline_compute(d, cal);
 *      const workflow_due_t *due = workflow_deadline_due(d);
 *      ... due->due_ms, due->warn_ms, due->provisional ...
 *      char *json = workflow_deadline_json(d);           // store it with the row
 *      ...
 *      // later, from the stored row:
 *      d = workflow_deadline_from_json(limits, json, &err);
 *      if (workflow_deadline_extend(d, &(workflow_extension_t){...}, &err) < 0)
 *          ... 409/422 with err.code ...
 *      workflow_deadline_compute(d, cal);
 *      // when a new calendar is loaded:
 *      bool changed;
 *      workflow_deadline_recompute(d, new_cal, now_ms, &changed);
 *      if (changed) ... store workflow_deadline_json(d) and the due columns ...
 *
 *  How the due date is made (docs/workflow.md, "Deadlines"):
 *  - the period is the rule's, or its urgent variant when harm is ongoing;
 *  - each extension runs from the end of the period before it (Jan 31 +
 *    1 month = Feb 28, extended by 1 month = Mar 28, not Mar 31), before
 *    any shift for rest days: only the last day of the whole is shifted;
 *  - suspended days anywhere in the (extended) period do not count
 *    (gy_period_due); a suspension runs from the Beijing day of the
 *    decision to suspend to the day before the decision to resume (a
 *    suspension resumed on its own day suspends nothing);
 *  - while a suspension is open and began on or before the last day, the
 *    due date is unknown: the deadline is **paused** (no due or warn
 *    instant; it cannot fire) and gets its date when the case resumes.  A
 *    suspension begun after the last day changes nothing: the period had
 *    run out;
 *  - DeadlineDue fires at 00:00 Beijing time of the day that is the rule's
 *    warn_working_days working days before the last day (0: the last day),
 *    or at the start instant when that day is earlier;
 *  - a date judged in a year the calendar does not cover is provisional
 *    (gy_calendar.h); recompute on the new calendar when it is loaded.
 *
 *  Extensions are decisions checked against the rule's tiers
 *  (workflow_limits.h): the first tier's role, up to its size and number
 *  of grants; then the second tier's.  The caller decides the authority
 *  from the token: a chief prosecutor of the case's procuratorate grants
 *  as WORKFLOW_EXTEND_CHIEF, one of a procuratorate above it approves as
 *  WORKFLOW_EXTEND_UPPER.  It also refuses extensions of a deadline that
 *  was settled or missed (this module does not know).
 */
#ifndef WORKFLOW_DEADLINE_H
#define WORKFLOW_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "gy_calendar.h"
#include "workflow_limits.h"

/*  At most this many suspensions per deadline (each is a reason that must
 *  fit in gy_period_due's result). */
#define WORKFLOW_MAX_SUSPENSIONS (GY_DUE_MAX_REASONS - 2)

/*  Why a request was refused.  Codes: no_urgent_variant,
 *  invalid_suspension, already_suspended, not_suspended,
 *  too_many_suspensions, invalid_extension, extension_not_allowed,
 *  extension_wrong_role, extension_out_of_order, extension_too_long,
 *  extension_limit_reached, invalid_stored, unknown_rule. */
typedef struct {
    char code[40];
    char message[256];
} workflow_deadline_error_t;

/*  Bounds of an extension's text. */
#define WORKFLOW_EXTENSION_BY_MAX     128  /* bytes of who decided */
#define WORKFLOW_EXTENSION_REASON_MAX 2000 /* characters of the reason */

/*  An extension granted; the strings are copied. */
typedef struct {
    const char *by;        /* who decided: a user id */
    const char *authority; /* WORKFLOW_EXTEND_CHIEF or WORKFLOW_EXTEND_UPPER */
    gy_period_t size;
    const char *reason; /* why, as the decision says */
    int64_t at_ms;      /* when it was decided */
} workflow_extension_t;

/*  What follows from the inputs on a calendar. */
typedef struct {
    bool paused;          /* an open suspension: no due date until it ends */
    gy_day_t paused_from; /* the open suspension's first day, when paused */
    int64_t due_ms;       /* 24:00 Beijing time of last_day; 0 when paused */
    gy_day_t nominal_day; /* by the period and extensions alone */
    gy_day_t last_day;    /* after suspensions and rest days; -1 when paused */
    int64_t warn_ms;      /* when DeadlineDue fires; 0 when paused */
    gy_day_t warn_day;    /* -1 when paused */
    bool provisional;     /* a day judged lies in a year the calendar does not cover */
    int uncovered_year;   /* the first such year, when provisional */
} workflow_due_t;

typedef struct workflow_deadline workflow_deadline_t;

/*  A deadline of `rule` (borrowed: the limits outlive the deadline)
 *  started at start_ms; urgent takes the rule's urgent variant.  NULL
 *  with "no_urgent_variant" when the rule has none. */
workflow_deadline_t *workflow_deadline_new(const workflow_limit_t *rule, int64_t start_ms,
                                           bool urgent, workflow_deadline_error_t *error);
void workflow_deadline_destroy(workflow_deadline_t **self_p);

const workflow_limit_t *workflow_deadline_rule(const workflow_deadline_t *self);

/*  The case was suspended / resumed at an instant.  0, or -1 with the
 *  error: before the start or the last resumption (invalid_suspension),
 *  already suspended, not suspended, too many suspensions. */
int workflow_deadline_suspend(workflow_deadline_t *self, int64_t at_ms,
                              workflow_deadline_error_t *error);
int workflow_deadline_resume(workflow_deadline_t *self, int64_t at_ms,
                             workflow_deadline_error_t *error);

/*  Grants an extension when the rule allows it (see above); 0, or -1
 *  with the error and nothing recorded. */
int workflow_deadline_extend(workflow_deadline_t *self, const workflow_extension_t *extension,
                             workflow_deadline_error_t *error);

/*  Computes the result on cal from the inputs. */
void workflow_deadline_compute(workflow_deadline_t *self, const gy_calendar_t *cal);
/*  The same after a calendar reload, at at_ms: *changed_p says whether the
 *  result (due, warn, paused or provisional) differs from the last one
 *  computed or stored; when the last day moved, a calendar_reload reason
 *  naming the old and the new day is kept.  Without a previous result, it
 *  is workflow_deadline_compute and *changed_p is true. */
void workflow_deadline_recompute(workflow_deadline_t *self, const gy_calendar_t *cal, int64_t at_ms,
                                 bool *changed_p);
/*  The last result; NULL before one was computed or stored. */
const workflow_due_t *workflow_deadline_due(const workflow_deadline_t *self);

/*  The deadline as JSON, for storage and the API (docs/workflow.md):
 *  {"rule","version","urgent","start_at","period":{"count","unit"},
 *   "suspensions":[{"from_at","to_at"|null,"first_day","last_day"|null}],
 *   "extensions":[{"by","authority","count","unit","reason","at"}],
 *   "reloads":[{"from","to","at"}],
 *   "paused","due_at","last_day","nominal_day","warn_at","warn_day",
 *   "provisional","uncovered_year","reasons":[...]}
 *  with every reason the date moved, in order: extension, suspended,
 *  rest_day, calendar_reload.  Instants are UTC ("...Z"), days Beijing
 *  days.  The result's fields (from "paused" on) appear once the deadline
 *  was computed here: after workflow_deadline_from_json, compute or
 *  recompute first.  A new reference / text the caller frees. */
json_t *workflow_deadline_to_json(const workflow_deadline_t *self);
char *workflow_deadline_json(const workflow_deadline_t *self);
/*  A deadline from what workflow_deadline_json stored: its rule and
 *  version looked up in limits; the inputs and the last result read back.
 *  NULL (logged) with invalid_stored or unknown_rule. */
workflow_deadline_t *workflow_deadline_from_json(const workflow_limits_t *limits, const char *json,
                                                 workflow_deadline_error_t *error);

/*  "YYYY-MM-DDTHH:MM:SS.mmmZ" of an instant. */
void workflow_iso_format(int64_t ms, char out[25]);

#endif
