/*  test_gy_auth — the guard: who may pass a route, by role, subject and
 *  scope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gy_auth.h"
#include "gy_util.h"

static const char *const s_handlers[] = {"prosecutor", "chief_prosecutor", NULL};
static const gy_guard_t s_prosecutors = {s_handlers, true, false,
                                         "only a prosecutor may handle clues"};
static const char *const s_volunteers[] = {"volunteer", NULL};
static const gy_guard_t s_volunteer = {s_volunteers, false, true,
                                       "only a volunteer has assessment tasks"};

static gy_token_claims_t s_claims(const char *sub, const char *role, const char *proc)
{
    gy_token_claims_t c = {0};
    snprintf(c.sub, sizeof c.sub, "%s", sub);
    snprintf(c.role, sizeof c.role, "%s", role);
    snprintf(c.proc, sizeof c.proc, "%s", proc);
    return c;
}

static void test_role_and_scope_pass(void **state)
{
    char prefix[7];
    gy_error_t err;
    gy_token_claims_t c = s_claims("u1", "chief_prosecutor", "140200");
    assert_int_equal(gy_guard_check(&s_prosecutors, &c, prefix, &err), 0);
    assert_string_equal(prefix, "1402");
    c = s_claims("u1", "prosecutor", "140213");
    assert_int_equal(gy_guard_check(&s_prosecutors, &c, prefix, &err), 0);
    assert_string_equal(prefix, "140213");
}

static void s_forbidden(const gy_guard_t *guard, gy_token_claims_t c)
{
    char prefix[7];
    gy_error_t err;
    assert_int_equal(gy_guard_check(guard, &c, prefix, &err), -1);
    assert_int_equal(err.http_status, 403);
    assert_string_equal(err.code, "forbidden");
    assert_string_equal(err.message, guard->forbidden);
}

static void test_refusals(void **state)
{
    s_forbidden(&s_prosecutors, s_claims("u1", "admin", "140200"));
    s_forbidden(&s_prosecutors, s_claims("u1", "volunteer", "140200"));
    s_forbidden(&s_prosecutors, s_claims("u1", "prosecutor", ""));      /* no scope */
    s_forbidden(&s_prosecutors, s_claims("u1", "prosecutor", "14020")); /* not a code */
    s_forbidden(&s_volunteer, s_claims("not-a-registry-id", "volunteer", ""));
    s_forbidden(&s_volunteer, s_claims("0b6b3c1e-8f55-4f27-9d43-3c8e2d0f6a11", "integrator", ""));
}

static void test_subject_id(void **state)
{
    gy_error_t err;
    gy_token_claims_t c = s_claims("0b6b3c1e-8f55-4f27-9d43-3c8e2d0f6a11", "volunteer", "");
    assert_int_equal(gy_guard_check(&s_volunteer, &c, NULL, &err), 0);
}

int main(void)
{
    gy_log_init("test_gy_auth", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_and_scope_pass),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_subject_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
