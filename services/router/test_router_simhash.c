/*  Unit test of router_simhash: the same complaint told twice lands within
 *  the distance, different matters do not, and the same-matter rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "router_simhash.h"

static void test_identical_and_punctuation(void **state)
{
    const char *a = "丹徒区某化工厂每晚十点后通过暗管向河道排放黑色污水，气味刺鼻，河面出现死鱼。";
    const char *b = "丹徒区某化工厂每晚十点后通过暗管向河道排放黑色污水 气味刺鼻 河面出现死鱼!";
    assert_int_equal(router_simhash(a, strlen(a)), router_simhash(b, strlen(b)));
    assert_int_equal(
        router_simhash_distance(router_simhash(a, strlen(a)), router_simhash(b, strlen(b))), 0);
    /*  Case does not matter either. */
    assert_int_equal(router_simhash("PM2.5超标", strlen("PM2.5超标")),
                     router_simhash("pm2.5超标", strlen("pm2.5超标")));
}

/*  SimHash distance follows the angle between the shingle sets (Charikar:
 *  E[d] = 64 * angle / pi), so what a threshold of 3 catches depends on
 *  length: one changed character is near in a long description and
 *  usually not in a short one (docs/router.md, "Duplicates"). */
static void test_small_edit_is_near_in_long_text(void **state)
{
    const char *base =
        "丹徒区某化工厂每晚十点后通过暗管向河道排放黑色污水，气味刺鼻，河面出现死鱼，"
        "附近居民多次向有关部门反映，问题至今没有解决，希望检察机关介入调查。";
    char a[2048] = "", b[2048];
    for (int i = 0; i < 4; i++)
        strcat(a, base);
    strcpy(b, a);
    memcpy(strstr(b, "十点"), "九", strlen("九"));
    int d = router_simhash_distance(router_simhash(a, strlen(a)), router_simhash(b, strlen(b)));
    print_message("one character changed in %zu bytes: distance %d\n", strlen(a), d);
    assert_true(d <= ROUTER_SIMHASH_MAX_DISTANCE);

    char c[512];
    strcpy(c, base);
    memcpy(strstr(c, "十点"), "九", strlen("九"));
    d = router_simhash_distance(router_simhash(base, strlen(base)), router_simhash(c, strlen(c)));
    print_message("one character changed in %zu bytes: distance %d\n", strlen(base), d);
    assert_true(d > 0 && d < 16);
}

static void test_different_matters_are_far(void **state)
{
    const char *texts[] = {
        "丹徒区某化工厂每晚十点后通过暗管向河道排放黑色污水，气味刺鼻，河面出现死鱼。",
        "超市货架上摆放着大量过期食品，包括牛奶和面包，店员称是促销商品。",
        "人行道上的盲道被共享单车和汽车长期占用，视障人士无法通行。",
        "某培训机构泄露学生信息，家长频繁接到推销和诈骗电话。",
    };
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++) {
            int d = router_simhash_distance(router_simhash(texts[i], strlen(texts[i])),
                                            router_simhash(texts[j], strlen(texts[j])));
            if (d <= 10)
                fail_msg("texts %d and %d at distance %d", i, j, d);
        }
}

static void test_clue_is_title_then_description(void **state)
{
    assert_int_equal(router_simhash_clue("御河排污", "工厂偷排。"),
                     router_simhash("御河排污工厂偷排", strlen("御河排污工厂偷排")));
    assert_int_equal(router_simhash("", 0), 0);
    assert_true(router_simhash("污", strlen("污")) != 0);
    /*  Invalid UTF-8 is hashed, not refused. */
    assert_true(router_simhash("\xff\xfe\xfd\xfc", 4) != 0);
}

static void test_bands(void **state)
{
    uint64_t h = 0x8000ffff00017fffull;
    assert_int_equal(router_simhash_band(h, 0), 0x7fff);
    assert_int_equal(router_simhash_band(h, 1), 1);
    assert_int_equal(router_simhash_band(h, 2), -1);
    assert_int_equal(router_simhash_band(h, 3), -32768);
    /*  Pigeonhole: 3 flipped bits leave at least one band equal. */
    srand(7);
    for (int round = 0; round < 1000; round++) {
        uint64_t a = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
        uint64_t b = a;
        for (int k = 0; k < 3; k++)
            b ^= 1ull << (rand() % 64);
        int equal = 0;
        for (int i = 0; i < 4; i++)
            equal += router_simhash_band(a, i) == router_simhash_band(b, i);
        assert_true(equal >= 1);
    }
}

static void test_distance_km(void **state)
{
    /* 镇江 to 南京, about 65 km as the crow flies */
    double d = router_distance_km(32.19, 119.42, 32.06, 118.80);
    assert_true(d > 55 && d < 70);
    assert_float_equal(router_distance_km(32.19, 119.42, 32.19, 119.42), 0, 1e-9);
}

static void test_same_matter_rule(void **state)
{
    const int64_t day = 86400000;
    router_clue_sig_t a = {"ecology", "321112", true, 32.10, 119.50, 0xffull, 100 * day};
    router_clue_sig_t b = a;
    b.simhash = 0xf8ull; /* 3 bits off */
    b.received_ms = 120 * day;
    assert_true(router_simhash_same_matter(&a, &b, 3, 30 * day, 2.0));
    b.simhash = 0xf0ull; /* 4 bits off */
    assert_false(router_simhash_same_matter(&a, &b, 3, 30 * day, 2.0));
    b.simhash = a.simhash;
    b.received_ms = 131 * day; /* outside the window */
    assert_false(router_simhash_same_matter(&a, &b, 3, 30 * day, 2.0));
    b.received_ms = a.received_ms;
    b.field_code = "food_drug";
    assert_false(router_simhash_same_matter(&a, &b, 3, 30 * day, 2.0));
    b.field_code = "ecology";
    /* another county, but 1 km away: near */
    b.region_code = "321102";
    b.lat += 0.009;
    assert_true(router_simhash_same_matter(&a, &b, 3, 30 * day, 2.0));
    /* another county, far */
    b.lat += 0.2;
    assert_false(router_simhash_same_matter(&a, &b, 3, 30 * day, 2.0));
    /* another county without coordinates */
    b.lat = a.lat;
    b.has_coordinates = false;
    assert_false(router_simhash_same_matter(&a, &b, 3, 30 * day, 2.0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_and_punctuation),
        cmocka_unit_test(test_small_edit_is_near_in_long_text),
        cmocka_unit_test(test_different_matters_are_far),
        cmocka_unit_test(test_clue_is_title_then_description),
        cmocka_unit_test(test_bands),
        cmocka_unit_test(test_distance_km),
        cmocka_unit_test(test_same_matter_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
