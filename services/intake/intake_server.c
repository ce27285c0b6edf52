/*  intake_server — see intake_server.h. */
#include "intake_server.h"

#include <assert.h>
#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gy_auth.h"
#include "gy_bus.h"
#include "gy_config.h"
#include "gy_crypto.h"
#include "gy_http.h"
#include "gy_metrics.h"
#include "gy_node.h"
#include "gy_pg.h"
#include "gy_ratelimit.h"
#include "gy_redis.h"
#include "gy_refdata.h"
#include "gy_route.h"
#include "gy_text.h"
#include "gy_token.h"
#include "gy_util.h"
#include "intake_clue.h"
#include "intake_competence.h"
#include "intake_reporter.h"
#include "intake_store.h"
#include "intake_timeline.h"

extern const gy_pg_migration_t intake_migrations[];
extern const size_t intake_migrations_count;

#define S_RATE_WINDOW_MS 60000
/*  Outside ids (docs/bus.md, docs/api.md): checked whole, never cut. */
#define S_TRACE_MAX        64
#define S_ENVELOPE_ID_MAX  64
#define S_PRODUCER_MAX     64
#define S_REFERENCE_ID_MAX 128
#define S_IDEMPOTENCY_MAX  128

static const char s_sql_upsert_field[] =
    "INSERT INTO intake.field (code, name_zh, name_en, active) VALUES ($1, $2, $3, true)"
    " ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh,"
    " name_en = EXCLUDED.name_en, active = true";
static const char s_sql_upsert_region[] =
    "INSERT INTO intake.region (code, parent_code, level, name_zh, procuratorate_zh)"
    " VALUES ($1, NULLIF($2, ''), $3, $4, $5) ON CONFLICT (code) DO UPDATE SET"
    " parent_code = EXCLUDED.parent_code, level = EXCLUDED.level,"
    " name_zh = EXCLUDED.name_zh, procuratorate_zh = EXCLUDED.procuratorate_zh";

struct intake_server {
    uv_loop_t *loop;
    gy_node_t *node; /* configuration, connections, bus, Redis, HTTP: the kit's */
    /* configuration */
    char *producer; /* a copy of the node's */
    int64_t rate_per_min;
    int64_t volunteer_rate_per_min;
    uint8_t seal_key[GY_SEAL_KEY_BYTES];
    bool has_token_key;
    uint8_t token_key[GY_TOKEN_PUBLIC_KEY_BYTES];
    const char *router_sources; /* GY_ROUTER_SOURCES (environment), or NULL */
    gy_refdata_t *refdata;
    /* the node's parts, borrowed */
    gy_metrics_t *metrics;
    gy_pg_t *writer;         /* the clue transactions */
    gy_pg_t *reader;         /* status look-ups, replay and reporter reads */
    gy_pg_t *competence_pg;  /* the router's events, apart from the writer's group commit */
    gy_bus_socket_t *submit; /* ROUTER */
    gy_redis_t *redis;
    gy_ratelimit_t *limiter;
    /* our own parts */
    intake_store_t *store;
    intake_competence_t *competence; /* NULL without GY_ROUTER_SOURCES */
    intake_reporter_t *reporter;     /* NULL without GY_ROUTER_SOURCES */
};

/*  ---- start-up ---- */

static int s_load_config(intake_server_t *self)
{
    if (gy_config_int("GY_RATE_LIMIT_PER_MIN", 60, 0, 1000000, &self->rate_per_min) < 0 ||
        gy_config_int("GY_RATE_LIMIT_VOLUNTEER_PER_MIN", 120, 0, 1000000,
                      &self->volunteer_rate_per_min) < 0)
        return -1;
    const char *seal = gy_config_str("GY_SEAL_KEY_FILE", NULL);
    if (!seal) {
        gy_log_error("GY_SEAL_KEY_FILE is not set");
        gy_log_error("hint: it names a file of 64 hex characters, e.g. made with "
                     "\"head -c 32 /dev/urandom | xxd -p -c 64\"; reporters' identities "
                     "are sealed with it.");
        return -1;
    }
    if (gy_crypto_load_key(seal, self->seal_key) < 0)
        return -1;
    const char *token_key = gy_config_str("GY_TOKEN_PUBLIC_KEY_FILE", NULL);
    if (token_key) {
        if (gy_token_load_key(token_key, self->token_key, sizeof self->token_key) < 0)
            return -1;
        self->has_token_key = true;
    }
    /*  Who may see a reporter depends on the router's decisions; without
     *  its events intake cannot tell, and the reporter route says so. */
    self->router_sources = gy_config_str("GY_ROUTER_SOURCES", NULL);
    if (self->router_sources && intake_competence_check(self->router_sources) < 0)
        return -1;
    if (!self->router_sources)
        gy_log_info("GY_ROUTER_SOURCES is not set: reporters' identities are not shown by this "
                    "instance (GET /api/v1/clues/{clue_id}/reporter answers 503)");
    const char *refdir = gy_config_str("GY_REFDATA_DIR", GY_DEFAULT_REFDATA_DIR);
    self->refdata = gy_refdata_new(refdir);
    return self->refdata ? 0 : -1;
}

static int s_sync_refdata(intake_server_t *self, gy_pg_session_t *session)
{
    if (gy_pg_session_exec(session, "BEGIN", 0, NULL, NULL) < 0)
        return -1;
    for (size_t i = 0; i < gy_refdata_field_count(self->refdata); i++) {
        const gy_field_t *f = gy_refdata_field_at(self->refdata, i);
        const char *params[] = {f->code, f->name_zh, f->name_en};
        if (gy_pg_session_exec(session, s_sql_upsert_field, 3, params, NULL) < 0)
            goto fail;
    }
    for (size_t i = 0; i < gy_refdata_region_count(self->refdata); i++) {
        const gy_region_t *r = gy_refdata_region_at(self->refdata, i);
        const char *params[] = {r->code, r->parent, r->level, r->name_zh, r->procuratorate_zh};
        if (gy_pg_session_exec(session, s_sql_upsert_region, 5, params, NULL) < 0)
            goto fail;
    }
    return gy_pg_session_exec(session, "COMMIT", 0, NULL, NULL);
fail:
    gy_pg_session_exec(session, "ROLLBACK", 0, NULL, NULL);
    return -1;
}

/*  After the migrations: the reference data (the files win, at every start). */
static int s_prepare_database(void *arg, gy_pg_session_t *session)
{
    return s_sync_refdata(arg, session);
}

/*  ---- HTTP ---- */

typedef struct {
    intake_server_t *server;
    gy_http_request_t *req;
    char subject[65];
    bool has_subject;
    char trace[S_TRACE_MAX + 1];
} s_submission_t;

static void s_on_stored(void *arg, const intake_result_t *result)
{
    s_submission_t *sub = arg;
    switch (result->outcome) {
    case INTAKE_STORED:
    case INTAKE_DUPLICATE:
        gy_reply_json(sub->req, result->outcome == INTAKE_STORED ? 201 : 200,
                      json_pack("{s:s,s:s,s:s}", "id", result->id, "receipt_code",
                                result->receipt_code, "status", result->status));
        break;
    case INTAKE_CONFLICT:
        gy_http_respond_error(sub->req, 409, "idempotency_conflict",
                              "this Idempotency-Key was used with a different body",
                              "Idempotency-Key");
        break;
    case INTAKE_UNAVAILABLE:
        gy_http_respond_error(sub->req, 503, "unavailable",
                              "the clue could not be stored now; nothing was kept; retry later "
                              "with the same Idempotency-Key",
                              NULL);
        break;
    }
    free(sub);
}

static void s_submit_checked(s_submission_t *sub)
{
    intake_server_t *self = sub->server;
    gy_http_request_t *req = sub->req;
    size_t len;
    const char *body = gy_http_body(req, &len);
    intake_clue_t clue;
    intake_error_t err;
    if (intake_clue_from_json(&clue, body, len, self->refdata, gy_now_ms(), &err) < 0) {
        gy_reply_error(req, &err);
        free(sub);
        return;
    }
    const char *key = gy_http_header(req, "Idempotency-Key");
    if (key)
        clue.idempotency_key = gy_sprintf("http:%s", key);
    if (sub->has_subject)
        clue.reporter_subject = gy_strdup(sub->subject);
    intake_store_submit(self->store, &clue, sub->trace, s_on_stored, sub);
}

static void s_on_volunteer_limit(void *arg, bool allowed)
{
    s_submission_t *sub = arg;
    if (!allowed) {
        gy_http_respond_error(sub->req, 429, "rate_limited",
                              "too many submissions from this volunteer; wait a minute", NULL);
        free(sub);
        return;
    }
    s_submit_checked(sub);
}

static void s_on_address_limit(void *arg, bool allowed)
{
    s_submission_t *sub = arg;
    intake_server_t *self = sub->server;
    if (!allowed) {
        gy_http_respond_error(sub->req, 429, "rate_limited",
                              "too many submissions from this address; wait a minute", NULL);
        free(sub);
        return;
    }
    if (sub->has_subject && self->volunteer_rate_per_min > 0) {
        char key[96];
        snprintf(key, sizeof key, "vol:%s", sub->subject);
        gy_ratelimit_check(self->limiter, key, (uint32_t)self->volunteer_rate_per_min,
                           S_RATE_WINDOW_MS, s_on_volunteer_limit, sub);
        return;
    }
    s_submit_checked(sub);
}

static bool s_is_json(const char *content_type)
{
    if (!content_type)
        return false;
    size_t n = strlen("application/json");
    if (strncasecmp(content_type, "application/json", n) != 0)
        return false;
    char next = content_type[n];
    return next == '\0' || next == ';' || next == ' ';
}

/*  A trace id from outside (X-Request-Id, Envelope.trace_id): 1 to 64
 *  bytes of one-line text.  NULL when it is fine, else the error code. */
static const char *s_trace_error(const char *trace)
{
    size_t len = strlen(trace);
    long chars = gy_text_check(trace, len, GY_TEXT_LINE);
    if (chars == GY_TEXT_INVALID_UTF8)
        return "invalid_utf8";
    if (chars == GY_TEXT_CONTROL || len == 0 || len > S_TRACE_MAX)
        return "invalid_value";
    return NULL;
}

static void s_post_clue(intake_server_t *self, gy_http_request_t *req, const char *param)
{
    if (!s_is_json(gy_http_header(req, "Content-Type"))) {
        gy_http_respond_error(req, 415, "unsupported_media_type",
                              "Content-Type must be application/json", NULL);
        return;
    }
    if (!gy_http_header(req, "Content-Length") && !gy_http_header(req, "Transfer-Encoding")) {
        gy_http_respond_error(req, 411, "length_required",
                              "a submission needs a body with Content-Length", NULL);
        return;
    }
    const char *key = gy_http_header(req, "Idempotency-Key");
    if (key && !gy_text_id_valid(key, S_IDEMPOTENCY_MAX)) {
        gy_http_respond_error(req, 400, "invalid_idempotency_key",
                              "Idempotency-Key must be 1 to 128 printable ASCII characters",
                              "Idempotency-Key");
        return;
    }
    /*  The trace is the caller's when given (whole: never cut), else ours;
     *  the clue's event carries it. */
    const char *trace = gy_http_header(req, "X-Request-Id");
    if (trace && s_trace_error(trace)) {
        gy_http_respond_error(req, 400, "invalid_request_id",
                              "X-Request-Id must be 1 to 64 bytes of UTF-8 text without control "
                              "characters",
                              "X-Request-Id");
        return;
    }
    /*  A volunteer's token names them; none is anonymous; a bad one is
     *  refused rather than taken as anonymous, and so is another role's:
     *  a prosecutor or an integrator does not report "as a volunteer". */
    gy_token_claims_t claims;
    bool has_subject = false;
    switch (gy_auth_bearer(req, self->has_token_key ? self->token_key : NULL, &claims)) {
    case GY_AUTH_ANSWERED: return;
    case GY_AUTH_OK:
        if (strcmp(claims.role, "volunteer") != 0) {
            gy_http_respond_error(req, 403, "forbidden",
                                  "only a volunteer's token submits a clue; leave Authorization "
                                  "out to report as a member of the public",
                                  "Authorization");
            return;
        }
        has_subject = true;
        break;
    case GY_AUTH_NONE: break;
    }
    s_submission_t *sub = gy_calloc(1, sizeof *sub);
    sub->server = self;
    sub->req = req;
    if (trace)
        snprintf(sub->trace, sizeof sub->trace, "%s", trace); /* checked: fits */
    else
        gy_uuid(sub->trace);
    if (has_subject) {
        snprintf(sub->subject, sizeof sub->subject, "%s", claims.sub);
        sub->has_subject = true;
    }
    char limit_key[80];
    snprintf(limit_key, sizeof limit_key, "ip:%s", gy_http_client_addr(req));
    gy_ratelimit_check(self->limiter, limit_key, (uint32_t)self->rate_per_min, S_RATE_WINDOW_MS,
                       s_on_address_limit, sub);
}

static void s_get_clue(intake_server_t *self, gy_http_request_t *req, const char *code)
{
    if (!gy_receipt_valid(code)) {
        gy_http_respond_error(req, 404, "not_found", "no clue has this receipt code", NULL);
        return;
    }
    char upper[GY_RECEIPT_LEN + 1];
    for (int i = 0; i <= GY_RECEIPT_LEN; i++)
        upper[i] = (char)toupper((unsigned char)code[i]);
    intake_timeline_get(self->reader, req, upper);
}

/*  /healthz and /metrics are the node's; these add intake's own. */
static void s_health(void *arg, json_t *body)
{
    intake_server_t *self = arg;
    json_object_set_new(body, "outbox_lag",
                        json_integer((json_int_t)intake_store_lag(self->store)));
}

static void s_metrics(void *arg, gy_metrics_t *metrics)
{
    intake_server_t *self = arg;
    gy_metrics_set(metrics, "gy_outbox_lag", "", (double)intake_store_lag(self->store));
}

static void s_get_reporter(intake_server_t *self, gy_http_request_t *req, const char *clue_id)
{
    if (!self->reporter) {
        gy_http_respond_error(req, 503, "unavailable",
                              "this intake instance does not follow the router's events "
                              "(GY_ROUTER_SOURCES is not set), so it cannot tell who may see "
                              "a reporter",
                              NULL);
        return;
    }
    intake_reporter_get(self->reporter, req, clue_id);
}

/*  The routes, onto the handlers above (param: the path parameter). */
static void s_route_post_clue(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    s_post_clue(arg, req, NULL);
}

static void s_route_get_clue(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    s_get_clue(arg, req, gy_route_param(m, "code"));
}

static void s_route_get_reporter(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    s_get_reporter(arg, req, gy_route_param(m, "clue_id"));
}

/*  Receipt codes and clue ids differ in shape, but the routes do not rely
 *  on it: they differ in segments. */
static const gy_route_t s_routes[] = {
    {"POST", "/api/v1/clues", "clues_submit", s_route_post_clue},
    {"GET", "/api/v1/clues/{code}", "clues_status", s_route_get_clue},
    {"GET", "/api/v1/clues/{clue_id}/reporter", "clues_reporter", s_route_get_reporter},
    {NULL, NULL, NULL, NULL},
};

/*  ---- bus ---- */

typedef struct {
    intake_server_t *server;
    gy_bus_socket_t *socket;
    gy_bus_msg_t *request;
    char request_id[S_ENVELOPE_ID_MAX + 1]; /* echoed: empty unless the request's id is valid */
    char trace[S_TRACE_MAX + 1];            /* the request's, or the one its event gets */
} s_bus_submission_t;

/*  Sends the answer whose body is set in *body_env, with our header (a
 *  copy: nothing of ours, freed here, stays behind in the caller's). */
static void s_bus_answer(s_bus_submission_t *bs, const Gongyi__V1__Envelope *body_env)
{
    char id[37];
    gy_uuid(id);
    Gongyi__V1__Envelope env = *body_env;
    env.id = id;
    env.producer = bs->server->producer;
    env.time_unix_ms = gy_now_ms();
    env.trace_id = bs->trace;
    size_t size = gongyi__v1__envelope__get_packed_size(&env);
    uint8_t *packed = gy_malloc(size);
    gongyi__v1__envelope__pack(&env, packed);
    gy_bus_frame_t frame = {packed, size};
    gy_bus_reply(bs->socket, bs->request, &frame, 1);
    free(packed);
    gy_bus_msg_destroy(&bs->request);
    free(bs);
}

/*  code, message and field are ours or checked text: a nack is valid
 *  UTF-8 for every protobuf client. */
static void s_bus_nack(s_bus_submission_t *bs, const char *code, const char *message,
                       const char *field)
{
    Gongyi__V1__Nack nack = GONGYI__V1__NACK__INIT;
    nack.request_id = bs->request_id;
    nack.code = (char *)code;
    nack.message = (char *)message;
    nack.field = (char *)(field ? field : "");
    Gongyi__V1__Envelope env = GONGYI__V1__ENVELOPE__INIT;
    env.type = "Nack";
    env.body_case = GONGYI__V1__ENVELOPE__BODY_NACK;
    env.nack = &nack;
    gy_metrics_count(bs->server->metrics, "gy_bus_submissions_total", "result=\"nack\"", 1);
    s_bus_answer(bs, &env);
}

static void s_on_bus_stored(void *arg, const intake_result_t *result)
{
    s_bus_submission_t *bs = arg;
    if (result->outcome == INTAKE_CONFLICT) {
        s_bus_nack(bs, "idempotency_conflict",
                   "this reference_id was submitted before with different content", "reference_id");
        return;
    }
    if (result->outcome == INTAKE_UNAVAILABLE) {
        s_bus_nack(bs, "unavailable", "the clue could not be stored now; nothing was kept", NULL);
        return;
    }
    Gongyi__V1__SubmitClueAck ack = GONGYI__V1__SUBMIT_CLUE_ACK__INIT;
    ack.request_id = bs->request_id;
    ack.clue_id = (char *)result->id;
    ack.receipt_code = (char *)result->receipt_code;
    ack.duplicate = result->outcome == INTAKE_DUPLICATE;
    Gongyi__V1__Envelope env = GONGYI__V1__ENVELOPE__INIT;
    env.type = "SubmitClueAck";
    env.body_case = GONGYI__V1__ENVELOPE__BODY_SUBMIT_CLUE_ACK;
    env.submit_clue_ack = &ack;
    gy_metrics_count(bs->server->metrics, "gy_bus_submissions_total", "result=\"ack\"", 1);
    s_bus_answer(bs, &env);
}

/*  The first field of m that this build of proto/ does not know (protobuf-c
 *  keeps such fields in unknown_fields): its number, and in field the
 *  path of the message that holds it.  0 when there is none. */
static uint32_t s_unknown_field(const ProtobufCMessage *m, const char *path, char *field,
                                size_t size)
{
    if (m && m->n_unknown_fields > 0) {
        gy_text_format(field, size, "%s", path);
        return m->unknown_fields[0].tag;
    }
    return 0;
}

static uint32_t s_submission_unknown_field(const Gongyi__V1__Envelope *env, char *field,
                                           size_t size)
{
    const Gongyi__V1__SubmitClue *sc = env->submit_clue;
    uint32_t tag;
    if ((tag = s_unknown_field(&env->base, "", field, size)) ||
        (tag = s_unknown_field(&sc->base, "submit_clue", field, size)) ||
        (tag =
             s_unknown_field(sc->location ? &sc->location->base : NULL, "location", field, size)) ||
        (tag = s_unknown_field(sc->reporter ? &sc->reporter->base : NULL, "reporter", field, size)))
        return tag;
    for (size_t i = 0; i < sc->n_attachments; i++) {
        char path[40];
        snprintf(path, sizeof path, "attachments[%zu]", i);
        if ((tag = s_unknown_field(&sc->attachments[i]->base, path, field, size)))
            return tag;
    }
    return 0;
}

/*  The checks of the envelope around a submission, in the order
 *  docs/bus.md lists them.  0, or -1 after the nack was sent. */
static int s_check_submission(s_bus_submission_t *bs, const Gongyi__V1__Envelope *env)
{
    /*  An id we cannot echo whole is not echoed at all: the answer could not
     *  be matched, and a cut one could match another request. */
    if (gy_text_id_valid(env->id, S_ENVELOPE_ID_MAX))
        snprintf(bs->request_id, sizeof bs->request_id, "%s", env->id);
    if (env->body_case != GONGYI__V1__ENVELOPE__BODY_SUBMIT_CLUE) {
        s_bus_nack(bs, "unsupported_message", "this endpoint takes SubmitClue only", NULL);
        return -1;
    }
    if (!env->id || !*env->id) {
        s_bus_nack(bs, "missing_field", "id is required: answers are matched by it", "id");
        return -1;
    }
    if (!bs->request_id[0]) {
        s_bus_nack(bs, "invalid_value", "id must be 1 to 64 printable ASCII characters", "id");
        return -1;
    }
    if (!env->type || strcmp(env->type, "SubmitClue") != 0) {
        s_bus_nack(bs, "invalid_value", "type must be \"SubmitClue\", the body's message name",
                   "type");
        return -1;
    }
    char field[64], message[128];
    uint32_t tag = s_submission_unknown_field(env, field, sizeof field);
    if (tag) {
        gy_text_format(message, sizeof message,
                       "field number %u is not in gongyi.v1 (proto/gongyi.proto); nothing is "
                       "dropped silently",
                       (unsigned)tag);
        s_bus_nack(bs, "unknown_property", message, field);
        return -1;
    }
    if (!env->producer || !*env->producer) {
        s_bus_nack(bs, "missing_field", "producer must name the integrator", "producer");
        return -1;
    }
    if (!gy_text_id_valid(env->producer, S_PRODUCER_MAX)) {
        s_bus_nack(bs, "invalid_value", "producer must be 1 to 64 printable ASCII characters",
                   "producer");
        return -1;
    }
    const char *trace_error = env->trace_id && *env->trace_id ? s_trace_error(env->trace_id) : NULL;
    if (trace_error) {
        s_bus_nack(bs, trace_error,
                   "trace_id must be empty or 1 to 64 bytes of UTF-8 text without control "
                   "characters",
                   "trace_id");
        return -1;
    }
    const Gongyi__V1__SubmitClue *sc = env->submit_clue;
    if (!sc->reference_id || !*sc->reference_id) {
        s_bus_nack(bs, "missing_field", "reference_id is required", "reference_id");
        return -1;
    }
    if (!gy_text_id_valid(sc->reference_id, S_REFERENCE_ID_MAX)) {
        s_bus_nack(bs, "invalid_value", "reference_id must be 1 to 128 printable ASCII characters",
                   "reference_id");
        return -1;
    }
    return 0;
}

static void s_on_bus_submit(void *arg, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    intake_server_t *self = arg;
    s_bus_submission_t *bs = gy_calloc(1, sizeof *bs);
    bs->server = self;
    bs->socket = socket;
    bs->request = msg;
    size_t len;
    const void *payload = gy_bus_msg_payload(msg, &len);
    Gongyi__V1__Envelope *env = gongyi__v1__envelope__unpack(NULL, len, payload);
    if (!env) {
        s_bus_nack(bs, "malformed_message", "the message is not a gongyi.v1.Envelope", NULL);
        return;
    }
    /*  The answer carries the trace the clue's event gets: the request's,
     *  or one made here when it had none. */
    if (env->trace_id && *env->trace_id && !s_trace_error(env->trace_id))
        snprintf(bs->trace, sizeof bs->trace, "%s", env->trace_id); /* checked: fits */
    else
        gy_uuid(bs->trace);
    if (s_check_submission(bs, env) < 0)
        goto done;
    const Gongyi__V1__SubmitClue *sc = env->submit_clue;
    intake_clue_t clue;
    intake_error_t err;
    if (intake_clue_from_proto(&clue, sc, self->refdata, gy_now_ms(), &err) < 0) {
        s_bus_nack(bs, err.code, err.message, err.field[0] ? err.field : NULL);
        goto done;
    }
    clue.idempotency_key = gy_sprintf("bus:%s:%s", env->producer, sc->reference_id);
    clue.origin_producer = gy_strdup(env->producer);
    clue.origin_reference = gy_strdup(sc->reference_id);
    intake_store_submit(self->store, &clue, bs->trace, s_on_bus_stored, bs);
done:
    gongyi__v1__envelope__free_unpacked(env, NULL);
}

static void s_on_replay(void *arg, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    intake_server_t *self = arg;
    intake_store_replay(self->store, socket, msg);
}

/*  ---- connections ---- */

static void s_on_relay_state(void *arg, bool up)
{
    intake_server_t *self = arg;
    if (up)
        intake_store_relay_up(self->store);
}

static void s_on_competence_state(void *arg, bool up)
{
    intake_server_t *self = arg;
    if (self->competence)
        intake_competence_pg_state(self->competence, up);
}

/*  Intake's parts on the node's: statements, the store (its outbox relays
 *  on the node's relay connection and PUB), submissions over the bus, and
 *  the router's events when GY_ROUTER_SOURCES is set. */
static int s_start(void *arg, gy_node_t *node)
{
    intake_server_t *self = arg;
    self->node = node;
    self->producer = gy_strdup(gy_node_producer(node));
    self->metrics = gy_node_metrics(node);
    self->writer = gy_node_writer(node);
    self->reader = gy_node_reader(node);
    self->redis = gy_node_redis(node);
    self->limiter = gy_node_limiter(node);
    gy_metrics_describe(self->metrics, "gy_bus_submissions_total", "counter",
                        "Submissions over the bus, by result.");
    intake_store_prepare(self->writer, gy_node_relay(node), self->reader);
    intake_timeline_prepare_reader(self->reader);
    if (self->router_sources) {
        self->competence_pg = gy_node_pg(node, "pg competence", s_on_competence_state, self);
        intake_competence_prepare(self->competence_pg);
        intake_reporter_prepare(self->reader);
    }
    intake_store_config_t store_config = {
        .producer = self->producer,
        .seal_key = self->seal_key,
        .writer = self->writer,
        .relay = gy_node_relay(node),
        .reader = self->reader,
        .events = gy_node_events(node),
        .metrics = self->metrics,
    };
    self->store = intake_store_new(self->loop, &store_config);
    gy_node_on_replay(node, s_on_replay, self);
    self->submit =
        gy_bus_bind(gy_node_bus(node), GY_BUS_ROUTER,
                    gy_config_str("GY_BUS_SUBMIT", "tcp://127.0.0.1:7103"), s_on_bus_submit, self);
    if (!self->submit)
        return -1;
    if (self->router_sources) {
        intake_competence_config_t competence_config = {
            .sources = self->router_sources,
            .pg = self->competence_pg,
            .bus = gy_node_bus(node),
            .metrics = self->metrics,
        };
        self->competence = intake_competence_new(self->loop, &competence_config);
        if (!self->competence)
            return -1;
        intake_reporter_config_t reporter_config = {
            .pg = self->reader,
            .seal_key = self->seal_key,
            .token_key = self->has_token_key ? self->token_key : NULL,
        };
        self->reporter = intake_reporter_new(&reporter_config);
    }
    return 0;
}

/*  After the connections closed (their callbacks reach these). */
static void s_release(void *arg)
{
    intake_server_t *self = arg;
    intake_reporter_destroy(&self->reporter);
    intake_competence_destroy(&self->competence);
    intake_store_destroy(&self->store);
}

static const gy_node_spec_t s_spec = {
    .name = "intake",
    .schema = "intake",
    .migrations = intake_migrations,
    .migrations_count = &intake_migrations_count,
    .prepare_db = s_prepare_database,
    .http_port = 8081,
    .events = "tcp://127.0.0.1:7101",
    .replay = "tcp://127.0.0.1:7102",
    .redis = true,
    .routes = s_routes,
    .health = s_health,
    .metrics = s_metrics,
    .relay_state = s_on_relay_state,
    .start = s_start,
    .release = s_release,
};

intake_server_t *intake_server_new(uv_loop_t *loop)
{
    intake_server_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    if (gy_crypto_init() < 0 || s_load_config(self) < 0 ||
        !(self->node = gy_node_new(loop, &s_spec, self))) {
        intake_server_destroy(&self);
        return NULL;
    }
    return self;
}

void intake_server_stop(intake_server_t *self)
{
    gy_node_stop(self->node);
}

void intake_server_destroy(intake_server_t **self_p)
{
    assert(self_p);
    intake_server_t *self = *self_p;
    if (!self)
        return;
    gy_node_destroy(&self->node);
    gy_refdata_destroy(&self->refdata);
    memset(self->seal_key, 0, sizeof self->seal_key);
    free(self->producer);
    free(self);
    *self_p = NULL;
}
