/*  gy_http — see gy_http.h.
 *
 *  A connection is a small state machine (s_state_t).  Bytes are parsed
 *  straight out of the server's read buffer; http-parser is paused at the
 *  end of every request's headers (so their size is known exactly and the
 *  limits are checked before any body is read) and at the end of every
 *  request (so one request at a time is with the handler).  Bytes that
 *  arrive while a request is with the handler or its answer is being
 *  written wait in the connection's pending buffer and are parsed once the
 *  answer is out; that is how pipelined requests are answered in order.
 *
 *  Requests outlive their connection: when the client goes away or the
 *  server is destroyed while the handler still owes an answer, the request
 *  is cut loose (req->conn = NULL) and freed by gy_http_respond.  The server
 *  struct itself is freed only when its listener and connections are closed
 *  and no request is still owed an answer, so a request can always reach it.
 *
 *  Every answer is counted when it is given, under the route the handler
 *  named; the server's own refusals (400, 408, 413, 431) count under
 *  "unmatched", and an answer dropped because the client went away still
 *  counts, since the handler's work was done.  After destroy nothing is
 *  counted: the metrics are borrowed and may already be gone.
 */
#include "gy_http.h"

#include <arpa/inet.h>
#include <assert.h>
#include <http_parser.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "gy_util.h"

#define S_DEFAULT_MAX_HEADER      8192
#define S_DEFAULT_MAX_BODY        65536
#define S_DEFAULT_READ_TIMEOUT_MS 10000
#define S_DEFAULT_IDLE_TIMEOUT_MS 60000
/*  After an answer that closes the connection we shut down our side and keep
 *  reading (and discarding) until the client closes, at most this long.
 *  Closing at once with unread bytes in the socket makes the kernel send a
 *  reset, which can destroy the answer before the client has read it. */
#define S_LINGER_MS   2000
#define S_READ_BUFFER 65536
#define S_BACKLOG     511

#define S_DEFAULT_CONTENT_TYPE "application/json; charset=utf-8"
#define S_DEFAULT_ROUTE        "unmatched"

/*  A connection's states; s_machine says what each event does in each. */
typedef enum {
    S_IDLE,         /* between requests */
    S_READING,      /* inside a request, from its first byte */
    S_HANDLING,     /* a complete request is with the handler; parsing is paused */
    S_WRITING,      /* its answer is being written; parsing is paused */
    S_WRITING_LAST, /* an answer that ends the connection is being written */
    S_LINGER,       /* that answer is out and our side shut down: drain until the client closes */
    S_NSTATES
} s_state_t;

typedef struct s_conn s_conn_t;

/*  A trusted proxy: an address or a network (CIDR), in network byte order. */
typedef struct {
    int family;
    unsigned char addr[16];
    unsigned bits; /* prefix length: 32 or 128 for one address */
} s_proxy_t;

struct gy_http_request {
    s_conn_t *conn;           /* NULL once the connection has gone */
    gy_http_server_t *server; /* valid while this request lives */
    const char *method;       /* http-parser's static name */
    gy_buf_t url;             /* the request target as received */
    char *path;               /* path, then the query, in one allocation */
    const char *query;        /* inside path's allocation */
    gy_buf_t headers;         /* "name\0value\0" pairs in arrival order */
    size_t nheaders;
    bool in_value; /* the last header bytes belonged to a value */
    gy_buf_t body;
    char client_addr[INET6_ADDRSTRLEN];
    const char *route; /* static, from gy_http_set_route */
    uint64_t start_ns; /* first byte seen, for the duration metric */
    bool head;         /* HEAD: the answer goes without its body */
    bool dispatched;   /* given to the handler, which owes an answer */
};

struct s_conn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* idle, read, write or linger timeout by state */
    uv_shutdown_t shutdown;
    gy_http_server_t *server;
    s_conn_t *prev; /* in server->conns while not closing */
    s_conn_t *next;
    http_parser parser;
    s_state_t state;
    gy_http_request_t *req; /* being read, or with the handler */
    size_t header_bytes;    /* request line and headers read so far */
    bool headers_done;      /* the request being read is past its headers */
    bool message_done;      /* set by the parser; acted on after it returns */
    bool body_too_large;    /* set inside a parser callback; answered after it */
    bool keep_alive;        /* of the request being answered */
    bool reading;           /* uv_read_start is in effect */
    bool closing;
    int open_handles; /* tcp and timer, until their close callbacks */
    gy_buf_t pending; /* bytes received while parsing is paused */
    char peer[INET6_ADDRSTRLEN];
    bool peer_trusted; /* the peer's X-Forwarded-For is believed */
};

struct gy_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    gy_http_handler_fn *handler;
    void *arg;
    size_t max_header;
    size_t max_body;
    uint64_t read_timeout_ms;
    uint64_t idle_timeout_ms;
    s_proxy_t *proxies;
    size_t nproxies;
    gy_metrics_t *metrics; /* borrowed; NULL after destroy, when it may be gone */
    int port;
    s_conn_t *conns;    /* open connections */
    size_t nconns;      /* connections not yet freed */
    size_t nrequests;   /* requests the handler still owes an answer */
    bool listener_open; /* until the listener's close callback */
    bool destroyed;
    time_t date_second;              /* the second `date` was formatted for */
    char date[80];                   /* 29 bytes used; sized for snprintf's worst case */
    char read_buffer[S_READ_BUFFER]; /* every read lands here and is parsed at once */
};

/*  One answer (or a 100 Continue) in one allocation: the libuv request, then
 *  the head and body text, freed when the write completes. */
typedef struct {
    uv_write_t req;
    s_conn_t *conn;
    bool final; /* false for a 100 Continue */
    char data[];
} s_write_t;

static void s_conn_close(s_conn_t *conn);
static size_t s_parse(s_conn_t *conn, const char *data, size_t len);

/*  ---- the connection's state machine ---- */

typedef void(s_bytes_fn)(s_conn_t *conn, const char *data, size_t len);
typedef void(s_event_fn)(s_conn_t *conn);

static s_bytes_fn s_bytes_parse, s_bytes_keep, s_bytes_drop;
static s_event_fn s_timeout_close, s_timeout_refuse, s_written_resume, s_written_linger;

/*  What each event does in each state.  NULL marks an event that cannot
 *  happen in that state: the timer is stopped while the handler has the
 *  request, and only an answer's write completes.  The events "request
 *  complete" (S_READING to S_HANDLING, s_dispatch) and "answer given"
 *  (S_HANDLING to S_WRITING or S_WRITING_LAST, s_send) belong to one state
 *  each. */
static const struct {
    s_bytes_fn *on_bytes;   /* bytes arrived from the client */
    s_event_fn *on_timeout; /* the connection's timer fired */
    s_event_fn *on_written; /* the answer's write completed */
} s_machine[S_NSTATES] = {
    [S_IDLE] = {s_bytes_parse, s_timeout_close, NULL},
    [S_READING] = {s_bytes_parse, s_timeout_refuse, NULL},
    [S_HANDLING] = {s_bytes_keep, NULL, NULL},
    [S_WRITING] = {s_bytes_keep, s_timeout_close, s_written_resume},
    [S_WRITING_LAST] = {s_bytes_drop, s_timeout_close, s_written_linger},
    [S_LINGER] = {s_bytes_drop, s_timeout_close, NULL},
};

/*  ---- server lifetime ---- */

static void s_server_maybe_free(gy_http_server_t *self)
{
    if (!self->destroyed || self->listener_open || self->nconns > 0 || self->nrequests > 0)
        return;
    free(self->proxies);
    free(self);
}

static void s_on_listener_closed(uv_handle_t *handle)
{
    gy_http_server_t *self = handle->data;
    self->listener_open = false;
    s_server_maybe_free(self);
}

/*  Reads an address in text form into its binary form, or returns -1. */
/*  "ADDRESS" or "ADDRESS/BITS" (IPv4 or IPv6): in a cluster the edge's pods
 *  have no fixed address, only a network. */
static int s_parse_addr(const char *text, s_proxy_t *out)
{
    memset(out, 0, sizeof *out);
    char addr[INET6_ADDRSTRLEN];
    const char *slash = strchr(text, '/');
    size_t n = slash ? (size_t)(slash - text) : strlen(text);
    if (n >= sizeof addr)
        return -1;
    memcpy(addr, text, n);
    addr[n] = '\0';
    if (inet_pton(AF_INET, addr, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, addr, out->addr) == 1)
        out->family = AF_INET6;
    else
        return -1;
    unsigned max = out->family == AF_INET ? 32 : 128;
    out->bits = max;
    if (slash) {
        char *end;
        unsigned long bits = strtoul(slash + 1, &end, 10);
        if (!slash[1] || *end || bits > max)
            return -1;
        out->bits = (unsigned)bits;
    }
    return 0;
}

/*  Whether addr (same family) is in the proxy's network. */
static bool s_proxy_covers(const s_proxy_t *proxy, int family, const unsigned char *addr)
{
    if (proxy->family != family)
        return false;
    unsigned full = proxy->bits / 8, rest = proxy->bits % 8;
    if (memcmp(proxy->addr, addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (proxy->addr[full] & mask) == (addr[full] & mask);
}

static int s_parse_proxies(gy_http_server_t *self, const char *list)
{
    if (!list)
        return 0;
    size_t max = 1;
    for (const char *c = list; *c; c++)
        max += *c == ',';
    self->proxies = gy_calloc(max, sizeof(s_proxy_t));
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *start = p;
        const char *end = p + len;
        p = *end ? end + 1 : end;
        while (start < end && (*start == ' ' || *start == '\t'))
            start++;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (start == end)
            continue;
        char text[INET6_ADDRSTRLEN + 4]; /* and "/128" */
        size_t n = (size_t)(end - start);
        if (n < sizeof text) {
            memcpy(text, start, n);
            text[n] = '\0';
        }
        if (n >= sizeof text || s_parse_addr(text, &self->proxies[self->nproxies]) < 0) {
            gy_log_error("invalid trusted proxy address \"%.*s\"", (int)n, start);
            return -1;
        }
        self->nproxies++;
    }
    return 0;
}

static void s_on_connection(uv_stream_t *listener, int status);

gy_http_server_t *gy_http_server_new(uv_loop_t *loop, const gy_http_config_t *config,
                                     gy_http_handler_fn *handler, void *arg)
{
    assert(loop);
    assert(config);
    assert(config->host);
    assert(handler);
    struct sockaddr_storage addr;
    if (config->port < 0 || config->port > 65535 ||
        (uv_ip4_addr(config->host, config->port, (struct sockaddr_in *)&addr) != 0 &&
         uv_ip6_addr(config->host, config->port, (struct sockaddr_in6 *)&addr) != 0)) {
        gy_log_error("invalid HTTP listen address \"%s\" port %d", config->host, config->port);
        return NULL;
    }
    gy_http_server_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    self->handler = handler;
    self->arg = arg;
    self->max_header = config->max_header ? config->max_header : S_DEFAULT_MAX_HEADER;
    self->max_body = config->max_body ? config->max_body : S_DEFAULT_MAX_BODY;
    self->read_timeout_ms =
        config->read_timeout_ms ? config->read_timeout_ms : S_DEFAULT_READ_TIMEOUT_MS;
    self->idle_timeout_ms =
        config->idle_timeout_ms ? config->idle_timeout_ms : S_DEFAULT_IDLE_TIMEOUT_MS;
    self->metrics = config->metrics;
    if (s_parse_proxies(self, config->trusted_proxies) < 0) {
        gy_http_server_destroy(&self);
        return NULL;
    }

    int rc = uv_tcp_init(loop, &self->listener);
    if (rc < 0) {
        gy_log_error("could not create HTTP listener: %s", uv_strerror(rc));
        gy_http_server_destroy(&self);
        return NULL;
    }
    self->listener.data = self;
    self->listener_open = true;
    rc = uv_tcp_bind(&self->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&self->listener, S_BACKLOG, s_on_connection);
    if (rc == 0) {
        struct sockaddr_storage bound;
        int bound_len = sizeof bound;
        rc = uv_tcp_getsockname(&self->listener, (struct sockaddr *)&bound, &bound_len);
        if (rc == 0)
            self->port =
                ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    }
    if (rc < 0) {
        gy_log_error("could not listen for HTTP on %s port %d: %s", config->host, config->port,
                     uv_strerror(rc));
        /*  As after any destroy, the listener's memory goes when the loop runs. */
        gy_http_server_destroy(&self);
        return NULL;
    }
    if (self->metrics) {
        gy_metrics_describe(self->metrics, "gy_http_requests_total", "counter",
                            "HTTP answers by route and status.");
        gy_metrics_describe(self->metrics, "gy_http_request_duration_seconds", "histogram",
                            "Time from a request's first byte to its answer.");
    }
    return self;
}

void gy_http_server_destroy(gy_http_server_t **self_p)
{
    assert(self_p);
    gy_http_server_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    self->destroyed = true;
    /*  The metrics are borrowed and may be destroyed right after us, while
     *  requests with the handler are still to be answered. */
    self->metrics = NULL;
    if (self->listener_open)
        uv_close((uv_handle_t *)&self->listener, s_on_listener_closed);
    while (self->conns)
        s_conn_close(self->conns);
    s_server_maybe_free(self);
}

int gy_http_server_port(gy_http_server_t *self)
{
    assert(self);
    return self->port;
}

/*  ---- requests ---- */

static gy_http_request_t *s_request_new(s_conn_t *conn)
{
    gy_http_request_t *req = gy_calloc(1, sizeof *req);
    req->conn = conn;
    req->server = conn->server;
    req->route = S_DEFAULT_ROUTE;
    req->start_ns = gy_mono_ns();
    return req;
}

static void s_request_free(gy_http_request_t *req)
{
    gy_buf_free(&req->url);
    gy_buf_free(&req->headers);
    gy_buf_free(&req->body);
    free(req->path);
    free(req);
}

/*  Value of the first (or last) header with this name, or NULL. */
static const char *s_find_header(const gy_http_request_t *req, const char *name, bool last)
{
    const char *found = NULL;
    const char *p = req->headers.data;
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *value = p + strlen(p) + 1;
        if (strcasecmp(p, name) == 0) {
            found = value;
            if (!last)
                break;
        }
        p = value + strlen(value) + 1;
    }
    return found;
}

const char *gy_http_method(const gy_http_request_t *req)
{
    assert(req);
    return req->method;
}

const char *gy_http_path(const gy_http_request_t *req)
{
    assert(req);
    return req->path;
}

const char *gy_http_query(const gy_http_request_t *req)
{
    assert(req);
    return req->query;
}

const char *gy_http_header(const gy_http_request_t *req, const char *name)
{
    assert(req);
    assert(name);
    return s_find_header(req, name, false);
}

const char *gy_http_body(const gy_http_request_t *req, size_t *len_p)
{
    assert(req);
    if (len_p)
        *len_p = req->body.len;
    return req->body.data ? req->body.data : "";
}

const char *gy_http_client_addr(const gy_http_request_t *req)
{
    assert(req);
    return req->client_addr;
}

void gy_http_set_route(gy_http_request_t *req, const char *route)
{
    assert(req);
    assert(route);
    req->route = route;
}

/*  ---- answers ---- */

static const char *s_format_date(gy_http_server_t *self)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    if (now != self->date_second) {
        struct tm tm;
        gmtime_r(&now, &tm);
        /*  Not strftime: the names must not depend on the locale. */
        snprintf(self->date, sizeof self->date, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        self->date_second = now;
    }
    return self->date;
}

static void s_count_answer(gy_http_server_t *self, const char *route, int status, uint64_t start_ns)
{
    if (!self->metrics)
        return;
    char labels[256];
    int n = snprintf(labels, sizeof labels, "route=\"%s\",status=\"%d\"", route, status);
    assert(n > 0 && (size_t)n < sizeof labels && "route name too long");
    gy_metrics_count(self->metrics, "gy_http_requests_total", labels, 1);
    snprintf(labels, sizeof labels, "route=\"%s\"", route);
    gy_metrics_observe(self->metrics, "gy_http_request_duration_seconds", labels,
                       (double)(gy_mono_ns() - start_ns) / 1e9);
}

static char *s_format_error(const char *code, const char *message, const char *field)
{
    json_t *doc =
        json_pack("{s:{s:s,s:s,s:s?}}", "error", "code", code, "message", message, "field", field);
    if (!doc) {
        /*  The field may name a member of the client's JSON; text that is not
         *  UTF-8 must cost the client the detail, not us the process. */
        gy_log_warning("error answer \"%s\" has a message or field that is not UTF-8", code);
        doc = json_pack("{s:{s:s,s:s,s:n}}", "error", "code", code, "message", code, "field");
    }
    assert(doc && "error codes are UTF-8 literals");
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    assert(text);
    return text;
}

static void s_on_timer(uv_timer_t *timer);
static void s_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void s_on_alloc(uv_handle_t *handle, size_t suggested_size, uv_buf_t *buf)
{
    (void)suggested_size;
    s_conn_t *conn = handle->data;
    /*  libuv calls alloc and read back to back, so one buffer serves every
     *  connection: what is not parsed at once is copied to `pending`. */
    *buf = uv_buf_init(conn->server->read_buffer, sizeof conn->server->read_buffer);
}

static void s_read_start(s_conn_t *conn)
{
    if (conn->reading || conn->closing)
        return;
    int rc = uv_read_start((uv_stream_t *)&conn->tcp, s_on_alloc, s_on_read);
    if (rc < 0) {
        gy_log_debug("could not read from HTTP client %s: %s", conn->peer, uv_strerror(rc));
        s_conn_close(conn);
        return;
    }
    conn->reading = true;
}

static void s_start_timer(s_conn_t *conn, uint64_t timeout_ms)
{
    uv_timer_start(&conn->timer, s_on_timer, timeout_ms, 0);
}

/*  Pipelined bytes wait here while a request is with the handler; beyond
 *  this much we stop reading so a client cannot make us buffer without end. */
static size_t s_pending_limit(const gy_http_server_t *server)
{
    size_t limit = server->max_header + server->max_body;
    return limit > S_READ_BUFFER ? limit : S_READ_BUFFER;
}

static void s_on_shutdown(uv_shutdown_t *shutdown, int status)
{
    s_conn_t *conn = shutdown->data;
    if (status < 0 && !conn->closing)
        s_conn_close(conn);
}

/*  After an answer that closes: send FIN, then drain until the client closes. */
static void s_written_linger(s_conn_t *conn)
{
    conn->state = S_LINGER;
    gy_buf_free(&conn->pending);
    conn->shutdown.data = conn;
    int rc = uv_shutdown(&conn->shutdown, (uv_stream_t *)&conn->tcp, s_on_shutdown);
    if (rc < 0) {
        s_conn_close(conn);
        return;
    }
    s_start_timer(conn, S_LINGER_MS);
    s_read_start(conn);
}

/*  The answer is out: take up the next request, which may be waiting already. */
static void s_written_resume(s_conn_t *conn)
{
    conn->state = S_IDLE;
    s_start_timer(conn, conn->server->idle_timeout_ms);
    if (conn->pending.len > 0) {
        size_t used = s_parse(conn, conn->pending.data, conn->pending.len);
        if (conn->closing)
            return;
        if (s_machine[conn->state].on_bytes == s_bytes_drop) {
            gy_buf_free(&conn->pending);
        } else {
            memmove(conn->pending.data, conn->pending.data + used, conn->pending.len - used);
            conn->pending.len -= used;
        }
    }
    if (conn->pending.len < s_pending_limit(conn->server))
        s_read_start(conn);
}

static void s_on_written(uv_write_t *write_req, int status)
{
    s_write_t *write = (s_write_t *)write_req;
    s_conn_t *conn = write->conn;
    bool final = write->final;
    free(write);
    if (conn->closing)
        return;
    if (status < 0) {
        gy_log_debug("could not write to HTTP client %s: %s", conn->peer, uv_strerror(status));
        s_conn_close(conn);
        return;
    }
    if (!final)
        return;
    s_event_fn *on_written = s_machine[conn->state].on_written;
    assert(on_written);
    on_written(conn);
}

static void s_write_out(s_conn_t *conn, s_write_t *write, size_t len)
{
    assert(len <= UINT32_MAX);
    write->conn = conn;
    uv_buf_t buf = uv_buf_init(write->data, (unsigned int)len);
    int rc = uv_write(&write->req, (uv_stream_t *)&conn->tcp, &buf, 1, s_on_written);
    if (rc < 0) {
        gy_log_debug("could not write to HTTP client %s: %s", conn->peer, uv_strerror(rc));
        free(write);
        s_conn_close(conn);
    }
}

#define S_HEAD_FORMAT "HTTP/1.1 %d %s\r\nDate: %s\r\n%s%s%s%sConnection: %s\r\n%s\r\n"

/*  Writes one answer: head and body in a single buffer and a single write. */
static void s_send(s_conn_t *conn, int status, const char *content_type, const char *extra_headers,
                   const char *body, size_t len, bool with_body)
{
    /*  204 and 304 carry no body and so no Content-Length either. */
    bool bodyless = status == 204 || status == 304;
    const char *reason = http_status_str((enum http_status)status);
    if (strcmp(reason, "<unknown>") == 0)
        reason = "";
    const char *type = bodyless ? NULL : content_type ? content_type : S_DEFAULT_CONTENT_TYPE;
    char length[48] = "";
    if (!bodyless)
        snprintf(length, sizeof length, "Content-Length: %zu\r\n", len);
    const char *date = s_format_date(conn->server);
    const char *connection = conn->keep_alive ? "keep-alive" : "close";
    const char *extra = extra_headers ? extra_headers : "";
    int head_len =
        snprintf(NULL, 0, S_HEAD_FORMAT, status, reason, date, type ? "Content-Type: " : "",
                 type ? type : "", type ? "\r\n" : "", length, connection, extra);
    assert(head_len > 0);
    size_t body_len = with_body && !bodyless ? len : 0;
    s_write_t *write = gy_malloc(sizeof *write + (size_t)head_len + 1 + body_len);
    snprintf(write->data, (size_t)head_len + 1, S_HEAD_FORMAT, status, reason, date,
             type ? "Content-Type: " : "", type ? type : "", type ? "\r\n" : "", length, connection,
             extra);
    if (body_len)
        memcpy(write->data + head_len, body, body_len);
    write->final = true;
    conn->state = conn->keep_alive ? S_WRITING : S_WRITING_LAST;
    /*  A client that stops reading must not hold the connection for ever. */
    s_start_timer(conn, conn->server->idle_timeout_ms);
    s_write_out(conn, write, (size_t)head_len + body_len);
}

/*  Answers a request the server itself refuses, and ends the connection. */
static void s_fail(s_conn_t *conn, int status, const char *code, const char *message)
{
    gy_log_debug("answering %d %s to HTTP client %s", status, code, conn->peer);
    uint64_t start_ns = gy_mono_ns();
    if (conn->req) {
        assert(!conn->req->dispatched);
        start_ns = conn->req->start_ns;
        s_request_free(conn->req);
        conn->req = NULL;
    }
    s_count_answer(conn->server, S_DEFAULT_ROUTE, status, start_ns);
    conn->keep_alive = false;
    char *body = s_format_error(code, message, NULL);
    s_send(conn, status, NULL, NULL, body, strlen(body), true);
    free(body);
}

static void s_send_continue(s_conn_t *conn)
{
    static const char text[] = "HTTP/1.1 100 Continue\r\n\r\n";
    s_write_t *write = gy_malloc(sizeof *write + sizeof text);
    memcpy(write->data, text, sizeof text);
    write->final = false;
    s_write_out(conn, write, sizeof text - 1);
}

void gy_http_respond(gy_http_request_t *req, int status, const char *content_type,
                     const char *extra_headers, const char *body, size_t len)
{
    assert(req);
    assert(req->dispatched && "a request is answered once, and only after the handler got it");
    assert(status >= 200 && status <= 599);
    assert(body || len == 0);
    gy_http_server_t *server = req->server;
    s_count_answer(server, req->route, status, req->start_ns);
    s_conn_t *conn = req->conn;
    if (conn) {
        assert(conn->req == req && conn->state == S_HANDLING);
        conn->req = NULL;
        s_send(conn, status, content_type, extra_headers, body, len, !req->head);
    } else {
        gy_log_debug("dropping the %d answer to an HTTP client that has gone", status);
    }
    req->dispatched = false;
    s_request_free(req);
    assert(server->nrequests > 0);
    server->nrequests--;
    s_server_maybe_free(server);
}

void gy_http_respond_error(gy_http_request_t *req, int status, const char *code,
                           const char *message, const char *field)
{
    assert(req);
    assert(code);
    assert(message);
    char *body = s_format_error(code, message, field);
    gy_http_respond(req, status, NULL, NULL, body, strlen(body));
    free(body);
}

/*  ---- parsing ---- */

static int s_on_message_begin(http_parser *parser)
{
    s_conn_t *conn = parser->data;
    assert(!conn->req);
    conn->req = s_request_new(conn);
    conn->state = S_READING;
    s_start_timer(conn, conn->server->read_timeout_ms);
    return 0;
}

static int s_on_url(http_parser *parser, const char *at, size_t len)
{
    s_conn_t *conn = parser->data;
    gy_buf_append(&conn->req->url, at, len);
    return 0;
}

/*  A name or value may come in several pieces (one per read); a name
 *  after a value starts the next header. */
static int s_on_header_field(http_parser *parser, const char *at, size_t len)
{
    s_conn_t *conn = parser->data;
    if (conn->headers_done)
        return 0; /* a chunked body's trailer: not kept */
    gy_http_request_t *req = conn->req;
    if (req->in_value || req->nheaders == 0) {
        if (req->in_value)
            gy_buf_append(&req->headers, "", 1);
        req->in_value = false;
        req->nheaders++;
    }
    gy_buf_append(&req->headers, at, len);
    return 0;
}

static int s_on_header_value(http_parser *parser, const char *at, size_t len)
{
    s_conn_t *conn = parser->data;
    if (conn->headers_done)
        return 0;
    gy_http_request_t *req = conn->req;
    if (!req->in_value) {
        gy_buf_append(&req->headers, "", 1);
        req->in_value = true;
    }
    gy_buf_append(&req->headers, at, len);
    return 0;
}

static int s_on_headers_complete(http_parser *parser)
{
    s_conn_t *conn = parser->data;
    conn->headers_done = true;
    /*  Stop here so s_parse knows the exact size of the headers and checks
     *  the limits before a byte of the body is taken in. */
    http_parser_pause(parser, 1);
    return 0;
}

static int s_on_chunk_header(http_parser *parser)
{
    s_conn_t *conn = parser->data;
    /*  content_length holds the announced size of this chunk. */
    if (parser->content_length > conn->server->max_body - conn->req->body.len) {
        conn->body_too_large = true;
        return -1;
    }
    return 0;
}

static int s_on_body(http_parser *parser, const char *at, size_t len)
{
    s_conn_t *conn = parser->data;
    gy_http_request_t *req = conn->req;
    if (len > conn->server->max_body - req->body.len) {
        conn->body_too_large = true;
        return -1;
    }
    gy_buf_append(&req->body, at, len);
    return 0;
}

static int s_on_message_complete(http_parser *parser)
{
    s_conn_t *conn = parser->data;
    conn->message_done = true;
    /*  One request at a time: the rest waits until this one is answered. */
    http_parser_pause(parser, 1);
    return 0;
}

static const http_parser_settings s_settings = {
    .on_message_begin = s_on_message_begin,
    .on_url = s_on_url,
    .on_header_field = s_on_header_field,
    .on_header_value = s_on_header_value,
    .on_headers_complete = s_on_headers_complete,
    .on_body = s_on_body,
    .on_message_complete = s_on_message_complete,
    .on_chunk_header = s_on_chunk_header,
};

/*  Splits the request target into path and query; -1 if it is malformed. */
static int s_split_target(gy_http_request_t *req, bool is_connect)
{
    struct http_parser_url url;
    http_parser_url_init(&url);
    if (req->url.len == 0 ||
        http_parser_parse_url(req->url.data, req->url.len, is_connect, &url) != 0)
        return -1;
    const char *path = "/";
    size_t path_len = 1;
    if (url.field_set & (1 << UF_PATH)) {
        path = req->url.data + url.field_data[UF_PATH].off;
        path_len = url.field_data[UF_PATH].len;
    }
    const char *query = "";
    size_t query_len = 0;
    if (url.field_set & (1 << UF_QUERY)) {
        query = req->url.data + url.field_data[UF_QUERY].off;
        query_len = url.field_data[UF_QUERY].len;
    }
    req->path = gy_malloc(path_len + 1 + query_len + 1);
    memcpy(req->path, path, path_len);
    req->path[path_len] = '\0';
    char *query_copy = req->path + path_len + 1;
    memcpy(query_copy, query, query_len);
    query_copy[query_len] = '\0';
    req->query = query_copy;
    return 0;
}

/*  The peer, or the last X-Forwarded-For hop (the one the trusted proxy
 *  added itself) when the peer is a trusted proxy. */
static void s_find_client_addr(s_conn_t *conn, gy_http_request_t *req)
{
    snprintf(req->client_addr, sizeof req->client_addr, "%s", conn->peer);
    if (!conn->peer_trusted)
        return;
    const char *forwarded = s_find_header(req, "X-Forwarded-For", true);
    if (!forwarded)
        return;
    const char *hop = strrchr(forwarded, ',');
    hop = hop ? hop + 1 : forwarded;
    while (*hop == ' ' || *hop == '\t')
        hop++;
    size_t len = strlen(hop);
    while (len > 0 && (hop[len - 1] == ' ' || hop[len - 1] == '\t'))
        len--;
    char text[INET6_ADDRSTRLEN];
    s_proxy_t addr;
    if (len >= sizeof text) {
        gy_log_debug("ignoring a malformed X-Forwarded-For from %s", conn->peer);
        return;
    }
    memcpy(text, hop, len);
    text[len] = '\0';
    if (s_parse_addr(text, &addr) < 0) {
        gy_log_debug("ignoring a malformed X-Forwarded-For from %s", conn->peer);
        return;
    }
    inet_ntop(addr.family, addr.addr, req->client_addr, sizeof req->client_addr);
}

/*  The headers are in and within their limit: check the announced body,
 *  and make the request ready for the handler.  -1 when refused. */
static int s_finish_head(s_conn_t *conn)
{
    http_parser *parser = &conn->parser;
    gy_http_request_t *req = conn->req;
    if (!(parser->flags & F_CHUNKED) && (parser->flags & F_CONTENTLENGTH) &&
        parser->content_length > conn->server->max_body) {
        s_fail(conn, 413, "body_too_large", "request body is too large");
        return -1;
    }
    if (req->nheaders > 0) {
        if (!req->in_value)
            gy_buf_append(&req->headers, "", 1); /* a name without a value */
        gy_buf_append(&req->headers, "", 1);
    }
    req->method = http_method_str((enum http_method)parser->method);
    req->head = parser->method == HTTP_HEAD;
    if (s_split_target(req, parser->method == HTTP_CONNECT) < 0) {
        s_fail(conn, 400, "bad_request", "request target could not be parsed");
        return -1;
    }
    s_find_client_addr(conn, req);
    /*  Clients such as curl wait for this before they send a larger body. */
    const char *expect = s_find_header(req, "Expect", false);
    bool body_follows = (parser->flags & F_CHUNKED) ||
                        ((parser->flags & F_CONTENTLENGTH) && parser->content_length > 0);
    if (expect && strcasecmp(expect, "100-continue") == 0 && body_follows &&
        parser->http_major == 1 && parser->http_minor >= 1)
        s_send_continue(conn);
    return 0;
}

/*  Gives the complete request to the handler. */
static void s_dispatch(s_conn_t *conn)
{
    gy_http_server_t *server = conn->server;
    gy_http_request_t *req = conn->req;
    conn->state = S_HANDLING;
    uv_timer_stop(&conn->timer);
    /*  After an Upgrade or CONNECT the parser stops; we speak nothing else. */
    conn->keep_alive = http_should_keep_alive(&conn->parser) && !conn->parser.upgrade;
    conn->header_bytes = 0;
    conn->headers_done = false;
    conn->message_done = false;
    req->dispatched = true;
    server->nrequests++;
    server->handler(req, server->arg);
}

/*  Feeds bytes to the parser until they run out, a request is complete or
 *  the request is refused.  Returns how many bytes were used; the rest
 *  belongs to later requests. */
static size_t s_parse(s_conn_t *conn, const char *data, size_t len)
{
    gy_http_server_t *server = conn->server;
    size_t used = 0;
    while (used < len && !conn->closing && (conn->state == S_IDLE || conn->state == S_READING)) {
        bool in_head = !conn->headers_done;
        size_t n = http_parser_execute(&conn->parser, &s_settings, data + used, len - used);
        used += n;
        enum http_errno err = HTTP_PARSER_ERRNO(&conn->parser);
        bool paused = err == HPE_PAUSED;
        if (paused) {
            http_parser_pause(&conn->parser, 0);
            err = HPE_OK;
        }
        /*  Paused at the end of the headers, the parser leaves their last
         *  byte (the LF) unconsumed and reads it again when resumed; when
         *  that LF starts a read, it pauses having taken nothing. */
        if (in_head)
            conn->header_bytes += n + (conn->headers_done ? 1 : 0);
        if (conn->body_too_large) {
            s_fail(conn, 413, "body_too_large", "request body is too large");
            break;
        }
        /*  http-parser has its own limit (80 KiB); reaching it must look
         *  the same to a client as reaching ours. */
        if (err == HPE_HEADER_OVERFLOW || (in_head && conn->header_bytes > server->max_header)) {
            s_fail(conn, 431, "headers_too_large", "request headers are too large");
            break;
        }
        if (err != HPE_OK) {
            gy_log_debug("HTTP client %s sent an unparsable request: %s", conn->peer,
                         http_errno_description(err));
            s_fail(conn, 400, "bad_request", "request could not be parsed");
            break;
        }
        if (in_head && conn->headers_done && (s_finish_head(conn) < 0 || conn->closing))
            break;
        if (conn->message_done) {
            s_dispatch(conn);
            break;
        }
        if (n == 0 && !paused) {
            /*  The parser took nothing and did not stop: never spin on it. */
            s_fail(conn, 400, "bad_request", "request could not be parsed");
            break;
        }
    }
    return used;
}

/*  ---- connections ---- */

static void s_bytes_parse(s_conn_t *conn, const char *data, size_t len)
{
    assert(conn->pending.len == 0);
    size_t used = s_parse(conn, data, len);
    /*  Parsing stopped at a complete or refused request: what follows is
     *  for the state that left us in. */
    if (used < len && !conn->closing)
        s_machine[conn->state].on_bytes(conn, data + used, len - used);
}

static void s_bytes_keep(s_conn_t *conn, const char *data, size_t len)
{
    gy_buf_append(&conn->pending, data, len);
    if (conn->reading && conn->pending.len >= s_pending_limit(conn->server)) {
        uv_read_stop((uv_stream_t *)&conn->tcp);
        conn->reading = false;
    }
}

static void s_bytes_drop(s_conn_t *conn, const char *data, size_t len)
{
    (void)conn;
    (void)data;
    (void)len;
}

static void s_timeout_close(s_conn_t *conn)
{
    s_conn_close(conn);
}

static void s_timeout_refuse(s_conn_t *conn)
{
    s_fail(conn, 408, "request_timeout", "request was not complete within the read timeout");
}

static void s_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    s_conn_t *conn = stream->data;
    if (nread == 0 || conn->closing)
        return;
    if (nread < 0) {
        /*  Also while the handler works: the client has gone, so the answer
         *  will be dropped (gy_http.h: the request stays valid until then). */
        if (nread != UV_EOF && nread != UV_ECONNRESET)
            gy_log_debug("could not read from HTTP client %s: %s", conn->peer,
                         uv_strerror((int)nread));
        s_conn_close(conn);
        return;
    }
    s_machine[conn->state].on_bytes(conn, buf->base, (size_t)nread);
}

static void s_on_timer(uv_timer_t *timer)
{
    s_conn_t *conn = timer->data;
    s_event_fn *on_timeout = s_machine[conn->state].on_timeout;
    assert(on_timeout);
    on_timeout(conn);
}

static void s_on_conn_closed(uv_handle_t *handle)
{
    s_conn_t *conn = handle->data;
    if (--conn->open_handles > 0)
        return;
    gy_http_server_t *server = conn->server;
    gy_buf_free(&conn->pending);
    free(conn);
    server->nconns--;
    s_server_maybe_free(server);
}

static void s_conn_close(s_conn_t *conn)
{
    if (conn->closing)
        return;
    conn->closing = true;
    gy_http_server_t *server = conn->server;
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        server->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    if (conn->req) {
        /*  A request with the handler lives on until it is answered; its
         *  answer will then be dropped. */
        if (conn->req->dispatched)
            conn->req->conn = NULL;
        else
            s_request_free(conn->req);
        conn->req = NULL;
    }
    uv_close((uv_handle_t *)&conn->tcp, s_on_conn_closed);
    uv_close((uv_handle_t *)&conn->timer, s_on_conn_closed);
}

/*  Names the peer, with IPv4-mapped IPv6 addresses (a listener on "::")
 *  shown and compared as the IPv4 addresses they are. */
static void s_name_peer(s_conn_t *conn)
{
    snprintf(conn->peer, sizeof conn->peer, "unknown");
    struct sockaddr_storage sa;
    int sa_len = sizeof sa;
    if (uv_tcp_getpeername(&conn->tcp, (struct sockaddr *)&sa, &sa_len) != 0)
        return;
    s_proxy_t addr = {0};
    if (sa.ss_family == AF_INET) {
        addr.family = AF_INET;
        memcpy(addr.addr, &((struct sockaddr_in *)&sa)->sin_addr, 4);
    } else if (sa.ss_family == AF_INET6) {
        const struct in6_addr *in6 = &((struct sockaddr_in6 *)&sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(in6)) {
            addr.family = AF_INET;
            memcpy(addr.addr, in6->s6_addr + 12, 4);
        } else {
            addr.family = AF_INET6;
            memcpy(addr.addr, in6->s6_addr, 16);
        }
    } else {
        return;
    }
    inet_ntop(addr.family, addr.addr, conn->peer, sizeof conn->peer);
    for (size_t i = 0; i < conn->server->nproxies; i++)
        if (s_proxy_covers(&conn->server->proxies[i], addr.family, addr.addr))
            conn->peer_trusted = true;
}

static void s_on_connection(uv_stream_t *listener, int status)
{
    gy_http_server_t *server = listener->data;
    if (status < 0) {
        gy_log_warning("could not accept an HTTP connection: %s", uv_strerror(status));
        return;
    }
    s_conn_t *conn = gy_calloc(1, sizeof *conn);
    conn->server = server;
    /*  Neither can fail: a TCP handle gets its socket from uv_accept. */
    int rc = uv_tcp_init(server->loop, &conn->tcp);
    assert(rc == 0);
    rc = uv_timer_init(server->loop, &conn->timer);
    assert(rc == 0);
    conn->tcp.data = conn;
    conn->timer.data = conn;
    conn->open_handles = 2;
    server->nconns++;
    conn->next = server->conns;
    if (server->conns)
        server->conns->prev = conn;
    server->conns = conn;

    rc = uv_accept(listener, (uv_stream_t *)&conn->tcp);
    if (rc < 0) {
        gy_log_warning("could not accept an HTTP connection: %s", uv_strerror(rc));
        s_conn_close(conn);
        return;
    }
    /*  Every answer is one complete write; do not hold it back. */
    uv_tcp_nodelay(&conn->tcp, 1);
    s_name_peer(conn);
    http_parser_init(&conn->parser, HTTP_REQUEST);
    conn->parser.data = conn;
    conn->state = S_IDLE;
    s_start_timer(conn, server->idle_timeout_ms);
    s_read_start(conn);
}
