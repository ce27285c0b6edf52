/*  workflow_limits — the time limits of a case as data (DESIGN.md
 *  invariant 7): reference/time_limits.csv, one row per rule and version,
 *  loaded and checked at start.  A deadline keeps the (rule, version) that
 *  made it, so a changed rule is a new row with a higher version and the
 *  old row stays; new deadlines take the current (highest) version.
 *
 *      workflow_limits_error_t err;
 *      workflow_limits_t *limits = workflow_limits_load("reference/time_limits.csv", &err);
 *      if (!limits) ... err.code, err.line, err.column, err.message (also logged) ...
 *      const workflow_limit_t *reply = workflow_limits_current(limits, WORKFLOW_RULE_ORGAN_REPLY);
 *      ... reply->period (2 months), reply->has_urgent, reply->urgent (15 days) ...
 *      char *json = workflow_limits_json(limits);   // GET /api/v1/workflow/time-limits
 *      free(json);
 *      workflow_limits_destroy(&limits);
 *
 *  The file (docs/workflow.md, "Time limits") has a header line naming its
 *  columns, in any order: rule, version, starts_on, count, unit,
 *  urgent_count, urgent_unit, extend_by_role, extend_count, extend_unit,
 *  extend_times, further_by_role, further_count, further_unit,
 *  further_times, basis, verified, name_zh, warn_working_days.  Lines
 *  starting with '#' and empty lines are skipped; a cell holding a comma or
 *  a quote is double-quoted ("" for a quote).  Every rule id of
 *  WORKFLOW_RULES (the ids the case machines start) must have a row.
 *
 *  An extension has up to two tiers: the first (extend_*) by its role, up
 *  to extend_times grants of at most extend_count units each; the second
 *  (further_*) only once the first is used up — review_for_suit: one month
 *  by the chief prosecutor, more only with the upper procuratorate's
 *  approval.  workflow_deadline checks grants against them.
 */
#ifndef WORKFLOW_LIMITS_H
#define WORKFLOW_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "gy_calendar.h"
#include "workflow_csv.h"

/*  The rule ids the case machines start and settle (agreed names). */
#define WORKFLOW_RULE_SERVE_OPENING          "serve_opening"
#define WORKFLOW_RULE_INVESTIGATION          "investigation"
#define WORKFLOW_RULE_FILE_UPWARD_SUGGESTION "file_upward_suggestion"
#define WORKFLOW_RULE_ORGAN_REPLY            "organ_reply"
#define WORKFLOW_RULE_ANNOUNCEMENT           "announcement"
#define WORKFLOW_RULE_REVIEW_FOR_SUIT        "review_for_suit"
#define WORKFLOW_RULE_CIVIL_REVIEW_FOR_SUIT  "civil_review_for_suit"
#define WORKFLOW_RULE_FILE_UPWARD_SUIT       "file_upward_suit"
#define WORKFLOW_RULE_FIRST_INSTANCE         "first_instance"
#define WORKFLOW_RULE_APPEAL_JUDGMENT        "appeal_judgment"
#define WORKFLOW_RULE_APPEAL_RULING          "appeal_ruling"
#define WORKFLOW_RULE_SERVE_CLOSING          "serve_closing"

/*  All of them, NULL-terminated: the file must have a row for each. */
extern const char *const WORKFLOW_RULES[];

/*  Who may extend a period: the chief prosecutor of the case's
 *  procuratorate, or the procuratorate above it (an approval its chief
 *  records). */
#define WORKFLOW_EXTEND_CHIEF "chief_prosecutor"
#define WORKFLOW_EXTEND_UPPER "upper_procuratorate"

/*  DeadlineDue fires this many working days before the last day when a
 *  row leaves warn_working_days empty. */
#define WORKFLOW_WARN_DEFAULT 3
#define WORKFLOW_WARN_MAX     60

/*  One tier of extensions: up to `times` grants by `by_role`, each of at
 *  most `size`. */
typedef struct {
    const char *by_role; /* WORKFLOW_EXTEND_CHIEF or _UPPER; NULL: no tier */
    gy_period_t size;
    int times;
} workflow_extension_tier_t;

/*  One row.  The strings belong to the limits object. */
typedef struct {
    const char *rule;      /* e.g. "organ_reply" */
    int version;           /* >= 1 */
    bool current;          /* the highest version of its rule */
    const char *starts_on; /* the event that starts it, in English */
    gy_period_t period;
    bool has_urgent; /* a shorter period when harm is ongoing */
    gy_period_t urgent;
    workflow_extension_tier_t extend;  /* the first tier */
    workflow_extension_tier_t further; /* only after the first is used up */
    const char *basis;                 /* the legal text, in Chinese */
    bool verified;                     /* checked against the official text */
    const char *name_zh;               /* label for screens */
    int warn_working_days;             /* DeadlineDue this many working days ahead */
} workflow_limit_t;

/*  Why a file was refused (workflow_csv.h); the codes beyond the CSV's:
 *  invalid_value, unknown_unit, urgent_without_count, unknown_role,
 *  duplicate_rule, missing_rule (docs/workflow.md, "Time limits"). */
typedef workflow_csv_error_t workflow_limits_error_t;

typedef struct workflow_limits workflow_limits_t;

/*  Loads and checks a file; NULL when it is unreadable or wrong, logged
 *  once with file, line and column, and described in *error (may be
 *  NULL). */
workflow_limits_t *workflow_limits_load(const char *path, workflow_limits_error_t *error);
/*  The same from text in memory; `where` names it in messages. */
workflow_limits_t *workflow_limits_parse(const char *text, const char *where,
                                         workflow_limits_error_t *error);
/*  workflow_limits_load on the file named by GY_TIME_LIMITS, default
 *  refdir/time_limits.csv. */
workflow_limits_t *workflow_limits_load_default(const char *refdir, workflow_limits_error_t *error);
void workflow_limits_destroy(workflow_limits_t **self_p);

/*  The highest version of a rule, or a given version; NULL when none. */
const workflow_limit_t *workflow_limits_current(const workflow_limits_t *self, const char *rule);
const workflow_limit_t *workflow_limits_find(const workflow_limits_t *self, const char *rule,
                                             int version);

/*  Every row, ordered by rule then version. */
size_t workflow_limits_count(const workflow_limits_t *self);
const workflow_limit_t *workflow_limits_at(const workflow_limits_t *self, size_t i);

/*  "days" / "months". */
const char *workflow_unit_name(gy_period_unit_t unit);
/*  The unit of a name; -1 for anything else. */
int workflow_unit_parse(const char *name);

/*  {"time_limits":[{"rule","version","current","starts_on","count","unit",
 *  "urgent":{"count","unit"}|null,"extensions":[{"by_role","count","unit",
 *  "times"}],"basis","verified","name_zh","warn_working_days"}]}, ordered
 *  as workflow_limits_at: a new reference / text the caller frees. */
json_t *workflow_limits_to_json(const workflow_limits_t *self);
char *workflow_limits_json(const workflow_limits_t *self);

#endif
