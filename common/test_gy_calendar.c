/*  test_gy_calendar — the holiday calendar and legal periods on fixed
 *  dates: month ends and leap years, 调休 Saturdays, the National Day
 *  week, events early in the morning and late in the evening Beijing
 *  time around a weekend, a year the calendar does not cover, suspension.
 *  Every instant is written with its offset; none reads today's date. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gy_calendar.h"
#include "gy_clock.h"

static gy_calendar_t *s_cal; /* reference/holidays.csv */

static int s_setup(void **state)
{
    (void)state;
    s_cal = gy_calendar_load(GY_SOURCE_DIR "/reference/holidays.csv");
    return s_cal ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    gy_calendar_destroy(&s_cal);
    return 0;
}

static gy_day_t s_day(const char *text)
{
    gy_day_t day = gy_day_parse(text);
    assert_true(day >= 0);
    return day;
}

static int64_t s_ms(const char *iso)
{
    int64_t ms = gy_clock_parse_iso(iso);
    assert_true(ms != GY_CLOCK_INVALID);
    return ms;
}

/*  The due date of `count` `unit`s from the event at `start`: its last day
 *  and whether it is provisional; the due instant is always 24:00 Beijing
 *  time of the last day. */
static void s_check(const gy_calendar_t *cal, const char *start, gy_period_unit_t unit, int count,
                    const char *want_last, bool want_provisional)
{
    gy_period_t period = {unit, count};
    gy_due_date_t due;
    assert_int_equal(gy_period_due(cal, s_ms(start), period, NULL, 0, &due), 0);
    char last[11];
    gy_day_format(due.last_day, last);
    if (strcmp(last, want_last) != 0 || due.provisional != want_provisional)
        fail_msg("%s + %d %s: last day %s%s, want %s%s", start, count,
                 unit == GY_PERIOD_DAYS ? "days" : "months", last,
                 due.provisional ? " (provisional)" : "", want_last,
                 want_provisional ? " (provisional)" : "");
    char end[40];
    snprintf(end, sizeof end, "%sT00:00:00+08:00", want_last);
    assert_int_equal(due.due_ms, s_ms(end) + GY_DAY_MS);
}

static void test_days(void **state)
{
    (void)state;
    gy_day_t d = s_day("2026-11-28");
    assert_int_equal(gy_day_isodow(d), 6);
    assert_int_equal(gy_day_year(d), 2026);
    char text[11];
    gy_day_format(d, text);
    assert_string_equal(text, "2026-11-28");
    gy_day_format(s_day("2028-02-29"), text);
    assert_string_equal(text, "2028-02-29");
    assert_int_equal(gy_day_parse("2027-02-29"), -1);
    assert_int_equal(gy_day_parse("2026-1-01"), -1);
    /*  A Beijing day runs from 16:00 UTC the evening before. */
    assert_int_equal(gy_day_of_ms(s_ms("2026-11-27T15:59:59.999Z")), s_day("2026-11-27"));
    assert_int_equal(gy_day_of_ms(s_ms("2026-11-27T16:00:00Z")), s_day("2026-11-28"));
    assert_int_equal(gy_day_of_ms(s_ms("2026-11-28T00:00:00+08:00")), s_day("2026-11-28"));
    assert_int_equal(gy_day_start_ms(s_day("2026-11-28")), s_ms("2026-11-28T00:00:00+08:00"));
    assert_int_equal(gy_day_of_ms(0), 0);
}

static void test_reference_calendar(void **state)
{
    (void)state;
    assert_true(gy_calendar_day_count(s_cal) >= 30);
    assert_int_equal(gy_calendar_year_count(s_cal), 1);
    const char *source;
    assert_int_equal(gy_calendar_year_at(s_cal, 0, &source), 2026);
    assert_non_null(strstr(source, "2026年部分节假日安排"));
    assert_true(gy_calendar_covers(s_cal, 2026));
    assert_false(gy_calendar_covers(s_cal, 2027));
    assert_int_equal(gy_calendar_covered_until(s_cal, s_day("2026-11-29")), s_day("2026-12-31"));
    assert_int_equal(gy_calendar_covered_until(s_cal, s_day("2027-01-01")), -1);

    const char *name;
    bool covered;
    assert_int_equal(gy_calendar_kind(s_cal, s_day("2026-10-01"), &name, &covered), GY_DAY_REST);
    assert_string_equal(name, "国庆节");
    assert_true(covered);
    assert_int_equal(gy_calendar_kind(s_cal, s_day("2026-10-10"), &name, NULL), GY_DAY_WORKING);
    assert_string_equal(name, "国庆节调休");
    assert_int_equal(gy_calendar_kind(s_cal, s_day("2026-11-29"), &name, NULL), GY_DAY_REST);
    assert_string_equal(name, "星期日");
    assert_int_equal(gy_calendar_kind(s_cal, s_day("2026-11-27"), &name, NULL), GY_DAY_WORKING);
    assert_int_equal(gy_calendar_kind(s_cal, s_day("2027-01-02"), NULL, &covered), GY_DAY_REST);
    assert_false(covered);

    char *json = gy_calendar_json(s_cal);
    assert_non_null(
        strstr(json, "{\"day\":\"2026-10-01\",\"kind\":\"holiday\",\"name\":\"国庆节\"}"));
    assert_non_null(strstr(json, "{\"day\":\"2026-10-10\",\"kind\":\"workday\""));
    assert_non_null(strstr(json, "\"years\":[{\"year\":2026,"));
    free(json);
}

static void test_accepted(void **state)
{
    (void)state;
    gy_calendar_t *cal = gy_calendar_parse("# comment\r\ndate,kind,name\r\n\r\n2028,year,notice\n"
                                           "2028-02-29,holiday,闰日\n2026-10-10,workday,调休\n",
                                           "test");
    assert_non_null(cal);
    assert_int_equal(gy_calendar_day_count(cal), 2);
    const char *kind;
    assert_int_equal(gy_calendar_day_at(cal, 0, &kind, NULL), s_day("2026-10-10"));
    assert_string_equal(kind, "workday");
    assert_true(gy_calendar_covers(cal, 2028));
    assert_false(gy_calendar_covers(cal, 2026)); /* rows, but no arrangement */
    gy_calendar_destroy(&cal);
    assert_null(cal);
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
        "date,kind,name\n2026,year,\n",                                 /* no source */
        "date,kind,name\n26,year,x\n",                                  /* not a year */
        "date,kind,name\n2026-01-01,year,x\n",                          /* not a year */
        "date,kind,name\n2026,year,a\n2026,year,b\n",                   /* twice */
        /*  A name that is not UTF-8 (found by fuzz_holidays): the day fell
         *  out of the JSON the database is given, silently. */
        "date,kind,name\n2026-10-01,holiday,\xe5\x9b\xbd\xe5\xba\x86\xcf\n",
        "date,kind,name\n2026-10-02,holiday,\xc0\xaf\n", /* overlong "/" */
        /*  The same for a year's source (fuzz_holidays again): the year fell
         *  out of the JSON, so the database's calendar did not cover it. */
        "date,kind,name\n2026,year,\xe9\x30\x32\n",
        "date,kind,name\n2026,year,\xed\xa0\x80\n", /* a surrogate as the source */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gy_calendar_t *cal = gy_calendar_parse(bad[i], "test");
        if (cal)
            fail_msg("case %zu accepted: %s", i, bad[i]);
    }
    assert_null(gy_calendar_load("/nonexistent/holidays.csv"));
}

static void test_periods_in_days(void **state)
{
    (void)state;
    /*  The day after the event is the first day. */
    s_check(s_cal, "2026-11-18T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-11-25", false);
    s_check(s_cal, "2026-11-18T10:00:00+08:00", GY_PERIOD_DAYS, 1, "2026-11-19", false);
    /*  A Saturday's and a Sunday's 7 days end on the next Monday. */
    s_check(s_cal, "2026-11-21T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-11-30", false);
    s_check(s_cal, "2026-11-22T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-11-30", false);
    /*  调休 Saturdays are working days. */
    s_check(s_cal, "2026-10-03T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-10-10", false);
    s_check(s_cal, "2026-02-07T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-02-14", false);
    s_check(s_cal, "2026-05-02T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-05-09", false);
    s_check(s_cal, "2026-09-13T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-09-20", false); /* Sun */
    /*  The National Day week (中秋 just before it): everything from the
     *  25th of September to the 7th of October is a rest day but the
     *  week days 28-30. */
    s_check(s_cal, "2026-09-24T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-10-08", false);
    s_check(s_cal, "2026-09-28T10:00:00+08:00", GY_PERIOD_DAYS, 3, "2026-10-08", false);
    s_check(s_cal, "2026-09-18T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-09-28", false);
    s_check(s_cal, "2026-09-22T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-09-29", false);
    /*  春节: nine days off, and a 调休 Saturday after it. */
    s_check(s_cal, "2026-02-08T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-02-24", false);
    s_check(s_cal, "2026-02-21T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-02-28", false);
    /*  元旦 2026 and its 调休 Sunday. */
    s_check(s_cal, "2025-12-25T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-01-04", false);
    s_check(s_cal, "2025-12-28T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-01-04", false);
}

/*  Defect 16: the rest-day shift follows Beijing's day, not UTC's.  Each
 *  event here lies on one side of midnight in Beijing and on the other in
 *  UTC. */
static void test_beijing_day_around_a_weekend(void **state)
{
    (void)state;
    /*  Saturday 07:00 in Beijing is still Friday in UTC: the period starts
     *  on Saturday, its 7th day is a Saturday, it ends on Monday. */
    s_check(s_cal, "2026-11-28T07:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-12-07", false);
    s_check(s_cal, "2026-11-27T23:00:00Z", GY_PERIOD_DAYS, 7, "2026-12-07", false);
    s_check(s_cal, "2026-11-28T00:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-12-07", false);
    /*  One minute earlier it is Friday in Beijing: Friday's 7th day is a
     *  Friday. */
    s_check(s_cal, "2026-11-27T23:59:00+08:00", GY_PERIOD_DAYS, 7, "2026-12-04", false);
    /*  Late on Sunday evening in Beijing (Sunday in UTC too): 1 day ends on
     *  Monday; early on Monday in Beijing (Sunday in UTC): 1 day ends on
     *  Tuesday. */
    s_check(s_cal, "2026-11-29T23:30:00+08:00", GY_PERIOD_DAYS, 1, "2026-11-30", false);
    s_check(s_cal, "2026-11-30T06:30:00+08:00", GY_PERIOD_DAYS, 1, "2026-12-01", false);
    /*  Friday late evening: 1 day's last day is Saturday, moved to Monday;
     *  Thursday late evening UTC is Friday early morning in Beijing. */
    s_check(s_cal, "2026-11-27T22:00:00+08:00", GY_PERIOD_DAYS, 1, "2026-11-30", false);
    s_check(s_cal, "2026-11-26T17:00:00Z", GY_PERIOD_DAYS, 1, "2026-11-30", false);
    s_check(s_cal, "2026-11-26T15:00:00Z", GY_PERIOD_DAYS, 1, "2026-11-27", false);
    /*  The due instant is Beijing's midnight, 16:00 UTC. */
    gy_period_t one = {GY_PERIOD_DAYS, 1};
    gy_due_date_t due;
    gy_period_due(s_cal, s_ms("2026-11-30T06:30:00+08:00"), one, NULL, 0, &due);
    assert_int_equal(due.due_ms, s_ms("2026-12-01T16:00:00Z"));
}

static void test_periods_in_months(void **state)
{
    (void)state;
    /*  The same day number of the last month. */
    s_check(s_cal, "2026-01-15T10:00:00+08:00", GY_PERIOD_MONTHS, 3, "2026-04-15", false);
    s_check(s_cal, "2026-08-31T10:00:00+08:00", GY_PERIOD_MONTHS, 3, "2026-11-30", false);
    /*  Or that month's last day. */
    s_check(s_cal, "2026-03-31T10:00:00+08:00", GY_PERIOD_MONTHS, 1, "2026-04-30", false);
    s_check(s_cal, "2026-05-31T10:00:00+08:00", GY_PERIOD_MONTHS, 1, "2026-06-30", false);
    /*  Jan 31 + 1 month: Feb 28 in a common year (2026's is a 调休
     *  Saturday, so it stays), Feb 29 in a leap year. */
    s_check(s_cal, "2026-01-31T10:00:00+08:00", GY_PERIOD_MONTHS, 1, "2026-02-28", false);
    s_check(s_cal, "2025-11-30T10:00:00+08:00", GY_PERIOD_MONTHS, 3, "2026-02-28", false);
    gy_calendar_t *cal =
        gy_calendar_parse("date,kind,name\n2027,year,test\n2028,year,test\n", "test");
    assert_non_null(cal);
    s_check(cal, "2028-01-31T10:00:00+08:00", GY_PERIOD_MONTHS, 1, "2028-02-29", false);
    s_check(cal, "2027-11-29T10:00:00+08:00", GY_PERIOD_MONTHS, 3, "2028-02-29", false);
    /*  2027-02-28 is a Sunday (no holiday there in this test calendar). */
    s_check(cal, "2027-01-31T10:00:00+08:00", GY_PERIOD_MONTHS, 1, "2027-03-01", false);
    s_check(cal, "2027-01-29T10:00:00+08:00", GY_PERIOD_MONTHS, 1, "2027-03-01", false);
    /*  Months cross the year. */
    s_check(cal, "2027-12-31T10:00:00+08:00", GY_PERIOD_MONTHS, 2, "2028-02-29", false);
    gy_calendar_destroy(&cal);
}

static void test_year_not_covered(void **state)
{
    (void)state;
    /*  2027's arrangement is not in the file: a due date in 2027 is
     *  provisional, judged by its weekday meanwhile. */
    s_check(s_cal, "2026-12-25T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2027-01-01", true);
    s_check(s_cal, "2026-12-28T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2027-01-04", true);
    s_check(s_cal, "2026-12-31T10:00:00+08:00", GY_PERIOD_MONTHS, 2, "2027-03-01", true);
    s_check(s_cal, "2026-11-29T10:00:00+08:00", GY_PERIOD_MONTHS, 3, "2027-03-01", true);
    /*  Late in 2026 but within it: final. */
    s_check(s_cal, "2026-12-19T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2026-12-28", false);
    s_check(s_cal, "2026-12-26T10:00:00+08:00", GY_PERIOD_DAYS, 5, "2026-12-31", false);
    gy_period_t days7 = {GY_PERIOD_DAYS, 7};
    gy_due_date_t due;
    gy_period_due(s_cal, s_ms("2026-12-25T10:00:00+08:00"), days7, NULL, 0, &due);
    assert_int_equal(due.uncovered_year, 2027);
    /*  With 2027's arrangement loaded (a made-up one here: the real notice
     *  is not out), the same period is computed again and is final. */
    gy_calendar_t *cal = gy_calendar_parse("date,kind,name\n2026,year,test\n2027,year,test\n"
                                           "2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n"
                                           "2027-01-03,holiday,元旦\n",
                                           "test");
    assert_non_null(cal);
    s_check(cal, "2026-12-25T10:00:00+08:00", GY_PERIOD_DAYS, 7, "2027-01-04", false);
    assert_int_equal(gy_calendar_covered_until(cal, s_day("2026-11-29")), s_day("2027-12-31"));
    gy_calendar_destroy(&cal);
}

static void test_reasons(void **state)
{
    (void)state;
    gy_period_t days7 = {GY_PERIOD_DAYS, 7};
    gy_due_date_t due;
    gy_period_due(s_cal, s_ms("2026-09-24T10:00:00+08:00"), days7, NULL, 0, &due);
    assert_int_equal(due.nreasons, 1);
    char *json = gy_due_reasons_json(&due);
    assert_string_equal(json, "[{\"reason\":\"rest_day\",\"from\":\"2026-10-01\","
                              "\"to\":\"2026-10-08\",\"name\":\"国庆节\"}]");
    free(json);
    gy_period_due(s_cal, s_ms("2026-11-18T10:00:00+08:00"), days7, NULL, 0, &due);
    assert_int_equal(due.nreasons, 0);
    json = gy_due_reasons_json(&due);
    assert_string_equal(json, "[]");
    free(json);
}

static void test_suspension(void **state)
{
    (void)state;
    gy_period_t days10 = {GY_PERIOD_DAYS, 10};
    gy_due_date_t due;
    char last[11];
    /*  Monday 2 November + 10 days = Thursday 12th; three days suspended
     *  inside push it to Sunday 15th, a rest day: Monday 16th. */
    gy_suspension_t three = {s_day("2026-11-05"), s_day("2026-11-07")};
    assert_int_equal(
        gy_period_due(s_cal, s_ms("2026-11-02T10:00:00+08:00"), days10, &three, 1, &due), 0);
    gy_day_format(due.last_day, last);
    assert_string_equal(last, "2026-11-16");
    char *json = gy_due_reasons_json(&due);
    assert_string_equal(json, "[{\"reason\":\"suspended\",\"from\":\"2026-11-12\",\"to\":"
                              "\"2026-11-15\",\"days\":3,\"suspended_from\":\"2026-11-05\","
                              "\"suspended_to\":\"2026-11-07\"},"
                              "{\"reason\":\"rest_day\",\"from\":\"2026-11-15\",\"to\":"
                              "\"2026-11-16\",\"name\":\"星期日\"}]");
    free(json);
    /*  Days before the period (the event's own day included) do not count. */
    gy_suspension_t before = {s_day("2026-10-20"), s_day("2026-11-02")};
    gy_period_due(s_cal, s_ms("2026-11-02T10:00:00+08:00"), days10, &before, 1, &due);
    gy_day_format(due.last_day, last);
    assert_string_equal(last, "2026-11-12");
    assert_int_equal(due.nreasons, 0);
    /*  A suspension over the end: the days after the old end that are
     *  suspended do not count either (12th and 13th out; 14th a Saturday). */
    gy_suspension_t end = {s_day("2026-11-12"), s_day("2026-11-13")};
    gy_period_due(s_cal, s_ms("2026-11-02T10:00:00+08:00"), days10, &end, 1, &due);
    gy_day_format(due.last_day, last);
    assert_string_equal(last, "2026-11-16");
    assert_int_equal(due.reasons[0].days, 2);
    /*  Two, overlapping and out of order: 4th-6th and 5th-9th is six days. */
    gy_suspension_t two[] = {{s_day("2026-11-05"), s_day("2026-11-09")},
                             {s_day("2026-11-04"), s_day("2026-11-06")}};
    gy_period_due(s_cal, s_ms("2026-11-02T10:00:00+08:00"), days10, two, 2, &due);
    gy_day_format(due.last_day, last);
    assert_string_equal(last, "2026-11-18");
    /*  Months: 3 months from 15 January with 10 days of February out. */
    gy_period_t months3 = {GY_PERIOD_MONTHS, 3};
    gy_suspension_t feb = {s_day("2026-02-01"), s_day("2026-02-10")};
    gy_period_due(s_cal, s_ms("2026-01-15T10:00:00+08:00"), months3, &feb, 1, &due);
    gy_day_format(due.last_day, last);
    assert_string_equal(last, "2026-04-27"); /* the 25th is a Saturday */
    /*  Every reason is kept, or the computation is refused. */
    gy_suspension_t many[GY_DUE_MAX_REASONS];
    for (size_t i = 0; i < GY_DUE_MAX_REASONS; i++)
        many[i] = (gy_suspension_t){s_day("2026-02-01") + (gy_day_t)(2 * i),
                                    s_day("2026-02-01") + (gy_day_t)(2 * i)};
    assert_int_equal(gy_period_due(s_cal, s_ms("2026-01-15T10:00:00+08:00"), months3, many,
                                   GY_DUE_MAX_REASONS - 1, &due),
                     0);
    assert_int_equal(due.nreasons, GY_DUE_MAX_REASONS - 1); /* to Thursday 30 April */
    assert_int_equal(gy_period_due(s_cal, s_ms("2026-01-15T10:00:00+08:00"), months3, many,
                                   GY_DUE_MAX_REASONS, &due),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days),
        cmocka_unit_test(test_reference_calendar),
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_periods_in_days),
        cmocka_unit_test(test_beijing_day_around_a_weekend),
        cmocka_unit_test(test_periods_in_months),
        cmocka_unit_test(test_year_not_covered),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_suspension),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
