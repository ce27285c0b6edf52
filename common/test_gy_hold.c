/*  test_gy_hold — an owner that outlives the callbacks it is waiting for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>

#include "gy_hold.h"
#include "gy_util.h"

typedef struct {
    gy_holds_t holds;
    int *freed;
} s_api_t;

static void s_free_api(void *owner)
{
    s_api_t *api = owner;
    (*api->freed)++;
    free(api);
}

static s_api_t *s_api_new(int *freed)
{
    s_api_t *api = gy_calloc(1, sizeof *api);
    api->freed = freed;
    gy_holds_init(&api->holds, s_free_api, api);
    return api;
}

static void test_stop_without_holds_frees_at_once(void **state)
{
    int freed = 0;
    s_api_t *api = s_api_new(&freed);
    gy_holds_stop(&api->holds);
    assert_int_equal(freed, 1);
}

static void test_callbacks_before_stop_go_on(void **state)
{
    int freed = 0;
    s_api_t *api = s_api_new(&freed);
    gy_hold(&api->holds);
    assert_false(gy_hold_gone(&api->holds, NULL));
    gy_holds_stop(&api->holds);
    assert_int_equal(freed, 1);
}

/*  Two callbacks outstanding at stop: each learns it is too late, and the
 *  second frees the owner. */
static void test_last_callback_after_stop_frees(void **state)
{
    int freed = 0;
    s_api_t *api = s_api_new(&freed);
    gy_hold(&api->holds);
    gy_hold(&api->holds);
    gy_holds_stop(&api->holds);
    assert_int_equal(freed, 0);
    assert_true(gy_hold_gone(&api->holds, NULL));
    assert_int_equal(freed, 0);
    assert_true(gy_hold_gone(&api->holds, NULL));
    assert_int_equal(freed, 1);
}

int main(void)
{
    gy_log_init("test_gy_hold", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_without_holds_frees_at_once),
        cmocka_unit_test(test_callbacks_before_stop_go_on),
        cmocka_unit_test(test_last_callback_after_stop_frees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
