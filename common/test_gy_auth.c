/*  test_gy_auth — the guard: who may pass a route, by role, subject and
 *  scope; the console's session cookie read from a Cookie header, the
 *  rule that asks a change made with it for X-Gongyi-Console, and both
 *  applied to requests through a real gy_http server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_auth.h"
#include "gy_util.h"
#include "test_http.h"

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

/*  ---- the session cookie ---- */

static void s_cookie(const char *header, gy_cookie_status_t expected, const char *value)
{
    char out[32] = "untouched";
    assert_int_equal(gy_auth_cookie_find(header, "gy_session", out, sizeof out), expected);
    if (expected == GY_COOKIE_FOUND)
        assert_string_equal(out, value);
}

static void test_cookie_found_among_others(void **state)
{
    s_cookie("gy_session=gy1.a.b", GY_COOKIE_FOUND, "gy1.a.b");
    s_cookie("theme=dark; gy_session=gy1.a.b; lang=zh-CN", GY_COOKIE_FOUND, "gy1.a.b");
    s_cookie("theme=dark;gy_session=gy1.a.b", GY_COOKIE_FOUND, "gy1.a.b");
    s_cookie("  gy_session \t=  gy1.a.b  ;x=1", GY_COOKIE_FOUND, "gy1.a.b");
    s_cookie("gy_session=\"gy1.a.b\"", GY_COOKIE_FOUND, "gy1.a.b"); /* RFC 6265 quotes */
    s_cookie("a=b=c; gy_session=v=w", GY_COOKIE_FOUND, "v=w");      /* the first = splits */
    s_cookie("flag; gy_session=x;", GY_COOKIE_FOUND, "x");          /* no "=": skipped */
}

static void test_cookie_name_matched_exactly(void **state)
{
    s_cookie(NULL, GY_COOKIE_ABSENT, NULL);
    s_cookie("", GY_COOKIE_ABSENT, NULL);
    s_cookie("GY_SESSION=x", GY_COOKIE_ABSENT, NULL);
    s_cookie("gy_session2=x; my_gy_session=y; gy_sessio=z", GY_COOKIE_ABSENT, NULL);
    s_cookie("other=gy_session=x", GY_COOKIE_ABSENT, NULL); /* a value, not a name */
    s_cookie("gy_session", GY_COOKIE_ABSENT, NULL);
    /*  Empty: a deleted cookie (Max-Age=0) some client still sends. */
    s_cookie("gy_session=", GY_COOKIE_ABSENT, NULL);
    s_cookie("gy_session=\"\"; a=1", GY_COOKIE_ABSENT, NULL);
    s_cookie("gy_session=; gy_session=x", GY_COOKIE_FOUND, "x");
}

static void test_cookie_refused(void **state)
{
    /*  Two with a value: one was planted, and neither is taken. */
    s_cookie("gy_session=a; gy_session=b", GY_COOKIE_SEVERAL, NULL);
    s_cookie("gy_session=a; x=1; gy_session=a", GY_COOKIE_SEVERAL, NULL);
    s_cookie("gy_session=0123456789012345678901234567890123456789", GY_COOKIE_TOO_LONG, NULL);
    char exact[32];
    assert_int_equal(gy_auth_cookie_find("gy_session=0123456789abcdefghijklmnopqrstu", "gy_session",
                                         exact, sizeof exact),
                     GY_COOKIE_FOUND); /* 31 characters and the NUL */
}

/*  Only a method that changes nothing goes without the header; the
 *  header's value is "1" and nothing else. */
static void test_csrf_rule(void **state)
{
    assert_true(gy_auth_csrf_passes("GET", NULL));
    assert_true(gy_auth_csrf_passes("HEAD", NULL));
    assert_true(gy_auth_csrf_passes("OPTIONS", NULL));
    static const char *const unsafe[] = {"POST", "PUT", "PATCH", "DELETE", NULL};
    for (const char *const *m = unsafe; *m; m++) {
        assert_false(gy_auth_csrf_passes(*m, NULL));
        assert_false(gy_auth_csrf_passes(*m, ""));
        assert_false(gy_auth_csrf_passes(*m, "0"));
        assert_false(gy_auth_csrf_passes(*m, "true"));
        assert_true(gy_auth_csrf_passes(*m, "1"));
    }
}

static void test_cookie_line(void **state)
{
    char *line = gy_auth_cookie_line("gy1.ab-c.d_e", 3600, false);
    assert_string_equal(line, "Set-Cookie: gy_session=gy1.ab-c.d_e; Path=/api/; HttpOnly; "
                              "SameSite=Strict; Max-Age=3600\r\n");
    free(line);
    line = gy_auth_cookie_line("", 0, true);
    assert_string_equal(line, "Set-Cookie: gy_session=; Path=/api/; HttpOnly; SameSite=Strict; "
                              "Max-Age=0; Secure\r\n");
    free(line);
}

/*  ---- applied to requests, through a real server ---- */

typedef struct {
    test_http_t http;
    uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES];
    uint8_t sk[GY_TOKEN_SECRET_KEY_BYTES];
} s_fixture_t;

/*  /logout acts on the cookie without verifying it; any other path answers
 *  who the caller is. */
static void s_handler(gy_http_request_t *req, void *arg)
{
    s_fixture_t *fx = arg;
    if (strcmp(gy_http_path(req), "/logout") == 0) {
        if (gy_auth_csrf_check(req) == 0)
            gy_http_respond(req, 204, NULL, NULL, "", 0);
        return;
    }
    gy_token_claims_t claims;
    switch (gy_auth_bearer(req, fx->pk, &claims)) {
    case GY_AUTH_OK: gy_reply_json(req, 200, json_pack("{s:s}", "sub", claims.sub)); break;
    case GY_AUTH_NONE: gy_reply_json(req, 200, json_pack("{s:s}", "sub", "anonymous")); break;
    case GY_AUTH_ANSWERED: break;
    }
}

static int s_setup(void **state)
{
    s_fixture_t *fx = gy_calloc(1, sizeof *fx);
    gy_token_keygen(fx->pk, fx->sk);
    test_http_start(&fx->http, s_handler, fx);
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    test_http_stop(&fx->http);
    free(fx);
    return 0;
}

static char *s_token(s_fixture_t *fx, const char *sub, int64_t ttl_s)
{
    gy_token_claims_t c = s_claims(sub, "volunteer", "321112");
    c.iat = gy_now_ms() / 1000;
    c.exp = c.iat + ttl_s;
    return gy_token_issue(fx->sk, &c);
}

/*  method path, then header lines ("Name: value\r\n" each); the answer. */
static char *s_ask(s_fixture_t *fx, const char *method, const char *path, const char *headers)
{
    char *request = gy_sprintf("%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                               "Content-Length: 0\r\n%s\r\n",
                               method, path, headers);
    char *answer = test_http_exchange(&fx->http, request);
    free(request);
    return answer;
}

static void s_expect(char *answer, const char *status, const char *fragment)
{
    assert_non_null(strstr(answer, status));
    assert_non_null(strstr(answer, fragment));
    free(answer);
}

static void test_cookie_authenticates(void **state)
{
    s_fixture_t *fx = *state;
    char *tok = s_token(fx, "v1", 3600);
    char *cookie = gy_sprintf("Cookie: theme=dark; gy_session=%s\r\n", tok);
    s_expect(s_ask(fx, "GET", "/me", cookie), "HTTP/1.1 200 ", "{\"sub\":\"v1\"}");
    s_expect(s_ask(fx, "GET", "/me", "Cookie: theme=dark\r\n"), "HTTP/1.1 200 ",
             "{\"sub\":\"anonymous\"}");
    free(cookie);
    free(tok);
}

static void test_a_change_with_the_cookie_needs_the_header(void **state)
{
    s_fixture_t *fx = *state;
    char *tok = s_token(fx, "v1", 3600);
    char *cookie = gy_sprintf("Cookie: gy_session=%s\r\n", tok);
    static const char *const unsafe[] = {"POST", "PUT", "PATCH", "DELETE", NULL};
    for (const char *const *m = unsafe; *m; m++) {
        s_expect(s_ask(fx, *m, "/act", cookie), "HTTP/1.1 403 ",
                 "{\"error\":{\"code\":\"csrf_header_missing\",");
        char *with = gy_sprintf("%sX-Gongyi-Console: 1\r\n", cookie);
        s_expect(s_ask(fx, *m, "/act", with), "HTTP/1.1 200 ", "{\"sub\":\"v1\"}");
        free(with);
    }
    s_expect(s_ask(fx, "POST", "/act", cookie), "HTTP/1.1 403 ",
             "\"field\":\"X-Gongyi-Console\"}}");
    char *wrong = gy_sprintf("%sX-Gongyi-Console: yes\r\n", cookie);
    s_expect(s_ask(fx, "POST", "/act", wrong), "HTTP/1.1 403 ", "csrf_header_missing");
    free(wrong);

    /*  A bearer header is not the browser's session: no header needed,
     *  whatever cookie rides along. */
    char *bearer = gy_sprintf("Authorization: Bearer %s\r\nCookie: gy_session=junk\r\n", tok);
    s_expect(s_ask(fx, "POST", "/act", bearer), "HTTP/1.1 200 ", "{\"sub\":\"v1\"}");
    free(bearer);
    free(cookie);
    free(tok);
}

static void test_a_bad_cookie_is_an_invalid_token(void **state)
{
    s_fixture_t *fx = *state;
    const char *field = "\"field\":\"Cookie\"}}";
    s_expect(s_ask(fx, "GET", "/me", "Cookie: gy_session=gy1.not.valid\r\n"), "HTTP/1.1 401 ",
             field);
    /*  The token is judged before the header is asked for: a stale
     *  session is told to log in again. */
    s_expect(s_ask(fx, "POST", "/act", "Cookie: gy_session=gy1.not.valid\r\n"), "HTTP/1.1 401 ",
             "\"code\":\"invalid_token\"");
    char *expired = s_token(fx, "v1", -1);
    char *cookie = gy_sprintf("Cookie: gy_session=%s\r\n", expired);
    s_expect(s_ask(fx, "GET", "/me", cookie), "HTTP/1.1 401 ", "has expired");
    free(cookie);
    free(expired);
    char *tok = s_token(fx, "v1", 3600);
    cookie = gy_sprintf("Cookie: gy_session=%s; gy_session=%s\r\n", tok, tok);
    s_expect(s_ask(fx, "GET", "/me", cookie), "HTTP/1.1 401 ", "more than one gy_session");
    free(cookie);
    free(tok);
    char *long_cookie = gy_sprintf("Cookie: gy_session=gy1.%02100d\r\n", 0);
    s_expect(s_ask(fx, "GET", "/me", long_cookie), "HTTP/1.1 401 ", field);
    free(long_cookie);
}

/*  Logging out reads no token, yet a cookie (even a bad one) makes it a
 *  change made with the session. */
static void test_csrf_check_without_verifying(void **state)
{
    s_fixture_t *fx = *state;
    s_expect(s_ask(fx, "DELETE", "/logout", "Cookie: gy_session=stale\r\n"), "HTTP/1.1 403 ",
             "csrf_header_missing");
    s_expect(s_ask(fx, "DELETE", "/logout", "Cookie: gy_session=stale\r\nX-Gongyi-Console: 1\r\n"),
             "HTTP/1.1 204 ", "\r\n\r\n");
    s_expect(s_ask(fx, "DELETE", "/logout", ""), "HTTP/1.1 204 ", "\r\n\r\n");
    s_expect(s_ask(fx, "DELETE", "/logout", "Authorization: Bearer x\r\nCookie: gy_session=s\r\n"),
             "HTTP/1.1 204 ", "\r\n\r\n");
}

int main(void)
{
    gy_log_init("test_gy_auth", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_and_scope_pass),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_subject_id),
        cmocka_unit_test(test_cookie_found_among_others),
        cmocka_unit_test(test_cookie_name_matched_exactly),
        cmocka_unit_test(test_cookie_refused),
        cmocka_unit_test(test_csrf_rule),
        cmocka_unit_test(test_cookie_line),
        cmocka_unit_test_setup_teardown(test_cookie_authenticates, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_a_change_with_the_cookie_needs_the_header, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_a_bad_cookie_is_an_invalid_token, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_csrf_check_without_verifying, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
