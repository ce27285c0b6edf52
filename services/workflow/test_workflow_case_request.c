/*  test_workflow_case_request — the body of a case's step: what it takes,
 *  what it refuses (code and field), and what the history keeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workflow_case_request.h"

static int s_parse(const char *body, workflow_step_request_t *r, gy_error_t *err)
{
    return workflow_step_request_parse(body, strlen(body), r, err);
}

static void test_a_plain_step(void **state)
{
    (void)state;
    workflow_step_request_t r;
    gy_error_t err;
    assert_int_equal(s_parse("{\"event\":\"serve_opening_decision\",\"reason\":\"依法送达\","
                             "\"expected_version\":3}",
                             &r, &err),
                     0);
    assert_string_equal(r.event, "serve_opening_decision");
    assert_string_equal(r.reason, "依法送达");
    assert_true(r.has_version);
    assert_int_equal(r.expected_version, 3);
    assert_int_equal(r.harm, -1);
    assert_null(r.public_outcome);
    json_t *m = workflow_step_request_members(&r);
    assert_int_equal(json_object_size(m), 0);
    json_decref(m);
    workflow_step_request_clear(&r);
}

static void test_event_members(void **state)
{
    (void)state;
    workflow_step_request_t r;
    gy_error_t err;
    assert_int_equal(s_parse("{\"event\":\"serve_suggestion\",\"reason\":\"x\","
                             "\"harm_ongoing\":true}",
                             &r, &err),
                     0);
    assert_int_equal(r.harm, 1);
    json_t *m = workflow_step_request_members(&r);
    assert_true(json_is_true(json_object_get(m, "harm_ongoing")));
    json_decref(m);
    workflow_step_request_clear(&r);

    assert_int_equal(s_parse("{\"event\":\"close\",\"reason\":\"x\",\"outcome\":\"内部\","
                             "\"public_outcome\":\"已整改\"}",
                             &r, &err),
                     0);
    assert_string_equal(r.outcome, "内部");
    assert_string_equal(r.public_outcome, "已整改");
    workflow_step_request_clear(&r);

    assert_int_equal(s_parse("{\"event\":\"suspend\",\"reason\":\"x\","
                             "\"suspension_reason\":\"appraisal\"}",
                             &r, &err),
                     0);
    assert_string_equal(r.suspension_reason, "appraisal");
    workflow_step_request_clear(&r);

    assert_int_equal(s_parse("{\"event\":\"extend_period\",\"reason\":\"x\","
                             "\"rule\":\"review_for_suit\",\"count\":1,\"unit\":\"months\"}",
                             &r, &err),
                     0);
    assert_string_equal(r.ext_rule, "review_for_suit");
    assert_int_equal(r.ext_size.count, 1);
    assert_int_equal(r.ext_size.unit, GY_PERIOD_MONTHS);
    m = workflow_step_request_members(&r);
    assert_int_equal(json_object_size(m), 3);
    json_decref(m);
    workflow_step_request_clear(&r);
}

typedef struct {
    const char *body;
    const char *code;
    const char *field;
} s_refusal_t;

static void test_refusals(void **state)
{
    (void)state;
    static const s_refusal_t refusals[] = {
        {"[]", "malformed_json", ""},
        {"{\"event\":", "malformed_json", ""},
        {"{\"event\":\"close\",\"event\":\"close\"}", "malformed_json", ""},
        {"{\"event\":\"x\",\"reason\":\"r\",\"extra\":1}", "unknown_property", "extra"},
        {"{\"reason\":\"r\"}", "missing_field", "event"},
        {"{\"event\":\"serve_opening_decision\"}", "missing_field", "reason"},
        {"{\"event\":\"serve_opening_decision\",\"reason\":\"\"}", "invalid_value", "reason"},
        {"{\"event\":\"serve_opening_decision\",\"reason\":7}", "invalid_type", "reason"},
        {"{\"event\":\"a\\u0007b\",\"reason\":\"r\"}", "invalid_value", "event"},
        /* jansson refuses NUL in strings (no JSON_ALLOW_NUL) */
        {"{\"event\":\"serve_opening_decision\",\"reason\":\"a\\u0000b\"}", "malformed_json", ""},
        {"{\"event\":\"serve_opening_decision\",\"reason\":\"r\",\"expected_version\":0}",
         "invalid_value", "expected_version"},
        {"{\"event\":\"serve_opening_decision\",\"reason\":\"r\",\"expected_version\":\"1\"}",
         "invalid_value", "expected_version"},
        {"{\"event\":\"serve_opening_decision\",\"reason\":\"r\",\"harm_ongoing\":true}",
         "invalid_value", "harm_ongoing"},
        {"{\"event\":\"serve_suggestion\",\"reason\":\"r\",\"harm_ongoing\":1}", "invalid_type",
         "harm_ongoing"},
        {"{\"event\":\"record_reply\",\"reason\":\"r\",\"public_outcome\":\"x\"}", "invalid_value",
         "public_outcome"},
        {"{\"event\":\"close\",\"reason\":\"r\"}", "missing_field", "public_outcome"},
        {"{\"event\":\"terminate\",\"reason\":\"r\",\"outcome\":\"x\"}", "missing_field",
         "public_outcome"},
        {"{\"event\":\"suspend\",\"reason\":\"r\"}", "missing_field", "suspension_reason"},
        {"{\"event\":\"suspend\",\"reason\":\"r\",\"suspension_reason\":\"holiday\"}",
         "invalid_value", "suspension_reason"},
        {"{\"event\":\"extend_period\",\"reason\":\"r\",\"count\":1,\"unit\":\"months\"}",
         "missing_field", "rule"},
        {"{\"event\":\"extend_period\",\"reason\":\"r\",\"rule\":\"x\",\"count\":1,"
         "\"unit\":\"weeks\"}",
         "invalid_value", "unit"},
        {"{\"event\":\"extend_period\",\"reason\":\"r\",\"rule\":\"x\",\"count\":0,"
         "\"unit\":\"days\"}",
         "invalid_value", "count"},
        {"{\"event\":\"extend_period\",\"reason\":\"r\",\"rule\":\"x\",\"unit\":\"days\"}",
         "invalid_value", "count"},
        {"{\"event\":\"close\",\"reason\":\"r\",\"public_outcome\":\"x\",\"count\":1}",
         "invalid_value", "count"},
    };
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        workflow_step_request_t r;
        gy_error_t err;
        memset(&err, 0, sizeof err);
        if (s_parse(refusals[i].body, &r, &err) != -1)
            fail_msg("accepted: %s", refusals[i].body);
        assert_int_equal(err.http_status, 400);
        if (strcmp(err.code, refusals[i].code) != 0 || strcmp(err.field, refusals[i].field) != 0)
            fail_msg("%s: %s / %s, not %s / %s", refusals[i].body, err.code, err.field,
                     refusals[i].code, refusals[i].field);
        assert_null(r.root); /* nothing to clear */
    }
}

static void test_text_is_counted_in_characters(void **state)
{
    (void)state;
    /*  2000 characters of three bytes each are taken; 2001 are too long. */
    size_t n = WORKFLOW_STEP_REASON_MAX;
    char *body = malloc(64 + 3 * (n + 1));
    assert_non_null(body);
    strcpy(body, "{\"event\":\"x\",\"reason\":\"");
    size_t at = strlen(body);
    for (size_t i = 0; i < n; i++, at += 3)
        memcpy(body + at, "理", 3);
    strcpy(body + at, "\"}");
    workflow_step_request_t r;
    gy_error_t err;
    assert_int_equal(s_parse(body, &r, &err), 0);
    workflow_step_request_clear(&r);
    memcpy(body + at, "理\"}", 6);
    assert_int_equal(s_parse(body, &r, &err), -1);
    assert_string_equal(err.code, "too_long");
    assert_string_equal(err.field, "reason");
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_plain_step),
        cmocka_unit_test(test_event_members),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_text_is_counted_in_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
