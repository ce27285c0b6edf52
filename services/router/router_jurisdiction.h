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
 *  3. A county code and a major matter (router_rules found a `!major`
 *     keyword) or a cross-county one (the text names another county of the
 *     same city, e.g. 丹徒区 … 句容市): the city procuratorate, handling
 *     queue.
 *  4. Otherwise a county code: that county's procuratorate, handling
 *     queue (civil cases go to the county where the act or harm occurred).
 *
 *  TODO(issue 3): administrative cases belong to the procuratorate at the
 *  level of the administrative organ; ClueReceived names no organ yet, so
 *  rule "organ level" is not applied.  When it does, it goes before rule 3.
 *
 *  County names are matched with one router_match automaton built at
 *  construction; deciding allocates nothing.
 */
#ifndef ROUTER_JURISDICTION_H
#define ROUTER_JURISDICTION_H

#include <stdbool.h>

#include "gy_refdata.h"

#define ROUTER_QUEUE_HANDLING "handling"
#define ROUTER_QUEUE_TRIAGE "triage"

typedef struct router_jurisdiction router_jurisdiction_t;

typedef struct {
    char procuratorate[7]; /* region code of the competent procuratorate */
    const char *queue;     /* ROUTER_QUEUE_HANDLING or ROUTER_QUEUE_TRIAGE (static) */
    const char *rule;      /* static: unknown_region, not_county, major, cross_county, county */
    char city[7];          /* the city above the decision ("" when none): for scoping lists */
} router_decision_t;

/*  ref is borrowed and must outlive the object. */
router_jurisdiction_t *router_jurisdiction_new(const gy_refdata_t *ref);
void router_jurisdiction_destroy(router_jurisdiction_t **self_p);

/*  Decides for a clue; title and description may be NULL. */
void router_jurisdiction_decide(const router_jurisdiction_t *self, const char *region_code,
                                const char *title, const char *description, bool major,
                                router_decision_t *out);

#endif
