/*  test_router_calendar — the holiday calendar file: what it accepts and
 *  what it refuses, and the reference data itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "router_calendar.h"

static void test_reference_calendar(void **state)
{
    (void)state;
    router_calendar_t *cal = router_calendar_new(GY_DEFAULT_REFDATA_DIR "/holidays.csv");
    assert_non_null(cal);
    assert_true(router_calendar_count(cal) >= 30);
    char *json = router_calendar_json(cal);
    assert_non_null(
        strstr(json, "{\"day\":\"2026-10-01\",\"kind\":\"holiday\",\"name\":\"国庆节\"}"));
    assert_non_null(strstr(json, "{\"day\":\"2026-10-10\",\"kind\":\"workday\""));
    free(json);
    router_calendar_destroy(&cal);
    assert_null(cal);
}

static void test_accepted(void **state)
{
    (void)state;
    router_calendar_t *cal = router_calendar_parse(
        "# comment\r\ndate,kind,name\r\n\r\n2028-02-29,holiday,闰日\n2026-10-10,workday,调休\n",
        "test");
    assert_non_null(cal);
    assert_int_equal(router_calendar_count(cal), 2);
    router_calendar_destroy(&cal);
}

static void test_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                                        /* empty */
        "day,kind,name\n2026-10-01,holiday,x\n",   /* header */
        "date,kind,name\n2026-02-30,holiday,x\n",  /* no such day */
        "date,kind,name\n2027-02-29,holiday,x\n",  /* not a leap year */
        "date,kind,name\n2026-10-1,holiday,x\n",   /* format */
        "date,kind,name\n2026-10-01,vacation,x\n", /* kind */
        "date,kind,name\n2026-10-01,holiday\n",    /* no name */
        "date,kind,name\n2026-10-01,holiday,\n",   /* empty name */
        "date,kind,name\n2026-10-09,workday,x\n",  /* a Friday worked "instead" */
        "date,kind,name\n2026-10-01,holiday,a\n2026-10-01,holiday,b\n", /* twice */
        /*  A name that is not UTF-8 (found by fuzz_holidays): the day fell
         *  out of the JSON the database is given, silently. */
        "date,kind,name\n2026-10-01,holiday,\xe5\x9b\xbd\xe5\xba\x86\xcf\n",
        "date,kind,name\n2026-10-02,holiday,\xc0\xaf\n", /* overlong "/" */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        router_calendar_t *cal = router_calendar_parse(bad[i], "test");
        if (cal)
            fail_msg("case %zu accepted: %s", i, bad[i]);
    }
    assert_null(router_calendar_new("/nonexistent/holidays.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_calendar),
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
