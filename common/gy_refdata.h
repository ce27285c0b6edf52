/*  gy_refdata — the reference data every service validates against: the
 *  field list and the procuratorate tree keyed by GB/T 2260 region codes.
 *
 *  It is data, not code (DESIGN.md invariant 7): read at start from
 *  fields.csv and regions.csv in a folder (GY_REFDATA_DIR), checked (unique
 *  codes, six-digit regions, every parent present), and held in memory
 *  sorted for lookups.  Services copy what they need into their own schema.
 */
#ifndef GY_REFDATA_H
#define GY_REFDATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*  A field of public-interest litigation (fields.csv, one row each): what
 *  the law that added it allows.  Columns: code, name_zh, name_en, origin,
 *  case_kinds (administrative, civil or both), min_level (county, city or
 *  province: the lowest procuratorate that may act; 反垄断法 art. 60 lets
 *  only a 设区的市 or above sue), and optionally description_zh (what the
 *  field covers, in the public's words). */
typedef struct {
    char *code;
    char *name_zh;
    char *name_en;
    bool administrative;   /* administrative cases allowed */
    bool civil;            /* civil cases allowed */
    const char *min_level; /* "county", "city" or "province" (static) */
    char *description_zh;  /* what the field covers, for the public; "" when the file has no
                              column 7 (description_zh) */
} gy_field_t;

typedef struct {
    char code[7];
    char parent[7]; /* "" for the root */
    char *level;    /* supreme, province, city, county */
    char *name_zh;
    char *procuratorate_zh;
} gy_region_t;

typedef struct gy_refdata gy_refdata_t;

/*  Loads and checks dir/fields.csv and dir/regions.csv.  NULL (logged, with
 *  file, line and, for a bad cell, its column) when either is missing or
 *  wrong. */
gy_refdata_t *gy_refdata_new(const char *dir);
void gy_refdata_destroy(gy_refdata_t **self_p);

const gy_field_t *gy_refdata_field(const gy_refdata_t *self, const char *code);
const gy_region_t *gy_refdata_region(const gy_refdata_t *self, const char *code);
/*  The GB/T 2260 code of an ancestor of a six-digit code: its first keep
 *  digits (2: the province, 4: the city) followed by zeros. */
void gy_region_ancestor(const char *code, int keep, char out[7]);

/*  The rank of a procuratorate level, lowest first: county 0, city 1,
 *  province 2, supreme 3; -1 for anything else. */
int gy_refdata_level_rank(const char *level);

size_t gy_refdata_field_count(const gy_refdata_t *self);
const gy_field_t *gy_refdata_field_at(const gy_refdata_t *self, size_t i);
size_t gy_refdata_region_count(const gy_refdata_t *self);
const gy_region_t *gy_refdata_region_at(const gy_refdata_t *self, size_t i);

/*  What a form shows (docs/api.md, "Reference data"), by code:
 *  {"fields":[{"code","name_zh","name_en","case_kinds":[...],"min_level",
 *  "description_zh"}]}
 *  and {"regions":[{"code","parent","level","name_zh","procuratorate_zh"}]}
 *  (parent null for the root).  The caller owns the result. */
json_t *gy_refdata_fields_json(const gy_refdata_t *self);
json_t *gy_refdata_regions_json(const gy_refdata_t *self);

#endif
