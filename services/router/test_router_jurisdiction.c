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
    const char *field; /* triage's field code; NULL: the default, ecology */
    const char *title;
    const char *description;
    bool major;
    bool administrative;
    const char *procuratorate;
    const char *queue;
    const char *rule;
    const char *city;
} s_case_t;

static const s_case_t s_cases[] = {
    /* a county: its own procuratorate */
    {"321112", NULL, "丹徒区工厂排污", "河道黑臭。", false, false, "321112", "handling", "county",
     "321100"},
    {"140213", NULL, "御河排污", NULL, false, false, "140213", "handling", "county", "140200"},
    /* naming its own county is not cross-county */
    {"140213", NULL, "平城区御河排污", "平城区御河东岸。", false, false, "140213", "handling",
     "county", "140200"},
    /* major: the city */
    {"321112", NULL, "排污", "全流域死鱼。", true, false, "321100", "handling", "major", "321100"},
    /* another county of the same city named: cross-county, the city */
    {"321112", NULL, "排污", "丹徒区工厂的废水流到句容市。", false, false, "321100", "handling",
     "cross_county", "321100"},
    /* a county of another city does not make it cross-county */
    {"321112", NULL, "排污", "工厂老板来自平城区。", false, false, "321112", "handling", "county",
     "321100"},
    /* a city-only code: the city's triage queue */
    {"321100", NULL, "排污", "镇江市某地。", false, false, "321100", "triage", "not_county",
     "321100"},
    /* a province: its triage queue */
    {"320000", NULL, "排污", NULL, false, false, "320000", "triage", "not_county", ""},
    /* unknown county of a known city: the city's triage queue */
    {"321199", NULL, "排污", NULL, false, false, "321100", "triage", "unknown_region", "321100"},
    /* unknown city of a known province: the province */
    {"329901", NULL, "排污", NULL, false, false, "320000", "triage", "unknown_region", ""},
    /* nothing known: the root */
    {"990101", NULL, "排污", NULL, false, false, "000000", "triage", "unknown_region", ""},
    {"", NULL, "排污", NULL, false, false, "000000", "triage", "unknown_region", ""},
    /* administrative: the level of the organ named */
    {"321112", NULL, "镇江市生态环境局对排污不作为",
     "丹徒区化工厂偷排，镇江市生态环境局接到举报后不作为。", false, true, "321100", "handling",
     "organ", "321100"},
    {"321112", NULL, "排污", "丹徒区生态环境局监管不力。", false, true, "321112", "handling",
     "organ", "321100"},
    /* the city's name before the county's: the county's organ */
    {"321112", NULL, "排污", "镇江市丹徒区生态环境局不作为。", false, true, "321112", "handling",
     "organ", "321100"},
    {"321112", NULL, "排污", "江苏省生态环境厅未依法履行职责。", false, true, "320000", "handling",
     "organ", ""},
    /* the organ wins over a major matter's city */
    {"321112", NULL, "排污", "全流域死鱼，江苏省生态环境厅不作为。", true, true, "320000",
     "handling", "organ", ""},
    /* an organ of another place does not decide */
    {"321112", NULL, "排污", "大同市生态环境局不作为。", false, true, "321112", "handling",
     "county", "321100"},
    /* a place without an organ after it in the clause */
    {"321112", NULL, "排污", "镇江市某小区，监管不力。", false, true, "321112", "handling",
     "county", "321100"},
    /* an organ named, but no failure of duty alleged: not administrative */
    {"321112", NULL, "排污", "镇江市生态环境局已经受理。", false, false, "321112", "handling",
     "county", "321100"},
    /* a city code with its own organ: placed, not left in triage */
    {"321100", NULL, "排污", "镇江市人民政府不作为。", false, true, "321100", "handling", "organ",
     "321100"},
    /* 反垄断 (civil only; a 设区的市 or above, 反垄断法 art. 60): a county's clue
       goes to its city */
    {"140213", "anti_monopoly", "平台强迫商户二选一", "外卖平台要求平城区商户只能在一家平台经营。",
     false, false, "140200", "handling", "field_level", "140200"},
    {"140105", "anti_monopoly", "强制搭售", NULL, false, false, "140100", "handling", "field_level",
     "140100"},
    /* already at a city: nothing to raise */
    {"321100", "anti_monopoly", "价格串通", NULL, false, false, "321100", "triage", "not_county",
     "321100"},
    {"321112", "anti_monopoly", "价格串通", "全市加油站。", true, false, "321100", "handling",
     "major", "321100"},
    /* civil only: a named organ (of the county, or of the province) does not
       decide, no administrative case can follow */
    {"321112", "anti_monopoly", "垄断", "丹徒区市场监督管理局不作为。", false, true, "321100",
     "handling", "field_level", "321100"},
    {"321112", "anti_monopoly", "垄断", "江苏省市场监督管理局不作为。", false, true, "321100",
     "handling", "field_level", "321100"},
    /* administrative only (国有土地使用权出让): the organ rule still decides */
    {"321112", "state_land", "出让", "镇江市自然资源和规划局违法出让土地。", false, true, "321100",
     "handling", "organ", "321100"},
    {"321112", "state_land", "出让", "违法出让土地。", false, false, "321112", "handling", "county",
     "321100"},
    /* a field the router does not know bounds nothing */
    {"321112", "astrology", "排污", NULL, false, false, "321112", "handling", "county", "321100"},
};

static void test_decisions(void **state)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const s_case_t *c = &s_cases[i];
        router_decision_t d;
        router_jurisdiction_decide(s_jur, c->region, c->field ? c->field : "ecology", c->title,
                                   c->description, c->major, c->administrative, &d);
        if (strcmp(d.procuratorate, c->procuratorate) != 0 || strcmp(d.queue, c->queue) != 0 ||
            strcmp(d.rule, c->rule) != 0 || strcmp(d.city, c->city) != 0)
            fail_msg("case %zu (%s): got %s/%s/%s/%s, want %s/%s/%s/%s", i, c->region,
                     d.procuratorate, d.queue, d.rule, d.city, c->procuratorate, c->queue, c->rule,
                     c->city);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decisions),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
