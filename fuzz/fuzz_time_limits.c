/*  The time limits (workflow_limits_parse: reference/time_limits.csv, read
 *  by the workflow at start), the JSON the API lists, and a deadline of
 *  every rule that loaded (workflow_deadline: suspension, each tier of
 *  extension, storage and recompute) on the committed calendar. */
#include <jansson.h>

#include "fuzz_common.h"
#include "workflow_deadline.h"
#include "workflow_limits.h"

static const gy_calendar_t *s_calendar(void)
{
    static gy_calendar_t *cal;
    if (!cal) {
        cal = gy_calendar_load(GY_SOURCE_DIR "/reference/holidays.csv");
        if (!cal)
            abort();
    }
    return cal;
}

/*  A deadline of the rule with what it allows: due on or after its nominal
 *  day; stored and read back, the same result. */
static void s_deadline(const workflow_limits_t *limits, const workflow_limit_t *rule)
{
    const gy_calendar_t *cal = s_calendar();
    workflow_deadline_t *d = workflow_deadline_new(rule, FUZZ_NOW_MS, rule->has_urgent, NULL);
    if (!d)
        abort(); /* the urgent variant is there */
    workflow_deadline_suspend(d, FUZZ_NOW_MS + 2 * GY_DAY_MS, NULL);
    workflow_deadline_resume(d, FUZZ_NOW_MS + 5 * GY_DAY_MS, NULL);
    const workflow_extension_tier_t *tiers[] = {&rule->extend, &rule->further};
    for (size_t i = 0; i < 2; i++) {
        if (!tiers[i]->by_role)
            continue;
        workflow_extension_t e = {"fuzz", tiers[i]->by_role, tiers[i]->size, "fuzz", FUZZ_NOW_MS};
        workflow_deadline_extend(d, &e, NULL);
    }
    workflow_deadline_compute(d, cal);
    const workflow_due_t *due = workflow_deadline_due(d);
    if (!due || due->paused || due->last_day < due->nominal_day || due->warn_ms > due->due_ms)
        abort();
    char *json = workflow_deadline_json(d);
    workflow_deadline_t *back = workflow_deadline_from_json(limits, json, NULL);
    if (!back)
        abort();
    bool changed = true;
    workflow_deadline_recompute(back, cal, FUZZ_NOW_MS, &changed);
    if (changed)
        abort();
    workflow_deadline_destroy(&back);
    free(json);
    workflow_deadline_destroy(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    workflow_limits_t *limits = workflow_limits_parse(text, "fuzz", NULL);
    if (limits) {
        char *json = workflow_limits_json(limits);
        json_error_t jerr;
        json_t *root = json_loads(json, 0, &jerr);
        if (!root ||
            json_array_size(json_object_get(root, "time_limits")) != workflow_limits_count(limits))
            abort();
        json_decref(root);
        free(json);
        for (size_t i = 0; i < workflow_limits_count(limits); i++)
            s_deadline(limits, workflow_limits_at(limits, i));
        workflow_limits_destroy(&limits);
    }
    free(text);
    return 0;
}
