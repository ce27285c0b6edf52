/*  gy_metrics — see gy_metrics.h.
 *
 *  Every series lives in one hash table keyed by name and label text, so the
 *  hot path (count/set/observe from a request) is a hash lookup.  Families
 *  and their series are also kept in lists in order of first mention so the
 *  exposition is stable from one scrape to the next.
 */
#include "gy_metrics.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"

typedef enum { S_COUNTER, S_GAUGE, S_HISTOGRAM } s_kind_t;

static const char *s_kind_names[] = {"counter", "gauge", "histogram"};

/*  Upper bounds of the histogram buckets, in seconds, and the same bounds as
 *  the `le` label prints them (text, so 0.0025 never becomes 0.0025000001). */
#define S_NBUCKETS 14
static const double s_bounds[S_NBUCKETS - 1] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                0.25,  0.5,    1,     2.5,  5,     10};
static const char *s_le[S_NBUCKETS] = {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                                       "0.25",  "0.5",    "1",     "2.5",  "5",     "10",   "+Inf"};

typedef struct s_series s_series_t;

typedef struct s_family {
    struct s_family *next; /* next family in order of first mention */
    char *name;
    s_kind_t kind;
    char *help;             /* NULL until described */
    bool bad_labels_logged; /* so a caller's escaping bug is logged once */
    s_series_t *first;      /* series in order of creation */
    s_series_t *last;
} s_family_t;

struct s_series {
    s_series_t *next;  /* next series of the same family */
    s_series_t *chain; /* next series in the same hash slot */
    uint64_t hash;
    s_family_t *family;
    char *labels;
    uint64_t count;    /* counter value, or number of observations */
    double value;      /* gauge value, or sum of observations */
    uint64_t *buckets; /* histogram only: observations per bucket, not cumulative */
};

struct gy_metrics {
    s_family_t *families; /* in order of first mention */
    s_family_t *last_family;
    s_series_t **slots; /* hash table of every series */
    size_t nslots;      /* a power of two */
    size_t nseries;
};

gy_metrics_t *gy_metrics_new(void)
{
    gy_metrics_t *self = gy_calloc(1, sizeof *self);
    self->nslots = 64;
    self->slots = gy_calloc(self->nslots, sizeof(s_series_t *));
    return self;
}

void gy_metrics_destroy(gy_metrics_t **self_p)
{
    assert(self_p);
    gy_metrics_t *self = *self_p;
    if (!self)
        return;
    s_family_t *family = self->families;
    while (family) {
        s_series_t *series = family->first;
        while (series) {
            s_series_t *next = series->next;
            free(series->buckets);
            free(series->labels);
            free(series);
            series = next;
        }
        s_family_t *next = family->next;
        free(family->name);
        free(family->help);
        free(family);
        family = next;
    }
    free(self->slots);
    free(self);
    *self_p = NULL;
}

/*  Metric names are literals in the services, so a bad one is a bug. */
static bool s_valid_name(const char *name)
{
    if (!*name)
        return false;
    for (const char *c = name; *c; c++) {
        bool alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' || *c == ':';
        if (!alpha && !(c > name && *c >= '0' && *c <= '9'))
            return false;
    }
    return true;
}

/*  Checks `name="value",...` as the text format defines it, with values
 *  escaped (\\, \" and \n).  Label values may be built from data, so a
 *  mistake there must not corrupt the whole exposition. */
static bool s_valid_labels(const char *labels, bool histogram)
{
    const char *p = labels;
    while (*p) {
        const char *start = p;
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
            return false;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
               (*p >= '0' && *p <= '9'))
            p++;
        /*  A histogram adds its own `le`; a second one would be ambiguous. */
        if (histogram && p - start == 2 && strncmp(start, "le", 2) == 0)
            return false;
        if (p[0] != '=' || p[1] != '"')
            return false;
        p += 2;
        while (*p != '"') {
            if (*p == '\0' || *p == '\n')
                return false;
            if (*p == '\\') {
                if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
                    return false;
                p++;
            }
            p++;
        }
        p++;
        if (*p == ',' && p[1] != '\0')
            p++;
        else if (*p != '\0')
            return false;
    }
    return true;
}

static uint64_t s_hash(const char *name, const char *labels)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (const char *c = name; *c; c++)
        h = (h ^ (uint8_t)*c) * 1099511628211u;
    h = (h ^ 0xff) * 1099511628211u; /* keeps "ab"+"c" apart from "a"+"bc" */
    for (const char *c = labels; *c; c++)
        h = (h ^ (uint8_t)*c) * 1099511628211u;
    return h;
}

static s_family_t *s_family_find(gy_metrics_t *self, const char *name)
{
    for (s_family_t *family = self->families; family; family = family->next)
        if (strcmp(family->name, name) == 0)
            return family;
    return NULL;
}

/*  Finds or creates the family; its kind is fixed by whichever comes first,
 *  describe or use, and using it as another kind is a bug. */
static s_family_t *s_family_require(gy_metrics_t *self, const char *name, s_kind_t kind)
{
    s_family_t *family = s_family_find(self, name);
    if (family) {
        assert(family->kind == kind && "metric used as two different types");
        return family;
    }
    assert(s_valid_name(name) && "invalid metric name");
    family = gy_calloc(1, sizeof *family);
    family->name = gy_strdup(name);
    family->kind = kind;
    if (self->last_family)
        self->last_family->next = family;
    else
        self->families = family;
    self->last_family = family;
    return family;
}

static void s_grow(gy_metrics_t *self)
{
    size_t nslots = self->nslots * 2;
    s_series_t **slots = gy_calloc(nslots, sizeof(s_series_t *));
    for (size_t i = 0; i < self->nslots; i++) {
        s_series_t *series = self->slots[i];
        while (series) {
            s_series_t *chain = series->chain;
            size_t slot = series->hash & (nslots - 1);
            series->chain = slots[slot];
            slots[slot] = series;
            series = chain;
        }
    }
    free(self->slots);
    self->slots = slots;
    self->nslots = nslots;
}

/*  The series for name and labels, created on first use; NULL (logged once
 *  per metric) when the labels are not valid exposition text. */
static s_series_t *s_series_require(gy_metrics_t *self, const char *name, const char *labels,
                                    s_kind_t kind)
{
    assert(self);
    assert(name);
    if (!labels)
        labels = "";
    uint64_t hash = s_hash(name, labels);
    for (s_series_t *series = self->slots[hash & (self->nslots - 1)]; series;
         series = series->chain) {
        if (series->hash == hash && strcmp(series->family->name, name) == 0 &&
            strcmp(series->labels, labels) == 0) {
            assert(series->family->kind == kind && "metric used as two different types");
            return series;
        }
    }
    s_family_t *family = s_family_require(self, name, kind);
    if (!s_valid_labels(labels, kind == S_HISTOGRAM)) {
        if (!family->bad_labels_logged)
            gy_log_error("invalid labels for metric \"%s\"; the series is not recorded", name);
        family->bad_labels_logged = true;
        return NULL;
    }
    s_series_t *series = gy_calloc(1, sizeof *series);
    series->hash = hash;
    series->family = family;
    series->labels = gy_strdup(labels);
    if (kind == S_HISTOGRAM)
        series->buckets = gy_calloc(S_NBUCKETS, sizeof *series->buckets);
    if (family->last)
        family->last->next = series;
    else
        family->first = series;
    family->last = series;

    if (self->nseries >= self->nslots)
        s_grow(self);
    size_t slot = hash & (self->nslots - 1);
    series->chain = self->slots[slot];
    self->slots[slot] = series;
    self->nseries++;
    return series;
}

void gy_metrics_describe(gy_metrics_t *self, const char *name, const char *type, const char *help)
{
    assert(self);
    assert(name);
    assert(type);
    int kind = S_COUNTER;
    while (kind <= S_HISTOGRAM && strcmp(type, s_kind_names[kind]) != 0)
        kind++;
    assert(kind <= S_HISTOGRAM && "metric type must be counter, gauge or histogram");
    s_family_t *family = s_family_require(self, name, (s_kind_t)kind);
    free(family->help);
    family->help = help ? gy_strdup(help) : NULL;
}

void gy_metrics_count(gy_metrics_t *self, const char *name, const char *labels, uint64_t n)
{
    s_series_t *series = s_series_require(self, name, labels, S_COUNTER);
    if (series)
        series->count += n;
}

void gy_metrics_set(gy_metrics_t *self, const char *name, const char *labels, double value)
{
    s_series_t *series = s_series_require(self, name, labels, S_GAUGE);
    if (series)
        series->value = value;
}

void gy_metrics_observe(gy_metrics_t *self, const char *name, const char *labels, double seconds)
{
    s_series_t *series = s_series_require(self, name, labels, S_HISTOGRAM);
    if (!series)
        return;
    size_t bucket = 0;
    while (bucket < S_NBUCKETS - 1 && !(seconds <= s_bounds[bucket]))
        bucket++;
    series->buckets[bucket]++;
    series->count++;
    series->value += seconds;
}

/*  For a histogram, the number of observations. */
double gy_metrics_value(gy_metrics_t *self, const char *name, const char *labels)
{
    assert(self);
    assert(name);
    if (!labels)
        labels = "";
    uint64_t hash = s_hash(name, labels);
    for (s_series_t *series = self->slots[hash & (self->nslots - 1)]; series;
         series = series->chain) {
        if (series->hash == hash && strcmp(series->family->name, name) == 0 &&
            strcmp(series->labels, labels) == 0)
            return series->family->kind == S_GAUGE ? series->value : (double)series->count;
    }
    return 0;
}

/*  Prometheus reads Go float syntax: NaN, +Inf and -Inf are spelled out, and
 *  the shortest text that reads back as the same double keeps the page small. */
static void s_append_double(gy_buf_t *buf, double value)
{
    if (isnan(value)) {
        gy_buf_append(buf, "NaN", 3);
        return;
    }
    if (isinf(value)) {
        gy_buf_printf(buf, "%s", value > 0 ? "+Inf" : "-Inf");
        return;
    }
    char text[32];
    snprintf(text, sizeof text, "%.15g", value);
    if (strtod(text, NULL) != value)
        snprintf(text, sizeof text, "%.17g", value);
    gy_buf_printf(buf, "%s", text);
}

/*  HELP text escapes only backslash and newline. */
static void s_append_help(gy_buf_t *buf, const char *help)
{
    for (const char *c = help; *c; c++) {
        if (*c == '\\')
            gy_buf_append(buf, "\\\\", 2);
        else if (*c == '\n')
            gy_buf_append(buf, "\\n", 2);
        else
            gy_buf_append(buf, c, 1);
    }
}

static void s_render_histogram(gy_buf_t *buf, const s_family_t *family, const s_series_t *series)
{
    const char *name = family->name;
    const char *comma = *series->labels ? "," : "";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < S_NBUCKETS; i++) {
        cumulative += series->buckets[i];
        gy_buf_printf(buf, "%s_bucket{%s%sle=\"%s\"} %" PRIu64 "\n", name, series->labels, comma,
                      s_le[i], cumulative);
    }
    const char *open = *series->labels ? "{" : "";
    const char *close = *series->labels ? "}" : "";
    gy_buf_printf(buf, "%s_sum%s%s%s ", name, open, series->labels, close);
    s_append_double(buf, series->value);
    gy_buf_printf(buf, "\n%s_count%s%s%s %" PRIu64 "\n", name, open, series->labels, close,
                  series->count);
}

char *gy_metrics_render(gy_metrics_t *self)
{
    assert(self);
    gy_buf_t buf = {0};
    gy_buf_append(&buf, "", 0);
    for (const s_family_t *family = self->families; family; family = family->next) {
        if (family->help) {
            gy_buf_printf(&buf, "# HELP %s ", family->name);
            s_append_help(&buf, family->help);
            gy_buf_append(&buf, "\n", 1);
        }
        gy_buf_printf(&buf, "# TYPE %s %s\n", family->name, s_kind_names[family->kind]);
        for (const s_series_t *series = family->first; series; series = series->next) {
            if (family->kind == S_HISTOGRAM) {
                s_render_histogram(&buf, family, series);
                continue;
            }
            gy_buf_printf(&buf, "%s", family->name);
            if (*series->labels)
                gy_buf_printf(&buf, "{%s}", series->labels);
            gy_buf_append(&buf, " ", 1);
            if (family->kind == S_COUNTER)
                gy_buf_printf(&buf, "%" PRIu64, series->count);
            else
                s_append_double(&buf, series->value);
            gy_buf_append(&buf, "\n", 1);
        }
    }
    return buf.data;
}
