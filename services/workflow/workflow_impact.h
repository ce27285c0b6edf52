/*  workflow_impact — what a case achieved (成效), as typed measures from
 *  reference data (reference/impact_measures.csv), and the checks of an
 *  entry: exact decimals, never floating point.  Pure: no database.
 *
 *  The file (docs/workflow.md, "Impact") has a header naming its columns,
 *  in any order: code, name_zh, unit, value_kind, scale, fields, sums.
 *  unit is yuan, mu, m2 (m²), people or count; value_kind integer (scale
 *  0) or decimal (scale 1 to 6: the digits after the point a value may
 *  have); fields "*" (every field) or field codes of reference/fields.csv
 *  separated by '|'; sums yes or no (whether statistics add it up).
 *  Refusals name the file, the line and the column (workflow_csv).
 *
 *      workflow_impact_error_t err;
 *      workflow_impact_t *measures = workflow_impact_load_default(refdir, refdata, &err);
 *      const workflow_measure_t *m = workflow_impact_measure(measures, "farmland_restored");
 *      char value[WORKFLOW_IMPACT_VALUE_MAX];
 *      gy_error_t e;
 *      if (workflow_impact_value_parse(m, "12.50", value, &e) < 0) -> 400, e.field "value"
 *      // value is "12.5": the canonical text, stored as numeric
 *      workflow_impact_destroy(&measures);
 */
#ifndef WORKFLOW_IMPACT_H
#define WORKFLOW_IMPACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gy_refdata.h"
#include "gy_route.h"
#include "workflow_csv.h"

/*  One measure.  Strings belong to the measures object. */
typedef struct {
    const char *code;    /* e.g. "farmland_restored" */
    const char *name_zh; /* label for screens and reports */
    const char *unit;    /* yuan, mu, m2, people, count */
    int scale;           /* digits after the point; 0: whole numbers */
    const char *fields;  /* "*" or "ecology|state_land" */
    bool sums;           /* statistics add it up */
} workflow_measure_t;

/*  Why a file was refused (workflow_csv.h); the codes beyond the CSV's:
 *  invalid_code, duplicate_code, unknown_unit, unknown_value_kind,
 *  invalid_scale, unknown_field, invalid_value, no_measures. */
typedef workflow_csv_error_t workflow_impact_error_t;

typedef struct workflow_impact workflow_impact_t;

/*  Checks text (named where); refdata NULL: field codes are not checked
 *  against reference/fields.csv.  NULL when wrong (logged once, *error
 *  filled; error may be NULL). */
workflow_impact_t *workflow_impact_parse(const char *text, const char *where,
                                         const gy_refdata_t *refdata,
                                         workflow_impact_error_t *error);
workflow_impact_t *workflow_impact_load(const char *path, const gy_refdata_t *refdata,
                                        workflow_impact_error_t *error);
/*  The file named by GY_IMPACT_MEASURES, default refdir/impact_measures.csv. */
workflow_impact_t *workflow_impact_load_default(const char *refdir, const gy_refdata_t *refdata,
                                                workflow_impact_error_t *error);
void workflow_impact_destroy(workflow_impact_t **self_p);

const workflow_measure_t *workflow_impact_measure(const workflow_impact_t *self, const char *code);
size_t workflow_impact_count(const workflow_impact_t *self);
const workflow_measure_t *workflow_impact_at(const workflow_impact_t *self, size_t i);

/*  Whether a measure may be recorded on a case of field_code. */
bool workflow_measure_applies(const workflow_measure_t *m, const char *field_code);

/*  Every measure as JSON ({"measures": [...]}), to free. */
char *workflow_impact_json(const workflow_impact_t *self);

/*  Integer digits a value may have: sums of many cases stay exact in
 *  PostgreSQL's numeric and in every client that reads them as text. */
#define WORKFLOW_IMPACT_DIGITS_MAX 15
#define WORKFLOW_IMPACT_VALUE_MAX  (WORKFLOW_IMPACT_DIGITS_MAX + 1 + 6 + 1)

/*  Checks a value written as a decimal string for measure m: digits, an
 *  optional point and digits; greater than zero; at most m->scale digits
 *  after the point once trailing zeros are dropped.  0 with the canonical
 *  text in out (no leading zeros, no trailing zeros after the point), or
 *  -1 with err (400 invalid_value on "value"). */
int workflow_impact_value_parse(const workflow_measure_t *m, const char *text,
                                char out[WORKFLOW_IMPACT_VALUE_MAX], gy_error_t *err);

#define WORKFLOW_IMPACT_NOTE_MAX 2000

/*  POST .../impact, as checked (strings borrowed from root). */
typedef struct {
    json_t *root;
    const workflow_measure_t *measure;
    char value[WORKFLOW_IMPACT_VALUE_MAX];
    int64_t recorded_ms; /* when it happened; now when absent */
    const char *note;    /* "" when absent */
    bool on_closing;
} workflow_impact_entry_t;

/*  0, or -1 with err (400 malformed_json, invalid_utf8, invalid_type,
 *  missing_field, invalid_value (an unknown measure, a value that is not a
 *  positive decimal within the measure's scale, recorded_at after now),
 *  too_long, unknown_property). */
int workflow_impact_entry_parse(const workflow_impact_t *self, const char *body, size_t len,
                                int64_t now_ms, workflow_impact_entry_t *e, gy_error_t *err);
void workflow_impact_entry_clear(workflow_impact_entry_t *e);

#endif
