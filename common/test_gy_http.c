/*  test_gy_http — the HTTP server as a client sees it.
 *
 *  Each test runs the server on its own loop in the test's thread and a
 *  client with plain blocking sockets in a second thread.  The client only
 *  records what it got; the test asserts after joining it, so cmocka's
 *  assertions never run outside the test's thread.  The handler echoes the
 *  path, or answers /defer?ms=N from a timer N ms later, the way a service
 *  answers after a database commit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "gy_http.h"
#include "gy_metrics.h"
#include "gy_util.h"

#define S_MAX_SEEN      8
#define S_MAX_RESPONSES 8

/*  What the handler saw of one request. */
typedef struct {
    char method[16];
    char path[256];
    char query[256];
    char test_header[256]; /* X-Test, looked up as "x-test" */
    char empty_header[16]; /* X-Empty, "(none)" when absent */
    char client[64];
    char body[4096];
    size_t body_len;
    int late_answers; /* deferred answers given before this request arrived */
} s_seen_t;

/*  One response as the client read it. */
typedef struct {
    int status;
    char head[4096];
    char body[8192];
    size_t body_len;
} s_response_t;

typedef struct s_fixture s_fixture_t;
typedef void(s_client_fn)(s_fixture_t *fx);

struct s_fixture {
    uv_loop_t loop;
    uv_timer_t tick; /* wakes uv_run so the loop notices the client finish */
    gy_metrics_t *metrics;
    gy_http_server_t *server;
    int port;
    /*  Written by the handler (loop thread). */
    s_seen_t seen[S_MAX_SEEN];
    int nseen;
    atomic_int handled;      /* also read by the client thread */
    atomic_int late_answers; /* deferred answers given */
    /*  Written by the client thread, read after it is joined. */
    s_client_fn *client_fn;
    atomic_bool client_done;
    s_response_t responses[S_MAX_RESPONSES];
    int nresponses;
    bool eof;           /* the server closed the connection after the responses */
    bool continued;     /* a 100 Continue came before the body was sent */
    int64_t elapsed_ms; /* the scenario's own measure, when it takes one */
    int held_fd;        /* a connection the scenario leaves open for the test */
};

/*  ---- the handler ---- */

typedef struct {
    uv_timer_t timer;
    gy_http_request_t *req;
    s_fixture_t *fx;
} s_deferred_t;

static void s_free_handle_data(uv_handle_t *handle)
{
    free(handle->data);
}

static void s_on_deferred(uv_timer_t *timer)
{
    s_deferred_t *deferred = timer->data;
    gy_http_respond(deferred->req, 200, "text/plain", NULL, "deferred", 8);
    atomic_fetch_add(&deferred->fx->late_answers, 1);
    uv_close((uv_handle_t *)&deferred->timer, s_free_handle_data);
}

static void s_handler(gy_http_request_t *req, void *arg)
{
    s_fixture_t *fx = arg;
    if (fx->nseen < S_MAX_SEEN) {
        s_seen_t *seen = &fx->seen[fx->nseen++];
        snprintf(seen->method, sizeof seen->method, "%s", gy_http_method(req));
        snprintf(seen->path, sizeof seen->path, "%s", gy_http_path(req));
        snprintf(seen->query, sizeof seen->query, "%s", gy_http_query(req));
        const char *test = gy_http_header(req, "x-test");
        snprintf(seen->test_header, sizeof seen->test_header, "%s", test ? test : "(none)");
        const char *empty = gy_http_header(req, "X-Empty");
        snprintf(seen->empty_header, sizeof seen->empty_header, "%s", empty ? empty : "(none)");
        snprintf(seen->client, sizeof seen->client, "%s", gy_http_client_addr(req));
        const char *body = gy_http_body(req, &seen->body_len);
        snprintf(seen->body, sizeof seen->body, "%s", body);
        seen->late_answers = atomic_load(&fx->late_answers);
    }
    atomic_fetch_add(&fx->handled, 1);

    const char *path = gy_http_path(req);
    if (strcmp(path, "/defer") == 0) {
        gy_http_set_route(req, "defer");
        s_deferred_t *deferred = gy_calloc(1, sizeof *deferred);
        deferred->req = req;
        deferred->fx = fx;
        uv_timer_init(&fx->loop, &deferred->timer);
        deferred->timer.data = deferred;
        uint64_t ms = strtoull(gy_http_query(req) + strlen("ms="), NULL, 10);
        uv_timer_start(&deferred->timer, s_on_deferred, ms, 0);
        return;
    }
    if (strcmp(path, "/invalid") == 0) {
        gy_http_set_route(req, "invalid");
        gy_http_respond_error(req, 422, "unknown_region_code",
                              "region code is not in the reference data", "region_code");
        return;
    }
    gy_http_set_route(req, "echo");
    gy_http_respond(req, 200, "text/plain", "X-Handler: test\r\n", path, strlen(path));
}

/*  ---- the client side (client thread only) ---- */

typedef struct {
    int fd;
    char buf[131072];
    size_t len;
} s_client_t;

static int64_t s_now_ms(void)
{
    return (int64_t)(gy_mono_ns() / 1000000);
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void s_connect(s_client_t *client, int port)
{
    client->len = 0;
    client->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval timeout = {5, 0};
    setsockopt(client->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect(client->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        close(client->fd);
        client->fd = -1;
    }
}

static void s_send(s_client_t *client, const char *data, size_t len)
{
    while (len > 0 && client->fd >= 0) {
        ssize_t n = send(client->fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void s_send_text(s_client_t *client, const char *text)
{
    s_send(client, text, strlen(text));
}

/*  Reads more bytes; false on EOF, error or timeout. */
static bool s_fill(s_client_t *client)
{
    if (client->fd < 0 || client->len == sizeof client->buf)
        return false;
    ssize_t n = recv(client->fd, client->buf + client->len, sizeof client->buf - client->len, 0);
    if (n <= 0)
        return false;
    client->len += (size_t)n;
    return true;
}

/*  Reads one response into the fixture's list; false if none came. */
static bool s_read_response(s_fixture_t *fx, s_client_t *client, bool expect_body)
{
    char *end;
    while (!(end = memmem(client->buf, client->len, "\r\n\r\n", 4)))
        if (!s_fill(client))
            return false;
    size_t head_len = (size_t)(end - client->buf) + 4;
    s_response_t *r = &fx->responses[fx->nresponses < S_MAX_RESPONSES ? fx->nresponses++ : 0];
    memset(r, 0, sizeof *r);
    snprintf(r->head, sizeof r->head, "%.*s", (int)head_len, client->buf);
    sscanf(r->head, "HTTP/1.1 %d", &r->status);
    size_t length = 0;
    const char *header = strcasestr(r->head, "\r\nContent-Length:");
    if (header && expect_body)
        length = strtoul(header + strlen("\r\nContent-Length:"), NULL, 10);
    while (client->len < head_len + length)
        if (!s_fill(client))
            return false;
    r->body_len = length;
    snprintf(r->body, sizeof r->body, "%.*s", (int)length, client->buf + head_len);
    memmove(client->buf, client->buf + head_len + length, client->len - head_len - length);
    client->len -= head_len + length;
    return true;
}

/*  True when the server closes the connection and sends nothing more. */
static bool s_read_eof(s_client_t *client)
{
    if (client->len > 0)
        return false;
    char byte;
    ssize_t n = recv(client->fd, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void s_disconnect(s_client_t *client)
{
    if (client->fd >= 0)
        close(client->fd);
    client->fd = -1;
}

static void s_wait_for(atomic_int *counter, int value)
{
    int64_t deadline = s_now_ms() + 5000;
    while (atomic_load(counter) < value && s_now_ms() < deadline)
        s_sleep_ms(1);
}

static void *s_client_main(void *arg)
{
    s_fixture_t *fx = arg;
    fx->client_fn(fx);
    atomic_store(&fx->client_done, true);
    return NULL;
}

/*  ---- the loop side (test thread) ---- */

static void s_on_tick(uv_timer_t *timer)
{
    (void)timer;
}

typedef bool(s_until_fn)(s_fixture_t *fx);

/*  Runs the loop until `until` holds or 10 seconds pass; says which. */
static bool s_run_until(s_fixture_t *fx, s_until_fn *until)
{
    uv_timer_start(&fx->tick, s_on_tick, 5, 5);
    int64_t deadline = s_now_ms() + 10000;
    while (!until(fx) && s_now_ms() < deadline)
        uv_run(&fx->loop, UV_RUN_ONCE);
    uv_timer_stop(&fx->tick);
    return until(fx);
}

static bool s_client_finished(s_fixture_t *fx)
{
    return atomic_load(&fx->client_done);
}

static void s_run_client(s_fixture_t *fx, s_client_fn *fn)
{
    fx->client_fn = fn;
    fx->nresponses = 0;
    fx->eof = false;
    atomic_store(&fx->client_done, false);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_client_main, fx), 0);
    bool finished = s_run_until(fx, s_client_finished);
    /*  Join before asserting: a failed test must not free what the client
     *  still uses (its socket timeouts end it). */
    pthread_join(thread, NULL);
    assert_true(finished);
}

static gy_http_config_t s_config(s_fixture_t *fx)
{
    return (gy_http_config_t){
        .host = "127.0.0.1",
        .port = 0,
        .max_header = 1024,
        .max_body = 1024,
        .read_timeout_ms = 200,
        .idle_timeout_ms = 5000,
        .trusted_proxies = "10.1.2.3, 127.0.0.1",
        .metrics = fx->metrics,
    };
}

static void s_listen(s_fixture_t *fx, const gy_http_config_t *config)
{
    fx->server = gy_http_server_new(&fx->loop, config, s_handler, fx);
    assert_non_null(fx->server);
    fx->port = gy_http_server_port(fx->server);
    assert_true(fx->port > 0);
}

static int s_setup(void **state)
{
    s_fixture_t *fx = gy_calloc(1, sizeof *fx);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    uv_timer_init(&fx->loop, &fx->tick);
    fx->metrics = gy_metrics_new();
    *state = fx;
    return 0;
}

/*  The shutdown every service does: destroy, run the loop dry, close it. */
static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_server_destroy(&fx->server);
    assert_null(fx->server);
    uv_close((uv_handle_t *)&fx->tick, NULL);
    while (uv_run(&fx->loop, UV_RUN_DEFAULT) != 0)
        ;
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    gy_metrics_destroy(&fx->metrics);
    free(fx);
    return 0;
}

static double s_requests(s_fixture_t *fx, const char *route, int status)
{
    char labels[128];
    snprintf(labels, sizeof labels, "route=\"%s\",status=\"%d\"", route, status);
    return gy_metrics_value(fx->metrics, "gy_http_requests_total", labels);
}

static bool s_has(const s_response_t *r, const char *line)
{
    return strcasestr(r->head, line) != NULL;
}

/*  Checks an error body has the shape of docs/api.md and this code. */
static void s_assert_error(const s_response_t *r, int status, const char *code)
{
    assert_int_equal(r->status, status);
    assert_true(s_has(r, "\r\nContent-Type: application/json; charset=utf-8\r\n"));
    json_error_t err;
    json_t *doc = json_loadb(r->body, r->body_len, 0, &err);
    assert_non_null(doc);
    json_t *error = json_object_get(doc, "error");
    assert_true(json_is_object(error));
    assert_string_equal(json_string_value(json_object_get(error, "code")), code);
    assert_true(json_is_string(json_object_get(error, "message")));
    assert_true(json_is_null(json_object_get(error, "field")));
    json_decref(doc);
}

/*  ---- scenarios (client thread) and tests ---- */

static void s_client_get_then_post(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    s_send_text(&client, "GET /echo/a?x=1&y=2 HTTP/1.1\r\nHost: t\r\nX-Test: hello\r\n\r\n");
    s_read_response(fx, &client, true);
    /*  The same connection, the request in pieces that split a header
     *  name, a header value and the body. */
    const char *pieces[] = {
        "POST /echo/b HTTP/1.1\r\nHo",
        "st: t\r\nX-Te",
        "st: hel",
        "lo\r\nX-Empty:\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":",
        "\"bcd\"}",
    };
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        s_send_text(&client, pieces[i]);
        s_sleep_ms(10);
    }
    s_read_response(fx, &client, true);
    /*  A read that ends between the last CR and LF of the headers. */
    s_send_text(&client, "GET /echo/c HTTP/1.1\r\nHost: t\r\n\r");
    s_sleep_ms(10);
    s_send_text(&client, "\n");
    s_read_response(fx, &client, true);
    s_disconnect(&client);
}

static void test_get_and_post(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_get_then_post);

    assert_int_equal(fx->nseen, 3);
    assert_string_equal(fx->seen[0].method, "GET");
    assert_string_equal(fx->seen[0].path, "/echo/a");
    assert_string_equal(fx->seen[0].query, "x=1&y=2");
    assert_string_equal(fx->seen[0].test_header, "hello");
    assert_string_equal(fx->seen[0].empty_header, "(none)");
    assert_int_equal(fx->seen[0].body_len, 0);
    assert_string_equal(fx->seen[0].client, "127.0.0.1");
    assert_string_equal(fx->seen[1].method, "POST");
    assert_string_equal(fx->seen[1].path, "/echo/b");
    assert_string_equal(fx->seen[1].query, "");
    assert_string_equal(fx->seen[1].test_header, "hello");
    assert_string_equal(fx->seen[1].empty_header, "");
    assert_int_equal(fx->seen[1].body_len, 11);
    assert_string_equal(fx->seen[1].body, "{\"a\":\"bcd\"}");

    assert_int_equal(fx->nresponses, 3);
    const s_response_t *r = &fx->responses[0];
    assert_int_equal(r->status, 200);
    assert_string_equal(r->body, "/echo/a");
    assert_true(s_has(r, "HTTP/1.1 200 OK\r\n"));
    assert_true(s_has(r, "\r\nDate: "));
    assert_true(s_has(r, " GMT\r\n"));
    assert_true(s_has(r, "\r\nContent-Length: 7\r\n"));
    assert_true(s_has(r, "\r\nContent-Type: text/plain\r\n"));
    assert_true(s_has(r, "\r\nConnection: keep-alive\r\n"));
    assert_true(s_has(r, "\r\nX-Handler: test\r\n"));
    assert_int_equal(fx->responses[1].status, 200);
    assert_string_equal(fx->responses[1].body, "/echo/b");
    assert_int_equal(fx->responses[2].status, 200);
    assert_string_equal(fx->responses[2].body, "/echo/c");
    assert_true(s_requests(fx, "echo", 200) == 3);
    char *text = gy_metrics_render(fx->metrics);
    assert_non_null(strstr(text, "gy_http_request_duration_seconds_count{route=\"echo\"} 3\n"));
    free(text);
}

static void s_client_byte_by_byte(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    int one = 1;
    setsockopt(client.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const char *requests = "POST /echo/one?q=1 HTTP/1.1\r\nHost: t\r\nX-Test: split\r\n"
                           "Content-Length: 5\r\n\r\nabcde"
                           "POST /echo/two HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    for (const char *c = requests; *c; c++) {
        s_send(&client, c, 1);
        s_sleep_ms(1);
    }
    s_read_response(fx, &client, true);
    s_read_response(fx, &client, true);
    s_disconnect(&client);
}

/*  Every byte in its own read: each boundary inside a request is crossed. */
static void test_byte_by_byte(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    config.read_timeout_ms = 5000;
    s_listen(fx, &config);
    s_run_client(fx, s_client_byte_by_byte);

    assert_int_equal(fx->nseen, 2);
    assert_string_equal(fx->seen[0].path, "/echo/one");
    assert_string_equal(fx->seen[0].query, "q=1");
    assert_string_equal(fx->seen[0].test_header, "split");
    assert_string_equal(fx->seen[0].body, "abcde");
    assert_string_equal(fx->seen[1].path, "/echo/two");
    assert_string_equal(fx->seen[1].body, "abcde");
    assert_int_equal(fx->nresponses, 2);
    assert_string_equal(fx->responses[0].body, "/echo/one");
    assert_string_equal(fx->responses[1].body, "/echo/two");
}

static void s_client_deferred(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    int64_t start = s_now_ms();
    s_send_text(&client, "GET /defer?ms=100 HTTP/1.1\r\nHost: t\r\n\r\n");
    s_read_response(fx, &client, true);
    fx->elapsed_ms = s_now_ms() - start;
    /*  And the connection is still good for the next request. */
    s_send_text(&client, "GET /invalid HTTP/1.1\r\nHost: t\r\n\r\n");
    s_read_response(fx, &client, true);
    s_disconnect(&client);
}

static void test_deferred_answer(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_deferred);

    assert_int_equal(fx->nresponses, 2);
    assert_int_equal(fx->responses[0].status, 200);
    assert_string_equal(fx->responses[0].body, "deferred");
    assert_true(fx->elapsed_ms >= 90);
    /*  gy_http_respond_error: the error shape with a field. */
    const s_response_t *r = &fx->responses[1];
    assert_int_equal(r->status, 422);
    assert_string_equal(r->body, "{\"error\":{\"code\":\"unknown_region_code\",\"message\":"
                                 "\"region code is not in the reference data\","
                                 "\"field\":\"region_code\"}}");
    assert_true(s_requests(fx, "defer", 200) == 1);
    assert_true(s_requests(fx, "invalid", 422) == 1);
}

static void s_client_pipelined(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    /*  The first is answered late, the second at once: answers must still
     *  come in request order. */
    s_send_text(&client, "GET /defer?ms=100 HTTP/1.1\r\nHost: t\r\n\r\n"
                         "GET /echo/two HTTP/1.1\r\nHost: t\r\n\r\n"
                         "HEAD /echo/three HTTP/1.1\r\nHost: t\r\n\r\n");
    s_read_response(fx, &client, true);
    s_read_response(fx, &client, true);
    s_read_response(fx, &client, false);
    /*  HEAD sent no body, or this would read its bytes as a response. */
    s_send_text(&client, "GET /echo/four HTTP/1.1\r\nHost: t\r\n\r\n");
    s_read_response(fx, &client, true);
    s_disconnect(&client);
}

static void test_pipelined_in_order(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_pipelined);

    assert_int_equal(fx->nresponses, 4);
    assert_string_equal(fx->responses[0].body, "deferred");
    assert_string_equal(fx->responses[1].body, "/echo/two");
    assert_int_equal(fx->responses[2].status, 200);
    assert_true(s_has(&fx->responses[2], "\r\nContent-Length: 11\r\n"));
    assert_int_equal(fx->responses[2].body_len, 0);
    assert_string_equal(fx->responses[3].body, "/echo/four");
    /*  Parsing waited: the second request reached the handler only after
     *  the first was answered. */
    assert_int_equal(fx->nseen, 4);
    assert_int_equal(fx->seen[1].late_answers, 1);
    assert_string_equal(fx->seen[2].method, "HEAD");
}

static void s_client_http10(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    s_send_text(&client, "GET /echo/kept HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    s_read_response(fx, &client, true);
    s_send_text(&client, "GET /echo/old HTTP/1.0\r\n\r\n");
    s_read_response(fx, &client, true);
    fx->eof = s_read_eof(&client);
    s_disconnect(&client);
}

static void test_http10_closes(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_http10);

    assert_int_equal(fx->nresponses, 2);
    assert_string_equal(fx->responses[0].body, "/echo/kept");
    assert_true(s_has(&fx->responses[0], "\r\nConnection: keep-alive\r\n"));
    assert_string_equal(fx->responses[1].body, "/echo/old");
    assert_true(s_has(&fx->responses[1], "\r\nConnection: close\r\n"));
    assert_true(fx->eof);
}

static void s_client_expect_continue(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    s_send_text(&client, "POST /echo/c HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                         "Content-Length: 5\r\n\r\n");
    s_read_response(fx, &client, false);
    fx->continued = fx->nresponses == 1 && fx->responses[0].status == 100;
    s_send_text(&client, "hello");
    s_read_response(fx, &client, true);
    s_disconnect(&client);
}

static void test_expect_continue(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_expect_continue);

    assert_true(fx->continued);
    assert_int_equal(fx->nresponses, 2);
    assert_int_equal(fx->responses[1].status, 200);
    assert_string_equal(fx->seen[0].body, "hello");
}

static void s_client_content_length_too_large(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    s_send_text(&client, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
    /*  Part of the body is already on its way when the refusal comes. */
    char body[4000];
    memset(body, 'x', sizeof body);
    s_send(&client, body, sizeof body);
    s_read_response(fx, &client, true);
    fx->eof = s_read_eof(&client);
    s_disconnect(&client);
}

static void test_content_length_too_large(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_content_length_too_large);

    assert_int_equal(fx->nresponses, 1);
    s_assert_error(&fx->responses[0], 413, "body_too_large");
    assert_true(s_has(&fx->responses[0], "\r\nConnection: close\r\n"));
    assert_true(fx->eof);
    assert_int_equal(fx->nseen, 0);
    assert_true(s_requests(fx, "unmatched", 413) == 1);
}

static void s_client_chunked(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    /*  Within the limit: the chunks reach the handler as one body. */
    s_send_text(&client, "POST /echo/chunked HTTP/1.1\r\nHost: t\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"
                         "5\r\nhello\r\n");
    s_sleep_ms(10);
    s_send_text(&client, "6\r\n world\r\n0\r\nX-Trailer: ignored\r\n\r\n");
    s_read_response(fx, &client, true);
    /*  Over it: 3 chunks of 400 bytes against a limit of 1024. */
    s_send_text(&client, "POST /echo/chunked HTTP/1.1\r\nHost: t\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n");
    char chunk[400 + 16];
    memcpy(chunk, "190\r\n", 5);
    memset(chunk + 5, 'y', 400);
    memcpy(chunk + 405, "\r\n", 2);
    for (int i = 0; i < 3; i++)
        s_send(&client, chunk, 407);
    s_read_response(fx, &client, true);
    fx->eof = s_read_eof(&client);
    s_disconnect(&client);
}

static void test_chunked_body_too_large(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_chunked);

    assert_int_equal(fx->nseen, 1);
    assert_string_equal(fx->seen[0].body, "hello world");
    assert_int_equal(fx->nresponses, 2);
    assert_int_equal(fx->responses[0].status, 200);
    s_assert_error(&fx->responses[1], 413, "body_too_large");
    assert_true(fx->eof);
}

/*  A request whose request line and headers are exactly `size` bytes. */
static char *s_request_of_size(size_t size)
{
    const char *start = "GET /echo/h HTTP/1.1\r\nX-Pad: ";
    const char *end = "\r\n\r\n";
    size_t pad = size - strlen(start) - strlen(end);
    char *text = gy_malloc(size + 1);
    memcpy(text, start, strlen(start));
    memset(text + strlen(start), 'p', pad);
    memcpy(text + strlen(start) + pad, end, strlen(end) + 1);
    return text;
}

static void s_client_headers_too_large(s_fixture_t *fx)
{
    s_client_t client;
    /*  At the limit: accepted. */
    s_connect(&client, fx->port);
    char *request = s_request_of_size(1024);
    s_send_text(&client, request);
    free(request);
    s_read_response(fx, &client, true);
    /*  One byte over: refused. */
    request = s_request_of_size(1025);
    s_send_text(&client, request);
    free(request);
    s_read_response(fx, &client, true);
    fx->eof = s_read_eof(&client);
    s_disconnect(&client);
}

static void test_headers_too_large(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_headers_too_large);

    assert_int_equal(fx->nresponses, 2);
    assert_int_equal(fx->responses[0].status, 200);
    s_assert_error(&fx->responses[1], 431, "headers_too_large");
    assert_true(fx->eof);
    assert_int_equal(fx->nseen, 1);
    assert_true(s_requests(fx, "unmatched", 431) == 1);
}

static void s_client_parser_limit(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    char *request = s_request_of_size((size_t)100 * 1024);
    s_send_text(&client, request);
    free(request);
    s_read_response(fx, &client, true);
    s_disconnect(&client);
}

/*  Above http-parser's own 80 KiB limit the client sees the same 431. */
static void test_parser_header_limit(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    config.max_header = (size_t)1024 * 1024;
    s_listen(fx, &config);
    s_run_client(fx, s_client_parser_limit);

    assert_int_equal(fx->nresponses, 1);
    s_assert_error(&fx->responses[0], 431, "headers_too_large");
}

static void s_client_stall(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    int64_t start = s_now_ms();
    s_send_text(&client, "GET /echo HTTP/1.1\r\nHost: t\r\n");
    s_read_response(fx, &client, true);
    fx->elapsed_ms = s_now_ms() - start;
    fx->eof = s_read_eof(&client);
    s_disconnect(&client);
}

static void test_read_timeout(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_stall);

    assert_int_equal(fx->nresponses, 1);
    s_assert_error(&fx->responses[0], 408, "request_timeout");
    assert_true(fx->elapsed_ms >= 180 && fx->elapsed_ms < 2000);
    assert_true(fx->eof);
    assert_int_equal(fx->nseen, 0);
    assert_true(s_requests(fx, "unmatched", 408) == 1);
}

static void s_client_idle(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    int64_t start = s_now_ms();
    fx->eof = s_read_eof(&client);
    fx->elapsed_ms = s_now_ms() - start;
    s_disconnect(&client);
}

static void test_idle_timeout(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    config.idle_timeout_ms = 300;
    s_listen(fx, &config);
    s_run_client(fx, s_client_idle);

    assert_true(fx->eof);
    assert_true(fx->elapsed_ms >= 280 && fx->elapsed_ms < 2000);
}

static void s_client_garbage(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    static const char tls_hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\r\n\r\n";
    s_send(&client, tls_hello, sizeof tls_hello - 1);
    s_read_response(fx, &client, true);
    fx->eof = s_read_eof(&client);
    s_disconnect(&client);
    /*  A bad header line after a good request line. */
    s_connect(&client, fx->port);
    s_send_text(&client, "GET /echo HTTP/1.1\r\nno colon here\r\n\r\n");
    s_read_response(fx, &client, true);
    s_disconnect(&client);
}

static void test_garbage(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_garbage);

    assert_int_equal(fx->nresponses, 2);
    s_assert_error(&fx->responses[0], 400, "bad_request");
    assert_true(fx->eof);
    s_assert_error(&fx->responses[1], 400, "bad_request");
    assert_int_equal(fx->nseen, 0);
    assert_true(s_requests(fx, "unmatched", 400) == 2);
}

static void s_client_leaves(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    s_send_text(&client, "GET /defer?ms=200 HTTP/1.1\r\nHost: t\r\n\r\n");
    s_wait_for(&fx->handled, 1);
    s_disconnect(&client);
    /*  The late answer goes nowhere, and the server carries on. */
    s_wait_for(&fx->late_answers, 1);
    s_connect(&client, fx->port);
    s_send_text(&client, "GET /echo/after HTTP/1.1\r\nHost: t\r\n\r\n");
    s_read_response(fx, &client, true);
    s_disconnect(&client);
}

static void test_client_gone_before_answer(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_leaves);

    assert_int_equal(atomic_load(&fx->late_answers), 1);
    assert_int_equal(fx->nresponses, 1);
    assert_string_equal(fx->responses[0].body, "/echo/after");
    /*  The handler's answer is counted even though nobody got it. */
    assert_true(s_requests(fx, "defer", 200) == 1);
}

static void s_client_waits(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    s_send_text(&client, "GET /defer?ms=100 HTTP/1.1\r\nHost: t\r\n\r\n");
    s_wait_for(&fx->handled, 1);
    /*  Still connected when the test destroys the server. */
    fx->held_fd = client.fd;
}

static bool s_late_answer_given(s_fixture_t *fx)
{
    return atomic_load(&fx->late_answers) == 1;
}

/*  Destroying the server while the handler owes an answer: the request
 *  stays valid, the answer is dropped, and teardown finds the loop empty. */
static void test_destroy_with_answer_owed(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_waits);
    gy_http_server_destroy(&fx->server);
    assert_null(fx->server);
    /*  The metrics may go with the server; the late answer must not use them. */
    gy_metrics_destroy(&fx->metrics);
    assert_true(s_run_until(fx, s_late_answer_given));
    fx->metrics = gy_metrics_new();
    /*  The server closed the connection without an answer. */
    char byte;
    assert_int_equal(recv(fx->held_fd, &byte, 1, 0), 0);
    close(fx->held_fd);
}

static void s_client_forwarded(s_fixture_t *fx)
{
    s_client_t client;
    s_connect(&client, fx->port);
    s_send_text(&client, "GET /echo HTTP/1.1\r\nHost: t\r\n"
                         "X-Forwarded-For: 203.0.113.9, 198.51.100.7\r\n\r\n");
    s_read_response(fx, &client, true);
    s_send_text(&client, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    s_read_response(fx, &client, true);
    s_send_text(&client, "GET /echo HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: not-an-ip\r\n\r\n");
    s_read_response(fx, &client, true);
    s_disconnect(&client);
}

static void test_forwarded_for(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    s_listen(fx, &config);
    s_run_client(fx, s_client_forwarded);
    assert_int_equal(fx->nseen, 3);
    assert_string_equal(fx->seen[0].client, "198.51.100.7");
    assert_string_equal(fx->seen[1].client, "127.0.0.1");
    assert_string_equal(fx->seen[2].client, "127.0.0.1");

    /*  From a peer that is not a trusted proxy the header means nothing. */
    gy_http_server_destroy(&fx->server);
    config.trusted_proxies = "10.1.2.3";
    s_listen(fx, &config);
    fx->nseen = 0;
    s_run_client(fx, s_client_forwarded);
    assert_int_equal(fx->nseen, 3);
    assert_string_equal(fx->seen[0].client, "127.0.0.1");

    /*  A network: the edge's pods in a cluster have no fixed address. */
    static const struct {
        const char *proxies;
        const char *client;
    } networks[] = {
        {"10.0.0.0/8, 127.0.0.0/8", "198.51.100.7"},
        {"127.0.0.1/32", "198.51.100.7"},
        {"127.0.0.0/31", "198.51.100.7"},
        {"127.0.0.2/31", "127.0.0.1"},
        {"126.0.0.0/8", "127.0.0.1"},
        {"0.0.0.0/0", "198.51.100.7"},
        {"127.1.0.0/9", "198.51.100.7"},
        {"127.128.0.0/9", "127.0.0.1"},
        {"::1/128, fd00::/8", "127.0.0.1"},
    };
    for (size_t i = 0; i < sizeof networks / sizeof networks[0]; i++) {
        gy_http_server_destroy(&fx->server);
        config.trusted_proxies = networks[i].proxies;
        s_listen(fx, &config);
        fx->nseen = 0;
        s_run_client(fx, s_client_forwarded);
        assert_int_equal(fx->nseen, 3);
        if (strcmp(fx->seen[0].client, networks[i].client) != 0)
            fail_msg("trusted %s: client %s, want %s", networks[i].proxies, fx->seen[0].client,
                     networks[i].client);
    }
}

static void test_bad_config(void **state)
{
    s_fixture_t *fx = *state;
    gy_http_config_t config = s_config(fx);
    config.trusted_proxies = "127.0.0.1, proxy.example";
    assert_null(gy_http_server_new(&fx->loop, &config, s_handler, fx));
    static const char *const bad_networks[] = {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8x", "::/129",
                                               "10.0.0.0/-1"};
    for (size_t i = 0; i < sizeof bad_networks / sizeof bad_networks[0]; i++) {
        config.trusted_proxies = bad_networks[i];
        assert_null(gy_http_server_new(&fx->loop, &config, s_handler, fx));
    }
    config = s_config(fx);
    config.host = "not an address";
    assert_null(gy_http_server_new(&fx->loop, &config, s_handler, fx));
    /*  A port in use: the half-built server is released when the loop runs
     *  (teardown checks the loop closes cleanly). */
    config = s_config(fx);
    s_listen(fx, &config);
    config.port = fx->port;
    assert_null(gy_http_server_new(&fx->loop, &config, s_handler, fx));
}

int main(void)
{
    gy_log_init("test_gy_http", getenv("GY_LOG_LEVEL") ? getenv("GY_LOG_LEVEL") : "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_and_post, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_byte_by_byte, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_deferred_answer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_in_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_http10_closes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_expect_continue, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_content_length_too_large, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_chunked_body_too_large, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_headers_too_large, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_parser_header_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_timeout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_garbage, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_client_gone_before_answer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_destroy_with_answer_owed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_forwarded_for, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_config, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
