/*  router_jurisdiction — see router_jurisdiction.h. */
#include "router_jurisdiction.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"
#include "router_match.h"

struct router_jurisdiction {
    const gy_refdata_t *ref; /* borrowed */
    router_match_t *names;   /* county names; keyword index = index into counties */
    const gy_region_t **counties;
    size_t ncounties;
};

router_jurisdiction_t *router_jurisdiction_new(const gy_refdata_t *ref)
{
    router_jurisdiction_t *self = gy_calloc(1, sizeof *self);
    self->ref = ref;
    self->names = router_match_new();
    size_t n = gy_refdata_region_count(ref);
    self->counties = gy_calloc(n, sizeof *self->counties);
    for (size_t i = 0; i < n; i++) {
        const gy_region_t *r = gy_refdata_region_at(ref, i);
        if (strcmp(r->level, "county") != 0 || !*r->name_zh)
            continue;
        router_match_add(self->names, r->name_zh);
        self->counties[self->ncounties++] = r;
    }
    router_match_compile(self->names);
    return self;
}

void router_jurisdiction_destroy(router_jurisdiction_t **self_p)
{
    assert(self_p);
    router_jurisdiction_t *self = *self_p;
    if (!self)
        return;
    router_match_destroy(&self->names);
    free(self->counties);
    free(self);
    *self_p = NULL;
}

/*  The city of a region ("" when it has none): itself, or its parent. */
static void s_city_of(const router_jurisdiction_t *self, const gy_region_t *r, char city[7])
{
    city[0] = '\0';
    while (r) {
        if (strcmp(r->level, "city") == 0) {
            memcpy(city, r->code, 7);
            return;
        }
        r = *r->parent ? gy_refdata_region(self->ref, r->parent) : NULL;
    }
}

/*  Rule 1: the nearest ancestor a code names by its digits. */
static const gy_region_t *s_nearest_known(const router_jurisdiction_t *self, const char *code)
{
    char probe[7];
    if (strlen(code) == 6) {
        snprintf(probe, sizeof probe, "%.4s00", code);
        const gy_region_t *r = gy_refdata_region(self->ref, probe);
        if (r)
            return r;
        snprintf(probe, sizeof probe, "%.2s0000", code);
        r = gy_refdata_region(self->ref, probe);
        if (r)
            return r;
    }
    for (size_t i = 0; i < gy_refdata_region_count(self->ref); i++) {
        const gy_region_t *r = gy_refdata_region_at(self->ref, i);
        if (!*r->parent)
            return r;
    }
    return NULL;
}

typedef struct {
    const router_jurisdiction_t *self;
    const gy_region_t *home;
    bool other_county;
} s_scan_t;

static void s_on_name(void *arg, size_t keyword, size_t end)
{
    s_scan_t *scan = arg;
    const gy_region_t *c = scan->self->counties[keyword];
    if (c != scan->home && strcmp(c->parent, scan->home->parent) == 0)
        scan->other_county = true;
}

static void s_set(router_decision_t *out, const gy_region_t *r, const char *queue,
                  const char *rule)
{
    snprintf(out->procuratorate, sizeof out->procuratorate, "%s", r ? r->code : "");
    out->queue = queue;
    out->rule = rule;
}

void router_jurisdiction_decide(const router_jurisdiction_t *self, const char *region_code,
                                const char *title, const char *description, bool major,
                                router_decision_t *out)
{
    memset(out, 0, sizeof *out);
    const gy_region_t *r = gy_refdata_region(self->ref, region_code);
    if (!r) {
        const gy_region_t *near = s_nearest_known(self, region_code);
        s_set(out, near, ROUTER_QUEUE_TRIAGE, "unknown_region");
        s_city_of(self, near, out->city);
        return;
    }
    s_city_of(self, r, out->city);
    if (strcmp(r->level, "county") != 0) {
        s_set(out, r, ROUTER_QUEUE_TRIAGE, "not_county");
        return;
    }
    const gy_region_t *city = *out->city ? gy_refdata_region(self->ref, out->city) : NULL;
    if (major && city) {
        s_set(out, city, ROUTER_QUEUE_HANDLING, "major");
        return;
    }
    s_scan_t scan = {self, r, false};
    if (title)
        router_match_scan(self->names, title, strlen(title), s_on_name, &scan);
    if (description && !scan.other_county)
        router_match_scan(self->names, description, strlen(description), s_on_name, &scan);
    if (scan.other_county && city) {
        s_set(out, city, ROUTER_QUEUE_HANDLING, "cross_county");
        return;
    }
    s_set(out, r, ROUTER_QUEUE_HANDLING, "county");
}
