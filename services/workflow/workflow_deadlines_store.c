/*  workflow_deadlines_store — see workflow_deadlines_store.h. */
#include "workflow_deadlines_store.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gongyi.pb-c.h"
#include "gy_config.h"
#include "gy_due.h"
#include "gy_util.h"

#define S_RECOMPUTE_PAGE 200

/*  SQL in R__cases.sql. */
static const char s_sql_due[] =
    "SELECT id, kind, case_id, case_kind, procuratorate, field_code, rule, rule_version, due_ms,"
    "       last_day, provisional, case_state"
    "  FROM workflow.deadlines_due($1::bigint, $2::integer)";
static const char s_sql_fire[] =
    "SELECT * FROM workflow.deadline_fire($1::uuid, $2, $3::bigint, $4, $5::uuid, $6::bigint, $7,"
    " $8, $9::bytea)";
static const char s_sql_calendar_version[] = "SELECT version FROM workflow.calendar_version";
static const char s_sql_calendar_read[] =
    "SELECT 'year', year::text, source FROM workflow.calendar_year"
    " UNION ALL SELECT kind, day::text, name FROM workflow.holiday";
static const char s_sql_provisional[] =
    "SELECT id, detail, updated_us FROM workflow.deadlines_provisional($1::uuid, $2::integer)";
static const char s_sql_recompute[] =
    "SELECT workflow.deadline_recompute($1::jsonb, $2::bigint, $3::bigint)";

struct workflow_deadlines_store {
    gy_calendar_t *calendar;         /* the file's, then the tables' */
    const workflow_limits_t *limits; /* borrowed, from start */
    gy_pg_t *reader, *writer;        /* borrowed, from start */
    gy_due_t *due;                   /* fires DeadlineDue and DeadlineMissed */
    int64_t version;                 /* of the calendar read from the tables; 0: none yet */
    int64_t seen_version;            /* the version the running read is for */
    bool poll_again;                 /* a load asked for a poll while one ran */
    bool polling;                    /* a poll or a read is in flight */
    bool recomputing;                /* a recomputation is going through its pages */
    bool recompute_again;            /*   and the calendar changed meanwhile */
    char after[37];                  /* the recomputation's keyset */
    bool closing;
    bool timer_open;
    uv_timer_t timer; /* the calendar poll */
};

workflow_deadlines_store_t *workflow_deadlines_store_new(const char *refdir)
{
    assert(refdir);
    workflow_deadlines_store_t *self = gy_calloc(1, sizeof *self);
    char *default_path = gy_sprintf("%s/holidays.csv", refdir);
    self->calendar = gy_calendar_load(gy_config_str("GY_HOLIDAYS", default_path));
    free(default_path);
    if (!self->calendar) {
        workflow_deadlines_store_destroy(&self);
        return NULL;
    }
    return self;
}

void workflow_deadlines_store_destroy(workflow_deadlines_store_t **self_p)
{
    assert(self_p);
    workflow_deadlines_store_t *self = *self_p;
    if (!self)
        return;
    assert(!self->timer_open); /* stopped, and the loop ran its close callback */
    gy_due_destroy(&self->due);
    gy_calendar_destroy(&self->calendar);
    free(self);
    *self_p = NULL;
}

int workflow_deadlines_store_merge(const workflow_deadlines_store_t *self, gy_pg_session_t *session)
{
    assert(self && session);
    char *json = gy_calendar_json(self->calendar);
    const char *params[] = {json};
    int rc =
        gy_pg_session_exec(session, "SELECT workflow.calendar_merge($1::json)", 1, params, NULL);
    free(json);
    return rc;
}

const gy_calendar_t *workflow_deadlines_calendar(const workflow_deadlines_store_t *self)
{
    assert(self);
    return self->calendar;
}

json_t *workflow_deadlines_row(const char *op, const char *id, const workflow_deadline_t *d,
                               const char *start_event, int64_t start_ms)
{
    const workflow_due_t *due = workflow_deadline_due(d);
    const workflow_limit_t *rule = workflow_deadline_rule(d);
    assert(due);
    json_t *row = json_pack("{s:s,s:s}", "op", op, "id", id);
    json_t *detail = workflow_deadline_to_json(d);
    if (strcmp(op, "start") == 0) {
        json_object_set_new(row, "rule", json_string(rule->rule));
        json_object_set_new(row, "rule_version", json_integer(rule->version));
        json_object_set_new(row, "start_event", json_string(start_event));
        json_object_set_new(row, "start_ms", json_integer(start_ms));
        json_object_set_new(row, "urgent", json_incref(json_object_get(detail, "urgent")));
    }
    if (due->paused) {
        json_object_set_new(row, "due_ms", json_null());
        json_object_set_new(row, "warn_ms", json_null());
        json_object_set_new(row, "last_day", json_null());
    } else {
        char day[11];
        gy_day_format(due->last_day, day);
        json_object_set_new(row, "due_ms", json_integer(due->due_ms));
        json_object_set_new(row, "warn_ms", json_integer(due->warn_ms));
        json_object_set_new(row, "last_day", json_string(day));
    }
    json_object_set_new(row, "provisional", json_boolean(due->provisional));
    json_object_set_new(row, "uncovered_year",
                        due->provisional ? json_integer(due->uncovered_year) : json_null());
    json_object_set_new(row, "detail", detail);
    return row;
}

/*  ---- firing ---- */

/*  The event of one due row: DeadlineDue ("due") or DeadlineMissed
 *  ("missed"); the two messages have the same fields. */
static int s_pack(void *arg, const gy_pg_result_t *res, int row, int64_t now_ms,
                  gy_due_event_t *event)
{
    (void)arg;
    (void)now_ms;
    bool missed = strcmp(gy_pg_value(res, row, 1), "missed") == 0;
    Gongyi__V1__DeadlineDue due = GONGYI__V1__DEADLINE_DUE__INIT;
    Gongyi__V1__DeadlineMissed miss = GONGYI__V1__DEADLINE_MISSED__INIT;
    const char *procuratorate = gy_pg_value(res, row, 4);
#define S_FILL(m)                                                                                  \
    do {                                                                                           \
        (m).deadline_id = (char *)gy_pg_value(res, row, 0);                                        \
        (m).case_id = (char *)gy_pg_value(res, row, 2);                                            \
        (m).kind = (char *)gy_pg_value(res, row, 3);                                               \
        (m).procuratorate = (char *)procuratorate;                                                 \
        (m).field_code = (char *)gy_pg_value(res, row, 5);                                         \
        (m).rule = (char *)gy_pg_value(res, row, 6);                                               \
        (m).rule_version = (int32_t)strtol(gy_pg_value(res, row, 7), NULL, 10);                    \
        (m).due_unix_ms = strtoll(gy_pg_value(res, row, 8), NULL, 10);                             \
        (m).last_day = (char *)gy_pg_value(res, row, 9);                                           \
        (m).provisional = gy_pg_value(res, row, 10)[0] == 't';                                     \
        (m).case_state = (char *)gy_pg_value(res, row, 11);                                        \
    } while (0)
    if (missed) {
        S_FILL(miss);
        event->type = "DeadlineMissed";
        event->body_len = protobuf_c_message_get_packed_size(&miss.base);
        event->body = gy_malloc(event->body_len);
        protobuf_c_message_pack(&miss.base, event->body);
    } else {
        S_FILL(due);
        event->type = "DeadlineDue";
        event->body_len = protobuf_c_message_get_packed_size(&due.base);
        event->body = gy_malloc(event->body_len);
        protobuf_c_message_pack(&due.base, event->body);
    }
#undef S_FILL
    snprintf(event->procuratorate, sizeof event->procuratorate, "%s", procuratorate);
    return 0;
}

void workflow_deadlines_store_poke(workflow_deadlines_store_t *self)
{
    if (self && self->due)
        gy_due_poke(self->due);
}

/*  ---- provisional deadlines computed again ---- */

static void s_recompute_page(workflow_deadlines_store_t *self);

typedef struct {
    workflow_deadlines_store_t *self;
    gy_pg_tx_t *updates;
    size_t rows;
} s_page_t;

static void s_on_provisional(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_page_t *page = arg;
    workflow_deadlines_store_t *self = page->self;
    (void)index;
    int n = gy_pg_ntuples(res);
    page->rows = n > 0 ? (size_t)n : 0;
    int64_t now = gy_now_ms();
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, now);
    for (int row = 0; row < n; row++) {
        const char *id = gy_pg_value(res, row, 0);
        snprintf(self->after, sizeof self->after, "%s", id);
        workflow_deadline_error_t err;
        workflow_deadline_t *d =
            workflow_deadline_from_json(self->limits, gy_pg_value(res, row, 1), &err);
        if (!d) /* logged */
            continue;
        bool changed;
        workflow_deadline_recompute(d, self->calendar, now, &changed);
        if (changed) {
            json_t *r = workflow_deadlines_row("update", id, d, NULL, 0);
            char *text = json_dumps(r, JSON_COMPACT);
            json_decref(r);
            const char *values[] = {text, gy_pg_value(res, row, 2), at};
            gy_pg_tx_add(page->updates, "case_deadline_recompute", 3, values, NULL);
            free(text);
        }
        workflow_deadline_destroy(&d);
    }
}

static void s_recompute_end(workflow_deadlines_store_t *self)
{
    self->recomputing = false;
    if (self->recompute_again && !self->closing) {
        self->recompute_again = false;
        self->recomputing = true;
        self->after[0] = '\0';
        s_recompute_page(self);
    }
}

static void s_on_updates_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_page_t *page = arg;
    workflow_deadlines_store_t *self = page->self;
    (void)sqlstate;
    bool more = status == GY_PG_OK && page->rows == S_RECOMPUTE_PAGE && !self->closing;
    free(page);
    if (more)
        s_recompute_page(self);
    else
        s_recompute_end(self);
}

static void s_on_provisional_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_page_t *page = arg;
    workflow_deadlines_store_t *self = page->self;
    (void)sqlstate;
    if (status != GY_PG_OK || self->closing) {
        gy_pg_tx_destroy(&page->updates);
        free(page);
        s_recompute_end(self);
        return;
    }
    size_t n = gy_pg_tx_size(page->updates);
    if (n == 0) {
        gy_pg_tx_destroy(&page->updates);
        s_on_updates_done(page, GY_PG_OK, "");
        return;
    }
    if (gy_pg_run(self->writer, &page->updates, NULL, s_on_updates_done, page) < 0) {
        free(page);
        s_recompute_end(self);
        return;
    }
    gy_log_info("%zu provisional case deadlines computed again with calendar version %" PRId64, n,
                self->version);
}

static void s_recompute_page(workflow_deadlines_store_t *self)
{
    s_page_t *page = gy_calloc(1, sizeof *page);
    page->self = self;
    page->updates = gy_pg_tx_new();
    char limit[16];
    snprintf(limit, sizeof limit, "%d", S_RECOMPUTE_PAGE);
    const char *params[] = {self->after[0] ? self->after : "00000000-0000-0000-0000-000000000000",
                            limit};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "case_deadlines_provisional", 2, params, NULL);
    if (gy_pg_run(self->reader, &tx, s_on_provisional, s_on_provisional_done, page) < 0) {
        gy_pg_tx_destroy(&page->updates);
        free(page);
        s_recompute_end(self);
    }
}

static void s_recompute(workflow_deadlines_store_t *self)
{
    if (self->recomputing) {
        self->recompute_again = true;
        return;
    }
    self->recomputing = true;
    self->after[0] = '\0';
    s_recompute_page(self);
}

/*  ---- the calendar from the tables ---- */

static void s_on_timer(uv_timer_t *timer);

/*  A poll or read ended: another one now when a load asked meanwhile. */
static void s_poll_end(workflow_deadlines_store_t *self)
{
    self->polling = false;
    if (self->poll_again && !self->closing) {
        self->poll_again = false;
        s_on_timer(&self->timer);
    }
}

typedef struct {
    workflow_deadlines_store_t *self;
    gy_calendar_t *calendar;
    bool bad;
} s_read_t;

static void s_on_calendar_rows(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_read_t *read = arg;
    (void)index;
    for (int row = 0; row < gy_pg_ntuples(res) && !read->bad; row++) {
        const char *kind = gy_pg_value(res, row, 0);
        const char *key = gy_pg_value(res, row, 1);
        const char *name = gy_pg_value(res, row, 2);
        int rc =
            strcmp(kind, "year") == 0
                ? gy_calendar_add_year(read->calendar, atoi(key), name, "workflow.calendar_year")
                : gy_calendar_add_day(read->calendar, key, kind, name, "workflow.holiday");
        read->bad = rc < 0;
    }
}

static void s_on_calendar_read(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_read_t *read = arg;
    workflow_deadlines_store_t *self = read->self;
    (void)sqlstate;
    s_poll_end(self);
    if (status == GY_PG_OK && !read->bad && !self->closing) {
        gy_calendar_destroy(&self->calendar);
        self->calendar = read->calendar;
        read->calendar = NULL;
        self->version = self->seen_version;
        size_t years = gy_calendar_year_count(self->calendar);
        gy_log_info("calendar version %" PRId64 " loaded: %zu years (%d-%d), %zu days",
                    self->version, years, years ? gy_calendar_year_at(self->calendar, 0, NULL) : 0,
                    years ? gy_calendar_year_at(self->calendar, years - 1, NULL) : 0,
                    gy_calendar_day_count(self->calendar));
        json_t *health = json_object();
        workflow_deadlines_store_health(self, health);
        const char *warning =
            json_string_value(json_object_get(json_object_get(health, "calendar"), "warning"));
        if (warning)
            gy_log_warning("%s", warning);
        json_decref(health);
        s_recompute(self);
    } else if (read->bad) {
        /*  Logged row by row; the calendar in use stays, and the same
         *  version is not read again until it changes. */
        gy_log_error("calendar version %" PRId64 " in the workflow's tables is invalid; keeping "
                     "version %" PRId64,
                     self->seen_version, self->version);
        self->version = self->seen_version;
    }
    gy_calendar_destroy(&read->calendar);
    free(read);
}

static void s_on_version(void *arg, size_t index, const gy_pg_result_t *res)
{
    workflow_deadlines_store_t *self = arg;
    (void)index;
    if (gy_pg_ntuples(res) == 1)
        self->seen_version = strtoll(gy_pg_value(res, 0, 0), NULL, 10);
}

static void s_on_version_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    workflow_deadlines_store_t *self = arg;
    (void)sqlstate;
    if (status != GY_PG_OK || self->closing || self->seen_version == self->version) {
        s_poll_end(self);
        return;
    }
    s_read_t *read = gy_calloc(1, sizeof *read);
    read->self = self;
    read->calendar = gy_calendar_new();
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "case_calendar_read", 0, NULL, NULL);
    if (gy_pg_run(self->reader, &tx, s_on_calendar_rows, s_on_calendar_read, read) < 0) {
        gy_calendar_destroy(&read->calendar);
        free(read);
        s_poll_end(self);
    }
}

static void s_on_timer(uv_timer_t *timer)
{
    workflow_deadlines_store_t *self = timer->data;
    if (self->polling || self->closing || !gy_pg_up(self->reader))
        return;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "case_calendar_version", 0, NULL, NULL);
    if (gy_pg_run(self->reader, &tx, s_on_version, s_on_version_done, self) == 0)
        self->polling = true;
}

void workflow_deadlines_store_reload(workflow_deadlines_store_t *self)
{
    if (self->polling)
        self->poll_again = true;
    else
        s_on_timer(&self->timer);
}

/*  ---- life cycle ---- */

int workflow_deadlines_store_start(workflow_deadlines_store_t *self, gy_node_t *node,
                                   const workflow_limits_t *limits, uint64_t interval_ms)
{
    assert(self && node && limits && !self->due);
    self->limits = limits;
    self->reader = gy_node_reader(node);
    self->writer = gy_node_writer(node);
    gy_pg_prepare(self->reader, "case_deadlines_due", s_sql_due);
    gy_pg_prepare(self->reader, "case_calendar_version", s_sql_calendar_version);
    gy_pg_prepare(self->reader, "case_calendar_read", s_sql_calendar_read);
    gy_pg_prepare(self->reader, "case_deadlines_provisional", s_sql_provisional);
    gy_pg_prepare(self->writer, "case_deadline_fire", s_sql_fire);
    gy_pg_prepare(self->writer, "case_deadline_recompute", s_sql_recompute);
    gy_due_config_t config = {
        .name = "case_deadline",
        .due_stmt = "case_deadlines_due",
        .fire_stmt = "case_deadline_fire",
        .key_columns = 2,
        .pack = s_pack,
        .arg = self,
        .producer = gy_node_producer(node),
        .reader = self->reader,
        .writer = self->writer,
        .outbox = gy_node_outbox(node),
        .metrics = gy_node_metrics(node),
        .interval_ms = interval_ms,
    };
    self->due = gy_due_new(gy_node_loop(node), &config);
    if (!self->due)
        return -1;
    uv_timer_init(gy_node_loop(node), &self->timer);
    self->timer.data = self;
    self->timer_open = true;
    /*  The first poll as soon as the reader is up (the tables' calendar
     *  replaces the file's: it may hold years loaded since). */
    if (interval_ms)
        uv_timer_start(&self->timer, s_on_timer, 0, interval_ms);
    return 0;
}

static void s_timer_close_cb(uv_handle_t *handle)
{
    workflow_deadlines_store_t *self = handle->data;
    self->timer_open = false;
}

void workflow_deadlines_store_stop(workflow_deadlines_store_t *self)
{
    if (!self || self->closing)
        return;
    self->closing = true;
    gy_due_destroy(&self->due);
    if (self->timer_open) {
        uv_timer_stop(&self->timer);
        uv_close((uv_handle_t *)&self->timer, s_timer_close_cb);
    }
}

void workflow_deadlines_store_health(const workflow_deadlines_store_t *self, json_t *body)
{
    json_object_set_new(body, "calendar", workflow_deadlines_store_status(self));
}

json_t *workflow_deadlines_store_status(const workflow_deadlines_store_t *self)
{
    assert(self);
    gy_day_t today = gy_day_of_ms(gy_now_ms());
    gy_day_t until = gy_calendar_covered_until(self->calendar, today);
    json_t *out = json_object();
    char day[11];
    if (until < 0) {
        json_object_set_new(out, "covered_until", json_null());
    } else {
        gy_day_format(until, day);
        json_object_set_new(out, "covered_until", json_string(day));
    }
    json_object_set_new(out, "version", json_integer((json_int_t)self->version));
    if (until < today + 365) {
        gy_day_format(today, day);
        char *w = gy_sprintf("the holiday calendar does not cover the next 12 months (today is "
                             "%s): case due dates past its last year are provisional; load the "
                             "next year's arrangement (docs/calendar.md)",
                             day);
        json_object_set_new(out, "warning", json_string(w));
        free(w);
    }
    return out;
}
