/*  router_store — see router_store.h. */
#include "router_store.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_config.h"
#include "gy_util.h"
#include "router_assess.h"
#include "router_simhash.h"

static const char s_sql_cluster_candidate[] =
    "SELECT cluster_id, distance, first_received_ms FROM router.cluster_candidate("
    "$1, $2::bigint, $3::smallint, $4::smallint, $5::smallint, $6::smallint, $7::bigint,"
    " $8::bigint, $9, $10::float8, $11::float8, $12::float8, $13::int)";
static const char s_sql_route[] =
    "SELECT created, sequence FROM router.route_clue_packed($1::jsonb, $2::uuid, $3::bigint, $4,"
    " $5::uuid, $6::bigint, $7, $8::bytea, $9::int)";
static const char s_sql_tasks_due[] = "SELECT id FROM router.tasks_due($1::bigint, $2::int)";
static const char s_sql_assessors[] =
    "SELECT volunteer_id, procuratorate, load FROM router.assessor_candidates($1::uuid, $2, $3,"
    " $4, $5, $6, $7, $8::int)";
static const char s_sql_task_insert[] =
    "SELECT router.task_insert($1::uuid, $2::uuid, $3::uuid, $4::bigint, $5, $6::uuid,"
    " $7::bigint, $8, $9, $10::bytea)";
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
    bool expiring;            /* a late-task pass is running */
    bool stopping;            /* destroy ran: no new late-task steps */
    uv_timer_t scan_timer;    /* its close callback frees the store */
    struct s_leader *leaders; /* clusters started by the batch being written */
    struct s_given *given;    /* tasks given by the batch being written */
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

/*  Someone who could assess a new matter, as read, with their open tasks. */
typedef struct {
    char id[37];
    char procuratorate[7];
    long load;
} s_assessor_t;

/*  Tasks given to a volunteer by the batch being written (the read could
 *  not count them). */
typedef struct s_given {
    struct s_given *next;
    char id[37];
    long count;
} s_given_t;

/*  One ClueReceived on its way through the read and the write: what C
 *  decided, the stored cluster the read found, and the ClueRouted event. */
typedef struct {
    s_pending_t ev; /* ClueRouted; body packed in apply */
    router_triage_t triage;
    router_decision_t where;
    long priority;
    uint64_t hash;
    int64_t received_ms;
    const Gongyi__V1__Origin *origin; /* borrowed from the event, NULL if none or malformed */
    bool has_stored;                  /* the read found a cluster ... */
    char stored_id[37];               /*   its id */
    int stored_distance;              /*   SimHash bits from this clue */
    int64_t stored_first_ms;          /*   its first clue's time */
    char cluster_id[37];              /* decided in apply */
    s_assessor_t *assessors;          /* who could assess it, least loaded first (read) */
    size_t nassessors;
} s_routing_t;

/*  A cluster started by an earlier clue of the batch being written: the
 *  read could not see it, so the decision compares with it here. */
typedef struct s_leader {
    struct s_leader *next;
    char id[37];
    char field_code[33];
    char region_code[17];
    bool has_coordinates;
    double lat, lon;
    uint64_t hash;
    int64_t first_ms, last_ms;
} s_leader_t;

static bool s_clue_valid(router_store_t *self, gy_consumer_event_t *event)
{
    const Gongyi__V1__ClueReceived *cr = event->envelope->clue_received;
    /*  A malformed event would fail its transaction on every retry and stop
     *  the stream behind it; it is logged and passed over instead. */
    if (!gy_uuid_valid(cr->clue_id) || !s_valid_utf8(cr->title) || !s_valid_utf8(cr->description) ||
        !s_valid_utf8(cr->region_code) || !s_valid_utf8(cr->field_code) ||
        strlen(cr->field_code) > 32 || strlen(cr->region_code) > 16) {
        gy_log_warning("ClueReceived %s:%" PRIu64 " is malformed (clue id, UTF-8 or codes); "
                       "passed over",
                       event->producer, event->sequence);
        gy_metrics_count(self->config.metrics, "gy_router_malformed_total", "", 1);
        return false;
    }
    return true;
}

/*  Triage, jurisdiction and fingerprint in C, then the read of the best
 *  stored cluster for the clue (router.cluster_candidate). */
void router_store_read(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    router_store_t *self = arg;
    const Gongyi__V1__Envelope *env = event->envelope;
    if (env->body_case != GONGYI__V1__ENVELOPE__BODY_CLUE_RECEIVED)
        return; /* not ours to act on; the position still advances */
    if (!s_clue_valid(self, event))
        return;
    const Gongyi__V1__ClueReceived *cr = env->clue_received;
    s_routing_t *r = gy_calloc(1, sizeof *r);
    event->user = r;
    router_rules_triage(self->config.rules, cr->title, cr->description, cr->field_code, &r->triage);
    router_jurisdiction_decide(self->config.jurisdiction, cr->region_code, r->triage.field_code,
                               cr->title, cr->description, r->triage.major, r->triage.organ_failure,
                               &r->where);
    bool severe = r->triage.major || strcmp(r->where.rule, "cross_county") == 0;
    r->priority = lround(60.0 * r->triage.confidence) + (severe ? 40 : 0);
    if (r->priority > 100)
        r->priority = 100;
    r->hash = router_simhash_clue(cr->title, cr->description);
    r->received_ms = cr->received_unix_ms ? cr->received_unix_ms : env->time_unix_ms;
    /*  The integrator's work order rides on every event about the clue. */
    const Gongyi__V1__Origin *origin = cr->origin;
    if (origin && (!origin->producer[0] || !s_valid_utf8(origin->producer) ||
                   !s_valid_utf8(origin->reference_id) || strlen(origin->producer) > 256 ||
                   strlen(origin->reference_id) > 256)) {
        gy_log_warning("ClueReceived %s:%" PRIu64 " has a malformed origin; routed without it",
                       event->producer, event->sequence);
        origin = NULL;
    }
    r->origin = origin;

    bool coords = cr->location && cr->location->has_coordinates;
    char hash_s[24], bands[4][8], received[24], maxd[8], window[24], near[32], lat[32], lon[32];
    int64_t signed_hash;
    memcpy(&signed_hash, &r->hash, sizeof r->hash); /* bigint holds the bits */
    snprintf(hash_s, sizeof hash_s, "%" PRId64, signed_hash);
    for (int i = 0; i < 4; i++)
        snprintf(bands[i], sizeof bands[i], "%d", router_simhash_band(r->hash, i));
    snprintf(received, sizeof received, "%" PRId64, r->received_ms);
    snprintf(maxd, sizeof maxd, "%d", self->config.max_distance);
    snprintf(window, sizeof window, "%" PRId64, self->config.window_ms);
    snprintf(near, sizeof near, "%.6f", self->config.near_km);
    if (coords) {
        snprintf(lat, sizeof lat, "%.17g", cr->location->lat);
        snprintf(lon, sizeof lon, "%.17g", cr->location->lon);
    }
    const char *values[] = {r->triage.field_code,
                            hash_s,
                            bands[0],
                            bands[1],
                            bands[2],
                            bands[3],
                            received,
                            window,
                            cr->region_code,
                            coords ? lat : NULL,
                            coords ? lon : NULL,
                            near,
                            maxd};
    gy_pg_tx_add(tx, "cluster_candidate", 13, values, NULL);
    if (self->config.assess_k > 0) {
        /*  Who could assess it, should it be a new matter: a few more than
         *  k, so that a batch of new matters is spread by load. */
        size_t tlen = strlen(cr->title), dlen = strlen(cr->description);
        char *text = gy_malloc(tlen + dlen + 1);
        memcpy(text, cr->title, tlen);
        memcpy(text + tlen, cr->description, dlen + 1);
        char limit[12];
        snprintf(limit, sizeof limit, "%d", self->config.assess_k * 4);
        const char *avalues[] = {
            cr->clue_id,          r->triage.field_code, r->where.city, r->where.procuratorate,
            cr->reporter_subject, cr->region_code,      text,          limit};
        gy_pg_tx_add(tx, "assessor_candidates", 8, avalues, NULL);
        free(text);
    }
}

void router_store_read_result(void *arg, gy_consumer_event_t *event, size_t index,
                              const gy_pg_result_t *res)
{
    (void)arg;
    s_routing_t *r = event->user;
    if (r && index == 1) {
        int rows = gy_pg_ntuples(res);
        r->assessors = gy_calloc(rows > 0 ? (size_t)rows : 1, sizeof *r->assessors);
        for (int i = 0; i < rows; i++) {
            s_assessor_t *a = &r->assessors[r->nassessors++];
            snprintf(a->id, sizeof a->id, "%s", gy_pg_value(res, i, 0));
            snprintf(a->procuratorate, sizeof a->procuratorate, "%s", gy_pg_value(res, i, 1));
            a->load = strtol(gy_pg_value(res, i, 2), NULL, 10);
        }
        return;
    }
    if (!r || index != 0 || gy_pg_ntuples(res) != 1)
        return;
    r->has_stored = true;
    snprintf(r->stored_id, sizeof r->stored_id, "%s", gy_pg_value(res, 0, 0));
    r->stored_distance = atoi(gy_pg_value(res, 0, 1));
    r->stored_first_ms = strtoll(gy_pg_value(res, 0, 2), NULL, 10);
}

/*  The same matter as router.cluster_candidate decides it for a stored
 *  cluster: same field, fingerprint near, within the window of the
 *  cluster's clues, same region or near. */
static bool s_same_matter(const router_store_t *self, const s_leader_t *l, const s_routing_t *r,
                          const Gongyi__V1__ClueReceived *cr, int *distance)
{
    if (strcmp(l->field_code, r->triage.field_code) != 0)
        return false;
    *distance = router_simhash_distance(l->hash, r->hash);
    if (*distance > self->config.max_distance)
        return false;
    if (l->last_ms < r->received_ms - self->config.window_ms ||
        l->first_ms > r->received_ms + self->config.window_ms)
        return false;
    if (strcmp(l->region_code, cr->region_code) == 0)
        return true;
    bool coords = cr->location && cr->location->has_coordinates;
    return coords && l->has_coordinates &&
           router_distance_km(l->lat, l->lon, cr->location->lat, cr->location->lon) <=
               self->config.near_km;
}

/*  The cluster the clue joins: the nearest fingerprint, then the oldest
 *  cluster, among the stored one the read found and those started earlier
 *  in this batch; none: it starts its own (its id). */
static void s_decide_cluster(router_store_t *self, s_routing_t *r,
                             const Gongyi__V1__ClueReceived *cr)
{
    const char *best = r->has_stored ? r->stored_id : NULL;
    int best_distance = r->stored_distance;
    int64_t best_first = r->stored_first_ms;
    s_leader_t *joined = NULL;
    for (s_leader_t *l = self->leaders; l; l = l->next) {
        int d;
        if (!s_same_matter(self, l, r, cr, &d))
            continue;
        if (!best || d < best_distance || (d == best_distance && l->first_ms < best_first)) {
            best = l->id;
            best_distance = d;
            best_first = l->first_ms;
            joined = l;
        }
    }
    if (joined && r->received_ms > joined->last_ms)
        joined->last_ms = r->received_ms;
    if (best) {
        snprintf(r->cluster_id, sizeof r->cluster_id, "%s", best);
        return;
    }
    snprintf(r->cluster_id, sizeof r->cluster_id, "%s", cr->clue_id);
    s_leader_t *l = gy_calloc(1, sizeof *l);
    snprintf(l->id, sizeof l->id, "%s", cr->clue_id);
    snprintf(l->field_code, sizeof l->field_code, "%s", r->triage.field_code);
    snprintf(l->region_code, sizeof l->region_code, "%s", cr->region_code);
    l->has_coordinates = cr->location && cr->location->has_coordinates;
    if (l->has_coordinates) {
        l->lat = cr->location->lat;
        l->lon = cr->location->lon;
    }
    l->hash = r->hash;
    l->first_ms = l->last_ms = r->received_ms;
    l->next = self->leaders;
    self->leaders = l;
}

static s_given_t *s_given(router_store_t *self, const char *volunteer)
{
    for (s_given_t *g = self->given; g; g = g->next)
        if (strcmp(g->id, volunteer) == 0)
            return g;
    s_given_t *g = gy_calloc(1, sizeof *g);
    snprintf(g->id, sizeof g->id, "%s", volunteer);
    g->next = self->given;
    self->given = g;
    return g;
}

/*  The k least loaded of those read, counting what this batch gave
 *  (stable: the read's random order among equals stays). */
static size_t s_pick_assessors(router_store_t *self, s_routing_t *r, s_assessor_t **picked)
{
    size_t k = (size_t)self->config.assess_k, n = 0;
    bool *taken = gy_calloc(r->nassessors + 1, sizeof *taken);
    while (n < k) {
        long best_load = 0;
        size_t best = r->nassessors;
        for (size_t i = 0; i < r->nassessors; i++) {
            if (taken[i])
                continue;
            long load = r->assessors[i].load + s_given(self, r->assessors[i].id)->count;
            if (best == r->nassessors || load < best_load) {
                best = i;
                best_load = load;
            }
        }
        if (best == r->nassessors)
            break;
        taken[best] = true;
        s_given(self, r->assessors[best].id)->count++;
        picked[n++] = &r->assessors[best];
    }
    free(taken);
    return n;
}

static void s_leaders_clear(router_store_t *self)
{
    while (self->given) {
        s_given_t *next = self->given->next;
        free(self->given);
        self->given = next;
    }
    while (self->leaders) {
        s_leader_t *next = self->leaders->next;
        free(self->leaders);
        self->leaders = next;
    }
}

/*  The clue as router.route_clue_packed stores it (JSON: named, not a
 *  long list of positional parameters). */
static char *s_clue_json(const router_store_t *self, const s_routing_t *r,
                         gy_consumer_event_t *event)
{
    const Gongyi__V1__ClueReceived *cr = event->envelope->clue_received;
    bool coords = cr->location && cr->location->has_coordinates;
    int64_t signed_hash;
    memcpy(&signed_hash, &r->hash, sizeof r->hash);
    json_t *bands = json_array();
    for (int i = 0; i < 4; i++)
        json_array_append_new(bands, json_integer(router_simhash_band(r->hash, i)));
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(cr->clue_id));
    json_object_set_new(o, "source_producer", json_string(event->producer));
    json_object_set_new(o, "source_sequence", json_integer((json_int_t)event->sequence));
    json_object_set_new(o, "title", json_string(cr->title));
    json_object_set_new(o, "description", json_string(cr->description));
    json_object_set_new(o, "region_code", json_string(cr->region_code));
    json_object_set_new(o, "lat", coords ? json_real(cr->location->lat) : json_null());
    json_object_set_new(o, "lon", coords ? json_real(cr->location->lon) : json_null());
    json_object_set_new(o, "reporter_field_code", json_string(cr->field_code));
    json_object_set_new(o, "field_code", json_string(r->triage.field_code));
    json_object_set_new(o, "field_confidence", json_real(r->triage.confidence));
    json_object_set_new(o, "reason", json_string(r->triage.reason));
    json_object_set_new(o, "major", json_boolean(r->triage.major));
    json_object_set_new(o, "procuratorate", json_string(r->where.procuratorate));
    json_object_set_new(o, "city", json_string(r->where.city));
    json_object_set_new(o, "queue", json_string(r->where.queue));
    json_object_set_new(o, "rule", json_string(r->where.rule));
    json_object_set_new(o, "priority", json_integer(r->priority));
    json_object_set_new(o, "simhash", json_integer(signed_hash));
    json_object_set_new(o, "bands", bands);
    json_object_set_new(o, "reporter_subject", json_string(cr->reporter_subject));
    json_object_set_new(o, "origin_producer", json_string(r->origin ? r->origin->producer : ""));
    json_object_set_new(o, "origin_reference",
                        json_string(r->origin ? r->origin->reference_id : ""));
    json_object_set_new(o, "deadlines",
                        router_deadline_json(self->config.deadlines, r->received_ms));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/*  Decides the cluster, packs ClueRouted whole from the generated code,
 *  and stores both (router.route_clue_packed), in the consumer's
 *  transaction. */
void router_store_apply(void *arg, gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    router_store_t *self = arg;
    s_routing_t *r = event->user;
    if (!r)
        return; /* not a ClueReceived, or passed over in the read */
    const Gongyi__V1__Envelope *env = event->envelope;
    const Gongyi__V1__ClueReceived *cr = env->clue_received;
    s_decide_cluster(self, r, cr);

    s_pending_t *p = &r->ev;
    gy_uuid(p->event_id);
    if (env->trace_id && gy_uuid_valid(env->trace_id))
        snprintf(p->trace, sizeof p->trace, "%s", env->trace_id);
    else
        gy_uuid(p->trace);
    snprintf(p->procuratorate, sizeof p->procuratorate, "%s", r->where.procuratorate);
    p->time_ms = gy_now_ms();
    p->type = "ClueRouted";

    char reason[400];
    snprintf(reason, sizeof reason, "%s: %s; field %s (%s)", r->where.rule, r->where.procuratorate,
             r->triage.field_code, r->triage.reason);
    Gongyi__V1__ClueRouted routed = GONGYI__V1__CLUE_ROUTED__INIT;
    routed.clue_id = cr->clue_id;
    routed.procuratorate = r->where.procuratorate;
    routed.queue = (char *)r->where.queue;
    routed.field_code = r->triage.field_code;
    routed.field_confidence = r->triage.confidence;
    routed.cluster_id = r->cluster_id;
    routed.duplicate = strcmp(r->cluster_id, cr->clue_id) != 0;
    routed.priority = (uint32_t)r->priority;
    routed.reason = reason;
    routed.source_producer = (char *)event->producer;
    routed.source_sequence = event->sequence;
    routed.reporter_field_code = cr->field_code;
    routed.rule = (char *)r->where.rule;
    routed.city = r->where.city;
    routed.received_unix_ms = cr->received_unix_ms;
    routed.region_code = cr->region_code;
    routed.origin = (Gongyi__V1__Origin *)r->origin;
    p->body_len = gongyi__v1__clue_routed__get_packed_size(&routed);
    p->body = gy_malloc(p->body_len ? p->body_len : 1);
    gongyi__v1__clue_routed__pack(&routed, p->body);

    /*  A new matter waits for the assessors (when someone can assess
     *  it); a duplicate follows its cluster, already known, at once. */
    s_assessor_t **picked = gy_calloc(r->nassessors + 1, sizeof *picked);
    size_t npicked = 0;
    if (self->config.assess_k > 0 && strcmp(r->cluster_id, cr->clue_id) == 0)
        npicked = s_pick_assessors(self, r, picked);

    char *clue = s_clue_json(self, r, event);
    char received[24], time_ms[24], hold_k[8];
    snprintf(received, sizeof received, "%" PRId64, r->received_ms);
    snprintf(time_ms, sizeof time_ms, "%" PRId64, p->time_ms);
    snprintf(hold_k, sizeof hold_k, "%d", npicked ? self->config.assess_k : 0);
    const char *values[] = {clue,           r->cluster_id,         received,
                            self->producer, p->event_id,           time_ms,
                            p->trace,       (const char *)p->body, hold_k};
    int lengths[9] = {0};
    lengths[7] = (int)p->body_len; /* the one binary parameter: the packed body */
    gy_pg_tx_add(tx, "route_clue_packed", 9, values, lengths);
    free(clue);

    int64_t due_ms = p->time_ms + self->config.assess_due_ms;
    char due[24];
    snprintf(due, sizeof due, "%" PRId64, due_ms);
    for (size_t i = 0; i < npicked; i++) {
        char task_id[37], event_id[37];
        gy_uuid(task_id);
        gy_uuid(event_id);
        size_t len;
        uint8_t *body = router_pack_assessment_requested(
            cr->clue_id, task_id, picked[i]->id, r->triage.field_code, due_ms,
            picked[i]->procuratorate, r->origin ? r->origin->producer : NULL,
            r->origin ? r->origin->reference_id : NULL, &len);
        const char *tvalues[] = {task_id,
                                 cr->clue_id,
                                 picked[i]->id,
                                 due,
                                 self->producer,
                                 event_id,
                                 time_ms,
                                 p->trace,
                                 r->where.procuratorate,
                                 (const char *)body};
        int tlengths[10] = {0};
        tlengths[9] = (int)len;
        gy_pg_tx_add(tx, "hold_task_insert", 10, tvalues, tlengths);
        free(body);
    }
    free(picked);
}

void router_store_result(void *arg, gy_consumer_event_t *event, size_t index,
                         const gy_pg_result_t *res)
{
    (void)arg;
    s_routing_t *r = event->user;
    if (!r || index != 0 || gy_pg_ntuples(res) != 1)
        return;
    r->ev.created = gy_pg_value(res, 0, 0)[0] == 't';
    r->ev.sequence = strtoull(gy_pg_value(res, 0, 1), NULL, 10);
}

void router_store_done(void *arg, gy_consumer_event_t *event, gy_pg_status_t status)
{
    router_store_t *self = arg;
    s_routing_t *r = event->user;
    event->user = NULL;
    /*  The batch is over, whatever its fate: its new clusters are stored
     *  (and the next read sees them) or were never written. */
    s_leaders_clear(self);
    /*  Sequence 0: the clue was held for assessment and the events are
     *  AssessmentRequested, which the relay reads from the outbox. */
    if (status == GY_PG_OK && r && r->ev.created && r->ev.sequence) {
        gy_outbox_event_t ev;
        s_event_of(&r->ev, &ev);
        gy_outbox_committed(self->config.outbox, &ev);
        gy_metrics_count(self->config.metrics, "gy_router_clues_routed_total", "", 1);
    } else if (status == GY_PG_OK && r && r->ev.created) {
        gy_outbox_check(self->config.outbox);
        gy_metrics_count(self->config.metrics, "gy_router_clues_held_total", "", 1);
    } else if (status == GY_PG_LOST) {
        gy_outbox_check(self->config.outbox);
    }
    if (r) {
        free(r->ev.body);
        free(r->assessors);
    }
    free(r);
}

/*  ---- late assessment tasks ---- */

/*  Tasks past due, taken one after another (router_assess_expire: late,
 *  someone else asked, the clue decided when it can be), on the writer so
 *  that they queue behind the consumer's transactions. */
typedef struct {
    router_store_t *store;
    char (*ids)[37];
    size_t count, next;
} s_expiry_t;

static void s_expire_next(s_expiry_t *x);

static void s_on_expired(void *arg, router_answer_t *answer)
{
    s_expiry_t *x = arg;
    json_decref(answer->body);
    s_expire_next(x);
}

static void s_expire_next(s_expiry_t *x)
{
    router_store_t *self = x->store;
    router_transfer_ctx_t ctx = {
        .pg = self->config.writer, .outbox = self->config.outbox, .producer = self->producer};
    while (x->next < x->count && !self->stopping) {
        const char *id = x->ids[x->next++];
        if (router_assess_expire(&ctx, id, gy_now_ms() + self->config.assess_due_ms, s_on_expired,
                                 x) == 0)
            return; /* goes on in s_on_expired */
    }
    self->expiring = false;
    free(x->ids);
    free(x);
}

static void s_on_due_tasks(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_expiry_t *x = arg;
    (void)index;
    int rows = gy_pg_ntuples(res);
    x->ids = gy_calloc(rows > 0 ? (size_t)rows : 1, sizeof *x->ids);
    for (int r = 0; r < rows; r++)
        snprintf(x->ids[x->count++], 37, "%s", gy_pg_value(res, r, 0));
}

static void s_on_due_tasks_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_expiry_t *x = arg;
    (void)sqlstate;
    if (status != GY_PG_OK)
        x->count = 0;
    s_expire_next(x);
}

static void s_expire(router_store_t *self)
{
    if (self->expiring || !self->config.assess_k || !gy_pg_up(self->config.writer))
        return;
    /*  Late by the process clock, which made the due times too. */
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, gy_now_ms());
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *params[] = {now, "100"};
    gy_pg_tx_add(tx, "tasks_due", 2, params, NULL);
    s_expiry_t *x = gy_calloc(1, sizeof *x);
    x->store = self;
    if (gy_pg_run(self->config.writer, &tx, s_on_due_tasks, s_on_due_tasks_done, x) < 0) {
        free(x);
        return;
    }
    self->expiring = true;
}

static void s_on_scan_timer(uv_timer_t *timer)
{
    s_expire(timer->data);
}

/*  ---- life cycle ---- */

void router_store_prepare(gy_pg_t *writer, gy_pg_t *reader)
{
    gy_pg_prepare(writer, "cluster_candidate", s_sql_cluster_candidate);
    gy_pg_prepare(writer, "route_clue_packed", s_sql_route);
    gy_pg_prepare(writer, "tasks_due", s_sql_tasks_due);
    gy_pg_prepare(writer, "assessor_candidates", s_sql_assessors);
    gy_pg_prepare(writer, "hold_task_insert", s_sql_task_insert);
    router_assess_prepare(writer);
    gy_outbox_prepare("router", NULL, NULL, writer); /* gy_outbox_tx_append for the above */
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

router_store_t *router_store_start(gy_node_t *node, router_store_config_t *config)
{
    assert(config->rules && config->jurisdiction && config->deadlines);
    router_store_prepare(gy_node_writer(node), gy_node_reader(node));
    config->producer = gy_node_producer(node);
    config->writer = gy_node_writer(node);
    config->reader = gy_node_reader(node);
    config->outbox = gy_node_outbox(node);
    config->metrics = gy_node_metrics(node);
    return router_store_new(gy_node_loop(node), config);
}

static void s_scan_timer_close_cb(uv_handle_t *handle)
{
    router_store_t *self = handle->data;
    s_leaders_clear(self);
    free(self->producer);
    free(self);
}

void router_store_destroy(router_store_t **self_p)
{
    assert(self_p);
    router_store_t *self = *self_p;
    if (!self)
        return;
    self->stopping = true;
    uv_timer_stop(&self->scan_timer);
    uv_close((uv_handle_t *)&self->scan_timer, s_scan_timer_close_cb);
    *self_p = NULL;
}

/*  ---- settings ---- */

int router_store_settings_load(router_store_config_t *config)
{
    bool assessment;
    if (gy_config_switch("GY_ASSESSMENT", false, &assessment) < 0)
        return -1;
    int64_t assessors, due_s, max_distance, window_days, near_m, scan_ms;
    if (gy_config_int("GY_ASSESSORS", 3, 1, 9, &assessors) < 0 ||
        gy_config_int("GY_ASSESSMENT_DUE_S", INT64_C(72) * 3600, 1, INT64_C(90) * 86400, &due_s) <
            0)
        return -1;
    /*  The four 16-bit bands find every fingerprint within 3 bits
     *  (pigeonhole); more would need more bands. */
    if (gy_config_int("GY_DUP_MAX_DISTANCE", ROUTER_SIMHASH_MAX_DISTANCE, 0, 3, &max_distance) <
            0 ||
        gy_config_int("GY_DUP_WINDOW_DAYS", ROUTER_SIMHASH_WINDOW_DAYS, 0, 3650, &window_days) <
            0 ||
        gy_config_int("GY_DUP_NEAR_M", (int64_t)(ROUTER_NEAR_KM * 1000), 0, 100000, &near_m) < 0 ||
        gy_config_int("GY_DEADLINE_SCAN_MS", 1000, 0, 3600000, &scan_ms) < 0)
        return -1;
    config->assess_k = assessment ? (int)assessors : 0;
    config->assess_due_ms = due_s * 1000;
    config->max_distance = (int)max_distance;
    config->window_ms = window_days * 86400000;
    config->near_km = (double)near_m / 1000.0;
    config->scan_interval_ms = (uint64_t)scan_ms;
    return 0;
}
