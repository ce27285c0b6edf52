/*  gy_outbox — see gy_outbox.h. */
#include "gy_outbox.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_text.h"
#include "gy_util.h"

#define S_REPLAY_MAX   1000
#define S_CATCHUP_PAGE 1000
#define S_TICK_MS      1000
#define S_GATHER_MS    5 /* pending events gathered before the relay numbers them */
#define S_PRODUCER_MAX 64

/*  The statements name the service's schema, put into the text once when
 *  they are prepared (gy_pg_prepare_schema: STYLE rule 11's one
 *  exception).  Every value still travels as a parameter. */
static const char s_sql_outbox_after[] =
    "SELECT sequence, event_id, type, time_ms, trace_id, procuratorate, body"
    "  FROM %s.outbox WHERE producer = $1 AND sequence > $2::bigint"
    " ORDER BY sequence LIMIT $3::int";
static const char s_sql_producer_pos[] =
    "SELECT last_sequence, published FROM %s.producer WHERE producer = $1";
static const char s_sql_producers[] =
    "SELECT producer, last_sequence FROM %s.producer ORDER BY producer LIMIT 10000";
static const char s_sql_save_published[] = "UPDATE %s.producer SET published = $2::bigint"
                                           " WHERE producer = $1 AND published < $2::bigint";
static const char s_sql_append[] =
    "SELECT %s.outbox_append($1, $2::uuid, $3, $4::bigint, $5, $6, $7::bytea)";
static const char s_sql_sequence[] = "SELECT %s.outbox_sequence($1, $2::int)";

struct gy_outbox {
    uv_loop_t *loop;
    gy_outbox_config_t config;
    char *producer;
    bool relay_live;    /* publishing from memory */
    bool relay_busy;    /* a catch-up or position query is running */
    bool recheck;       /* look in the outbox again when the running query ends */
    bool saving;        /* a position save is running */
    uint64_t published; /* last sequence published */
    uint64_t saved;     /* last published sequence saved */
    uint64_t head;      /* last sequence known committed */
    uv_timer_t tick;    /* saves, heartbeats */
    uv_timer_t gather;  /* sequence_pending: a check waits S_GATHER_MS for others */
    bool gathering;
    int open_handles; /* the last close callback frees us */
};

void gy_outbox_prepare(const char *schema, gy_pg_t *relay, gy_pg_t *reader, gy_pg_t *writer)
{
    assert(gy_pg_schema_valid(schema));
    if (relay) {
        gy_pg_prepare_schema(relay, "gy_outbox_after", s_sql_outbox_after, schema);
        gy_pg_prepare_schema(relay, "gy_outbox_producer", s_sql_producer_pos, schema);
        gy_pg_prepare_schema(relay, "gy_outbox_save", s_sql_save_published, schema);
    }
    if (reader) {
        gy_pg_prepare_schema(reader, "gy_outbox_after", s_sql_outbox_after, schema);
        gy_pg_prepare_schema(reader, "gy_outbox_producer", s_sql_producer_pos, schema);
        gy_pg_prepare_schema(reader, "gy_outbox_producers", s_sql_producers, schema);
    }
    if (writer)
        gy_pg_prepare_schema(writer, "gy_outbox_append", s_sql_append, schema);
}

void gy_outbox_prepare_sequencer(const char *schema, gy_pg_t *relay)
{
    assert(gy_pg_schema_valid(schema) && relay);
    gy_pg_prepare_schema(relay, "gy_outbox_sequence", s_sql_sequence, schema);
}

/*  ---- envelopes ---- */

static size_t s_varint(uint64_t v, uint8_t *out)
{
    size_t n = 0;
    do {
        out[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            out[n] |= 0x80;
        n++;
    } while (v);
    return n;
}

void gy_envelope_pack(const Gongyi__V1__Envelope *header, uint32_t body_field, const uint8_t *body,
                      size_t body_len, uint8_t **out, size_t *len_p)
{
    assert(header->body_case == GONGYI__V1__ENVELOPE__BODY__NOT_SET);
    /*  A message field is a tag, a length and the bytes; appending it to
     *  the packed header is the encoding protobuf itself would produce. */
    size_t head = gongyi__v1__envelope__get_packed_size(header);
    uint8_t *buf = gy_malloc(head + 20 + body_len);
    gongyi__v1__envelope__pack(header, buf);
    size_t n = head;
    n += s_varint((uint64_t)body_field << 3 | 2, buf + n);
    n += s_varint(body_len, buf + n);
    memcpy(buf + n, body, body_len);
    *out = buf;
    *len_p = n + body_len;
}

uint32_t gy_envelope_body_field(const char *type)
{
    const ProtobufCMessageDescriptor *d = &gongyi__v1__envelope__descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        const ProtobufCMessageDescriptor *m = f->descriptor;
        if (strcmp(m->short_name, type) == 0)
            return f->id;
    }
    return 0;
}

int gy_outbox_pack(const char *producer, const gy_outbox_event_t *ev, uint8_t **out, size_t *len_p)
{
    uint32_t field = gy_envelope_body_field(ev->type);
    if (!field) {
        gy_log_error("outbox event %" PRIu64 " of %s has the unknown type \"%s\"", ev->sequence,
                     producer, ev->type);
        return -1;
    }
    Gongyi__V1__Envelope env = GONGYI__V1__ENVELOPE__INIT;
    env.id = (char *)ev->event_id;
    env.type = (char *)ev->type;
    env.producer = (char *)producer;
    env.sequence = ev->sequence;
    env.time_unix_ms = ev->time_ms;
    env.trace_id = (char *)ev->trace_id;
    env.procuratorate = (char *)ev->procuratorate;
    gy_envelope_pack(&env, field, ev->body, ev->body_len, out, len_p);
    return 0;
}

/*  An outbox row (the columns of gy_outbox_after) as an event; the body is
 *  decoded into a new buffer the caller frees. */
static void s_row_event(const gy_pg_result_t *res, int r, gy_outbox_event_t *ev, uint8_t **body_p)
{
    ev->sequence = strtoull(gy_pg_value(res, r, 0), NULL, 10);
    ev->event_id = gy_pg_value(res, r, 1);
    ev->type = gy_pg_value(res, r, 2);
    ev->time_ms = strtoll(gy_pg_value(res, r, 3), NULL, 10);
    ev->trace_id = gy_pg_value(res, r, 4);
    ev->procuratorate = gy_pg_value(res, r, 5);
    *body_p = gy_pg_bytea(res, r, 6, &ev->body_len);
    ev->body = *body_p;
}

static void s_publish(gy_outbox_t *self, const gy_outbox_event_t *ev)
{
    uint8_t *env;
    size_t env_len;
    /*  An event we cannot pack is still "published": stopping here would
     *  stall every later event of the producer behind it. */
    if (gy_outbox_pack(self->producer, ev, &env, &env_len) == 0) {
        gy_bus_frame_t frames[] = {{ev->type, strlen(ev->type)}, {env, env_len}};
        gy_bus_send(self->config.events, frames, 2);
        free(env);
    }
    self->published = ev->sequence;
    gy_metrics_count(self->config.metrics, "gy_events_published_total", "", 1);
}

static void s_heartbeat(gy_outbox_t *self)
{
    Gongyi__V1__Heartbeat hb = GONGYI__V1__HEARTBEAT__INIT;
    hb.head_sequence = self->head > self->published ? self->head : self->published;
    Gongyi__V1__Envelope env = GONGYI__V1__ENVELOPE__INIT;
    char id[37];
    gy_uuid(id);
    env.id = id;
    env.type = "Heartbeat";
    env.producer = self->producer;
    env.sequence = self->published;
    env.time_unix_ms = gy_now_ms();
    env.body_case = GONGYI__V1__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    uint8_t buf[256];
    size_t size = gongyi__v1__envelope__get_packed_size(&env);
    assert(size <= sizeof buf); /* the producer id is at most 64 bytes */
    gongyi__v1__envelope__pack(&env, buf);
    gy_bus_frame_t frames[] = {{"Heartbeat", 9}, {buf, size}};
    gy_bus_send(self->config.events, frames, 2);
    gy_metrics_count(self->config.metrics, "gy_heartbeats_published_total", "", 1);
}

/*  ---- relay ---- */

static void s_catch_up(gy_outbox_t *self);

typedef struct {
    gy_outbox_t *outbox;
    int rows;
    bool position_query;
    bool found;
    uint64_t last_sequence;
    uint64_t position;
} s_relay_query_t;

static void s_on_catchup_result(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_relay_query_t *q = arg;
    gy_outbox_t *self = q->outbox;
    if (q->position_query) {
        if (gy_pg_ntuples(res) == 1) {
            q->found = true;
            q->last_sequence = strtoull(gy_pg_value(res, 0, 0), NULL, 10);
            q->position = strtoull(gy_pg_value(res, 0, 1), NULL, 10);
        }
        return;
    }
    /*  Rows arrive in sequence order; publishing here, before the done
     *  callback, is safe because a SELECT commits nothing. */
    q->rows = gy_pg_ntuples(res);
    for (int r = 0; r < q->rows; r++) {
        gy_outbox_event_t ev;
        uint8_t *body;
        s_row_event(res, r, &ev, &body);
        if (ev.sequence != self->published + 1) {
            free(body);
            gy_log_error("outbox of %s has a gap after sequence %" PRIu64, self->producer,
                         self->published);
            q->rows = 0;
            return;
        }
        if (ev.sequence > self->head)
            self->head = ev.sequence;
        s_publish(self, &ev);
        free(body);
    }
}

static void s_on_catchup_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_relay_query_t *q = arg;
    gy_outbox_t *self = q->outbox;
    bool position_query = q->position_query;
    int rows = q->rows;
    uint64_t position = q->position;
    uint64_t last_sequence = q->last_sequence;
    free(q);
    self->relay_busy = false;
    if (status != GY_PG_OK)
        return; /* the relay connection's next "up" starts over */
    if (position_query) {
        self->published = self->saved = position;
        if (last_sequence > self->head)
            self->head = last_sequence;
        gy_log_info("relay: %s resumes after sequence %" PRIu64, self->producer, self->published);
        s_catch_up(self);
        return;
    }
    /*  An empty page with the head still ahead (a gap in the outbox, or a
     *  commit our snapshot missed) is not retried at once, or the relay
     *  would spin; the tick looks again within a second. */
    if (rows == S_CATCHUP_PAGE || (rows > 0 && self->head > self->published)) {
        self->recheck = false;
        s_catch_up(self);
        return;
    }
    self->relay_live = true;
    if (self->recheck) { /* a commit came meanwhile */
        self->recheck = false;
        gy_outbox_check(self);
    }
}

static void s_on_sequenced(void *arg, size_t index, const gy_pg_result_t *res)
{
    gy_outbox_t *self = arg;
    (void)index;
    uint64_t last = gy_outbox_sequence(res);
    if (last > self->head)
        self->head = last;
}

/*  Nothing to do: the read queued behind it runs either way and publishes
 *  what is numbered by then. */
static void s_on_sequence_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    (void)arg;
    (void)status;
    (void)sqlstate;
}

/*  Numbers a page of the pending events (config.sequence_pending) in its
 *  own transaction, queued on the relay connection ahead of the read that
 *  publishes them: the read starts after that commit, so nothing is
 *  published that a failed commit could number again. */
static void s_sequence(gy_outbox_t *self, const char *limit)
{
    const char *params[] = {self->producer, limit};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "gy_outbox_sequence", 2, params, NULL);
    (void)gy_pg_run(self->config.relay, &tx, s_on_sequenced, s_on_sequence_done, self);
}

static void s_catch_up(gy_outbox_t *self)
{
    if (self->relay_busy || !gy_pg_up(self->config.relay))
        return;
    self->relay_live = false;
    char after[24], limit[16];
    snprintf(after, sizeof after, "%" PRIu64, self->published);
    snprintf(limit, sizeof limit, "%d", S_CATCHUP_PAGE);
    if (self->config.sequence_pending)
        s_sequence(self, limit);
    const char *params[] = {self->producer, after, limit};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "gy_outbox_after", 3, params, NULL);
    s_relay_query_t *q = gy_calloc(1, sizeof *q);
    q->outbox = self;
    if (gy_pg_run(self->config.relay, &tx, s_on_catchup_result, s_on_catchup_done, q) < 0) {
        free(q);
        return;
    }
    self->relay_busy = true;
}

void gy_outbox_relay_up(gy_outbox_t *self)
{
    if (self->relay_busy)
        return;
    self->relay_live = false;
    const char *params[] = {self->producer};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "gy_outbox_producer", 1, params, NULL);
    s_relay_query_t *q = gy_calloc(1, sizeof *q);
    q->outbox = self;
    q->position_query = true;
    if (gy_pg_run(self->config.relay, &tx, s_on_catchup_result, s_on_catchup_done, q) < 0) {
        free(q);
        return;
    }
    self->relay_busy = true;
}

void gy_outbox_committed(gy_outbox_t *self, const gy_outbox_event_t *ev)
{
    if (self->config.sequence_pending) {
        gy_outbox_check(self); /* its number is given by the relay, not known here */
        return;
    }
    if (ev->sequence > self->head)
        self->head = ev->sequence;
    if (self->relay_live && ev->sequence == self->published + 1) {
        s_publish(self, ev);
        return;
    }
    if (self->relay_live && self->head > self->published) {
        /* a gap: another writer of this producer id, or a lost hand-off */
        gy_log_warning("relay: %s at %" PRIu64 " but committed %" PRIu64 "; reading the outbox",
                       self->producer, self->published, self->head);
        s_catch_up(self);
    }
}

static void s_on_gather(uv_timer_t *timer)
{
    gy_outbox_t *self = timer->data;
    self->gathering = false;
    if (self->relay_busy)
        self->recheck = true;
    else if (self->relay_live)
        s_catch_up(self);
}

void gy_outbox_check(gy_outbox_t *self)
{
    if (self->gathering)
        return;
    if (self->relay_busy) {
        self->recheck = true;
        return;
    }
    /*  Numbering is a transaction of its own: while writers commit events
     *  one after another, one numbering for a few milliseconds' worth
     *  costs the database far less than one for each. */
    if (self->relay_live && self->config.sequence_pending) {
        self->gathering = true;
        uv_timer_start(&self->gather, s_on_gather, S_GATHER_MS, 0);
        return;
    }
    if (self->relay_live)
        s_catch_up(self);
    /*  Not live and not busy: the relay connection is down, and its next
     *  "up" reads the outbox anyway. */
}

uint64_t gy_outbox_lag(const gy_outbox_t *self)
{
    return self->head > self->published ? self->head - self->published : 0;
}

static void s_on_saved(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    gy_outbox_t *self = arg;
    self->saving = false;
}

static void s_on_tick(uv_timer_t *timer)
{
    gy_outbox_t *self = timer->data;
    gy_metrics_set(self->config.metrics, "gy_outbox_lag", "", (double)gy_outbox_lag(self));
    s_heartbeat(self);
    /*  With pending events (config.sequence_pending) the relay also looks
     *  once a second: an event a writer committed without calling
     *  gy_outbox_check waits at most that long to be numbered. */
    if (self->relay_live && (self->head > self->published || self->config.sequence_pending))
        s_catch_up(self);
    if (self->saving || self->published <= self->saved || !gy_pg_up(self->config.relay))
        return;
    char pos[24];
    snprintf(pos, sizeof pos, "%" PRIu64, self->published);
    const char *params[] = {self->producer, pos};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "gy_outbox_save", 2, params, NULL);
    if (gy_pg_run(self->config.relay, &tx, NULL, s_on_saved, self) == 0) {
        self->saving = true;
        self->saved = self->published;
    }
}

/*  ---- writer helpers ---- */

void gy_outbox_tx_append(gy_pg_tx_t *tx, const char *producer, const gy_outbox_event_t *ev)
{
    char time_ms[24];
    snprintf(time_ms, sizeof time_ms, "%" PRId64, ev->time_ms);
    const char *values[7] = {
        producer,          ev->event_id,          ev->type, time_ms, ev->trace_id,
        ev->procuratorate, (const char *)ev->body};
    int lengths[7] = {0};
    /*  An empty body is a valid message; bytea "" is sent as text. */
    lengths[6] = (int)ev->body_len;
    if (ev->body_len == 0)
        values[6] = "";
    gy_pg_tx_add(tx, "gy_outbox_append", 7, values, lengths);
}

void gy_outbox_tx_append_msg(gy_pg_tx_t *tx, const char *producer, const ProtobufCMessage *msg,
                             const char *trace_id, const char *procuratorate)
{
    assert(tx && producer && msg && trace_id && procuratorate);
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *body = gy_malloc(len ? len : 1);
    protobuf_c_message_pack(msg, body);
    char id[37];
    gy_uuid(id);
    /*  The Envelope's oneof member has the message's own name. */
    gy_outbox_event_t ev = {.event_id = id,
                            .type = msg->descriptor->short_name,
                            .time_ms = gy_now_ms(),
                            .trace_id = trace_id,
                            .procuratorate = procuratorate,
                            .body = body,
                            .body_len = len};
    assert(gy_envelope_body_field(ev.type) != 0);
    gy_outbox_tx_append(tx, producer, &ev);
    free(body);
}

uint64_t gy_outbox_sequence(const gy_pg_result_t *res)
{
    if (gy_pg_ntuples(res) != 1 || gy_pg_isnull(res, 0, 0))
        return 0;
    return strtoull(gy_pg_value(res, 0, 0), NULL, 10);
}

/*  ---- replay ---- */

typedef struct {
    gy_outbox_t *outbox;
    gy_bus_socket_t *socket;
    gy_bus_msg_t *request;
    char request_id[64];
    char producer[S_PRODUCER_MAX + 1]; /* checked: empty or a valid producer id */
    uint32_t limit;
    uint64_t head;
    uint64_t first;
    uint64_t last;
    gy_bus_frame_t *frames; /* [0] is the response, events follow */
    size_t nframes;
    bool listing; /* producer "": the list of producers is asked */
    Gongyi__V1__ProducerHead *heads;
    Gongyi__V1__ProducerHead **head_ptrs;
    size_t nheads;
} s_replay_t;

static void s_replay_reply(s_replay_t *r, const char *error_code)
{
    Gongyi__V1__ReplayResponse resp = GONGYI__V1__REPLAY_RESPONSE__INIT;
    resp.request_id = r->request_id;
    resp.producer = r->producer;
    resp.error_code = (char *)error_code;
    resp.head_sequence = r->head;
    size_t events = r->nframes ? r->nframes - 1 : 0;
    if (events) {
        resp.first_sequence = r->first;
        resp.last_sequence = r->last;
    }
    resp.more = events == r->limit && resp.last_sequence < r->head;
    resp.n_producers = r->nheads;
    resp.producers = r->head_ptrs;
    Gongyi__V1__Envelope env = GONGYI__V1__ENVELOPE__INIT;
    char id[37];
    gy_uuid(id);
    env.id = id;
    env.type = "ReplayResponse";
    env.producer = r->outbox->producer;
    env.time_unix_ms = gy_now_ms();
    env.body_case = GONGYI__V1__ENVELOPE__BODY_REPLAY_RESPONSE;
    env.replay_response = &resp;
    size_t size = gongyi__v1__envelope__get_packed_size(&env);
    uint8_t *packed = gy_malloc(size);
    gongyi__v1__envelope__pack(&env, packed);
    if (!r->frames) {
        r->frames = gy_calloc(1, sizeof *r->frames);
        r->nframes = 1;
    }
    r->frames[0].data = packed;
    r->frames[0].len = size;
    gy_bus_reply(r->socket, r->request, r->frames, r->nframes);
    for (size_t i = 0; i < r->nframes; i++)
        free((void *)r->frames[i].data);
    free(r->frames);
    for (size_t i = 0; i < r->nheads; i++)
        free(r->heads[i].producer);
    free(r->heads);
    free(r->head_ptrs);
    gy_bus_msg_destroy(&r->request);
    free(r);
}

static void s_on_replay_result(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_replay_t *r = arg;
    if (r->listing) {
        int rows = gy_pg_ntuples(res);
        r->heads = gy_calloc(rows > 0 ? (size_t)rows : 1, sizeof *r->heads);
        r->head_ptrs = gy_calloc(rows > 0 ? (size_t)rows : 1, sizeof *r->head_ptrs);
        for (int i = 0; i < rows; i++) {
            Gongyi__V1__ProducerHead *h = &r->heads[r->nheads];
            gongyi__v1__producer_head__init(h);
            h->producer = gy_strdup(gy_pg_value(res, i, 0));
            h->head_sequence = strtoull(gy_pg_value(res, i, 1), NULL, 10);
            r->head_ptrs[r->nheads++] = h;
        }
        return;
    }
    if (index == 0) {
        r->head = gy_pg_ntuples(res) == 1 ? strtoull(gy_pg_value(res, 0, 0), NULL, 10) : 0;
        return;
    }
    int rows = gy_pg_ntuples(res);
    r->frames = gy_calloc((size_t)rows + 1, sizeof *r->frames);
    r->nframes = 1;
    for (int i = 0; i < rows; i++) {
        gy_outbox_event_t ev;
        uint8_t *body;
        s_row_event(res, i, &ev, &body);
        uint8_t *env;
        size_t env_len;
        int rc = gy_outbox_pack(r->producer, &ev, &env, &env_len);
        free(body);
        if (rc < 0)
            break; /* the pages stop before what cannot be sent */
        if (r->nframes == 1)
            r->first = ev.sequence;
        r->last = ev.sequence;
        r->frames[r->nframes].data = env;
        r->frames[r->nframes].len = env_len;
        r->nframes++;
    }
}

static void s_on_replay_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_replay_t *r = arg;
    if (status != GY_PG_OK) {
        for (size_t i = 1; i < r->nframes; i++)
            free((void *)r->frames[i].data);
        free(r->frames);
        r->frames = NULL;
        r->nframes = 0;
        for (size_t i = 0; i < r->nheads; i++)
            free(r->heads[i].producer);
        r->nheads = 0;
    }
    s_replay_reply(r, status == GY_PG_OK ? "" : "unavailable");
}

/*  Whether a ReplayRequest can be answered from the outbox.  What cannot
 *  is malformed, never a database error: sequences are bigint (below
 *  2^63), and producer ids are printable ASCII of at most 64 bytes (what
 *  every consumer accepts), so anything else names no producer. */
static bool s_replay_request_valid(const Gongyi__V1__ReplayRequest *rr)
{
    if (rr->after_sequence > (uint64_t)INT64_MAX)
        return false;
    return !rr->producer || !*rr->producer || gy_text_id_valid(rr->producer, S_PRODUCER_MAX);
}

void gy_outbox_replay(gy_outbox_t *self, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    s_replay_t *r = gy_calloc(1, sizeof *r);
    r->outbox = self;
    r->socket = socket;
    r->request = msg;
    size_t len;
    const void *payload = gy_bus_msg_payload(msg, &len);
    Gongyi__V1__Envelope *env = gongyi__v1__envelope__unpack(NULL, len, payload);
    /*  The request id is echoed only when it is valid text: the answer must
     *  parse in every protobuf client. */
    if (env && gy_text_id_valid(env->id, sizeof r->request_id - 1))
        snprintf(r->request_id, sizeof r->request_id, "%s", env->id);
    if (!env || env->body_case != GONGYI__V1__ENVELOPE__BODY_REPLAY_REQUEST ||
        !s_replay_request_valid(env->replay_request)) {
        gongyi__v1__envelope__free_unpacked(env, NULL);
        s_replay_reply(r, "malformed_message");
        return;
    }
    if (!env->replay_request->producer || !*env->replay_request->producer) {
        /*  Which producers are there: a consumer that was away learns of
         *  producers that will never speak again (a replica gone for good)
         *  and still gets their events. */
        gongyi__v1__envelope__free_unpacked(env, NULL);
        r->listing = true;
        gy_pg_tx_t *tx = gy_pg_tx_new();
        gy_pg_tx_add(tx, "gy_outbox_producers", 0, NULL, NULL);
        if (gy_pg_run(self->config.reader, &tx, s_on_replay_result, s_on_replay_done, r) < 0)
            s_replay_reply(r, "unavailable");
        return;
    }
    snprintf(r->producer, sizeof r->producer, "%s", env->replay_request->producer); /* fits */
    uint64_t after = env->replay_request->after_sequence;
    uint32_t limit = env->replay_request->limit;
    gongyi__v1__envelope__free_unpacked(env, NULL);
    r->limit = limit == 0 || limit > S_REPLAY_MAX ? S_REPLAY_MAX : limit;
    char after_s[24], limit_s[16];
    snprintf(after_s, sizeof after_s, "%" PRIu64, after);
    snprintf(limit_s, sizeof limit_s, "%u", r->limit);
    const char *head_params[] = {r->producer};
    const char *params[] = {r->producer, after_s, limit_s};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "gy_outbox_producer", 1, head_params, NULL);
    gy_pg_tx_add(tx, "gy_outbox_after", 3, params, NULL);
    if (gy_pg_run(self->config.reader, &tx, s_on_replay_result, s_on_replay_done, r) < 0)
        s_replay_reply(r, "unavailable");
}

/*  ---- life cycle ---- */

gy_outbox_t *gy_outbox_new(uv_loop_t *loop, const gy_outbox_config_t *config)
{
    assert(gy_pg_schema_valid(config->schema));
    gy_outbox_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    self->config = *config;
    self->config.schema = NULL; /* only needed at prepare time */
    self->producer = gy_strdup(config->producer);
    gy_metrics_describe(config->metrics, "gy_events_published_total", "counter",
                        "Events published on the bus, re-publications included.");
    gy_metrics_describe(config->metrics, "gy_heartbeats_published_total", "counter",
                        "Heartbeats published on the bus (one a second).");
    gy_metrics_describe(config->metrics, "gy_outbox_lag", "gauge",
                        "Committed events not yet published.");
    uv_timer_init(loop, &self->tick);
    self->tick.data = self;
    uv_timer_start(&self->tick, s_on_tick, S_TICK_MS, S_TICK_MS);
    uv_timer_init(loop, &self->gather);
    self->gather.data = self;
    self->open_handles = 2;
    return self;
}

static void s_close_cb(uv_handle_t *handle)
{
    gy_outbox_t *self = handle->data;
    if (--self->open_handles > 0)
        return;
    free(self->producer);
    free(self);
}

void gy_outbox_destroy(gy_outbox_t **self_p)
{
    assert(self_p);
    gy_outbox_t *self = *self_p;
    if (!self)
        return;
    uv_timer_stop(&self->tick);
    uv_timer_stop(&self->gather);
    uv_close((uv_handle_t *)&self->tick, s_close_cb);
    uv_close((uv_handle_t *)&self->gather, s_close_cb);
    *self_p = NULL;
}
