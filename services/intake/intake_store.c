/*  intake_store — see intake_store.h. */
#include "intake_store.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_config.h"
#include "gy_util.h"

/*  More clues per transaction amortise the commit; past a few hundred the
 *  transaction itself gets long enough to hurt latency. */
#define S_MAX_BATCH 256

static const char s_sql_submit[] =
    "SELECT id, receipt_code, status, created, same_body, sequence FROM intake.submit_clue("
    "$1::uuid, $2, $3, $4, $5, $6, $7::float8, $8::float8, $9,"
    " CASE WHEN $10::bigint IS NULL THEN NULL ELSE to_timestamp($10::bigint / 1000.0) END,"
    " $11::jsonb, $12, $13::bytea, $14, $15, $16::bytea, $17, $18::uuid, $19, $20::bigint,"
    " $21::bytea)";

/*  One submission on its way to the database. */
typedef struct s_item {
    struct s_item *next;
    intake_clue_t clue;
    char id[37];
    char receipt[GY_RECEIPT_LEN + 1];
    char event_id[37];
    char trace[65]; /* the caller's trace id (at most 64 bytes, checked at the edge) or ours */
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
    s_item_t *queue_head; /* waiting for the next transaction */
    s_item_t *queue_tail;
    size_t queued;
    s_batch_t *in_flight; /* the transaction being committed */
    size_t singles;       /* after a failed batch: send this many alone */
    gy_outbox_t *outbox;  /* relay, heartbeat and replay of our events */
};

/*  ---- relay and replay: gy_outbox ---- */

void intake_store_relay_up(intake_store_t *self)
{
    gy_outbox_relay_up(self->outbox);
}

void intake_store_replay(intake_store_t *self, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    gy_outbox_replay(self->outbox, socket, msg);
}

uint64_t intake_store_lag(const intake_store_t *self)
{
    return gy_outbox_lag(self->outbox);
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
        gy_outbox_event_t ev = {
            .sequence = item->sequence,
            .event_id = item->event_id,
            .type = "ClueReceived",
            .time_ms = item->time_ms,
            .trace_id = item->trace,
            .procuratorate = item->clue.region_code,
            .body = item->event,
            .body_len = item->event_len,
        };
        gy_outbox_committed(self->outbox, &ev);
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
    if (status == GY_PG_LOST) {
        /*  The clues may have committed; their events then wait in the
         *  outbox with nobody to hand them over. */
        gy_outbox_check(store->outbox);
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

/*  ---- life cycle ---- */

int intake_store_seal_key_load(uint8_t key[GY_SEAL_KEY_BYTES])
{
    const char *seal = gy_config_str("GY_SEAL_KEY_FILE", NULL);
    if (!seal) {
        gy_log_error("GY_SEAL_KEY_FILE is not set");
        gy_log_error("hint: it names a file of 64 hex characters, e.g. made with "
                     "\"head -c 32 /dev/urandom | xxd -p -c 64\"; reporters' identities "
                     "are sealed with it.");
        return -1;
    }
    return gy_crypto_load_key(seal, key);
}

void intake_store_prepare(gy_pg_t *writer, gy_pg_t *relay, gy_pg_t *reader)
{
    gy_pg_prepare(writer, "submit", s_sql_submit);
    /*  intake allocates its sequences in intake.submit_clue: no
     *  outbox_append on the writer. */
    gy_outbox_prepare("intake", relay, reader, NULL);
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
    gy_outbox_config_t outbox_config = {
        .schema = "intake",
        .producer = config->producer,
        .relay = config->relay,
        .reader = config->reader,
        .events = config->events,
        .metrics = config->metrics,
    };
    self->outbox = gy_outbox_new(loop, &outbox_config);
    return self;
}

static void s_on_replay(void *arg, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    intake_store_replay(arg, socket, msg);
}

intake_store_t *intake_store_start(gy_node_t *node, const uint8_t *seal_key)
{
    intake_store_prepare(gy_node_writer(node), gy_node_relay(node), gy_node_reader(node));
    intake_store_config_t config = {
        .producer = gy_node_producer(node),
        .seal_key = seal_key,
        .writer = gy_node_writer(node),
        .relay = gy_node_relay(node),
        .reader = gy_node_reader(node),
        .events = gy_node_events(node),
        .metrics = gy_node_metrics(node),
    };
    intake_store_t *self = intake_store_new(gy_node_loop(node), &config);
    gy_node_on_replay(node, s_on_replay, self);
    return self;
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
    gy_outbox_destroy(&self->outbox);
    free(self->producer);
    free(self);
    *self_p = NULL;
}
