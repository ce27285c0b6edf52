/*  router_jurisdiction — which procuratorate is competent for a clue, by the
 *  rules of DESIGN.md ("Jurisdiction"), over the procuratorate tree of
 *  reference/regions.csv (GB/T 2260 codes, through gy_refdata).
 *
 *  Rules, in order:
 *  1. A region code that is not in the tree: the nearest ancestor the code
 *     names (its city xxxx00, else its province xx0000, else the root) gets
 *     the clue in its triage queue — a person must place it.
 *  2. A code that is only a city, a province or the root: that
 *     procuratorate's triage queue (the county is unknown; a city's
 *     prosecutors assign it).
 *  3. An administrative matter (router_rules found `!organ_failure`
 *     words: an organ failing its duty) whose text names an organ of the
 *     clue's place or of a region above it — a place name followed, within
 *     the same clause, by 局, 厅, 委员会, 人民政府 ...  (镇江市生态环境局,
 *     丹徒区人民政府): the procuratorate at the level of that organ,
 *     handling queue; the highest such organ when several are named.
 *     Rule "organ"; it applies to a county code and to a city or province
 *     code alike (a named organ places the clue).
 *  4. A county code and a major matter (router_rules found a `!major`
 *     keyword) or a cross-county one (the text names another county of the
 *     same city, e.g. 丹徒区 … 句容市): the city procuratorate, handling
 *     queue.
 *  5. Otherwise a county code: that county's procuratorate, handling
 *     queue (civil cases go to the county where the act or harm occurred).
 *
 *  The clue's field (reference/fields.csv, gy_field_t) bounds all of these:
 *  - a field without administrative cases (反垄断: civil only) ignores
 *    the organ rule: no administrative case can follow from it;
 *  - a procuratorate below the field's lowest level (反垄断: a 设区的市 or
 *    above, 反垄断法 art. 60) hands the clue to its nearest ancestor at
 *    that level or above, in the same queue, rule "field_level" (a
 *    county's 反垄断 clue goes to its city's handling queue).
 *  An unknown field code (the router's reference data is older than
 *  intake's) bounds nothing.
 *
 *  Region names are matched with router_match automata built at
 *  construction; deciding allocates nothing.
 */
#ifndef ROUTER_JURISDICTION_H
#define ROUTER_JURISDICTION_H

#include <stdbool.h>

#include "gy_refdata.h"

#define ROUTER_QUEUE_HANDLING "handling"
#define ROUTER_QUEUE_TRIAGE   "triage"

typedef struct router_jurisdiction router_jurisdiction_t;

typedef struct {
    char procuratorate[7]; /* region code of the competent procuratorate */
    const char *queue;     /* ROUTER_QUEUE_HANDLING or ROUTER_QUEUE_TRIAGE (static) */
    const char *rule;      /* static: unknown_region, organ, not_county, major, cross_county,
                              county, field_level */
    char city[7];          /* the city above the decision ("" when none): for scoping lists */
} router_decision_t;

/*  ref is borrowed and must outlive the object. */
router_jurisdiction_t *router_jurisdiction_new(const gy_refdata_t *ref);
void router_jurisdiction_destroy(router_jurisdiction_t **self_p);

/*  Decides for a clue of field field_code (triage's); title and
 *  description may be NULL.  major and administrative come from triage
 *  (router_triage_t). */
void router_jurisdiction_decide(const router_jurisdiction_t *self, const char *region_code,
                                const char *field_code, const char *title, const char *description,
                                bool major, bool administrative, router_decision_t *out);

#endif
