/*  gy_calendar — see gy_calendar.h. */
#include "gy_calendar.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_text.h"
#include "gy_util.h"

typedef struct {
    gy_day_t day;
    bool workday; /* a weekend day worked instead; otherwise a holiday */
    char *name;
} s_day_t;

typedef struct {
    int year;
    char *source; /* the notice that made the arrangement */
} s_year_t;

struct gy_calendar {
    s_day_t *days; /* ascending */
    size_t ndays;
    size_t days_cap;
    s_year_t *years; /* ascending */
    size_t nyears;
    size_t years_cap;
};

/*  ---- days ---- */

gy_day_t gy_day_from_civil(int y, int m, int d)
{
    /*  Howard Hinnant's days_from_civil. */
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (gy_day_t)(era * 146097 + doe - 719468);
}

static void s_civil(gy_day_t day, int *y_p, int *m_p, int *d_p)
{
    /*  Howard Hinnant's civil_from_days. */
    long z = (long)day + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    *y_p = (int)(y + (m <= 2));
    *m_p = (int)m;
    *d_p = (int)d;
}

static int s_month_days(int y, int m)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mdays[m - 1] + (m == 2 && leap);
}

gy_day_t gy_day_of_ms(int64_t ms)
{
    int64_t local = ms + GY_BEIJING_OFFSET_MS;
    int64_t day = local / GY_DAY_MS;
    if (local % GY_DAY_MS < 0)
        day--;
    return (gy_day_t)day;
}

int64_t gy_day_start_ms(gy_day_t day)
{
    return (int64_t)day * GY_DAY_MS - GY_BEIJING_OFFSET_MS;
}

gy_day_t gy_day_parse(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > s_month_days(y, m))
        return -1;
    return gy_day_from_civil(y, m, d);
}

void gy_day_format(gy_day_t day, char out[11])
{
    int y, m, d;
    s_civil(day, &y, &m, &d);
    /*  Unsigned and bounded, so the compiler sees that 10 characters fit. */
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

int gy_day_year(gy_day_t day)
{
    int y, m, d;
    s_civil(day, &y, &m, &d);
    return y;
}

int gy_day_isodow(gy_day_t day)
{
    /*  1970-01-01 was a Thursday. */
    int r = (int)(((long)day + 3) % 7);
    return (r < 0 ? r + 7 : r) + 1;
}

/*  ---- the calendar ---- */

gy_calendar_t *gy_calendar_new(void)
{
    return gy_calloc(1, sizeof(gy_calendar_t));
}

void gy_calendar_destroy(gy_calendar_t **self_p)
{
    assert(self_p);
    gy_calendar_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->ndays; i++)
        free(self->days[i].name);
    for (size_t i = 0; i < self->nyears; i++)
        free(self->years[i].source);
    free(self->days);
    free(self->years);
    free(self);
    *self_p = NULL;
}

static const s_day_t *s_find_day(const gy_calendar_t *self, gy_day_t day)
{
    size_t lo = 0, hi = self->ndays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->days[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->ndays && self->days[lo].day == day ? &self->days[lo] : NULL;
}

int gy_calendar_add_year(gy_calendar_t *self, int year, const char *source, const char *where)
{
    if (year < 1970 || year > 9999) {
        gy_log_error("invalid holiday calendar at %s: %d is not a year", where, year);
        return -1;
    }
    if (!source || !*source) {
        gy_log_error("invalid holiday calendar at %s: year %d names no source", where, year);
        return -1;
    }
    /*  As for a day's name (below): JSON holds only UTF-8, and a year left
     *  out of it would not be covered in the database (fuzz_holidays). */
    if (gy_text_check(source, strlen(source), GY_TEXT_LINE) < 0) {
        gy_log_error("invalid holiday calendar at %s: the source of year %d is not one line of "
                     "valid UTF-8",
                     where, year);
        return -1;
    }
    size_t at = 0;
    while (at < self->nyears && self->years[at].year < year)
        at++;
    if (at < self->nyears && self->years[at].year == year) {
        gy_log_error("invalid holiday calendar at %s: year %d is listed twice", where, year);
        return -1;
    }
    if (self->nyears == self->years_cap) {
        self->years_cap = self->years_cap ? self->years_cap * 2 : 8;
        self->years = gy_realloc(self->years, self->years_cap * sizeof *self->years);
    }
    memmove(&self->years[at + 1], &self->years[at], (self->nyears - at) * sizeof *self->years);
    self->years[at] = (s_year_t){year, gy_strdup(source)};
    self->nyears++;
    return 0;
}

gy_day_problem_t gy_calendar_day_check(const gy_calendar_t *self, const char *text,
                                       const char *kind, const char *name)
{
    gy_day_t day = gy_day_parse(text);
    if (day < 0)
        return GY_DAY_NOT_A_DATE;
    bool workday = strcmp(kind, "workday") == 0;
    if (!workday && strcmp(kind, "holiday") != 0)
        return GY_DAY_UNKNOWN_KIND;
    if (!name || !*name)
        return GY_DAY_NO_NAME;
    /*  Names reach the database and /healthz as JSON, which holds only
     *  UTF-8: a name that is not would drop its day without a word (found
     *  by fuzz_holidays). */
    if (gy_text_check(name, strlen(name), GY_TEXT_LINE) < 0)
        return GY_DAY_BAD_NAME;
    if (workday && gy_day_isodow(day) < 6)
        return GY_DAY_WORKDAY_ON_WEEKDAY;
    if (s_find_day(self, day))
        return GY_DAY_TWICE;
    return GY_DAY_OK;
}

const char *gy_day_problem_text(gy_day_problem_t problem)
{
    switch (problem) {
    case GY_DAY_OK: return "a valid day";
    case GY_DAY_NOT_A_DATE: return "is not a date (YYYY-MM-DD)";
    case GY_DAY_UNKNOWN_KIND: return "has a kind that is neither holiday nor workday";
    case GY_DAY_NO_NAME: return "has no name";
    case GY_DAY_BAD_NAME: return "has a name that is not one line of valid UTF-8";
    case GY_DAY_WORKDAY_ON_WEEKDAY:
        return "is a weekday; a workday line names a weekend day worked instead";
    case GY_DAY_TWICE: return "is listed twice";
    }
    return "is wrong";
}

int gy_calendar_add_day(gy_calendar_t *self, const char *text, const char *kind, const char *name,
                        const char *where)
{
    gy_day_problem_t problem = gy_calendar_day_check(self, text, kind, name);
    if (problem != GY_DAY_OK) {
        gy_log_error("invalid holiday calendar at %s: \"%s\" (%s) %s", where, text, kind,
                     gy_day_problem_text(problem));
        return -1;
    }
    gy_day_t day = gy_day_parse(text);
    bool workday = strcmp(kind, "workday") == 0;
    size_t at = self->ndays;
    while (at > 0 && self->days[at - 1].day > day)
        at--;
    if (self->ndays == self->days_cap) {
        self->days_cap = self->days_cap ? self->days_cap * 2 : 64;
        self->days = gy_realloc(self->days, self->days_cap * sizeof *self->days);
    }
    memmove(&self->days[at + 1], &self->days[at], (self->ndays - at) * sizeof *self->days);
    self->days[at] = (s_day_t){day, workday, gy_strdup(name)};
    self->ndays++;
    return 0;
}

gy_calendar_t *gy_calendar_parse(const char *text, const char *where)
{
    gy_calendar_t *self = gy_calendar_new();
    int lineno = 0;
    bool header = false;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, "\n");
        char line[512], at[256];
        lineno++;
        snprintf(at, sizeof at, "%s:%d", where, lineno);
        if (len >= sizeof line) {
            gy_log_error("invalid holiday calendar at %s: line too long", at);
            goto fail;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (p[len] == '\n');
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (!len || line[0] == '#')
            continue;
        if (!header) {
            if (strcmp(line, "date,kind,name") != 0) {
                gy_log_error("invalid holiday calendar at %s: expected the header "
                             "\"date,kind,name\"",
                             at);
                goto fail;
            }
            header = true;
            continue;
        }
        char *kind = strchr(line, ',');
        char *name = kind ? strchr(kind + 1, ',') : NULL;
        if (!name) {
            gy_log_error("invalid holiday calendar at %s: expected date,kind,name", at);
            goto fail;
        }
        *kind++ = '\0';
        *name++ = '\0';
        if (strcmp(kind, "year") == 0) {
            char *end;
            long year = strtol(line, &end, 10);
            if (strlen(line) != 4 || *end || year < 1970) {
                gy_log_error("invalid holiday calendar at %s: \"%s\" is not a year (YYYY)", at,
                             line);
                goto fail;
            }
            if (gy_calendar_add_year(self, (int)year, name, at) < 0)
                goto fail;
        } else if (gy_calendar_add_day(self, line, kind, name, at) < 0) {
            goto fail;
        }
    }
    if (!header) {
        gy_log_error("invalid holiday calendar %s: empty", where);
        goto fail;
    }
    return self;
fail:
    gy_calendar_destroy(&self);
    return NULL;
}

gy_calendar_t *gy_calendar_load(const char *path)
{
    size_t len;
    char *text = gy_read_file(path, &len);
    if (!text)
        return NULL; /* logged by gy_read_file */
    gy_calendar_t *self = gy_calendar_parse(text, path);
    free(text);
    return self;
}

size_t gy_calendar_day_count(const gy_calendar_t *self)
{
    return self->ndays;
}

size_t gy_calendar_year_count(const gy_calendar_t *self)
{
    return self->nyears;
}

int gy_calendar_year_at(const gy_calendar_t *self, size_t i, const char **source_p)
{
    assert(i < self->nyears);
    if (source_p)
        *source_p = self->years[i].source;
    return self->years[i].year;
}

gy_day_t gy_calendar_day_at(const gy_calendar_t *self, size_t i, const char **kind_p,
                            const char **name_p)
{
    assert(i < self->ndays);
    if (kind_p)
        *kind_p = self->days[i].workday ? "workday" : "holiday";
    if (name_p)
        *name_p = self->days[i].name;
    return self->days[i].day;
}

bool gy_calendar_covers(const gy_calendar_t *self, int year)
{
    for (size_t i = 0; i < self->nyears; i++)
        if (self->years[i].year == year)
            return true;
    return false;
}

gy_day_t gy_calendar_covered_until(const gy_calendar_t *self, gy_day_t day)
{
    int year = gy_day_year(day);
    if (!gy_calendar_covers(self, year))
        return -1;
    while (gy_calendar_covers(self, year + 1))
        year++;
    return gy_day_from_civil(year, 12, 31);
}

gy_day_kind_t gy_calendar_kind(const gy_calendar_t *self, gy_day_t day, const char **name_p,
                               bool *covered_p)
{
    bool covered = gy_calendar_covers(self, gy_day_year(day));
    if (covered_p)
        *covered_p = covered;
    /*  A listed day counts even in a year not covered: a notice may name
     *  days of the year before (a late-December 调休). */
    const s_day_t *listed = s_find_day(self, day);
    if (listed) {
        if (name_p)
            *name_p = listed->name;
        return listed->workday ? GY_DAY_WORKING : GY_DAY_REST;
    }
    int dow = gy_day_isodow(day);
    if (name_p)
        *name_p = dow == 6 ? "星期六" : dow == 7 ? "星期日" : "";
    return dow >= 6 ? GY_DAY_REST : GY_DAY_WORKING;
}

char *gy_calendar_json(const gy_calendar_t *self)
{
    json_t *years = json_array();
    for (size_t i = 0; i < self->nyears; i++)
        json_array_append_new(years, json_pack("{s:i,s:s}", "year", self->years[i].year, "source",
                                               self->years[i].source));
    json_t *days = json_array();
    for (size_t i = 0; i < self->ndays; i++) {
        char day[11];
        gy_day_format(self->days[i].day, day);
        json_array_append_new(days, json_pack("{s:s,s:s,s:s}", "day", day, "kind",
                                              self->days[i].workday ? "workday" : "holiday", "name",
                                              self->days[i].name));
    }
    json_t *root = json_pack("{s:o,s:o}", "years", years, "days", days);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

/*  ---- legal periods ---- */

/*  Copies at most size-1 bytes, cut at a character boundary. */
static void s_copy_utf8(char *out, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static void s_reason(gy_due_date_t *out, const gy_due_reason_t *r)
{
    if (out->nreasons < GY_DUE_MAX_REASONS)
        out->reasons[out->nreasons++] = *r;
}

static bool s_suspended(gy_day_t day, const gy_suspension_t *s, size_t n, size_t *which_p)
{
    for (size_t i = 0; i < n; i++) {
        if (day >= s[i].first && day <= s[i].last) {
            *which_p = i;
            return true;
        }
    }
    return false;
}

int gy_period_due(const gy_calendar_t *cal, int64_t start_ms, gy_period_t period,
                  const gy_suspension_t *suspensions, size_t nsuspensions, gy_due_date_t *out)
{
    assert(cal && out && period.count > 0 && (suspensions || nsuspensions == 0));
    memset(out, 0, sizeof *out);
    gy_day_t start = gy_day_of_ms(start_ms);
    out->start_day = start;
    if ((period.unit == GY_PERIOD_DAYS && period.count > 36600) ||
        (period.unit == GY_PERIOD_MONTHS && period.count > 1200) ||
        nsuspensions > GY_DUE_MAX_REASONS - 1)
        return -1;

    /*  The period alone: the day after the event is the first day. */
    gy_day_t last;
    if (period.unit == GY_PERIOD_DAYS) {
        last = start + period.count;
    } else {
        int y, m, d;
        s_civil(start, &y, &m, &d);
        int months = m - 1 + period.count;
        y += months / 12;
        m = months % 12 + 1;
        int mdays = s_month_days(y, m);
        last = gy_day_from_civil(y, m, d <= mdays ? d : mdays);
    }
    out->nominal_day = last;

    /*  Suspended days do not count: every one inside the period pushes
     *  the end on by a day that is not suspended itself. */
    size_t *counted = gy_calloc(nsuspensions ? nsuspensions : 1, sizeof *counted);
    int owed = 0;
    for (gy_day_t d = start + 1; d <= last; d++) {
        size_t which;
        if (s_suspended(d, suspensions, nsuspensions, &which)) {
            counted[which]++;
            owed++;
        }
    }
    gy_day_t before = last;
    while (owed > 0) {
        last++;
        size_t which;
        if (s_suspended(last, suspensions, nsuspensions, &which))
            counted[which]++;
        else
            owed--;
    }
    for (size_t i = 0; i < nsuspensions; i++) {
        if (!counted[i])
            continue;
        gy_due_reason_t r = {.why = GY_MOVED_SUSPENDED,
                             .from = before,
                             .to = last,
                             .days = (int)counted[i],
                             .suspension_first = suspensions[i].first,
                             .suspension_last = suspensions[i].last};
        s_reason(out, &r);
    }
    free(counted);

    /*  A last day that is a rest day ends on the next working day.  A day
     *  in a year not covered is judged by its weekday and the result is
     *  provisional. */
    before = last;
    const char *first_name = "";
    for (;;) {
        const char *name;
        bool covered;
        gy_day_kind_t kind = gy_calendar_kind(cal, last, &name, &covered);
        if (!covered && !out->provisional) {
            out->provisional = true;
            out->uncovered_year = gy_day_year(last);
        }
        if (kind == GY_DAY_WORKING)
            break;
        if (last == before)
            first_name = name;
        last++;
    }
    if (last != before) {
        gy_due_reason_t r = {.why = GY_MOVED_REST_DAY, .from = before, .to = last};
        s_copy_utf8(r.name, sizeof r.name, first_name);
        s_reason(out, &r);
    }
    out->last_day = last;
    out->due_ms = gy_day_start_ms(last + 1);
    return 0;
}

json_t *gy_due_reasons(const gy_due_date_t *due)
{
    json_t *a = json_array();
    for (size_t i = 0; i < due->nreasons; i++) {
        const gy_due_reason_t *r = &due->reasons[i];
        char from[11], to[11];
        gy_day_format(r->from, from);
        gy_day_format(r->to, to);
        json_t *o = json_pack("{s:s,s:s,s:s}", "reason",
                              r->why == GY_MOVED_REST_DAY ? "rest_day" : "suspended", "from", from,
                              "to", to);
        if (r->why == GY_MOVED_REST_DAY) {
            json_object_set_new(o, "name", json_string(r->name));
        } else {
            char first[11], last[11];
            gy_day_format(r->suspension_first, first);
            gy_day_format(r->suspension_last, last);
            json_object_set_new(o, "days", json_integer(r->days));
            json_object_set_new(o, "suspended_from", json_string(first));
            json_object_set_new(o, "suspended_to", json_string(last));
        }
        json_array_append_new(a, o);
    }
    return a;
}

char *gy_due_reasons_json(const gy_due_date_t *due)
{
    json_t *a = gy_due_reasons(due);
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return text;
}
