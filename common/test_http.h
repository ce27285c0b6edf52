/*  test_http — the client side of unit tests that drive a real gy_http
 *  server: one request over a blocking socket from the loop's own thread,
 *  the loop run in small steps until the server closes.  Include it after
 *  cmocka.h.
 *
 *      char *r = test_http_exchange(&loop, gy_http_server_port(server),
 *                                   "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
 *      assert_non_null(strstr(r, "HTTP/1.1 200 "));
 *      free(r);
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

#include "gy_util.h"

/*  Sends request (it should say Connection: close) to 127.0.0.1:port and
 *  returns everything answered, NUL-terminated; the caller frees. */
static inline char *test_http_exchange(uv_loop_t *loop, int port, const char *request)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
    gy_buf_t got = {0};
    for (int spins = 0; spins < 100000; spins++) {
        uv_run(loop, UV_RUN_NOWAIT);
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
