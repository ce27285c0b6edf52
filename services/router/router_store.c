/*  router_store — see router_store.h. */
#include "router_store.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"
#include "router_simhash.h"

static const char s_sql_route[] =
    "SELECT created, sequence, cluster_id, duplicate, body FROM router.route_clue("
    "$1::uuid, $2, $3::bigint, $4, $5, $6, $7::float8, $8::float8, $9, $10, $11::real, $12,"
    " $13::boolean, $14, $15, $16, $17, $18::int, $19::bigint, $20::smallint, $21::smallint,"
    " $22::smallint, $23::smallint, $24::bigint, $25::int, $26::bigint, $27::float8, $28,"
    " $29::uuid, $30::bigint, $31, $32::bytea, $33, $34::int, $35::bigint)";
static const char s_sql_clue_origin[] = "SELECT router.clue_origin($1::uuid, $2, $3)";
static const char s_sql_assessment_expire[] =
    "SELECT router.assessment_expire($1::bigint, $2::bigint, $3, $4::int)";
/*  One event of the outbox on its way from a transaction to the relay. */
typedef struct {
    char event_id[37];
    char trace[37];
    char procuratorate[7];
    int64_t time_ms;
    const char *type;
    bool created;
    uint64_t sequence;
    uint8_t *body; /* as stored */
    size_t body_len;
} s_pending_t;

struct router_store {
    uv_loop_t *loop;
    router_store_config_t config;
    char *producer;
    bool expiring;         /* a late-task pass is running */
    bool expired_events;   /*   and it appended events */
    uv_timer_t scan_timer; /* its close callback frees the store */
};

static bool s_valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80             ? 0
                : (*p & 0xe0) == 0xc0 ? 1
                : (*p & 0xf0) == 0xe0 ? 2
                : (*p & 0xf8) == 0xf0 ? 3
                                      : -1;
        if (n < 0 || (n == 1 && *p < 0xc2))
            return false;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xc0) != 0x80)
                return false;
    }
    return true;
}

static void s_event_of(const s_pending_t *p, gy_outbox_event_t *ev)
{
    ev->sequence = p->sequence;
    ev->event_id = p->event_id;
    ev->type = p->type;
    ev->time_ms = p->time_ms;
    ev->trace_id = p->trace;
    ev->procuratorate = p->procuratorate;
    ev->body = p->body;
    ev->body_len = p->body_len;
}

/*  ---- routing ---- */

void router_store_apply(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    router_store_t *self = arg;
    const Gongyi__V1__Envelope *env = event->envelope;
    if (env->body_case != GONGYI__V1__ENVELOPE__BODY_CLUE_RECEIVED)
        return; /* not ours to act on; the position still advances */
    const Gongyi__V1__ClueReceived *cr = env->clue_received;
    /*  A malformed event would fail its transaction on every retry and stop
     *  the stream behind it; it is logged and passed over instead. */
    if (!gy_uuid_valid(cr->clue_id) || !s_valid_utf8(cr->title) || !s_valid_utf8(cr->description) ||
        !s_valid_utf8(cr->region_code) || !s_valid_utf8(cr->field_code) ||
        strlen(cr->field_code) > 32 || strlen(cr->region_code) > 16) {
        gy_log_warning("ClueReceived %s:%" PRIu64 " is malformed (clue id, UTF-8 or codes); "
                       "passed over",
                       event->producer, event->sequence);
        gy_metrics_count(self->config.metrics, "gy_router_malformed_total", "", 1);
        return;
    }

    router_triage_t triage;
    router_rules_triage(self->config.rules, cr->title, cr->description, cr->field_code, &triage);
    router_decision_t where;
    router_jurisdiction_decide(self->config.jurisdiction, cr->region_code, triage.field_code,
                               cr->title, cr->description, triage.major, triage.organ_failure,
                               &where);
    bool severe = triage.major || strcmp(where.rule, "cross_county") == 0;
    long priority = lround(60.0 * triage.confidence) + (severe ? 40 : 0);
    if (priority > 100)
        priority = 100;
    uint64_t hash = router_simhash_clue(cr->title, cr->description);

    s_pending_t *p = gy_calloc(1, sizeof *p);
    event->user = p;
    gy_uuid(p->event_id);
    if (env->trace_id && gy_uuid_valid(env->trace_id))
        snprintf(p->trace, sizeof p->trace, "%s", env->trace_id);
    else
        gy_uuid(p->trace);
    snprintf(p->procuratorate, sizeof p->procuratorate, "%s", where.procuratorate);
    p->time_ms = gy_now_ms();
    p->type = "ClueRouted";

    char reason[400];
    snprintf(reason, sizeof reason, "%s: %s; field %s (%s)", where.rule, where.procuratorate,
             triage.field_code, triage.reason);
    /*  cluster_id and duplicate are appended by router.route_clue. */
    Gongyi__V1__ClueRouted routed = GONGYI__V1__CLUE_ROUTED__INIT;
    routed.clue_id = cr->clue_id;
    routed.procuratorate = where.procuratorate;
    routed.queue = (char *)where.queue;
    routed.field_code = triage.field_code;
    routed.field_confidence = triage.confidence;
    routed.priority = (uint32_t)priority;
    routed.reason = reason;
    routed.source_producer = (char *)event->producer;
    routed.source_sequence = event->sequence;
    routed.reporter_field_code = cr->field_code;
    routed.rule = (char *)where.rule;
    routed.city = where.city;
    routed.received_unix_ms = cr->received_unix_ms;
    routed.region_code = cr->region_code;
    /*  The integrator's work order rides on every event about the clue. */
    const Gongyi__V1__Origin *origin = cr->origin;
    if (origin && (!origin->producer[0] || !s_valid_utf8(origin->producer) ||
                   !s_valid_utf8(origin->reference_id) || strlen(origin->producer) > 256 ||
                   strlen(origin->reference_id) > 256)) {
        gy_log_warning("ClueReceived %s:%" PRIu64 " has a malformed origin; routed without it",
                       event->producer, event->sequence);
        origin = NULL;
    }
    routed.origin = (Gongyi__V1__Origin *)origin;
    size_t body_len = gongyi__v1__clue_routed__get_packed_size(&routed);
    uint8_t *body = gy_malloc(body_len);
    gongyi__v1__clue_routed__pack(&routed, body);

    bool coords = cr->location && cr->location->has_coordinates;
    char seq[24], lat[32], lon[32], conf[32], prio[24], hash_s[24], bands[4][8], received[24];
    char maxd[8], window[24], near[32], time_ms[24];
    snprintf(seq, sizeof seq, "%" PRIu64, event->sequence);
    if (coords) {
        snprintf(lat, sizeof lat, "%.17g", cr->location->lat);
        snprintf(lon, sizeof lon, "%.17g", cr->location->lon);
    }
    snprintf(conf, sizeof conf, "%.6f", triage.confidence);
    snprintf(prio, sizeof prio, "%ld", priority);
    int64_t signed_hash;
    memcpy(&signed_hash, &hash, sizeof hash); /* bigint holds the bits */
    snprintf(hash_s, sizeof hash_s, "%" PRId64, signed_hash);
    for (int i = 0; i < 4; i++)
        snprintf(bands[i], sizeof bands[i], "%d", router_simhash_band(hash, i));
    snprintf(received, sizeof received, "%" PRId64,
             cr->received_unix_ms ? cr->received_unix_ms : env->time_unix_ms);
    snprintf(maxd, sizeof maxd, "%d", self->config.max_distance);
    snprintf(window, sizeof window, "%" PRId64, self->config.window_ms);
    snprintf(near, sizeof near, "%.6f", self->config.near_km);
    snprintf(time_ms, sizeof time_ms, "%" PRId64, p->time_ms);
    char assess_k[8], assess_due[24];
    snprintf(assess_k, sizeof assess_k, "%d", self->config.assess_k);
    snprintf(assess_due, sizeof assess_due, "%" PRId64, p->time_ms + self->config.assess_due_ms);
    const char *values[35] = {
        cr->clue_id,
        event->producer,
        seq,
        cr->title,
        cr->description,
        cr->region_code,
        coords ? lat : NULL,
        coords ? lon : NULL,
        cr->field_code,
        triage.field_code,
        conf,
        triage.reason,
        triage.major ? "true" : "false",
        where.procuratorate,
        where.city,
        where.queue,
        where.rule,
        prio,
        hash_s,
        bands[0],
        bands[1],
        bands[2],
        bands[3],
        received,
        maxd,
        window,
        near,
        self->producer,
        p->event_id,
        time_ms,
        p->trace,
        (const char *)body,
        cr->reporter_subject,
        assess_k,
        assess_due,
    };
    int lengths[35] = {0};
    lengths[31] = (int)body_len;
    gy_pg_tx_add(tx, "route_clue", 35, values, lengths);
    if (origin) {
        const char *ovalues[] = {cr->clue_id, origin->producer, origin->reference_id};
        gy_pg_tx_add(tx, "clue_origin", 3, ovalues, NULL);
    }
    free(body);
    router_deadline_tx_add(self->config.deadlines, tx, cr->clue_id,
                           cr->received_unix_ms ? cr->received_unix_ms : env->time_unix_ms);
}

void router_store_result(void *arg, gy_consumer_event_t *event, size_t index,
                         const gy_pg_result_t *res)
{
    s_pending_t *p = event->user;
    if (!p || index != 0 || gy_pg_ntuples(res) != 1)
        return; /* route_clue's row; the origin's statement answers nothing */
    p->created = gy_pg_value(res, 0, 0)[0] == 't';
    p->sequence = strtoull(gy_pg_value(res, 0, 1), NULL, 10);
    free(p->body);
    /*  No body: the clue was held for assessment and the events are
     *  AssessmentRequested, which the relay reads from the outbox. */
    p->body = p->created && !gy_pg_isnull(res, 0, 4) ? gy_pg_bytea(res, 0, 4, &p->body_len) : NULL;
}

void router_store_done(void *arg, gy_consumer_event_t *event, gy_pg_status_t status)
{
    router_store_t *self = arg;
    s_pending_t *p = event->user;
    event->user = NULL;
    if (status == GY_PG_OK && p && p->created && p->body) {
        gy_outbox_event_t ev;
        s_event_of(p, &ev);
        gy_outbox_committed(self->config.outbox, &ev);
        gy_metrics_count(self->config.metrics, "gy_router_clues_routed_total", "", 1);
    } else if (status == GY_PG_OK && p && p->created) {
        gy_outbox_check(self->config.outbox);
        gy_metrics_count(self->config.metrics, "gy_router_clues_held_total", "", 1);
    } else if (status == GY_PG_LOST) {
        gy_outbox_check(self->config.outbox);
    }
    if (p)
        free(p->body);
    free(p);
}

/*  ---- late assessment tasks ---- */

static void s_on_expire_result(void *arg, size_t index, const gy_pg_result_t *res)
{
    router_store_t *self = arg;
    (void)index;
    if (gy_pg_ntuples(res) == 1 && strtol(gy_pg_value(res, 0, 0), NULL, 10) > 0)
        self->expired_events = true;
}

static void s_on_expire_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    router_store_t *self = arg;
    (void)sqlstate;
    self->expiring = false;
    if ((status == GY_PG_OK && self->expired_events) || status == GY_PG_LOST)
        gy_outbox_check(self->config.outbox);
    self->expired_events = false;
}

/*  Tasks past due become late, others are asked in their place, and clues
 *  are decided when they can be (router.assessment_expire), on the writer
 *  so that it never races the consumer's transactions. */
static void s_expire(router_store_t *self)
{
    if (self->expiring || !self->config.assess_k || !gy_pg_up(self->config.writer))
        return;
    /*  Late by the process clock, which made the due times too. */
    int64_t now_ms = gy_now_ms();
    char now[24], due[24];
    snprintf(now, sizeof now, "%" PRId64, now_ms);
    snprintf(due, sizeof due, "%" PRId64, now_ms + self->config.assess_due_ms);
    const char *params[] = {now, due, self->producer, "100"};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "assessment_expire", 4, params, NULL);
    if (gy_pg_run(self->config.writer, &tx, s_on_expire_result, s_on_expire_done, self) == 0)
        self->expiring = true;
}

static void s_on_scan_timer(uv_timer_t *timer)
{
    s_expire(timer->data);
}

/*  ---- life cycle ---- */

void router_store_prepare(gy_pg_t *writer, gy_pg_t *reader)
{
    gy_pg_prepare(writer, "route_clue", s_sql_route);
    gy_pg_prepare(writer, "clue_origin", s_sql_clue_origin);
    gy_pg_prepare(writer, "assessment_expire", s_sql_assessment_expire);
    router_deadline_prepare(writer, reader);
}

router_store_t *router_store_new(uv_loop_t *loop, const router_store_config_t *config)
{
    router_store_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    self->config = *config;
    self->producer = gy_strdup(config->producer);
    self->config.producer = self->producer;
    gy_metrics_describe(config->metrics, "gy_router_clues_routed_total", "counter",
                        "Clues routed (ClueRouted committed) by this instance.");
    gy_metrics_describe(config->metrics, "gy_router_clues_held_total", "counter",
                        "New matters held for assessment (AssessmentRequested committed).");
    gy_metrics_describe(config->metrics, "gy_router_malformed_total", "counter",
                        "ClueReceived events passed over as malformed.");
    uv_timer_init(loop, &self->scan_timer);
    self->scan_timer.data = self;
    if (config->scan_interval_ms)
        uv_timer_start(&self->scan_timer, s_on_scan_timer, config->scan_interval_ms,
                       config->scan_interval_ms);
    return self;
}

static void s_scan_timer_close_cb(uv_handle_t *handle)
{
    router_store_t *self = handle->data;
    free(self->producer);
    free(self);
}

void router_store_destroy(router_store_t **self_p)
{
    assert(self_p);
    router_store_t *self = *self_p;
    if (!self)
        return;
    uv_timer_stop(&self->scan_timer);
    uv_close((uv_handle_t *)&self->scan_timer, s_scan_timer_close_cb);
    *self_p = NULL;
}
