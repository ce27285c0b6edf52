/*  router_deadline — see router_deadline.h. */
#include "router_deadline.h"

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

/*  The rules toward the reporter.  A change of period is a new version:
 *  rows keep the version that computed them. */
typedef struct {
    const char *rule;
    int version;
    gy_period_t period;
} s_rule_t;

static const s_rule_t s_rules[] = {
    {"acknowledge_7d", 1, {GY_PERIOD_DAYS, 7}},
    {"progress_3m", 1, {GY_PERIOD_MONTHS, 3}},
};
#define S_NRULES (sizeof s_rules / sizeof s_rules[0])

static const char s_sql_due[] =
    "SELECT d.clue_id, d.rule, (extract(epoch FROM d.due_at) * 1000)::bigint, d.procuratorate,"
    "       (extract(epoch FROM c.received_at) * 1000)::bigint, c.origin_producer,"
    "       c.origin_reference"
    "  FROM router.deadline d JOIN router.clue c ON c.id = d.clue_id"
    " WHERE d.fired_at IS NULL AND d.met_at IS NULL"
    "   AND d.due_at <= to_timestamp($1::bigint / 1000.0)"
    " ORDER BY d.due_at LIMIT $2::int";
static const char s_sql_fire[] =
    "WITH fired AS ("
    "    UPDATE router.deadline SET fired_at = to_timestamp($3::bigint / 1000.0)"
    "     WHERE clue_id = $1::uuid AND rule = $2 AND fired_at IS NULL AND met_at IS NULL"
    " RETURNING 1)"
    " SELECT router.outbox_append($4, $5::uuid, 'ClueDeadlineDue', $6::bigint, $7, $8, $9::bytea)"
    "   FROM fired";
static const char s_sql_calendar_version[] = "SELECT version FROM router.calendar_version";
static const char s_sql_calendar_read[] =
    "SELECT 'year', year::text, source FROM router.calendar_year"
    " UNION ALL SELECT kind, day::text, name FROM router.holiday";
static const char s_sql_provisional[] =
    "SELECT clue_id, rule, rule_version, (extract(epoch FROM start_at) * 1000)::bigint,"
    "       (extract(epoch FROM due_at) * 1000)::bigint, reasons::text"
    "  FROM router.deadline"
    " WHERE provisional AND fired_at IS NULL AND met_at IS NULL"
    "   AND (clue_id, rule) > ($1::uuid, $2)"
    " ORDER BY clue_id, rule LIMIT $3::int";
static const char s_sql_recompute[] =
    "UPDATE router.deadline SET due_at = to_timestamp($3::bigint / 1000.0),"
    "       provisional = $4::boolean, reasons = $5::jsonb"
    " WHERE clue_id = $1::uuid AND rule = $2 AND provisional AND fired_at IS NULL"
    "   AND met_at IS NULL";

struct router_deadline {
    router_deadline_config_t config;
    char *producer;
    gy_calendar_t *calendar; /* the file's, then the database's */
    gy_due_t *due;           /* fires ClueDeadlineDue */
    int64_t version;         /* of the calendar loaded from the database; 0: none yet */
    int64_t seen_version;    /* the version the running read is for */
    bool poll_again;         /* a load asked for a poll while one ran */
    bool polling;            /* a calendar poll or read is in flight */
    bool recomputing;        /* a pass over provisional deadlines is running */
    bool recompute_again;    /*   and the calendar changed again meanwhile */
    char after_clue[37];     /* the pass's keyset position */
    char after_rule[64];
    size_t page_rows;
    bool closing;
    bool timer_open;
    uv_timer_t timer; /* the calendar poll */
};

static const s_rule_t *s_rule(const char *name, int version)
{
    for (size_t i = 0; i < S_NRULES; i++)
        if (strcmp(s_rules[i].rule, name) == 0 && s_rules[i].version == version)
            return &s_rules[i];
    return NULL;
}

/*  ---- writing a clue's deadlines ---- */

json_t *router_deadline_json(const router_deadline_t *self, int64_t received_ms)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < S_NRULES; i++) {
        gy_due_date_t due;
        if (gy_period_due(self->calendar, received_ms, s_rules[i].period, NULL, 0, &due) < 0)
            continue; /* cannot happen with these periods */
        json_t *row = json_object();
        json_object_set_new(row, "rule", json_string(s_rules[i].rule));
        json_object_set_new(row, "version", json_integer(s_rules[i].version));
        json_object_set_new(row, "due_ms", json_integer(due.due_ms));
        json_object_set_new(row, "provisional", json_boolean(due.provisional));
        json_object_set_new(row, "reasons", gy_due_reasons(&due));
        json_array_append_new(rows, row);
    }
    return rows;
}

/*  ---- firing ---- */

static int s_pack(void *arg, const gy_pg_result_t *res, int row, int64_t now_ms,
                  gy_due_event_t *event)
{
    (void)arg;
    (void)now_ms;
    Gongyi__V1__ClueDeadlineDue due = GONGYI__V1__CLUE_DEADLINE_DUE__INIT;
    due.clue_id = (char *)gy_pg_value(res, row, 0);
    due.rule = (char *)gy_pg_value(res, row, 1);
    due.due_unix_ms = strtoll(gy_pg_value(res, row, 2), NULL, 10);
    due.procuratorate = (char *)gy_pg_value(res, row, 3);
    due.received_unix_ms = strtoll(gy_pg_value(res, row, 4), NULL, 10);
    /*  The integrator's work order, as on every event about the clue. */
    Gongyi__V1__Origin origin = GONGYI__V1__ORIGIN__INIT;
    if (gy_pg_value(res, row, 5)[0]) {
        origin.producer = (char *)gy_pg_value(res, row, 5);
        origin.reference_id = (char *)gy_pg_value(res, row, 6);
        due.origin = &origin;
    }
    event->type = "ClueDeadlineDue";
    snprintf(event->procuratorate, sizeof event->procuratorate, "%s", due.procuratorate);
    event->body_len = gongyi__v1__clue_deadline_due__get_packed_size(&due);
    event->body = gy_malloc(event->body_len);
    gongyi__v1__clue_deadline_due__pack(&due, event->body);
    return 0;
}

/*  ---- provisional deadlines computed again ---- */

static void s_recompute_page(router_deadline_t *self);

typedef struct {
    router_deadline_t *self;
    gy_pg_tx_t *updates;
    size_t rows;
} s_page_t;

/*  The reasons a recomputed deadline keeps: what moved it now, what was
 *  recomputed before, and this recomputation. */
static char *s_recomputed_reasons(const gy_due_date_t *due, const char *old_reasons,
                                  int64_t old_due_ms, int64_t version)
{
    char *now_json = gy_due_reasons_json(due);
    json_t *out = json_loads(now_json, 0, NULL);
    free(now_json);
    json_t *old = json_loads(old_reasons, 0, NULL);
    size_t i;
    json_t *r;
    json_array_foreach(old, i, r) {
        const char *why = json_string_value(json_object_get(r, "reason"));
        if (why && strcmp(why, "recomputed") == 0)
            json_array_append(out, r);
    }
    json_decref(old);
    char was[11], at[11];
    gy_day_format(gy_day_of_ms(old_due_ms - 1), was);
    gy_day_format(gy_day_of_ms(gy_now_ms()), at);
    json_array_append_new(out,
                          json_pack("{s:s,s:s,s:s,s:I}", "reason", "recomputed", "on", at,
                                    "last_day_was", was, "calendar_version", (json_int_t)version));
    char *text = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    return text;
}

static void s_on_provisional(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_page_t *page = arg;
    router_deadline_t *self = page->self;
    (void)index;
    int n = gy_pg_ntuples(res);
    page->rows = n > 0 ? (size_t)n : 0;
    for (int row = 0; row < n; row++) {
        const char *clue = gy_pg_value(res, row, 0);
        const char *rule_name = gy_pg_value(res, row, 1);
        snprintf(self->after_clue, sizeof self->after_clue, "%s", clue);
        snprintf(self->after_rule, sizeof self->after_rule, "%s", rule_name);
        const s_rule_t *rule = s_rule(rule_name, atoi(gy_pg_value(res, row, 2)));
        if (!rule) {
            gy_log_warning("deadline %s of clue %s: rule version %s unknown to this router; "
                           "not recomputed",
                           rule_name, clue, gy_pg_value(res, row, 2));
            continue;
        }
        int64_t start_ms = strtoll(gy_pg_value(res, row, 3), NULL, 10);
        int64_t old_due_ms = strtoll(gy_pg_value(res, row, 4), NULL, 10);
        gy_due_date_t due;
        if (gy_period_due(self->calendar, start_ms, rule->period, NULL, 0, &due) < 0)
            continue;
        if (due.provisional && due.due_ms == old_due_ms)
            continue; /* nothing learnt yet */
        char *reasons =
            s_recomputed_reasons(&due, gy_pg_value(res, row, 5), old_due_ms, self->version);
        char due_ms[24];
        snprintf(due_ms, sizeof due_ms, "%" PRId64, due.due_ms);
        const char *values[] = {clue, rule_name, due_ms, due.provisional ? "true" : "false",
                                reasons};
        gy_pg_tx_add(page->updates, "deadline_recompute", 5, values, NULL);
        free(reasons);
    }
}

static void s_recompute_end(router_deadline_t *self)
{
    self->recomputing = false;
    if (self->recompute_again && !self->closing) {
        self->recompute_again = false;
        self->recomputing = true;
        self->after_clue[0] = self->after_rule[0] = '\0';
        s_recompute_page(self);
    }
}

static void s_on_updates_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_page_t *page = arg;
    router_deadline_t *self = page->self;
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
    router_deadline_t *self = page->self;
    (void)sqlstate;
    if (status != GY_PG_OK || self->closing) {
        gy_pg_tx_destroy(&page->updates);
        free(page);
        s_recompute_end(self);
        return;
    }
    if (gy_pg_tx_size(page->updates) == 0) {
        gy_pg_tx_destroy(&page->updates);
        s_on_updates_done(page, GY_PG_OK, "");
        return;
    }
    size_t n = gy_pg_tx_size(page->updates);
    if (gy_pg_run(self->config.writer, &page->updates, NULL, s_on_updates_done, page) < 0) {
        free(page);
        s_recompute_end(self);
        return;
    }
    gy_log_info("%zu provisional deadlines computed again with calendar version %" PRId64, n,
                self->version);
}

static void s_recompute_page(router_deadline_t *self)
{
    s_page_t *page = gy_calloc(1, sizeof *page);
    page->self = self;
    page->updates = gy_pg_tx_new();
    char limit[16];
    snprintf(limit, sizeof limit, "%d", S_RECOMPUTE_PAGE);
    const char *params[] = {self->after_clue[0] ? self->after_clue
                                                : "00000000-0000-0000-0000-000000000000",
                            self->after_rule, limit};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "deadlines_provisional", 3, params, NULL);
    if (gy_pg_run(self->config.reader, &tx, s_on_provisional, s_on_provisional_done, page) < 0) {
        gy_pg_tx_destroy(&page->updates);
        free(page);
        s_recompute_end(self);
    }
}

static void s_recompute(router_deadline_t *self)
{
    if (self->recomputing) {
        self->recompute_again = true;
        return;
    }
    self->recomputing = true;
    self->after_clue[0] = self->after_rule[0] = '\0';
    s_recompute_page(self);
}

/*  ---- the calendar from the database ---- */

static void s_on_timer(uv_timer_t *timer);

/*  A poll or read ended: another one now when a load asked meanwhile. */
static void s_poll_end(router_deadline_t *self)
{
    self->polling = false;
    if (self->poll_again && !self->closing) {
        self->poll_again = false;
        s_on_timer(&self->timer);
    }
}

typedef struct {
    router_deadline_t *self;
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
        int rc = strcmp(kind, "year") == 0
                     ? gy_calendar_add_year(read->calendar, atoi(key), name, "router.calendar_year")
                     : gy_calendar_add_day(read->calendar, key, kind, name, "router.holiday");
        read->bad = rc < 0;
    }
}

static void s_on_calendar_read(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_read_t *read = arg;
    router_deadline_t *self = read->self;
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
        json_t *health = router_deadline_health(self);
        const char *warning = json_string_value(json_object_get(health, "warning"));
        if (warning)
            gy_log_warning("%s", warning);
        json_decref(health);
        s_recompute(self);
    } else if (read->bad) {
        /*  Logged row by row; the calendar in use stays, and the same
         *  version is not read again until it changes. */
        gy_log_error("calendar version %" PRId64 " in the database is invalid; keeping "
                     "version %" PRId64,
                     self->seen_version, self->version);
        self->version = self->seen_version;
    }
    gy_calendar_destroy(&read->calendar);
    free(read);
}

static void s_on_version(void *arg, size_t index, const gy_pg_result_t *res)
{
    router_deadline_t *self = arg;
    (void)index;
    if (gy_pg_ntuples(res) == 1)
        self->seen_version = strtoll(gy_pg_value(res, 0, 0), NULL, 10);
}

static void s_on_version_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    router_deadline_t *self = arg;
    (void)sqlstate;
    if (status != GY_PG_OK || self->closing || self->seen_version == self->version) {
        s_poll_end(self);
        return;
    }
    s_read_t *read = gy_calloc(1, sizeof *read);
    read->self = self;
    read->calendar = gy_calendar_new();
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "calendar_read", 0, NULL, NULL);
    if (gy_pg_run(self->config.reader, &tx, s_on_calendar_rows, s_on_calendar_read, read) < 0) {
        gy_calendar_destroy(&read->calendar);
        free(read);
        s_poll_end(self);
    }
}

static void s_on_timer(uv_timer_t *timer)
{
    router_deadline_t *self = timer->data;
    if (self->polling || !gy_pg_up(self->config.reader))
        return;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "calendar_version", 0, NULL, NULL);
    if (gy_pg_run(self->config.reader, &tx, s_on_version, s_on_version_done, self) == 0)
        self->polling = true;
}

void router_deadline_reload(router_deadline_t *self)
{
    if (self->polling)
        self->poll_again = true;
    else
        s_on_timer(&self->timer);
}

const gy_calendar_t *router_deadline_calendar(const router_deadline_t *self)
{
    return self->calendar;
}

/*  ---- health ---- */

json_t *router_deadline_health(const router_deadline_t *self)
{
    int64_t now = gy_now_ms();
    gy_day_t today = gy_day_of_ms(now);
    gy_day_t until = gy_calendar_covered_until(self->calendar, today);
    gy_day_t horizon = today + 365; /* the next 12 months */
    char today_s[11];
    gy_day_format(today, today_s);
    json_t *out = json_object();
    if (until < 0) {
        json_object_set_new(out, "covered_until", json_null());
    } else {
        char until_s[11];
        gy_day_format(until, until_s);
        json_object_set_new(out, "covered_until", json_string(until_s));
    }
    json_object_set_new(out, "version", json_integer((json_int_t)self->version));
    if (until < horizon) {
        char *w = gy_sprintf("the holiday calendar does not cover the next 12 months (today is "
                             "%s): due dates past its last year are provisional; load the next "
                             "year's arrangement (docs/calendar.md)",
                             today_s);
        json_object_set_new(out, "warning", json_string(w));
        free(w);
    }
    return out;
}

/*  ---- life cycle ---- */

gy_calendar_t *router_deadline_calendar_load(const char *refdir)
{
    char *default_path = gy_sprintf("%s/holidays.csv", refdir);
    gy_calendar_t *calendar = gy_calendar_load(gy_config_str("GY_HOLIDAYS", default_path));
    free(default_path);
    return calendar;
}

void router_deadline_prepare(gy_pg_t *writer, gy_pg_t *reader)
{
    gy_pg_prepare(writer, "deadline_fire", s_sql_fire);
    gy_pg_prepare(writer, "deadline_recompute", s_sql_recompute);
    gy_pg_prepare(reader, "deadlines_due", s_sql_due);
    gy_pg_prepare(reader, "calendar_version", s_sql_calendar_version);
    gy_pg_prepare(reader, "calendar_read", s_sql_calendar_read);
    gy_pg_prepare(reader, "deadlines_provisional", s_sql_provisional);
}

router_deadline_t *router_deadline_new(uv_loop_t *loop, const router_deadline_config_t *config,
                                       gy_calendar_t **calendar_p)
{
    assert(calendar_p && *calendar_p);
    router_deadline_t *self = gy_calloc(1, sizeof *self);
    self->config = *config;
    self->producer = gy_strdup(config->producer);
    self->config.producer = self->producer;
    self->calendar = *calendar_p;
    *calendar_p = NULL;
    gy_due_config_t due = {
        .name = "deadline",
        .due_stmt = "deadlines_due",
        .fire_stmt = "deadline_fire",
        .key_columns = 2,
        .pack = s_pack,
        .arg = self,
        .producer = self->producer,
        .reader = config->reader,
        .writer = config->writer,
        .outbox = config->outbox,
        .metrics = config->metrics,
        .interval_ms = config->interval_ms,
    };
    self->due = gy_due_new(loop, &due);
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    self->timer_open = true;
    if (config->interval_ms)
        uv_timer_start(&self->timer, s_on_timer, 0, config->interval_ms);
    return self;
}

static void s_timer_close_cb(uv_handle_t *handle)
{
    router_deadline_t *self = handle->data;
    gy_calendar_destroy(&self->calendar);
    free(self->producer);
    free(self);
}

router_deadline_t *router_deadline_start(gy_node_t *node, uint64_t interval_ms,
                                         gy_calendar_t **calendar_p)
{
    router_deadline_config_t config = {
        .producer = gy_node_producer(node),
        .interval_ms = interval_ms,
        .writer = gy_node_writer(node),
        .reader = gy_node_reader(node),
        .outbox = gy_node_outbox(node),
        .metrics = gy_node_metrics(node),
    };
    return router_deadline_new(gy_node_loop(node), &config, calendar_p);
}

void router_deadline_destroy(router_deadline_t **self_p)
{
    assert(self_p);
    router_deadline_t *self = *self_p;
    if (!self)
        return;
    self->closing = true;
    gy_due_destroy(&self->due);
    uv_timer_stop(&self->timer);
    uv_close((uv_handle_t *)&self->timer, s_timer_close_cb);
    *self_p = NULL;
}

int router_deadline_calendar_merge(const gy_calendar_t *calendar, gy_pg_session_t *session)
{
    char *json = gy_calendar_json(calendar);
    const char *params[] = {json};
    int rc = gy_pg_session_exec(session, "SELECT router.calendar_merge($1::json)", 1, params, NULL);
    free(json);
    return rc;
}
