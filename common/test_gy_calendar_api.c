/*  test_gy_calendar_api — a year's arrangement sent to PUT .../calendar/
 *  years/{year}, checked as the file format is (the HTTP side runs in
 *  tests/test_calendar_api.py against the real services). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "gy_calendar_api.h"
#include "gy_util.h"

/*  A year in the shape of a real notice (made up: 2027's was not out). */
static const char s_good[] =
    "{\"source\":\"国务院办公厅关于2027年部分节假日安排的通知\",\"days\":["
    "{\"day\":\"2027-01-01\",\"kind\":\"holiday\",\"name\":\"元旦\"},"
    "{\"day\":\"2027-02-06\",\"kind\":\"holiday\",\"name\":\"春节\"},"
    "{\"day\":\"2027-02-08\",\"kind\":\"holiday\",\"name\":\"春节\"},"
    "{\"day\":\"2027-02-20\",\"kind\":\"workday\",\"name\":\"春节调休\"}]}";

static json_t *s_body(const char *text)
{
    json_t *body = json_loads(text, 0, NULL);
    assert_non_null(body);
    return body;
}

static void test_a_year_taken(void **state)
{
    json_t *body = s_body(s_good);
    gy_calendar_load_t load;
    gy_error_t err;
    assert_int_equal(gy_calendar_load_check("2027", body, &load, &err), 0);
    assert_int_equal(load.year, 2027);
    assert_false(load.replace);
    assert_string_equal(load.source, "国务院办公厅关于2027年部分节假日安排的通知");
    assert_true(gy_calendar_covers(load.days, 2027));
    assert_int_equal(gy_calendar_day_count(load.days), 4);
    /*  The weekend day worked is a working day of the checked calendar. */
    const char *name;
    assert_int_equal(gy_calendar_kind(load.days, gy_day_parse("2027-02-20"), &name, NULL),
                     GY_DAY_WORKING);
    assert_string_equal(name, "春节调休");
    assert_non_null(strstr(load.days_json, "\"day\":\"2027-02-20\",\"kind\":\"workday\""));
    gy_calendar_load_clear(&load);
    json_decref(body);

    body = s_body("{\"source\":\"更正\",\"replace\":true,\"days\":[{\"day\":\"2027-10-01\","
                  "\"kind\":\"holiday\",\"name\":\"国庆节\"}]}");
    assert_int_equal(gy_calendar_load_check("2027", body, &load, &err), 0);
    assert_true(load.replace);
    gy_calendar_load_clear(&load);
    json_decref(body);
}

static void s_refused(const char *year, const char *text, int status, const char *code,
                      const char *field)
{
    json_t *body = s_body(text);
    gy_calendar_load_t load;
    gy_error_t err;
    assert_int_equal(gy_calendar_load_check(year, body, &load, &err), -1);
    assert_int_equal(err.http_status, status);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field);
    assert_null(load.days);
    assert_null(load.days_json);
    json_decref(body);
}

#define S_DAYS(rows) "{\"source\":\"通知\",\"days\":[" rows "]}"
#define S_NEWYEAR    "{\"day\":\"2027-01-01\",\"kind\":\"holiday\",\"name\":\"元旦\"}"

static void test_refusals(void **state)
{
    /*  The path's year. */
    s_refused("27", S_DAYS(S_NEWYEAR), 400, "invalid_value", "year");
    s_refused("1969", S_DAYS(S_NEWYEAR), 400, "invalid_value", "year");
    s_refused("20x7", S_DAYS(S_NEWYEAR), 400, "invalid_value", "year");
    /*  The body's shape. */
    s_refused("2027", "{\"days\":[" S_NEWYEAR "]}", 400, "missing_field", "source");
    s_refused("2027", "{\"source\":\"\",\"days\":[" S_NEWYEAR "]}", 400, "invalid_value", "source");
    s_refused("2027", "{\"source\":\"通知\"}", 400, "missing_field", "days");
    s_refused("2027", "{\"source\":\"通知\",\"days\":{}}", 400, "invalid_type", "days");
    s_refused("2027", S_DAYS(""), 400, "invalid_value", "days");
    s_refused("2027", "{\"source\":\"通知\",\"year\":2027,\"days\":[" S_NEWYEAR "]}", 400,
              "unknown_property", "year");
    s_refused("2027", "{\"source\":\"通知\",\"replace\":\"yes\",\"days\":[" S_NEWYEAR "]}", 400,
              "invalid_type", "replace");
    s_refused("2027", S_DAYS(S_NEWYEAR ",7"), 400, "invalid_type", "days[1]");
    s_refused("2027", S_DAYS(S_NEWYEAR ",{\"day\":\"2027-01-02\",\"kind\":\"holiday\"}"), 400,
              "missing_field", "days[1].name");
    s_refused("2027",
              S_DAYS("{\"day\":\"2027-01-01\",\"kind\":\"holiday\",\"name\":\"元旦\",\"x\":1}"),
              400, "unknown_property", "days[0].x");
    /*  The file format's rules. */
    s_refused("2027", S_DAYS("{\"day\":\"2027-02-30\",\"kind\":\"holiday\",\"name\":\"x\"}"), 400,
              "invalid_value", "days[0].day");
    s_refused("2027",
              S_DAYS(S_NEWYEAR ",{\"day\":\"2027-01-02\",\"kind\":\"leave\",\"name\":"
                               "\"x\"}"),
              400, "invalid_value", "days[1].kind");
    /*  2027-02-09 is a Tuesday. */
    s_refused("2027",
              S_DAYS(S_NEWYEAR ",{\"day\":\"2027-02-09\",\"kind\":\"workday\",\"name\":\"调休\"}"),
              422, "workday_on_weekday", "days[1].day");
    s_refused("2027", S_DAYS(S_NEWYEAR "," S_NEWYEAR), 422, "duplicate_day", "days[1].day");
    s_refused("2027",
              S_DAYS(S_NEWYEAR ",{\"day\":\"2026-12-31\",\"kind\":\"holiday\",\"name\":\"x\"}"),
              422, "day_not_in_year", "days[1].day");
}

int main(void)
{
    gy_log_init("test_gy_calendar_api", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_year_taken),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
