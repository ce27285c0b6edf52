/*  test_workflow_deadline — deadlines of the case rules on fixed dates with
 *  the real reference/holidays.csv (2026 covered, 2027 not) and small
 *  calendars written here: every rule from one start, month ends and a
 *  leap year, a 调休 Saturday, the National Day week, the urgent reply,
 *  Beijing's day around a weekend, a year not covered (provisional, then
 *  recomputed), suspensions, extensions allowed and refused, the warn
 *  instant, and the stored JSON read back.  No test reads today's date. */
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
#include "workflow_deadline.h"

#define S_REFDIR GY_DEFAULT_REFDATA_DIR

static gy_calendar_t *s_cal;        /* reference/holidays.csv: 2026 */
static gy_calendar_t *s_cal_2027;   /* the same plus a 2027 written here */
static workflow_limits_t *s_limits; /* reference/time_limits.csv */

/*  Enough of a 2027 arrangement for these tests (元旦 and its weekend). */
static const char s_2027[] = "2027,year,2027年安排（测试）\n"
                             "2027-01-01,holiday,元旦\n";

static int s_setup(void **state)
{
    (void)state;
    s_cal = gy_calendar_load(S_REFDIR "/holidays.csv");
    char *text = gy_read_file(S_REFDIR "/holidays.csv", NULL);
    char *both = gy_sprintf("%s%s", text, s_2027);
    s_cal_2027 = gy_calendar_parse(both, "holidays+2027");
    free(both);
    free(text);
    s_limits = workflow_limits_load(S_REFDIR "/time_limits.csv", NULL);
    return s_cal && s_cal_2027 && s_limits ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    gy_calendar_destroy(&s_cal);
    gy_calendar_destroy(&s_cal_2027);
    workflow_limits_destroy(&s_limits);
    return 0;
}

static int64_t s_ms(const char *iso)
{
    int64_t ms = gy_clock_parse_iso(iso);
    assert_true(ms != GY_CLOCK_INVALID);
    return ms;
}

static gy_day_t s_day(const char *text)
{
    gy_day_t day = gy_day_parse(text);
    assert_true(day >= 0);
    return day;
}

static workflow_deadline_t *s_new(const char *rule, const char *start, bool urgent)
{
    const workflow_limit_t *limit = workflow_limits_current(s_limits, rule);
    assert_non_null(limit);
    workflow_deadline_error_t err;
    workflow_deadline_t *d = workflow_deadline_new(limit, s_ms(start), urgent, &err);
    assert_non_null(d);
    return d;
}

/*  The last day and the provisional flag; the due instant is 24:00
 *  Beijing time of the last day. */
static void s_expect(workflow_deadline_t *d, const gy_calendar_t *cal, const char *want_last,
                     bool want_provisional)
{
    workflow_deadline_compute(d, cal);
    const workflow_due_t *due = workflow_deadline_due(d);
    assert_non_null(due);
    assert_false(due->paused);
    char last[11];
    gy_day_format(due->last_day, last);
    if (strcmp(last, want_last) != 0 || due->provisional != want_provisional)
        fail_msg("%s: last day %s%s, want %s%s", workflow_deadline_rule(d)->rule, last,
                 due->provisional ? " (provisional)" : "", want_last,
                 want_provisional ? " (provisional)" : "");
    assert_int_equal(due->due_ms, gy_day_start_ms(s_day(want_last) + 1));
}

/*  The JSON of a computed deadline, parsed. */
static json_t *s_json(const workflow_deadline_t *d)
{
    char *text = workflow_deadline_json(d);
    assert_true(gy_text_utf8_valid(text, strlen(text)));
    json_t *root = json_loads(text, 0, NULL);
    assert_non_null(root);
    free(text);
    return root;
}

/*  Whether reasons has an entry of `reason` from `from` to `to`. */
static bool s_has_reason(json_t *root, const char *reason, const char *from, const char *to)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(root, "reasons"), i, r) {
        if (strcmp(json_string_value(json_object_get(r, "reason")), reason) == 0 &&
            strcmp(json_string_value(json_object_get(r, "from")), from) == 0 &&
            strcmp(json_string_value(json_object_get(r, "to")), to) == 0)
            return true;
    }
    return false;
}

/*  Every rule from one start: Monday 2 March 2026, 10:00 Beijing time. */
static void test_every_rule_from_one_start(void **state)
{
    (void)state;
    static const struct {
        const char *rule;
        bool urgent;
        const char *last;
    } cases[] = {
        {"serve_opening", false, "2026-03-09"},          /* 7 days */
        {"investigation", false, "2026-06-02"},          /* 3 months */
        {"file_upward_suggestion", false, "2026-03-09"}, /* 5 days: Sat 7 -> Mon 9 */
        {"organ_reply", false, "2026-05-06"},            /* 2 months: Sat 2 May, 劳动节 to 5 */
        {"organ_reply", true, "2026-03-17"},             /* 15 days */
        {"announcement", false, "2026-04-01"},           /* 30 days */
        {"review_for_suit", false, "2026-04-02"},        /* 1 month */
        {"civil_review_for_suit", false, "2026-06-02"},  /* 3 months */
        {"file_upward_suit", false, "2026-03-09"},       /* 5 days */
        {"first_instance", false, "2026-09-02"},         /* 6 months */
        {"appeal_judgment", false, "2026-03-17"},        /* 15 days */
        {"appeal_ruling", false, "2026-03-12"},          /* 10 days */
        {"serve_closing", false, "2026-03-09"},          /* 7 days */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        workflow_deadline_t *d = s_new(cases[i].rule, "2026-03-02T10:00:00+08:00", cases[i].urgent);
        s_expect(d, s_cal, cases[i].last, false);
        workflow_deadline_destroy(&d);
    }
    /*  Each agreed rule is in the list above. */
    for (size_t k = 0; WORKFLOW_RULES[k]; k++) {
        bool seen = false;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            seen = seen || strcmp(cases[i].rule, WORKFLOW_RULES[k]) == 0;
        assert_true(seen);
    }
    /*  The May Day shift is a reason with the holiday's name. */
    workflow_deadline_t *d = s_new("organ_reply", "2026-03-02T10:00:00+08:00", false);
    workflow_deadline_compute(d, s_cal);
    json_t *root = s_json(d);
    assert_true(s_has_reason(root, "rest_day", "2026-05-02", "2026-05-06"));
    json_t *reason = json_array_get(json_object_get(root, "reasons"), 0);
    assert_string_equal(json_string_value(json_object_get(reason, "name")), "劳动节");
    json_decref(root);
    workflow_deadline_destroy(&d);
}

static void test_no_urgent_variant(void **state)
{
    (void)state;
    workflow_deadline_error_t err;
    const workflow_limit_t *limit = workflow_limits_current(s_limits, "announcement");
    assert_null(workflow_deadline_new(limit, s_ms("2026-03-02T10:00:00+08:00"), true, &err));
    assert_string_equal(err.code, "no_urgent_variant");
}

/*  Month ends: the same day number, or the month's last day. */
static void test_month_ends(void **state)
{
    (void)state;
    /*  Jan 31 + 1 month = Feb 28, a 调休 Saturday: worked, so it stays. */
    workflow_deadline_t *d = s_new("review_for_suit", "2026-01-31T10:00:00+08:00", false);
    s_expect(d, s_cal, "2026-02-28", false);
    workflow_deadline_destroy(&d);
    /*  Aug 31 + 2 months = Oct 31, a Saturday: Monday Nov 2. */
    d = s_new("organ_reply", "2026-08-31T10:00:00+08:00", false);
    s_expect(d, s_cal, "2026-11-02", false);
    workflow_deadline_destroy(&d);
    /*  Leap year: Jan 31 2028 + 1 month = Feb 29 (2028 is not covered). */
    d = s_new("review_for_suit", "2028-01-31T10:00:00+08:00", false);
    s_expect(d, s_cal, "2028-02-29", true);
    assert_int_equal(workflow_deadline_due(d)->uncovered_year, 2028);
    workflow_deadline_destroy(&d);
}

/*  A due day on a 调休 Saturday is a working day; the National Day week
 *  moves a due day to Thursday 8 October. */
static void test_holidays(void **state)
{
    (void)state;
    workflow_deadline_t *d = s_new("appeal_ruling", "2026-09-30T16:00:00+08:00", false);
    s_expect(d, s_cal, "2026-10-10", false);
    json_t *root = s_json(d);
    assert_int_equal(json_array_size(json_object_get(root, "reasons")), 0);
    json_decref(root);
    workflow_deadline_destroy(&d);

    d = s_new("appeal_judgment", "2026-09-18T09:00:00+08:00", false);
    s_expect(d, s_cal, "2026-10-08", false);
    root = s_json(d);
    assert_true(s_has_reason(root, "rest_day", "2026-10-03", "2026-10-08"));
    json_decref(root);
    workflow_deadline_destroy(&d);

    /*  The urgent reply: 15 days from 20 September (a 调休 Sunday) is
     *  Monday 5 October, in the holiday: Thursday 8 October. */
    d = s_new("organ_reply", "2026-09-20T11:00:00+08:00", true);
    s_expect(d, s_cal, "2026-10-08", false);
    root = s_json(d);
    assert_true(json_is_true(json_object_get(root, "urgent")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "period"), "count")),
                     15);
    json_decref(root);
    workflow_deadline_destroy(&d);
    /*  Not urgent, the same start: 2 months, Friday 20 November. */
    d = s_new("organ_reply", "2026-09-20T11:00:00+08:00", false);
    s_expect(d, s_cal, "2026-11-20", false);
    workflow_deadline_destroy(&d);
}

/*  The day is Beijing's: 07:00 on Saturday in Beijing is 23:00 on Friday
 *  in UTC, and starts a Saturday's period. */
static void test_beijing_day(void **state)
{
    (void)state;
    workflow_deadline_t *d = s_new("serve_opening", "2026-11-27T23:30:00+08:00", false);
    s_expect(d, s_cal, "2026-12-04", false); /* Friday evening: Friday 4 December */
    workflow_deadline_destroy(&d);
    d = s_new("serve_opening", "2026-11-27T23:00:00Z", false);
    s_expect(d, s_cal, "2026-12-07", false); /* Saturday 5 December: Monday 7 */
    workflow_deadline_destroy(&d);
    d = s_new("serve_opening", "2026-11-28T15:59:59Z", false); /* 23:59:59 Saturday */
    s_expect(d, s_cal, "2026-12-07", false);
    workflow_deadline_destroy(&d);
    d = s_new("serve_opening", "2026-11-28T16:00:00Z", false); /* 00:00 Sunday */
    s_expect(d, s_cal, "2026-12-07", false);
    workflow_deadline_destroy(&d);
    d = s_new("serve_opening", "2026-11-29T16:00:00Z", false); /* 00:00 Monday */
    s_expect(d, s_cal, "2026-12-07", false);
    workflow_deadline_destroy(&d);
}

/*  A due date in 2027, which the reference calendar does not cover, is
 *  provisional; loaded with 2027 it is computed again, moved off 元旦, and
 *  keeps a calendar_reload reason with the old and new day. */
static void test_provisional_then_reloaded(void **state)
{
    (void)state;
    workflow_deadline_t *d = s_new("organ_reply", "2026-12-17T10:00:00+08:00", true);
    s_expect(d, s_cal, "2027-01-01", true);
    assert_int_equal(workflow_deadline_due(d)->uncovered_year, 2027);
    json_t *root = s_json(d);
    assert_true(json_is_true(json_object_get(root, "provisional")));
    assert_int_equal(json_integer_value(json_object_get(root, "uncovered_year")), 2027);
    json_decref(root);

    /*  Through storage, as the service does it. */
    char *stored = workflow_deadline_json(d);
    workflow_deadline_destroy(&d);
    workflow_deadline_error_t err;
    d = workflow_deadline_from_json(s_limits, stored, &err);
    assert_non_null(d);
    free(stored);

    bool changed;
    int64_t reload_at = s_ms("2026-12-05T09:00:00+08:00");
    workflow_deadline_recompute(d, s_cal_2027, reload_at, &changed);
    assert_true(changed);
    const workflow_due_t *due = workflow_deadline_due(d);
    assert_false(due->provisional);
    assert_int_equal(due->last_day, s_day("2027-01-04"));
    assert_int_equal(due->due_ms, s_ms("2027-01-05T00:00:00+08:00"));
    root = s_json(d);
    assert_true(s_has_reason(root, "rest_day", "2027-01-01", "2027-01-04"));
    assert_true(s_has_reason(root, "calendar_reload", "2027-01-01", "2027-01-04"));
    assert_true(json_is_false(json_object_get(root, "provisional")));
    assert_true(json_is_null(json_object_get(root, "uncovered_year")));
    json_decref(root);

    /*  The same calendar again: nothing changes, no second reload reason. */
    workflow_deadline_recompute(d, s_cal_2027, reload_at + 60000, &changed);
    assert_false(changed);
    root = s_json(d);
    assert_int_equal(json_array_size(json_object_get(root, "reloads")), 1);
    json_decref(root);

    /*  A reload that confirms a provisional date changes the flag only:
     *  the row is stored again, without a reload reason. */
    workflow_deadline_t *e = s_new("announcement", "2026-12-15T10:00:00+08:00", false);
    s_expect(e, s_cal, "2027-01-14", true);
    workflow_deadline_recompute(e, s_cal_2027, reload_at, &changed);
    assert_true(changed);
    assert_false(workflow_deadline_due(e)->provisional);
    root = s_json(e);
    assert_int_equal(json_array_size(json_object_get(root, "reloads")), 0);
    json_decref(root);
    workflow_deadline_destroy(&e);
    workflow_deadline_destroy(&d);
}

/*  Suspended days do not count; an open suspension pauses the deadline. */
static void test_suspension(void **state)
{
    (void)state;
    workflow_deadline_error_t err;
    /*  3 months from 2 March: 2 June.  Suspended on 1 April, resumed on
     *  11 April: 1-10 April (10 days) do not count: Friday 12 June. */
    workflow_deadline_t *d = s_new("investigation", "2026-03-02T10:00:00+08:00", false);
    assert_int_equal(workflow_deadline_suspend(d, s_ms("2026-04-01T15:00:00+08:00"), &err), 0);
    workflow_deadline_compute(d, s_cal);
    const workflow_due_t *due = workflow_deadline_due(d);
    assert_true(due->paused);
    assert_int_equal(due->paused_from, s_day("2026-04-01"));
    assert_int_equal(due->due_ms, 0);
    json_t *root = s_json(d);
    assert_true(json_is_true(json_object_get(root, "paused")));
    assert_true(json_is_null(json_object_get(root, "due_at")));
    assert_true(json_is_null(json_object_get(root, "warn_at")));
    json_decref(root);

    assert_int_equal(workflow_deadline_suspend(d, s_ms("2026-04-02T15:00:00+08:00"), &err), -1);
    assert_string_equal(err.code, "already_suspended");
    assert_int_equal(workflow_deadline_resume(d, s_ms("2026-03-31T15:00:00+08:00"), &err), -1);
    assert_string_equal(err.code, "invalid_suspension");
    assert_int_equal(workflow_deadline_resume(d, s_ms("2026-04-11T09:00:00+08:00"), &err), 0);
    assert_int_equal(workflow_deadline_resume(d, s_ms("2026-04-12T09:00:00+08:00"), &err), -1);
    assert_string_equal(err.code, "not_suspended");
    s_expect(d, s_cal, "2026-06-12", false);
    root = s_json(d);
    size_t i;
    json_t *r;
    bool seen = false;
    json_array_foreach(json_object_get(root, "reasons"), i, r) {
        if (strcmp(json_string_value(json_object_get(r, "reason")), "suspended") == 0) {
            seen = true;
            assert_int_equal(json_integer_value(json_object_get(r, "days")), 10);
            assert_string_equal(json_string_value(json_object_get(r, "suspended_from")),
                                "2026-04-01");
            assert_string_equal(json_string_value(json_object_get(r, "suspended_to")),
                                "2026-04-10");
        }
    }
    assert_true(seen);
    json_decref(root);

    /*  A suspension before the deadline's start is refused. */
    assert_int_equal(workflow_deadline_suspend(d, s_ms("2026-04-05T09:00:00+08:00"), &err), -1);
    assert_string_equal(err.code, "invalid_suspension");
    /*  Suspended after the last day: the period had run out, nothing moves. */
    assert_int_equal(workflow_deadline_suspend(d, s_ms("2026-06-13T09:00:00+08:00"), &err), 0);
    s_expect(d, s_cal, "2026-06-12", false);
    workflow_deadline_destroy(&d);

    /*  Suspended and resumed on the same day: no day lost. */
    d = s_new("investigation", "2026-03-02T10:00:00+08:00", false);
    assert_int_equal(workflow_deadline_suspend(d, s_ms("2026-04-01T09:00:00+08:00"), &err), 0);
    assert_int_equal(workflow_deadline_resume(d, s_ms("2026-04-01T17:00:00+08:00"), &err), 0);
    s_expect(d, s_cal, "2026-06-02", false);
    workflow_deadline_destroy(&d);

    /*  At most WORKFLOW_MAX_SUSPENSIONS. */
    d = s_new("first_instance", "2026-03-02T10:00:00+08:00", false);
    for (int k = 0; k < WORKFLOW_MAX_SUSPENSIONS; k++) {
        int64_t at = s_ms("2026-03-03T10:00:00+08:00") + (int64_t)k * 2 * GY_DAY_MS;
        assert_int_equal(workflow_deadline_suspend(d, at, &err), 0);
        assert_int_equal(workflow_deadline_resume(d, at + GY_DAY_MS, &err), 0);
    }
    assert_int_equal(workflow_deadline_suspend(d, s_ms("2026-05-01T10:00:00+08:00"), &err), -1);
    assert_string_equal(err.code, "too_many_suspensions");
    /*  Each suspended one day: 14 days on 2 September (Wed): 16 September. */
    s_expect(d, s_cal, "2026-09-16", false);
    workflow_deadline_destroy(&d);
}

static workflow_extension_t s_ext(const char *authority, int count, gy_period_unit_t unit)
{
    return (workflow_extension_t){
        "user-7", authority, {unit, count}, "鉴定意见尚未作出", s_ms("2026-02-20T10:00:00+08:00")};
}

/*  The review for suit: one month by the chief, one more with the upper
 *  procuratorate's approval, nothing else. */
static void test_extensions(void **state)
{
    (void)state;
    workflow_deadline_error_t err;
    workflow_deadline_t *d = s_new("review_for_suit", "2026-01-31T10:00:00+08:00", false);
    workflow_extension_t e;

    e = s_ext("prosecutor", 1, GY_PERIOD_MONTHS);
    assert_int_equal(workflow_deadline_extend(d, &e, &err), -1);
    assert_string_equal(err.code, "extension_wrong_role");
    assert_non_null(strstr(err.message, "chief_prosecutor, then by upper_procuratorate"));
    e = s_ext(WORKFLOW_EXTEND_CHIEF, 2, GY_PERIOD_MONTHS);
    assert_int_equal(workflow_deadline_extend(d, &e, &err), -1);
    assert_string_equal(err.code, "extension_too_long");
    e = s_ext(WORKFLOW_EXTEND_CHIEF, 30, GY_PERIOD_DAYS);
    assert_int_equal(workflow_deadline_extend(d, &e, &err), -1);
    assert_string_equal(err.code, "extension_too_long");
    e = s_ext(WORKFLOW_EXTEND_UPPER, 1, GY_PERIOD_MONTHS);
    assert_int_equal(workflow_deadline_extend(d, &e, &err), -1);
    assert_string_equal(err.code, "extension_out_of_order");
    e = s_ext(WORKFLOW_EXTEND_CHIEF, 1, GY_PERIOD_MONTHS);
    e.reason = "";
    assert_int_equal(workflow_deadline_extend(d, &e, &err), -1);
    assert_string_equal(err.code, "invalid_extension");
    e = s_ext(WORKFLOW_EXTEND_CHIEF, 1, GY_PERIOD_MONTHS);
    e.reason = "\xe9\x89"; /* cut inside a character */
    assert_int_equal(workflow_deadline_extend(d, &e, &err), -1);
    assert_string_equal(err.code, "invalid_extension");
    e = s_ext(WORKFLOW_EXTEND_CHIEF, 1, GY_PERIOD_MONTHS);
    e.by = "user\x01";
    assert_int_equal(workflow_deadline_extend(d, &e, &err), -1);
    assert_string_equal(err.code, "invalid_extension");
    s_expect(d, s_cal, "2026-02-28", false); /* nothing was recorded */
    /*  A reason of several lines is fine. */
    e = s_ext(WORKFLOW_EXTEND_CHIEF, 1, GY_PERIOD_MONTHS);
    e.reason = "鉴定意见尚未作出。\n评估报告预计下月完成。";
    assert_int_equal(workflow_deadline_extend(d, &e, &err), 0);
    workflow_deadline_destroy(&d);
    d = s_new("review_for_suit", "2026-01-31T10:00:00+08:00", false);

    /*  The chief's month runs from the end of the first (Feb 28), not
     *  from the start: 28 March, a Saturday: Monday 30 March. */
    e = s_ext(WORKFLOW_EXTEND_CHIEF, 1, GY_PERIOD_MONTHS);
    assert_int_equal(workflow_deadline_extend(d, &e, &err), 0);
    s_expect(d, s_cal, "2026-03-30", false);
    json_t *root = s_json(d);
    assert_true(s_has_reason(root, "extension", "2026-02-28", "2026-03-28"));
    assert_true(s_has_reason(root, "rest_day", "2026-03-28", "2026-03-30"));
    json_t *r = json_array_get(json_object_get(root, "reasons"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "authority")), "chief_prosecutor");
    assert_string_equal(json_string_value(json_object_get(r, "by")), "user-7");
    assert_string_equal(json_string_value(json_object_get(r, "note")), "鉴定意见尚未作出");
    json_decref(root);

    /*  The chief twice: refused, naming who may extend further. */
    assert_int_equal(workflow_deadline_extend(d, &e, &err), -1);
    assert_string_equal(err.code, "extension_limit_reached");
    assert_non_null(strstr(err.message, "upper_procuratorate"));
    /*  The upper level: one more month, 28 April (Tuesday). */
    e = s_ext(WORKFLOW_EXTEND_UPPER, 1, GY_PERIOD_MONTHS);
    assert_int_equal(workflow_deadline_extend(d, &e, &err), 0);
    s_expect(d, s_cal, "2026-04-28", false);
    /*  And no more. */
    assert_int_equal(workflow_deadline_extend(d, &e, &err), -1);
    assert_string_equal(err.code, "extension_limit_reached");
    e = s_ext(WORKFLOW_EXTEND_CHIEF, 1, GY_PERIOD_MONTHS);
    assert_int_equal(workflow_deadline_extend(d, &e, &err), -1);
    assert_string_equal(err.code, "extension_limit_reached");
    s_expect(d, s_cal, "2026-04-28", false);
    root = s_json(d);
    assert_int_equal(json_array_size(json_object_get(root, "extensions")), 2);
    assert_true(s_has_reason(root, "extension", "2026-03-28", "2026-04-28"));
    json_decref(root);
    workflow_deadline_destroy(&d);

    /*  A statutory period is not extended at all. */
    d = s_new("organ_reply", "2026-03-02T10:00:00+08:00", false);
    e = s_ext(WORKFLOW_EXTEND_CHIEF, 1, GY_PERIOD_MONTHS);
    assert_int_equal(workflow_deadline_extend(d, &e, &err), -1);
    assert_string_equal(err.code, "extension_not_allowed");
    workflow_deadline_destroy(&d);
}

/*  DeadlineDue fires warn_working_days working days before the last day,
 *  counting only working days by the calendar. */
static void test_warn_instant(void **state)
{
    (void)state;
    /*  Due Thursday 8 October; 3 working days before it, over the holiday:
     *  30, 29, 28 September. */
    workflow_deadline_t *d = s_new("appeal_judgment", "2026-09-18T09:00:00+08:00", false);
    s_expect(d, s_cal, "2026-10-08", false);
    const workflow_due_t *due = workflow_deadline_due(d);
    assert_int_equal(due->warn_day, s_day("2026-09-28"));
    assert_int_equal(due->warn_ms, s_ms("2026-09-28T00:00:00+08:00"));
    json_t *root = s_json(d);
    assert_string_equal(json_string_value(json_object_get(root, "warn_at")),
                        "2026-09-27T16:00:00.000Z");
    assert_string_equal(json_string_value(json_object_get(root, "due_at")),
                        "2026-10-08T16:00:00.000Z");
    json_decref(root);
    workflow_deadline_destroy(&d);

    /*  A five-day rule warns one working day ahead: due Monday 9 March,
     *  warned Friday 6 March. */
    d = s_new("file_upward_suit", "2026-03-02T10:00:00+08:00", false);
    s_expect(d, s_cal, "2026-03-09", false);
    assert_int_equal(workflow_deadline_due(d)->warn_day, s_day("2026-03-06"));
    workflow_deadline_destroy(&d);

    /*  A 调休 Saturday counts as a working day: due Tuesday 13 October,
     *  2 working days before: 12, then 10 (Saturday, worked). */
    d = s_new("appeal_ruling", "2026-10-03T10:00:00+08:00", false);
    s_expect(d, s_cal, "2026-10-13", false);
    assert_int_equal(workflow_deadline_rule(d)->warn_working_days, 2);
    assert_int_equal(workflow_deadline_due(d)->warn_day, s_day("2026-10-10"));
    workflow_deadline_destroy(&d);

    /*  A warning that would come before the start comes at the start. */
    char *rows = gy_strdup("");
    for (size_t i = 0; WORKFLOW_RULES[i]; i++) {
        char *more = gy_sprintf("%s%s,1,e,2,days,,,,,,,,,,,法,no,名,10\n", rows, WORKFLOW_RULES[i]);
        free(rows);
        rows = more;
    }
    char *text = gy_sprintf(
        "rule,version,starts_on,count,unit,urgent_count,urgent_unit,extend_by_role,"
        "extend_count,extend_unit,extend_times,further_by_role,further_count,further_unit,"
        "further_times,basis,verified,name_zh,warn_working_days\n%s",
        rows);
    workflow_limits_t *limits = workflow_limits_parse(text, "warn.csv", NULL);
    assert_non_null(limits);
    workflow_deadline_t *e = workflow_deadline_new(workflow_limits_current(limits, "serve_opening"),
                                                   s_ms("2026-03-02T10:00:00+08:00"), false, NULL);
    workflow_deadline_compute(e, s_cal);
    assert_int_equal(workflow_deadline_due(e)->warn_ms, s_ms("2026-03-02T10:00:00+08:00"));
    workflow_deadline_destroy(&e);
    workflow_limits_destroy(&limits);
    free(text);
    free(rows);
}

/*  What is stored reads back to the same deadline: recomputing on the
 *  same calendar changes nothing and gives the same JSON. */
static void test_stored_round_trip(void **state)
{
    (void)state;
    workflow_deadline_error_t err;
    workflow_deadline_t *d = s_new("review_for_suit", "2026-01-31T10:00:00+08:00", false);
    assert_int_equal(workflow_deadline_suspend(d, s_ms("2026-02-02T10:00:00+08:00"), &err), 0);
    assert_int_equal(workflow_deadline_resume(d, s_ms("2026-02-05T10:00:00+08:00"), &err), 0);
    workflow_extension_t e = s_ext(WORKFLOW_EXTEND_CHIEF, 1, GY_PERIOD_MONTHS);
    assert_int_equal(workflow_deadline_extend(d, &e, &err), 0);
    workflow_deadline_compute(d, s_cal);
    char *stored = workflow_deadline_json(d);

    workflow_deadline_t *back = workflow_deadline_from_json(s_limits, stored, &err);
    assert_non_null(back);
    assert_int_equal(workflow_deadline_due(back)->last_day, workflow_deadline_due(d)->last_day);
    bool changed;
    workflow_deadline_recompute(back, s_cal, s_ms("2026-03-01T00:00:00Z"), &changed);
    assert_false(changed);
    char *again = workflow_deadline_json(back);
    assert_string_equal(again, stored);
    /*  The stored extension still counts: the chief cannot extend again. */
    assert_int_equal(workflow_deadline_extend(back, &e, &err), -1);
    assert_string_equal(err.code, "extension_limit_reached");
    free(again);
    free(stored);
    workflow_deadline_destroy(&back);
    workflow_deadline_destroy(&d);

    /*  What is not a stored deadline is refused. */
    static const char *const bad[] = {
        "",
        "[]",
        "{\"rule\":\"organ_reply\",\"version\":1,\"urgent\":false}",
        "{\"rule\":\"organ_reply\",\"version\":1,\"urgent\":false,\"start_at\":\"yesterday\","
        "\"suspensions\":[],\"extensions\":[],\"reloads\":[]}",
        "{\"rule\":\"organ_reply\",\"version\":1,\"urgent\":false,\"start_at\":"
        "\"2026-03-02T02:00:00.000Z\",\"suspensions\":{},\"extensions\":[],\"reloads\":[]}",
        "{\"rule\":\"organ_reply\",\"version\":1,\"urgent\":false,\"start_at\":"
        "\"2026-03-02T02:00:00.000Z\",\"suspensions\":[],\"extensions\":[],\"reloads\":[],"
        "\"paused\":false,\"due_at\":null}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(workflow_deadline_from_json(s_limits, bad[i], &err));
        if (strcmp(err.code, "invalid_stored") != 0)
            fail_msg("case %zu: %s", i, err.code);
    }
    assert_null(workflow_deadline_from_json(
        s_limits,
        "{\"rule\":\"organ_reply\",\"version\":9,\"urgent\":false,\"start_at\":"
        "\"2026-03-02T02:00:00.000Z\",\"suspensions\":[],\"extensions\":[],\"reloads\":[]}",
        &err));
    assert_string_equal(err.code, "unknown_rule");
    /*  Stored extensions beyond what the rule allows are refused too. */
    assert_null(workflow_deadline_from_json(
        s_limits,
        "{\"rule\":\"organ_reply\",\"version\":1,\"urgent\":false,\"start_at\":"
        "\"2026-03-02T02:00:00.000Z\",\"suspensions\":[],\"reloads\":[],\"extensions\":[{\"by\":"
        "\"u\",\"authority\":\"chief_prosecutor\",\"count\":1,\"unit\":\"months\",\"reason\":"
        "\"r\",\"at\":\"2026-03-03T02:00:00.000Z\"}]}",
        &err));
    assert_string_equal(err.code, "extension_not_allowed");
}

static void test_iso_format(void **state)
{
    (void)state;
    char text[25];
    workflow_iso_format(s_ms("2026-10-08T16:00:00.250Z"), text);
    assert_string_equal(text, "2026-10-08T16:00:00.250Z");
    workflow_iso_format(0, text);
    assert_string_equal(text, "1970-01-01T00:00:00.000Z");
}

int main(void)
{
    gy_log_init("test_workflow_deadline", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_rule_from_one_start),
        cmocka_unit_test(test_no_urgent_variant),
        cmocka_unit_test(test_month_ends),
        cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_beijing_day),
        cmocka_unit_test(test_provisional_then_reloaded),
        cmocka_unit_test(test_suspension),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_warn_instant),
        cmocka_unit_test(test_stored_round_trip),
        cmocka_unit_test(test_iso_format),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
