/*  test_gy_machine — a small machine, every cell of it, the allowed events
 *  of each state and the refusal that names them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gy_machine.h"

/*  A door: closed -> open -> closed, closed -> locked -> closed. */
enum { CLOSED, OPEN, LOCKED, NSTATES };
enum { OPEN_IT, CLOSE_IT, LOCK_IT, UNLOCK_IT, NEVENTS };
static const char *const s_states[] = {"closed", "open", "locked"};
static const char *const s_events[] = {"open", "close", "lock", "unlock"};
static const int s_table[NSTATES][NEVENTS] = {
    [CLOSED] = {OPEN, GY_MACHINE_REFUSED, LOCKED, GY_MACHINE_REFUSED},
    [OPEN] = {GY_MACHINE_REFUSED, CLOSED, GY_MACHINE_REFUSED, GY_MACHINE_REFUSED},
    [LOCKED] = {GY_MACHINE_REFUSED, GY_MACHINE_REFUSED, GY_MACHINE_REFUSED, CLOSED},
};
static const gy_machine_t s_door = {"door", s_states, NSTATES, s_events, NEVENTS, &s_table[0][0]};

static void test_every_cell(void **state)
{
    (void)state;
    static const struct {
        const char *state, *event, *next; /* next NULL: refused */
    } cells[] = {
        {"closed", "open", "open"}, {"closed", "close", NULL}, {"closed", "lock", "locked"},
        {"closed", "unlock", NULL}, {"open", "open", NULL},    {"open", "close", "closed"},
        {"open", "lock", NULL},     {"open", "unlock", NULL},  {"locked", "open", NULL},
        {"locked", "close", NULL},  {"locked", "lock", NULL},  {"locked", "unlock", "closed"},
    };
    assert_int_equal(sizeof cells / sizeof cells[0], NSTATES * NEVENTS);
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        int s = gy_machine_state_of(&s_door, cells[i].state);
        int e = gy_machine_event_of(&s_door, cells[i].event);
        assert_true(s >= 0 && e >= 0);
        int next = gy_machine_next(&s_door, s, e);
        if (cells[i].next)
            assert_string_equal(gy_machine_state_name(&s_door, next), cells[i].next);
        else
            assert_int_equal(next, GY_MACHINE_REFUSED);
    }
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(gy_machine_state_of(&s_door, "locked"), LOCKED);
    assert_int_equal(gy_machine_state_of(&s_door, "ajar"), -1);
    assert_int_equal(gy_machine_state_of(&s_door, NULL), -1);
    assert_int_equal(gy_machine_event_of(&s_door, "unlock"), UNLOCK_IT);
    assert_int_equal(gy_machine_event_of(&s_door, "kick"), -1);
    assert_string_equal(gy_machine_event_name(&s_door, LOCK_IT), "lock");
}

static void test_allowed_and_refusal(void **state)
{
    (void)state;
    char buf[200];
    assert_int_equal(gy_machine_allowed(&s_door, CLOSED, buf, sizeof buf), 2);
    assert_string_equal(buf, "open, lock");
    assert_int_equal(gy_machine_allowed(&s_door, OPEN, buf, sizeof buf), 1);
    assert_string_equal(buf, "close");
    /* Cut at a name boundary, never inside a name. */
    assert_int_equal(gy_machine_allowed(&s_door, CLOSED, buf, 8), 2);
    assert_string_equal(buf, "open");
    gy_machine_refusal(&s_door, LOCKED, OPEN_IT, buf, sizeof buf);
    assert_string_equal(buf, "the door is locked; open is not allowed (allowed: unlock)");
}

static void test_final_state(void **state)
{
    (void)state;
    static const int table[1][1] = {{GY_MACHINE_REFUSED}};
    static const char *const states[] = {"done"};
    static const char *const events[] = {"poke"};
    static const gy_machine_t m = {"job", states, 1, events, 1, &table[0][0]};
    char buf[100];
    assert_int_equal(gy_machine_allowed(&m, 0, buf, sizeof buf), 0);
    assert_string_equal(buf, "none");
    gy_machine_refusal(&m, 0, 0, buf, sizeof buf);
    assert_string_equal(buf, "the job is done; poke is not allowed (allowed: none)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cell),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_allowed_and_refusal),
        cmocka_unit_test(test_final_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
