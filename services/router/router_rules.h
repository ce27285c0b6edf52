/*  router_rules — suggests a clue's field (生态环境, 食品药品 ...) from its
 *  Chinese text and the reporter's choice, with a confidence in [0, 1].
 *
 *  The rules are data (DESIGN.md invariant 7): reference/triage_rules.csv,
 *  one keyword per line, `field_code,keyword,weight` (a header line first;
 *  `#` starts a comment line; keywords hold no comma).  Every field code must
 *  be in fields.csv; the pseudo-field `!major` marks severity words
 *  (重大, 跨区, 死亡 ...) that make a matter major, and `!organ_failure` the
 *  words of an organ failing its duty (不作为, 监管不力 ...) that make it an
 *  administrative matter: router_jurisdiction sends a major one to the
 *  city, and an administrative one to the level of the organ it names.  The keywords are compiled once into one
 *  Aho–Corasick automaton (router_match: one pass over the text for all
 *  rules, whatever their number).
 *
 *  Scoring, kept simple so a prosecutor can follow it:
 *  - every distinct keyword found adds its weight to its field, once, times
 *    ROUTER_TITLE_FACTOR when it is in the title (a title is a summary);
 *  - the reporter's field adds ROUTER_HINT_WEIGHT: a hint, which text
 *    evidence for another field can outweigh (e.g. one strong keyword of
 *    weight 3 beats a bare hint);
 *  - the field with the highest score wins (ties: the reporter's, then the
 *    field code's alphabetical order);
 *  - confidence = best / (sum of all scores + ROUTER_PRIOR): a hint alone
 *    gives 0.5, a hint confirmed by one strong keyword 0.71, and evidence
 *    split between fields lowers it.  No hint and no evidence: "other"
 *    (when the field list has it) with confidence 0.
 */
#ifndef ROUTER_RULES_H
#define ROUTER_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "gy_refdata.h"

#define ROUTER_TITLE_FACTOR 1.5
#define ROUTER_HINT_WEIGHT  2.0
#define ROUTER_PRIOR        2.0

typedef struct router_rules router_rules_t;

typedef struct {
    char field_code[33];
    double confidence;  /* in [0, 1] */
    bool overridden;    /* the text outweighed the reporter's field */
    bool major;         /* a severity keyword was found */
    bool organ_failure; /* an administrative organ's failure of duty is alleged */
    char reason[256];   /* why, for people: "排污+3 黑臭水体+3; hint ecology+2" */
} router_triage_t;

/*  Loads and checks a rules file against the field list (borrowed for the
 *  call only).  NULL (logged with file and line) when it is unreadable or
 *  wrong: an unknown field code, an empty keyword, a weight outside
 *  (0, 100]. */
router_rules_t *router_rules_new(const char *path, const gy_refdata_t *ref);
/*  router_rules_new on the file named by GY_TRIAGE_RULES (default
 *  refdir/triage_rules.csv). */
router_rules_t *router_rules_load(const char *refdir, const gy_refdata_t *ref);

/*  The same from text in memory; `where` names it in messages. */
router_rules_t *router_rules_parse(const char *text, const char *where, const gy_refdata_t *ref);

void router_rules_destroy(router_rules_t **self_p);

/*  Number of keyword rules (for logs and metrics). */
size_t router_rules_count(const router_rules_t *self);

/*  Triage one clue.  hint may be NULL or "" (no choice).  Strings are UTF-8. */
void router_rules_triage(const router_rules_t *self, const char *title, const char *description,
                         const char *hint, router_triage_t *out);

#endif
