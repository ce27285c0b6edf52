/*  test_workflow_hearing — every cell of the hearing machine, written out
 *  here as the specification (docs/workflow.md, "Hearings"), the notice
 *  rule on fixed dates (across midnight Beijing time, across a month and
 *  a year end, over a holiday), the stream link, the announcement and the
 *  checks of the API's bodies. */
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
#include "workflow_hearing.h"

typedef struct {
    const char *state, *event;
    const char *next; /* NULL: refused */
} s_cell_t;

static const s_cell_t s_cells[] = {
    {"scheduled", "postpone", "postponed"},
    {"scheduled", "hold", "held"},
    {"scheduled", "cancel", "cancelled"},
    {"postponed", "postpone", "postponed"},
    {"postponed", "hold", "held"},
    {"postponed", "cancel", "cancelled"},
    {"held", "postpone", NULL},
    {"held", "hold", NULL},
    {"held", "cancel", NULL},
    {"cancelled", "postpone", NULL},
    {"cancelled", "hold", NULL},
    {"cancelled", "cancel", NULL},
};

static void test_every_cell(void **state)
{
    (void)state;
    const gy_machine_t *m = &workflow_hearing_machine;
    assert_int_equal(sizeof s_cells / sizeof s_cells[0], (size_t)(m->nstates * m->nevents));
    for (size_t i = 0; i < sizeof s_cells / sizeof s_cells[0]; i++) {
        int s = gy_machine_state_of(m, s_cells[i].state);
        int e = gy_machine_event_of(m, s_cells[i].event);
        assert_true(s >= 0 && e >= 0);
        int next = gy_machine_next(m, s, e);
        if (s_cells[i].next) {
            assert_int_not_equal(next, GY_MACHINE_REFUSED);
            assert_string_equal(gy_machine_state_name(m, next), s_cells[i].next);
            continue;
        }
        assert_int_equal(next, GY_MACHINE_REFUSED);
        char want[300], got[300];
        snprintf(want, sizeof want, "the hearing is %s; %s is not allowed (allowed: none)",
                 s_cells[i].state, s_cells[i].event);
        gy_machine_refusal(m, s, e, got, sizeof got);
        assert_string_equal(got, want);
    }
}

static int64_t s_at(const char *iso)
{
    int64_t ms = gy_clock_parse_iso(iso);
    assert_true(ms != GY_CLOCK_INVALID);
    return ms;
}

/*  Day 0 is the Beijing day of scheduling; days 1-3 are the notice; the
 *  hearing starts on day 4 from 00:00 Beijing time. */
static void test_notice_days(void **state)
{
    (void)state;
    static const struct {
        const char *now, *earliest;
    } cases[] = {
        /* morning of Thursday 1 Oct 2026 (National Day: rest days count) */
        {"2026-10-01T09:00:00+08:00", "2026-10-05T00:00:00+08:00"},
        /* the last minute of the Beijing day ... */
        {"2026-10-01T23:59:59+08:00", "2026-10-05T00:00:00+08:00"},
        /* ... and the first: the earliest day moves on by one */
        {"2026-10-02T00:00:00+08:00", "2026-10-06T00:00:00+08:00"},
        /* 16:30 UTC is already the next Beijing day */
        {"2026-10-01T15:59:59Z", "2026-10-05T00:00:00+08:00"},
        {"2026-10-01T16:00:00Z", "2026-10-06T00:00:00+08:00"},
        /* across a month end and a year end */
        {"2026-02-26T10:00:00+08:00", "2026-03-02T00:00:00+08:00"},
        {"2026-12-29T18:00:00+08:00", "2027-01-02T00:00:00+08:00"},
        /* a leap year's February */
        {"2028-02-27T08:00:00+08:00", "2028-03-02T00:00:00+08:00"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (workflow_hearing_earliest_ms(s_at(cases[i].now)) != s_at(cases[i].earliest))
            fail_msg("case %zu: at %s the earliest hearing is not %s", i, cases[i].now,
                     cases[i].earliest);
    }
}

static char *s_plan(const char *starts_at, const char *extra)
{
    return gy_sprintf("{\"starts_at\":\"%s\",\"place\":\"县检察院听证室\",\"public\":true,"
                      "\"topic\":\"河道违法占用整治\","
                      "\"members\":[\"7d0c3f2e-4d5b-4c1a-9f7e-2b1d3c4e5f60\"]%s}",
                      starts_at, extra ? extra : "");
}

static int s_parse(const char *now, const char *starts_at, const char *extra, gy_error_t *err)
{
    char *body = s_plan(starts_at, extra);
    workflow_hearing_plan_t p;
    int rc = workflow_hearing_plan_parse(body, strlen(body), s_at(now), &p, err);
    if (rc == 0)
        workflow_hearing_plan_clear(&p);
    free(body);
    return rc;
}

static void test_plan_notice(void **state)
{
    (void)state;
    gy_error_t err;
    /* exactly the limit, then one minute too soon */
    assert_int_equal(s_parse("2026-10-01T23:30:00+08:00", "2026-10-05T00:00:00+08:00", NULL, &err),
                     0);
    assert_int_equal(s_parse("2026-10-01T23:30:00+08:00", "2026-10-04T23:59:00+08:00", NULL, &err),
                     -1);
    assert_int_equal(err.http_status, 422);
    assert_string_equal(err.code, "too_soon");
    assert_string_equal(err.field, "starts_at");
    assert_non_null(strstr(err.message, "2026-10-05"));
    /* the same instant in UTC */
    assert_int_equal(s_parse("2026-10-01T23:30:00+08:00", "2026-10-04T16:00:00Z", NULL, &err), 0);
    assert_int_equal(s_parse("2026-10-01T23:30:00+08:00", "2026-10-04T15:59:00Z", NULL, &err), -1);
    assert_string_equal(err.code, "too_soon");
    /* thirty minutes later it is the next Beijing day: one more day */
    assert_int_equal(s_parse("2026-10-02T00:00:00+08:00", "2026-10-05T09:00:00+08:00", NULL, &err),
                     -1);
    assert_string_equal(err.code, "too_soon");
    assert_int_equal(s_parse("2026-10-02T00:00:00+08:00", "2026-10-06T00:00:00+08:00", NULL, &err),
                     0);
}

static void test_plan_fields(void **state)
{
    (void)state;
    const char *now = "2026-10-01T09:00:00+08:00", *t = "2026-10-08T09:30:00+08:00";
    char *body = s_plan(t, ",\"stream_url\":\"https://live.example.cn/h/1\","
                           "\"participants\":[{\"name\":\"县水利局\",\"role\":\"organ\","
                           "\"contact\":\"0571-1234567\"},{\"name\":\"王某\",\"role\":\"party\"}],"
                           "\"volunteers\":[{\"volunteer_id\":\"v-1\",\"as\":\"member\"},"
                           "{\"volunteer_id\":\"v-2\",\"as\":\"observer\"}]");
    workflow_hearing_plan_t p;
    gy_error_t err;
    assert_int_equal(workflow_hearing_plan_parse(body, strlen(body), s_at(now), &p, &err), 0);
    free(body);
    assert_true(p.starts_ms == s_at(t));
    assert_true(p.public_hearing);
    assert_string_equal(p.stream_url, "https://live.example.cn/h/1");
    assert_int_equal(p.n_members, 1);
    assert_int_equal(p.n_participants, 2);
    assert_string_equal(p.participants[0].contact, "0571-1234567");
    assert_string_equal(p.participants[1].contact, "");
    assert_int_equal(p.n_volunteers, 2);
    assert_true(p.volunteers[0].member);
    assert_false(p.volunteers[1].member);
    workflow_hearing_plan_clear(&p);

    static const struct {
        const char *extra, *code, *field;
    } bad[] = {
        {",\"stream_url\":\"http://live.example.cn/1\"", "invalid_value", "stream_url"},
        {",\"stream_url\":\"javascript:alert(1)\"", "invalid_value", "stream_url"},
        {",\"participants\":[{\"name\":\"甲\",\"role\":\"judge\"}]", "invalid_value",
         "participants[0].role"},
        {",\"participants\":[{\"name\":\"\",\"role\":\"party\"}]", "invalid_value",
         "participants[0].name"},
        {",\"participants\":[{\"name\":\"甲\",\"role\":\"party\",\"id\":1}]", "unknown_property",
         "participants[0].id"},
        {",\"volunteers\":[{\"volunteer_id\":\"v\",\"as\":\"chair\"}]", "invalid_value",
         "volunteers[0].as"},
        {",\"volunteers\":[{\"volunteer_id\":\"v\",\"as\":\"member\"},{\"volunteer_id\":\"v\","
         "\"as\":\"observer\"}]",
         "invalid_value", "volunteers[1].volunteer_id"},
        {",\"extra\":1", "unknown_property", "extra"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (s_parse(now, t, bad[i].extra, &err) == 0)
            fail_msg("case %zu accepted", i);
        if (strcmp(err.code, bad[i].code) != 0 || strcmp(err.field, bad[i].field) != 0)
            fail_msg("case %zu: %s on %s", i, err.code, err.field);
        assert_int_equal(err.http_status, 400);
    }
    /* members: required, UUIDs, none twice */
    static const char *const bodies[] = {
        "{\"starts_at\":\"2026-10-08T09:30:00+08:00\",\"place\":\"p\",\"public\":false,"
        "\"topic\":\"t\"}",
        "{\"starts_at\":\"2026-10-08T09:30:00+08:00\",\"place\":\"p\",\"public\":false,"
        "\"topic\":\"t\",\"members\":[\"x\"]}",
        "{\"starts_at\":\"2026-10-08T09:30:00+08:00\",\"place\":\"p\",\"public\":false,"
        "\"topic\":\"t\",\"members\":[\"7d0c3f2e-4d5b-4c1a-9f7e-2b1d3c4e5f60\","
        "\"7D0C3F2E-4D5B-4C1A-9F7E-2B1D3C4E5F60\"]}",
        "{\"starts_at\":\"2026-10-08 09:30\",\"place\":\"p\",\"public\":false,"
        "\"topic\":\"t\",\"members\":[\"7d0c3f2e-4d5b-4c1a-9f7e-2b1d3c4e5f60\"]}",
        "{\"starts_at\":\"2026-10-08T09:30:00+08:00\",\"place\":\"p\",\"public\":\"yes\","
        "\"topic\":\"t\",\"members\":[\"7d0c3f2e-4d5b-4c1a-9f7e-2b1d3c4e5f60\"]}",
    };
    static const char *const fields[] = {"members", "members[0]", "members[1]", "starts_at",
                                         "public"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        assert_int_equal(
            workflow_hearing_plan_parse(bodies[i], strlen(bodies[i]), s_at(now), &p, &err), -1);
        if (strcmp(err.field, fields[i]) != 0)
            fail_msg("body %zu: %s on %s", i, err.code, err.field);
    }
}

static void test_steps(void **state)
{
    (void)state;
    int64_t now = s_at("2026-10-10T10:00:00+08:00");
    workflow_hearing_step_t s;
    gy_error_t err;
    const char *postpone = "{\"starts_at\":\"2026-10-14T00:00:00+08:00\",\"reason\":\"当事人申请\","
                           "\"expected_version\":2}";
    assert_int_equal(workflow_hearing_step_parse(WORKFLOW_HEARING_POSTPONE, postpone,
                                                 strlen(postpone), now, &s, &err),
                     0);
    assert_true(s.has_version && s.expected_version == 2);
    assert_true(s.starts_ms == s_at("2026-10-14T00:00:00+08:00"));
    workflow_hearing_step_clear(&s);
    /* a postponement gives the notice again, from today */
    const char *soon = "{\"starts_at\":\"2026-10-13T23:59:00+08:00\",\"reason\":\"r\"}";
    assert_int_equal(
        workflow_hearing_step_parse(WORKFLOW_HEARING_POSTPONE, soon, strlen(soon), now, &s, &err),
        -1);
    assert_string_equal(err.code, "too_soon");
    const char *cancel = "{}";
    assert_int_equal(
        workflow_hearing_step_parse(WORKFLOW_HEARING_CANCEL, cancel, strlen(cancel), now, &s, &err),
        -1);
    assert_string_equal(err.code, "missing_field");
    assert_string_equal(err.field, "reason");
    const char *hold = "{\"outcome\":\"同意检察机关意见\",\"summary\":\"听证员一致认为……\","
                       "\"opinions\":[\"建议限期整改\",\"同意\"]}";
    assert_int_equal(
        workflow_hearing_step_parse(WORKFLOW_HEARING_HOLD, hold, strlen(hold), now, &s, &err), 0);
    assert_int_equal(json_array_size(s.opinions), 2);
    workflow_hearing_step_clear(&s);
    const char *bad = "{\"outcome\":\"o\",\"summary\":\"s\",\"opinions\":[\"a\",3]}";
    assert_int_equal(
        workflow_hearing_step_parse(WORKFLOW_HEARING_HOLD, bad, strlen(bad), now, &s, &err), -1);
    assert_string_equal(err.field, "opinions[1]");
    const char *stray = "{\"reason\":\"r\",\"outcome\":\"o\"}";
    assert_int_equal(
        workflow_hearing_step_parse(WORKFLOW_HEARING_CANCEL, stray, strlen(stray), now, &s, &err),
        -1);
    assert_string_equal(err.code, "unknown_property");
}

static void test_pool_entry(void **state)
{
    (void)state;
    workflow_pool_entry_t e;
    gy_error_t err;
    const char *ok = "{\"name\":\"李某\",\"kind\":\"volunteer\",\"volunteer_id\":\"v-7\"}";
    assert_int_equal(workflow_pool_entry_parse(ok, strlen(ok), &e, &err), 0);
    assert_string_equal(e.volunteer_id, "v-7");
    workflow_pool_entry_clear(&e);
    const char *expert = "{\"name\":\"张教授\",\"kind\":\"expert\"}";
    assert_int_equal(workflow_pool_entry_parse(expert, strlen(expert), &e, &err), 0);
    assert_null(e.volunteer_id);
    workflow_pool_entry_clear(&e);
    static const struct {
        const char *body, *code, *field;
    } bad[] = {
        {"{\"name\":\"a\",\"kind\":\"volunteer\"}", "missing_field", "volunteer_id"},
        {"{\"name\":\"a\",\"kind\":\"expert\",\"volunteer_id\":\"v\"}", "invalid_value",
         "volunteer_id"},
        {"{\"name\":\"a\",\"kind\":\"judge\"}", "invalid_value", "kind"},
        {"{\"kind\":\"expert\"}", "missing_field", "name"},
        {"{\"name\":\"a\",\"kind\":\"expert\",\"phone\":\"1\"}", "unknown_property", "phone"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(workflow_pool_entry_parse(bad[i].body, strlen(bad[i].body), &e, &err), -1);
        if (strcmp(err.code, bad[i].code) != 0 || strcmp(err.field, bad[i].field) != 0)
            fail_msg("case %zu: %s on %s", i, err.code, err.field);
    }
}

/*  jansson quotes the input near a syntax error cut at a byte count,
 *  here inside 听: the message stays valid UTF-8 (fuzz_hearing_bodies). */
static void test_error_text_is_utf8(void **state)
{
    (void)state;
    const char *body = "{\"reason\": \"河道污染整\\\xe6\xb2\xbb\xe5\x90\xac\"}";
    workflow_hearing_step_t s;
    gy_error_t err;
    assert_int_equal(workflow_hearing_step_parse(WORKFLOW_HEARING_CANCEL, body, strlen(body),
                                                 s_at("2026-10-01T09:00:00+08:00"), &s, &err),
                     -1);
    assert_string_equal(err.code, "malformed_json");
    assert_true(gy_text_utf8_valid(err.message, strlen(err.message)));
}

static void test_public_query(void **state)
{
    (void)state;
    char rest[32], code[7];
    gy_error_t err;
    assert_int_equal(workflow_public_query(NULL, rest, sizeof rest, code, &err), 0);
    assert_string_equal(rest, "");
    assert_string_equal(code, "");
    assert_int_equal(workflow_public_query("limit=5&procuratorate=140200&after=x", rest,
                                           sizeof rest, code, &err),
                     0);
    assert_string_equal(rest, "limit=5&after=x");
    assert_string_equal(code, "140200");
    assert_int_equal(workflow_public_query("procuratorate=140200", rest, sizeof rest, code, &err),
                     0);
    assert_string_equal(rest, "");
    /* what gy_page_parse refuses stays for it to refuse */
    assert_int_equal(workflow_public_query("procuratorates=1&&x", rest, sizeof rest, code, &err),
                     0);
    assert_string_equal(rest, "procuratorates=1&x");
    static const char *const bad[] = {
        "procuratorate=14020",  "procuratorate=1402000",
        "procuratorate=14020a", "procuratorate=",
        "procuratorate",        "procuratorate=140200&procuratorate=140200"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (workflow_public_query(bad[i], rest, sizeof rest, code, &err) == 0)
            fail_msg("%s accepted", bad[i]);
        assert_string_equal(err.field, "procuratorate");
        assert_int_equal(err.http_status, 400);
    }
    assert_int_equal(workflow_public_query("limit=5&after=0123456789012345678901234567", rest,
                                           sizeof rest, code, &err),
                     -1);
    assert_string_equal(err.code, "invalid_value");
}

static void test_url(void **state)
{
    (void)state;
    assert_true(workflow_hearing_url_valid("https://live.example.cn"));
    assert_true(workflow_hearing_url_valid("https://live.example.cn:8443/a/b?c=d#e"));
    assert_false(workflow_hearing_url_valid("http://live.example.cn"));
    assert_false(workflow_hearing_url_valid("https://"));
    assert_false(workflow_hearing_url_valid("https://.example.cn"));
    assert_false(workflow_hearing_url_valid("https://a..cn"));
    assert_false(workflow_hearing_url_valid("https://user@host.cn"));
    assert_false(workflow_hearing_url_valid("https://host.cn:/x"));
    assert_false(workflow_hearing_url_valid("https://host.cn/a b"));
    assert_false(workflow_hearing_url_valid("https://host.cn/\"><script>"));
    assert_false(workflow_hearing_url_valid("HTTPS://host.cn"));
}

static void test_announcement(void **state)
{
    (void)state;
    char *text =
        workflow_hearing_announcement("杭州市西湖区人民检察院", s_at("2026-10-08T01:30:00Z"),
                                      "区检察院听证室", "河道违法占用整治", NULL);
    assert_string_equal(text, "杭州市西湖区人民检察院定于2026年10月8日09:30（北京时间）在区检察院"
                              "听证室就“河道违法占用整治”举行公开听证。欢迎社会各界关注。");
    free(text);
    /* 16:30 UTC is the next Beijing day */
    text = workflow_hearing_announcement("某院", s_at("2026-12-31T16:30:00Z"), "甲", "乙",
                                         "https://live.example.cn/1");
    assert_string_equal(text, "某院定于2027年1月1日00:30（北京时间）在甲就“乙”举行公开听证。听证"
                              "将通过https://live.example.cn/1进行网络直播。欢迎社会各界关注。");
    free(text);
    text = workflow_hearing_cancellation("某院", s_at("2026-10-08T01:30:00Z"), "甲", "乙");
    assert_string_equal(text,
                        "某院原定于2026年10月8日09:30（北京时间）在甲就“乙”举行的公开听证已取消。");
    free(text);
}

int main(void)
{
    gy_log_init("test_workflow_hearing", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cell),   cmocka_unit_test(test_notice_days),
        cmocka_unit_test(test_plan_notice),  cmocka_unit_test(test_plan_fields),
        cmocka_unit_test(test_steps),        cmocka_unit_test(test_pool_entry),
        cmocka_unit_test(test_public_query), cmocka_unit_test(test_error_text_is_utf8),
        cmocka_unit_test(test_url),          cmocka_unit_test(test_announcement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
