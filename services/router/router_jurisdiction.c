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
    router_match_t *places;      /* every region's name but the root's: organs' places */
    const gy_region_t **regions; /* keyword index of places = index here */
    size_t nregions;
};

/*  What an organ's name ends in, after its place (镇江市 + 生态环境局). */
static const char *const s_organ_suffixes[] = {
    "局", "厅", "委员会", "管委会", "人民政府", "政府", "办公室", "管理处", "管理所", "大队", NULL,
};
/*  An organ's name does not run across these: the clause ends. */
static const char *const s_clause_ends[] = {
    "，", "。", "；", "：", "、", "！", "？", ",", ".", ";", ":", "!", "?", " ", "\n", NULL,
};
#define S_ORGAN_NAME_MAX 36 /* bytes after the place: 12 CJK characters */

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
    self->places = router_match_new();
    self->regions = gy_calloc(n, sizeof *self->regions);
    for (size_t i = 0; i < n; i++) {
        const gy_region_t *r = gy_refdata_region_at(ref, i);
        if (!*r->parent || !*r->name_zh)
            continue;
        router_match_add(self->places, r->name_zh);
        self->regions[self->nregions++] = r;
    }
    router_match_compile(self->places);
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
    router_match_destroy(&self->places);
    free(self->regions);
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
        gy_region_ancestor(code, 4, probe);
        const gy_region_t *r = gy_refdata_region(self->ref, probe);
        if (r)
            return r;
        gy_region_ancestor(code, 2, probe);
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

/*  Rule 3: the highest organ of the clue's place or above that the text
 *  names.  Place names are reported in order of their end; a place right
 *  before another (镇江市丹徒区) is the larger one naming the smaller, so the
 *  organ that follows belongs to the smaller. */
typedef struct {
    const router_jurisdiction_t *self;
    const gy_region_t *home; /* the clue's region */
    const char *text;
    size_t len;
    const gy_region_t *organ; /* the highest found so far */
    int organ_depth;
} s_organ_scan_t;

static int s_depth(const router_jurisdiction_t *self, const gy_region_t *r)
{
    int depth = 0;
    while (r && *r->parent) {
        depth++;
        r = gy_refdata_region(self->ref, r->parent);
    }
    return depth;
}

/*  Whether `above` is `r` or one of its ancestors. */
static bool s_covers(const router_jurisdiction_t *self, const gy_region_t *above,
                     const gy_region_t *r)
{
    for (; r; r = *r->parent ? gy_refdata_region(self->ref, r->parent) : NULL)
        if (r == above)
            return true;
    return false;
}

static bool s_at(const char *s, const char *word)
{
    return strncmp(s, word, strlen(word)) == 0;
}

/*  Whether an organ's name ends after text[from], within the clause. */
static bool s_organ_follows(const s_organ_scan_t *scan, size_t from)
{
    size_t limit = from + S_ORGAN_NAME_MAX < scan->len ? from + S_ORGAN_NAME_MAX : scan->len;
    for (size_t i = from; i < limit; i++) {
        const char *p = scan->text + i;
        for (const char *const *e = s_clause_ends; *e; e++)
            if (s_at(p, *e))
                return false;
        for (const char *const *o = s_organ_suffixes; *o; o++)
            if (i + strlen(*o) <= scan->len && s_at(p, *o))
                return true;
    }
    return false;
}

static void s_on_place(void *arg, size_t keyword, size_t end)
{
    s_organ_scan_t *scan = arg;
    const gy_region_t *place = scan->self->regions[keyword];
    if (!s_covers(scan->self, place, scan->home))
        return;
    /* Another place name starting here: the organ is that one's. */
    for (size_t k = 0; k < scan->self->nregions; k++) {
        const char *name = scan->self->regions[k]->name_zh;
        if (s_at(scan->text + end, name))
            return;
    }
    if (!s_organ_follows(scan, end))
        return;
    int depth = s_depth(scan->self, place);
    if (!scan->organ || depth < scan->organ_depth) {
        scan->organ = place;
        scan->organ_depth = depth;
    }
}

static const gy_region_t *s_named_organ(const router_jurisdiction_t *self, const gy_region_t *home,
                                        const char *title, const char *description)
{
    s_organ_scan_t scan = {self, home, NULL, 0, NULL, 0};
    const char *texts[] = {title, description};
    for (int i = 0; i < 2; i++) {
        if (!texts[i])
            continue;
        scan.text = texts[i];
        scan.len = strlen(texts[i]);
        router_match_scan(self->places, scan.text, scan.len, s_on_place, &scan);
    }
    return scan.organ;
}

static void s_set(router_decision_t *out, const gy_region_t *r, const char *queue, const char *rule)
{
    snprintf(out->procuratorate, sizeof out->procuratorate, "%s", r ? r->code : "");
    out->queue = queue;
    out->rule = rule;
}

/*  The field's lowest level: a decision below it goes up the tree to the
 *  first procuratorate at that level or above. */
static void s_raise_to_field_level(const router_jurisdiction_t *self, const gy_field_t *field,
                                   router_decision_t *out)
{
    int min_rank = gy_refdata_level_rank(field->min_level);
    const gy_region_t *r = gy_refdata_region(self->ref, out->procuratorate);
    if (!r || gy_refdata_level_rank(r->level) >= min_rank)
        return;
    while (r && gy_refdata_level_rank(r->level) < min_rank)
        r = *r->parent ? gy_refdata_region(self->ref, r->parent) : NULL;
    if (!r)
        return; /* nothing above: the tree's root is the last resort it already had */
    s_set(out, r, out->queue, "field_level");
    s_city_of(self, r, out->city);
}

static void s_decide(const router_jurisdiction_t *self, const char *region_code, const char *title,
                     const char *description, bool major, bool administrative,
                     router_decision_t *out);

void router_jurisdiction_decide(const router_jurisdiction_t *self, const char *region_code,
                                const char *field_code, const char *title, const char *description,
                                bool major, bool administrative, router_decision_t *out)
{
    const gy_field_t *field = field_code ? gy_refdata_field(self->ref, field_code) : NULL;
    if (field && !field->administrative)
        administrative = false; /* no administrative case can follow: no organ decides */
    s_decide(self, region_code, title, description, major, administrative, out);
    if (field)
        s_raise_to_field_level(self, field, out);
}

static void s_decide(const router_jurisdiction_t *self, const char *region_code, const char *title,
                     const char *description, bool major, bool administrative,
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
    const gy_region_t *organ = administrative ? s_named_organ(self, r, title, description) : NULL;
    if (organ) {
        s_set(out, organ, ROUTER_QUEUE_HANDLING, "organ");
        s_city_of(self, organ, out->city);
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
