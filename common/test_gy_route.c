/*  test_gy_route — the route table, as a service declares and uses it.
 *
 *  The lookups are pure (gy_route_find); the answers (404, 405 with Allow,
 *  HEAD, OPTIONS, the JSON helpers) are read back from a real gy_http
 *  server by a blocking client socket in the same thread, while the loop
 *  runs in small steps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_route.h"
#include "gy_util.h"
#include "test_http.h"

/*  ---- a service's table ---- */

static void s_clue(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    (void)arg;
    gy_reply_json(req, 200, json_pack("{s:s}", "id", gy_route_param(m, "id")));
}

static void s_reporter(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    gy_error_t err;
    gy_error_set(&err, 403, "forbidden", NULL, "not yours: %s", gy_route_param(m, "id"));
    gy_reply_error(req, &err);
}

static void s_submit(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    gy_reply_json(req, 201, json_pack("{s:b}", "stored", 1));
}

static void s_me(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    gy_reply_json(req, 200, json_pack("{s:s}", "who", "me"));
}

static void s_action(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    gy_reply_json(req, 200,
                  json_pack("{s:s,s:s}", "id", gy_route_param(m, "id"), "action",
                            gy_route_param(m, "action")));
}

static const gy_route_t s_routes[] = {
    {"POST", "/api/v1/clues", "clues_submit", s_submit},
    {"GET", "/api/v1/clues/{id}", "clue_get", s_clue},
    {"GET", "/api/v1/clues/{id}/reporter", "clue_reporter", s_reporter},
    {"GET", "/api/v1/volunteers/{id}", "volunteer_get", s_clue},
    {"GET", "/api/v1/volunteers/me", "volunteer_me", s_me},
    {"POST", "/api/v1/volunteers/applications", "volunteer_apply", s_submit},
    {"POST", "/api/v1/volunteers/{id}/{action}", "volunteer_action", s_action},
    {NULL, NULL, NULL, NULL},
};

/*  ---- lookups ---- */

static void test_parameters_by_name(void **state)
{
    gy_route_match_t m;
    assert_int_equal(gy_route_find(s_routes, "GET", "/api/v1/clues/abc/reporter", &m),
                     GY_ROUTE_FOUND);
    assert_string_equal(m.route->name, "clue_reporter");
    assert_string_equal(gy_route_param(&m, "id"), "abc");
    assert_null(gy_route_param(&m, "i"));
    assert_null(gy_route_param(&m, "action"));

    assert_int_equal(gy_route_find(s_routes, "POST", "/api/v1/volunteers/v1/appoint", &m),
                     GY_ROUTE_FOUND);
    assert_string_equal(gy_route_param(&m, "id"), "v1");
    assert_string_equal(gy_route_param(&m, "action"), "appoint");
}

static void test_segments_match_whole(void **state)
{
    gy_route_match_t m;
    assert_int_equal(gy_route_find(s_routes, "GET", "/api/v1/clues/", &m), GY_ROUTE_NOT_FOUND);
    assert_int_equal(gy_route_find(s_routes, "GET", "/api/v1/cluesx/1", &m), GY_ROUTE_NOT_FOUND);
    assert_int_equal(gy_route_find(s_routes, "GET", "/api/v1/clues/1/", &m), GY_ROUTE_NOT_FOUND);
    assert_int_equal(gy_route_find(s_routes, "GET", "/api/v1/clue", &m), GY_ROUTE_NOT_FOUND);
    assert_int_equal(gy_route_find(s_routes, "GET", "/api/v1/clues/a/b/c", &m), GY_ROUTE_NOT_FOUND);
    assert_int_equal(gy_route_find(s_routes, "GET", "/", &m), GY_ROUTE_NOT_FOUND);
}

/*  The most literal pattern wins, whatever the table's order, and only its
 *  methods count. */
static void test_literal_before_parameter(void **state)
{
    gy_route_match_t m;
    assert_int_equal(gy_route_find(s_routes, "GET", "/api/v1/volunteers/me", &m), GY_ROUTE_FOUND);
    assert_string_equal(m.route->name, "volunteer_me");
    assert_int_equal(gy_route_find(s_routes, "GET", "/api/v1/volunteers/v7", &m), GY_ROUTE_FOUND);
    assert_string_equal(m.route->name, "volunteer_get");
    /*  "applications" is a POST route: a GET of it is not a volunteer id. */
    assert_int_equal(gy_route_find(s_routes, "GET", "/api/v1/volunteers/applications", &m),
                     GY_ROUTE_NO_METHOD);
    assert_string_equal(m.allow, "POST");
}

static void test_method_not_allowed_lists_methods(void **state)
{
    gy_route_match_t m;
    assert_int_equal(gy_route_find(s_routes, "DELETE", "/api/v1/clues/1", &m), GY_ROUTE_NO_METHOD);
    assert_string_equal(m.allow, "GET");
    assert_string_equal(m.route->name, "clue_get");
    assert_int_equal(gy_route_find(s_routes, "GET", "/api/v1/clues", &m), GY_ROUTE_NO_METHOD);
    assert_string_equal(m.allow, "POST");
    assert_int_equal(gy_route_find(s_routes, "HEAD", "/api/v1/clues/1", &m), GY_ROUTE_FOUND);
    assert_string_equal(m.route->name, "clue_get");
}

/*  ---- answers, through a real server ---- */

static void s_handler(gy_http_request_t *req, void *arg)
{
    gy_route_dispatch(s_routes, req, arg);
}

static int s_setup(void **state)
{
    test_http_t *http = gy_calloc(1, sizeof *http);
    test_http_start(http, s_handler, NULL);
    *state = http;
    return 0;
}

static int s_teardown(void **state)
{
    test_http_t *http = *state;
    test_http_stop(http);
    free(http);
    return 0;
}

static void test_answers(void **state)
{
    test_http_t *http = *state;
    char *r = test_http_exchange(
        http, "GET /api/v1/clues/c42 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200 "));
    assert_non_null(strstr(r, "\r\n\r\n{\"id\":\"c42\"}"));
    free(r);

    r = test_http_exchange(http,
                           "GET /api/v1/clues/c42/reporter HTTP/1.1\r\nHost: t\r\nConnection: "
                           "close\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 403 "));
    assert_non_null(strstr(r, "{\"error\":{\"code\":\"forbidden\",\"message\":\"not yours: "
                              "c42\",\"field\":null}}"));
    free(r);

    r = test_http_exchange(http, "GET /nowhere HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 404 "));
    assert_non_null(strstr(r, "\"code\":\"not_found\""));
    free(r);

    r = test_http_exchange(http, "PUT /api/v1/clues/c42 HTTP/1.1\r\nHost: t\r\nConnection: "
                                 "close\r\nContent-Length: 0\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 405 "));
    assert_non_null(strstr(r, "\r\nAllow: GET\r\n"));
    assert_non_null(strstr(r, "\"code\":\"method_not_allowed\""));
    free(r);
}

static void test_head_and_options(void **state)
{
    test_http_t *http = *state;
    char *r = test_http_exchange(http, "HEAD /api/v1/clues/c42 HTTP/1.1\r\nHost: t\r\nConnection: "
                                       "close\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200 "));
    assert_non_null(strstr(r, "Content-Length: 12\r\n")); /* GET's length, no body */
    assert_string_equal(strstr(r, "\r\n\r\n"), "\r\n\r\n");
    free(r);

    r = test_http_exchange(
        http, "OPTIONS /api/v1/clues HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 204 "));
    assert_non_null(strstr(r, "\r\nAllow: POST\r\n"));
    free(r);
}

/*  A request body's members: unknown ones named with where they are, and
 *  text checked as every service checks it (characters, not bytes). */
static void test_json_members(void **state)
{
    (void)state;
    gy_error_t err;
    static const char *const names[] = {"reason", "title", NULL};
    json_t *body = json_pack("{s:s, s:i}", "reason", "河道污染", "x\xe6\xb2\xb3", 1);
    assert_int_equal(gy_json_known(body, "", names, &err), -1);
    assert_string_equal(err.code, "unknown_property");
    assert_string_equal(err.field, "x河");
    assert_int_equal(gy_json_known(body, "participants[0]", names, &err), -1);
    assert_string_equal(err.field, "participants[0].x河");
    json_object_del(body, "x\xe6\xb2\xb3");
    assert_int_equal(gy_json_known(body, "", names, &err), 0);

    const char *out = "unset";
    /*  Four characters, twelve bytes: within 1..4. */
    assert_int_equal(
        gy_json_text(json_object_get(body, "reason"), "reason", true, 1, 4, false, &out, &err), 0);
    assert_string_equal(out, "河道污染");
    assert_int_equal(
        gy_json_text(json_object_get(body, "reason"), "reason", true, 1, 3, false, &out, &err), -1);
    assert_string_equal(err.code, "too_long");
    assert_null(out);
    assert_int_equal(
        gy_json_text(json_object_get(body, "title"), "title", false, 1, 9, false, &out, &err), 0);
    assert_null(out); /* absent and optional */
    assert_int_equal(gy_json_text(NULL, "title", true, 1, 9, false, &out, &err), -1);
    assert_string_equal(err.code, "missing_field");
    assert_string_equal(err.field, "title");
    json_t *v = json_integer(3);
    assert_int_equal(gy_json_text(v, "title", true, 1, 9, false, &out, &err), -1);
    assert_string_equal(err.code, "invalid_type");
    json_decref(v);
    v = json_stringn("a\0b", 3);
    assert_int_equal(gy_json_text(v, "title", true, 1, 9, false, &out, &err), -1);
    assert_string_equal(err.code, "invalid_value");
    json_decref(v);
    v = json_string("one\ntwo");
    assert_int_equal(gy_json_text(v, "title", true, 1, 9, false, &out, &err), -1);
    assert_string_equal(err.code, "invalid_value");
    assert_int_equal(gy_json_text(v, "title", true, 1, 9, true, &out, &err), 0);
    json_decref(v);
    v = json_string("");
    assert_int_equal(gy_json_text(v, "title", true, 1, 9, false, &out, &err), -1);
    assert_string_equal(err.code, "invalid_value");
    json_decref(v);
    json_decref(body);
}

/*  Which failed writes are a lost race (read and decide again) and which
 *  are not. */
static void test_conflicts(void **state)
{
    (void)state;
    assert_true(gy_pg_conflict(GY_PG_ERROR, "40001", false));
    assert_true(gy_pg_conflict(GY_PG_ERROR, "40P01", false));
    assert_false(gy_pg_conflict(GY_PG_ERROR, "23505", false));
    assert_true(gy_pg_conflict(GY_PG_ERROR, "23505", true));
    assert_false(gy_pg_conflict(GY_PG_ERROR, "23503", true));
    assert_false(gy_pg_conflict(GY_PG_ERROR, "", true));
    assert_false(gy_pg_conflict(GY_PG_ERROR, NULL, true));
    assert_false(gy_pg_conflict(GY_PG_LOST, "40001", true));
    assert_false(gy_pg_conflict(GY_PG_OK, "", true));
}

int main(void)
{
    gy_log_init("test_gy_route", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parameters_by_name),
        cmocka_unit_test(test_conflicts),
        cmocka_unit_test(test_json_members),
        cmocka_unit_test(test_segments_match_whole),
        cmocka_unit_test(test_literal_before_parameter),
        cmocka_unit_test(test_method_not_allowed_lists_methods),
        cmocka_unit_test_setup_teardown(test_answers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_head_and_options, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
