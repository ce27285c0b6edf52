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

#include <stddef.h>

typedef struct {
    char *code;
    char *name_zh;
    char *name_en;
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
 *  file and line) when either is missing or wrong. */
gy_refdata_t *gy_refdata_new(const char *dir);
void gy_refdata_destroy(gy_refdata_t **self_p);

const gy_field_t *gy_refdata_field(const gy_refdata_t *self, const char *code);
const gy_region_t *gy_refdata_region(const gy_refdata_t *self, const char *code);

size_t gy_refdata_field_count(const gy_refdata_t *self);
const gy_field_t *gy_refdata_field_at(const gy_refdata_t *self, size_t i);
size_t gy_refdata_region_count(const gy_refdata_t *self);
const gy_region_t *gy_refdata_region_at(const gy_refdata_t *self, size_t i);

#endif
