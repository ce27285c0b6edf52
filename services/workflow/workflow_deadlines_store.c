/*  workflow_deadlines_store — see workflow_deadlines_store.h. */
#include "workflow_deadlines_store.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gongyi.pb-c.h"
#include "gy_clock.h"
#include "gy_config.h"
#include "gy_due.h"
#include "gy_util.h"

/*  The scan (reader) and the firing (writer): SQL in R__cases.sql. */
static const char s_sql_due[] =
    "SELECT id, kind, case_id, case_kind, procuratorate, field_code, rule, rule_version, due_ms,"
    "       last_day, provisional, case_state"
    "  FROM workflow.deadlines_due($1::bigint, $2::integer)";
static const char s_sql_fire[] =
    "SELECT * FROM workflow.deadline_fire($1::uuid, $2, $3::bigint, $4, $5::uuid, $6::bigint, $7,"
    " $8, $9::bytea)";

struct workflow_deadlines_store {
    gy_calendar_t *calendar; /* the holidays file's */
    gy_due_t *due;           /* fires DeadlineDue and DeadlineMissed; NULL until started */
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
    gy_due_destroy(&self->due);
    gy_calendar_destroy(&self->calendar);
    free(self);
    *self_p = NULL;
}

const gy_calendar_t *workflow_deadlines_calendar(const workflow_deadlines_store_t *self)
{
    assert(self);
    return self->calendar;
}

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

int workflow_deadlines_store_start(workflow_deadlines_store_t *self, gy_node_t *node,
                                   uint64_t interval_ms)
{
    assert(self && node && !self->due);
    gy_pg_prepare(gy_node_reader(node), "case_deadlines_due", s_sql_due);
    gy_pg_prepare(gy_node_writer(node), "case_deadline_fire", s_sql_fire);
    gy_due_config_t config = {
        .name = "case_deadline",
        .due_stmt = "case_deadlines_due",
        .fire_stmt = "case_deadline_fire",
        .key_columns = 2,
        .pack = s_pack,
        .arg = self,
        .producer = gy_node_producer(node),
        .reader = gy_node_reader(node),
        .writer = gy_node_writer(node),
        .outbox = gy_node_outbox(node),
        .metrics = gy_node_metrics(node),
        .interval_ms = interval_ms,
    };
    self->due = gy_due_new(gy_node_loop(node), &config);
    return self->due ? 0 : -1;
}

void workflow_deadlines_store_stop(workflow_deadlines_store_t *self)
{
    if (self)
        gy_due_destroy(&self->due);
}

void workflow_deadlines_store_poke(workflow_deadlines_store_t *self)
{
    if (self && self->due)
        gy_due_poke(self->due);
}

void workflow_deadlines_store_health(const workflow_deadlines_store_t *self, json_t *body)
{
    assert(self && body);
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
    if (until < today + 365) {
        gy_day_format(today, day);
        char *w = gy_sprintf("the holiday calendar does not cover the next 12 months (today is "
                             "%s): case due dates past its last year are provisional; add the "
                             "next year's arrangement to GY_HOLIDAYS (docs/calendar.md)",
                             day);
        json_object_set_new(out, "warning", json_string(w));
        free(w);
    }
    json_object_set_new(body, "calendar", out);
}
