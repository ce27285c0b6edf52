/*  workflow_deadline — see workflow_deadline.h. */
#include "workflow_deadline.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gy_clock.h"
#include "gy_text.h"
#include "gy_util.h"

typedef struct {
    int64_t from_ms; /* the decision to suspend */
    int64_t to_ms;   /* the decision to resume; -1 while open */
} s_suspension_t;

typedef struct {
    char *by;
    char *authority;
    gy_period_t size;
    char *reason;
    int64_t at_ms;
} s_extension_t;

typedef struct {
    gy_day_t from, to; /* the last day before and after */
    int64_t at_ms;     /* when the calendar was reloaded */
} s_reload_t;

struct workflow_deadline {
    const workflow_limit_t *rule; /* borrowed from the limits */
    int64_t start_ms;
    bool urgent;
    s_suspension_t *suspensions; /* in time order, at most one open (the last) */
    size_t nsuspensions;
    s_extension_t *extensions; /* in the order granted */
    size_t nextensions;
    s_reload_t *reloads;
    size_t nreloads;
    bool computed;            /* due holds a result, computed or stored */
    bool fresh;               /* computed here: the fields below hold its parts */
    gy_day_t base_nominal;    /* the nominal end of the period alone */
    workflow_due_t due;       /* the last result */
    gy_due_date_t period_due; /* the kit's part of it: suspended and rest-day reasons */
    gy_day_t *extension_ends; /* the nominal end after each extension */
};

static int s_refuse(workflow_deadline_error_t *error, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_refuse(workflow_deadline_error_t *error, const char *code, const char *fmt, ...)
{
    if (error) {
        gy_text_format(error->code, sizeof error->code, "%s", code);
        va_list ap;
        va_start(ap, fmt);
        gy_text_vformat(error->message, sizeof error->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void workflow_iso_format(int64_t ms, char out[25])
{
    int64_t secs = ms / 1000, milli = ms % 1000;
    if (milli < 0) {
        milli += 1000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    /*  19 characters of date and time, then the milliseconds. */
    size_t n = strftime(out, 25, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 25 - n, ".%03dZ", (int)milli);
}

static gy_period_t s_period(const workflow_deadline_t *self)
{
    return self->urgent ? self->rule->urgent : self->rule->period;
}

workflow_deadline_t *workflow_deadline_new(const workflow_limit_t *rule, int64_t start_ms,
                                           bool urgent, workflow_deadline_error_t *error)
{
    assert(rule);
    if (urgent && !rule->has_urgent) {
        s_refuse(error, "no_urgent_variant", "rule %s has no urgent variant", rule->rule);
        return NULL;
    }
    workflow_deadline_t *self = gy_calloc(1, sizeof *self);
    self->rule = rule;
    self->start_ms = start_ms;
    self->urgent = urgent;
    return self;
}

void workflow_deadline_destroy(workflow_deadline_t **self_p)
{
    assert(self_p);
    workflow_deadline_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nextensions; i++) {
        free(self->extensions[i].by);
        free(self->extensions[i].authority);
        free(self->extensions[i].reason);
    }
    free(self->extensions);
    free(self->extension_ends);
    free(self->suspensions);
    free(self->reloads);
    free(self);
    *self_p = NULL;
}

const workflow_limit_t *workflow_deadline_rule(const workflow_deadline_t *self)
{
    return self->rule;
}

static bool s_open(const workflow_deadline_t *self)
{
    return self->nsuspensions && self->suspensions[self->nsuspensions - 1].to_ms < 0;
}

int workflow_deadline_suspend(workflow_deadline_t *self, int64_t at_ms,
                              workflow_deadline_error_t *error)
{
    assert(self);
    if (s_open(self))
        return s_refuse(error, "already_suspended", "the case is suspended already");
    int64_t after =
        self->nsuspensions ? self->suspensions[self->nsuspensions - 1].to_ms : self->start_ms;
    if (at_ms < after)
        return s_refuse(error, "invalid_suspension",
                        "a suspension begins after the deadline's start and the last resumption");
    if (self->nsuspensions >= WORKFLOW_MAX_SUSPENSIONS)
        return s_refuse(error, "too_many_suspensions", "a deadline takes at most %d suspensions",
                        WORKFLOW_MAX_SUSPENSIONS);
    self->suspensions =
        gy_realloc(self->suspensions, (self->nsuspensions + 1) * sizeof *self->suspensions);
    self->suspensions[self->nsuspensions++] = (s_suspension_t){at_ms, -1};
    return 0;
}

int workflow_deadline_resume(workflow_deadline_t *self, int64_t at_ms,
                             workflow_deadline_error_t *error)
{
    assert(self);
    if (!s_open(self))
        return s_refuse(error, "not_suspended", "the case is not suspended");
    s_suspension_t *s = &self->suspensions[self->nsuspensions - 1];
    if (at_ms < s->from_ms)
        return s_refuse(error, "invalid_suspension", "a case resumes after it was suspended");
    s->to_ms = at_ms;
    return 0;
}

/*  How many extensions of a tier's role were granted. */
static int s_granted(const workflow_deadline_t *self, const char *role)
{
    int n = 0;
    for (size_t i = 0; i < self->nextensions; i++)
        if (strcmp(self->extensions[i].authority, role) == 0)
            n++;
    return n;
}

static int s_check_size(const workflow_extension_tier_t *tier, gy_period_t size,
                        workflow_deadline_error_t *error)
{
    if (size.unit != tier->size.unit || size.count > tier->size.count)
        return s_refuse(error, "extension_too_long",
                        "an extension by %s adds at most %d %s, not %d %s", tier->by_role,
                        tier->size.count, workflow_unit_name(tier->size.unit), size.count,
                        workflow_unit_name(size.unit));
    return 0;
}

int workflow_deadline_extend(workflow_deadline_t *self, const workflow_extension_t *ext,
                             workflow_deadline_error_t *error)
{
    assert(self && ext);
    const workflow_limit_t *r = self->rule;
    if (!ext->by || !*ext->by || !ext->reason || !*ext->reason || !ext->authority ||
        ext->size.count <= 0 ||
        (ext->size.unit != GY_PERIOD_DAYS && ext->size.unit != GY_PERIOD_MONTHS))
        return s_refuse(error, "invalid_extension",
                        "an extension names who decided, the authority, a size of at least 1 "
                        "day or month and a reason");
    /*  Both reach the stored JSON, which holds only UTF-8: a value jansson
     *  refused would drop the whole extension from the row. */
    long by_chars = gy_text_check(ext->by, strlen(ext->by), GY_TEXT_LINE);
    long reason_chars = gy_text_check(ext->reason, strlen(ext->reason), GY_TEXT_MULTILINE);
    if (by_chars < 0 || strlen(ext->by) > WORKFLOW_EXTENSION_BY_MAX || reason_chars < 0 ||
        reason_chars > WORKFLOW_EXTENSION_REASON_MAX)
        return s_refuse(error, "invalid_extension",
                        "who decided is one line of at most %d bytes and the reason at most %d "
                        "characters, both valid UTF-8 without control characters",
                        WORKFLOW_EXTENSION_BY_MAX, WORKFLOW_EXTENSION_REASON_MAX);
    if (!r->extend.by_role)
        return s_refuse(error, "extension_not_allowed", "rule %s cannot be extended", r->rule);

    /*  The first tier while it lasts, then the second. */
    const workflow_extension_tier_t *first = &r->extend, *further = &r->further;
    int first_used = s_granted(self, first->by_role);
    if (strcmp(ext->authority, first->by_role) == 0 && first_used < first->times) {
        if (s_check_size(first, ext->size, error) < 0)
            return -1;
    } else if (further->by_role && strcmp(ext->authority, further->by_role) == 0) {
        int further_used = strcmp(further->by_role, first->by_role) == 0
                               ? first_used - first->times
                               : s_granted(self, further->by_role);
        if (first_used < first->times)
            return s_refuse(error, "extension_out_of_order",
                            "rule %s is extended by %s first; %s approves only further "
                            "extensions",
                            r->rule, first->by_role, further->by_role);
        if (further_used >= further->times)
            return s_refuse(error, "extension_limit_reached",
                            "rule %s was extended as often as it may be (%d by %s, %d by %s)",
                            r->rule, first->times, first->by_role, further->times,
                            further->by_role);
        if (s_check_size(further, ext->size, error) < 0)
            return -1;
    } else if (strcmp(ext->authority, first->by_role) == 0) {
        if (further->by_role)
            return s_refuse(error, "extension_limit_reached",
                            "rule %s was extended by %s as often as it may be (%d); a further "
                            "extension needs %s",
                            r->rule, first->by_role, first->times, further->by_role);
        return s_refuse(error, "extension_limit_reached",
                        "rule %s was extended as often as it may be (%d by %s)", r->rule,
                        first->times, first->by_role);
    } else {
        char who[64];
        gy_text_excerpt(who, sizeof who, ext->authority);
        return s_refuse(error, "extension_wrong_role", "rule %s is extended by %s%s%s, not by %s",
                        r->rule, first->by_role, further->by_role ? ", then by " : "",
                        further->by_role ? further->by_role : "", who);
    }

    self->extensions =
        gy_realloc(self->extensions, (self->nextensions + 1) * sizeof *self->extensions);
    self->extensions[self->nextensions++] =
        (s_extension_t){gy_strdup(ext->by), gy_strdup(ext->authority), ext->size,
                        gy_strdup(ext->reason), ext->at_ms};
    return 0;
}

/*  ---- the result ---- */

/*  The Beijing days a suspension did not count: from the day of the
 *  decision to suspend to the day before the decision to resume. */
static bool s_suspended_days(const s_suspension_t *s, gy_suspension_t *out)
{
    out->first = gy_day_of_ms(s->from_ms);
    out->last = gy_day_of_ms(s->to_ms) - 1;
    return out->last >= out->first;
}

static int s_cmp_suspension(const void *a, const void *b)
{
    const gy_suspension_t *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

/*  The warn day: `n` working days before the last day. */
static gy_day_t s_warn_day(const gy_calendar_t *cal, gy_day_t last, int n)
{
    gy_day_t d = last;
    while (n > 0) {
        d--;
        if (gy_calendar_kind(cal, d, NULL, NULL) == GY_DAY_WORKING)
            n--;
    }
    return d;
}

void workflow_deadline_compute(workflow_deadline_t *self, const gy_calendar_t *cal)
{
    assert(self && cal);
    gy_day_t start = gy_day_of_ms(self->start_ms);
    gy_due_date_t part;

    /*  The period, then each extension from the nominal end before it. */
    int rc = gy_period_due(cal, self->start_ms, s_period(self), NULL, 0, &part);
    assert(rc == 0); /* the limits keep periods far below 100 years */
    gy_day_t nominal = part.nominal_day;
    self->base_nominal = nominal;
    free(self->extension_ends);
    self->extension_ends = gy_calloc(self->nextensions ? self->nextensions : 1, sizeof(gy_day_t));
    for (size_t i = 0; i < self->nextensions; i++) {
        rc = gy_period_due(cal, gy_day_start_ms(nominal), self->extensions[i].size, NULL, 0, &part);
        assert(rc == 0);
        nominal = part.nominal_day;
        self->extension_ends[i] = nominal;
    }

    /*  The closed suspensions, merged where they touch (gy_period_due
     *  wants each reason to fit); the open one, if any, apart. */
    gy_suspension_t closed[WORKFLOW_MAX_SUSPENSIONS] = {{0, 0}};
    size_t nclosed = 0;
    bool open = false;
    gy_day_t open_from = -1;
    for (size_t i = 0; i < self->nsuspensions; i++) {
        if (self->suspensions[i].to_ms < 0) {
            open = true;
            open_from = gy_day_of_ms(self->suspensions[i].from_ms);
            continue;
        }
        gy_suspension_t s;
        if (s_suspended_days(&self->suspensions[i], &s))
            closed[nclosed++] = s;
    }
    qsort(closed, nclosed, sizeof *closed, s_cmp_suspension);
    size_t merged = 0;
    for (size_t i = 0; i < nclosed; i++) {
        if (merged && closed[i].first <= closed[merged - 1].last + 1) {
            if (closed[i].last > closed[merged - 1].last)
                closed[merged - 1].last = closed[i].last;
        } else {
            closed[merged++] = closed[i];
        }
    }

    /*  The whole as days from the start: the same nominal end, with the
     *  suspended days and the rest-day shift applied once, at the end. */
    gy_period_t whole = {GY_PERIOD_DAYS, nominal - start};
    rc = gy_period_due(cal, self->start_ms, whole, closed, merged, &self->period_due);
    assert(rc == 0);

    workflow_due_t *due = &self->due;
    memset(due, 0, sizeof *due);
    due->nominal_day = nominal;
    if (open && open_from <= self->period_due.last_day) {
        due->paused = true;
        due->paused_from = open_from;
        due->last_day = -1;
        due->warn_day = -1;
    } else {
        due->due_ms = self->period_due.due_ms;
        due->last_day = self->period_due.last_day;
        due->provisional = self->period_due.provisional;
        due->uncovered_year = self->period_due.uncovered_year;
        due->warn_day = s_warn_day(cal, due->last_day, self->rule->warn_working_days);
        due->warn_ms = gy_day_start_ms(due->warn_day);
        if (due->warn_ms < self->start_ms)
            due->warn_ms = self->start_ms;
    }
    self->computed = true;
    self->fresh = true;
}

void workflow_deadline_recompute(workflow_deadline_t *self, const gy_calendar_t *cal, int64_t at_ms,
                                 bool *changed_p)
{
    assert(self && cal && changed_p);
    if (!self->computed) {
        workflow_deadline_compute(self, cal);
        *changed_p = true;
        return;
    }
    workflow_due_t before = self->due;
    workflow_deadline_compute(self, cal);
    const workflow_due_t *after = &self->due;
    *changed_p = before.paused != after->paused || before.last_day != after->last_day ||
                 before.warn_ms != after->warn_ms || before.provisional != after->provisional;
    if (!before.paused && !after->paused && before.last_day != after->last_day) {
        self->reloads = gy_realloc(self->reloads, (self->nreloads + 1) * sizeof *self->reloads);
        self->reloads[self->nreloads++] = (s_reload_t){before.last_day, after->last_day, at_ms};
    }
}

const workflow_due_t *workflow_deadline_due(const workflow_deadline_t *self)
{
    return self->computed ? &self->due : NULL;
}

/*  ---- JSON ---- */

static json_t *s_day_json(gy_day_t day)
{
    if (day < 0)
        return json_null();
    char text[11];
    gy_day_format(day, text);
    return json_string(text);
}

static json_t *s_ms_json(int64_t ms)
{
    char text[25];
    workflow_iso_format(ms, text);
    return json_string(text);
}

json_t *workflow_deadline_to_json(const workflow_deadline_t *self)
{
    assert(self);
    gy_period_t period = s_period(self);
    json_t *root = json_pack("{s:s,s:i,s:b,s:o,s:{s:i,s:s}}", "rule", self->rule->rule, "version",
                             self->rule->version, "urgent", self->urgent, "start_at",
                             s_ms_json(self->start_ms), "period", "count", period.count, "unit",
                             workflow_unit_name(period.unit));
    json_t *suspensions = json_array();
    for (size_t i = 0; i < self->nsuspensions; i++) {
        const s_suspension_t *s = &self->suspensions[i];
        gy_suspension_t days = {gy_day_of_ms(s->from_ms), -1};
        if (s->to_ms >= 0)
            days.last = gy_day_of_ms(s->to_ms) - 1;
        json_array_append_new(suspensions,
                              json_pack("{s:o,s:o,s:o,s:o}", "from_at", s_ms_json(s->from_ms),
                                        "to_at", s->to_ms < 0 ? json_null() : s_ms_json(s->to_ms),
                                        "first_day", s_day_json(days.first), "last_day",
                                        s->to_ms < 0 ? json_null() : s_day_json(days.last)));
    }
    json_object_set_new(root, "suspensions", suspensions);
    json_t *extensions = json_array();
    for (size_t i = 0; i < self->nextensions; i++) {
        const s_extension_t *e = &self->extensions[i];
        json_array_append_new(extensions,
                              json_pack("{s:s,s:s,s:i,s:s,s:s,s:o}", "by", e->by, "authority",
                                        e->authority, "count", e->size.count, "unit",
                                        workflow_unit_name(e->size.unit), "reason", e->reason, "at",
                                        s_ms_json(e->at_ms)));
    }
    json_object_set_new(root, "extensions", extensions);
    json_t *reloads = json_array();
    for (size_t i = 0; i < self->nreloads; i++)
        json_array_append_new(reloads,
                              json_pack("{s:o,s:o,s:o}", "from", s_day_json(self->reloads[i].from),
                                        "to", s_day_json(self->reloads[i].to), "at",
                                        s_ms_json(self->reloads[i].at_ms)));
    json_object_set_new(root, "reloads", reloads);
    if (!self->fresh)
        return root;

    const workflow_due_t *due = &self->due;
    json_object_set_new(root, "paused", json_boolean(due->paused));
    json_object_set_new(root, "paused_from",
                        due->paused ? s_day_json(due->paused_from) : json_null());
    json_object_set_new(root, "due_at", due->paused ? json_null() : s_ms_json(due->due_ms));
    json_object_set_new(root, "last_day", s_day_json(due->last_day));
    json_object_set_new(root, "nominal_day", s_day_json(due->nominal_day));
    json_object_set_new(root, "warn_at", due->paused ? json_null() : s_ms_json(due->warn_ms));
    json_object_set_new(root, "warn_day", s_day_json(due->warn_day));
    json_object_set_new(root, "provisional", json_boolean(due->provisional));
    json_object_set_new(root, "uncovered_year",
                        due->provisional ? json_integer(due->uncovered_year) : json_null());

    /*  Every reason the date moved: the extensions (from the nominal end
     *  before each), the kit's (suspended days; the rest-day shift, which
     *  a paused deadline has not had yet), the reloads. */
    json_t *reasons = json_array();
    for (size_t i = 0; i < self->nextensions; i++) {
        const s_extension_t *e = &self->extensions[i];
        gy_day_t from = i == 0 ? self->base_nominal : self->extension_ends[i - 1];
        json_array_append_new(reasons, json_pack("{s:s,s:o,s:o,s:s,s:s,s:i,s:s,s:s,s:o}", "reason",
                                                 "extension", "from", s_day_json(from), "to",
                                                 s_day_json(self->extension_ends[i]), "by", e->by,
                                                 "authority", e->authority, "count", e->size.count,
                                                 "unit", workflow_unit_name(e->size.unit), "note",
                                                 e->reason, "at", s_ms_json(e->at_ms)));
    }
    char *kit = gy_due_reasons_json(&self->period_due);
    json_t *kit_reasons = json_loads(kit, 0, NULL);
    free(kit);
    size_t i;
    json_t *r;
    json_array_foreach(kit_reasons, i, r) {
        bool rest = strcmp(json_string_value(json_object_get(r, "reason")), "rest_day") == 0;
        if (!(rest && due->paused))
            json_array_append(reasons, r);
    }
    json_decref(kit_reasons);
    for (size_t k = 0; k < self->nreloads; k++)
        json_array_append_new(reasons, json_pack("{s:s,s:o,s:o,s:o}", "reason", "calendar_reload",
                                                 "from", s_day_json(self->reloads[k].from), "to",
                                                 s_day_json(self->reloads[k].to), "at",
                                                 s_ms_json(self->reloads[k].at_ms)));
    json_object_set_new(root, "reasons", reasons);
    return root;
}

char *workflow_deadline_json(const workflow_deadline_t *self)
{
    json_t *root = workflow_deadline_to_json(self);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

/*  ---- reading it back ---- */

static int s_parse_ms(json_t *value, bool nullable, int64_t *out)
{
    if (nullable && json_is_null(value)) {
        *out = -1;
        return 0;
    }
    if (!json_is_string(value))
        return -1;
    *out = gy_clock_parse_iso(json_string_value(value));
    return *out == GY_CLOCK_INVALID ? -1 : 0;
}

static int s_parse_day(json_t *value, gy_day_t *out)
{
    if (json_is_null(value)) {
        *out = -1;
        return 0;
    }
    if (!json_is_string(value))
        return -1;
    *out = gy_day_parse(json_string_value(value));
    return *out < 0 ? -1 : 0;
}

static int s_parse_period(json_t *o, gy_period_t *out)
{
    const char *unit;
    int count;
    if (json_unpack(o, "{s:i,s:s}", "count", &count, "unit", &unit) < 0)
        return -1;
    int u = workflow_unit_parse(unit);
    if (u < 0 || count <= 0)
        return -1;
    *out = (gy_period_t){(gy_period_unit_t)u, count};
    return 0;
}

/*  The inputs and the stored result of root into self; -1 on anything
 *  malformed (the caller reports it). */
static int s_read(workflow_deadline_t *self, json_t *root, workflow_deadline_error_t *error)
{
    json_t *list = json_object_get(root, "suspensions");
    size_t i;
    json_t *o;
    if (!json_is_array(list))
        return s_refuse(error, "invalid_stored", "suspensions is not a list");
    json_array_foreach(list, i, o) {
        int64_t from, to;
        if (s_parse_ms(json_object_get(o, "from_at"), false, &from) < 0 ||
            s_parse_ms(json_object_get(o, "to_at"), true, &to) < 0)
            return s_refuse(error, "invalid_stored", "suspension %zu is malformed", i);
        if (workflow_deadline_suspend(self, from, error) < 0 ||
            (to >= 0 && workflow_deadline_resume(self, to, error) < 0))
            return -1;
    }
    list = json_object_get(root, "extensions");
    if (!json_is_array(list))
        return s_refuse(error, "invalid_stored", "extensions is not a list");
    json_array_foreach(list, i, o) {
        workflow_extension_t e = {0};
        if (json_unpack(o, "{s:s,s:s,s:s}", "by", &e.by, "authority", &e.authority, "reason",
                        &e.reason) < 0 ||
            s_parse_period(o, &e.size) < 0 ||
            s_parse_ms(json_object_get(o, "at"), false, &e.at_ms) < 0)
            return s_refuse(error, "invalid_stored", "extension %zu is malformed", i);
        if (workflow_deadline_extend(self, &e, error) < 0)
            return -1;
    }
    list = json_object_get(root, "reloads");
    if (!json_is_array(list))
        return s_refuse(error, "invalid_stored", "reloads is not a list");
    json_array_foreach(list, i, o) {
        s_reload_t r;
        if (s_parse_day(json_object_get(o, "from"), &r.from) < 0 || r.from < 0 ||
            s_parse_day(json_object_get(o, "to"), &r.to) < 0 || r.to < 0 ||
            s_parse_ms(json_object_get(o, "at"), false, &r.at_ms) < 0)
            return s_refuse(error, "invalid_stored", "reload %zu is malformed", i);
        self->reloads = gy_realloc(self->reloads, (self->nreloads + 1) * sizeof *self->reloads);
        self->reloads[self->nreloads++] = r;
    }

    /*  The last result, when one was stored: what a recompute compares. */
    json_t *paused = json_object_get(root, "paused");
    if (!paused)
        return 0;
    workflow_due_t *due = &self->due;
    int64_t due_ms, warn_ms;
    if (!json_is_boolean(paused) ||
        s_parse_ms(json_object_get(root, "due_at"), true, &due_ms) < 0 ||
        s_parse_ms(json_object_get(root, "warn_at"), true, &warn_ms) < 0 ||
        s_parse_day(json_object_get(root, "last_day"), &due->last_day) < 0 ||
        s_parse_day(json_object_get(root, "nominal_day"), &due->nominal_day) < 0 ||
        s_parse_day(json_object_get(root, "warn_day"), &due->warn_day) < 0 ||
        s_parse_day(json_object_get(root, "paused_from"), &due->paused_from) < 0 ||
        !json_is_boolean(json_object_get(root, "provisional")))
        return s_refuse(error, "invalid_stored", "the stored result is malformed");
    due->paused = json_is_true(paused);
    due->due_ms = due->paused ? 0 : due_ms;
    due->warn_ms = due->paused ? 0 : warn_ms;
    due->provisional = json_is_true(json_object_get(root, "provisional"));
    json_t *year = json_object_get(root, "uncovered_year");
    due->uncovered_year = json_is_integer(year) ? (int)json_integer_value(year) : 0;
    if (!due->paused && (due_ms < 0 || warn_ms < 0 || due->last_day < 0))
        return s_refuse(error, "invalid_stored", "the stored result has no due date");
    self->computed = true;
    return 0;
}

workflow_deadline_t *workflow_deadline_from_json(const workflow_limits_t *limits, const char *json,
                                                 workflow_deadline_error_t *error)
{
    assert(limits && json);
    workflow_deadline_error_t local;
    if (!error)
        error = &local;
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    const char *rule = NULL, *start_at = NULL;
    int version = 0, urgent = 0;
    workflow_deadline_t *self = NULL;
    if (!root || json_unpack(root, "{s:s,s:i,s:b,s:s}", "rule", &rule, "version", &version,
                             "urgent", &urgent, "start_at", &start_at) < 0) {
        s_refuse(error, "invalid_stored",
                 "not a stored deadline (rule, version, urgent, start_at)");
        goto fail;
    }
    const workflow_limit_t *limit = workflow_limits_find(limits, rule, version);
    if (!limit) {
        char quoted[80];
        gy_text_excerpt(quoted, sizeof quoted, rule);
        s_refuse(error, "unknown_rule", "no rule %s version %d in the time limits", quoted,
                 version);
        goto fail;
    }
    int64_t start_ms = gy_clock_parse_iso(start_at);
    if (start_ms == GY_CLOCK_INVALID) {
        s_refuse(error, "invalid_stored", "start_at is not an instant");
        goto fail;
    }
    self = workflow_deadline_new(limit, start_ms, urgent, error);
    if (!self || s_read(self, root, error) < 0)
        goto fail;
    json_decref(root);
    return self;
fail:
    gy_log_error("stored deadline refused: %s (%s)", error->message, error->code);
    workflow_deadline_destroy(&self);
    json_decref(root);
    return NULL;
}
