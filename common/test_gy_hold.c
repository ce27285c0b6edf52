/*  test_gy_hold — an owner that outlives the callbacks it is waiting for,
 *  and a request whose callback comes after the stop, answered 503 through
 *  a real gy_http server (read by a blocking client socket in the same
 *  thread while the loop runs in small steps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gy_hold.h"
#include "gy_util.h"
#include "test_http.h"

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

/*  ---- a request held across the stop ---- */

typedef struct {
    test_http_t http;
    s_api_t *api;
    int freed;
    uv_timer_t timer; /* the "transaction" the request waits for */
    gy_http_request_t *req;
} s_service_t;

static void s_on_committed(uv_timer_t *timer)
{
    s_service_t *svc = timer->data;
    uv_close((uv_handle_t *)timer, NULL);
    if (gy_hold_gone(&svc->api->holds, svc->req))
        return; /* answered 503; the api went with the last hold */
    gy_http_respond(svc->req, 200, NULL, NULL, "{}", 2);
}

static void s_handler(gy_http_request_t *req, void *arg)
{
    s_service_t *svc = arg;
    svc->req = req;
    gy_hold(&svc->api->holds);
    uv_timer_start(&svc->timer, s_on_committed, 50, 0);
    /*  The service stops before the "transaction" ends. */
    gy_holds_stop(&svc->api->holds);
}

static void test_an_answer_after_the_stop_is_503(void **state)
{
    s_service_t svc = {0};
    svc.api = s_api_new(&svc.freed);
    test_http_start(&svc.http, s_handler, &svc);
    uv_timer_init(&svc.http.loop, &svc.timer);
    svc.timer.data = &svc;

    char *got =
        test_http_exchange(&svc.http, "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_non_null(strstr(got, "HTTP/1.1 503 "));
    assert_non_null(strstr(got, "\"code\":\"unavailable\""));
    assert_non_null(strstr(got, "the service is stopping"));
    assert_int_equal(svc.freed, 1);
    free(got);
    test_http_stop(&svc.http);
}

int main(void)
{
    gy_log_init("test_gy_hold", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_without_holds_frees_at_once),
        cmocka_unit_test(test_callbacks_before_stop_go_on),
        cmocka_unit_test(test_last_callback_after_stop_frees),
        cmocka_unit_test(test_an_answer_after_the_stop_is_503),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
