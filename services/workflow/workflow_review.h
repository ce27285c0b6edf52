/*  workflow_review — clue review (线索审查) as a state x event table, and
 *  the checks of a decision taken on it: pure, no database.
 *
 *  A clue the router routed is a review (workflow_store) in one of these
 *  states; each event moves it or is refused:
 *
 *      state \ event  transfer      assign        not_open    open    join
 *      triage         under_review  -             -           -       -
 *      under_review   under_review  under_review  not_opened  opened  joined
 *      not_opened     -             -             -           -       -
 *      opened         -             -             -           -       -
 *      joined         -             -             -           -       -
 *
 *  triage: the router put it in a triage queue (a person there places it;
 *  a transfer that is accepted or decided brings it to a handling queue).
 *  transfer comes from the router's ClueTransferred, the others from the
 *  API.  Who may fire an event (workflow_review_may): assign a chief
 *  prosecutor (anyone) or a prosecutor (themselves only); not_open and
 *  open the chief prosecutor (办案规则: the chief decides 立案 and 不立案);
 *  join a prosecutor or the chief (the case is open already).
 *
 *      int next = gy_machine_next(&workflow_review_machine, state, WORKFLOW_REVIEW_OPEN);
 *      if (next == GY_MACHINE_REFUSED)
 *          gy_machine_refusal(&workflow_review_machine, state, event, why, sizeof why);
 *      workflow_decision_t d;
 *      gy_error_t err;
 *      if (workflow_decision_parse(body, len, &d, &err) < 0) -> gy_reply_error(req, &err)
 *      ... workflow_decision_clear(&d);
 */
#ifndef WORKFLOW_REVIEW_H
#define WORKFLOW_REVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "gy_machine.h"
#include "gy_route.h"

enum {
    WORKFLOW_REVIEW_TRIAGE,
    WORKFLOW_REVIEW_UNDER_REVIEW,
    WORKFLOW_REVIEW_NOT_OPENED,
    WORKFLOW_REVIEW_OPENED,
    WORKFLOW_REVIEW_JOINED,
    WORKFLOW_REVIEW_NSTATES
};

enum {
    WORKFLOW_REVIEW_TRANSFER,
    WORKFLOW_REVIEW_ASSIGN,
    WORKFLOW_REVIEW_NOT_OPEN,
    WORKFLOW_REVIEW_OPEN,
    WORKFLOW_REVIEW_JOIN,
    WORKFLOW_REVIEW_NEVENTS
};

extern const gy_machine_t workflow_review_machine;

/*  Whether a caller with role (a token's) may fire event; assignee is the
 *  prosecutor an assign names, subject the caller's.  transfer is the
 *  router's: nobody fires it through the API. */
bool workflow_review_may(int event, const char *role, const char *subject, const char *assignee);

/*  Whether a field's case kinds ("administrative", "civil" or "both",
 *  reference/fields.csv) allow a case of kind. */
bool workflow_case_kind_allowed(const char *case_kinds, const char *kind);

/*  The next prosecutor of a rotation of n, at position (taken modulo n),
 *  and the position after it.  n > 0. */
size_t workflow_rotation_pick(size_t n, long position, long *next_position);

#define WORKFLOW_REASON_MAX        2000 /* characters of a reason */
#define WORKFLOW_PUBLIC_REASON_MAX 500  /* of a public reason */
#define WORKFLOW_TITLE_MAX         200
#define WORKFLOW_SUBJECT_MAX       64 /* bytes of a prosecutor's subject */

/*  A decision on a review, as checked (borrowed strings live in root). */
typedef struct {
    json_t *root;
    int event;                 /* WORKFLOW_REVIEW_NOT_OPEN, _OPEN or _JOIN */
    const char *reason;        /* "" when absent (required for not_opened) */
    const char *public_reason; /* not_opened: required; else NULL */
    const char *case_kind;     /* open: administrative or civil; else NULL */
    const char *case_id;       /* join: a UUID; else NULL */
    const char *title;         /* open: optional, NULL when absent */
    bool harm_ongoing;         /* open: optional, false when absent */
    bool has_version;          /* expected_version given */
    long expected_version;
} workflow_decision_t;

/*  Checks POST .../decide's body (docs/api.md): 0, or -1 with err (400
 *  malformed_json, invalid_utf8, invalid_type, missing_field,
 *  invalid_value, too_long, unknown_property).  d->root is freed by
 *  workflow_decision_clear on success. */
int workflow_decision_parse(const char *body, size_t len, workflow_decision_t *d, gy_error_t *err);
void workflow_decision_clear(workflow_decision_t *d);

/*  An assignment: {"prosecutor", "reason"?, "expected_version"?}. */
typedef struct {
    json_t *root;
    const char *prosecutor;
    const char *reason; /* "" when absent */
    bool has_version;
    long expected_version;
} workflow_assignment_t;

int workflow_assignment_parse(const char *body, size_t len, workflow_assignment_t *a,
                              gy_error_t *err);
void workflow_assignment_clear(workflow_assignment_t *a);

/*  A rotation: {"prosecutors": [subject, ...]} (at most 100, no
 *  duplicates; empty turns round-robin off).  *array_literal is a
 *  PostgreSQL text[] literal of them, to free. */
int workflow_rotation_parse(const char *body, size_t len, char **array_literal, gy_error_t *err);

#endif
