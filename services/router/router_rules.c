/*  router_rules — see router_rules.h. */
#include "router_rules.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_config.h"
#include "gy_util.h"
#include "router_match.h"

#define S_MAJOR      (-1)
#define S_MAJOR_CODE "!major"
#define S_ORGAN      (-3) /* -2 is "unknown field" */
#define S_ORGAN_CODE "!organ_failure"

typedef struct {
    int field; /* index into fields, S_MAJOR or S_ORGAN */
    double weight;
} s_rule_t;

struct router_rules {
    router_match_t *match; /* keyword index = rule index */
    s_rule_t *rules;
    size_t nrules;
    char **fields; /* the field codes, sorted (as gy_refdata holds them) */
    size_t nfields;
    int other; /* index of "other", or -1 */
};

static int s_field_index(const router_rules_t *self, const char *code)
{
    for (size_t i = 0; i < self->nfields; i++)
        if (strcmp(self->fields[i], code) == 0)
            return (int)i;
    return -2;
}

static int s_parse_line(router_rules_t *self, char *line, const char *where, int lineno)
{
    char *cells[3];
    int n = 0;
    char *p = line;
    while (n < 3) {
        cells[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    if (n != 3 || strchr(cells[2], ',')) {
        gy_log_error("invalid triage rule at %s:%d: expected field_code,keyword,weight", where,
                     lineno);
        return -1;
    }
    int field = strcmp(cells[0], S_MAJOR_CODE) == 0   ? S_MAJOR
                : strcmp(cells[0], S_ORGAN_CODE) == 0 ? S_ORGAN
                                                      : s_field_index(self, cells[0]);
    if (field == -2) {
        gy_log_error("invalid triage rule at %s:%d: field code \"%s\" is not in fields.csv", where,
                     lineno, cells[0]);
        return -1;
    }
    if (!*cells[1]) {
        gy_log_error("invalid triage rule at %s:%d: the keyword is empty", where, lineno);
        return -1;
    }
    char *end = NULL;
    double weight = strtod(cells[2], &end);
    if (end == cells[2] || *end || !(weight > 0 && weight <= 100)) {
        gy_log_error("invalid triage rule at %s:%d: weight \"%s\" is not a number in (0, 100]",
                     where, lineno, cells[2]);
        return -1;
    }
    size_t k = router_match_add(self->match, cells[1]);
    assert(k == self->nrules);
    self->rules = gy_realloc(self->rules, (self->nrules + 1) * sizeof *self->rules);
    self->rules[self->nrules++] = (s_rule_t){field, weight};
    return 0;
}

router_rules_t *router_rules_parse(const char *text, const char *where, const gy_refdata_t *ref)
{
    router_rules_t *self = gy_calloc(1, sizeof *self);
    self->match = router_match_new();
    self->nfields = gy_refdata_field_count(ref);
    self->fields = gy_calloc(self->nfields, sizeof *self->fields);
    self->other = -1;
    for (size_t i = 0; i < self->nfields; i++) {
        self->fields[i] = gy_strdup(gy_refdata_field_at(ref, i)->code);
        if (strcmp(self->fields[i], "other") == 0)
            self->other = (int)i;
    }
    char *copy = gy_strdup(text);
    char *save = NULL;
    int lineno = 0;
    int rc = 0;
    /*  strtok_r would skip empty lines and so miscount; walk by hand. */
    for (char *line = copy; line && rc == 0; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (lineno == 1 || *line == '\0' || *line == '#')
            continue; /* header, blank, comment */
        rc = s_parse_line(self, line, where, lineno);
    }
    free(copy);
    if (rc < 0) {
        router_rules_destroy(&self);
        return NULL;
    }
    if (self->nrules == 0) {
        gy_log_error("no triage rules in %s", where);
        router_rules_destroy(&self);
        return NULL;
    }
    router_match_compile(self->match);
    return self;
}

router_rules_t *router_rules_new(const char *path, const gy_refdata_t *ref)
{
    char *text = gy_read_file(path, NULL);
    if (!text)
        return NULL;
    router_rules_t *self = router_rules_parse(text, path, ref);
    free(text);
    return self;
}

router_rules_t *router_rules_load(const char *refdir, const gy_refdata_t *ref)
{
    char *default_path = gy_sprintf("%s/triage_rules.csv", refdir);
    router_rules_t *self = router_rules_new(gy_config_str("GY_TRIAGE_RULES", default_path), ref);
    free(default_path);
    return self;
}

void router_rules_destroy(router_rules_t **self_p)
{
    assert(self_p);
    router_rules_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nfields; i++)
        free(self->fields[i]);
    free(self->fields);
    free(self->rules);
    router_match_destroy(&self->match);
    free(self);
    *self_p = NULL;
}

size_t router_rules_count(const router_rules_t *self)
{
    return self->nrules;
}

/*  Per call: the best factor each keyword was found with (0: not found). */
typedef struct {
    double *factor;
    double current;
} s_scan_t;

static void s_on_hit(void *arg, size_t keyword, size_t end)
{
    s_scan_t *scan = arg;
    if (scan->factor[keyword] < scan->current)
        scan->factor[keyword] = scan->current;
}

static void s_reason_add(char *reason, size_t size, const char *item)
{
    size_t used = strlen(reason);
    size_t need = strlen(item) + (used ? 1 : 0);
    /*  Whole items only, so a cut never splits a UTF-8 character. */
    if (used + need + 1 > size)
        return;
    snprintf(reason + used, size - used, "%s%s", used ? " " : "", item);
}

void router_rules_triage(const router_rules_t *self, const char *title, const char *description,
                         const char *hint, router_triage_t *out)
{
    memset(out, 0, sizeof *out);
    s_scan_t scan = {gy_calloc(self->nrules, sizeof(double)), 0};
    scan.current = ROUTER_TITLE_FACTOR;
    if (title)
        router_match_scan(self->match, title, strlen(title), s_on_hit, &scan);
    scan.current = 1.0;
    if (description)
        router_match_scan(self->match, description, strlen(description), s_on_hit, &scan);

    double *score = gy_calloc(self->nfields, sizeof *score);
    for (size_t k = 0; k < self->nrules; k++) {
        if (scan.factor[k] == 0)
            continue;
        double add = self->rules[k].weight * scan.factor[k];
        char item[160];
        snprintf(item, sizeof item, "%s+%g", router_match_keyword(self->match, k), add);
        s_reason_add(out->reason, sizeof out->reason, item);
        if (self->rules[k].field == S_MAJOR)
            out->major = true;
        else if (self->rules[k].field == S_ORGAN)
            out->organ_failure = true;
        else
            score[self->rules[k].field] += add;
    }
    int hinted = hint && *hint ? s_field_index(self, hint) : -2;
    if (hinted >= 0) {
        score[hinted] += ROUTER_HINT_WEIGHT;
        char item[64];
        snprintf(item, sizeof item, "; hint %s+%g", hint, ROUTER_HINT_WEIGHT);
        size_t used = strlen(out->reason);
        if (used + strlen(item) + 1 <= sizeof out->reason)
            snprintf(out->reason + used, sizeof out->reason - used, "%s", used ? item : item + 2);
    }
    int best = hinted >= 0 ? hinted : -1;
    double total = 0;
    for (size_t i = 0; i < self->nfields; i++) {
        total += score[i];
        if (best < 0 || score[i] > score[best])
            best = (int)i;
    }
    if (score[best] <= 0) {
        /*  Nothing to go on: the catch-all field, with no confidence. */
        best = self->other >= 0 ? self->other : best;
        out->confidence = 0;
    } else {
        out->confidence = score[best] / (total + ROUTER_PRIOR);
    }
    out->overridden = hinted >= 0 && best != hinted;
    snprintf(out->field_code, sizeof out->field_code, "%s", self->fields[best]);
    free(score);
    free(scan.factor);
}
