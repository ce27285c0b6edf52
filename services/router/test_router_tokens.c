/*  test_router_tokens — what an administrator's request for a token must
 *  look like (POST /api/v1/tokens), who it may be for, and the claims of
 *  the token it asks for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gy_refdata.h"
#include "gy_util.h"
#include "router_tokens.h"

static gy_refdata_t *s_ref;

static int s_setup(void **state)
{
    (void)state;
    s_ref = gy_refdata_new(GY_DEFAULT_REFDATA_DIR);
    return s_ref ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    gy_refdata_destroy(&s_ref);
    return 0;
}

/*  Parses body for an administrator whose scope prefix is prefix. */
static int s_parse(const char *body, const char *prefix, router_token_request_t *tr,
                   gy_error_t *err)
{
    return router_token_request_parse(tr, body, strlen(body), s_ref, prefix, err);
}

/*  A refusal: status, code and field as the API answers them. */
static void s_refused(const char *body, const char *prefix, int status, const char *code,
                      const char *field)
{
    router_token_request_t tr;
    gy_error_t err;
    if (s_parse(body, prefix, &tr, &err) == 0)
        fail_msg("accepted: %s", body);
    if (err.http_status != status || strcmp(err.code, code) != 0 || strcmp(err.field, field) != 0)
        fail_msg("%s: %d %s %s, wanted %d %s %s", body, err.http_status, err.code, err.field,
                 status, code, field);
    assert_null(tr.purpose); /* nothing to free after a refusal */
}

static void test_request_accepted(void **state)
{
    (void)state;
    router_token_request_t tr;
    gy_error_t err;
    /*  A city's administrator (大同市, prefix 1402) for one of its counties. */
    assert_int_equal(s_parse("{\"sub\":\"zhang.san\",\"role\":\"prosecutor\",\"proc\":\"140213\","
                             "\"ttl_days\":90,\"purpose\":\"平城区检察院公益诉讼检察官张三。\\n"
                             "办案使用。\"}",
                             "1402", &tr, &err),
                     0);
    assert_string_equal(tr.sub, "zhang.san");
    assert_string_equal(tr.role, "prosecutor");
    assert_string_equal(tr.proc, "140213");
    assert_int_equal(tr.ttl_days, 90);
    assert_string_equal(tr.purpose, "平城区检察院公益诉讼检察官张三。\n办案使用。");
    router_token_request_clear(&tr);
    assert_null(tr.purpose);

    /*  Without ttl_days: 30 days.  The city itself, and an integrator. */
    assert_int_equal(s_parse("{\"sub\":\"hotline-12345\",\"role\":\"integrator\",\"proc\":"
                             "\"140200\",\"purpose\":\"12345 热线\",\"ttl_days\":null}",
                             "1402", &tr, &err),
                     0);
    assert_int_equal(tr.ttl_days, ROUTER_TOKEN_DAYS_DEFAULT);
    router_token_request_clear(&tr);

    /*  The bounds: 64 characters of sub, 1 and 366 days, 500 characters of
     *  purpose (counted in characters, not bytes). */
    char body[4096];
    char purpose[1501] = "";
    for (int i = 0; i < 500; i++)
        strcat(purpose, "证");
    snprintf(body, sizeof body,
             "{\"sub\":\"%064d\",\"role\":\"admin\",\"proc\":\"140213\",\"ttl_days\":366,"
             "\"purpose\":\"%s\"}",
             7, purpose);
    assert_int_equal(s_parse(body, "140213", &tr, &err), 0);
    assert_int_equal(strlen(tr.sub), 64);
    assert_int_equal(tr.ttl_days, 366);
    router_token_request_clear(&tr);
    assert_int_equal(s_parse("{\"sub\":\"a\",\"role\":\"chief_prosecutor\",\"proc\":\"140000\","
                             "\"ttl_days\":1,\"purpose\":\"x\"}",
                             "14", &tr, &err),
                     0);
    router_token_request_clear(&tr);
}

static void test_request_refused(void **state)
{
    (void)state;
#define GOOD_REST "\"proc\":\"140213\",\"purpose\":\"办案\""
    /*  The body. */
    s_refused("[]", "1402", 400, "malformed_json", "");
    s_refused("{\"sub\":\"a\",\"role\":\"prosecutor\"," GOOD_REST ",\"ttl\":3600}", "1402", 400,
              "unknown_property", "ttl");
    /*  sub: present, a string, 1-64 printable ASCII without blanks. */
    s_refused("{\"role\":\"prosecutor\"," GOOD_REST "}", "1402", 400, "missing_field", "sub");
    s_refused("{\"sub\":7,\"role\":\"prosecutor\"," GOOD_REST "}", "1402", 400, "invalid_type",
              "sub");
    s_refused("{\"sub\":\"\",\"role\":\"prosecutor\"," GOOD_REST "}", "1402", 400, "invalid_value",
              "sub");
    s_refused("{\"sub\":\"zhang san\",\"role\":\"prosecutor\"," GOOD_REST "}", "1402", 400,
              "invalid_value", "sub");
    s_refused("{\"sub\":\"张三\",\"role\":\"prosecutor\"," GOOD_REST "}", "1402", 400,
              "invalid_value", "sub");
    char body[256];
    snprintf(body, sizeof body, "{\"sub\":\"%065d\",\"role\":\"prosecutor\"," GOOD_REST "}", 7);
    s_refused(body, "1402", 400, "too_long", "sub");
    /*  role: a staff or integrator role; never a volunteer's. */
    s_refused("{\"sub\":\"a\"," GOOD_REST "}", "1402", 400, "missing_field", "role");
    s_refused("{\"sub\":\"a\",\"role\":\"volunteer\"," GOOD_REST "}", "1402", 400, "invalid_value",
              "role");
    s_refused("{\"sub\":\"a\",\"role\":\"root\"," GOOD_REST "}", "1402", 400, "invalid_value",
              "role");
    /*  proc: six digits, in the reference data, within the scope. */
#define GOOD_HEAD "{\"sub\":\"a\",\"role\":\"prosecutor\",\"purpose\":\"办案\","
    s_refused(GOOD_HEAD "\"proc\":\"14021\"}", "1402", 400, "invalid_value", "proc");
    s_refused(GOOD_HEAD "\"proc\":\"14021x\"}", "1402", 400, "invalid_value", "proc");
    s_refused(GOOD_HEAD "\"proc\":\"1402130\"}", "1402", 400, "too_long", "proc");
    s_refused(GOOD_HEAD "\"proc\":\"140299\"}", "1402", 422, "unknown_region_code", "proc");
    s_refused(GOOD_HEAD "\"proc\":\"140105\"}", "1402", 403, "forbidden", "proc");
    /*  A county's administrator: not the city above, not a sister county. */
    s_refused(GOOD_HEAD "\"proc\":\"140200\"}", "140213", 403, "forbidden", "proc");
    s_refused(GOOD_HEAD "\"proc\":\"140212\"}", "140213", 403, "forbidden", "proc");
    /*  ttl_days: a whole number of days, 1 to 366. */
    s_refused(GOOD_HEAD "\"proc\":\"140213\",\"ttl_days\":0}", "1402", 400, "invalid_value",
              "ttl_days");
    s_refused(GOOD_HEAD "\"proc\":\"140213\",\"ttl_days\":367}", "1402", 400, "invalid_value",
              "ttl_days");
    s_refused(GOOD_HEAD "\"proc\":\"140213\",\"ttl_days\":1.5}", "1402", 400, "invalid_type",
              "ttl_days");
    s_refused(GOOD_HEAD "\"proc\":\"140213\",\"ttl_days\":\"30\"}", "1402", 400, "invalid_type",
              "ttl_days");
    /*  purpose: required, 1-500 characters. */
    s_refused("{\"sub\":\"a\",\"role\":\"prosecutor\",\"proc\":\"140213\"}", "1402", 400,
              "missing_field", "purpose");
    s_refused("{\"sub\":\"a\",\"role\":\"prosecutor\",\"proc\":\"140213\",\"purpose\":\"\"}",
              "1402", 400, "invalid_value", "purpose");
    char purpose[1600] = "";
    for (int i = 0; i < 501; i++)
        strcat(purpose, "证");
    char long_body[2048];
    snprintf(long_body, sizeof long_body,
             "{\"sub\":\"a\",\"role\":\"prosecutor\",\"proc\":\"140213\",\"purpose\":\"%s\"}",
             purpose);
    s_refused(long_body, "1402", 400, "too_long", "purpose");
#undef GOOD_HEAD
#undef GOOD_REST
}

static void test_roles(void **state)
{
    (void)state;
    assert_true(router_token_role_issuable("prosecutor"));
    assert_true(router_token_role_issuable("chief_prosecutor"));
    assert_true(router_token_role_issuable("admin"));
    assert_true(router_token_role_issuable("integrator"));
    assert_false(router_token_role_issuable("volunteer"));
    assert_false(router_token_role_issuable("Admin"));
    assert_false(router_token_role_issuable(""));
}

static void test_claims(void **state)
{
    (void)state;
    router_token_request_t tr;
    gy_error_t err;
    assert_int_equal(s_parse("{\"sub\":\"li.si\",\"role\":\"chief_prosecutor\",\"proc\":"
                             "\"140213\",\"ttl_days\":30,\"purpose\":\"检察长\"}",
                             "1402", &tr, &err),
                     0);
    gy_token_claims_t claims;
    /*  2026-03-01T00:00:00+08:00: 30 days on is 2026-03-31 at the same hour. */
    router_token_claims(&tr, INT64_C(1772294400), &claims);
    assert_string_equal(claims.sub, "li.si");
    assert_string_equal(claims.role, "chief_prosecutor");
    assert_string_equal(claims.proc, "140213");
    assert_int_equal(claims.iat, INT64_C(1772294400));
    assert_int_equal(claims.exp, INT64_C(1772294400) + INT64_C(30) * 86400);
    router_token_request_clear(&tr);
}

int main(void)
{
    gy_log_init("test_router_tokens", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_accepted),
        cmocka_unit_test(test_request_refused),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_claims),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
