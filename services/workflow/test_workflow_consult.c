/*  test_workflow_consult — every cell of the consultation task machine,
 *  written out here as the specification (docs/workflow.md), and the
 *  checks of the request, answer and decline bodies on a fixed clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gy_clock.h"
#include "workflow_consult.h"

typedef struct {
    const char *state, *event;
    const char *next; /* NULL: refused */
} s_cell_t;

static const s_cell_t s_cells[] = {
    {"asked", "answer", "answered"}, {"asked", "decline", "declined"}, {"asked", "expire", "late"},
    {"answered", "answer", NULL},    {"answered", "decline", NULL},    {"answered", "expire", NULL},
    {"declined", "answer", NULL},    {"declined", "decline", NULL},    {"declined", "expire", NULL},
    {"late", "answer", NULL},        {"late", "decline", NULL},        {"late", "expire", NULL},
};

static void test_every_cell(void **state)
{
    (void)state;
    const gy_machine_t *m = &workflow_consult_machine;
    size_t n = sizeof s_cells / sizeof s_cells[0];
    assert_int_equal(n, (size_t)(m->nstates * m->nevents)); /* no cell left out */
    for (size_t i = 0; i < n; i++) {
        int st = gy_machine_state_of(m, s_cells[i].state);
        int ev = gy_machine_event_of(m, s_cells[i].event);
        assert_true(st >= 0 && ev >= 0);
        int next = gy_machine_next(m, st, ev);
        if (s_cells[i].next)
            assert_string_equal(gy_machine_state_name(m, next), s_cells[i].next);
        else
            assert_int_equal(next, GY_MACHINE_REFUSED);
    }
    char why[200];
    gy_machine_refusal(m, WORKFLOW_CONSULT_ANSWERED, WORKFLOW_CONSULT_DECLINE, why, sizeof why);
    assert_non_null(strstr(why, "answered"));
}

/*  2026-11-28 09:00 Beijing. */
#define NOW 1795827600000LL

static int s_request(const char *body, workflow_consult_request_t *r, gy_error_t *err)
{
    return workflow_consult_request_parse(body, strlen(body), NOW, r, err);
}

static void s_refused(const char *body, int status, const char *code, const char *field)
{
    workflow_consult_request_t r;
    gy_error_t err;
    assert_int_equal(s_request(body, &r, &err), -1);
    assert_int_equal(err.http_status, status);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field);
    assert_null(r.root);
}

static void test_request_bodies(void **state)
{
    (void)state;
    assert_int_equal(gy_clock_parse_iso("2026-11-28T09:00:00+08:00"), NOW);
    workflow_consult_request_t r;
    gy_error_t err;
    assert_int_equal(s_request("{\"question\":\"河水的化学需氧量超标几倍？\"}", &r, &err), 0);
    assert_string_equal(r.question, "河水的化学需氧量超标几倍？");
    assert_null(r.field);
    assert_int_equal(r.experts, 1);
    assert_int_equal(r.due_ms, NOW + 7 * 86400000LL); /* a week by default */
    workflow_consult_request_clear(&r);

    assert_int_equal(s_request("{\"question\":\"q\",\"field\":\"ecology\",\"experts\":3,"
                               "\"due_days\":10}",
                               &r, &err),
                     0);
    assert_string_equal(r.field, "ecology");
    assert_int_equal(r.experts, 3);
    assert_int_equal(r.due_ms, NOW + 10 * 86400000LL);
    workflow_consult_request_clear(&r);

    assert_int_equal(
        s_request("{\"question\":\"q\",\"due_at\":\"2026-12-01T18:00:00+08:00\"}", &r, &err), 0);
    assert_int_equal(r.due_ms, gy_clock_parse_iso("2026-12-01T18:00:00+08:00"));
    workflow_consult_request_clear(&r);

    s_refused("{}", 400, "missing_field", "question");
    s_refused("{\"question\":\"\"}", 400, "invalid_value", "question");
    s_refused("{\"question\":\"q\",\"experts\":0}", 400, "invalid_value", "experts");
    s_refused("{\"question\":\"q\",\"experts\":11}", 400, "invalid_value", "experts");
    s_refused("{\"question\":\"q\",\"experts\":\"2\"}", 400, "invalid_type", "experts");
    s_refused("{\"question\":\"q\",\"due_days\":91}", 400, "invalid_value", "due_days");
    s_refused("{\"question\":\"q\",\"due_at\":\"2026-11-28T08:59:59+08:00\"}", 422, "invalid_due",
              "due_at");
    s_refused("{\"question\":\"q\",\"due_at\":\"2027-03-01T00:00:00+08:00\"}", 422, "invalid_due",
              "due_at");
    s_refused("{\"question\":\"q\",\"due_at\":\"tomorrow\"}", 400, "invalid_value", "due_at");
    s_refused("{\"question\":\"q\",\"due_at\":\"2026-12-01T18:00:00+08:00\",\"due_days\":3}", 400,
              "invalid_value", "due_days");
    s_refused("{\"question\":\"q\",\"field\":\"生态\"}", 400, "invalid_value", "field");
    s_refused("{\"question\":\"q\",\"urgent\":true}", 400, "unknown_property", "urgent");
    s_refused("{\"question\":\"a\\u0007b\"}", 400, "invalid_value", "question");
    s_refused("[1]", 400, "malformed_json", "");
}

static void test_answer_and_decline_bodies(void **state)
{
    (void)state;
    workflow_consult_answer_t a;
    gy_error_t err;
    const char *ok = "{\"answer\":\"超标约三倍。\\n依据 GB 3838-2002。\","
                     "\"references\":[\"GB 3838-2002\"]}";
    assert_int_equal(workflow_consult_answer_parse(ok, strlen(ok), &a, &err), 0);
    assert_string_equal(a.answer, "超标约三倍。\n依据 GB 3838-2002。");
    assert_string_equal(a.references_json, "[\"GB 3838-2002\"]");
    workflow_consult_answer_clear(&a);
    const char *bare = "{\"answer\":\"是\"}";
    assert_int_equal(workflow_consult_answer_parse(bare, strlen(bare), &a, &err), 0);
    assert_string_equal(a.references_json, "[]");
    workflow_consult_answer_clear(&a);
    const char *bad = "{\"answer\":\"是\",\"references\":[\"\"]}";
    assert_int_equal(workflow_consult_answer_parse(bad, strlen(bad), &a, &err), -1);
    assert_string_equal(err.field, "references");
    const char *none = "{\"references\":[]}";
    assert_int_equal(workflow_consult_answer_parse(none, strlen(none), &a, &err), -1);
    assert_string_equal(err.code, "missing_field");

    workflow_consult_decline_t d;
    const char *dec = "{\"reason\":\"我是该企业的股东\",\"conflict\":true}";
    assert_int_equal(workflow_consult_decline_parse(dec, strlen(dec), &d, &err), 0);
    assert_true(d.conflict);
    assert_string_equal(d.reason, "我是该企业的股东");
    workflow_consult_decline_clear(&d);
    const char *busy = "{\"reason\":\"出差\"}";
    assert_int_equal(workflow_consult_decline_parse(busy, strlen(busy), &d, &err), 0);
    assert_false(d.conflict);
    workflow_consult_decline_clear(&d);
    const char *odd = "{\"reason\":\"x\",\"conflict\":\"yes\"}";
    assert_int_equal(workflow_consult_decline_parse(odd, strlen(odd), &d, &err), -1);
    assert_string_equal(err.field, "conflict");
    const char *mute = "{\"conflict\":false}";
    assert_int_equal(workflow_consult_decline_parse(mute, strlen(mute), &d, &err), -1);
    assert_string_equal(err.field, "reason");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cell),
        cmocka_unit_test(test_request_bodies),
        cmocka_unit_test(test_answer_and_decline_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
