/*  test_gy_config — settings read from the environment: a malformed value
 *  is an error, never a guess. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>

#include "gy_config.h"
#include "gy_util.h"

static void test_switch(void **state)
{
    bool on = true;
    unsetenv("GY_TEST_SWITCH");
    assert_int_equal(gy_config_switch("GY_TEST_SWITCH", false, &on), 0);
    assert_false(on);
    assert_int_equal(gy_config_switch("GY_TEST_SWITCH", true, &on), 0);
    assert_true(on);
    setenv("GY_TEST_SWITCH", "", 1); /* empty is unset */
    assert_int_equal(gy_config_switch("GY_TEST_SWITCH", true, &on), 0);
    assert_true(on);
    setenv("GY_TEST_SWITCH", "off", 1);
    assert_int_equal(gy_config_switch("GY_TEST_SWITCH", true, &on), 0);
    assert_false(on);
    setenv("GY_TEST_SWITCH", "on", 1);
    assert_int_equal(gy_config_switch("GY_TEST_SWITCH", false, &on), 0);
    assert_true(on);
    static const char *const bad[] = {"On", "yes", "1", "true", "on ", NULL};
    for (const char *const *v = bad; *v; v++) {
        setenv("GY_TEST_SWITCH", *v, 1);
        on = true;
        assert_int_equal(gy_config_switch("GY_TEST_SWITCH", false, &on), -1);
        assert_true(on); /* untouched */
    }
    unsetenv("GY_TEST_SWITCH");
}

static void test_int(void **state)
{
    int64_t n = 0;
    unsetenv("GY_TEST_INT");
    assert_int_equal(gy_config_int("GY_TEST_INT", 7, 1, 9, &n), 0);
    assert_int_equal(n, 7);
    setenv("GY_TEST_INT", "9", 1);
    assert_int_equal(gy_config_int("GY_TEST_INT", 7, 1, 9, &n), 0);
    assert_int_equal(n, 9);
    static const char *const bad[] = {"10", "0", "x", "5x", NULL};
    for (const char *const *v = bad; *v; v++) {
        setenv("GY_TEST_INT", *v, 1);
        assert_int_equal(gy_config_int("GY_TEST_INT", 7, 1, 9, &n), -1);
    }
    unsetenv("GY_TEST_INT");
}

int main(void)
{
    gy_log_init("test_gy_config", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switch),
        cmocka_unit_test(test_int),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
