/*  gy_http — an HTTP/1.1 server on a libuv loop, parsed by http-parser.
 *
 *  The server owns connections and requests; a service supplies one handler
 *  that is called once per complete request (headers and body read and
 *  within limits).  The handler must answer each request exactly once with
 *  gy_http_respond, now or later (for example after a database commit).  If
 *  the client went away meanwhile, the answer is dropped and the request is
 *  freed; the request pointer stays valid until then.
 *
 *  The server enforces the limits itself and answers with the JSON error
 *  shape of docs/api.md: a request line plus headers over max_header bytes
 *  (431 headers_too_large), a body over max_body (413 body_too_large, checked
 *  against Content-Length before the body is read and while reading chunked
 *  bodies), a request not complete within read_timeout_ms of its first byte
 *  (408 request_timeout), and a request http-parser rejects (400
 *  bad_request).  Those close the connection.  Keep-alive and pipelined
 *  requests are supported; answers leave in request order.  An idle
 *  keep-alive connection is closed after idle_timeout_ms.
 *
 *  Every answer is counted in the metrics, when given, as
 *  gy_http_requests_total{route,status} and
 *  gy_http_request_duration_seconds{route}.
 */
#ifndef GY_HTTP_H
#define GY_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gy_metrics.h"

typedef struct gy_http_server gy_http_server_t;
typedef struct gy_http_request gy_http_request_t;

typedef void(gy_http_handler_fn)(gy_http_request_t *req, void *arg);

typedef struct {
    const char *host;            /* address to bind, e.g. "127.0.0.1" or "0.0.0.0" */
    int port;                    /* 0 picks a free port: see gy_http_server_port */
    size_t max_header;           /* bytes of request line + headers; 0 = 8192 */
    size_t max_body;             /* bytes; 0 = 65536 */
    uint64_t read_timeout_ms;    /* 0 = 10000 */
    uint64_t idle_timeout_ms;    /* 0 = 60000 */
    const char *trusted_proxies; /* comma-separated peer IPs or CIDR networks whose
                                    X-Forwarded-For counts; may be NULL */
    gy_metrics_t *metrics;       /* borrowed, may be NULL */
} gy_http_config_t;

/*  Creates the server and starts listening.  NULL (logged) if the address
 *  cannot be bound. */
gy_http_server_t *gy_http_server_new(uv_loop_t *loop, const gy_http_config_t *config,
                                     gy_http_handler_fn *handler, void *arg);

/*  Closes the listener and every connection.  Memory is released from the
 *  close callbacks, so the caller runs the loop afterwards until it has no
 *  more handles.  Requests still waiting for an answer stay valid until the
 *  handler answers them (the answer is dropped). */
void gy_http_server_destroy(gy_http_server_t **self_p);

/*  The port actually bound (useful with port 0). */
int gy_http_server_port(gy_http_server_t *self);

const char *gy_http_method(const gy_http_request_t *req); /* "GET", "POST", ... */
const char *
gy_http_path(const gy_http_request_t *req); /* path without the query, "/api/v1/clues" */
const char *gy_http_query(const gy_http_request_t *req); /* query string without '?', or "" */
/*  First header with this name (case-insensitive), or NULL. */
const char *gy_http_header(const gy_http_request_t *req, const char *name);
/*  The body (NUL-terminated for convenience) and its length. */
const char *gy_http_body(const gy_http_request_t *req, size_t *len_p);
/*  The client's address: the peer, or the last X-Forwarded-For hop when the
 *  peer is a trusted proxy. */
const char *gy_http_client_addr(const gy_http_request_t *req);
/*  Names the route for metrics; a static string.  Default "unmatched". */
void gy_http_set_route(gy_http_request_t *req, const char *route);

/*  Answers the request.  body is copied.  content_type NULL means
 *  "application/json; charset=utf-8".  extra_headers, when not NULL, is
 *  inserted verbatim (each line ending in "\r\n"). */
void gy_http_respond(gy_http_request_t *req, int status, const char *content_type,
                     const char *extra_headers, const char *body, size_t len);

/*  Answers with {"error":{"code","message","field"}}; field may be NULL. */
void gy_http_respond_error(gy_http_request_t *req, int status, const char *code,
                           const char *message, const char *field);

#endif
