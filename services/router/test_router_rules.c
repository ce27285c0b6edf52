/*  Unit test of router_rules: the shipped rules (reference/triage_rules.csv)
 *  on real-sounding clues, how the reporter's hint and the text weigh
 *  against each other, and the checks on a rules file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"
#include "router_rules.h"

static gy_refdata_t *s_ref;
static router_rules_t *s_rules;

static int s_setup(void **state)
{
    s_ref = gy_refdata_new(GY_DEFAULT_REFDATA_DIR);
    s_rules = router_rules_new(GY_DEFAULT_REFDATA_DIR "/triage_rules.csv", s_ref);
    return s_ref && s_rules ? 0 : -1;
}

static int s_teardown(void **state)
{
    router_rules_destroy(&s_rules);
    gy_refdata_destroy(&s_ref);
    return 0;
}

typedef struct {
    const char *title;
    const char *description;
    const char *hint;
    const char *field;
} s_case_t;

static const s_case_t s_cases[] = {
    {"丹徒区工厂夜间排污", "工厂通过暗管偷排废水，河道出现黑臭水体。", "ecology", "ecology"},
    {"工地扬尘严重", "施工工地未覆盖，扬尘弥漫。", "", "ecology"},
    {"超市出售过期食品", "某超市货架上有大量过期食品。", "food_drug", "food_drug"},
    {"无证经营的小作坊", "小作坊无证经营，卫生条件差。", "other", "food_drug"},
    {"药店卖假药", "药店出售假药，老人服用后不适。", "", "food_drug"},
    {"盲道被占用", "人行道上的盲道被共享单车占用。", "barrier_free", "barrier_free"},
    {"政务大厅没有无障碍设施", "轮椅无法进入。", "", "barrier_free"},
    {"学生信息泄露", "某培训机构泄露学生信息，家长接到诈骗电话。", "personal_info",
     "personal_info"},
    {"小区人脸识别门禁", "物业强制采集人脸识别信息，过度收集个人信息。", "", "personal_info"},
    {"烈士陵园无人管理", "烈士陵园杂草丛生。", "", "heroes_martyrs"},
    {"网吧接纳未成年人", "网吧深夜接纳未成年人上网。", "", "minors"},
    {"退役军人优待未落实", "退役军人优抚待遇未落实。", "", "military"},
    {"商场消防通道堵塞", "消防通道堆满杂物。", "", "work_safety"},
    {"平台强制二选一", "平台要求商家二选一，排除竞争。", "", "anti_monopoly"},
    {"银行卡出租", "有人收购银行卡出租给诈骗团伙。", "", "anti_telecom_fraud"},
    {"蔬菜农药残留超标", "菜市场蔬菜使用禁用农药。", "", "agri_quality"},
    {"招聘中的性别歧视", "公司招聘写明只招男性，女职工孕期被辞退。", "", "womens_rights"},
    {"古建筑被拆除", "县级文保单位古建筑被开发商拆除。", "", "cultural_relics"},
    {"国有资产流失", "国有企业低价转让国有资产。", "", "state_property"},
    {"闲置土地", "开发商拿地后多年闲置土地，未缴清土地出让金。", "", "state_land"},
};

static void test_shipped_rules_classify_examples(void **state)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        router_triage_t t;
        router_rules_triage(s_rules, s_cases[i].title, s_cases[i].description, s_cases[i].hint, &t);
        if (strcmp(t.field_code, s_cases[i].field) != 0)
            fail_msg("case %zu (%s): got %s (%s), want %s", i, s_cases[i].title, t.field_code,
                     t.reason, s_cases[i].field);
        assert_true(t.confidence > 0.3 && t.confidence <= 1.0);
    }
}

static void test_hint_alone_is_half_sure(void **state)
{
    router_triage_t t;
    router_rules_triage(s_rules, "有个问题", "请检察院关注一下。", "minors", &t);
    assert_string_equal(t.field_code, "minors");
    assert_float_equal(t.confidence, 0.5, 1e-9);
    assert_false(t.overridden);
    assert_string_equal(t.reason, "hint minors+2");
}

static void test_text_confirms_hint(void **state)
{
    router_triage_t t;
    router_rules_triage(s_rules, "情况反映", "河边有人排污。", "ecology", &t);
    assert_string_equal(t.field_code, "ecology");
    assert_float_equal(t.confidence, 5.0 / 7.0, 1e-9); /* (3 + 2) / (5 + 2) */
    assert_false(t.overridden);
}

static void test_text_overrides_hint(void **state)
{
    router_triage_t t;
    router_rules_triage(s_rules, "盲道被占", "小区门口的盲道被汽车长期占用。", "ecology", &t);
    assert_string_equal(t.field_code, "barrier_free");
    assert_true(t.overridden);
    /*  盲道 in the title (3 x 1.5) and the description (counted once). */
    assert_float_equal(t.confidence, 4.5 / (4.5 + 2 + 2), 1e-9);
    assert_non_null(strstr(t.reason, "盲道+4.5"));
    assert_non_null(strstr(t.reason, "hint ecology+2"));
}

static void test_nothing_to_go_on(void **state)
{
    router_triage_t t;
    router_rules_triage(s_rules, "你好", "请回电。", NULL, &t);
    assert_string_equal(t.field_code, "other");
    assert_float_equal(t.confidence, 0, 0);
    router_rules_triage(s_rules, "", "", "", &t);
    assert_string_equal(t.field_code, "other");
}

static void test_major_words(void **state)
{
    router_triage_t t;
    router_rules_triage(s_rules, "重大污染", "化工厂偷排导致全流域死鱼。", "ecology", &t);
    assert_true(t.major);
    assert_string_equal(t.field_code, "ecology");
    router_rules_triage(s_rules, "排污", "工厂排污。", "ecology", &t);
    assert_false(t.major);
    assert_false(t.organ_failure);
}

static void test_organ_failure_words(void **state)
{
    router_triage_t t;
    router_rules_triage(s_rules, "排污无人管", "镇江市生态环境局接到举报后不作为，工厂继续偷排。",
                        "ecology", &t);
    assert_true(t.organ_failure);
    assert_false(t.major);
    /* the pseudo-field does not count toward a field */
    assert_string_equal(t.field_code, "ecology");
}

static void test_rules_file_is_checked(void **state)
{
    static const char *bad[] = {
        "field_code,keyword,weight\nnope,排污,3\n",    /* unknown field */
        "field_code,keyword,weight\necology,,3\n",     /* empty keyword */
        "field_code,keyword,weight\necology,排污,0\n", /* weight */
        "field_code,keyword,weight\necology,排污,x\n",
        "field_code,keyword,weight\necology,排污\n", /* columns */
        "field_code,keyword,weight\n# only a comment\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        router_rules_t *r = router_rules_parse(bad[i], "test", s_ref);
        if (r)
            fail_msg("case %zu was accepted", i);
    }
    router_rules_t *r = router_rules_parse(
        "field_code,keyword,weight\r\n\r\necology,排污,2.5\r\n!major,重大,1\r\n", "test", s_ref);
    assert_non_null(r);
    assert_int_equal(router_rules_count(r), 2);
    router_rules_destroy(&r);
    assert_true(router_rules_count(s_rules) > 100);
}

/*  Fast: a long description costs one pass whatever the rule count. */
static void test_fast(void **state)
{
    gy_buf_t text = {0};
    for (int i = 0; i < 200; i++)
        gy_buf_printf(&text, "河道旁边有一家工厂，居民反映夜间有异味，情况持续了很久。");
    uint64_t t0 = gy_mono_ns();
    router_triage_t t;
    for (int i = 0; i < 1000; i++)
        router_rules_triage(s_rules, "情况反映", text.data, "other", &t);
    double per_call_us = (double)(gy_mono_ns() - t0) / 1000.0 / 1000.0;
    print_message("triage of %zu bytes: %.1f us\n", text.len, per_call_us);
    assert_true(per_call_us < 2000);
    gy_buf_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_rules_classify_examples),
        cmocka_unit_test(test_hint_alone_is_half_sure),
        cmocka_unit_test(test_text_confirms_hint),
        cmocka_unit_test(test_text_overrides_hint),
        cmocka_unit_test(test_nothing_to_go_on),
        cmocka_unit_test(test_major_words),
        cmocka_unit_test(test_organ_failure_words),
        cmocka_unit_test(test_rules_file_is_checked),
        cmocka_unit_test(test_fast),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
