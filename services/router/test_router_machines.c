/*  test_router_machines — every cell of the router's three machines,
 *  written out here as the specification (docs/router.md, docs/api.md):
 *  an allowed event gives its next state, a refused one the refusal that
 *  names the state and the events it allows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "router_machines.h"

typedef struct {
    const char *state, *event;
    const char *next; /* NULL: refused */
} s_cell_t;

static void s_check_every_cell(const gy_machine_t *m, const s_cell_t *cells, size_t n,
                               const char *const *allowed)
{
    assert_int_equal(n, (size_t)(m->nstates * m->nevents)); /* no cell left out */
    for (size_t i = 0; i < n; i++) {
        int s = gy_machine_state_of(m, cells[i].state);
        int e = gy_machine_event_of(m, cells[i].event);
        assert_true(s >= 0);
        assert_true(e >= 0);
        int next = gy_machine_next(m, s, e);
        if (cells[i].next) {
            assert_int_not_equal(next, GY_MACHINE_REFUSED);
            assert_string_equal(gy_machine_state_name(m, next), cells[i].next);
            continue;
        }
        assert_int_equal(next, GY_MACHINE_REFUSED);
        char want[300], got[300];
        snprintf(want, sizeof want, "the %s is %s; %s is not allowed (allowed: %s)", m->name,
                 cells[i].state, cells[i].event, allowed[s]);
        gy_machine_refusal(m, s, e, got, sizeof got);
        assert_string_equal(got, want);
    }
}

static void test_transfer(void **state)
{
    (void)state;
    static const s_cell_t cells[] = {
        {"requested", "accept", "accepted"}, {"requested", "dispute", "disputed"},
        {"requested", "decide", NULL},       {"accepted", "accept", NULL},
        {"accepted", "dispute", NULL},       {"accepted", "decide", NULL},
        {"disputed", "accept", NULL},        {"disputed", "dispute", NULL},
        {"disputed", "decide", "decided"},   {"decided", "accept", NULL},
        {"decided", "dispute", NULL},        {"decided", "decide", NULL},
    };
    static const char *const allowed[] = {"accept, dispute", "none", "decide", "none"};
    s_check_every_cell(&router_transfer_machine, cells, sizeof cells / sizeof cells[0], allowed);
}

static void test_task(void **state)
{
    (void)state;
    static const s_cell_t cells[] = {
        {"assigned", "submit", "submitted"}, {"assigned", "decline", "declined"},
        {"assigned", "expire", "late"},      {"submitted", "submit", NULL},
        {"submitted", "decline", NULL},      {"submitted", "expire", NULL},
        {"declined", "submit", NULL},        {"declined", "decline", NULL},
        {"declined", "expire", NULL},        {"late", "submit", NULL},
        {"late", "decline", NULL},           {"late", "expire", NULL},
    };
    static const char *const allowed[] = {"submit, decline, expire", "none", "none", "none"};
    s_check_every_cell(&router_task_machine, cells, sizeof cells / sizeof cells[0], allowed);
}

static void test_clue(void **state)
{
    (void)state;
    static const char *const events[] = {"hold",          "route",         "quorum_route",
                                         "quorum_reject", "quorum_review", "decide_route",
                                         "decide_reject"};
    /*  Per state, the next state for each event above (NULL: refused). */
    static const struct {
        const char *state;
        const char *next[7];
    } rows[] = {
        {"received", {"assessing", "routed", NULL, NULL, NULL, NULL, NULL}},
        {"assessing", {NULL, NULL, "routed", "rejected", "review", NULL, NULL}},
        {"review", {NULL, NULL, NULL, NULL, NULL, "routed", "rejected"}},
        {"routed", {NULL, NULL, NULL, NULL, NULL, NULL, NULL}},
        {"rejected", {NULL, NULL, NULL, NULL, NULL, NULL, NULL}},
    };
    s_cell_t cells[5 * 7];
    size_t n = 0;
    for (size_t r = 0; r < 5; r++)
        for (size_t e = 0; e < 7; e++)
            cells[n++] = (s_cell_t){rows[r].state, events[e], rows[r].next[e]};
    static const char *const allowed[] = {"hold, route",
                                          "quorum_route, quorum_reject, quorum_review",
                                          "decide_route, decide_reject", "none", "none"};
    s_check_every_cell(&router_clue_machine, cells, n, allowed);
}

/*  The stored status values are the state names (the CHECK constraints of
 *  router.transfer, router.assessment_task and router.clue). */
static void test_stored_names(void **state)
{
    (void)state;
    assert_int_equal(gy_machine_state_of(&router_transfer_machine, "disputed"),
                     ROUTER_TRANSFER_DISPUTED);
    assert_int_equal(gy_machine_state_of(&router_task_machine, "late"), ROUTER_TASK_LATE);
    assert_int_equal(gy_machine_state_of(&router_clue_machine, "review"), ROUTER_CLUE_REVIEW);
    assert_int_equal(gy_machine_state_of(&router_clue_machine, "transferred"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer),
        cmocka_unit_test(test_task),
        cmocka_unit_test(test_clue),
        cmocka_unit_test(test_stored_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
