/*  router_calendar — see router_calendar.h. */
#include "router_calendar.h"

#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"

typedef struct {
    char day[11];
    char kind[8];
    char *name;
} s_day_t;

struct router_calendar {
    s_day_t *days;
    size_t ndays;
};

/*  Days since 1970-01-01 of a valid YYYY-MM-DD, or -1 (civil calendar:
 *  Howard Hinnant's days_from_civil). */
static long s_days(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1970 || y > 2999 || m < 1 ||
        m > 12 || d < 1)
        return -1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap))
        return -1;
    y -= m <= 2;
    long era = y / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

router_calendar_t *router_calendar_parse(const char *text, const char *where)
{
    router_calendar_t *self = gy_calloc(1, sizeof *self);
    size_t cap = 0;
    int lineno = 0;
    bool header = false;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, "\n");
        char line[256];
        lineno++;
        if (len >= sizeof line) {
            gy_log_error("invalid holiday calendar at %s:%d: line too long", where, lineno);
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
                gy_log_error("invalid holiday calendar at %s:%d: expected the header "
                             "\"date,kind,name\"",
                             where, lineno);
                goto fail;
            }
            header = true;
            continue;
        }
        char *kind = strchr(line, ',');
        char *name = kind ? strchr(kind + 1, ',') : NULL;
        if (!name || !name[1]) {
            gy_log_error("invalid holiday calendar at %s:%d: expected date,kind,name", where,
                         lineno);
            goto fail;
        }
        *kind++ = '\0';
        *name++ = '\0';
        long days = s_days(line);
        if (days < 0) {
            gy_log_error("invalid holiday calendar at %s:%d: \"%s\" is not a date (YYYY-MM-DD)",
                         where, lineno, line);
            goto fail;
        }
        if (strcmp(kind, "holiday") != 0 && strcmp(kind, "workday") != 0) {
            gy_log_error("invalid holiday calendar at %s:%d: kind is holiday or workday, not "
                         "\"%s\"",
                         where, lineno, kind);
            goto fail;
        }
        /*  1970-01-01 was a Thursday: ISO weekday 4. */
        int isodow = (int)((days + 3) % 7) + 1;
        if (strcmp(kind, "workday") == 0 && isodow < 6) {
            gy_log_error("invalid holiday calendar at %s:%d: %s is a weekday; a workday line "
                         "names a weekend day worked instead",
                         where, lineno, line);
            goto fail;
        }
        /*  The days reach the database as JSON (router_calendar_json),
         *  which holds only UTF-8: a name that is not would drop its day
         *  from the calendar without a word. */
        json_t *name_json = json_string(name);
        if (!name_json) {
            gy_log_error("invalid holiday calendar at %s:%d: the name is not valid UTF-8", where,
                         lineno);
            goto fail;
        }
        json_decref(name_json);
        for (size_t i = 0; i < self->ndays; i++) {
            if (strcmp(self->days[i].day, line) == 0) {
                gy_log_error("invalid holiday calendar at %s:%d: %s is listed twice", where, lineno,
                             line);
                goto fail;
            }
        }
        if (self->ndays == cap) {
            cap = cap ? cap * 2 : 64;
            self->days = gy_realloc(self->days, cap * sizeof *self->days);
        }
        s_day_t *d = &self->days[self->ndays++];
        snprintf(d->day, sizeof d->day, "%s", line);
        snprintf(d->kind, sizeof d->kind, "%s", kind);
        d->name = gy_strdup(name);
    }
    if (!header) {
        gy_log_error("invalid holiday calendar %s: empty", where);
        goto fail;
    }
    return self;
fail:
    router_calendar_destroy(&self);
    return NULL;
}

router_calendar_t *router_calendar_new(const char *path)
{
    size_t len;
    char *text = gy_read_file(path, &len);
    if (!text)
        return NULL; /* logged by gy_read_file */
    router_calendar_t *self = router_calendar_parse(text, path);
    free(text);
    return self;
}

void router_calendar_destroy(router_calendar_t **self_p)
{
    assert(self_p);
    router_calendar_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->ndays; i++)
        free(self->days[i].name);
    free(self->days);
    free(self);
    *self_p = NULL;
}

size_t router_calendar_count(const router_calendar_t *self)
{
    return self->ndays;
}

char *router_calendar_json(const router_calendar_t *self)
{
    json_t *a = json_array();
    for (size_t i = 0; i < self->ndays; i++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "day", self->days[i].day, "kind",
                                           self->days[i].kind, "name", self->days[i].name));
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return text;
}
