/*  gy_due — see gy_due.h. */
#include "gy_due.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_text.h"
#include "gy_util.h"

#define S_DEFAULT_BATCH 500

/*  One row being fired. */
typedef struct {
    char keys[GY_DUE_MAX_KEYS][64];
    char event_id[37];
    char trace[37];
    int64_t time_ms;
    gy_due_event_t event;
    uint64_t sequence; /* from the fire statement; 0: it had fired already */
} s_row_t;

/*  One scan: the read, then the fire. */
typedef struct {
    gy_due_t *due;
    int64_t now_ms;
    s_row_t *rows;
    size_t count;
    size_t read; /* rows the read returned, packed or not */
} s_scan_t;

struct gy_due {
    gy_due_config_t config;
    char *name;
    char *due_stmt;
    char *fire_stmt;
    char *producer;
    char labels[80]; /* due="name" */
    bool scanning;   /* a read or fire is in flight */
    bool again;      /* poked meanwhile, or the last batch was full */
    bool closing;    /* destroyed: free when the timer and the scan are done */
    bool timer_open;
    uint64_t fired;
    uv_timer_t timer;
};

static void s_free(gy_due_t *self)
{
    free(self->name);
    free(self->due_stmt);
    free(self->fire_stmt);
    free(self->producer);
    free(self);
}

static void s_scan_free(s_scan_t *scan)
{
    for (size_t i = 0; i < scan->count; i++)
        free(scan->rows[i].event.body);
    free(scan->rows);
    free(scan);
}

static void s_scan(gy_due_t *self);

/*  A scan ended: free it, and scan again if more may be due. */
static void s_scan_end(gy_due_t *self, s_scan_t *scan, bool more)
{
    if (scan)
        s_scan_free(scan);
    self->scanning = false;
    if (self->closing) {
        if (!self->timer_open)
            s_free(self);
        return;
    }
    if (more || self->again) {
        self->again = false;
        s_scan(self);
    }
}

static void s_on_fire_result(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_scan_t *scan = arg;
    assert(index < scan->count);
    scan->rows[index].sequence = gy_outbox_sequence(res);
}

static void s_on_fire_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_scan_t *scan = arg;
    gy_due_t *self = scan->due;
    (void)sqlstate;
    uint64_t fired = 0;
    if (status == GY_PG_OK) {
        for (size_t i = 0; i < scan->count; i++) {
            s_row_t *r = &scan->rows[i];
            if (r->sequence == 0)
                continue; /* fired already, by another scanner or an earlier try */
            gy_outbox_event_t ev = {
                .sequence = r->sequence,
                .event_id = r->event_id,
                .type = r->event.type,
                .time_ms = r->time_ms,
                .trace_id = r->trace,
                .procuratorate = r->event.procuratorate,
                .body = r->event.body,
                .body_len = r->event.body_len,
            };
            if (self->config.outbox)
                gy_outbox_committed(self->config.outbox, &ev);
            fired++;
        }
        self->fired += fired;
        if (self->config.metrics)
            gy_metrics_count(self->config.metrics, "gy_due_fired_total", self->labels, fired);
    } else if (status == GY_PG_LOST && self->config.outbox) {
        gy_outbox_check(self->config.outbox);
    }
    int batch = self->config.batch ? self->config.batch : S_DEFAULT_BATCH;
    s_scan_end(self, scan, status == GY_PG_OK && scan->read == (size_t)batch);
}

static void s_on_due_rows(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_scan_t *scan = arg;
    gy_due_t *self = scan->due;
    (void)index;
    int n = gy_pg_ntuples(res);
    scan->read = n > 0 ? (size_t)n : 0;
    scan->rows = gy_calloc(scan->read ? scan->read : 1, sizeof *scan->rows);
    for (int row = 0; row < n; row++) {
        s_row_t *r = &scan->rows[scan->count];
        bool keys_fit = true;
        for (int k = 0; k < self->config.key_columns; k++) {
            const char *key = gy_pg_value(res, row, k);
            if (strlen(key) >= sizeof r->keys[k])
                keys_fit = false;
            else
                snprintf(r->keys[k], sizeof r->keys[k], "%s", key);
        }
        if (!keys_fit) {
            gy_log_error("%s row %d of a due scan has a key over 63 bytes; left unfired",
                         self->name, row);
            continue;
        }
        memset(&r->event, 0, sizeof r->event);
        if (self->config.pack(self->config.arg, res, row, scan->now_ms, &r->event) < 0) {
            free(r->event.body);
            r->event.body = NULL;
            continue;
        }
        assert(r->event.type && r->event.body);
        gy_uuid(r->event_id);
        gy_uuid(r->trace);
        r->time_ms = scan->now_ms;
        scan->count++;
    }
}

/*  The read finished: fire what is due, on the writer, in one transaction. */
static void s_on_due_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_scan_t *scan = arg;
    gy_due_t *self = scan->due;
    (void)sqlstate;
    if (status != GY_PG_OK || scan->count == 0 || self->closing) {
        s_scan_end(self, scan, false);
        return;
    }
    gy_pg_tx_t *tx = gy_pg_tx_new();
    char fired_ms[24], time_ms[24];
    snprintf(fired_ms, sizeof fired_ms, "%" PRId64, scan->now_ms);
    snprintf(time_ms, sizeof time_ms, "%" PRId64, scan->now_ms);
    int nk = self->config.key_columns;
    for (size_t i = 0; i < scan->count; i++) {
        s_row_t *r = &scan->rows[i];
        const char *values[GY_DUE_MAX_KEYS + 7];
        int lengths[GY_DUE_MAX_KEYS + 7] = {0};
        for (int k = 0; k < nk; k++)
            values[k] = r->keys[k];
        values[nk + 0] = fired_ms;
        values[nk + 1] = self->producer;
        values[nk + 2] = r->event_id;
        values[nk + 3] = time_ms;
        values[nk + 4] = r->trace;
        values[nk + 5] = r->event.procuratorate;
        values[nk + 6] = (const char *)r->event.body;
        lengths[nk + 6] = (int)r->event.body_len;
        gy_pg_tx_add(tx, self->fire_stmt, nk + 7, values, lengths);
    }
    if (gy_pg_run(self->config.writer, &tx, s_on_fire_result, s_on_fire_done, scan) < 0)
        s_scan_end(self, scan, false);
}

static void s_scan(gy_due_t *self)
{
    if (self->scanning) {
        self->again = true;
        return;
    }
    if (self->closing || !gy_pg_up(self->config.reader) || !gy_pg_up(self->config.writer))
        return;
    s_scan_t *scan = gy_calloc(1, sizeof *scan);
    scan->due = self;
    scan->now_ms = gy_now_ms();
    char now[24], limit[16];
    snprintf(now, sizeof now, "%" PRId64, scan->now_ms);
    snprintf(limit, sizeof limit, "%d", self->config.batch ? self->config.batch : S_DEFAULT_BATCH);
    const char *params[] = {now, limit};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, self->due_stmt, 2, params, NULL);
    if (gy_pg_run(self->config.reader, &tx, s_on_due_rows, s_on_due_done, scan) < 0) {
        free(scan);
        return;
    }
    self->scanning = true;
}

static void s_on_timer(uv_timer_t *timer)
{
    s_scan(timer->data);
}

gy_due_t *gy_due_new(uv_loop_t *loop, const gy_due_config_t *config)
{
    assert(loop && config && config->name && config->due_stmt && config->fire_stmt &&
           config->pack && config->producer && config->reader && config->writer);
    assert(config->key_columns >= 1 && config->key_columns <= GY_DUE_MAX_KEYS);
    assert(config->batch >= 0);
    gy_due_t *self = gy_calloc(1, sizeof *self);
    self->config = *config;
    self->name = gy_strdup(config->name);
    self->due_stmt = gy_strdup(config->due_stmt);
    self->fire_stmt = gy_strdup(config->fire_stmt);
    self->producer = gy_strdup(config->producer);
    self->config.name = self->name;
    self->config.producer = self->producer;
    gy_text_format(self->labels, sizeof self->labels, "due=\"%s\"", config->name);
    if (config->metrics)
        gy_metrics_describe(config->metrics, "gy_due_fired_total", "counter",
                            "Due rows fired (their event committed) by this instance.");
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    self->timer_open = true;
    if (config->interval_ms)
        uv_timer_start(&self->timer, s_on_timer, config->interval_ms, config->interval_ms);
    return self;
}

static void s_timer_close_cb(uv_handle_t *handle)
{
    gy_due_t *self = handle->data;
    self->timer_open = false;
    if (!self->scanning)
        s_free(self);
}

void gy_due_destroy(gy_due_t **self_p)
{
    assert(self_p);
    gy_due_t *self = *self_p;
    if (!self)
        return;
    self->closing = true;
    uv_timer_stop(&self->timer);
    uv_close((uv_handle_t *)&self->timer, s_timer_close_cb);
    *self_p = NULL;
}

void gy_due_poke(gy_due_t *self)
{
    s_scan(self);
}

uint64_t gy_due_fired(const gy_due_t *self)
{
    return self->fired;
}
