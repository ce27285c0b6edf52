/*  gy_route — one HTTP route table for every service, and the one way to
 *  answer: a JSON body (gy_reply_json) or the error shape of docs/api.md
 *  (gy_error_t, gy_reply_error).
 *
 *  A service lists its routes; a pattern's {name} segments match one
 *  non-empty path segment each, read back with gy_route_param:
 *
 *      static void s_reporter(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
 *      {
 *          const char *id = gy_route_param(m, "id");
 *          ...
 *      }
 *      static const gy_route_t s_routes[] = {
 *          {"POST", "/api/v1/clues", "clues_submit", s_submit},
 *          {"GET", "/api/v1/clues/{id}/reporter", "clues_reporter", s_reporter},
 *          {NULL, NULL, NULL, NULL},
 *      };
 *      gy_route_dispatch(s_routes, req, self);   // in the gy_http handler
 *
 *  When several patterns match a path, the most literal wins, segment by
 *  segment from the left ("/volunteers/me" before "/volunteers/{id}"), and
 *  only that pattern's methods count: a path with no pattern is 404
 *  not_found; a pattern without the method is 405 method_not_allowed with an
 *  Allow header naming the methods of its table entries (as the API has
 *  always answered: HEAD and OPTIONS go unlisted).  HEAD is answered by the
 *  GET route (the server sends no body); OPTIONS answers 204 with Allow.  The route's name
 *  labels the request in the metrics (gy_http_set_route).
 */
#ifndef GY_ROUTE_H
#define GY_ROUTE_H

#include <jansson.h>

#include "gy_hold.h"
#include "gy_http.h"
#include "gy_pg.h"

#define GY_ROUTE_MAX_PARAMS 4

typedef struct gy_route_match gy_route_match_t;

typedef void(gy_route_fn)(gy_http_request_t *req, const gy_route_match_t *match, void *arg);

typedef struct {
    const char *method;  /* "GET", "POST", ...; NULL ends a table */
    const char *pattern; /* "/api/v1/clues/{id}/reporter" */
    const char *name;    /* the metrics label, e.g. "clues_reporter" */
    gy_route_fn *fn;
} gy_route_t;

/*  What a path matched: the route, and its parameters (copies, valid for
 *  the handler's call). */
struct gy_route_match {
    const gy_route_t *route;
    int count;
    const char *names[GY_ROUTE_MAX_PARAMS]; /* point into the pattern, end at '}' */
    const char *values[GY_ROUTE_MAX_PARAMS];
    char allow[96]; /* when the method did not match: "GET, POST" */
    char buf[512];
};

typedef enum {
    GY_ROUTE_FOUND = 0,      /* match->route is the handler to call */
    GY_ROUTE_NO_METHOD = 1,  /* the path is known, the method is not: match->allow */
    GY_ROUTE_NOT_FOUND = -1, /* no pattern matches the path */
} gy_route_result_t;

/*  Looks method and path up in table; pure, for tests and for services that
 *  combine tables. */
gy_route_result_t gy_route_find(const gy_route_t *table, const char *method, const char *path,
                                gy_route_match_t *match);

/*  A parameter by name ("id" for "{id}"), or NULL. */
const char *gy_route_param(const gy_route_match_t *match, const char *name);

/*  Finds the route and calls it, or answers 404, 405 (with Allow) or an
 *  OPTIONS request (204 with Allow).  false when nothing matched and
 *  answer_not_found is false: the caller answers. */
bool gy_route_dispatch_or(const gy_route_t *table, gy_http_request_t *req, void *arg,
                          bool answer_not_found);

/*  gy_route_dispatch_or(table, req, arg, true). */
void gy_route_dispatch(const gy_route_t *table, gy_http_request_t *req, void *arg);

/*  ---- answers ---- */

/*  An error that leaves a service: HTTP status, stable code, message for
 *  people, and the field it is about ("" when none).  gy_error_set cuts the
 *  field and the message at a character boundary when they do not fit. */
typedef struct {
    int http_status;
    char code[32];
    char field[96];
    char message[256];
} gy_error_t;

void gy_error_set(gy_error_t *err, int http_status, const char *code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*  Answers with body (taken: the reference is stolen). */
void gy_reply_json(gy_http_request_t *req, int status, json_t *body);
/*  The same with extra header lines (each ending in "\r\n"). */
void gy_reply_json_headers(gy_http_request_t *req, int status, const char *headers, json_t *body);
/*  The message of 409 conflict: a write lost a race more times than a
 *  service retries it (gy_pg_conflict). */
#define GY_CONFLICT_MESSAGE "this conflicts with changes made at the same time; reload and retry"
/*  Answers 409 conflict with GY_CONFLICT_MESSAGE. */
void gy_reply_conflict(gy_http_request_t *req);
/*  A JSON document that does not change while the process runs (reference
 *  data): serialised once, with an ETag of its bytes, and answered with
 *  Cache-Control: public, max-age=max_age_s; a request whose If-None-Match
 *  names the ETag (or "*") gets 304 without a body. */
typedef struct gy_static_doc gy_static_doc_t;
gy_static_doc_t *gy_static_doc_new(json_t *body /* stolen */, int max_age_s);
void gy_static_doc_destroy(gy_static_doc_t **self_p);
void gy_reply_static_doc(gy_http_request_t *req, const gy_static_doc_t *doc);
/*  {"error":{"code","message","field"}} with err's status; field null when "".
 *  (From parts: gy_http_respond_error, which writes the same body.) */
void gy_reply_error(gy_http_request_t *req, const gy_error_t *err);
/*  Runs one prepared statement on pg and answers its first row as a JSON
 *  object (column names as keys, text values, NULL as null): 200; no row:
 *  404 not_found with the message not_found; the database failing: 503
 *  unavailable. */
void gy_reply_row(gy_pg_t *pg, gy_http_request_t *req, const char *stmt, int nparams,
                  const char *const *values, const char *not_found);
/*  A request body parsed as a JSON object (duplicate members refused):
 *  the object (the caller owns it), or NULL with *err set to 400
 *  invalid_utf8 or malformed_json; jansson's words near the error are cut
 *  at a character boundary (it cuts the input it quotes at a byte count),
 *  with the line and column. */
json_t *gy_json_object_load(const char *body, size_t len, gy_error_t *err);
/*  Every member of object must be one of names (NULL-terminated): 0, or
 *  -1 with 400 unknown_property, its field "where.member" (where: the
 *  object's own field, "" for the body), the member quoted safely. */
int gy_json_known(const json_t *object, const char *where, const char *const *names,
                  gy_error_t *err);
/*  The text v, the value of field: NULL or JSON null is absent (*out NULL;
 *  400 missing_field when required); otherwise a string (400 invalid_type)
 *  without NUL or control characters (one line unless multiline: 400
 *  invalid_value), valid UTF-8 (400 invalid_utf8), of min..max characters
 *  (400 invalid_value below, too_long above).  0, or -1 with err set. */
int gy_json_text(const json_t *v, const char *field, bool required, long min, long max,
                 bool multiline, const char **out, gy_error_t *err);
/*  Whether the request says its body is JSON (Content-Type
 *  application/json, parameters allowed): 0, or -1 after answering 415
 *  unsupported_media_type (field "Content-Type"). */
int gy_require_json(gy_http_request_t *req);
/*  Runs one prepared statement on pg whose one row's first column is a
 *  JSON document (text) and answers it 200; no row, or NULL: 404
 *  not_found with the message not_found; the database failing: 503
 *  unavailable.  holds (may be NULL) is held while the statement runs:
 *  an answer due after its owner stopped is 503 (gy_hold_gone). */
void gy_reply_document(gy_pg_t *pg, gy_holds_t *holds, gy_http_request_t *req, const char *stmt,
                       int nparams, const char *const *values, const char *not_found);
/*  The error body as text, for answers that carry extra headers; the caller frees. */
char *gy_error_body(const char *code, const char *message, const char *field);

#endif
