/*  test_router_assess — the quorum of the assessors, on fixed cases: wait
 *  while tasks are open and no quorum, a quorum decides, the majority of
 *  what came in decides once nothing is open, a tie goes to review, and
 *  the priority of a clue routed by assessment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "router_assess.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_wait_then_quorum(void **state)
{
    (void)state;
    int priority = -1;
    router_assessment_t one[] = {{"route", 4, 5}};
    assert_int_equal(router_assess_decide(3, one, N(one), 2, 70, &priority), ROUTER_OUTCOME_WAIT);
    router_assessment_t two[] = {{"route", 4, 5}, {"route", 5, 5}};
    assert_int_equal(router_assess_decide(3, two, N(two), 1, 70, &priority), ROUTER_OUTCOME_ROUTE);
    /* 0.5 * 70 + 0.5 * (4.5 + 5) * 10 = 82.5, rounded half up */
    assert_int_equal(priority, 83);
    router_assessment_t rejects[] = {{"reject", 1, 1}, {"reject", 1, 2}};
    assert_int_equal(router_assess_decide(3, rejects, N(rejects), 1, 70, &priority),
                     ROUTER_OUTCOME_REJECT);
    router_assessment_t reviews[] = {{"review", 3, 3}, {"review", 2, 2}};
    assert_int_equal(router_assess_decide(3, reviews, N(reviews), 1, 70, &priority),
                     ROUTER_OUTCOME_REVIEW);
}

static void test_nothing_open(void **state)
{
    (void)state;
    int priority = -1;
    /* a tie, or nothing at all: review */
    router_assessment_t tie[] = {{"route", 3, 3}, {"reject", 1, 1}};
    assert_int_equal(router_assess_decide(3, tie, N(tie), 0, 50, &priority), ROUTER_OUTCOME_REVIEW);
    router_assessment_t three[] = {{"route", 3, 3}, {"reject", 1, 1}, {"review", 2, 2}};
    assert_int_equal(router_assess_decide(3, three, N(three), 0, 50, &priority),
                     ROUTER_OUTCOME_REVIEW);
    assert_int_equal(router_assess_decide(3, NULL, 0, 0, 50, &priority), ROUTER_OUTCOME_REVIEW);
    /* the majority of what came in, without a quorum of 5 / 2 + 1 = 3 */
    router_assessment_t most[] = {{"route", 2, 2}, {"route", 2, 3}, {"reject", 1, 1}};
    assert_int_equal(router_assess_decide(5, most, N(most), 0, 40, &priority),
                     ROUTER_OUTCOME_ROUTE);
    /* 0.5 * 40 + 0.5 * (5 / 3 + 6 / 3) * 10 = 38.33 */
    assert_int_equal(priority, 38);
    /* but with a task still open it waits */
    assert_int_equal(router_assess_decide(5, most, N(most), 1, 40, &priority), ROUTER_OUTCOME_WAIT);
}

static void test_ties_and_caps(void **state)
{
    (void)state;
    int priority = -1;
    /* k = 1: one assessment is a quorum; equal counts are broken by name
     * (reject, review, route), as the first version did */
    router_assessment_t one_each[] = {{"route", 5, 5}, {"reject", 1, 1}};
    assert_int_equal(router_assess_decide(1, one_each, N(one_each), 0, 50, &priority),
                     ROUTER_OUTCOME_REJECT);
    router_assessment_t top[] = {{"route", 5, 5}, {"route", 5, 5}};
    assert_int_equal(router_assess_decide(3, top, N(top), 0, 100, &priority), ROUTER_OUTCOME_ROUTE);
    assert_int_equal(priority, 100);
    assert_null(router_outcome_name(ROUTER_OUTCOME_WAIT));
    assert_string_equal(router_outcome_name(ROUTER_OUTCOME_REVIEW), "review");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_then_quorum),
        cmocka_unit_test(test_nothing_open),
        cmocka_unit_test(test_ties_and_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
