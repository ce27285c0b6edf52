/*  workflow_case_request — see workflow_case_request.h. */
#include "workflow_case_request.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gy_route.h"
#include "gy_text.h"
#include "workflow_limits.h"

/*  A string member: NULL when absent and optional; 1..max characters,
 *  valid UTF-8, without control characters (but newlines when multiline),
 *  as the review's members (common/gy_text.h). */
static int s_string(json_t *root, const char *name, bool required, long max, bool multiline,
                    const char **out, gy_error_t *err)
{
    return gy_json_text(json_object_get(root, name), name, required, 1, max, multiline, out, err);
}

/*  Which members belong to which events: a member given with another
 *  event is a mistake worth saying. */
static bool s_member_belongs(const char *member, const char *event)
{
    if (strcmp(member, "harm_ongoing") == 0)
        return strcmp(event, "serve_suggestion") == 0;
    if (strcmp(member, "judgment_kind") == 0)
        return strcmp(event, "record_judgment") == 0 || strcmp(event, "record_ruling") == 0 ||
               strcmp(event, "record_appeal_decision") == 0;
    if (strcmp(member, "outcome") == 0 || strcmp(member, "public_outcome") == 0)
        return strcmp(event, "close") == 0 || strcmp(event, "terminate") == 0;
    if (strcmp(member, "suspension_reason") == 0)
        return strcmp(event, "suspend") == 0;
    if (strcmp(member, "rule") == 0 || strcmp(member, "count") == 0 || strcmp(member, "unit") == 0)
        return strcmp(event, "extend_period") == 0;
    return true;
}

int workflow_step_request_parse(const char *body, size_t len, workflow_step_request_t *r,
                                gy_error_t *err)
{
    static const char *const members[] = {"event",
                                          "reason",
                                          "expected_version",
                                          "harm_ongoing",
                                          "judgment_kind",
                                          "outcome",
                                          "public_outcome",
                                          "suspension_reason",
                                          "rule",
                                          "count",
                                          "unit",
                                          NULL};
    memset(r, 0, sizeof *r);
    r->harm = -1;
    json_t *root = gy_json_object_load(body, len, err);
    if (!root)
        return -1;
    r->root = root;
    if (gy_json_known(root, "", members, err) < 0)
        goto fail;
    if (s_string(root, "event", true, 40, false, &r->event, err) < 0 ||
        s_string(root, "reason", true, WORKFLOW_STEP_REASON_MAX, true, &r->reason, err) < 0 ||
        s_string(root, "judgment_kind", false, 64, false, &r->judgment_kind, err) < 0 ||
        s_string(root, "outcome", false, WORKFLOW_STEP_OUTCOME_MAX, true, &r->outcome, err) < 0 ||
        s_string(root, "public_outcome", false, WORKFLOW_STEP_OUTCOME_MAX, true, &r->public_outcome,
                 err) < 0 ||
        s_string(root, "suspension_reason", strcmp(r->event, "suspend") == 0, 16, false,
                 &r->suspension_reason, err) < 0)
        goto fail;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (!s_member_belongs(key, r->event)) {
            gy_error_set(err, 400, "invalid_value", key, "%s does not belong to event %s", key,
                         r->event);
            goto fail;
        }
    }
    json_t *version = json_object_get(root, "expected_version");
    if (version && !json_is_null(version)) {
        if (!json_is_integer(version) || json_integer_value(version) < 1 ||
            json_integer_value(version) > 1000000000) {
            gy_error_set(err, 400, "invalid_value", "expected_version",
                         "expected_version is the case's version read (an integer >= 1)");
            goto fail;
        }
        r->has_version = true;
        r->expected_version = (long)json_integer_value(version);
    }
    json_t *harm = json_object_get(root, "harm_ongoing");
    if (harm && !json_is_null(harm)) {
        if (!json_is_boolean(harm)) {
            gy_error_set(err, 400, "invalid_type", "harm_ongoing", "harm_ongoing is true or false");
            goto fail;
        }
        r->harm = json_is_true(harm) ? 1 : 0;
    }
    if ((strcmp(r->event, "close") == 0 || strcmp(r->event, "terminate") == 0) &&
        !r->public_outcome) {
        gy_error_set(err, 400, "missing_field", "public_outcome",
                     "closing or terminating a case says its outcome to the reporters "
                     "(public_outcome)");
        goto fail;
    }
    if (r->suspension_reason) {
        static const char *const reasons[] = {"appraisal", "evaluation", "audit", "other", NULL};
        bool ok = false;
        for (size_t i = 0; reasons[i] && !ok; i++)
            ok = strcmp(r->suspension_reason, reasons[i]) == 0;
        if (!ok) {
            gy_error_set(err, 400, "invalid_value", "suspension_reason",
                         "suspension_reason is appraisal (鉴定), evaluation (评估), audit (审计) "
                         "or other");
            goto fail;
        }
    }
    if (strcmp(r->event, "extend_period") == 0) {
        const char *unit;
        json_t *count = json_object_get(root, "count");
        if (s_string(root, "rule", true, 47, false, &r->ext_rule, err) < 0 ||
            s_string(root, "unit", true, 8, false, &unit, err) < 0)
            goto fail;
        int u = workflow_unit_parse(unit);
        if (u < 0) {
            gy_error_set(err, 400, "invalid_value", "unit", "unit is days or months");
            goto fail;
        }
        if (!json_is_integer(count) || json_integer_value(count) < 1 ||
            json_integer_value(count) > 366) {
            gy_error_set(err, 400, "invalid_value", "count",
                         "count is the extension's size in units (1 to 366)");
            goto fail;
        }
        r->ext_size.unit = (gy_period_unit_t)u;
        r->ext_size.count = (int)json_integer_value(count);
    }
    return 0;
fail:
    workflow_step_request_clear(r);
    return -1;
}

void workflow_step_request_clear(workflow_step_request_t *r)
{
    json_decref(r->root);
    memset(r, 0, sizeof *r);
    r->harm = -1;
}

json_t *workflow_step_request_members(const workflow_step_request_t *r)
{
    static const char *const keep[] = {
        "harm_ongoing", "judgment_kind", "outcome", "public_outcome", "suspension_reason", "rule",
        "count",        "unit",          NULL};
    json_t *m = json_object();
    for (size_t i = 0; keep[i]; i++) {
        json_t *v = json_object_get(r->root, keep[i]);
        if (v)
            json_object_set(m, keep[i], v);
    }
    return m;
}
