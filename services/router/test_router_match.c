/*  Unit test of router_match: the automaton finds every occurrence of every
 *  keyword, overlapping ones and ones inside others, in Chinese and ASCII,
 *  exactly as a naive search over all keywords does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router_match.h"

typedef struct {
    char hits[64][48]; /* "keyword@end" */
    size_t n;
    const router_match_t *m;
} s_hits_t;

static void s_on_hit(void *arg, size_t keyword, size_t end)
{
    s_hits_t *h = arg;
    assert_true(h->n < 64);
    snprintf(h->hits[h->n++], sizeof h->hits[0], "%s@%zu", router_match_keyword(h->m, keyword),
             end);
}

static void test_finds_overlapping_and_nested(void **state)
{
    router_match_t *m = router_match_new();
    assert_int_equal(router_match_add(m, "he"), 0);
    assert_int_equal(router_match_add(m, "she"), 1);
    assert_int_equal(router_match_add(m, "his"), 2);
    assert_int_equal(router_match_add(m, "hers"), 3);
    router_match_compile(m);
    s_hits_t h = {.m = m};
    router_match_scan(m, "ushers", 6, s_on_hit, &h);
    assert_int_equal(h.n, 3);
    assert_string_equal(h.hits[0], "she@4");
    assert_string_equal(h.hits[1], "he@4");
    assert_string_equal(h.hits[2], "hers@6");
    router_match_destroy(&m);
    assert_null(m);
}

static void test_chinese_keywords_match_whole_characters(void **state)
{
    router_match_t *m = router_match_new();
    router_match_add(m, "排污");
    router_match_add(m, "信息泄露");
    router_match_add(m, "学生信息泄露");
    router_match_add(m, "泄露");
    router_match_compile(m);
    s_hits_t h = {.m = m};
    const char *text = "某校学生信息泄露，工厂排污。";
    router_match_scan(m, text, strlen(text), s_on_hit, &h);
    assert_int_equal(h.n, 4);
    /*  All three end at the same byte: longest first. */
    assert_string_equal(h.hits[0], "学生信息泄露@24");
    assert_string_equal(h.hits[1], "信息泄露@24");
    assert_string_equal(h.hits[2], "泄露@24");
    assert_string_equal(h.hits[3], "排污@39");
    router_match_destroy(&m);
}

static void test_ascii_is_case_folded(void **state)
{
    router_match_t *m = router_match_new();
    router_match_add(m, "APP违规收集");
    router_match_add(m, "pm2.5");
    router_match_compile(m);
    s_hits_t h = {.m = m};
    const char *text = "某app违规收集信息，PM2.5 超标";
    router_match_scan(m, text, strlen(text), s_on_hit, &h);
    assert_int_equal(h.n, 2);
    router_match_destroy(&m);
}

static void test_duplicate_keywords_both_reported(void **state)
{
    router_match_t *m = router_match_new();
    router_match_add(m, "食品");
    router_match_add(m, "食品");
    router_match_compile(m);
    s_hits_t h = {.m = m};
    router_match_scan(m, "食品", strlen("食品"), s_on_hit, &h);
    assert_int_equal(h.n, 2);
    router_match_destroy(&m);
}

static void s_count(void *arg, size_t keyword, size_t end)
{
    (*(size_t *)arg)++;
}

/*  Against a naive search on random texts over a small alphabet, where
 *  overlaps are frequent. */
static void test_agrees_with_naive_search(void **state)
{
    srand(42);
    const char *alphabet[] = {"a", "b", "污", "水"};
    router_match_t *m = router_match_new();
    char keywords[40][16];
    for (int k = 0; k < 40; k++) {
        keywords[k][0] = '\0';
        int n = 1 + rand() % 4;
        for (int i = 0; i < n; i++)
            strcat(keywords[k], alphabet[rand() % 4]);
        router_match_add(m, keywords[k]);
    }
    router_match_compile(m);
    for (int round = 0; round < 200; round++) {
        char text[256] = "";
        int n = rand() % 40;
        for (int i = 0; i < n; i++)
            strcat(text, alphabet[rand() % 4]);
        size_t len = strlen(text);
        size_t expected = 0;
        for (int k = 0; k < 40; k++) {
            size_t kl = strlen(keywords[k]);
            for (size_t at = 0; at + kl <= len; at++)
                expected += memcmp(text + at, keywords[k], kl) == 0;
        }
        size_t count = 0;
        router_match_scan(m, text, len, s_count, &count);
        assert_int_equal(count, expected);
    }
    router_match_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_overlapping_and_nested),
        cmocka_unit_test(test_chinese_keywords_match_whole_characters),
        cmocka_unit_test(test_ascii_is_case_folded),
        cmocka_unit_test(test_duplicate_keywords_both_reported),
        cmocka_unit_test(test_agrees_with_naive_search),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
