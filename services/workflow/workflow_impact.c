/*  workflow_impact — see workflow_impact.h. */
#include "workflow_impact.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_clock.h"
#include "gy_route.h"
#include "gy_text.h"
#include "gy_util.h"

static const char *const s_columns[] = {"code",  "name_zh", "unit", "value_kind",
                                        "scale", "fields",  "sums", NULL};
static const char *const s_units[] = {"yuan", "mu", "m2", "people", "count", NULL};

#define S_SCALE_MAX 6

struct workflow_impact {
    workflow_measure_t *rows; /* in file order; strings owned */
    size_t nrows;
};

static bool s_code_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !(*s >= 'a' && *s <= 'z'))
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

/*  "*" or field codes separated by '|', each known when refdata is given,
 *  none twice. */
static int s_fields(const workflow_csv_t *csv, const char *fields, const gy_refdata_t *refdata,
                    workflow_impact_error_t *error)
{
    if (strcmp(fields, "*") == 0)
        return 0;
    const char *p = fields;
    while (true) {
        const char *end = strchr(p, '|');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char code[64];
        if (n == 0 || n >= sizeof code)
            return workflow_csv_fail(csv, error, "invalid_value", "fields",
                                     "fields is * or field codes separated by |, not \"%s\"",
                                     fields);
        memcpy(code, p, n);
        code[n] = '\0';
        if (refdata && !gy_refdata_field(refdata, code))
            return workflow_csv_fail(csv, error, "unknown_field", "fields",
                                     "%s is not a field of reference/fields.csv", code);
        /*  A code seen before in this cell: "a|b|a". */
        for (const char *q = fields; q < p;) {
            const char *qe = strchr(q, '|');
            if ((size_t)(qe - q) == n && memcmp(q, code, n) == 0)
                return workflow_csv_fail(csv, error, "invalid_value", "fields",
                                         "field %s is listed twice", code);
            q = qe + 1;
        }
        if (!end)
            return 0;
        p = end + 1;
    }
}

static int s_row(workflow_impact_t *self, const workflow_csv_t *csv, const gy_refdata_t *refdata,
                 workflow_impact_error_t *error)
{
    const char *code = workflow_csv_get(csv, "code");
    if (!s_code_valid(code))
        return workflow_csv_fail(csv, error, "invalid_code", "code",
                                 "a measure's code is a lower-case letter, then lower-case "
                                 "letters, digits and _ (at most 63)");
    if (workflow_impact_measure(self, code))
        return workflow_csv_fail(csv, error, "duplicate_code", "code",
                                 "measure %s is defined twice", code);
    const char *name = workflow_csv_get(csv, "name_zh");
    if (!*name)
        return workflow_csv_fail(csv, error, "invalid_value", "name_zh", "the name is empty");
    const char *unit = workflow_csv_get(csv, "unit");
    bool unit_known = false;
    for (const char *const *u = s_units; *u && !unit_known; u++)
        unit_known = strcmp(*u, unit) == 0;
    if (!unit_known)
        return workflow_csv_fail(csv, error, "unknown_unit", "unit",
                                 "the unit is yuan, mu, m2, people or count, not \"%s\"", unit);
    const char *kind = workflow_csv_get(csv, "value_kind");
    bool integer = strcmp(kind, "integer") == 0;
    if (!integer && strcmp(kind, "decimal") != 0)
        return workflow_csv_fail(csv, error, "unknown_value_kind", "value_kind",
                                 "value_kind is integer or decimal, not \"%s\"", kind);
    const char *scale_text = workflow_csv_get(csv, "scale");
    int scale = -1;
    if (strlen(scale_text) == 1 && scale_text[0] >= '0' && scale_text[0] <= '9')
        scale = scale_text[0] - '0';
    if (integer ? scale != 0 : (scale < 1 || scale > S_SCALE_MAX))
        return workflow_csv_fail(csv, error, "invalid_scale", "scale",
                                 integer ? "an integer measure has scale 0"
                                         : "a decimal measure has a scale of 1 to 6 digits");
    /*  People and counts are whole by nature. */
    if (!integer && (strcmp(unit, "people") == 0 || strcmp(unit, "count") == 0))
        return workflow_csv_fail(csv, error, "invalid_scale", "value_kind",
                                 "a measure in %s counts whole units: value_kind integer", unit);
    const char *fields = workflow_csv_get(csv, "fields");
    if (s_fields(csv, fields, refdata, error) < 0)
        return -1;
    const char *sums = workflow_csv_get(csv, "sums");
    if (strcmp(sums, "yes") != 0 && strcmp(sums, "no") != 0)
        return workflow_csv_fail(csv, error, "invalid_value", "sums",
                                 "sums is yes or no, not \"%s\"", sums);
    self->rows = gy_realloc(self->rows, (self->nrows + 1) * sizeof *self->rows);
    workflow_measure_t *m = &self->rows[self->nrows++];
    m->code = gy_strdup(code);
    m->name_zh = gy_strdup(name);
    m->unit = gy_strdup(unit);
    m->scale = scale;
    m->fields = gy_strdup(fields);
    m->sums = strcmp(sums, "yes") == 0;
    return 0;
}

workflow_impact_t *workflow_impact_parse(const char *text, const char *where,
                                         const gy_refdata_t *refdata,
                                         workflow_impact_error_t *error)
{
    assert(text && where);
    workflow_csv_t *csv = workflow_csv_new(text, where, s_columns, error);
    if (!csv)
        return NULL;
    workflow_impact_t *self = gy_calloc(1, sizeof *self);
    int rc;
    while ((rc = workflow_csv_next(csv, error)) > 0)
        if (s_row(self, csv, refdata, error) < 0) {
            rc = -1;
            break;
        }
    workflow_csv_destroy(&csv);
    if (rc == 0 && self->nrows == 0)
        rc = workflow_csv_fail_file(where, error, "no_measures", "the file defines no measure");
    if (rc < 0)
        workflow_impact_destroy(&self);
    return self;
}

workflow_impact_t *workflow_impact_load(const char *path, const gy_refdata_t *refdata,
                                        workflow_impact_error_t *error)
{
    char *text = gy_read_file(path, NULL);
    if (!text) {
        /*  gy_read_file logged why. */
        if (error) {
            memset(error, 0, sizeof *error);
            snprintf(error->code, sizeof error->code, "unreadable");
            gy_text_format(error->message, sizeof error->message, "%s: cannot be read", path);
        }
        return NULL;
    }
    workflow_impact_t *self = workflow_impact_parse(text, path, refdata, error);
    free(text);
    return self;
}

workflow_impact_t *workflow_impact_load_default(const char *refdir, const gy_refdata_t *refdata,
                                                workflow_impact_error_t *error)
{
    const char *path = getenv("GY_IMPACT_MEASURES");
    if (path && *path)
        return workflow_impact_load(path, refdata, error);
    char *def = gy_sprintf("%s/impact_measures.csv", refdir);
    workflow_impact_t *self = workflow_impact_load(def, refdata, error);
    free(def);
    return self;
}

void workflow_impact_destroy(workflow_impact_t **self_p)
{
    assert(self_p);
    workflow_impact_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nrows; i++) {
        free((char *)self->rows[i].code);
        free((char *)self->rows[i].name_zh);
        free((char *)self->rows[i].unit);
        free((char *)self->rows[i].fields);
    }
    free(self->rows);
    free(self);
    *self_p = NULL;
}

const workflow_measure_t *workflow_impact_measure(const workflow_impact_t *self, const char *code)
{
    assert(self && code);
    for (size_t i = 0; i < self->nrows; i++)
        if (strcmp(self->rows[i].code, code) == 0)
            return &self->rows[i];
    return NULL;
}

size_t workflow_impact_count(const workflow_impact_t *self)
{
    assert(self);
    return self->nrows;
}

const workflow_measure_t *workflow_impact_at(const workflow_impact_t *self, size_t i)
{
    assert(self && i < self->nrows);
    return &self->rows[i];
}

bool workflow_measure_applies(const workflow_measure_t *m, const char *field_code)
{
    assert(m && field_code);
    if (strcmp(m->fields, "*") == 0)
        return true;
    size_t n = strlen(field_code);
    for (const char *p = m->fields; p;) {
        const char *end = strchr(p, '|');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, field_code, n) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

char *workflow_impact_json(const workflow_impact_t *self)
{
    assert(self);
    json_t *list = json_array();
    for (size_t i = 0; i < self->nrows; i++) {
        const workflow_measure_t *m = &self->rows[i];
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:b}", "code", m->code,
                                              "name_zh", m->name_zh, "unit", m->unit, "value_kind",
                                              m->scale ? "decimal" : "integer", "scale", m->scale,
                                              "fields", m->fields, "sums", m->sums));
    }
    json_t *root = json_pack("{s:o}", "measures", list);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

int workflow_impact_value_parse(const workflow_measure_t *m, const char *text,
                                char out[WORKFLOW_IMPACT_VALUE_MAX], gy_error_t *err)
{
    assert(m && text && out);
    out[0] = '\0';
    if (text[0] == '-') {
        gy_error_set(err, 400, "invalid_value", "value", "a value is not negative");
        return -1;
    }
    const char *p = text;
    while (*p >= '0' && *p <= '9')
        p++;
    size_t int_len = (size_t)(p - text);
    const char *frac = NULL;
    size_t frac_len = 0;
    if (*p == '.') {
        frac = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        frac_len = (size_t)(p - frac);
    }
    if (*p || int_len == 0 || (frac && frac_len == 0)) {
        gy_error_set(err, 400, "invalid_value", "value",
                     "a value is a decimal string of digits with an optional point, e.g. "
                     "\"1250.50\"");
        return -1;
    }
    /*  Leading zeros of the whole part and trailing zeros of the fraction
     *  change nothing: the canonical text drops them. */
    while (int_len > 1 && text[0] == '0') {
        text++;
        int_len--;
    }
    while (frac_len > 0 && frac[frac_len - 1] == '0')
        frac_len--;
    if (int_len > WORKFLOW_IMPACT_DIGITS_MAX) {
        gy_error_set(err, 400, "invalid_value", "value",
                     "a value has at most %d digits before the point", WORKFLOW_IMPACT_DIGITS_MAX);
        return -1;
    }
    if ((int)frac_len > m->scale) {
        if (m->scale == 0)
            gy_error_set(err, 400, "invalid_value", "value",
                         "%s is counted in whole %s: no digits after the point", m->code, m->unit);
        else
            gy_error_set(err, 400, "invalid_value", "value",
                         "%s in %s has at most %d digits after the point", m->code, m->unit,
                         m->scale);
        return -1;
    }
    if (int_len == 1 && text[0] == '0' && frac_len == 0) {
        gy_error_set(err, 400, "invalid_value", "value",
                     "a value is greater than zero: record what was achieved");
        return -1;
    }
    memcpy(out, text, int_len);
    if (frac_len) {
        out[int_len] = '.';
        memcpy(out + int_len + 1, frac, frac_len);
    }
    out[int_len + (frac_len ? frac_len + 1 : 0)] = '\0';
    return 0;
}

/*  ---- the body of POST .../impact ---- */

static int s_text(json_t *root, const char *name, bool required, long max, bool multiline,
                  const char **out, gy_error_t *err)
{
    return gy_json_text(json_object_get(root, name), name, required, 1, max, multiline, out, err);
}

int workflow_impact_entry_parse(const workflow_impact_t *self, const char *body, size_t len,
                                int64_t now_ms, workflow_impact_entry_t *e, gy_error_t *err)
{
    static const char *const members[] = {"measure", "value",      "recorded_at",
                                          "note",    "on_closing", NULL};
    assert(self && e);
    memset(e, 0, sizeof *e);
    json_t *root = gy_json_object_load(body, len, err);
    if (!root)
        return -1;
    e->root = root;
    if (gy_json_known(root, "", members, err) < 0)
        goto fail;
    const char *code, *recorded;
    if (s_text(root, "measure", true, 63, false, &code, err) < 0)
        goto fail;
    if (!(e->measure = workflow_impact_measure(self, code))) {
        char quoted[80];
        gy_text_excerpt(quoted, sizeof quoted, code);
        gy_error_set(err, 400, "invalid_value", "measure",
                     "unknown measure \"%s\" (GET /api/v1/workflow/impact-measures lists them)",
                     quoted);
        goto fail;
    }
    json_t *value = json_object_get(root, "value");
    if (value && json_is_number(value)) {
        /*  A JSON number reaches most clients as a binary float: 0.1 is
         *  not exact there, so values travel as text. */
        gy_error_set(err, 400, "invalid_type", "value",
                     "value is a decimal string, e.g. \"1250.50\", not a JSON number");
        goto fail;
    }
    const char *value_text;
    if (s_text(root, "value", true, 40, false, &value_text, err) < 0 ||
        workflow_impact_value_parse(e->measure, value_text, e->value, err) < 0 ||
        s_text(root, "recorded_at", false, 40, false, &recorded, err) < 0 ||
        s_text(root, "note", false, WORKFLOW_IMPACT_NOTE_MAX, true, &e->note, err) < 0)
        goto fail;
    e->recorded_ms = now_ms;
    if (recorded) {
        e->recorded_ms = gy_clock_parse_iso(recorded);
        if (e->recorded_ms == GY_CLOCK_INVALID) {
            gy_error_set(err, 400, "invalid_value", "recorded_at",
                         "recorded_at is a time with its offset, e.g. 2026-10-08T09:30:00+08:00");
            goto fail;
        }
        if (e->recorded_ms > now_ms) {
            gy_error_set(err, 400, "invalid_value", "recorded_at",
                         "recorded_at is when it was achieved: not in the future");
            goto fail;
        }
    }
    json_t *closing = json_object_get(root, "on_closing");
    if (closing && !json_is_null(closing)) {
        if (!json_is_boolean(closing)) {
            gy_error_set(err, 400, "invalid_type", "on_closing", "on_closing is true or false");
            goto fail;
        }
        e->on_closing = json_is_true(closing);
    }
    if (!e->note)
        e->note = "";
    return 0;
fail:
    workflow_impact_entry_clear(e);
    return -1;
}

void workflow_impact_entry_clear(workflow_impact_entry_t *e)
{
    json_decref(e->root);
    memset(e, 0, sizeof *e);
}
