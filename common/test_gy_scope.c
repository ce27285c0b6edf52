/*  test_gy_scope — the scope rule, as a caller uses it: the prefix a
 *  token's procuratorate gets, and which codes fall within it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdbool.h>

#include "gy_scope.h"

static bool s_within(const char *caller, const char *code)
{
    char prefix[7];
    if (gy_scope_prefix(caller, prefix) < 0)
        return false;
    return gy_scope_within(code, prefix);
}

static void test_levels(void **state)
{
    (void)state;
    char prefix[7];
    assert_int_equal(gy_scope_prefix("320000", prefix), 0);
    assert_string_equal(prefix, "32"); /* province */
    assert_int_equal(gy_scope_prefix("321100", prefix), 0);
    assert_string_equal(prefix, "3211"); /* city */
    assert_int_equal(gy_scope_prefix("321112", prefix), 0);
    assert_string_equal(prefix, "321112"); /* county */
    /*  A county-level code ending in 00 below a city is still a city code
     *  by shape: the rule is about the code, not the reference data. */
    assert_int_equal(gy_scope_prefix("140200", prefix), 0);
    assert_string_equal(prefix, "1402");
    /*  "000000" (the supreme procuratorate's placeholder) sees "00" only:
     *  nobody gets an empty prefix that would match everything. */
    assert_int_equal(gy_scope_prefix("000000", prefix), 0);
    assert_string_equal(prefix, "00");
}

static void test_within(void **state)
{
    (void)state;
    /*  A county sees its own; a city its counties; a province its cities. */
    assert_true(s_within("321112", "321112"));
    assert_false(s_within("321112", "321111"));
    assert_false(s_within("321112", "321100"));
    assert_true(s_within("321100", "321112"));
    assert_true(s_within("321100", "321100"));
    assert_false(s_within("321100", "140213"));
    assert_true(s_within("320000", "321112"));
    assert_false(s_within("320000", "140200"));
    /*  Another city of the same province, and its county: a city that
     *  could see its whole province would pass the checks above, which
     *  only look at another province. */
    assert_false(s_within("140200", "140100"));
    assert_false(s_within("140200", "140105"));
    assert_false(s_within("321100", "320500"));
    assert_false(s_within("140213", "140105"));
}

static void test_not_a_code(void **state)
{
    (void)state;
    const char *bad[] = {NULL,     "",       "32111",        "3211120", "32111x",
                         " 32111", "32 112", "３２１１１２", "-32111",  "+32111"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char prefix[7] = "keep";
        assert_int_equal(gy_scope_prefix(bad[i], prefix), -1);
        assert_string_equal(prefix, "keep");
        assert_false(gy_scope_code_valid(bad[i]));
    }
    assert_true(gy_scope_code_valid("140213"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_within),
        cmocka_unit_test(test_not_a_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
