/*  test_workflow_impact — the impact measures as data: the reference file
 *  (the statistics' four measures and the seeds' itemised counts), wrong
 *  rows refused with file, line, column and code, which fields a measure
 *  applies to, exact decimal values and the checks of an entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gy_clock.h"
#include "gy_text.h"
#include "gy_util.h"
#include "workflow_impact.h"

#define S_REFDIR GY_DEFAULT_REFDATA_DIR

static const char s_header[] = "code,name_zh,unit,value_kind,scale,fields,sums\n";

static void test_reference_file(void **state)
{
    (void)state;
    gy_refdata_t *refdata = gy_refdata_new(S_REFDIR);
    assert_non_null(refdata);
    workflow_impact_error_t err;
    workflow_impact_t *m = workflow_impact_load(S_REFDIR "/impact_measures.csv", refdata, &err);
    if (!m)
        fail_msg("%s", err.message);
    static const struct {
        const char *code, *unit;
        int scale;
    } want[] = {
        {"state_property_recovered", "yuan", 2},  {"farmland_restored", "mu", 2},
        {"illegal_buildings_removed", "m2", 2},   {"people_protected", "people", 0},
        {"flywire_charging_cleared", "count", 0}, {"manhole_covers_fixed", "count", 0},
        {"fire_lanes_opened", "count", 0},        {"blind_lanes_restored", "count", 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const workflow_measure_t *x = workflow_impact_measure(m, want[i].code);
        if (!x) {
            fail_msg("no measure %s", want[i].code);
            return; /* fail_msg does not return; the analyzer does not know */
        }
        assert_string_equal(x->unit, want[i].unit);
        assert_int_equal(x->scale, want[i].scale);
        assert_true(x->sums);
    }
    assert_true(
        workflow_measure_applies(workflow_impact_measure(m, "state_property_recovered"), "minors"));
    assert_true(workflow_measure_applies(workflow_impact_measure(m, "blind_lanes_restored"),
                                         "barrier_free"));
    assert_false(
        workflow_measure_applies(workflow_impact_measure(m, "blind_lanes_restored"), "ecology"));
    assert_false(workflow_measure_applies(workflow_impact_measure(m, "farmland_restored"), "eco"));
    char *json = workflow_impact_json(m);
    assert_non_null(strstr(json, "{\"code\":\"farmland_restored\",\"name_zh\":\"恢复耕地\","
                                 "\"unit\":\"mu\",\"value_kind\":\"decimal\",\"scale\":2,"));
    free(json);
    workflow_impact_destroy(&m);
    assert_null(m);
    gy_refdata_destroy(&refdata);
}

/*  Each wrong row is refused with its code and column; the bad row is
 *  line 4 (header, a comment, a good row). */
static void test_bad_rows(void **state)
{
    (void)state;
    gy_refdata_t *refdata = gy_refdata_new(S_REFDIR);
    static const struct {
        const char *row, *code;
        int column;
        const char *says;
    } cases[] = {
        {"Bad,名,yuan,decimal,2,*,yes\n", "invalid_code", 1, "column 1 (code)"},
        {"good,名,yuan,decimal,2,*,yes\n", "duplicate_code", 1, "twice"},
        {"x,,yuan,decimal,2,*,yes\n", "invalid_value", 2, "column 2 (name_zh)"},
        {"x,名,dollars,decimal,2,*,yes\n", "unknown_unit", 3, "column 3 (unit)"},
        {"x,名,yuan,float,2,*,yes\n", "unknown_value_kind", 4, "column 4 (value_kind)"},
        {"x,名,yuan,decimal,0,*,yes\n", "invalid_scale", 5, "column 5 (scale)"},
        {"x,名,yuan,decimal,7,*,yes\n", "invalid_scale", 5, "column 5 (scale)"},
        {"x,名,count,integer,2,*,yes\n", "invalid_scale", 5, "column 5 (scale)"},
        {"x,名,people,decimal,2,*,yes\n", "invalid_scale", 4, "column 4 (value_kind)"},
        {"x,名,yuan,decimal,2,ecology|nowhere,yes\n", "unknown_field", 6, "nowhere"},
        {"x,名,yuan,decimal,2,ecology||minors,yes\n", "invalid_value", 6, "column 6 (fields)"},
        {"x,名,yuan,decimal,2,ecology|minors|ecology,yes\n", "invalid_value", 6, "twice"},
        {"x,名,yuan,decimal,2,*,maybe\n", "invalid_value", 7, "column 7 (sums)"},
        {"x,名,yuan,decimal,2,*\n", "wrong_columns", 0, "impact.csv:4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text =
            gy_sprintf("%s# a comment\ngood,好,yuan,decimal,2,*,yes\n%s", s_header, cases[i].row);
        workflow_impact_error_t err;
        workflow_impact_t *m = workflow_impact_parse(text, "impact.csv", refdata, &err);
        free(text);
        if (m)
            fail_msg("case %zu accepted", i);
        if (strcmp(err.code, cases[i].code) != 0 || err.line != 4 ||
            err.column != cases[i].column || !strstr(err.message, cases[i].says) ||
            strncmp(err.message, "impact.csv:4", 12) != 0)
            fail_msg("case %zu: %s line %d column %d: %s", i, err.code, err.line, err.column,
                     err.message);
    }
    workflow_impact_error_t err;
    assert_null(workflow_impact_parse(s_header, "empty.csv", refdata, &err));
    assert_string_equal(err.code, "no_measures");
    assert_null(workflow_impact_parse("code,name_zh\n", "cols.csv", refdata, &err));
    assert_null(workflow_impact_load("/nonexistent/impact.csv", refdata, &err));
    assert_string_equal(err.code, "unreadable");
    /* without refdata, field codes are taken as written */
    char *text = gy_sprintf("%sx,名,yuan,decimal,2,nowhere,no\n", s_header);
    workflow_impact_t *m = workflow_impact_parse(text, "x.csv", NULL, &err);
    free(text);
    assert_non_null(m);
    assert_false(workflow_impact_at(m, 0)->sums);
    workflow_impact_destroy(&m);
    gy_refdata_destroy(&refdata);
}

static void test_values(void **state)
{
    (void)state;
    static const workflow_measure_t yuan = {
        "state_property_recovered", "挽回", "yuan", 2, "*", true};
    static const workflow_measure_t count = {
        "fire_lanes_opened", "消防通道", "count", 0, "*", true};
    static const struct {
        const workflow_measure_t *m;
        const char *text, *canonical; /* NULL: refused */
    } cases[] = {
        {&yuan, "1250.50", "1250.5"},
        {&yuan, "0.01", "0.01"},
        {&yuan, "007", "7"},
        {&yuan, "3.000000", "3"},
        {&yuan, "999999999999999.99", "999999999999999.99"},
        {&yuan, "1000000000000000", NULL},
        {&yuan, "0.001", NULL},
        {&yuan, "0", NULL},
        {&yuan, "0.00", NULL},
        {&yuan, "-5", NULL},
        {&yuan, "1e3", NULL},
        {&yuan, ".5", NULL},
        {&yuan, "5.", NULL},
        {&yuan, " 5", NULL},
        {&yuan, "1,000", NULL},
        {&yuan, "", NULL},
        {&count, "12", "12"},
        {&count, "12.0", "12"},
        {&count, "12.5", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[WORKFLOW_IMPACT_VALUE_MAX];
        gy_error_t err;
        int rc = workflow_impact_value_parse(cases[i].m, cases[i].text, out, &err);
        if (cases[i].canonical) {
            if (rc != 0 || strcmp(out, cases[i].canonical) != 0)
                fail_msg("case %zu (%s): rc %d, \"%s\"", i, cases[i].text, rc, out);
        } else {
            if (rc == 0)
                fail_msg("case %zu (%s) accepted as %s", i, cases[i].text, out);
            assert_string_equal(err.code, "invalid_value");
            assert_string_equal(err.field, "value");
            assert_int_equal(err.http_status, 400);
        }
    }
}

static void test_entries(void **state)
{
    (void)state;
    workflow_impact_t *m = workflow_impact_load(S_REFDIR "/impact_measures.csv", NULL, NULL);
    assert_non_null(m);
    int64_t now = gy_clock_parse_iso("2026-10-10T10:00:00+08:00");
    workflow_impact_entry_t e;
    gy_error_t err;
    const char *ok = "{\"measure\":\"farmland_restored\",\"value\":\"12.50\","
                     "\"recorded_at\":\"2026-10-09T16:00:00+08:00\",\"note\":\"复垦验收\","
                     "\"on_closing\":true}";
    assert_int_equal(workflow_impact_entry_parse(m, ok, strlen(ok), now, &e, &err), 0);
    assert_string_equal(e.measure->code, "farmland_restored");
    assert_string_equal(e.value, "12.5");
    assert_true(e.recorded_ms == gy_clock_parse_iso("2026-10-09T08:00:00Z"));
    assert_true(e.on_closing);
    workflow_impact_entry_clear(&e);
    const char *plain = "{\"measure\":\"fire_lanes_opened\",\"value\":\"3\"}";
    assert_int_equal(workflow_impact_entry_parse(m, plain, strlen(plain), now, &e, &err), 0);
    assert_true(e.recorded_ms == now);
    assert_false(e.on_closing);
    assert_string_equal(e.note, "");
    workflow_impact_entry_clear(&e);
    static const struct {
        const char *body, *code, *field;
    } bad[] = {
        {"{\"measure\":\"happiness\",\"value\":\"1\"}", "invalid_value", "measure"},
        {"{\"measure\":\"fire_lanes_opened\",\"value\":3}", "invalid_type", "value"},
        {"{\"measure\":\"fire_lanes_opened\",\"value\":\"-3\"}", "invalid_value", "value"},
        {"{\"measure\":\"fire_lanes_opened\",\"value\":\"1.5\"}", "invalid_value", "value"},
        {"{\"measure\":\"fire_lanes_opened\"}", "missing_field", "value"},
        {"{\"value\":\"1\"}", "missing_field", "measure"},
        {"{\"measure\":\"fire_lanes_opened\",\"value\":\"1\",\"recorded_at\":"
         "\"2026-10-10T10:00:01+08:00\"}",
         "invalid_value", "recorded_at"},
        {"{\"measure\":\"fire_lanes_opened\",\"value\":\"1\",\"recorded_at\":\"yesterday\"}",
         "invalid_value", "recorded_at"},
        {"{\"measure\":\"fire_lanes_opened\",\"value\":\"1\",\"on_closing\":1}", "invalid_type",
         "on_closing"},
        {"{\"measure\":\"fire_lanes_opened\",\"value\":\"1\",\"unit\":\"count\"}",
         "unknown_property", "unit"},
        {"[1]", "malformed_json", ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (workflow_impact_entry_parse(m, bad[i].body, strlen(bad[i].body), now, &e, &err) == 0)
            fail_msg("case %zu accepted", i);
        if (strcmp(err.code, bad[i].code) != 0 || strcmp(err.field, bad[i].field) != 0)
            fail_msg("case %zu: %s on %s", i, err.code, err.field);
    }
    /* a syntax error quoted inside a character: the message stays UTF-8 */
    const char *cut = "{\"note\": \"河道污染整\\\xe6\xb2\xbb\"}";
    assert_int_equal(workflow_impact_entry_parse(m, cut, strlen(cut), now, &e, &err), -1);
    assert_string_equal(err.code, "malformed_json");
    assert_true(gy_text_utf8_valid(err.message, strlen(err.message)));
    workflow_impact_destroy(&m);
}

static void test_load_default(void **state)
{
    (void)state;
    unsetenv("GY_IMPACT_MEASURES");
    workflow_impact_t *m = workflow_impact_load_default(S_REFDIR, NULL, NULL);
    assert_non_null(m);
    workflow_impact_destroy(&m);
    setenv("GY_IMPACT_MEASURES", "/nonexistent.csv", 1);
    assert_null(workflow_impact_load_default(S_REFDIR, NULL, NULL));
    unsetenv("GY_IMPACT_MEASURES");
}

int main(void)
{
    gy_log_init("test_workflow_impact", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_file), cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_values),         cmocka_unit_test(test_entries),
        cmocka_unit_test(test_load_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
