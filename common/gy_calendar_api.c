/*  gy_calendar_api — see gy_calendar_api.h. */
#include "gy_calendar_api.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_auth.h"
#include "gy_clock.h"
#include "gy_hold.h"
#include "gy_scope.h"
#include "gy_util.h"

#define S_MAX_DAYS   366 /* each day of a year once, at most */
#define S_SOURCE_MAX 200 /* characters of the notice's title */
#define S_NAME_MAX   64  /* characters of a day's name */

/*  The load, in this order in one transaction (gy_pg_prepare_schema puts
 *  the service's schema in): the record, with the source it replaces; the
 *  year replaced, when asked; the year (a unique violation when it is
 *  there: 409); that year's days, any earlier rows of it first; the
 *  version the triggers left. */
static const char s_sql_record[] =
    "INSERT INTO %1$s.calendar_load (year, source, days, replace, replaced_source, loaded_by,"
    "                                loaded_at)"
    " SELECT $1::int, $2, $3::jsonb, $4::boolean,"
    "        (SELECT source FROM %1$s.calendar_year WHERE year = $1::int), $5,"
    "        to_timestamp($6::bigint / 1000.0)"
    " RETURNING replaced_source IS NOT NULL";
static const char s_sql_unload[] = "DELETE FROM %1$s.calendar_year WHERE year = $1::int";
static const char s_sql_year[] = "INSERT INTO %1$s.calendar_year (year, source, loaded_at)"
                                 " VALUES ($1::int, $2, to_timestamp($3::bigint / 1000.0))";
/*  Two statements: in one, an INSERT would not see the DELETE's effect. */
static const char s_sql_clear[] =
    "DELETE FROM %1$s.holiday"
    " WHERE day BETWEEN make_date($1::int, 1, 1) AND make_date($1::int, 12, 31)";
static const char s_sql_days[] =
    "INSERT INTO %1$s.holiday (day, kind, name)"
    " SELECT d.day, d.kind, d.name"
    "   FROM json_to_recordset($1::json) AS d(day date, kind text, name text)";
static const char s_sql_version[] = "SELECT version FROM %1$s.calendar_version";

struct gy_calendar_api {
    gy_calendar_api_config_t config; /* borrowed pointers */
    gy_holds_t holds;                /* loads to come back */
    char read_pattern[64];           /* config.path */
    char load_pattern[80];           /* config.path/years/{year} */
    gy_route_t routes[3];            /* GET and PUT, on those */
};

static void s_get_route(gy_http_request_t *req, const gy_route_match_t *match, void *arg);
static void s_put_route(gy_http_request_t *req, const gy_route_match_t *match, void *arg);

/*  Reading needs a token of any role (the calendar is public: State
 *  Council notices); loading, an administrator. */
static const char *const s_admin_roles[] = {"admin", NULL};
static const gy_guard_t s_admins = {s_admin_roles, true, false,
                                    "only an administrator may load the holiday calendar"};

void gy_calendar_api_prepare(const char *schema, gy_pg_t *writer)
{
    gy_pg_prepare_schema(writer, "gy_calendar_record", s_sql_record, schema);
    gy_pg_prepare_schema(writer, "gy_calendar_unload", s_sql_unload, schema);
    gy_pg_prepare_schema(writer, "gy_calendar_year", s_sql_year, schema);
    gy_pg_prepare_schema(writer, "gy_calendar_clear", s_sql_clear, schema);
    gy_pg_prepare_schema(writer, "gy_calendar_days", s_sql_days, schema);
    gy_pg_prepare_schema(writer, "gy_calendar_version", s_sql_version, schema);
}

static void s_free(void *arg)
{
    free(arg);
}

gy_calendar_api_t *gy_calendar_api_new(const gy_calendar_api_config_t *config)
{
    assert(config && config->path && config->writer && config->calendar && config->status &&
           config->reload);
    gy_calendar_api_t *self = gy_calloc(1, sizeof *self);
    self->config = *config;
    self->config.path = NULL; /* borrowed no further than here */
    gy_holds_init(&self->holds, s_free, self);
    int n = snprintf(self->read_pattern, sizeof self->read_pattern, "%s", config->path);
    int m =
        snprintf(self->load_pattern, sizeof self->load_pattern, "%s/years/{year}", config->path);
    assert(n > 0 && (size_t)n < sizeof self->read_pattern && m > 0 &&
           (size_t)m < sizeof self->load_pattern);
    /*  The metrics name the routes alike in every service: each has its own
     *  /metrics. */
    self->routes[0] = (gy_route_t){"GET", self->read_pattern, "calendar_get", s_get_route};
    self->routes[1] = (gy_route_t){"PUT", self->load_pattern, "calendar_year_put", s_put_route};
    return self;
}

bool gy_calendar_api_handle(gy_calendar_api_t *self, gy_http_request_t *req)
{
    return self && gy_route_dispatch_or(self->routes, req, self, false);
}

void gy_calendar_api_destroy(gy_calendar_api_t **self_p)
{
    assert(self_p);
    if (!*self_p)
        return;
    gy_holds_stop(&(*self_p)->holds);
    *self_p = NULL;
}

/*  ---- GET ---- */

static void s_get_route(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    gy_calendar_api_t *self = arg;
    (void)match;
    gy_token_claims_t claims;
    if (gy_auth_guard(req, self->config.token_public, &gy_guard_signed_in, &claims, NULL) < 0)
        return;
    const gy_calendar_t *cal = self->config.calendar(self->config.arg);
    json_t *body = self->config.status(self->config.arg);
    json_object_del(body, "warning");
    json_t *years = json_array();
    size_t d = 0, ndays = gy_calendar_day_count(cal);
    for (size_t i = 0; i < gy_calendar_year_count(cal); i++) {
        const char *source;
        int year = gy_calendar_year_at(cal, i, &source);
        json_t *days = json_array();
        /*  Days are ascending, years too: one walk.  A listed day of a year
         *  not covered (a notice may name one) is not shown under a year. */
        for (; d < ndays; d++) {
            const char *kind, *name;
            gy_day_t day = gy_calendar_day_at(cal, d, &kind, &name);
            int y = gy_day_year(day);
            if (y > year)
                break;
            if (y < year)
                continue;
            char text[11];
            gy_day_format(day, text);
            json_array_append_new(
                days, json_pack("{s:s,s:s,s:s}", "day", text, "kind", kind, "name", name));
        }
        json_array_append_new(
            years, json_pack("{s:i,s:s,s:o}", "year", year, "source", source, "days", days));
    }
    json_object_set_new(body, "years", years);
    gy_reply_json(req, 200, body);
}

/*  ---- the check ---- */

static int s_year(const char *text, gy_error_t *err)
{
    int year = 0;
    bool digits = text && strlen(text) == 4;
    for (int i = 0; digits && i < 4; i++) {
        digits = text[i] >= '0' && text[i] <= '9';
        year = year * 10 + (text[i] - '0');
    }
    if (!digits || year < 1970) {
        gy_error_set(err, 400, "invalid_value", "year", "the year is four digits, 1970 to 9999");
        return -1;
    }
    return year;
}

/*  One element of "days", added to load->days when it keeps the rules. */
static int s_day(gy_calendar_load_t *load, size_t i, const json_t *v, json_t *rows, gy_error_t *err)
{
    static const char *const members[] = {"day", "kind", "name", NULL};
    char where[32], field[48];
    snprintf(where, sizeof where, "days[%zu]", i);
    if (!json_is_object(v)) {
        gy_error_set(err, 400, "invalid_type", where, "%s must be an object", where);
        return -1;
    }
    if (gy_json_known(v, where, members, err) < 0)
        return -1;
    const char *day, *kind, *name;
    snprintf(field, sizeof field, "%s.day", where);
    if (gy_json_text(json_object_get(v, "day"), field, true, 1, 10, false, &day, err) < 0)
        return -1;
    snprintf(field, sizeof field, "%s.kind", where);
    if (gy_json_text(json_object_get(v, "kind"), field, true, 1, 16, false, &kind, err) < 0)
        return -1;
    snprintf(field, sizeof field, "%s.name", where);
    if (gy_json_text(json_object_get(v, "name"), field, true, 1, S_NAME_MAX, false, &name, err) < 0)
        return -1;
    gy_day_problem_t problem = gy_calendar_day_check(load->days, day, kind, name);
    snprintf(field, sizeof field, "%s.%s", where,
             problem == GY_DAY_UNKNOWN_KIND                            ? "kind"
             : problem == GY_DAY_NO_NAME || problem == GY_DAY_BAD_NAME ? "name"
                                                                       : "day");
    switch (problem) {
    case GY_DAY_OK:
    case GY_DAY_WORKDAY_ON_WEEKDAY:
    case GY_DAY_TWICE: break;
    case GY_DAY_NOT_A_DATE:
    case GY_DAY_UNKNOWN_KIND:
    case GY_DAY_NO_NAME:
    case GY_DAY_BAD_NAME:
        gy_error_set(err, 400, "invalid_value", field, "%s: \"%s\" %s", field,
                     problem == GY_DAY_UNKNOWN_KIND ? kind : day, gy_day_problem_text(problem));
        return -1;
    }
    /*  A date of another year is refused before the other rules: the rows
     *  are this year's arrangement. */
    if (gy_day_year(gy_day_parse(day)) != load->year) {
        gy_error_set(err, 422, "day_not_in_year", field, "%s: %s is not in %d", field, day,
                     load->year);
        return -1;
    }
    if (problem != GY_DAY_OK) {
        gy_error_set(err, 422, problem == GY_DAY_TWICE ? "duplicate_day" : "workday_on_weekday",
                     field, "%s: %s %s", field, day, gy_day_problem_text(problem));
        return -1;
    }
    int rc = gy_calendar_add_day(load->days, day, kind, name, where);
    assert(rc == 0); /* checked above */
    (void)rc;
    json_array_append_new(rows, json_pack("{s:s,s:s,s:s}", "day", day, "kind", kind, "name", name));
    return 0;
}

int gy_calendar_load_check(const char *year, const json_t *body, gy_calendar_load_t *out,
                           gy_error_t *err)
{
    static const char *const members[] = {"source", "days", "replace", NULL};
    memset(out, 0, sizeof *out);
    if ((out->year = s_year(year, err)) < 0 || gy_json_known(body, "", members, err) < 0 ||
        gy_json_text(json_object_get(body, "source"), "source", true, 1, S_SOURCE_MAX, false,
                     &out->source, err) < 0)
        return -1;
    const json_t *replace = json_object_get(body, "replace");
    if (replace && !json_is_boolean(replace) && !json_is_null(replace)) {
        gy_error_set(err, 400, "invalid_type", "replace", "replace must be true or false");
        return -1;
    }
    out->replace = json_is_true(replace);
    const json_t *days = json_object_get(body, "days");
    if (!days || json_is_null(days)) {
        gy_error_set(err, 400, "missing_field", "days", "days is required");
        return -1;
    }
    if (!json_is_array(days)) {
        gy_error_set(err, 400, "invalid_type", "days", "days must be an array");
        return -1;
    }
    if (json_array_size(days) < 1 || json_array_size(days) > S_MAX_DAYS) {
        gy_error_set(err, 400, "invalid_value", "days",
                     "days has 1 to %d rows: the year's holidays and weekend days worked",
                     S_MAX_DAYS);
        return -1;
    }
    out->days = gy_calendar_new();
    int rc = gy_calendar_add_year(out->days, out->year, out->source, "the request");
    assert(rc == 0); /* a year and a one-line source: checked above */
    (void)rc;
    json_t *rows = json_array();
    for (size_t i = 0; i < json_array_size(days); i++) {
        if (s_day(out, i, json_array_get(days, i), rows, err) < 0) {
            json_decref(rows);
            gy_calendar_load_clear(out);
            return -1;
        }
    }
    out->days_json = json_dumps(rows, JSON_COMPACT);
    json_decref(rows);
    return 0;
}

void gy_calendar_load_clear(gy_calendar_load_t *load)
{
    gy_calendar_destroy(&load->days);
    free(load->days_json);
    load->days_json = NULL;
}

/*  ---- PUT ---- */

typedef struct {
    gy_calendar_api_t *api;
    gy_http_request_t *req;
    int year;
    char *source;
    size_t ndays;
    bool replaced;
    int64_t version;
} s_load_t;

static void s_on_load_rows(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_load_t *load = arg;
    if (gy_pg_ntuples(res) != 1)
        return;
    const char *value = gy_pg_value(res, 0, 0);
    if (index == 0)
        load->replaced = strcmp(value, "t") == 0;
    else
        load->version = strtoll(value, NULL, 10); /* the last statement's */
}

static void s_on_load_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_load_t *load = arg;
    gy_calendar_api_t *self = load->api;
    if (gy_hold_gone(&self->holds, load->req)) {
        free(load->source);
        free(load);
        return;
    }
    gy_http_request_t *req = load->req;
    if (status == GY_PG_ERROR && strcmp(sqlstate, "23505") == 0) {
        gy_http_respond_error(
            req, 409, "year_loaded",
            "this year's arrangement is loaded already and is not edited; to correct a wrong one, "
            "send the whole year again with \"replace\": true (an administrator of a province or "
            "of the Supreme People's Procuratorate); nothing was written",
            "year");
    } else if (status != GY_PG_OK) {
        gy_log_error("calendar: loading %d failed (SQLSTATE %s)", load->year, sqlstate);
        gy_http_respond_error(req, 503, "unavailable",
                              "the database is unavailable; nothing was written; retry later",
                              NULL);
    } else {
        gy_log_info("calendar: %d loaded (%zu days, %s), version %" PRId64, load->year, load->ndays,
                    load->replaced ? "replacing the year's earlier arrangement" : "new",
                    load->version);
        self->config.reload(self->config.arg);
        gy_reply_json(req, load->replaced ? 200 : 201,
                      json_pack("{s:i,s:s,s:I,s:b,s:I}", "year", load->year, "source", load->source,
                                "days", (json_int_t)load->ndays, "replaced", load->replaced,
                                "version", (json_int_t)load->version));
    }
    free(load->source);
    free(load);
}

static void s_put_route(gy_http_request_t *req, const gy_route_match_t *match, void *arg)
{
    gy_calendar_api_t *self = arg;
    const char *year = gy_route_param(match, "year");
    gy_token_claims_t claims;
    char prefix[7];
    if (gy_require_json(req) < 0 ||
        gy_auth_guard(req, self->config.token_public, &s_admins, &claims, prefix) < 0)
        return;
    gy_error_t err;
    size_t len;
    const char *text = gy_http_body(req, &len);
    json_t *body = gy_json_object_load(text, len, &err);
    gy_calendar_load_t checked;
    if (!body || gy_calendar_load_check(year, body, &checked, &err) < 0) {
        json_decref(body);
        gy_reply_error(req, &err);
        return;
    }
    /*  Replacing what every deadline of the site was judged on is a
     *  province's decision or the Supreme's, not a city's or a county's. */
    if (checked.replace && strlen(prefix) > 2) {
        gy_calendar_load_clear(&checked);
        json_decref(body);
        gy_http_respond_error(req, 403, "forbidden",
                              "only an administrator of a province or of the Supreme People's "
                              "Procuratorate may replace a year's arrangement",
                              "replace");
        return;
    }
    char year_s[8], at[24];
    snprintf(year_s, sizeof year_s, "%d", checked.year);
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    const char *record[] = {
        year_s, checked.source, checked.days_json, checked.replace ? "true" : "false", claims.sub,
        at};
    const char *year_row[] = {year_s, checked.source, at};
    const char *days[] = {checked.days_json};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "gy_calendar_record", 6, record, NULL);
    if (checked.replace)
        gy_pg_tx_add(tx, "gy_calendar_unload", 1, record, NULL);
    gy_pg_tx_add(tx, "gy_calendar_year", 3, year_row, NULL);
    gy_pg_tx_add(tx, "gy_calendar_clear", 1, record, NULL);
    gy_pg_tx_add(tx, "gy_calendar_days", 1, days, NULL);
    gy_pg_tx_add(tx, "gy_calendar_version", 0, NULL, NULL);
    s_load_t *load = gy_calloc(1, sizeof *load);
    load->api = self;
    load->req = req;
    load->year = checked.year;
    load->source = gy_strdup(checked.source);
    load->ndays = gy_calendar_day_count(checked.days);
    gy_calendar_load_clear(&checked);
    json_decref(body);
    if (gy_pg_run(self->config.writer, &tx, s_on_load_rows, s_on_load_done, load) < 0) {
        free(load->source);
        free(load);
        gy_http_respond_error(req, 503, "unavailable",
                              "the database is unavailable; nothing was written; retry later",
                              NULL);
        return;
    }
    gy_hold(&self->holds);
}
