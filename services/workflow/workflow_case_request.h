/*  workflow_case_request — the body of a case's step (POST
 *  /api/v1/workflow/cases/{id}/steps, docs/api.md), checked before anything
 *  is read: its members, their types and sizes, the members that belong to
 *  one event only, and what the history keeps of it.  Whether the event
 *  exists for the case's machine, the role and the state are the
 *  decision's business (workflow_case), not this.
 *
 *      workflow_step_request_t r;
 *      gy_error_t err;
 *      if (workflow_step_request_parse(body, len, &r, &err) < 0)
 *          return gy_reply_error(req, &err);       // 400, nothing else done
 *      ... r.event, r.reason, r.has_version, r.harm, r.ext_size ...
 *      json_t *members = workflow_step_request_members(&r);   // for the history
 *      workflow_step_request_clear(&r);
 */
#ifndef WORKFLOW_CASE_REQUEST_H
#define WORKFLOW_CASE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "gy_calendar.h"
#include "gy_route.h"

/*  Characters of a step's reason, and of an outcome. */
#define WORKFLOW_STEP_REASON_MAX  2000
#define WORKFLOW_STEP_OUTCOME_MAX 2000

/*  The strings point into root and live until clear. */
typedef struct {
    json_t *root;
    const char *event; /* a machine event or an action */
    const char *reason;
    bool has_version;
    long expected_version;
    int harm; /* harm_ongoing: -1 not given, 0, 1 */
    const char *judgment_kind;
    const char *outcome;
    const char *public_outcome;    /* required for close and terminate */
    const char *suspension_reason; /* required for suspend */
    const char *ext_rule;          /* extend_period: the rule, its size */
    gy_period_t ext_size;
} workflow_step_request_t;

/*  0, or -1 with a 400 in err and nothing to clear.  Codes:
 *  malformed_json, invalid_utf8, unknown_property, missing_field,
 *  invalid_type, invalid_value (also: a member of another event),
 *  too_long. */
int workflow_step_request_parse(const char *body, size_t len, workflow_step_request_t *r,
                                gy_error_t *err);
void workflow_step_request_clear(workflow_step_request_t *r);

/*  The members besides event, reason and expected_version, as given: what
 *  the step's history row keeps.  A new reference. */
json_t *workflow_step_request_members(const workflow_step_request_t *r);

#endif
