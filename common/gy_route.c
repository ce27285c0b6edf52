/*  gy_route — see gy_route.h. */
#include "gy_route.h"

#include <assert.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gy_text.h"
#include "gy_util.h"

/*  Matches one pattern against path.  On success the parameters are copied
 *  into match->buf and *shape gets one bit per segment, set for a literal
 *  one, from the left (the most literal pattern has the largest shape). */
static bool s_match(const char *pattern, const char *path, gy_route_match_t *match, uint64_t *shape)
{
    size_t used = 0;
    int count = 0, segment = 0;
    uint64_t bits = 0;
    while (*pattern && *path) {
        if (*pattern == '/' && *path == '/') {
            pattern++, path++;
            segment++;
            continue;
        }
        if (*pattern == '{') {
            const char *close = strchr(pattern, '}');
            assert(close); /* a pattern's braces come in pairs */
            size_t n = strcspn(path, "/");
            if (n == 0 || count == GY_ROUTE_MAX_PARAMS || used + n + 1 > sizeof match->buf)
                return false;
            memcpy(match->buf + used, path, n);
            match->buf[used + n] = '\0';
            match->names[count] = pattern + 1;
            match->values[count] = match->buf + used;
            count++;
            used += n + 1;
            path += n;
            pattern = close + 1;
            continue;
        }
        /*  A literal segment, compared whole. */
        size_t n = strcspn(pattern, "/");
        if (strncmp(pattern, path, n) != 0 || (path[n] != '/' && path[n] != '\0'))
            return false;
        if (segment < 63)
            bits |= (uint64_t)1 << (63 - segment);
        pattern += n;
        path += n;
    }
    if (*pattern || *path)
        return false;
    match->count = count;
    *shape = bits;
    return true;
}

/*  Whether two patterns have the same segments, parameters counting as one. */
static bool s_same_shape(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a == '{' && *b == '{') {
            a = strchr(a, '}') + 1;
            b = strchr(b, '}') + 1;
        } else if (*a++ != *b++) {
            return false;
        }
    }
    return !*a && !*b;
}

static void s_allow_add(char *allow, size_t size, const char *method)
{
    /*  Each method once, in table order. */
    size_t n = strlen(method);
    for (const char *p = allow; (p = strstr(p, method)) != NULL; p += n)
        if ((p == allow || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
            return;
    size_t len = strlen(allow);
    snprintf(allow + len, size - len, "%s%s", len ? ", " : "", method);
}

gy_route_result_t gy_route_find(const gy_route_t *table, const char *method, const char *path,
                                gy_route_match_t *match)
{
    assert(table && method && path && match);
    memset(match, 0, sizeof *match);
    const gy_route_t *best = NULL; /* the most literal pattern that matches */
    uint64_t best_shape = 0;
    for (const gy_route_t *r = table; r->method; r++) {
        gy_route_match_t m;
        uint64_t shape;
        if (!s_match(r->pattern, path, &m, &shape))
            continue;
        if (!best || shape > best_shape) {
            best = r;
            best_shape = shape;
        }
    }
    if (!best)
        return GY_ROUTE_NOT_FOUND;
    /*  HEAD is GET without the body (gy_http leaves the body out). */
    const char *wanted = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (const gy_route_t *r = table; r->method; r++) {
        if (!s_same_shape(r->pattern, best->pattern))
            continue;
        if (strcmp(r->method, wanted) == 0) {
            uint64_t shape;
            s_match(r->pattern, path, match, &shape);
            match->route = r;
            match->allow[0] = '\0';
            return GY_ROUTE_FOUND;
        }
        s_allow_add(match->allow, sizeof match->allow, r->method);
    }
    match->route = best;
    return GY_ROUTE_NO_METHOD;
}

const char *gy_route_param(const gy_route_match_t *match, const char *name)
{
    assert(match && name);
    size_t n = strlen(name);
    for (int i = 0; i < match->count; i++)
        if (strncmp(match->names[i], name, n) == 0 && match->names[i][n] == '}')
            return match->values[i];
    return NULL;
}

bool gy_route_dispatch_or(const gy_route_t *table, gy_http_request_t *req, void *arg,
                          bool answer_not_found)
{
    gy_route_match_t match;
    const char *method = gy_http_method(req);
    switch (gy_route_find(table, method, gy_http_path(req), &match)) {
    case GY_ROUTE_FOUND:
        gy_http_set_route(req, match.route->name);
        match.route->fn(req, &match, arg);
        return true;
    case GY_ROUTE_NO_METHOD: {
        gy_http_set_route(req, match.route->name);
        char headers[128];
        snprintf(headers, sizeof headers, "Allow: %s\r\n", match.allow);
        if (strcmp(method, "OPTIONS") == 0) {
            gy_http_respond(req, 204, NULL, headers, "", 0);
            return true;
        }
        char *body = gy_error_body("method_not_allowed", "this method is not allowed here", NULL);
        gy_http_respond(req, 405, NULL, headers, body, strlen(body));
        free(body);
        return true;
    }
    case GY_ROUTE_NOT_FOUND: break;
    }
    if (!answer_not_found)
        return false;
    gy_http_respond_error(req, 404, "not_found", "no such resource", NULL);
    return true;
}

void gy_route_dispatch(const gy_route_t *table, gy_http_request_t *req, void *arg)
{
    gy_route_dispatch_or(table, req, arg, true);
}

/*  ---- answers ---- */

void gy_error_set(gy_error_t *err, int http_status, const char *code, const char *field,
                  const char *fmt, ...)
{
    assert(err && code && fmt);
    err->http_status = http_status;
    snprintf(err->code, sizeof err->code, "%s", code); /* ours: ASCII */
    /*  Fields and messages may quote outside text: cut at a character. */
    gy_text_format(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    gy_text_vformat(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

void gy_reply_json_headers(gy_http_request_t *req, int status, const char *headers, json_t *body)
{
    assert(req && body);
    char *text = json_dumps(body, JSON_COMPACT);
    gy_http_respond(req, status, NULL, headers, text, strlen(text));
    free(text);
    json_decref(body);
}

void gy_reply_json(gy_http_request_t *req, int status, json_t *body)
{
    gy_reply_json_headers(req, status, NULL, body);
}

void gy_reply_error(gy_http_request_t *req, const gy_error_t *err)
{
    assert(req && err);
    gy_http_respond_error(req, err->http_status, err->code, err->message,
                          err->field[0] ? err->field : NULL);
}

char *gy_error_body(const char *code, const char *message, const char *field)
{
    json_t *body = json_pack("{s:{s:s,s:s,s:o}}", "error", "code", code, "message", message,
                             "field", field ? json_string(field) : json_null());
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

typedef struct {
    gy_http_request_t *req;
    const char *not_found;
    json_t *row;
} s_row_query_t;

static void s_on_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_row_query_t *q = arg;
    if (q->row || gy_pg_ntuples(res) < 1)
        return;
    q->row = json_object();
    for (int c = 0; c < gy_pg_nfields(res); c++)
        json_object_set_new(q->row, gy_pg_fname(res, c),
                            gy_pg_isnull(res, 0, c) ? json_null()
                                                    : json_string(gy_pg_value(res, 0, c)));
}

static void s_on_row_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_row_query_t *q = arg;
    if (status == GY_PG_OK && q->row) {
        gy_reply_json(q->req, 200, q->row);
        q->row = NULL;
    } else if (status == GY_PG_OK) {
        gy_http_respond_error(q->req, 404, "not_found", q->not_found, NULL);
    } else {
        gy_http_respond_error(q->req, 503, "unavailable",
                              "the database is unavailable; retry later", NULL);
    }
    json_decref(q->row);
    free(q);
}

void gy_reply_row(gy_pg_t *pg, gy_http_request_t *req, const char *stmt, int nparams,
                  const char *const *values, const char *not_found)
{
    assert(pg && req && stmt && not_found);
    s_row_query_t *q = gy_calloc(1, sizeof *q);
    q->req = req;
    q->not_found = not_found;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, stmt, nparams, values, NULL);
    if (gy_pg_run(pg, &tx, s_on_row, s_on_row_done, q) < 0)
        s_on_row_done(q, GY_PG_DOWN, "");
}

typedef struct {
    gy_holds_t *holds; /* NULL: none */
    gy_http_request_t *req;
    const char *not_found;
    char *answer; /* the document, once a row gave one */
} s_document_query_t;

static void s_on_document(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_document_query_t *q = arg;
    (void)index;
    if (!q->answer && gy_pg_ntuples(res) == 1 && !gy_pg_isnull(res, 0, 0))
        q->answer = gy_strdup(gy_pg_value(res, 0, 0));
}

static void s_on_document_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_document_query_t *q = arg;
    (void)sqlstate;
    if (!q->holds || !gy_hold_gone(q->holds, q->req)) {
        json_t *body = q->answer ? json_loads(q->answer, 0, NULL) : NULL;
        if (status != GY_PG_OK)
            gy_http_respond_error(q->req, 503, "unavailable",
                                  "the database is unavailable; nothing was changed; retry later",
                                  NULL);
        else if (!body)
            gy_http_respond_error(q->req, 404, "not_found", q->not_found, NULL);
        else
            gy_reply_json(q->req, 200, json_incref(body));
        json_decref(body);
    }
    free(q->answer);
    free(q);
}

void gy_reply_document(gy_pg_t *pg, gy_holds_t *holds, gy_http_request_t *req, const char *stmt,
                       int nparams, const char *const *values, const char *not_found)
{
    assert(pg && req && stmt && not_found);
    s_document_query_t *q = gy_calloc(1, sizeof *q);
    q->holds = holds;
    q->req = req;
    q->not_found = not_found;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, stmt, nparams, values, NULL);
    if (gy_pg_run(pg, &tx, s_on_document, s_on_document_done, q) < 0) {
        free(q);
        gy_http_respond_error(req, 503, "unavailable",
                              "the database is unavailable; nothing was changed; retry later",
                              NULL);
        return;
    }
    if (holds)
        gy_hold(holds);
}

int gy_require_json(gy_http_request_t *req)
{
    static const char json[] = "application/json";
    const size_t n = sizeof json - 1;
    const char *type = gy_http_header(req, "Content-Type");
    if (type && strncasecmp(type, json, n) == 0 &&
        (type[n] == '\0' || type[n] == ';' || type[n] == ' '))
        return 0;
    gy_http_respond_error(req, 415, "unsupported_media_type",
                          "Content-Type must be application/json", "Content-Type");
    return -1;
}

json_t *gy_json_object_load(const char *body, size_t len, gy_error_t *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (json_error_code(&jerr) == json_error_invalid_utf8) {
            gy_error_set(err, 400, "invalid_utf8", "", "the body is not valid UTF-8");
        } else {
            char near[sizeof jerr.text];
            gy_text_excerpt(near, sizeof near, jerr.text);
            /*  jansson quotes the input near the error cut at a byte
             *  count, possibly inside a character. */
            gy_error_set(err, 400, "malformed_json", "",
                         "the body is not valid JSON: %s at line %d, column %d", near, jerr.line,
                         jerr.column);
        }
        return NULL;
    }
    if (!json_is_object(root)) {
        gy_error_set(err, 400, "malformed_json", "", "the body must be a JSON object");
        json_decref(root);
        return NULL;
    }
    return root;
}

int gy_json_known(const json_t *object, const char *where, const char *const *names,
                  gy_error_t *err)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)object, key, value) {
        bool known = false;
        for (const char *const *n = names; *n && !known; n++)
            known = strcmp(*n, key) == 0;
        if (!known) {
            char quoted[64];
            gy_text_excerpt(quoted, sizeof quoted, key);
            char field[96];
            snprintf(field, sizeof field, "%s%s%s", where, where[0] ? "." : "", quoted);
            gy_error_set(err, 400, "unknown_property", field, "unknown member \"%s\"", quoted);
            return -1;
        }
    }
    return 0;
}

int gy_json_text(const json_t *v, const char *field, bool required, long min, long max,
                 bool multiline, const char **out, gy_error_t *err)
{
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!required)
            return 0;
        gy_error_set(err, 400, "missing_field", field, "%s is required", field);
        return -1;
    }
    if (!json_is_string(v)) {
        gy_error_set(err, 400, "invalid_type", field, "%s must be a string", field);
        return -1;
    }
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) {
        gy_error_set(err, 400, "invalid_value", field, "%s must not contain NUL", field);
        return -1;
    }
    long n = gy_text_check(s, strlen(s), multiline ? GY_TEXT_MULTILINE : GY_TEXT_LINE);
    if (n == GY_TEXT_INVALID_UTF8) {
        gy_error_set(err, 400, "invalid_utf8", field, "%s is not valid UTF-8", field);
        return -1;
    }
    if (n == GY_TEXT_CONTROL) {
        gy_error_set(err, 400, "invalid_value", field, "%s must not contain control characters",
                     field);
        return -1;
    }
    if (n < min || n > max) {
        gy_error_set(err, 400, n < min ? "invalid_value" : "too_long", field,
                     "%s must have %ld to %ld characters", field, min, max);
        return -1;
    }
    *out = s;
    return 0;
}

/*  ---- static documents ---- */

struct gy_static_doc {
    char *text;
    size_t len;
    char etag[36];     /* "<32 hex digits>" with its quotes */
    char headers[128]; /* Cache-Control and ETag lines */
};

gy_static_doc_t *gy_static_doc_new(json_t *body, int max_age_s)
{
    assert(body && max_age_s >= 0);
    gy_static_doc_t *self = gy_calloc(1, sizeof *self);
    self->text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    assert(self->text);
    self->len = strlen(self->text);
    uint8_t hash[16];
    crypto_generichash(hash, sizeof hash, (const uint8_t *)self->text, self->len, NULL, 0);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    snprintf(self->etag, sizeof self->etag, "\"%s\"", hex);
    snprintf(self->headers, sizeof self->headers,
             "Cache-Control: public, max-age=%d\r\nETag: %s\r\n", max_age_s, self->etag);
    return self;
}

void gy_static_doc_destroy(gy_static_doc_t **self_p)
{
    assert(self_p);
    gy_static_doc_t *self = *self_p;
    if (!self)
        return;
    free(self->text);
    free(self);
    *self_p = NULL;
}

void gy_reply_static_doc(gy_http_request_t *req, const gy_static_doc_t *doc)
{
    assert(req && doc);
    const char *match = gy_http_header(req, "If-None-Match");
    if (match && (strstr(match, doc->etag) || strcmp(match, "*") == 0)) {
        gy_http_respond(req, 304, NULL, doc->headers, NULL, 0);
        return;
    }
    gy_http_respond(req, 200, NULL, doc->headers, doc->text, doc->len);
}

void gy_reply_conflict(gy_http_request_t *req)
{
    gy_http_respond_error(req, 409, "conflict", GY_CONFLICT_MESSAGE, NULL);
}
