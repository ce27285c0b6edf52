/*  workflow_review — see workflow_review.h. */
#include "workflow_review.h"

#include <assert.h>
#include <string.h>

#include "gy_route.h"
#include "gy_text.h"
#include "gy_util.h"

static const char *const s_states[] = {"triage", "under_review", "not_opened", "opened", "joined"};
static const char *const s_events[] = {"transfer", "assign", "not_open", "open", "join"};

#define R GY_MACHINE_REFUSED
static const int s_table[WORKFLOW_REVIEW_NSTATES][WORKFLOW_REVIEW_NEVENTS] = {
    [WORKFLOW_REVIEW_TRIAGE] = {WORKFLOW_REVIEW_UNDER_REVIEW, R, R, R, R},
    [WORKFLOW_REVIEW_UNDER_REVIEW] = {WORKFLOW_REVIEW_UNDER_REVIEW, WORKFLOW_REVIEW_UNDER_REVIEW,
                                      WORKFLOW_REVIEW_NOT_OPENED, WORKFLOW_REVIEW_OPENED,
                                      WORKFLOW_REVIEW_JOINED},
    [WORKFLOW_REVIEW_NOT_OPENED] = {R, R, R, R, R},
    [WORKFLOW_REVIEW_OPENED] = {R, R, R, R, R},
    [WORKFLOW_REVIEW_JOINED] = {R, R, R, R, R},
};
#undef R

const gy_machine_t workflow_review_machine = {
    "review", s_states, WORKFLOW_REVIEW_NSTATES, s_events, WORKFLOW_REVIEW_NEVENTS, &s_table[0][0]};

bool workflow_review_may(int event, const char *role, const char *subject, const char *assignee)
{
    assert(event >= 0 && event < WORKFLOW_REVIEW_NEVENTS && role && subject);
    bool chief = strcmp(role, "chief_prosecutor") == 0;
    bool prosecutor = strcmp(role, "prosecutor") == 0;
    switch (event) {
    case WORKFLOW_REVIEW_ASSIGN:
        return chief || (prosecutor && assignee && strcmp(assignee, subject) == 0);
    case WORKFLOW_REVIEW_NOT_OPEN:
    case WORKFLOW_REVIEW_OPEN: return chief;
    case WORKFLOW_REVIEW_JOIN: return chief || prosecutor;
    default: return false; /* transfer: the router's */
    }
}

bool workflow_case_kind_allowed(const char *case_kinds, const char *kind)
{
    assert(case_kinds && kind);
    if (strcmp(kind, "administrative") != 0 && strcmp(kind, "civil") != 0)
        return false;
    return strcmp(case_kinds, "both") == 0 || strcmp(case_kinds, kind) == 0;
}

size_t workflow_rotation_pick(size_t n, long position, long *next_position)
{
    assert(n > 0 && next_position);
    long m = (long)n;
    long at = ((position % m) + m) % m;
    *next_position = (at + 1) % m;
    return (size_t)at;
}

/*  ---- request bodies ---- */

static json_t *s_load(const char *body, size_t len, gy_error_t *err)
{
    return gy_json_object_load(body, len, err);
}

/*  Every member must be one of names (NULL-terminated). */
static int s_known(json_t *root, const char *const *names, gy_error_t *err)
{
    return gy_json_known(root, "", names, err);
}

/*  The string member name: absent (NULL) when optional; its length in
 *  characters within min..max; one line unless multiline. */
static int s_string(json_t *root, const char *name, bool required, long min, long max,
                    bool multiline, const char **out, gy_error_t *err)
{
    return gy_json_text(json_object_get(root, name), name, required, min, max, multiline, out, err);
}

static int s_version(json_t *root, bool *has, long *out, gy_error_t *err)
{
    json_t *v = json_object_get(root, "expected_version");
    *has = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v)) {
        gy_error_set(err, 400, "invalid_type", "expected_version",
                     "expected_version must be a whole number");
        return -1;
    }
    json_int_t n = json_integer_value(v);
    if (n < 1 || n > 2147483647) {
        gy_error_set(err, 400, "invalid_value", "expected_version",
                     "expected_version is a review's version (1 or more)");
        return -1;
    }
    *has = true;
    *out = (long)n;
    return 0;
}

static int s_subject(json_t *root, const char *name, const char **out, gy_error_t *err)
{
    if (s_string(root, name, true, 1, WORKFLOW_SUBJECT_MAX, false, out, err) < 0)
        return -1;
    if (!gy_text_id_valid(*out, WORKFLOW_SUBJECT_MAX)) {
        gy_error_set(err, 400, "invalid_value", name,
                     "%s is a prosecutor's subject: 1 to %d printable ASCII characters", name,
                     WORKFLOW_SUBJECT_MAX);
        return -1;
    }
    return 0;
}

int workflow_decision_parse(const char *body, size_t len, workflow_decision_t *d, gy_error_t *err)
{
    static const char *const members[] = {"decision",     "reason",           "public_reason",
                                          "case_kind",    "case_id",          "title",
                                          "harm_ongoing", "expected_version", NULL};
    memset(d, 0, sizeof *d);
    json_t *root = s_load(body, len, err);
    if (!root)
        return -1;
    const char *decision;
    if (s_known(root, members, err) < 0 ||
        s_string(root, "decision", true, 1, 16, false, &decision, err) < 0)
        goto fail;
    if (strcmp(decision, "not_opened") == 0) {
        d->event = WORKFLOW_REVIEW_NOT_OPEN;
    } else if (strcmp(decision, "open") == 0) {
        d->event = WORKFLOW_REVIEW_OPEN;
    } else if (strcmp(decision, "join") == 0) {
        d->event = WORKFLOW_REVIEW_JOIN;
    } else {
        gy_error_set(err, 400, "invalid_value", "decision", "decision is not_opened, open or join");
        goto fail;
    }
    bool not_open = d->event == WORKFLOW_REVIEW_NOT_OPEN, open = d->event == WORKFLOW_REVIEW_OPEN,
         join = d->event == WORKFLOW_REVIEW_JOIN;
    /*  不立案 is explained twice: the reason inside, the public one to the
     *  reporter (their timeline shows it). */
    if (s_string(root, "reason", not_open, 1, WORKFLOW_REASON_MAX, true, &d->reason, err) < 0 ||
        s_string(root, "public_reason", not_open, 1, WORKFLOW_PUBLIC_REASON_MAX, true,
                 &d->public_reason, err) < 0 ||
        s_string(root, "case_kind", open, 1, 16, false, &d->case_kind, err) < 0 ||
        s_string(root, "case_id", join, 36, 36, false, &d->case_id, err) < 0 ||
        s_string(root, "title", false, 1, WORKFLOW_TITLE_MAX, false, &d->title, err) < 0 ||
        s_version(root, &d->has_version, &d->expected_version, err) < 0)
        goto fail;
    /*  A member that belongs to another decision is a mistake worth
     *  saying, not something to ignore. */
    const char *stray = !not_open && d->public_reason                    ? "public_reason"
                        : !open && d->case_kind                          ? "case_kind"
                        : !open && d->title                              ? "title"
                        : !open && json_object_get(root, "harm_ongoing") ? "harm_ongoing"
                        : !join && d->case_id                            ? "case_id"
                                                                         : NULL;
    if (stray) {
        gy_error_set(err, 400, "invalid_value", stray, "%s does not belong to decision %s", stray,
                     decision);
        goto fail;
    }
    if (open && strcmp(d->case_kind, "administrative") != 0 && strcmp(d->case_kind, "civil") != 0) {
        gy_error_set(err, 400, "invalid_value", "case_kind",
                     "case_kind is administrative or civil");
        goto fail;
    }
    if (join && !gy_uuid_valid(d->case_id)) {
        gy_error_set(err, 400, "invalid_value", "case_id", "case_id is a case's id (UUID)");
        goto fail;
    }
    json_t *harm = json_object_get(root, "harm_ongoing");
    if (harm && !json_is_null(harm)) {
        if (!json_is_boolean(harm)) {
            gy_error_set(err, 400, "invalid_type", "harm_ongoing", "harm_ongoing is true or false");
            goto fail;
        }
        d->harm_ongoing = json_is_true(harm);
    }
    if (!d->reason)
        d->reason = "";
    d->root = root;
    return 0;
fail:
    json_decref(root);
    memset(d, 0, sizeof *d);
    return -1;
}

void workflow_decision_clear(workflow_decision_t *d)
{
    json_decref(d->root);
    memset(d, 0, sizeof *d);
}

int workflow_assignment_parse(const char *body, size_t len, workflow_assignment_t *a,
                              gy_error_t *err)
{
    static const char *const members[] = {"prosecutor", "reason", "expected_version", NULL};
    memset(a, 0, sizeof *a);
    json_t *root = s_load(body, len, err);
    if (!root)
        return -1;
    if (s_known(root, members, err) < 0 || s_subject(root, "prosecutor", &a->prosecutor, err) < 0 ||
        s_string(root, "reason", false, 1, WORKFLOW_REASON_MAX, true, &a->reason, err) < 0 ||
        s_version(root, &a->has_version, &a->expected_version, err) < 0) {
        json_decref(root);
        memset(a, 0, sizeof *a);
        return -1;
    }
    if (!a->reason)
        a->reason = "";
    a->root = root;
    return 0;
}

void workflow_assignment_clear(workflow_assignment_t *a)
{
    json_decref(a->root);
    memset(a, 0, sizeof *a);
}

#define S_ROTATION_MAX 100

int workflow_rotation_parse(const char *body, size_t len, char **array_literal, gy_error_t *err)
{
    static const char *const members[] = {"prosecutors", NULL};
    *array_literal = NULL;
    json_t *root = s_load(body, len, err);
    if (!root)
        return -1;
    json_t *list = json_object_get(root, "prosecutors");
    int rc = -1;
    if (s_known(root, members, err) < 0) {
        goto done;
    } else if (!list || json_is_null(list)) {
        gy_error_set(err, 400, "missing_field", "prosecutors", "prosecutors is required");
        goto done;
    } else if (!json_is_array(list)) {
        gy_error_set(err, 400, "invalid_type", "prosecutors",
                     "prosecutors is a list of prosecutors' subjects");
        goto done;
    } else if (json_array_size(list) > S_ROTATION_MAX) {
        gy_error_set(err, 400, "invalid_value", "prosecutors",
                     "a rotation has at most %d prosecutors", S_ROTATION_MAX);
        goto done;
    }
    gy_buf_t buf = {0};
    gy_buf_append(&buf, "{", 1);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        char field[48];
        snprintf(field, sizeof field, "prosecutors[%zu]", i);
        if (!s || strlen(s) != json_string_length(v) ||
            !gy_text_id_valid(s, WORKFLOW_SUBJECT_MAX)) {
            gy_error_set(err, 400, s ? "invalid_value" : "invalid_type", field,
                         "a prosecutor's subject is 1 to %d printable ASCII characters",
                         WORKFLOW_SUBJECT_MAX);
            gy_buf_free(&buf);
            goto done;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_array_get(list, j)), s) == 0) {
                gy_error_set(err, 400, "invalid_value", field, "a prosecutor is listed twice");
                gy_buf_free(&buf);
                goto done;
            }
        /*  An array literal's element in double quotes, with " and \
         *  escaped: every other printable character stands for itself. */
        gy_buf_append(&buf, i ? ",\"" : "\"", i ? 2 : 1);
        for (const char *c = s; *c; c++) {
            if (*c == '"' || *c == '\\')
                gy_buf_append(&buf, "\\", 1);
            gy_buf_append(&buf, c, 1);
        }
        gy_buf_append(&buf, "\"", 1);
    }
    gy_buf_append(&buf, "}", 2); /* with the NUL */
    *array_literal = (char *)buf.data;
    rc = 0;
done:
    json_decref(root);
    return rc;
}
