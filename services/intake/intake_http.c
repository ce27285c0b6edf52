/*  intake_http — see intake_http.h. */
#include "intake_http.h"

#include <assert.h>
#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gy_auth.h"
#include "gy_config.h"
#include "gy_crypto.h"
#include "gy_page.h"
#include "gy_route.h"
#include "gy_text.h"
#include "gy_token.h"
#include "gy_util.h"
#include "intake_clue.h"
#include "intake_timeline.h"

#define S_RATE_WINDOW_MS 60000
/*  Outside ids (docs/api.md): checked whole, never cut. */
#define S_IDEMPOTENCY_MAX 128

typedef struct {
    intake_store_t *store;          /* borrowed: stores the submissions */
    gy_pg_t *reader;                /* borrowed: the status timeline */
    gy_ratelimit_t *limiter;        /* borrowed */
    const gy_refdata_t *refdata;    /* borrowed: the clue's checks */
    int64_t rate_per_min;           /* per client address */
    int64_t volunteer_rate_per_min; /* per volunteer, after the address's; 0: none */
    const uint8_t *token_key;       /* GY_TOKEN_PUBLIC_KEY_BYTES, borrowed; NULL: no token */
    intake_reporter_t *reporter;    /* borrowed; NULL: the reporter route answers 503 */
} s_config_t;

struct intake_http {
    s_config_t config;        /* its pointers borrowed */
    gy_static_doc_t *fields;  /* GET /api/v1/reference/fields */
    gy_static_doc_t *regions; /* GET /api/v1/reference/regions */
};

/*  Reference data changes only with a restart (a new file): a browser
 *  may keep it five minutes, then asks again with its ETag. */
#define S_REFERENCE_MAX_AGE_S 300

/*  ---- POST /api/v1/clues ---- */

typedef struct {
    intake_http_t *http;
    gy_http_request_t *req;
    char subject[65];
    bool has_subject;
    char trace[INTAKE_TRACE_MAX + 1];
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
    const s_config_t *config = &sub->http->config;
    gy_http_request_t *req = sub->req;
    size_t len;
    const char *body = gy_http_body(req, &len);
    intake_clue_t clue;
    intake_error_t err;
    if (intake_clue_from_json(&clue, body, len, config->refdata, gy_now_ms(), &err) < 0) {
        gy_reply_error(req, &err);
        free(sub);
        return;
    }
    const char *key = gy_http_header(req, "Idempotency-Key");
    if (key)
        clue.idempotency_key = gy_sprintf("http:%s", key);
    if (sub->has_subject)
        clue.reporter_subject = gy_strdup(sub->subject);
    intake_store_submit(config->store, &clue, sub->trace, s_on_stored, sub);
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
    const s_config_t *config = &sub->http->config;
    if (!allowed) {
        gy_http_respond_error(sub->req, 429, "rate_limited",
                              "too many submissions from this address; wait a minute", NULL);
        free(sub);
        return;
    }
    if (sub->has_subject && config->volunteer_rate_per_min > 0) {
        char key[96];
        snprintf(key, sizeof key, "vol:%s", sub->subject);
        gy_ratelimit_check(config->limiter, key, (uint32_t)config->volunteer_rate_per_min,
                           S_RATE_WINDOW_MS, s_on_volunteer_limit, sub);
        return;
    }
    s_submit_checked(sub);
}

static void s_post_clue(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    intake_http_t *self = arg;
    if (gy_require_json(req) < 0)
        return;
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
    if (trace && intake_trace_error(trace)) {
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
    switch (gy_auth_bearer(req, self->config.token_key, &claims)) {
    case GY_AUTH_ANSWERED: return;
    case GY_AUTH_OK:
        if (strcmp(claims.role, "volunteer") != 0) {
            gy_http_respond_error(req, 403, "forbidden",
                                  "only a volunteer's token submits a clue; send none (no "
                                  "Authorization, no session cookie) to report as a member of "
                                  "the public",
                                  "Authorization");
            return;
        }
        has_subject = true;
        break;
    case GY_AUTH_NONE: break;
    }
    s_submission_t *sub = gy_calloc(1, sizeof *sub);
    sub->http = self;
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
    gy_ratelimit_check(self->config.limiter, limit_key, (uint32_t)self->config.rate_per_min,
                       S_RATE_WINDOW_MS, s_on_address_limit, sub);
}

/*  ---- the reads ---- */

/*  A volunteer's own clues: those their token (or session) submitted,
 *  by the token's subject; nobody else's, whatever the role. */
static const char *const s_volunteer_roles[] = {"volunteer", NULL};
static const gy_guard_t s_volunteer = {s_volunteer_roles, false, false,
                                       "only a volunteer has clues of their own here; a "
                                       "report made without a token is followed by its "
                                       "receipt code"};

static void s_get_mine(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    intake_http_t *self = arg;
    (void)m;
    gy_token_claims_t claims;
    if (gy_auth_guard(req, self->config.token_key, &s_volunteer, &claims, NULL) < 0)
        return;
    static const gy_page_spec_t spec = {NULL, NULL, 20, 100};
    gy_page_t page;
    gy_error_t err;
    if (gy_page_parse(&spec, gy_http_query(req), &page, &err) < 0) {
        gy_reply_error(req, &err);
        return;
    }
    intake_timeline_mine(self->config.reader, req, claims.sub, &page);
}

static void s_get_clue(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    intake_http_t *self = arg;
    const char *code = gy_route_param(m, "code");
    if (!gy_receipt_valid(code)) {
        gy_http_respond_error(req, 404, "not_found", "no clue has this receipt code", NULL);
        return;
    }
    char upper[GY_RECEIPT_LEN + 1];
    for (int i = 0; i <= GY_RECEIPT_LEN; i++)
        upper[i] = (char)toupper((unsigned char)code[i]);
    intake_timeline_get(self->config.reader, req, upper);
}

static void s_get_reporter(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    intake_http_t *self = arg;
    if (!self->config.reporter) {
        gy_http_respond_error(req, 503, "unavailable",
                              "this intake instance does not follow the router's events "
                              "(GY_ROUTER_SOURCES is not set), so it cannot tell who may see "
                              "a reporter",
                              NULL);
        return;
    }
    intake_reporter_get(self->config.reporter, req, gy_route_param(m, "clue_id"));
}

/*  ---- reference data, for the forms (no token) ---- */

static void s_get_fields(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    intake_http_t *self = arg;
    (void)m;
    gy_reply_static_doc(req, self->fields);
}

static void s_get_regions(gy_http_request_t *req, const gy_route_match_t *m, void *arg)
{
    intake_http_t *self = arg;
    (void)m;
    gy_reply_static_doc(req, self->regions);
}

/*  Receipt codes and clue ids differ in shape, but the routes do not rely
 *  on it: they differ in segments. */
static const gy_route_t s_routes[] = {
    {"POST", "/api/v1/clues", "clues_submit", s_post_clue},
    {"GET", "/api/v1/clues", "clues_mine", s_get_mine},
    {"GET", "/api/v1/clues/{code}", "clues_status", s_get_clue},
    {"GET", "/api/v1/clues/{clue_id}/reporter", "clues_reporter", s_get_reporter},
    {"GET", "/api/v1/reference/fields", "reference_fields", s_get_fields},
    {"GET", "/api/v1/reference/regions", "reference_regions", s_get_regions},
    {NULL, NULL, NULL, NULL},
};

int intake_http_settings_load(intake_http_settings_t *settings)
{
    if (gy_config_int("GY_RATE_LIMIT_PER_MIN", 60, 0, 1000000, &settings->rate_per_min) < 0 ||
        gy_config_int("GY_RATE_LIMIT_VOLUNTEER_PER_MIN", 120, 0, 1000000,
                      &settings->volunteer_rate_per_min) < 0)
        return -1;
    const char *token_key = gy_config_str("GY_TOKEN_PUBLIC_KEY_FILE", NULL);
    settings->has_token_key = token_key != NULL;
    if (token_key &&
        gy_token_load_key(token_key, settings->token_key, sizeof settings->token_key) < 0)
        return -1;
    return 0;
}

const uint8_t *intake_http_token_key(const intake_http_settings_t *settings)
{
    return settings->has_token_key ? settings->token_key : NULL;
}

intake_http_t *intake_http_new(gy_node_t *node, const intake_http_settings_t *settings,
                               intake_store_t *store, const gy_refdata_t *refdata,
                               intake_reporter_t *reporter)
{
    assert(node && settings && store && refdata);
    intake_timeline_prepare_reader(gy_node_reader(node));
    intake_http_t *self = gy_calloc(1, sizeof *self);
    self->config = (s_config_t){
        .store = store,
        .reader = gy_node_reader(node),
        .limiter = gy_node_limiter(node),
        .refdata = refdata,
        .rate_per_min = settings->rate_per_min,
        .volunteer_rate_per_min = settings->volunteer_rate_per_min,
        .token_key = intake_http_token_key(settings),
        .reporter = reporter,
    };
    assert(self->config.reader && self->config.limiter);
    self->fields = gy_static_doc_new(gy_refdata_fields_json(refdata), S_REFERENCE_MAX_AGE_S);
    self->regions = gy_static_doc_new(gy_refdata_regions_json(refdata), S_REFERENCE_MAX_AGE_S);
    return self;
}

bool intake_http_handle(intake_http_t *self, gy_http_request_t *req)
{
    assert(self);
    return gy_route_dispatch_or(s_routes, req, self, false);
}

void intake_http_destroy(intake_http_t **self_p)
{
    assert(self_p);
    intake_http_t *self = *self_p;
    if (!self)
        return;
    gy_static_doc_destroy(&self->fields);
    gy_static_doc_destroy(&self->regions);
    free(self);
    *self_p = NULL;
}
