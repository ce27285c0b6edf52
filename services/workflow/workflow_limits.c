/*  workflow_limits — see workflow_limits.h. */
#include "workflow_limits.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "gy_text.h"
#include "gy_util.h"

const char *const WORKFLOW_RULES[] = {
    WORKFLOW_RULE_SERVE_OPENING,
    WORKFLOW_RULE_INVESTIGATION,
    WORKFLOW_RULE_FILE_UPWARD_SUGGESTION,
    WORKFLOW_RULE_ORGAN_REPLY,
    WORKFLOW_RULE_ANNOUNCEMENT,
    WORKFLOW_RULE_REVIEW_FOR_SUIT,
    WORKFLOW_RULE_CIVIL_REVIEW_FOR_SUIT,
    WORKFLOW_RULE_FILE_UPWARD_SUIT,
    WORKFLOW_RULE_FIRST_INSTANCE,
    WORKFLOW_RULE_APPEAL_JUDGMENT,
    WORKFLOW_RULE_APPEAL_RULING,
    WORKFLOW_RULE_SERVE_CLOSING,
    NULL,
};

static const char *const s_columns[] = {
    "rule",          "version",      "starts_on",         "count",
    "unit",          "urgent_count", "urgent_unit",       "extend_by_role",
    "extend_count",  "extend_unit",  "extend_times",      "further_by_role",
    "further_count", "further_unit", "further_times",     "basis",
    "verified",      "name_zh",      "warn_working_days", NULL,
};

struct workflow_limits {
    workflow_limit_t *rows; /* ordered by rule, then version; strings owned */
    size_t nrows;
};

/*  Longest period a row may set: gy_period_due refuses more than 100
 *  years, and no procedural limit comes near. */
#define S_MAX_DAYS   3660
#define S_MAX_MONTHS 120

const char *workflow_unit_name(gy_period_unit_t unit)
{
    return unit == GY_PERIOD_MONTHS ? "months" : "days";
}

int workflow_unit_parse(const char *name)
{
    if (strcmp(name, "days") == 0)
        return GY_PERIOD_DAYS;
    if (strcmp(name, "months") == 0)
        return GY_PERIOD_MONTHS;
    return -1;
}

/*  A whole number 0..max written with digits only; -1 otherwise. */
static long s_number(const char *text, long max)
{
    if (!*text || strlen(text) > 9)
        return -1;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    long n = strtol(text, NULL, 10);
    return n <= max ? n : -1;
}

static bool s_rule_id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

static void s_free_row(workflow_limit_t *r)
{
    free((char *)r->rule);
    free((char *)r->starts_on);
    free((char *)r->extend.by_role);
    free((char *)r->further.by_role);
    free((char *)r->basis);
    free((char *)r->name_zh);
}

void workflow_limits_destroy(workflow_limits_t **self_p)
{
    assert(self_p);
    workflow_limits_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nrows; i++)
        s_free_row(&self->rows[i]);
    free(self->rows);
    free(self);
    *self_p = NULL;
}

/*  A period from two cells; `required` says whether both may be empty.
 *  *set_p says whether they were set. */
static int s_period(const workflow_csv_t *csv, workflow_csv_error_t *error, const char *count_col,
                    const char *unit_col, bool required, gy_period_t *out, bool *set_p)
{
    const char *count = workflow_csv_get(csv, count_col);
    const char *unit = workflow_csv_get(csv, unit_col);
    *set_p = *count || *unit;
    if (!*set_p && !required)
        return 0;
    if (!*count && required)
        return workflow_csv_fail(csv, error, "invalid_value", count_col, "the count is empty");
    if (!*count)
        return workflow_csv_fail(csv, error, "urgent_without_count", count_col,
                                 "%s is given without %s", unit_col, count_col);
    int u = workflow_unit_parse(unit);
    if (u < 0)
        return workflow_csv_fail(csv, error, "unknown_unit", unit_col,
                                 "the unit is \"days\" or \"months\", not \"%s\"", unit);
    long n = s_number(count, u == GY_PERIOD_DAYS ? S_MAX_DAYS : S_MAX_MONTHS);
    if (n <= 0)
        return workflow_csv_fail(csv, error, "invalid_value", count_col,
                                 "the count is a whole number from 1 to %d %s, not \"%s\"",
                                 u == GY_PERIOD_DAYS ? S_MAX_DAYS : S_MAX_MONTHS, unit, count);
    out->unit = (gy_period_unit_t)u;
    out->count = (int)n;
    return 0;
}

/*  One tier of extensions from its four cells (prefix "extend" or
 *  "further"). */
static int s_tier(const workflow_csv_t *csv, workflow_csv_error_t *error, const char *prefix,
                  workflow_extension_tier_t *tier)
{
    char role_col[32], count_col[32], unit_col[32], times_col[32];
    snprintf(role_col, sizeof role_col, "%s_by_role", prefix);
    snprintf(count_col, sizeof count_col, "%s_count", prefix);
    snprintf(unit_col, sizeof unit_col, "%s_unit", prefix);
    snprintf(times_col, sizeof times_col, "%s_times", prefix);
    const char *role = workflow_csv_get(csv, role_col);
    const char *times = workflow_csv_get(csv, times_col);
    if (!*role) {
        const char *const cells[] = {count_col, unit_col, times_col};
        for (size_t i = 0; i < 3; i++)
            if (*workflow_csv_get(csv, cells[i]))
                return workflow_csv_fail(csv, error, "invalid_value", cells[i],
                                         "an extension needs %s", role_col);
        return 0;
    }
    if (strcmp(role, WORKFLOW_EXTEND_CHIEF) != 0 && strcmp(role, WORKFLOW_EXTEND_UPPER) != 0)
        return workflow_csv_fail(csv, error, "unknown_role", role_col,
                                 "an extension is by \"%s\" or \"%s\", not \"%s\"",
                                 WORKFLOW_EXTEND_CHIEF, WORKFLOW_EXTEND_UPPER, role);
    bool set;
    if (s_period(csv, error, count_col, unit_col, true, &tier->size, &set) < 0)
        return -1;
    long n = *times ? s_number(times, 100) : 1;
    if (n <= 0)
        return workflow_csv_fail(csv, error, "invalid_value", times_col,
                                 "the number of extensions is a whole number from 1 to 100 "
                                 "(empty: 1), not \"%s\"",
                                 times);
    tier->times = (int)n;
    tier->by_role = gy_strdup(role);
    return 0;
}

static int s_row(workflow_limits_t *self, const workflow_csv_t *csv, workflow_csv_error_t *error)
{
    workflow_limit_t r = {0};
    const char *rule = workflow_csv_get(csv, "rule");
    if (!s_rule_id_valid(rule))
        return workflow_csv_fail(csv, error, "invalid_value", "rule",
                                 "a rule id is 1 to 63 of a-z, 0-9 and \"_\", not \"%s\"", rule);
    long version = s_number(workflow_csv_get(csv, "version"), 1000000);
    if (version <= 0)
        return workflow_csv_fail(csv, error, "invalid_value", "version",
                                 "the version is a whole number from 1, not \"%s\"",
                                 workflow_csv_get(csv, "version"));
    for (size_t i = 0; i < self->nrows; i++)
        if (strcmp(self->rows[i].rule, rule) == 0 && self->rows[i].version == version)
            return workflow_csv_fail(csv, error, "duplicate_rule", "version",
                                     "rule %s version %ld is listed twice", rule, version);
    const char *const text_cols[] = {"starts_on", "basis", "name_zh"};
    for (size_t i = 0; i < 3; i++)
        if (!*workflow_csv_get(csv, text_cols[i]))
            return workflow_csv_fail(csv, error, "invalid_value", text_cols[i], "empty");
    bool set;
    if (s_period(csv, error, "count", "unit", true, &r.period, &set) < 0 ||
        s_period(csv, error, "urgent_count", "urgent_unit", false, &r.urgent, &r.has_urgent) < 0)
        return -1;
    const char *verified = workflow_csv_get(csv, "verified");
    if (strcmp(verified, "yes") != 0 && strcmp(verified, "no") != 0)
        return workflow_csv_fail(csv, error, "invalid_value", "verified",
                                 "\"yes\" or \"no\", not \"%s\"", verified);
    const char *warn = workflow_csv_get(csv, "warn_working_days");
    long warn_days = *warn ? s_number(warn, WORKFLOW_WARN_MAX) : WORKFLOW_WARN_DEFAULT;
    if (warn_days < 0)
        return workflow_csv_fail(csv, error, "invalid_value", "warn_working_days",
                                 "a whole number from 0 to %d (empty: %d), not \"%s\"",
                                 WORKFLOW_WARN_MAX, WORKFLOW_WARN_DEFAULT, warn);

    if (s_tier(csv, error, "extend", &r.extend) < 0)
        return -1;
    if (s_tier(csv, error, "further", &r.further) < 0) {
        s_free_row(&r);
        return -1;
    }
    if (r.further.by_role && !r.extend.by_role) {
        s_free_row(&r);
        return workflow_csv_fail(csv, error, "invalid_value", "further_by_role",
                                 "a further extension comes after a first one (extend_by_role)");
    }
    r.rule = gy_strdup(rule);
    r.version = (int)version;
    r.starts_on = gy_strdup(workflow_csv_get(csv, "starts_on"));
    r.basis = gy_strdup(workflow_csv_get(csv, "basis"));
    r.name_zh = gy_strdup(workflow_csv_get(csv, "name_zh"));
    r.verified = strcmp(verified, "yes") == 0;
    r.warn_working_days = (int)warn_days;
    self->rows = gy_realloc(self->rows, (self->nrows + 1) * sizeof *self->rows);
    self->rows[self->nrows++] = r;
    return 0;
}

static int s_cmp_row(const void *a, const void *b)
{
    const workflow_limit_t *x = a, *y = b;
    int c = strcmp(x->rule, y->rule);
    return c ? c : (x->version > y->version) - (x->version < y->version);
}

workflow_limits_t *workflow_limits_parse(const char *text, const char *where,
                                         workflow_limits_error_t *error)
{
    assert(text && where);
    workflow_csv_t *csv = workflow_csv_new(text, where, s_columns, error);
    if (!csv)
        return NULL;
    workflow_limits_t *self = gy_calloc(1, sizeof *self);
    int rc;
    while ((rc = workflow_csv_next(csv, error)) > 0)
        if (s_row(self, csv, error) < 0) {
            rc = -1;
            break;
        }
    workflow_csv_destroy(&csv);
    if (rc < 0)
        goto fail;
    if (self->nrows)
        qsort(self->rows, self->nrows, sizeof *self->rows, s_cmp_row);
    for (size_t i = 0; i < self->nrows; i++)
        self->rows[i].current =
            i + 1 == self->nrows || strcmp(self->rows[i].rule, self->rows[i + 1].rule) != 0;
    for (size_t i = 0; WORKFLOW_RULES[i]; i++) {
        if (!workflow_limits_current(self, WORKFLOW_RULES[i])) {
            workflow_csv_fail_file(where, error, "missing_rule",
                                   "no row for rule %s, which the case workflow starts",
                                   WORKFLOW_RULES[i]);
            goto fail;
        }
    }
    return self;
fail:
    workflow_limits_destroy(&self);
    return NULL;
}

workflow_limits_t *workflow_limits_load(const char *path, workflow_limits_error_t *error)
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
    workflow_limits_t *self = workflow_limits_parse(text, path, error);
    free(text);
    return self;
}

workflow_limits_t *workflow_limits_load_default(const char *refdir, workflow_limits_error_t *error)
{
    const char *path = getenv("GY_TIME_LIMITS");
    if (path && *path)
        return workflow_limits_load(path, error);
    char *def = gy_sprintf("%s/time_limits.csv", refdir);
    workflow_limits_t *self = workflow_limits_load(def, error);
    free(def);
    return self;
}

const workflow_limit_t *workflow_limits_find(const workflow_limits_t *self, const char *rule,
                                             int version)
{
    assert(self && rule);
    for (size_t i = 0; i < self->nrows; i++)
        if (self->rows[i].version == version && strcmp(self->rows[i].rule, rule) == 0)
            return &self->rows[i];
    return NULL;
}

const workflow_limit_t *workflow_limits_current(const workflow_limits_t *self, const char *rule)
{
    assert(self && rule);
    for (size_t i = 0; i < self->nrows; i++)
        if (self->rows[i].current && strcmp(self->rows[i].rule, rule) == 0)
            return &self->rows[i];
    return NULL;
}

size_t workflow_limits_count(const workflow_limits_t *self)
{
    return self->nrows;
}

const workflow_limit_t *workflow_limits_at(const workflow_limits_t *self, size_t i)
{
    assert(i < self->nrows);
    return &self->rows[i];
}

static json_t *s_period_json(gy_period_t p)
{
    return json_pack("{s:i,s:s}", "count", p.count, "unit", workflow_unit_name(p.unit));
}

static void s_tier_json(json_t *list, const workflow_extension_tier_t *t)
{
    if (!t->by_role)
        return;
    json_t *o = s_period_json(t->size);
    json_object_set_new(o, "by_role", json_string(t->by_role));
    json_object_set_new(o, "times", json_integer(t->times));
    json_array_append_new(list, o);
}

json_t *workflow_limits_to_json(const workflow_limits_t *self)
{
    json_t *list = json_array();
    for (size_t i = 0; i < self->nrows; i++) {
        const workflow_limit_t *r = &self->rows[i];
        json_t *ext = json_array();
        s_tier_json(ext, &r->extend);
        s_tier_json(ext, &r->further);
        json_t *o =
            json_pack("{s:s,s:i,s:b,s:s,s:i,s:s,s:o,s:o,s:s,s:b,s:s,s:i}", "rule", r->rule,
                      "version", r->version, "current", r->current, "starts_on", r->starts_on,
                      "count", r->period.count, "unit", workflow_unit_name(r->period.unit),
                      "urgent", r->has_urgent ? s_period_json(r->urgent) : json_null(),
                      "extensions", ext, "basis", r->basis, "verified", r->verified, "name_zh",
                      r->name_zh, "warn_working_days", r->warn_working_days);
        json_array_append_new(list, o);
    }
    return json_pack("{s:o}", "time_limits", list);
}

char *workflow_limits_json(const workflow_limits_t *self)
{
    json_t *root = workflow_limits_to_json(self);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}
