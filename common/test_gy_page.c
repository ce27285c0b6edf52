/*  test_gy_page — the query of a keyset list and its cursor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <string.h>

#include "gy_page.h"
#include "gy_util.h"

static const char *const s_statuses[] = {"applied", "appointed", NULL};
static const gy_page_spec_t s_spec = {"status", s_statuses, 20, 100};
static const char s_id[] = "0b6b3c1e-8f55-4f27-9d43-3c8e2d0f6a11";

static void test_defaults(void **state)
{
    gy_page_t page;
    gy_error_t err;
    assert_int_equal(gy_page_parse(&s_spec, "", &page, &err), 0);
    assert_int_equal(page.limit, 20);
    assert_string_equal(page.limit_text, "20");
    assert_false(page.has_after);
    assert_string_equal(page.filter, "");

    static const gy_page_spec_t bare = {NULL, NULL, 0, 0};
    assert_int_equal(gy_page_parse(&bare, "limit=100", &page, &err), 0);
    assert_int_equal(page.limit, 100);
}

/*  The next page starts after the cursor the previous one handed out. */
static void test_cursor_round_trip(void **state)
{
    char next[GY_PAGE_CURSOR_MAX];
    gy_page_cursor(1767225600123456, s_id, next);
    assert_string_equal(next, "1767225600123456.0b6b3c1e-8f55-4f27-9d43-3c8e2d0f6a11");
    char query[128];
    snprintf(query, sizeof query, "status=appointed&after=%s&limit=5", next);
    gy_page_t page;
    gy_error_t err;
    assert_int_equal(gy_page_parse(&s_spec, query, &page, &err), 0);
    assert_true(page.has_after);
    assert_string_equal(page.after_us, "1767225600123456");
    assert_string_equal(page.after_id, s_id);
    assert_string_equal(page.filter, "appointed");
    assert_int_equal(page.limit, 5);
}

static void s_refused(const char *query, const char *code, const char *field, const char *message)
{
    gy_page_t page;
    gy_error_t err;
    assert_int_equal(gy_page_parse(&s_spec, query, &page, &err), -1);
    assert_int_equal(err.http_status, 400);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field);
    if (message)
        assert_string_equal(err.message, message);
}

static void test_refusals(void **state)
{
    s_refused("sort=name", "unknown_parameter", "",
              "unknown query parameter (status, after and limit are known)");
    s_refused("status=", "invalid_value", "status", "status is empty or too long");
    s_refused("status=gone", "invalid_value", "status", "status is one of applied, appointed");
    s_refused("limit=0", "invalid_value", "limit", "limit is a number from 1 to 100");
    s_refused("limit=101", "invalid_value", "limit", NULL);
    s_refused("limit=5x", "invalid_value", "limit", NULL);
    s_refused("after=123", "invalid_value", "after", NULL);
    s_refused("after=.0b6b3c1e-8f55-4f27-9d43-3c8e2d0f6a11", "invalid_value", "after", NULL);
    s_refused("after=1x.0b6b3c1e-8f55-4f27-9d43-3c8e2d0f6a11", "invalid_value", "after", NULL);
    s_refused("after=1.not-an-id", "invalid_value", "after", NULL);
    s_refused("after=1234567890123456789.0b6b3c1e-8f55-4f27-9d43-3c8e2d0f6a11", "invalid_value",
              "after", NULL);
}

int main(void)
{
    gy_log_init("test_gy_page", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_cursor_round_trip),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
