/*  test_workflow_limits — the time limits as data: the reference file
 *  (every agreed rule, what the statutes and the 办案规则 say, which are
 *  verified), versions, the JSON the API lists, and every kind of wrong
 *  row refused with its file, line, column and code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gy_text.h"
#include "gy_util.h"
#include "workflow_limits.h"

#define S_REFDIR GY_DEFAULT_REFDATA_DIR

static const char s_header[] =
    "rule,version,starts_on,count,unit,urgent_count,urgent_unit,extend_by_role,extend_count,"
    "extend_unit,extend_times,further_by_role,further_count,further_unit,further_times,basis,"
    "verified,name_zh,warn_working_days\n";

/*  A valid row of each agreed rule, 7 days, nothing else. */
static char *s_valid_rows(const char *except)
{
    gy_buf_t buf = {0};
    for (size_t i = 0; WORKFLOW_RULES[i]; i++)
        if (!except || strcmp(WORKFLOW_RULES[i], except) != 0)
            gy_buf_printf(&buf, "%s,1,something happened,7,days,,,,,,,,,,,某法第一条,no,某期限,\n",
                          WORKFLOW_RULES[i]);
    char *text = gy_strndup(buf.data, buf.len);
    gy_buf_free(&buf);
    return text;
}

static void test_reference_file(void **state)
{
    (void)state;
    workflow_limits_error_t err;
    workflow_limits_t *limits = workflow_limits_load(S_REFDIR "/time_limits.csv", &err);
    assert_non_null(limits);

    /*  Every agreed id, each at version 1 and current. */
    for (size_t i = 0; WORKFLOW_RULES[i]; i++) {
        const workflow_limit_t *r = workflow_limits_current(limits, WORKFLOW_RULES[i]);
        assert_non_null(r);
        assert_int_equal(r->version, 1);
        assert_true(r->current);
        assert_true(*r->basis && *r->name_zh && *r->starts_on);
        assert_true(gy_text_check(r->name_zh, strlen(r->name_zh), GY_TEXT_LINE) > 0);
    }
    static const struct {
        const char *rule;
        int count;
        gy_period_unit_t unit;
        bool verified;
    } want[] = {
        {"serve_opening", 7, GY_PERIOD_DAYS, false},
        {"investigation", 3, GY_PERIOD_MONTHS, false},
        {"file_upward_suggestion", 5, GY_PERIOD_DAYS, false},
        {"organ_reply", 2, GY_PERIOD_MONTHS, true},
        {"announcement", 30, GY_PERIOD_DAYS, true},
        {"review_for_suit", 1, GY_PERIOD_MONTHS, false},
        {"civil_review_for_suit", 3, GY_PERIOD_MONTHS, false},
        {"file_upward_suit", 5, GY_PERIOD_DAYS, false},
        {"first_instance", 6, GY_PERIOD_MONTHS, false},
        {"appeal_judgment", 15, GY_PERIOD_DAYS, true},
        {"appeal_ruling", 10, GY_PERIOD_DAYS, true},
        {"serve_closing", 7, GY_PERIOD_DAYS, false},
    };
    assert_int_equal(workflow_limits_count(limits), sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const workflow_limit_t *r = workflow_limits_find(limits, want[i].rule, 1);
        assert_non_null(r);
        if (r->period.count != want[i].count || r->period.unit != want[i].unit ||
            r->verified != want[i].verified)
            fail_msg("%s: %d %s verified=%d", want[i].rule, r->period.count,
                     workflow_unit_name(r->period.unit), r->verified);
        /*  Only the organ's reply has an urgent variant; only the review
         *  for suit may be extended. */
        assert_int_equal(r->has_urgent, strcmp(r->rule, "organ_reply") == 0);
        assert_int_equal(r->extend.by_role != NULL, strcmp(r->rule, "review_for_suit") == 0);
    }

    const workflow_limit_t *reply = workflow_limits_current(limits, WORKFLOW_RULE_ORGAN_REPLY);
    assert_int_equal(reply->urgent.count, 15);
    assert_int_equal(reply->urgent.unit, GY_PERIOD_DAYS);
    assert_non_null(strstr(reply->basis, "第二十一条"));
    assert_non_null(strstr(workflow_limits_current(limits, "announcement")->basis, "第十三条"));

    /*  One month by the chief, then one more with the upper level's
     *  approval. */
    const workflow_limit_t *review = workflow_limits_current(limits, "review_for_suit");
    assert_string_equal(review->extend.by_role, WORKFLOW_EXTEND_CHIEF);
    assert_int_equal(review->extend.size.count, 1);
    assert_int_equal(review->extend.size.unit, GY_PERIOD_MONTHS);
    assert_int_equal(review->extend.times, 1);
    assert_string_equal(review->further.by_role, WORKFLOW_EXTEND_UPPER);
    assert_int_equal(review->further.size.count, 1);

    /*  A five-day rule warns a day ahead. */
    assert_int_equal(workflow_limits_current(limits, "file_upward_suit")->warn_working_days, 1);

    assert_null(workflow_limits_current(limits, "no_such_rule"));
    assert_null(workflow_limits_find(limits, "organ_reply", 2));
    workflow_limits_destroy(&limits);
    workflow_limits_destroy(&limits); /* NULL is fine */
}

static void test_json_lists_every_row(void **state)
{
    (void)state;
    workflow_limits_t *limits = workflow_limits_load(S_REFDIR "/time_limits.csv", NULL);
    assert_non_null(limits);
    char *text = workflow_limits_json(limits);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    assert_non_null(root);
    json_t *list = json_object_get(root, "time_limits");
    assert_int_equal(json_array_size(list), workflow_limits_count(limits));
    bool seen_reply = false;
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o) {
        if (strcmp(json_string_value(json_object_get(o, "rule")), "organ_reply") != 0)
            continue;
        seen_reply = true;
        assert_int_equal(json_integer_value(json_object_get(o, "count")), 2);
        assert_string_equal(json_string_value(json_object_get(o, "unit")), "months");
        json_t *urgent = json_object_get(o, "urgent");
        assert_int_equal(json_integer_value(json_object_get(urgent, "count")), 15);
        assert_string_equal(json_string_value(json_object_get(urgent, "unit")), "days");
        assert_true(json_is_true(json_object_get(o, "verified")));
        assert_true(json_is_true(json_object_get(o, "current")));
        assert_string_equal(json_string_value(json_object_get(o, "name_zh")), "行政机关书面回复");
    }
    assert_true(seen_reply);
    assert_non_null(strstr(text, "\"extensions\":[{\"count\":1,\"unit\":\"months\",\"by_role\":"
                                 "\"chief_prosecutor\",\"times\":1},{\"count\":1,\"unit\":"
                                 "\"months\",\"by_role\":\"upper_procuratorate\",\"times\":1}]"));
    json_decref(root);
    free(text);
    workflow_limits_destroy(&limits);
}

/*  A changed rule is a new row; the old one stays for the deadlines it
 *  made, and new deadlines take the highest version. */
static void test_versions(void **state)
{
    (void)state;
    char *rows = s_valid_rows(NULL);
    char *text = gy_sprintf("%s%s"
                            "organ_reply,3,suggestion served,1,months,10,days,,,,,,,,,某解释,yes,"
                            "回复,2\n"
                            "organ_reply,2,suggestion served,2,months,15,days,,,,,,,,,某解释,yes,"
                            "回复,\n",
                            s_header, rows);
    workflow_limits_t *limits = workflow_limits_parse(text, "versions.csv", NULL);
    assert_non_null(limits);
    const workflow_limit_t *cur = workflow_limits_current(limits, "organ_reply");
    assert_int_equal(cur->version, 3);
    assert_int_equal(cur->period.count, 1);
    assert_int_equal(cur->warn_working_days, 2);
    const workflow_limit_t *v2 = workflow_limits_find(limits, "organ_reply", 2);
    assert_false(v2->current);
    assert_int_equal(v2->period.count, 2);
    assert_int_equal(v2->warn_working_days, WORKFLOW_WARN_DEFAULT); /* empty cell */
    assert_false(workflow_limits_find(limits, "organ_reply", 1)->current);
    /*  Ordered by rule, then version. */
    for (size_t i = 1; i < workflow_limits_count(limits); i++) {
        const workflow_limit_t *a = workflow_limits_at(limits, i - 1);
        const workflow_limit_t *b = workflow_limits_at(limits, i);
        int c = strcmp(a->rule, b->rule);
        assert_true(c < 0 || (c == 0 && a->version < b->version));
    }
    workflow_limits_destroy(&limits);
    free(text);
    free(rows);
}

/*  Columns in another order are read by name; quoted cells may hold
 *  commas; CRLF line ends and comments are fine. */
static void test_header_by_name(void **state)
{
    (void)state;
    gy_buf_t buf = {0};
    gy_buf_printf(&buf, "# comment\r\nversion,rule,count,unit,urgent_count,urgent_unit,"
                        "extend_by_role,extend_count,extend_unit,extend_times,further_by_role,"
                        "further_count,further_unit,further_times,basis,verified,name_zh,"
                        "warn_working_days,starts_on\r\n");
    for (size_t i = 0; WORKFLOW_RULES[i]; i++)
        gy_buf_printf(&buf, "1,%s,7,days,,,,,,,,,,,\"某法, 第一条\",yes,期限,0,\"a \"\"b\"\"\"\r\n",
                      WORKFLOW_RULES[i]);
    char *text = gy_strndup(buf.data, buf.len);
    gy_buf_free(&buf);
    workflow_limits_t *limits = workflow_limits_parse(text, "order.csv", NULL);
    assert_non_null(limits);
    const workflow_limit_t *r = workflow_limits_current(limits, "announcement");
    assert_string_equal(r->basis, "某法, 第一条");
    assert_string_equal(r->starts_on, "a \"b\"");
    assert_int_equal(r->warn_working_days, 0);
    workflow_limits_destroy(&limits);
    free(text);
}

/*  Each wrong row is refused with its code, line and column, and the
 *  message names file, line and column.  The bad row is line 14: the
 *  header, the twelve valid rows, then it. */
static void test_bad_rows(void **state)
{
    (void)state;
    static const struct {
        const char *row;
        const char *code;
        int column; /* 0: the whole line */
        const char *says;
    } cases[] = {
        {"x_rule,1,e,7,weeks,,,,,,,,,,,法,no,名,\n", "unknown_unit", 5, "column 5 (unit)"},
        {"x_rule,1,e,0,days,,,,,,,,,,,法,no,名,\n", "invalid_value", 4, "column 4 (count)"},
        {"x_rule,1,e,-3,days,,,,,,,,,,,法,no,名,\n", "invalid_value", 4, "column 4 (count)"},
        {"x_rule,1,e,,days,,,,,,,,,,,法,no,名,\n", "invalid_value", 4, "column 4 (count)"},
        {"x_rule,1,e,3660000,days,,,,,,,,,,,法,no,名,\n", "invalid_value", 4, "column 4"},
        {"x_rule,0,e,7,days,,,,,,,,,,,法,no,名,\n", "invalid_value", 2, "column 2 (version)"},
        {"X-Rule,1,e,7,days,,,,,,,,,,,法,no,名,\n", "invalid_value", 1, "column 1 (rule)"},
        {"organ_reply,1,e,7,days,,,,,,,,,,,法,no,名,\n", "duplicate_rule", 2,
         "organ_reply version 1 is listed twice"},
        {"x_rule,1,e,7,days,,days,,,,,,,,,法,no,名,\n", "urgent_without_count", 6,
         "column 6 (urgent_count)"},
        {"x_rule,1,e,7,days,15,,,,,,,,,,法,no,名,\n", "unknown_unit", 7, "column 7 (urgent_unit)"},
        {"x_rule,1,e,7,days,15,hours,,,,,,,,,法,no,名,\n", "unknown_unit", 7, "column 7"},
        {"x_rule,1,e,7,days,,,prosecutor,1,months,,,,,,法,no,名,\n", "unknown_role", 8,
         "column 8 (extend_by_role)"},
        {"x_rule,1,e,7,days,,,chief_prosecutor,1,months,,volunteer,1,months,,法,no,名,\n",
         "unknown_role", 12, "column 12 (further_by_role)"},
        {"x_rule,1,e,7,days,,,chief_prosecutor,,months,,,,,,法,no,名,\n", "invalid_value", 9,
         "column 9 (extend_count)"},
        {"x_rule,1,e,7,days,,,chief_prosecutor,1,months,0,,,,,法,no,名,\n", "invalid_value", 11,
         "column 11 (extend_times)"},
        {"x_rule,1,e,7,days,,,,1,months,,,,,,法,no,名,\n", "invalid_value", 9, "extend_by_role"},
        {"x_rule,1,e,7,days,,,,,,,upper_procuratorate,1,months,,法,no,名,\n", "invalid_value", 12,
         "after a first one"},
        {"x_rule,1,e,7,days,,,,,,,,,,,法,maybe,名,\n", "invalid_value", 17, "column 17 (verified)"},
        {"x_rule,1,e,7,days,,,,,,,,,,,法,no,名,61\n", "invalid_value", 19,
         "column 19 (warn_working_days)"},
        {"x_rule,1,,7,days,,,,,,,,,,,法,no,名,\n", "invalid_value", 3, "column 3 (starts_on)"},
        {"x_rule,1,e,7,days,,,,,,,,,,,,no,名,\n", "invalid_value", 16, "column 16 (basis)"},
        {"x_rule,1,e,7,days,,,,,,,,,,,法,no,\xe5\x90,\n", "invalid_utf8", 18,
         "column 18 (name_zh)"},
        {"x_rule,1,e\tf,7,days,,,,,,,,,,,法,no,名,\n", "control_character", 3,
         "column 3 (starts_on)"},
        {"x_rule,1,e,7,days,,,,,,,,,,,法,no,名\n", "wrong_columns", 0,
         "expected 19 cells, found 18"},
        {"x_rule,1,\"e,7,days,,,,,,,,,,,法,no,名,\n", "bad_quote", 0, "not closed"},
    };
    char *rows = s_valid_rows(NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = gy_sprintf("%s%s%s", s_header, rows, cases[i].row);
        workflow_limits_error_t err;
        workflow_limits_t *limits = workflow_limits_parse(text, "limits.csv", &err);
        if (limits)
            fail_msg("case %zu accepted: %s", i, cases[i].row);
        if (strcmp(err.code, cases[i].code) != 0 || err.line != 14 ||
            err.column != cases[i].column || !strstr(err.message, cases[i].says) ||
            strncmp(err.message, "limits.csv:14", 13) != 0)
            fail_msg("case %zu: %s line %d column %d: %s", i, err.code, err.line, err.column,
                     err.message);
        assert_true(gy_text_utf8_valid(err.message, strlen(err.message)));
        free(text);
    }
    free(rows);
}

static void test_bad_files(void **state)
{
    (void)state;
    workflow_limits_error_t err;
    /*  Every agreed rule must be there. */
    char *rows = s_valid_rows("appeal_ruling");
    char *text = gy_sprintf("%s%s", s_header, rows);
    assert_null(workflow_limits_parse(text, "limits.csv", &err));
    assert_string_equal(err.code, "missing_rule");
    assert_int_equal(err.line, 0);
    assert_non_null(strstr(err.message, "limits.csv: no row for rule appeal_ruling"));
    free(text);
    free(rows);

    /*  Header problems. */
    static const struct {
        const char *text;
        const char *code;
    } cases[] = {
        {"", "empty"},
        {"# only a comment\n\n", "empty"},
        {"rule,version\n", "missing_column"},
        {"rule,version,starts_on,count,unit,urgent_count,urgent_unit,extend_by_role,extend_count,"
         "extend_unit,extend_times,further_by_role,further_count,further_unit,further_times,basis,"
         "verified,name_zh,warn_working_days,colour\n",
         "unknown_column"},
        {"rule,rule,starts_on\n", "duplicate_column"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_null(workflow_limits_parse(cases[i].text, "h.csv", &err));
        if (strcmp(err.code, cases[i].code) != 0)
            fail_msg("case %zu: %s (%s)", i, err.code, err.message);
    }
    assert_null(workflow_limits_load("/nonexistent/time_limits.csv", &err));
    assert_string_equal(err.code, "unreadable");
}

/*  GY_TIME_LIMITS names another file. */
static void test_load_default(void **state)
{
    (void)state;
    unsetenv("GY_TIME_LIMITS");
    workflow_limits_t *limits = workflow_limits_load_default(S_REFDIR, NULL);
    assert_non_null(limits);
    workflow_limits_destroy(&limits);
    setenv("GY_TIME_LIMITS", "/nonexistent/limits.csv", 1);
    assert_null(workflow_limits_load_default(S_REFDIR, NULL));
    unsetenv("GY_TIME_LIMITS");
}

int main(void)
{
    gy_log_init("test_workflow_limits", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_file), cmocka_unit_test(test_json_lists_every_row),
        cmocka_unit_test(test_versions),       cmocka_unit_test(test_header_by_name),
        cmocka_unit_test(test_bad_rows),       cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_load_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
