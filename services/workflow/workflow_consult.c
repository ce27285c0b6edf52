/*  workflow_consult — see workflow_consult.h. */
#include "workflow_consult.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_clock.h"
#include "gy_route.h"
#include "gy_text.h"
#include "gy_util.h"

static const char *const s_states[] = {"asked", "answered", "declined", "late"};
static const char *const s_events[] = {"answer", "decline", "expire"};

#define R GY_MACHINE_REFUSED
static const int s_table[WORKFLOW_CONSULT_NSTATES][WORKFLOW_CONSULT_NEVENTS] = {
    [WORKFLOW_CONSULT_ASKED] = {WORKFLOW_CONSULT_ANSWERED, WORKFLOW_CONSULT_DECLINED,
                                WORKFLOW_CONSULT_LATE},
    [WORKFLOW_CONSULT_ANSWERED] = {R, R, R},
    [WORKFLOW_CONSULT_DECLINED] = {R, R, R},
    [WORKFLOW_CONSULT_LATE] = {R, R, R},
};
#undef R

const gy_machine_t workflow_consult_machine = {"consultation",           s_states,
                                               WORKFLOW_CONSULT_NSTATES, s_events,
                                               WORKFLOW_CONSULT_NEVENTS, &s_table[0][0]};

/*  ---- bodies ---- */

int workflow_body_load(const char *body, size_t len, void **root_p, gy_error_t *err)
{
    *root_p = gy_json_object_load(body, len, err);
    return *root_p ? 0 : -1;
}

int workflow_body_known(void *root, const char *const *names, gy_error_t *err)
{
    return gy_json_known(root, "", names, err);
}

/*  A string's checks (gy_text), for a member or an array element named
 *  name. */
static int s_text(json_t *v, const char *name, long min, long max, bool multiline, const char **out,
                  gy_error_t *err)
{
    if (!json_is_string(v)) { /* an array's element: null is a wrong type, not absent */
        gy_error_set(err, 400, "invalid_type", name, "%s must be a string", name);
        return -1;
    }
    return gy_json_text(v, name, true, min, max, multiline, out, err);
}

int workflow_body_string(void *root, const char *name, bool required, long min, long max,
                         bool multiline, const char **out, gy_error_t *err)
{
    return gy_json_text(json_object_get(root, name), name, required, min, max, multiline, out, err);
}

/*  An optional integer member within min..max; *out keeps its default when
 *  absent. */
static int s_int(json_t *root, const char *name, long min, long max, long *out, gy_error_t *err)
{
    json_t *v = json_object_get(root, name);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v)) {
        gy_error_set(err, 400, "invalid_type", name, "%s must be a whole number", name);
        return -1;
    }
    json_int_t n = json_integer_value(v);
    if (n < min || n > max) {
        gy_error_set(err, 400, "invalid_value", name, "%s is from %ld to %ld", name, min, max);
        return -1;
    }
    *out = (long)n;
    return 0;
}

int workflow_consult_request_parse(const char *body, size_t len, int64_t now_ms,
                                   workflow_consult_request_t *r, gy_error_t *err)
{
    static const char *const names[] = {"question", "field", "experts", "due_at", "due_days", NULL};
    memset(r, 0, sizeof *r);
    if (workflow_body_load(body, len, &r->root, err) < 0)
        return -1;
    long experts = 1, days = WORKFLOW_CONSULT_DAYS;
    const char *due_at;
    if (workflow_body_known(r->root, names, err) < 0 ||
        workflow_body_string(r->root, "question", true, 1, WORKFLOW_QUESTION_MAX, true,
                             &r->question, err) < 0 ||
        workflow_body_string(r->root, "field", false, 1, 32, false, &r->field, err) < 0 ||
        s_int(r->root, "experts", 1, WORKFLOW_EXPERTS_MAX, &experts, err) < 0 ||
        s_int(r->root, "due_days", 1, WORKFLOW_CONSULT_DAYS_MAX, &days, err) < 0 ||
        workflow_body_string(r->root, "due_at", false, 1, 40, false, &due_at, err) < 0)
        goto fail;
    if (r->field && !gy_text_id_valid(r->field, 32)) {
        gy_error_set(err, 400, "invalid_value", "field", "field is a field code");
        goto fail;
    }
    if (due_at && json_object_get(r->root, "due_days")) {
        gy_error_set(err, 400, "invalid_value", "due_days", "give due_at or due_days, not both");
        goto fail;
    }
    r->experts = (int)experts;
    r->due_ms = now_ms + days * 86400000LL;
    if (due_at) {
        int64_t ms = gy_clock_parse_iso(due_at);
        if (ms == GY_CLOCK_INVALID) {
            gy_error_set(err, 400, "invalid_value", "due_at",
                         "due_at is an instant with its offset, e.g. 2026-12-01T18:00:00+08:00");
            goto fail;
        }
        if (ms <= now_ms || ms > now_ms + WORKFLOW_CONSULT_DAYS_MAX * 86400000LL) {
            gy_error_set(err, 422, "invalid_due", "due_at",
                         "due_at must be in the future and within %d days",
                         WORKFLOW_CONSULT_DAYS_MAX);
            goto fail;
        }
        r->due_ms = ms;
    }
    return 0;
fail:
    workflow_consult_request_clear(r);
    return -1;
}

void workflow_consult_request_clear(workflow_consult_request_t *r)
{
    json_decref(r->root);
    memset(r, 0, sizeof *r);
}

int workflow_consult_answer_parse(const char *body, size_t len, workflow_consult_answer_t *a,
                                  gy_error_t *err)
{
    static const char *const names[] = {"answer", "references", NULL};
    memset(a, 0, sizeof *a);
    if (workflow_body_load(body, len, &a->root, err) < 0)
        return -1;
    if (workflow_body_known(a->root, names, err) < 0 ||
        workflow_body_string(a->root, "answer", true, 1, WORKFLOW_ANSWER_MAX, true, &a->answer,
                             err) < 0)
        goto fail;
    json_t *refs = json_object_get(a->root, "references");
    if (refs && !json_is_null(refs)) {
        if (!json_is_array(refs) || json_array_size(refs) > 20) {
            gy_error_set(err, 400, json_is_array(refs) ? "invalid_value" : "invalid_type",
                         "references", "references is an array of up to 20 strings");
            goto fail;
        }
        size_t i;
        json_t *e;
        json_array_foreach(refs, i, e) {
            const char *text;
            if (s_text(e, "references", 1, 500, false, &text, err) < 0)
                goto fail;
        }
        a->references_json = json_dumps(refs, JSON_COMPACT);
    } else {
        a->references_json = gy_strdup("[]");
    }
    return 0;
fail:
    workflow_consult_answer_clear(a);
    return -1;
}

void workflow_consult_answer_clear(workflow_consult_answer_t *a)
{
    json_decref(a->root);
    free(a->references_json);
    memset(a, 0, sizeof *a);
}

int workflow_consult_decline_parse(const char *body, size_t len, workflow_consult_decline_t *d,
                                   gy_error_t *err)
{
    static const char *const names[] = {"reason", "conflict", NULL};
    memset(d, 0, sizeof *d);
    if (workflow_body_load(body, len, &d->root, err) < 0)
        return -1;
    if (workflow_body_known(d->root, names, err) < 0 ||
        workflow_body_string(d->root, "reason", true, 1, 1000, true, &d->reason, err) < 0)
        goto fail;
    json_t *c = json_object_get(d->root, "conflict");
    if (c && !json_is_null(c) && !json_is_boolean(c)) {
        gy_error_set(err, 400, "invalid_type", "conflict", "conflict must be true or false");
        goto fail;
    }
    d->conflict = json_is_true(c);
    return 0;
fail:
    workflow_consult_decline_clear(d);
    return -1;
}

void workflow_consult_decline_clear(workflow_consult_decline_t *d)
{
    json_decref(d->root);
    memset(d, 0, sizeof *d);
}
