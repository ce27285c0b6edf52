/*  gy_refdata — see gy_refdata.h. */
#include "gy_refdata.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"

struct gy_refdata {
    gy_field_t *fields; /* sorted by code */
    size_t nfields;
    gy_region_t *regions; /* sorted by code */
    size_t nregions;
};

#define S_MAX_COLUMNS 8

/*  Splits one CSV line in place.  Double-quoted cells may hold commas;
 *  "" inside quotes is a quote.  Returns the number of cells. */
static int s_split_csv(char *line, char **cells, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *out = p;
        cells[n++] = p;
        if (*p == '"') {
            char *q = p + 1;
            for (;;) {
                if (*q == '\0')
                    break;
                if (*q == '"' && q[1] == '"') {
                    *out++ = '"';
                    q += 2;
                } else if (*q == '"') {
                    q++;
                    break;
                } else {
                    *out++ = *q++;
                }
            }
            p = q;
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        char *next = p;
        int more = *next == ',';
        *out = '\0';
        if (!more)
            break;
        p = next + 1;
    }
    return n;
}

typedef int(s_row_fn)(gy_refdata_t *self, char **cells, int ncells, const char *where);

static int s_load_csv(gy_refdata_t *self, const char *dir, const char *file, int columns,
                      s_row_fn *row_fn)
{
    char *path = gy_sprintf("%s/%s", dir, file);
    char *text = gy_read_file(path, NULL);
    if (!text) {
        free(path);
        return -1;
    }
    int rc = 0;
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (lineno == 1 || *line == '\0')
            continue; /* header */
        char *cells[S_MAX_COLUMNS];
        int n = s_split_csv(line, cells, S_MAX_COLUMNS);
        char where[300];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (n < columns) {
            gy_log_error("invalid reference data at %s: expected %d columns, found %d", where,
                         columns, n);
            rc = -1;
            break;
        }
        if (row_fn(self, cells, n, where) < 0) {
            rc = -1;
            break;
        }
    }
    free(text);
    free(path);
    return rc;
}

/*  The levels a procuratorate can have, lowest first (gy_refdata_level_rank). */
static const char *const s_levels[] = {"county", "city", "province", "supreme", NULL};

int gy_refdata_level_rank(const char *level)
{
    for (int i = 0; level && s_levels[i]; i++)
        if (strcmp(level, s_levels[i]) == 0)
            return i;
    return -1;
}

/*  Columns 5 and 6 of fields.csv: which case kinds the field allows and
 *  the lowest level that may act. */
static int s_field_law(gy_field_t *f, char **cells, const char *where)
{
    const char *kinds = cells[4];
    f->administrative = strcmp(kinds, "administrative") == 0 || strcmp(kinds, "both") == 0;
    f->civil = strcmp(kinds, "civil") == 0 || strcmp(kinds, "both") == 0;
    if (!f->administrative && !f->civil) {
        gy_log_error("invalid case kinds \"%s\" at %s, column 5 (case_kinds)", kinds, where);
        gy_log_error("hint: case_kinds is administrative, civil or both.");
        return -1;
    }
    int rank = gy_refdata_level_rank(cells[5]);
    if (rank < 0 || rank > 2) {
        gy_log_error("invalid level \"%s\" at %s, column 6 (min_level)", cells[5], where);
        gy_log_error("hint: min_level is county, city or province: the lowest procuratorate "
                     "that may act in the field.");
        return -1;
    }
    f->min_level = s_levels[rank];
    return 0;
}

static int s_field_row(gy_refdata_t *self, char **cells, int ncells, const char *where)
{
    const char *code = cells[0];
    if (!*code || strlen(code) > 32) {
        gy_log_error("invalid field code at %s", where);
        return -1;
    }
    for (const char *c = code; *c; c++) {
        if (!islower((unsigned char)*c) && *c != '_' && !isdigit((unsigned char)*c)) {
            gy_log_error("invalid field code \"%s\" at %s", code, where);
            gy_log_error("hint: field codes are lower-case letters, digits and underscores.");
            return -1;
        }
    }
    gy_field_t law = {0};
    if (s_field_law(&law, cells, where) < 0)
        return -1;
    self->fields = gy_realloc(self->fields, (self->nfields + 1) * sizeof *self->fields);
    gy_field_t *f = &self->fields[self->nfields++];
    *f = law;
    f->code = gy_strdup(code);
    f->name_zh = gy_strdup(cells[1]);
    f->name_en = gy_strdup(cells[2]);
    f->description_zh = gy_strdup(ncells > 6 ? cells[6] : "");
    return 0;
}

static int s_is_region_code(const char *s)
{
    if (strlen(s) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int s_region_row(gy_refdata_t *self, char **cells, int ncells, const char *where)
{
    if (!s_is_region_code(cells[0]) || (*cells[1] && !s_is_region_code(cells[1]))) {
        gy_log_error("invalid region code at %s: codes are six digits (GB/T 2260)", where);
        return -1;
    }
    if (gy_refdata_level_rank(cells[2]) < 0) {
        gy_log_error("invalid level \"%s\" at %s", cells[2], where);
        return -1;
    }
    self->regions = gy_realloc(self->regions, (self->nregions + 1) * sizeof *self->regions);
    gy_region_t *r = &self->regions[self->nregions++];
    snprintf(r->code, sizeof r->code, "%s", cells[0]);
    snprintf(r->parent, sizeof r->parent, "%s", cells[1]);
    r->level = gy_strdup(cells[2]);
    r->name_zh = gy_strdup(cells[3]);
    r->procuratorate_zh = gy_strdup(cells[4]);
    return 0;
}

static int s_cmp_field(const void *a, const void *b)
{
    return strcmp(((const gy_field_t *)a)->code, ((const gy_field_t *)b)->code);
}

static int s_cmp_region(const void *a, const void *b)
{
    return strcmp(((const gy_region_t *)a)->code, ((const gy_region_t *)b)->code);
}

gy_refdata_t *gy_refdata_new(const char *dir)
{
    gy_refdata_t *self = gy_calloc(1, sizeof *self);
    if (s_load_csv(self, dir, "fields.csv", 6, s_field_row) < 0 ||
        s_load_csv(self, dir, "regions.csv", 5, s_region_row) < 0)
        goto fail;
    if (self->nfields == 0 || self->nregions == 0) {
        gy_log_error("reference data in \"%s\" is empty", dir);
        goto fail;
    }
    qsort(self->fields, self->nfields, sizeof *self->fields, s_cmp_field);
    qsort(self->regions, self->nregions, sizeof *self->regions, s_cmp_region);
    for (size_t i = 1; i < self->nfields; i++) {
        if (strcmp(self->fields[i - 1].code, self->fields[i].code) == 0) {
            gy_log_error("duplicate field code \"%s\" in %s/fields.csv", self->fields[i].code, dir);
            goto fail;
        }
    }
    for (size_t i = 0; i < self->nregions; i++) {
        if (i > 0 && strcmp(self->regions[i - 1].code, self->regions[i].code) == 0) {
            gy_log_error("duplicate region code \"%s\" in %s/regions.csv", self->regions[i].code,
                         dir);
            goto fail;
        }
    }
    for (size_t i = 0; i < self->nregions; i++) {
        const char *parent = self->regions[i].parent;
        if (*parent && !gy_refdata_region(self, parent)) {
            gy_log_error("region %s names parent %s, which is not in %s/regions.csv",
                         self->regions[i].code, parent, dir);
            goto fail;
        }
    }
    return self;
fail:
    gy_refdata_destroy(&self);
    return NULL;
}

void gy_refdata_destroy(gy_refdata_t **self_p)
{
    assert(self_p);
    gy_refdata_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nregions; i++) {
        free(self->regions[i].procuratorate_zh);
        free(self->regions[i].name_zh);
        free(self->regions[i].level);
    }
    free(self->regions);
    for (size_t i = 0; i < self->nfields; i++) {
        free(self->fields[i].name_en);
        free(self->fields[i].description_zh);
        free(self->fields[i].name_zh);
        free(self->fields[i].code);
    }
    free(self->fields);
    free(self);
    *self_p = NULL;
}

const gy_field_t *gy_refdata_field(const gy_refdata_t *self, const char *code)
{
    gy_field_t key = {.code = (char *)code};
    return bsearch(&key, self->fields, self->nfields, sizeof key, s_cmp_field);
}

const gy_region_t *gy_refdata_region(const gy_refdata_t *self, const char *code)
{
    if (strlen(code) != 6)
        return NULL;
    gy_region_t key = {.code = ""}; /* the comparison reads only the code */
    memcpy(key.code, code, 7);
    return bsearch(&key, self->regions, self->nregions, sizeof key, s_cmp_region);
}

size_t gy_refdata_field_count(const gy_refdata_t *self)
{
    return self->nfields;
}

const gy_field_t *gy_refdata_field_at(const gy_refdata_t *self, size_t i)
{
    assert(i < self->nfields);
    return &self->fields[i];
}

size_t gy_refdata_region_count(const gy_refdata_t *self)
{
    return self->nregions;
}

const gy_region_t *gy_refdata_region_at(const gy_refdata_t *self, size_t i)
{
    assert(i < self->nregions);
    return &self->regions[i];
}

void gy_region_ancestor(const char *code, int keep, char out[7])
{
    assert(code && strlen(code) == 6 && (keep == 2 || keep == 4));
    memcpy(out, code, (size_t)keep);
    memset(out + keep, '0', (size_t)(6 - keep));
    out[6] = '\0';
}

json_t *gy_refdata_fields_json(const gy_refdata_t *self)
{
    assert(self);
    json_t *fields = json_array();
    for (size_t i = 0; i < gy_refdata_field_count(self); i++) {
        const gy_field_t *f = gy_refdata_field_at(self, i);
        json_t *kinds = json_array();
        if (f->administrative)
            json_array_append_new(kinds, json_string("administrative"));
        if (f->civil)
            json_array_append_new(kinds, json_string("civil"));
        json_array_append_new(fields, json_pack("{s:s,s:s,s:s,s:o,s:s,s:s}", "code", f->code,
                                                "name_zh", f->name_zh, "name_en", f->name_en,
                                                "case_kinds", kinds, "min_level", f->min_level,
                                                "description_zh", f->description_zh));
    }
    return json_pack("{s:o}", "fields", fields);
}

json_t *gy_refdata_regions_json(const gy_refdata_t *self)
{
    assert(self);
    json_t *regions = json_array();
    for (size_t i = 0; i < gy_refdata_region_count(self); i++) {
        const gy_region_t *r = gy_refdata_region_at(self, i);
        json_array_append_new(regions,
                              json_pack("{s:s,s:o,s:s,s:s,s:s}", "code", r->code, "parent",
                                        r->parent[0] ? json_string(r->parent) : json_null(),
                                        "level", r->level, "name_zh", r->name_zh,
                                        "procuratorate_zh", r->procuratorate_zh));
    }
    return json_pack("{s:o}", "regions", regions);
}
