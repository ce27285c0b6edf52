/*  The HTTP request path of every service: gy_http's parser, its limits and
 *  its connection state machine, exactly as they run in production.  The
 *  server runs on its own libuv loop on a loopback port; each input is sent
 *  as one client's bytes, then the client shuts down its side and reads
 *  until the server closes.  The handler reads everything a service reads
 *  (method, path, query, headers, body, client address) and answers.
 *
 *  Findings: a crash or sanitizer report, a connection the server never
 *  ends after the client's EOF (abort after 5 s), or bytes back that are
 *  not HTTP/1.1 answers.
 *
 *  gy_http has no parse entry point without a connection: its parser is
 *  driven by the connection's states (pauses at the end of the headers and
 *  of each request, 413/431/400 answered from inside), so the harness
 *  drives the connection rather than a copy of the parser. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "gy_http.h"

static uv_loop_t s_loop;
static gy_http_server_t *s_server;
static int s_port;

static void s_handler(gy_http_request_t *req, void *arg)
{
    (void)arg;
    size_t len = 0;
    const char *body = gy_http_body(req, &len);
    if (body[len] != '\0' || len > 4096)
        abort();
    const char *names[] = {"Host",          "Content-Type",    "X-Forwarded-For",
                           "Authorization", "Idempotency-Key", "X-Request-Id"};
    size_t total = strlen(gy_http_method(req)) + strlen(gy_http_path(req)) +
                   strlen(gy_http_query(req)) + strlen(gy_http_client_addr(req));
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *value = gy_http_header(req, names[i]);
        total += value ? strlen(value) : 0;
    }
    gy_http_set_route(req, "fuzz");
    char answer[64];
    int n = snprintf(answer, sizeof answer, "{\"bytes\":%zu}", total + len);
    gy_http_respond(req, 200, NULL, NULL, answer, (size_t)n);
}

static void s_start(void)
{
    if (uv_loop_init(&s_loop) != 0)
        abort();
    gy_http_config_t config = {
        .host = "127.0.0.1",
        .max_body = 4096,
        /*  The fuzzer's client is the trusted proxy, so X-Forwarded-For is
         *  parsed too. */
        .trusted_proxies = "127.0.0.1, ::1",
    };
    s_server = gy_http_server_new(&s_loop, &config, s_handler, NULL);
    if (!s_server)
        abort();
    s_port = gy_http_server_port(s_server);
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_server)
        s_start();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        abort();
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s_port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0)
        abort(); /* the machine (ports), not a finding */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    size_t sent = 0;
    bool shut = false;
    char buf[65536];
    size_t got = 0;
    char head[9] = {0};
    double deadline = s_now() + 5.0;
    for (;;) {
        if (!shut) {
            while (sent < size) {
                ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
                if (n <= 0)
                    break;
                sent += (size_t)n;
            }
            if (sent == size || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                shutdown(fd, SHUT_WR);
                shut = true;
            }
        }
        uv_run(&s_loop, UV_RUN_NOWAIT);
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            for (ssize_t i = 0; i < n && got + (size_t)i < 8; i++)
                head[got + (size_t)i] = buf[i];
            got += (size_t)n;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            break; /* the server closed: every request was answered or refused */
        if (s_now() > deadline)
            abort(); /* the server keeps a connection whose client has gone */
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        poll(&pfd, 1, 1);
    }
    /*  What came back is HTTP/1.1 answers (or nothing). */
    if (got > 0 && got < 8)
        abort();
    if (got >= 8 && memcmp(head, "HTTP/1.1", 8) != 0)
        abort();
    /*  A reset, not a TIME_WAIT per input: the fuzzer makes thousands of
     *  connections a second. */
    struct linger reset = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);
    /*  Let the server see the close and free the connection. */
    for (int i = 0; i < 4; i++)
        uv_run(&s_loop, UV_RUN_NOWAIT);
    return 0;
}
