/*  test_workflow_review — every cell of the review machine, written out
 *  here as the specification (docs/workflow.md), who may fire each event,
 *  the case kinds a field allows, the round-robin, and the checks of the
 *  API's bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workflow_review.h"

typedef struct {
    const char *state, *event;
    const char *next; /* NULL: refused */
} s_cell_t;

static const s_cell_t s_cells[] = {
    {"triage", "transfer", "under_review"},
    {"triage", "assign", NULL},
    {"triage", "not_open", NULL},
    {"triage", "open", NULL},
    {"triage", "join", NULL},
    {"under_review", "transfer", "under_review"},
    {"under_review", "assign", "under_review"},
    {"under_review", "not_open", "not_opened"},
    {"under_review", "open", "opened"},
    {"under_review", "join", "joined"},
    {"not_opened", "transfer", NULL},
    {"not_opened", "assign", NULL},
    {"not_opened", "not_open", NULL},
    {"not_opened", "open", NULL},
    {"not_opened", "join", NULL},
    {"opened", "transfer", NULL},
    {"opened", "assign", NULL},
    {"opened", "not_open", NULL},
    {"opened", "open", NULL},
    {"opened", "join", NULL},
    {"joined", "transfer", NULL},
    {"joined", "assign", NULL},
    {"joined", "not_open", NULL},
    {"joined", "open", NULL},
    {"joined", "join", NULL},
};

static void test_every_cell(void **state)
{
    (void)state;
    const gy_machine_t *m = &workflow_review_machine;
    static const char *const allowed[] = {"transfer", "transfer, assign, not_open, open, join",
                                          "none", "none", "none"};
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
        snprintf(want, sizeof want, "the review is %s; %s is not allowed (allowed: %s)",
                 s_cells[i].state, s_cells[i].event, allowed[s]);
        gy_machine_refusal(m, s, e, got, sizeof got);
        assert_string_equal(got, want);
    }
}

static void test_who_may(void **state)
{
    (void)state;
    /* 立案 and 不立案: the chief's. */
    assert_true(workflow_review_may(WORKFLOW_REVIEW_OPEN, "chief_prosecutor", "c", NULL));
    assert_false(workflow_review_may(WORKFLOW_REVIEW_OPEN, "prosecutor", "p", NULL));
    assert_true(workflow_review_may(WORKFLOW_REVIEW_NOT_OPEN, "chief_prosecutor", "c", NULL));
    assert_false(workflow_review_may(WORKFLOW_REVIEW_NOT_OPEN, "prosecutor", "p", NULL));
    /* Joining an open case: either. */
    assert_true(workflow_review_may(WORKFLOW_REVIEW_JOIN, "prosecutor", "p", NULL));
    assert_true(workflow_review_may(WORKFLOW_REVIEW_JOIN, "chief_prosecutor", "c", NULL));
    /* Assignment: the chief to anyone, a prosecutor to themselves. */
    assert_true(workflow_review_may(WORKFLOW_REVIEW_ASSIGN, "chief_prosecutor", "c", "p"));
    assert_true(workflow_review_may(WORKFLOW_REVIEW_ASSIGN, "prosecutor", "p", "p"));
    assert_false(workflow_review_may(WORKFLOW_REVIEW_ASSIGN, "prosecutor", "p", "q"));
    /* Nobody else, and nobody fires the router's transfer. */
    static const char *const others[] = {"volunteer", "admin", "integrator", ""};
    for (int e = 0; e < WORKFLOW_REVIEW_NEVENTS; e++)
        for (size_t r = 0; r < sizeof others / sizeof others[0]; r++)
            assert_false(workflow_review_may(e, others[r], "x", "x"));
    assert_false(workflow_review_may(WORKFLOW_REVIEW_TRANSFER, "chief_prosecutor", "c", NULL));
}

static void test_case_kinds(void **state)
{
    (void)state;
    assert_true(workflow_case_kind_allowed("both", "administrative"));
    assert_true(workflow_case_kind_allowed("both", "civil"));
    assert_true(workflow_case_kind_allowed("administrative", "administrative"));
    assert_false(workflow_case_kind_allowed("administrative", "civil"));
    assert_false(workflow_case_kind_allowed("civil", "administrative"));
    assert_false(workflow_case_kind_allowed("both", "criminal"));
}

static void test_rotation_pick(void **state)
{
    (void)state;
    long next;
    assert_int_equal(workflow_rotation_pick(3, 0, &next), 0);
    assert_int_equal(next, 1);
    assert_int_equal(workflow_rotation_pick(3, 2, &next), 2);
    assert_int_equal(next, 0);
    /* A list that shrank: the position wraps. */
    assert_int_equal(workflow_rotation_pick(2, 5, &next), 1);
    assert_int_equal(next, 0);
}

static int s_decide(const char *body, workflow_decision_t *d, gy_error_t *err)
{
    return workflow_decision_parse(body, strlen(body), d, err);
}

static void s_refused(const char *body, const char *code, const char *field)
{
    workflow_decision_t d;
    gy_error_t err;
    assert_int_equal(s_decide(body, &d, &err), -1);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field);
    assert_null(d.root);
}

static void test_decision_bodies(void **state)
{
    (void)state;
    workflow_decision_t d;
    gy_error_t err;
    assert_int_equal(s_decide("{\"decision\":\"not_opened\",\"reason\":\"证据不足\","
                              "\"public_reason\":\"经审查，暂不立案。\",\"expected_version\":3}",
                              &d, &err),
                     0);
    assert_int_equal(d.event, WORKFLOW_REVIEW_NOT_OPEN);
    assert_string_equal(d.public_reason, "经审查，暂不立案。");
    assert_true(d.has_version);
    assert_int_equal(d.expected_version, 3);
    workflow_decision_clear(&d);
    assert_int_equal(s_decide("{\"decision\":\"open\",\"case_kind\":\"civil\","
                              "\"harm_ongoing\":true}",
                              &d, &err),
                     0);
    assert_int_equal(d.event, WORKFLOW_REVIEW_OPEN);
    assert_true(d.harm_ongoing);
    assert_string_equal(d.reason, "");
    workflow_decision_clear(&d);
    assert_int_equal(
        s_decide("{\"decision\":\"join\",\"case_id\":\"6a1f0f3e-7c1b-4c55-9d2e-0d5e4f1a2b3c\"}", &d,
                 &err),
        0);
    workflow_decision_clear(&d);

    s_refused("[]", "malformed_json", "");
    s_refused("{\"decision\":\"close\"}", "invalid_value", "decision");
    s_refused("{}", "missing_field", "decision");
    s_refused("{\"decision\":\"not_opened\",\"reason\":\"x\"}", "missing_field", "public_reason");
    s_refused("{\"decision\":\"not_opened\",\"public_reason\":\"x\"}", "missing_field", "reason");
    s_refused("{\"decision\":\"open\"}", "missing_field", "case_kind");
    s_refused("{\"decision\":\"open\",\"case_kind\":\"criminal\"}", "invalid_value", "case_kind");
    s_refused("{\"decision\":\"open\",\"case_kind\":\"civil\",\"case_id\":\"x\"}", "invalid_value",
              "case_id");
    s_refused("{\"decision\":\"join\",\"case_id\":\"not-a-uuid-not-a-uuid-not-a-uuid-123\"}",
              "invalid_value", "case_id");
    s_refused("{\"decision\":\"join\"}", "missing_field", "case_id");
    s_refused("{\"decision\":\"open\",\"case_kind\":\"civil\",\"expected_version\":\"2\"}",
              "invalid_type", "expected_version");
    s_refused("{\"decision\":\"open\",\"case_kind\":\"civil\",\"expected_version\":0}",
              "invalid_value", "expected_version");
    s_refused("{\"decision\":\"open\",\"case_kind\":\"civil\",\"colour\":1}", "unknown_property",
              "colour");
    s_refused("{\"decision\":\"not_opened\",\"reason\":\"x\",\"public_reason\":\"a\\u0001b\"}",
              "invalid_value", "public_reason");
}

static void test_assignment_and_rotation_bodies(void **state)
{
    (void)state;
    workflow_assignment_t a;
    gy_error_t err;
    const char *ok = "{\"prosecutor\":\"p-1\",\"expected_version\":1}";
    assert_int_equal(workflow_assignment_parse(ok, strlen(ok), &a, &err), 0);
    assert_string_equal(a.prosecutor, "p-1");
    assert_string_equal(a.reason, "");
    workflow_assignment_clear(&a);
    const char *bad = "{\"prosecutor\":\"张三\"}";
    assert_int_equal(workflow_assignment_parse(bad, strlen(bad), &a, &err), -1);
    assert_string_equal(err.field, "prosecutor");

    char *list;
    const char *rot = "{\"prosecutors\":[\"p-1\",\"p \\\"2\\\"\",\"p\\\\3\"]}";
    assert_int_equal(workflow_rotation_parse(rot, strlen(rot), &list, &err), 0);
    assert_string_equal(list, "{\"p-1\",\"p \\\"2\\\"\",\"p\\\\3\"}");
    free(list);
    const char *empty = "{\"prosecutors\":[]}";
    assert_int_equal(workflow_rotation_parse(empty, strlen(empty), &list, &err), 0);
    assert_string_equal(list, "{}");
    free(list);
    const char *twice = "{\"prosecutors\":[\"a\",\"a\"]}";
    assert_int_equal(workflow_rotation_parse(twice, strlen(twice), &list, &err), -1);
    assert_string_equal(err.field, "prosecutors[1]");
    assert_null(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cell),
        cmocka_unit_test(test_who_may),
        cmocka_unit_test(test_case_kinds),
        cmocka_unit_test(test_rotation_pick),
        cmocka_unit_test(test_decision_bodies),
        cmocka_unit_test(test_assignment_and_rotation_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
