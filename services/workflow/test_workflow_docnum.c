/*  test_workflow_docnum — document numbers from the reference templates
 *  (平检行公建〔2026〕3号), a procuratorate's own row over the default and a
 *  case kind's over "*", the Beijing year of issue, every procuratorate
 *  with an abbreviation, and wrong rows refused with file, line and
 *  column.  Fixed years and instants only. */
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
#include "workflow_docnum.h"

#define S_REFDIR GY_DEFAULT_REFDATA_DIR

static gy_refdata_t *s_ref;
static workflow_docnum_t *s_docnum; /* the reference files */

static int s_setup(void **state)
{
    (void)state;
    s_ref = gy_refdata_new(S_REFDIR);
    workflow_csv_error_t err;
    s_docnum = workflow_docnum_load(S_REFDIR "/document_templates.csv",
                                    S_REFDIR "/procuratorate_abbr.csv", s_ref, &err);
    return s_ref && s_docnum ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    workflow_docnum_destroy(&s_docnum);
    gy_refdata_destroy(&s_ref);
    return 0;
}

/*  The number of a document, checked to be valid one-line UTF-8. */
static char *s_number(const workflow_docnum_t *docnum, const char *proc, const char *case_kind,
                      const char *kind, int year, int64_t seq)
{
    workflow_docnum_template_t t;
    workflow_csv_error_t err;
    if (workflow_docnum_lookup(docnum, proc, case_kind, kind, &t, &err) < 0)
        fail_msg("%s %s %s: %s (%s)", proc, case_kind ? case_kind : "-", kind, err.code,
                 err.message);
    char *number = workflow_docnum_render(&t, year, seq);
    assert_true(gy_text_check(number, strlen(number), GY_TEXT_LINE) > 0);
    return number;
}

static void s_expect(const char *proc, const char *case_kind, const char *kind, int year,
                     int64_t seq, const char *want)
{
    char *number = s_number(s_docnum, proc, case_kind, kind, year, seq);
    if (strcmp(number, want) != 0)
        fail_msg("%s %s %s: %s, want %s", proc, case_kind ? case_kind : "-", kind, number, want);
    free(number);
}

static void test_reference_numbers(void **state)
{
    (void)state;
    s_expect("140213", "administrative", WORKFLOW_DOC_SUGGESTION, 2026, 3, "平检行公建〔2026〕3号");
    s_expect("140213", "administrative", WORKFLOW_DOC_OPENING_DECISION, 2026, 1,
             "平检行公立〔2026〕1号");
    s_expect("140213", "civil", WORKFLOW_DOC_OPENING_DECISION, 2026, 1, "平检民公立〔2026〕1号");
    s_expect("140213", NULL, WORKFLOW_DOC_NOT_OPENED_DECISION, 2026, 12, "平检公不立〔2026〕12号");
    s_expect("140213", "civil", WORKFLOW_DOC_NOT_OPENED_DECISION, 2026, 12,
             "平检公不立〔2026〕12号");
    s_expect("140213", "civil", WORKFLOW_DOC_ANNOUNCEMENT, 2026, 2, "平检民公告〔2026〕2号");
    s_expect("140213", "administrative", WORKFLOW_DOC_CLOSING_DECISION, 2027, 1,
             "平检行公终〔2027〕1号");
    s_expect("140213", "civil", WORKFLOW_DOC_CLOSING_DECISION, 2027, 1, "平检民公终〔2027〕1号");
    s_expect("140213", "administrative", WORKFLOW_DOC_INDICTMENT, 2026, 4, "平检行公诉〔2026〕4号");
    s_expect("140213", "civil", WORKFLOW_DOC_INDICTMENT, 2026, 4, "平检民公诉〔2026〕4号");
    s_expect("140213", "civil", WORKFLOW_DOC_SUPPORT_LETTER, 2026, 5, "平检民公支〔2026〕5号");
    s_expect("140213", "administrative", WORKFLOW_DOC_APPEAL, 2026, 6, "平检行公上〔2026〕6号");
    s_expect("430121", "civil", WORKFLOW_DOC_APPEAL, 2026, 1234567,
             "长沙县检民公上〔2026〕1234567号");
    s_expect("000000", "administrative", WORKFLOW_DOC_SUGGESTION, 2026, 1, "高检行公建〔2026〕1号");

    /*  The number is valid UTF-8 of the expected characters: 平 检 行 公 建
     *  〔 2 0 2 6 〕 3 号 = 13. */
    char *number = s_number(s_docnum, "140213", "administrative", "suggestion", 2026, 3);
    assert_int_equal(gy_text_check(number, strlen(number), GY_TEXT_LINE), 13);
    free(number);

    /*  The series a counter row is keyed on. */
    workflow_docnum_template_t t;
    workflow_csv_error_t err;
    assert_int_equal(workflow_docnum_lookup(s_docnum, "140213", "civil",
                                            WORKFLOW_DOC_OPENING_DECISION, &t, &err),
                     0);
    assert_string_equal(t.series, "opening_decision/civil");
    assert_string_equal(t.name_zh, "立案决定书");
    assert_string_equal(t.abbr, "平");
    assert_int_equal(workflow_docnum_lookup(s_docnum, "140213", NULL,
                                            WORKFLOW_DOC_NOT_OPENED_DECISION, &t, &err),
                     0);
    assert_string_equal(t.series, "not_opened_decision/*");
}

static void test_refusals(void **state)
{
    (void)state;
    workflow_docnum_template_t t;
    workflow_csv_error_t err;
    /*  No 检察建议 in a civil case, no 公告 in an administrative one. */
    assert_int_equal(
        workflow_docnum_lookup(s_docnum, "140213", "civil", WORKFLOW_DOC_SUGGESTION, &t, &err), -1);
    assert_string_equal(err.code, "no_template");
    assert_int_equal(workflow_docnum_lookup(s_docnum, "140213", "administrative",
                                            WORKFLOW_DOC_ANNOUNCEMENT, &t, &err),
                     -1);
    assert_string_equal(err.code, "no_template");
    /*  A kind-specific template needs the case kind. */
    assert_int_equal(
        workflow_docnum_lookup(s_docnum, "140213", NULL, WORKFLOW_DOC_INDICTMENT, &t, &err), -1);
    assert_string_equal(err.code, "no_template");
    assert_int_equal(
        workflow_docnum_lookup(s_docnum, "140213", "administrative", "summons", &t, &err), -1);
    assert_string_equal(err.code, "unknown_kind");
    assert_int_equal(workflow_docnum_lookup(s_docnum, "999999", "administrative",
                                            WORKFLOW_DOC_SUGGESTION, &t, &err),
                     -1);
    assert_string_equal(err.code, "no_abbreviation");
}

/*  Every procuratorate of regions.csv numbers every agreed kind, and no
 *  two series of one procuratorate render alike. */
static void test_every_procuratorate(void **state)
{
    (void)state;
    static const char *const case_kinds[] = {"administrative", "civil"};
    for (size_t r = 0; r < gy_refdata_region_count(s_ref); r++) {
        const char *code = gy_refdata_region_at(s_ref, r)->code;
        char *seen[32];
        size_t nseen = 0;
        for (size_t k = 0; WORKFLOW_DOC_KINDS[k]; k++) {
            bool any = false;
            for (size_t c = 0; c < 2; c++) {
                workflow_docnum_template_t t;
                if (workflow_docnum_lookup(s_docnum, code, case_kinds[c], WORKFLOW_DOC_KINDS[k], &t,
                                           NULL) < 0)
                    continue;
                any = true;
                char *number = workflow_docnum_render(&t, 2026, 1);
                bool twice = false;
                for (size_t i = 0; i < nseen; i++)
                    twice = twice || strcmp(seen[i], number) == 0;
                if (twice) {
                    free(number); /* a "*" row serves both case kinds: same series */
                    continue;
                }
                assert_true(nseen < 32);
                seen[nseen++] = number;
            }
            if (!any)
                fail_msg("%s cannot number %s", code, WORKFLOW_DOC_KINDS[k]);
        }
        /*  8 kinds, 12 series: 立案 ×2, 不立案, 建议, 公告, 终结 ×2, 起诉 ×2, 支持, 上诉 ×2. */
        assert_int_equal(nseen, 12);
        for (size_t i = 0; i < nseen; i++)
            free(seen[i]);
    }
}

/*  The year is Beijing's: 00:30 on 1 January 2027 in Beijing is still 2026
 *  in UTC. */
static void test_year_of_issue(void **state)
{
    (void)state;
    assert_int_equal(workflow_docnum_year(gy_clock_parse_iso("2026-12-31T23:30:00+08:00")), 2026);
    assert_int_equal(workflow_docnum_year(gy_clock_parse_iso("2026-12-31T16:30:00Z")), 2027);
    assert_int_equal(workflow_docnum_year(gy_clock_parse_iso("2026-12-31T15:59:59Z")), 2026);
}

static const char s_abbrs[] = "code,abbr\n140213,平\n140212,新荣\n";

static const char s_defaults[] =
    "procuratorate,kind,case_kind,template,name_zh,convention\n"
    "*,opening_decision,administrative,{abbr}检行公立〔{year}〕{seq}号,立案决定书,house\n"
    "*,opening_decision,civil,{abbr}检民公立〔{year}〕{seq}号,立案决定书,house\n"
    "*,not_opened_decision,*,{abbr}检公不立〔{year}〕{seq}号,不立案决定书,house\n"
    "*,suggestion,administrative,{abbr}检行公建〔{year}〕{seq}号,检察建议书,house\n"
    "*,announcement,civil,{abbr}检民公告〔{year}〕{seq}号,公告,house\n"
    "*,closing_decision,*,{abbr}检公终〔{year}〕{seq}号,终结审查决定书,house\n"
    "*,indictment,administrative,{abbr}检行公诉〔{year}〕{seq}号,起诉书,house\n"
    "*,indictment,civil,{abbr}检民公诉〔{year}〕{seq}号,起诉书,house\n"
    "*,support_letter,civil,{abbr}检民公支〔{year}〕{seq}号,支持起诉意见书,house\n"
    "*,appeal,*,{abbr}检公上〔{year}〕{seq}号,上诉状,house\n";

/*  A procuratorate's own row overrides the default; a case kind's row
 *  overrides "*"; the procuratorate comes first. */
static void test_overrides(void **state)
{
    (void)state;
    char *text = gy_sprintf("%s"
                            "140213,suggestion,*,平城检建〔{year}〕第{seq}号,检察建议书,house\n"
                            "140213,appeal,civil,{abbr}检民上〔{year}〕{seq}号,上诉状,official\n",
                            s_defaults);
    workflow_csv_error_t err;
    workflow_docnum_t *d = workflow_docnum_parse(text, "t.csv", s_abbrs, "a.csv", s_ref, &err);
    assert_non_null(d);
    char *n = s_number(d, "140213", "administrative", "suggestion", 2026, 7);
    assert_string_equal(n, "平城检建〔2026〕第7号");
    free(n);
    n = s_number(d, "140212", "administrative", "suggestion", 2026, 7);
    assert_string_equal(n, "新荣检行公建〔2026〕7号");
    free(n);
    n = s_number(d, "140213", "civil", "appeal", 2026, 1);
    assert_string_equal(n, "平检民上〔2026〕1号");
    free(n);
    n = s_number(d, "140213", "administrative", "appeal", 2026, 1);
    assert_string_equal(n, "平检公上〔2026〕1号");
    free(n);
    /*  One "*" row numbers both case kinds in one series. */
    workflow_docnum_template_t a, c;
    assert_int_equal(workflow_docnum_lookup(d, "140212", "administrative", "appeal", &a, &err), 0);
    assert_int_equal(workflow_docnum_lookup(d, "140212", "civil", "appeal", &c, &err), 0);
    assert_string_equal(a.series, "appeal/*");
    assert_string_equal(c.series, "appeal/*");
    assert_int_equal(workflow_docnum_lookup(d, "140213", "civil", "appeal", &c, &err), 0);
    assert_string_equal(c.series, "appeal/civil");
    workflow_docnum_destroy(&d);
    free(text);
}

/*  Wrong rows, each refused with its code, line 12 (the header, ten
 *  defaults, then it) and column. */
static void test_bad_templates(void **state)
{
    (void)state;
    static const struct {
        const char *row;
        const char *code;
        int column;
    } cases[] = {
        {"*,hearing,*,{abbr}检听〔{year}〕{seq}号,听证通知书,house\n", NULL, 0},
        {"*,hearing,*,{abbr}检听〔{year}〕{num}号,听证通知书,house\n", "unknown_placeholder", 4},
        {"*,hearing,*,{abbr}检听〔{year}〕号,听证通知书,house\n", "invalid_template", 4},
        {"*,hearing,*,{abbr}检听〔{year}〕{seq}号{year},听证通知书,house\n", "invalid_template", 4},
        {"*,hearing,*,{abbr}检听〔{year}〕{seq号,听证通知书,house\n", "invalid_template", 4},
        {"*,hearing,*,{abbr}检听〔{year}〕seq}号,听证通知书,house\n", "invalid_template", 4},
        {"*,hearing,criminal,{abbr}检听〔{year}〕{seq}号,听证通知书,house\n", "invalid_value", 3},
        {"14021,hearing,*,{abbr}检听〔{year}〕{seq}号,听证通知书,house\n", "invalid_value", 1},
        {"999999,hearing,*,{abbr}检听〔{year}〕{seq}号,听证通知书,house\n", "unknown_procuratorate",
         1},
        {"*,Hearing,*,{abbr}检听〔{year}〕{seq}号,听证通知书,house\n", "invalid_value", 2},
        {"*,hearing,*,{abbr}检听〔{year}〕{seq}号,,house\n", "invalid_value", 5},
        {"*,hearing,*,{abbr}检听〔{year}〕{seq}号,听证通知书,law\n", "invalid_value", 6},
        {"*,suggestion,administrative,{abbr}检建〔{year}〕{seq}号,检察建议书,house\n",
         "duplicate_template", 2},
        {"*,hearing,*,{abbr}检听\xe3\x80〔{year}〕{seq}号,听证通知书,house\n", "invalid_utf8", 4},
        {"*,hearing,*,{abbr}检听〔{year}〕{seq}号\x1b,听证通知书,house\n", "control_character", 4},
        {"*,hearing,*,{abbr}检听〔{year}〕{seq}号,听证通知书\n", "wrong_columns", 0},
        /*  The same text as the 立案决定书's: every number twice. */
        {"*,hearing,administrative,{abbr}检行公立〔{year}〕{seq}号,听证通知书,house\n",
         "duplicate_template", 0},
        {"140213,hearing,civil,{abbr}检民公告〔{year}〕{seq}号,听证通知书,house\n",
         "duplicate_template", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = gy_sprintf("%s%s", s_defaults, cases[i].row);
        workflow_csv_error_t err;
        workflow_docnum_t *d = workflow_docnum_parse(text, "t.csv", s_abbrs, "a.csv", s_ref, &err);
        free(text);
        if (!cases[i].code) {
            assert_non_null(d);
            workflow_docnum_destroy(&d);
            continue;
        }
        if (d)
            fail_msg("case %zu accepted", i);
        if (strcmp(err.code, cases[i].code) != 0 || err.line != 12 ||
            err.column != cases[i].column || strncmp(err.message, "t.csv", 5) != 0)
            fail_msg("case %zu: %s line %d column %d: %s", i, err.code, err.line, err.column,
                     err.message);
        if (cases[i].column) {
            char place[40];
            snprintf(place, sizeof place, "t.csv:12: column %d", cases[i].column);
            assert_non_null(strstr(err.message, place));
        }
    }

    /*  Every agreed kind needs a default row. */
    const char *without = strstr(s_defaults, "*,appeal");
    char *text = gy_strndup(s_defaults, (size_t)(without - s_defaults));
    workflow_csv_error_t err;
    assert_null(workflow_docnum_parse(text, "t.csv", s_abbrs, "a.csv", s_ref, &err));
    assert_string_equal(err.code, "missing_kind");
    assert_non_null(strstr(err.message, "appeal"));
    free(text);
}

static void test_bad_abbreviations(void **state)
{
    (void)state;
    static const struct {
        const char *abbrs;
        const char *code;
        int line, column;
    } cases[] = {
        {"code,abbr\n140213,平\n14021,新\n", "invalid_value", 3, 1},
        {"code,abbr\n140213,平\n999999,新\n", "unknown_procuratorate", 3, 1},
        {"code,abbr\n140213,平\n140212,平\n", "duplicate_abbreviation", 3, 2},
        {"code,abbr\n140213,平\n140213,新\n", "invalid_value", 3, 1},
        {"code,abbr\n140213,平\n140212,\n", "invalid_value", 3, 2},
        {"code,abbr\n140213,平\n140212,新荣区人民检察院之院\n", "invalid_value", 3, 2},
        {"code,abbr\n140213,{平}\n", "invalid_value", 2, 2},
        {"code\n140213\n", "missing_column", 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        workflow_csv_error_t err;
        workflow_docnum_t *d =
            workflow_docnum_parse(s_defaults, "t.csv", cases[i].abbrs, "a.csv", s_ref, &err);
        if (d)
            fail_msg("case %zu accepted", i);
        if (strcmp(err.code, cases[i].code) != 0 || err.line != cases[i].line ||
            err.column != cases[i].column || strncmp(err.message, "a.csv:", 6) != 0)
            fail_msg("case %zu: %s line %d column %d: %s", i, err.code, err.line, err.column,
                     err.message);
    }
    /*  Without the reference data, codes are only checked for their form. */
    workflow_docnum_t *d =
        workflow_docnum_parse(s_defaults, "t.csv", "code,abbr\n999999,某\n", "a.csv", NULL, NULL);
    assert_non_null(d);
    workflow_docnum_destroy(&d);
}

static void test_load_default(void **state)
{
    (void)state;
    unsetenv("GY_DOCUMENT_TEMPLATES");
    unsetenv("GY_PROCURATORATE_ABBR");
    workflow_docnum_t *d = workflow_docnum_load_default(S_REFDIR, s_ref, NULL);
    assert_non_null(d);
    workflow_docnum_destroy(&d);
    setenv("GY_PROCURATORATE_ABBR", "/nonexistent/abbr.csv", 1);
    workflow_csv_error_t err;
    assert_null(workflow_docnum_load_default(S_REFDIR, s_ref, &err));
    assert_string_equal(err.code, "unreadable");
    unsetenv("GY_PROCURATORATE_ABBR");
}

int main(void)
{
    gy_log_init("test_workflow_docnum", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_numbers),   cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_every_procuratorate), cmocka_unit_test(test_year_of_issue),
        cmocka_unit_test(test_overrides),           cmocka_unit_test(test_bad_templates),
        cmocka_unit_test(test_bad_abbreviations),   cmocka_unit_test(test_load_default),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
