/*  Unit test of router_jurisdiction over the shipped procuratorate tree:
 *  where each kind of clue goes, and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"
#include "router_jurisdiction.h"

static gy_refdata_t *s_ref;
static router_jurisdiction_t *s_jur;

static int s_setup(void **state)
{
    s_ref = gy_refdata_new(GY_DEFAULT_REFDATA_DIR);
    if (!s_ref)
        return -1;
    s_jur = router_jurisdiction_new(s_ref);
    return 0;
}

static int s_teardown(void **state)
{
    router_jurisdiction_destroy(&s_jur);
    gy_refdata_destroy(&s_ref);
    return 0;
}

typedef struct {
    const char *region;
    const char *title;
    const char *description;
    bool major;
    const char *procuratorate;
    const char *queue;
    const char *rule;
    const char *city;
} s_case_t;

static const s_case_t s_cases[] = {
    /* a county: its own procuratorate */
    {"321112", "丹徒区工厂排污", "河道黑臭。", false, "321112", "handling", "county", "321100"},
    {"140213", "御河排污", NULL, false, "140213", "handling", "county", "140200"},
    /* naming its own county is not cross-county */
    {"140213", "平城区御河排污", "平城区御河东岸。", false, "140213", "handling", "county",
     "140200"},
    /* major: the city */
    {"321112", "排污", "全流域死鱼。", true, "321100", "handling", "major", "321100"},
    /* another county of the same city named: cross-county, the city */
    {"321112", "排污", "丹徒区工厂的废水流到句容市。", false, "321100", "handling",
     "cross_county", "321100"},
    /* a county of another city does not make it cross-county */
    {"321112", "排污", "工厂老板来自平城区。", false, "321112", "handling", "county", "321100"},
    /* a city-only code: the city's triage queue */
    {"321100", "排污", "镇江市某地。", false, "321100", "triage", "not_county", "321100"},
    /* a province: its triage queue */
    {"320000", "排污", NULL, false, "320000", "triage", "not_county", ""},
    /* unknown county of a known city: the city's triage queue */
    {"321199", "排污", NULL, false, "321100", "triage", "unknown_region", "321100"},
    /* unknown city of a known province: the province */
    {"329901", "排污", NULL, false, "320000", "triage", "unknown_region", ""},
    /* nothing known: the root */
    {"990101", "排污", NULL, false, "000000", "triage", "unknown_region", ""},
    {"", "排污", NULL, false, "000000", "triage", "unknown_region", ""},
};

static void test_decisions(void **state)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const s_case_t *c = &s_cases[i];
        router_decision_t d;
        router_jurisdiction_decide(s_jur, c->region, c->title, c->description, c->major, &d);
        if (strcmp(d.procuratorate, c->procuratorate) != 0 || strcmp(d.queue, c->queue) != 0 ||
            strcmp(d.rule, c->rule) != 0 || strcmp(d.city, c->city) != 0)
            fail_msg("case %zu (%s): got %s/%s/%s/%s, want %s/%s/%s/%s", i, c->region,
                     d.procuratorate, d.queue, d.rule, d.city, c->procuratorate, c->queue,
                     c->rule, c->city);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decisions),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
