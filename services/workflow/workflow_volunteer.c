/*  workflow_volunteer — see workflow_volunteer.h. */
#include "workflow_volunteer.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_calendar.h"
#include "gy_scope.h"
#include "gy_text.h"
#include "gy_util.h"

static const char *const s_statuses[] = {"applied",  "appointed", "suspended",
                                         "rejected", "dismissed", NULL};

void workflow_volunteer_prepare(gy_pg_t *writer)
{
    gy_pg_prepare(writer, "wf_volunteer_put",
                  "SELECT workflow.volunteer_put($1::jsonb, $2, $3::bigint, $4::bigint)");
}

static bool s_day_ok(const char *s)
{
    return s[0] == '\0' || (strlen(s) == 10 && gy_day_parse(s) >= 0);
}

/*  A list of codes (roles, field codes) as a JSON array; NULL when one is
 *  not a code. */
static json_t *s_codes(char **codes, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!gy_text_id_valid(codes[i], 32)) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, json_string(codes[i]));
    }
    return a;
}

int workflow_volunteer_apply(const gy_consumer_event_t *event, gy_pg_tx_t *tx)
{
    const Gongyi__V1__VolunteerChanged *v = event->envelope->volunteer_changed;
    bool status_ok = false;
    for (const char *const *s = s_statuses; *s && !status_ok; s++)
        status_ok = strcmp(v->status, *s) == 0;
    json_t *roles = s_codes(v->roles, v->n_roles);
    json_t *expertise = s_codes(v->expertise, v->n_expertise);
    json_t *conflicts = json_array();
    bool ok = gy_uuid_valid(v->volunteer_id) && gy_scope_code_valid(v->procuratorate) &&
              gy_scope_code_valid(v->city) && status_ok && roles && expertise &&
              s_day_ok(v->term_start) && s_day_ok(v->term_end) && v->version > 0;
    for (size_t i = 0; ok && i < v->n_conflicts; i++) {
        const Gongyi__V1__VolunteerConflict *c = v->conflicts[i];
        ok = gy_text_id_valid(c->kind, 16) && c->value[0] && strlen(c->value) <= 400 &&
             gy_text_check(c->value, strlen(c->value), GY_TEXT_LINE) >= 0;
        if (ok)
            json_array_append_new(conflicts,
                                  json_pack("{s:s,s:s}", "kind", c->kind, "value", c->value));
    }
    if (!ok) {
        json_decref(roles);
        json_decref(expertise);
        json_decref(conflicts);
        return -1;
    }
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:I}", "id", v->volunteer_id,
                  "procuratorate", v->procuratorate, "city", v->city, "status", v->status, "roles",
                  roles, "expertise", expertise, "term_start", v->term_start, "term_end",
                  v->term_end, "conflicts", conflicts, "version", (json_int_t)v->version);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char seq[24], at[24];
    snprintf(seq, sizeof seq, "%" PRIu64, event->sequence);
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    const char *values[] = {text, event->producer, seq, at};
    gy_pg_tx_add(tx, "wf_volunteer_put", 4, values, NULL);
    free(text);
    return 0;
}
