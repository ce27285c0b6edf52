/*  intake_store — see intake_store.h. */
#include "intake_store.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"

/*  More clues per transaction amortise the commit; past a few hundred the
 *  transaction itself gets long enough to hurt latency. */
#define S_MAX_BATCH 256
#define S_REPLAY_MAX 1000
#define S_CATCHUP_PAGE 1000
#define S_SAVE_INTERVAL_MS 1000

static const char s_sql_submit[] =
    "SELECT id, receipt_code, status, created, same_body, sequence FROM intake.submit_clue("
    "$1::uuid, $2, $3, $4, $5, $6, $7::float8, $8::float8, $9,"
    " CASE WHEN $10::bigint IS NULL THEN NULL ELSE to_timestamp($10::bigint / 1000.0) END,"
    " $11::jsonb, $12, $13::bytea, $14, $15, $16::bytea, $17, $18::uuid, $19, $20::bigint,"
    " $21::bytea)";
static const char s_sql_outbox_after[] =
    "SELECT sequence, event_id, type, time_ms, trace_id, procuratorate, body"
    "  FROM intake.outbox WHERE producer = $1 AND sequence > $2::bigint"
    " ORDER BY sequence LIMIT $3::int";
static const char s_sql_producer_pos[] =
    "SELECT last_sequence, published FROM intake.producer WHERE producer = $1";
static const char s_sql_save_published[] =
    "UPDATE intake.producer SET published = $2::bigint"
    " WHERE producer = $1 AND published < $2::bigint";

/*  One submission on its way to the database. */
typedef struct s_item {
    struct s_item *next;
    intake_clue_t clue;
    char id[37];
    char receipt[GY_RECEIPT_LEN + 1];
    char event_id[37];
    char trace[37];
    int64_t time_ms;
    uint8_t *event; /* packed ClueReceived */
    size_t event_len;
    uint8_t *sealed; /* reporter identity, sealed */
    size_t sealed_len;
    intake_store_cb *cb;
    void *arg;
    /* filled from the function's row */
    bool have_row;
    intake_result_t result;
    bool created;
    bool same_body;
    uint64_t sequence;
} s_item_t;

/*  A committed event waiting for the relay. */
typedef struct s_event {
    struct s_event *next;
    uint64_t sequence;
    char event_id[37];
    char trace[37];
    char procuratorate[7];
    int64_t time_ms;
    uint8_t *body;
    size_t len;
} s_event_t;

typedef struct intake_store intake_store_t;

/*  The clues of one transaction, in statement order. */
typedef struct {
    intake_store_t *store;
    s_item_t **items;
    size_t count;
} s_batch_t;

struct intake_store {
    uv_loop_t *loop;
    intake_store_config_t config;
    char *producer;
    s_item_t *queue_head;       /* waiting for the next transaction */
    s_item_t *queue_tail;
    size_t queued;
    s_batch_t *in_flight;       /* the transaction being committed */
    size_t singles;             /* after a failed batch: send this many alone */
    /* relay */
    bool relay_live;            /* publishing from memory */
    bool relay_busy;            /* a catch-up or position query is running */
    bool saving;                /* a position save is running */
    uint64_t published;         /* last sequence published */
    uint64_t saved;             /* last published sequence saved */
    uint64_t head;              /* last sequence known committed */
    uv_timer_t save_timer;      /* its close callback frees the store */
};

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

void intake_envelope_pack(const Gongyi__V1__Envelope *header, uint32_t body_field,
                          const uint8_t *body, size_t body_len, uint8_t **out, size_t *len_p)
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

static void s_event_envelope(const char *producer, const char *type, uint64_t sequence,
                             const char *event_id, int64_t time_ms, const char *trace,
                             const char *procuratorate, const uint8_t *body, size_t len,
                             uint8_t **out, size_t *len_p)
{
    Gongyi__V1__Envelope env = GONGYI__V1__ENVELOPE__INIT;
    env.id = (char *)event_id;
    env.type = (char *)type;
    env.producer = (char *)producer;
    env.sequence = sequence;
    env.time_unix_ms = time_ms;
    env.trace_id = (char *)trace;
    env.procuratorate = (char *)procuratorate;
    intake_envelope_pack(&env, GONGYI__V1__ENVELOPE__BODY_CLUE_RECEIVED, body, len, out, len_p);
}

static void s_publish(intake_store_t *self, const char *type, uint64_t sequence,
                      const char *event_id, int64_t time_ms, const char *trace,
                      const char *procuratorate, const uint8_t *body, size_t len)
{
    uint8_t *env;
    size_t env_len;
    s_event_envelope(self->producer, type, sequence, event_id, time_ms, trace, procuratorate, body,
                     len, &env, &env_len);
    gy_bus_frame_t frames[] = {{type, strlen(type)}, {env, env_len}};
    gy_bus_send(self->config.events, frames, 2);
    free(env);
    self->published = sequence;
    gy_metrics_count(self->config.metrics, "gy_events_published_total", "", 1);
}

/*  ---- relay ---- */

static void s_catch_up(intake_store_t *self);

typedef struct {
    intake_store_t *store;
    uint64_t last;
    int rows;
    bool position_query;
    uint64_t position;
} s_relay_query_t;

static void s_on_catchup_result(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_relay_query_t *q = arg;
    intake_store_t *self = q->store;
    if (q->position_query) {
        if (gy_pg_ntuples(res) == 1)
            q->position = strtoull(gy_pg_value(res, 0, 1), NULL, 10);
        return;
    }
    /*  Rows arrive in sequence order; publishing here, before the done
     *  callback, is safe because a SELECT commits nothing. */
    q->rows = gy_pg_ntuples(res);
    for (int r = 0; r < q->rows; r++) {
        uint64_t seq = strtoull(gy_pg_value(res, r, 0), NULL, 10);
        if (seq != self->published + 1) {
            gy_log_error("outbox of %s has a gap after sequence %" PRIu64, self->producer,
                         self->published);
            q->rows = 0;
            return;
        }
        size_t len;
        uint8_t *body = gy_pg_bytea(res, r, 6, &len);
        s_publish(self, gy_pg_value(res, r, 2), seq, gy_pg_value(res, r, 1),
                  strtoll(gy_pg_value(res, r, 3), NULL, 10), gy_pg_value(res, r, 4),
                  gy_pg_value(res, r, 5), body, len);
        free(body);
        q->last = seq;
    }
}

static void s_on_catchup_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_relay_query_t *q = arg;
    intake_store_t *self = q->store;
    bool position_query = q->position_query;
    int rows = q->rows;
    uint64_t position = q->position;
    free(q);
    self->relay_busy = false;
    if (status != GY_PG_OK)
        return; /* the relay connection's next "up" starts over */
    if (position_query) {
        self->published = self->saved = position;
        gy_log_info("relay: %s resumes after sequence %" PRIu64, self->producer, position);
        s_catch_up(self);
        return;
    }
    if (rows == S_CATCHUP_PAGE || self->head > self->published) {
        s_catch_up(self);
        return;
    }
    self->relay_live = true;
}

static void s_catch_up(intake_store_t *self)
{
    if (self->relay_busy || !gy_pg_up(self->config.relay))
        return;
    self->relay_live = false;
    char after[24], limit[16];
    snprintf(after, sizeof after, "%" PRIu64, self->published);
    snprintf(limit, sizeof limit, "%d", S_CATCHUP_PAGE);
    const char *params[] = {self->producer, after, limit};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "outbox_after", 3, params, NULL);
    s_relay_query_t *q = gy_calloc(1, sizeof *q);
    q->store = self;
    if (gy_pg_run(self->config.relay, &tx, s_on_catchup_result, s_on_catchup_done, q) < 0) {
        free(q);
        return;
    }
    self->relay_busy = true;
}

void intake_store_relay_up(intake_store_t *self)
{
    if (self->relay_busy)
        return;
    self->relay_live = false;
    const char *params[] = {self->producer};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "producer_pos", 1, params, NULL);
    s_relay_query_t *q = gy_calloc(1, sizeof *q);
    q->store = self;
    q->position_query = true;
    if (gy_pg_run(self->config.relay, &tx, s_on_catchup_result, s_on_catchup_done, q) < 0) {
        free(q);
        return;
    }
    self->relay_busy = true;
}

static void s_on_saved(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    intake_store_t *self = arg;
    self->saving = false;
}

static void s_on_save_timer(uv_timer_t *timer)
{
    intake_store_t *self = timer->data;
    gy_metrics_set(self->config.metrics, "gy_outbox_lag", "", (double)intake_store_lag(self));
    if (self->saving || self->published <= self->saved || !gy_pg_up(self->config.relay))
        return;
    char pos[24];
    snprintf(pos, sizeof pos, "%" PRIu64, self->published);
    const char *params[] = {self->producer, pos};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "save_published", 2, params, NULL);
    if (gy_pg_run(self->config.relay, &tx, NULL, s_on_saved, self) == 0) {
        self->saving = true;
        self->saved = self->published;
    }
}

uint64_t intake_store_lag(const intake_store_t *self)
{
    return self->head > self->published ? self->head - self->published : 0;
}

/*  ---- writer ---- */

static void s_flush(intake_store_t *self);

static void s_item_free(s_item_t *item)
{
    intake_clue_clear(&item->clue);
    free(item->event);
    free(item->sealed);
    free(item);
}

static void s_answer(s_item_t *item, intake_outcome_t outcome)
{
    item->result.outcome = outcome;
    item->cb(item->arg, &item->result);
}

static void s_on_submit_result(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_batch_t *batch = arg;
    assert(index < batch->count);
    s_item_t *item = batch->items[index];
    if (gy_pg_ntuples(res) != 1)
        return;
    item->have_row = true;
    snprintf(item->result.id, sizeof item->result.id, "%s", gy_pg_value(res, 0, 0));
    snprintf(item->result.receipt_code, sizeof item->result.receipt_code, "%s",
             gy_pg_value(res, 0, 1));
    snprintf(item->result.status, sizeof item->result.status, "%s", gy_pg_value(res, 0, 2));
    item->created = gy_pg_value(res, 0, 3)[0] == 't';
    item->same_body = gy_pg_value(res, 0, 4)[0] == 't';
    item->sequence = strtoull(gy_pg_value(res, 0, 5), NULL, 10);
}

/*  The transaction committed: hand its events to the relay in order. */
static void s_relay_committed(intake_store_t *self, s_batch_t *batch)
{
    for (size_t i = 0; i < batch->count; i++) {
        s_item_t *item = batch->items[i];
        if (!item->created)
            continue;
        if (item->sequence > self->head)
            self->head = item->sequence;
        if (self->relay_live && item->sequence == self->published + 1)
            s_publish(self, "ClueReceived", item->sequence, item->event_id, item->time_ms,
                      item->trace, item->clue.region_code, item->event, item->event_len);
    }
    if (self->head > self->published && self->relay_live) {
        /* a gap: another writer of this producer id, or a lost hand-off */
        gy_log_warning("relay: %s at %" PRIu64 " but committed %" PRIu64 "; reading the outbox",
                       self->producer, self->published, self->head);
        s_catch_up(self);
    }
}

static void s_on_submit_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_batch_t *batch = arg;
    intake_store_t *store = batch->store;
    store->in_flight = NULL;
    if (status == GY_PG_OK) {
        s_relay_committed(store, batch);
        gy_metrics_count(store->config.metrics, "gy_commit_batches_total", "", 1);
    } else if (status == GY_PG_ERROR && batch->count > 1) {
        /*  One clue the database refused must not sink the others: retry
         *  each in a transaction of its own, ahead of newer submissions. */
        gy_log_warning("a batch of %zu clues failed (SQLSTATE %s); retrying one by one",
                       batch->count, sqlstate);
        for (size_t i = batch->count; i-- > 0;) {
            s_item_t *item = batch->items[i];
            item->next = store->queue_head;
            item->have_row = false;
            store->queue_head = item;
            if (!store->queue_tail)
                store->queue_tail = item;
            store->queued++;
        }
        store->singles = batch->count;
        free(batch->items);
        free(batch);
        s_flush(store);
        return;
    }
    uint64_t committed = 0;
    for (size_t i = 0; i < batch->count; i++) {
        s_item_t *item = batch->items[i];
        if (status != GY_PG_OK || !item->have_row) {
            s_answer(item, INTAKE_UNAVAILABLE);
        } else if (item->created) {
            committed++;
            s_answer(item, INTAKE_STORED);
        } else {
            s_answer(item, item->same_body ? INTAKE_DUPLICATE : INTAKE_CONFLICT);
        }
        s_item_free(item);
    }
    if (committed)
        gy_metrics_count(store->config.metrics, "gy_clues_committed_total", "", committed);
    free(batch->items);
    free(batch);
    s_flush(store);
}

static void s_add_submit(gy_pg_tx_t *tx, intake_store_t *self, s_item_t *item)
{
    const intake_clue_t *c = &item->clue;
    char lat[32], lon[32], occurred[24], time_ms[24];
    snprintf(lat, sizeof lat, "%.17g", c->lat);
    snprintf(lon, sizeof lon, "%.17g", c->lon);
    snprintf(occurred, sizeof occurred, "%" PRId64, c->occurred_ms);
    snprintf(time_ms, sizeof time_ms, "%" PRId64, item->time_ms);
    char *attachments = intake_clue_attachments_json(c);
    const char *values[21] = {
        item->id,
        item->receipt,
        c->title,
        c->description,
        c->field_code,
        c->region_code,
        c->has_coordinates ? lat : NULL,
        c->has_coordinates ? lon : NULL,
        c->address,
        c->occurred_ms ? occurred : NULL,
        attachments,
        c->source_channel,
        (const char *)item->sealed,
        c->reporter_subject,
        c->idempotency_key,
        (const char *)c->body_hash,
        self->producer,
        item->event_id,
        item->trace,
        time_ms,
        (const char *)item->event,
    };
    int lengths[21] = {0};
    lengths[12] = item->sealed ? (int)item->sealed_len : 0;
    lengths[15] = 32;
    lengths[20] = (int)item->event_len;
    gy_pg_tx_add(tx, "submit", 21, values, lengths);
    free(attachments);
}

/*  Sends everything queued as one transaction, unless one is in flight:
 *  then the queue waits and goes in the next. */
static void s_flush(intake_store_t *self)
{
    if (self->in_flight || !self->queue_head)
        return;
    size_t n = self->queued < S_MAX_BATCH ? self->queued : S_MAX_BATCH;
    if (self->singles) {
        self->singles--;
        n = 1;
    }
    s_batch_t *batch = gy_calloc(1, sizeof *batch);
    batch->store = self;
    batch->items = gy_calloc(n, sizeof *batch->items);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    for (size_t i = 0; i < n; i++) {
        s_item_t *item = self->queue_head;
        self->queue_head = item->next;
        item->next = NULL;
        self->queued--;
        batch->items[batch->count++] = item;
        s_add_submit(tx, self, item);
    }
    if (!self->queue_head)
        self->queue_tail = NULL;
    self->in_flight = batch;
    if (gy_pg_run(self->config.writer, &tx, s_on_submit_result, s_on_submit_done, batch) < 0) {
        self->in_flight = NULL;
        for (size_t i = 0; i < batch->count; i++) {
            s_answer(batch->items[i], INTAKE_UNAVAILABLE);
            s_item_free(batch->items[i]);
        }
        free(batch->items);
        free(batch);
        /*  Whatever else is queued cannot go either. */
        while (self->queue_head) {
            s_item_t *item = self->queue_head;
            self->queue_head = item->next;
            self->queued--;
            s_answer(item, INTAKE_UNAVAILABLE);
            s_item_free(item);
        }
        self->queue_tail = NULL;
    }
}

void intake_store_submit(intake_store_t *self, intake_clue_t *clue, const char *trace_id,
                         intake_store_cb *cb, void *arg)
{
    s_item_t *item = gy_calloc(1, sizeof *item);
    item->clue = *clue;
    memset(clue, 0, sizeof *clue);
    item->cb = cb;
    item->arg = arg;
    if (!gy_pg_up(self->config.writer)) {
        s_answer(item, INTAKE_UNAVAILABLE);
        s_item_free(item);
        return;
    }
    gy_uuid(item->id);
    gy_uuid(item->event_id);
    gy_receipt_code(item->receipt);
    if (trace_id && *trace_id)
        snprintf(item->trace, sizeof item->trace, "%s", trace_id);
    else
        gy_uuid(item->trace);
    item->time_ms = gy_now_ms();
    intake_clue_event(&item->clue, item->id, item->time_ms, &item->event, &item->event_len);
    if (item->clue.reporter_json) {
        size_t len = strlen(item->clue.reporter_json);
        item->sealed_len = len + GY_SEAL_OVERHEAD;
        item->sealed = gy_malloc(item->sealed_len);
        gy_seal(self->config.seal_key, item->clue.reporter_json, len, item->sealed);
    }
    if (self->queue_tail)
        self->queue_tail->next = item;
    else
        self->queue_head = item;
    self->queue_tail = item;
    self->queued++;
    s_flush(self);
}

/*  ---- replay ---- */

typedef struct {
    intake_store_t *store;
    gy_bus_socket_t *socket;
    gy_bus_msg_t *request;
    char request_id[64];
    char producer[128];
    uint32_t limit;
    uint64_t head;
    gy_bus_frame_t *frames; /* [0] is the response, events follow */
    size_t nframes;
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
        Gongyi__V1__Envelope *first =
            gongyi__v1__envelope__unpack(NULL, r->frames[1].len, r->frames[1].data);
        Gongyi__V1__Envelope *last =
            gongyi__v1__envelope__unpack(NULL, r->frames[events].len, r->frames[events].data);
        resp.first_sequence = first ? first->sequence : 0;
        resp.last_sequence = last ? last->sequence : 0;
        gongyi__v1__envelope__free_unpacked(first, NULL);
        gongyi__v1__envelope__free_unpacked(last, NULL);
    }
    resp.more = events == r->limit && resp.last_sequence < r->head;
    Gongyi__V1__Envelope env = GONGYI__V1__ENVELOPE__INIT;
    char id[37];
    gy_uuid(id);
    env.id = id;
    env.type = "ReplayResponse";
    env.producer = r->store->producer;
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
    gy_bus_msg_destroy(&r->request);
    free(r);
}

static void s_on_replay_result(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_replay_t *r = arg;
    if (index == 0) {
        r->head = gy_pg_ntuples(res) == 1 ? strtoull(gy_pg_value(res, 0, 0), NULL, 10) : 0;
        return;
    }
    int rows = gy_pg_ntuples(res);
    r->frames = gy_calloc((size_t)rows + 1, sizeof *r->frames);
    r->nframes = 1;
    for (int i = 0; i < rows; i++) {
        size_t len;
        uint8_t *body = gy_pg_bytea(res, i, 6, &len);
        uint8_t *env;
        size_t env_len;
        s_event_envelope(r->producer, gy_pg_value(res, i, 2),
                         strtoull(gy_pg_value(res, i, 0), NULL, 10), gy_pg_value(res, i, 1),
                         strtoll(gy_pg_value(res, i, 3), NULL, 10), gy_pg_value(res, i, 4),
                         gy_pg_value(res, i, 5), body, len, &env, &env_len);
        free(body);
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
    }
    s_replay_reply(r, status == GY_PG_OK ? "" : "unavailable");
}

void intake_store_replay(intake_store_t *self, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    s_replay_t *r = gy_calloc(1, sizeof *r);
    r->store = self;
    r->socket = socket;
    r->request = msg;
    size_t len;
    const void *payload = gy_bus_msg_payload(msg, &len);
    Gongyi__V1__Envelope *env = gongyi__v1__envelope__unpack(NULL, len, payload);
    if (!env || env->body_case != GONGYI__V1__ENVELOPE__BODY_REPLAY_REQUEST ||
        !env->replay_request->producer || !*env->replay_request->producer) {
        if (env)
            snprintf(r->request_id, sizeof r->request_id, "%s", env->id);
        gongyi__v1__envelope__free_unpacked(env, NULL);
        s_replay_reply(r, "malformed_message");
        return;
    }
    snprintf(r->request_id, sizeof r->request_id, "%s", env->id);
    snprintf(r->producer, sizeof r->producer, "%s", env->replay_request->producer);
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
    gy_pg_tx_add(tx, "producer_pos", 1, head_params, NULL);
    gy_pg_tx_add(tx, "outbox_after", 3, params, NULL);
    if (gy_pg_run(self->config.reader, &tx, s_on_replay_result, s_on_replay_done, r) < 0)
        s_replay_reply(r, "unavailable");
}

/*  ---- life cycle ---- */

void intake_store_prepare(gy_pg_t *writer, gy_pg_t *relay, gy_pg_t *reader)
{
    gy_pg_prepare(writer, "submit", s_sql_submit);
    gy_pg_prepare(relay, "outbox_after", s_sql_outbox_after);
    gy_pg_prepare(relay, "producer_pos", s_sql_producer_pos);
    gy_pg_prepare(relay, "save_published", s_sql_save_published);
    gy_pg_prepare(reader, "outbox_after", s_sql_outbox_after);
    gy_pg_prepare(reader, "producer_pos", s_sql_producer_pos);
}

intake_store_t *intake_store_new(uv_loop_t *loop, const intake_store_config_t *config)
{
    intake_store_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    self->config = *config;
    self->producer = gy_strdup(config->producer);
    gy_metrics_describe(config->metrics, "gy_clues_committed_total", "counter",
                        "Clues stored (committed) by this instance.");
    gy_metrics_describe(config->metrics, "gy_commit_batches_total", "counter",
                        "Transactions that committed clues (group commits).");
    gy_metrics_describe(config->metrics, "gy_events_published_total", "counter",
                        "Events published on the bus, re-publications included.");
    gy_metrics_describe(config->metrics, "gy_outbox_lag", "gauge",
                        "Committed events not yet published.");
    uv_timer_init(loop, &self->save_timer);
    self->save_timer.data = self;
    uv_timer_start(&self->save_timer, s_on_save_timer, S_SAVE_INTERVAL_MS, S_SAVE_INTERVAL_MS);
    return self;
}

static void s_save_timer_close_cb(uv_handle_t *handle)
{
    intake_store_t *self = handle->data;
    free(self->producer);
    free(self);
}

void intake_store_destroy(intake_store_t **self_p)
{
    assert(self_p);
    intake_store_t *self = *self_p;
    if (!self)
        return;
    /*  The connections were closed first, so nothing is in flight; answer
     *  whatever still waits. */
    assert(!self->in_flight);
    while (self->queue_head) {
        s_item_t *item = self->queue_head;
        self->queue_head = item->next;
        s_answer(item, INTAKE_UNAVAILABLE);
        s_item_free(item);
    }
    uv_timer_stop(&self->save_timer);
    uv_close((uv_handle_t *)&self->save_timer, s_save_timer_close_cb);
    *self_p = NULL;
}
