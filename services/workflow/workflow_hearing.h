/*  workflow_hearing — hearings (听证) on a case: the hearing's state x event
 *  table, the notice rule, the public announcement and the checks of the
 *  API's bodies.  Pure: no database (workflow_hearing_api stores them).
 *
 *      state \ event  postpone   hold  cancel
 *      scheduled      postponed  held  cancelled
 *      postponed      postponed  held  cancelled
 *      held           -          -     -
 *      cancelled      -          -     -
 *
 *  postponed is a hearing still to come at a new time (it shows that the
 *  participants were told twice); held records the outcome, cancelled the
 *  reason.
 *
 *  Notice (DESIGN.md "Hearings": participants told at least 3 days ahead):
 *  counted as a legal period in days (DESIGN.md "Time and legal periods"),
 *  the notice is given on the Beijing day it is scheduled (day 0), the
 *  three days are days 1, 2 and 3, each whole, and the hearing may start
 *  at 00:00 Beijing time of day 4 at the earliest.  Rest days count (the
 *  rule gives participants time to prepare, it is not a period to act in,
 *  so a last day on a rest day does not move).  A postponement gives the
 *  notice again, counted from the day it is decided.
 *
 *      int64_t earliest = workflow_hearing_earliest_ms(gy_now_ms());
 *      workflow_hearing_plan_t p;
 *      gy_error_t err;
 *      if (workflow_hearing_plan_parse(body, len, gy_now_ms(), &p, &err) < 0)
 *          -> gy_reply_error(req, &err);   // e.g. 422 too_soon, field starts_at
 *      ... p.starts_ms, p.place, p.members[0..n_members) ...
 *      workflow_hearing_plan_clear(&p);
 */
#ifndef WORKFLOW_HEARING_H
#define WORKFLOW_HEARING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gy_machine.h"
#include "gy_route.h"

enum {
    WORKFLOW_HEARING_SCHEDULED,
    WORKFLOW_HEARING_POSTPONED,
    WORKFLOW_HEARING_HELD,
    WORKFLOW_HEARING_CANCELLED,
    WORKFLOW_HEARING_NSTATES
};

enum {
    WORKFLOW_HEARING_POSTPONE,
    WORKFLOW_HEARING_HOLD,
    WORKFLOW_HEARING_CANCEL,
    WORKFLOW_HEARING_NEVENTS
};

extern const gy_machine_t workflow_hearing_machine;

/*  Whole days of notice between the day a hearing is scheduled and the
 *  day it is held. */
#define WORKFLOW_HEARING_NOTICE_DAYS 3

/*  The earliest instant a hearing scheduled at now_ms may start: 00:00
 *  Beijing time of the fourth day after now's Beijing day. */
int64_t workflow_hearing_earliest_ms(int64_t now_ms);

#define WORKFLOW_HEARING_PLACE_MAX        200 /* characters */
#define WORKFLOW_HEARING_TOPIC_MAX        500
#define WORKFLOW_HEARING_TEXT_MAX         5000 /* a summary, a reason */
#define WORKFLOW_HEARING_URL_MAX          500  /* bytes of a stream URL */
#define WORKFLOW_HEARING_MEMBERS_MAX      30
#define WORKFLOW_HEARING_PARTICIPANTS_MAX 50
#define WORKFLOW_HEARING_VOLUNTEERS_MAX   30
#define WORKFLOW_HEARING_OPINIONS_MAX     50

/*  A participant told of the hearing; role: organ, party, expert,
 *  witness, representative or other.  contact "" when not given. */
typedef struct {
    const char *name, *role, *contact;
} workflow_participant_t;

/*  A volunteer invited: as a member (then from the pool) or an observer. */
typedef struct {
    const char *volunteer_id;
    bool member;
} workflow_invitee_t;

/*  POST .../hearings, as checked (strings borrowed from root). */
typedef struct {
    json_t *root;
    int64_t starts_ms;
    const char *place, *topic;
    bool public_hearing;
    const char *stream_url; /* NULL when absent */
    const char **members;   /* pool ids (UUIDs, lower case as given) */
    size_t n_members;
    workflow_participant_t *participants;
    size_t n_participants;
    workflow_invitee_t *volunteers;
    size_t n_volunteers;
} workflow_hearing_plan_t;

/*  Checks a schedule body against the notice rule at now_ms: 0, or -1
 *  with err (400 malformed_json, invalid_utf8, invalid_type,
 *  missing_field, invalid_value, too_long, unknown_property; 422 too_soon
 *  on starts_at). */
int workflow_hearing_plan_parse(const char *body, size_t len, int64_t now_ms,
                                workflow_hearing_plan_t *p, gy_error_t *err);
void workflow_hearing_plan_clear(workflow_hearing_plan_t *p);

/*  A step: postpone {"starts_at", "reason"}, cancel {"reason"}, hold
 *  {"outcome", "summary", "opinions": [text, ...]}; each with
 *  "expected_version"? (strings borrowed from root). */
typedef struct {
    json_t *root;
    int event;
    int64_t starts_ms;   /* postpone */
    const char *reason;  /* postpone, cancel; "" for hold */
    const char *outcome; /* hold */
    const char *summary; /* hold */
    json_t *opinions;    /* hold: an array of strings, borrowed */
    bool has_version;
    long expected_version;
} workflow_hearing_step_t;

int workflow_hearing_step_parse(int event, const char *body, size_t len, int64_t now_ms,
                                workflow_hearing_step_t *s, gy_error_t *err);
void workflow_hearing_step_clear(workflow_hearing_step_t *s);

/*  A person added to a procuratorate's hearing pool: {"name", "kind":
 *  people_supervisor | expert | volunteer, "volunteer_id" (a volunteer's
 *  registry id: required for a volunteer, refused otherwise)}. */
typedef struct {
    json_t *root;
    const char *name, *kind;
    const char *volunteer_id; /* NULL unless kind is volunteer */
} workflow_pool_entry_t;

int workflow_pool_entry_parse(const char *body, size_t len, workflow_pool_entry_t *e,
                              gy_error_t *err);
void workflow_pool_entry_clear(workflow_pool_entry_t *e);

/*  The query of the public list: `procuratorate` (optional, a six-digit
 *  code: that procuratorate and those below it) taken out, the rest
 *  (`limit`, `after`, anything else) copied to rest for gy_page_parse.
 *  0 with procuratorate "" when absent, or -1 with err (400 invalid_value
 *  on procuratorate: not a code, or given twice). */
int workflow_public_query(const char *query, char *rest, size_t rest_size, char procuratorate[7],
                          gy_error_t *err);

/*  Whether url is an https URL a page may link to: "https://", a host of
 *  letters, digits, '-' and '.', an optional port, then printable ASCII
 *  without spaces, quotes or angle brackets; at most
 *  WORKFLOW_HEARING_URL_MAX bytes. */
bool workflow_hearing_url_valid(const char *url);

/*  The public announcement (公告) of a public hearing, to free: the
 *  procuratorate, the Beijing date and time, the place, the topic and the
 *  stream when there is one.  No person is named. */
char *workflow_hearing_announcement(const char *procuratorate_zh, int64_t starts_ms,
                                    const char *place, const char *topic, const char *stream_url);

/*  The notice that replaces the announcement when a public hearing is
 *  cancelled, to free: who, when and where it was to be held, that it is
 *  cancelled.  The reason stays inside (it may name people). */
char *workflow_hearing_cancellation(const char *procuratorate_zh, int64_t starts_ms,
                                    const char *place, const char *topic);

#endif
