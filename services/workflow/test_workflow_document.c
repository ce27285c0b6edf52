/*  test_workflow_document — a document's text from the reference body
 *  templates (the date as 检察文书 write it, the recipient a template
 *  needs), bad templates refused at load, who may issue each kind on its
 *  own, and numbers chained on those still in flight.  Fixed instants
 *  only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gy_clock.h"
#include "gy_text.h"
#include "gy_util.h"
#include "workflow_document.h"

#define S_REFDIR GY_DEFAULT_REFDATA_DIR

static gy_refdata_t *s_ref;
static workflow_documents_t *s_docs; /* the reference files */

static int s_setup(void **state)
{
    (void)state;
    s_ref = gy_refdata_new(S_REFDIR);
    workflow_csv_error_t err;
    s_docs = s_ref ? workflow_documents_load_default(S_REFDIR, s_ref, &err) : NULL;
    return s_ref && s_docs ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    workflow_documents_destroy(&s_docs);
    gy_refdata_destroy(&s_ref);
    return 0;
}

static void s_date(const char *instant, const char *want)
{
    char out[64];
    workflow_document_date_zh(gy_clock_parse_iso(instant), out, sizeof out);
    assert_string_equal(out, want);
}

static void test_date_as_documents_write_it(void **state)
{
    (void)state;
    s_date("2026-11-29T10:00:00+08:00", "二〇二六年十一月二十九日");
    s_date("2026-10-10T09:00:00+08:00", "二〇二六年十月十日");
    s_date("2026-01-31T09:00:00+08:00", "二〇二六年一月三十一日");
    s_date("2030-12-20T09:00:00+08:00", "二〇三〇年十二月二十日");
    s_date("2026-02-05T09:00:00+08:00", "二〇二六年二月五日");
    /*  The Beijing day: 16:00 UTC on 31 December is New Year's Day. */
    s_date("2026-12-31T15:59:59.999Z", "二〇二六年十二月三十一日");
    s_date("2026-12-31T16:00:00Z", "二〇二七年一月一日");
}

static workflow_document_facts_t s_facts(const char *recipient)
{
    workflow_document_facts_t f = {"大同市平城区人民检察院",
                                   "平检行公建〔2026〕3号",
                                   "检察建议书",
                                   recipient,
                                   "生态环境和资源保护行政公益诉讼案",
                                   "生态环境和资源保护",
                                   gy_clock_parse_iso("2026-11-29T10:00:00+08:00")};
    return f;
}

static void test_text_from_the_template(void **state)
{
    (void)state;
    workflow_document_facts_t f = s_facts("大同市平城区生态环境局");
    char *text = NULL;
    gy_error_t err;
    assert_int_equal(
        workflow_documents_text(s_docs, "suggestion", "administrative", &f, &text, &err), 0);
    assert_non_null(strstr(text, "大同市平城区人民检察院\n检察建议书\n\n平检行公建〔2026〕3号"));
    assert_non_null(strstr(text, "\n大同市平城区生态环境局：\n"));
    assert_non_null(strstr(text, "本院在办理生态环境和资源保护行政公益诉讼案中发现"));
    assert_non_null(strstr(text, "大同市平城区人民检察院\n二〇二六年十一月二十九日\n"));
    assert_null(strchr(text, '{'));
    assert_true(gy_text_check(text, strlen(text), GY_TEXT_MULTILINE) > 0);
    free(text);

    /*  A case kind's own template wins: the civil 起诉书 is not the
     *  administrative one. */
    assert_int_equal(workflow_documents_text(s_docs, "indictment", "civil", &f, &text, &err), 0);
    assert_non_null(strstr(text, "民事公益诉讼起诉书"));
    assert_non_null(strstr(text, "被告：大同市平城区生态环境局"));
    free(text);

    /*  A template that addresses someone needs the recipient; one that
     *  does not (the civil 立案决定书, the 公告) goes without. */
    f = s_facts(NULL);
    assert_int_equal(
        workflow_documents_text(s_docs, "suggestion", "administrative", &f, &text, &err), -1);
    assert_null(text);
    assert_int_equal(err.http_status, 400);
    assert_string_equal(err.code, "missing_field");
    assert_string_equal(err.field, "recipient");
    f = s_facts("");
    assert_int_equal(workflow_documents_text(s_docs, "announcement", "civil", &f, &text, &err), 0);
    assert_non_null(strstr(text, "公告"));
    free(text);
    assert_int_equal(workflow_documents_text(s_docs, "opening_decision", "civil", &f, &text, &err),
                     0);
    free(text);
    for (const char *const *k = WORKFLOW_DOC_KINDS; *k; k++)
        assert_true(workflow_documents_has_body(s_docs, *k, "administrative"));
}

/*  A folder of bodies of its own, under the test's temporary directory. */
static char *s_bodies(const char *file, const char *text)
{
    char *dir = gy_sprintf("/tmp/test_workflow_document.%d", (int)getpid());
    mkdir(dir, 0700);
    char *path = gy_sprintf("%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
    return dir;
}

static void s_rm(char *dir, const char *file)
{
    char *path = gy_sprintf("%s/%s", dir, file);
    unlink(path);
    free(path);
    rmdir(dir);
    free(dir);
}

static void s_refused(const char *file, const char *text, const char *code)
{
    char *dir = s_bodies(file, text);
    workflow_csv_error_t err;
    workflow_docnum_t *docnum = workflow_docnum_load(
        S_REFDIR "/document_templates.csv", S_REFDIR "/procuratorate_abbr.csv", s_ref, &err);
    assert_non_null(docnum);
    workflow_documents_t *docs = workflow_documents_new(&docnum, dir, &err);
    assert_null(docnum);
    if (!code) {
        assert_non_null(docs);
        workflow_documents_destroy(&docs);
    } else {
        assert_null(docs);
        assert_string_equal(err.code, code);
        assert_non_null(strstr(err.message, file));
    }
    s_rm(dir, file);
}

static void test_bad_templates(void **state)
{
    (void)state;
    s_refused("suggestion.txt", "{procuratorate}\n{number}\n{date}\n", NULL);
    s_refused("suggestion.txt", "{organ}：\n", "unknown_placeholder");
    s_refused("suggestion.txt", "{number：\n", "invalid_template");
    s_refused("suggestion.txt", "number}\n", "invalid_template");
    s_refused("suggestion.txt", "\xc0\xaf\n", "invalid_utf8");
    s_refused("suggestion.txt", "a\x01z\n", "control_character");
    s_refused("summons.txt", "{number}\n", "unknown_kind");
    s_refused("suggestion.criminal.txt", "{number}\n", "invalid_value");
    s_refused("README.md", "{anything}\n", NULL); /* not a template */

    /*  Without a template of its kind, a document needs its text. */
    char *dir = s_bodies("suggestion.txt", "{number}\n");
    workflow_csv_error_t cerr;
    workflow_docnum_t *docnum = workflow_docnum_load(
        S_REFDIR "/document_templates.csv", S_REFDIR "/procuratorate_abbr.csv", s_ref, &cerr);
    workflow_documents_t *docs = workflow_documents_new(&docnum, dir, &cerr);
    assert_non_null(docs);
    workflow_document_facts_t f = s_facts("某局");
    char *text = NULL;
    gy_error_t err;
    assert_int_equal(workflow_documents_text(docs, "appeal", "civil", &f, &text, &err), -1);
    assert_int_equal(err.http_status, 422);
    assert_string_equal(err.code, "no_body_template");
    assert_string_equal(err.field, "text");
    workflow_documents_destroy(&docs);
    s_rm(dir, "suggestion.txt");
}

static void test_who_issues_each_kind(void **state)
{
    (void)state;
    static const struct {
        const char *case_kind, *kind, *role;
    } cases[] = {
        {"administrative", "opening_decision", "chief_prosecutor"},
        {"civil", "opening_decision", "chief_prosecutor"},
        {"administrative", "suggestion", "chief_prosecutor"},
        {"civil", "suggestion", NULL},
        {"administrative", "indictment", "chief_prosecutor"},
        {"civil", "indictment", "chief_prosecutor"},
        {"administrative", "closing_decision", "prosecutor"}, /* close: a prosecutor's */
        {"civil", "announcement", "prosecutor"},
        {"administrative", "announcement", NULL},
        {"civil", "support_letter", "prosecutor"},
        {"administrative", "appeal", "prosecutor"},
        {"administrative", "not_opened_decision", NULL}, /* a clue's, not a case's */
        {"criminal", "appeal", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *role = workflow_document_issue_role(cases[i].case_kind, cases[i].kind);
        if (!cases[i].role) {
            if (role)
                fail_msg("%s %s: %s, expected none", cases[i].case_kind, cases[i].kind, role);
        } else {
            if (!role || strcmp(role, cases[i].role) != 0)
                fail_msg("%s %s: %s, expected %s", cases[i].case_kind, cases[i].kind,
                         role ? role : "none", cases[i].role);
        }
    }
}

static void test_numbers_chain_on_those_in_flight(void **state)
{
    (void)state;
    const char *s = "suggestion/administrative";
    /*  Three issues decided on the same read (last 4): 5, 6, 7. */
    assert_int_equal(workflow_documents_decide(s_docs, "140213", s, 2026, 4), 4);
    assert_int_equal(workflow_documents_decide(s_docs, "140213", s, 2026, 4), 5);
    assert_int_equal(workflow_documents_decide(s_docs, "140213", s, 2026, 4), 6);
    /*  Another year, another procuratorate, another series: their own. */
    assert_int_equal(workflow_documents_decide(s_docs, "140213", s, 2027, 0), 0);
    assert_int_equal(workflow_documents_decide(s_docs, "140211", s, 2026, 0), 0);
    /*  A read that saw more (another process issued) wins. */
    assert_int_equal(workflow_documents_decide(s_docs, "140213", s, 2026, 9), 9);
    for (int i = 0; i < 3; i++) /* 5, 6, 7 committed */
        workflow_documents_settled(s_docs, "140213", s, 2026, true);
    workflow_documents_settled(s_docs, "140213", s, 2026, true);
    workflow_documents_settled(s_docs, "140213", s, 2027, true);
    workflow_documents_settled(s_docs, "140211", s, 2026, true);
    /*  Nothing in flight: the database's count alone decides. */
    assert_int_equal(workflow_documents_decide(s_docs, "140213", s, 2026, 10), 10);
    workflow_documents_settled(s_docs, "140213", s, 2026, true);

    /*  11, 12, 13 in flight; 11 fails (its document was refused), so 12
     *  and 13 fail their guards: the next decision goes by its read, not
     *  by 13, though 12 and 13 have not settled yet. */
    for (int64_t last = 10; last <= 12; last++)
        assert_int_equal(workflow_documents_decide(s_docs, "140213", s, 2026, 10), last);
    workflow_documents_settled(s_docs, "140213", s, 2026, false);
    assert_int_equal(workflow_documents_decide(s_docs, "140213", s, 2026, 10), 10);
    assert_int_equal(workflow_documents_decide(s_docs, "140213", s, 2026, 10), 11);
    workflow_documents_settled(s_docs, "140213", s, 2026, false); /* 12 */
    workflow_documents_settled(s_docs, "140213", s, 2026, false); /* 13 */
    workflow_documents_settled(s_docs, "140213", s, 2026, true);  /* 11 again */
    workflow_documents_settled(s_docs, "140213", s, 2026, true);  /* 12 again */
    /*  All settled: back to the read alone. */
    assert_int_equal(workflow_documents_decide(s_docs, "140213", s, 2026, 12), 12);
    workflow_documents_settled(s_docs, "140213", s, 2026, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_as_documents_write_it),
        cmocka_unit_test(test_text_from_the_template),
        cmocka_unit_test(test_bad_templates),
        cmocka_unit_test(test_who_issues_each_kind),
        cmocka_unit_test(test_numbers_chain_on_those_in_flight),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
