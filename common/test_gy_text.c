/*  test_gy_text — the text rule as the edges use it: what is valid UTF-8,
 *  which control characters each kind of text refuses, cuts that never
 *  split a character, excerpts safe to echo, and identifiers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gy_text.h"
#include "gy_util.h"

static long s_check(const char *s, gy_text_kind_t kind)
{
    return gy_text_check(s, strlen(s), kind);
}

static void test_valid_text_counts_characters(void **state)
{
    (void)state;
    assert_int_equal(s_check("", GY_TEXT_LINE), 0);
    assert_int_equal(s_check("abc", GY_TEXT_LINE), 3);
    assert_int_equal(s_check("御河排污", GY_TEXT_LINE), 4);
    assert_int_equal(s_check("\xc2\xa0", GY_TEXT_LINE), 1);         /* U+00A0, first after C1 */
    assert_int_equal(s_check("\xed\x9f\xbf", GY_TEXT_LINE), 1);     /* U+D7FF */
    assert_int_equal(s_check("\xee\x80\x80", GY_TEXT_LINE), 1);     /* U+E000 */
    assert_int_equal(s_check("\xf0\x9f\x98\x80", GY_TEXT_LINE), 1); /* U+1F600 */
    assert_int_equal(s_check("\xf4\x8f\xbf\xbf", GY_TEXT_LINE), 1); /* U+10FFFF */
    assert_int_equal(s_check("第一行\n第二行\r\n\t", GY_TEXT_MULTILINE), 10);
}

static void test_invalid_utf8_is_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xc1\xbf",         /* overlong */
        "\xe0\x80\xaf",     /* overlong, three bytes */
        "\xf0\x80\x80\xaf", /* overlong, four bytes */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xed\xbf\xbf",     /* surrogate U+DFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf8\x88\x80\x80\x80",
        "\xff",
        "\x80",
        "a\xe5\xbe",
        "\xe5\xbe\x61", /* a cut character before 'a' */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(s_check(bad[i], GY_TEXT_MULTILINE), GY_TEXT_INVALID_UTF8);
        assert_false(gy_text_utf8_valid(bad[i], strlen(bad[i])));
    }
    /*  Invalid UTF-8 is reported before a control character. */
    assert_int_equal(s_check("\x01\xc0\xaf", GY_TEXT_LINE), GY_TEXT_INVALID_UTF8);
    assert_true(gy_text_utf8_valid("a\x01\xc2\x85", 4));
}

static void test_control_characters(void **state)
{
    (void)state;
    const char *line_bad[] = {"a\x01", "a\n",      "a\t",      "a\r",     "\x1f",
                              "\x7f",  "\xc2\x80", "\xc2\x85", "\xc2\x9f"};
    for (size_t i = 0; i < sizeof line_bad / sizeof line_bad[0]; i++)
        assert_int_equal(s_check(line_bad[i], GY_TEXT_LINE), GY_TEXT_CONTROL);
    /*  Paragraphs keep newlines and tabs, never the rest. */
    assert_int_equal(s_check("a\nb\tc\r", GY_TEXT_MULTILINE), 6);
    const char *multiline_bad[] = {"a\x01", "\x1f", "\x7f", "\xc2\x80", "\xc2\x85", "\xc2\x9f"};
    for (size_t i = 0; i < sizeof multiline_bad / sizeof multiline_bad[0]; i++)
        assert_int_equal(s_check(multiline_bad[i], GY_TEXT_MULTILINE), GY_TEXT_CONTROL);
    /*  NUL inside the length is a control character too. */
    assert_int_equal(gy_text_check("a\0b", 3, GY_TEXT_MULTILINE), GY_TEXT_CONTROL);
}

static void test_cut_at_character_boundary(void **state)
{
    (void)state;
    /*  The 38-byte trace id of the outside test: 35 ASCII and one
     *  three-byte character. */
    const char *trace = "01234567890123456789012345678901234中";
    size_t len = strlen(trace);
    assert_int_equal(len, 38);
    assert_int_equal(gy_text_cut(trace, len, 38), 38);
    assert_int_equal(gy_text_cut(trace, len, 37), 35);
    assert_int_equal(gy_text_cut(trace, len, 36), 35);
    assert_int_equal(gy_text_cut(trace, len, 35), 35);
    assert_int_equal(gy_text_cut(trace, len, 34), 34);
    assert_int_equal(gy_text_cut("\xf0\x9f\x98\x80", 4, 3), 0);
    assert_int_equal(gy_text_cut("ab", 2, 0), 0);
}

static void test_format_never_splits_a_character(void **state)
{
    (void)state;
    char buf[8];
    gy_text_format(buf, sizeof buf, "%s", "ab中文字"); /* 2 + 9 bytes into 7 */
    assert_string_equal(buf, "ab中");
    gy_text_format(buf, sizeof buf, "x%sy", "中");
    assert_string_equal(buf, "x中y");
    gy_text_format(buf, sizeof buf, "%s", "abcdefghij");
    assert_string_equal(buf, "abcdefg");
    char one[1];
    gy_text_format(one, sizeof one, "%s", "中");
    assert_string_equal(one, "");
    for (size_t size = 1; size < 20; size++) {
        char out[20];
        gy_text_format(out, size, "%s-%s", "检察公益诉讼", "线索");
        assert_true(gy_text_utf8_valid(out, strlen(out)));
        assert_true(strlen(out) < size);
    }
}

static void test_excerpt_is_safe_to_echo(void **state)
{
    (void)state;
    char out[16];
    gy_text_excerpt(out, sizeof out, "ecology");
    assert_string_equal(out, "ecology");
    gy_text_excerpt(out, sizeof out, "a\xc0\xaf\x01z");
    assert_string_equal(out, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
    gy_text_excerpt(out, sizeof out, "一二三四五六七八"); /* 24 bytes into 15 */
    assert_string_equal(out, "一二三四…");
    gy_text_excerpt(out, sizeof out, NULL);
    assert_string_equal(out, "");
    for (size_t size = 1; size < 16; size++) {
        gy_text_excerpt(out, size,
                        "\xed\xa0\x80中文\xc2\x85"
                        "abc");
        assert_true(strlen(out) < size);
        assert_int_not_equal(gy_text_check(out, strlen(out), GY_TEXT_LINE), GY_TEXT_INVALID_UTF8);
        assert_int_not_equal(gy_text_check(out, strlen(out), GY_TEXT_LINE), GY_TEXT_CONTROL);
    }
}

static void test_identifiers(void **state)
{
    (void)state;
    assert_true(gy_text_id_valid("hotline-12345", 64));
    assert_true(gy_text_id_valid("a b", 64));
    assert_true(gy_text_id_valid("x", 1));
    assert_false(gy_text_id_valid("xy", 1));
    assert_false(gy_text_id_valid("", 64));
    assert_false(gy_text_id_valid(NULL, 64));
    assert_false(gy_text_id_valid("热线", 64));
    assert_false(gy_text_id_valid("a\tb", 64));
    assert_false(gy_text_id_valid("a\x7f", 64));
}

/*  A log line longer than the line buffer (a PostgreSQL message quoting a
 *  value, say) ends at a character boundary. */
static void test_long_log_line_is_cut_at_a_boundary(void **state)
{
    (void)state;
    char *text = gy_malloc(3 * 1000 + 2);
    text[0] = 'x'; /* shifts the three-byte characters against the buffer's end */
    for (size_t i = 0; i < 1000; i++)
        memcpy(text + 1 + 3 * i, "中", 3);
    text[3001] = '\0';
    FILE *capture = tmpfile();
    assert_non_null(capture);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(capture), STDERR_FILENO);
    gy_log_init("test_gy_text", "info");
    gy_log_error("%s", text);
    dup2(saved, STDERR_FILENO);
    close(saved);
    free(text);
    char line[4096];
    rewind(capture);
    size_t n = fread(line, 1, sizeof line, capture);
    fclose(capture);
    assert_true(n > 1000 && n < sizeof line);
    assert_int_equal(line[n - 1], '\n');
    assert_true(gy_text_utf8_valid(line, n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_text_counts_characters),
        cmocka_unit_test(test_invalid_utf8_is_refused),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_cut_at_character_boundary),
        cmocka_unit_test(test_format_never_splits_a_character),
        cmocka_unit_test(test_excerpt_is_safe_to_echo),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_long_log_line_is_cut_at_a_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
