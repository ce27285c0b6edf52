/*  test_http — the client side of unit tests that drive a real gy_http
 *  server: a loop with the server on a free port, and one request at a
 *  time over a blocking socket from the loop's own thread, the loop run in
 *  small steps until the server closes.  Include it after cmocka.h.
 *
 *      test_http_t http;
 *      test_http_start(&http, handler, arg);
 *      char *r = test_http_exchange(&http, "GET /x HTTP/1.1\r\nHost: t\r\n"
 *                                          "Connection: close\r\n\r\n");
 *      assert_non_null(strstr(r, "HTTP/1.1 200 "));
 *      free(r);
 *      test_http_stop(&http);
 */
#ifndef TEST_HTTP_H
#define TEST_HTTP_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "gy_http.h"
#include "gy_util.h"

typedef struct {
    uv_loop_t loop;
    gy_http_server_t *server;
    int port;
} test_http_t;

/*  A loop and a server on 127.0.0.1 (a free port) calling handler. */
static inline void test_http_start(test_http_t *t, gy_http_handler_fn *handler, void *arg)
{
    uv_loop_init(&t->loop);
    gy_http_config_t config = {.host = "127.0.0.1", .port = 0};
    t->server = gy_http_server_new(&t->loop, &config, handler, arg);
    assert_non_null(t->server);
    t->port = gy_http_server_port(t->server);
}

/*  Closes the server and the loop, which must have nothing left. */
static inline void test_http_stop(test_http_t *t)
{
    gy_http_server_destroy(&t->server);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&t->loop), 0);
}

/*  Sends request (it should say Connection: close) to the server and
 *  returns everything answered, NUL-terminated; the caller frees. */
static inline char *test_http_exchange(test_http_t *t, const char *request)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t->port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
    gy_buf_t got = {0};
    for (int spins = 0; spins < 100000; spins++) {
        uv_run(&t->loop, UV_RUN_NOWAIT);
        char chunk[4096];
        ssize_t n = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n == 0)
            break;
        if (n > 0)
            gy_buf_append(&got, chunk, (size_t)n);
        else
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
        usleep(100);
    }
    close(fd);
    gy_buf_append(&got, "", 1);
    return got.data;
}

#endif
