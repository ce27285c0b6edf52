/*  test_gy_metrics — counters, gauges and histograms, and an exposition that
 *  a Prometheus text-format parser accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_metrics.h"
#include "gy_util.h"

/*  Counts how often `needle` occurs in `haystack`. */
static int s_count(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/*  True when `line` is one whole line of `text`. */
static bool s_has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
        if ((p == text || p[-1] == '\n') && p[len] == '\n')
            return true;
    return false;
}

static bool s_name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

/*  The family a sample belongs to: histogram samples carry a suffix. */
static void s_family_of(const char *name, size_t len, char *out, size_t cap)
{
    static const char *suffixes[] = {"_bucket", "_sum", "_count"};
    snprintf(out, cap, "%.*s", (int)len, name);
    for (int i = 0; i < 3; i++) {
        size_t slen = strlen(suffixes[i]);
        if (len > slen && strcmp(out + len - slen, suffixes[i]) == 0) {
            out[len - slen] = '\0';
            return;
        }
    }
}

/*  Checks the text exposition format line by line the way Prometheus reads
 *  it: comments, metric names, label syntax and escapes, float values, a
 *  TYPE line at most once per family and before its samples, and the
 *  samples of one family kept together.  Returns NULL or what is wrong. */
static const char *s_check_exposition(const char *text)
{
    char typed[64][128];
    int ntyped = 0;
    char current[128] = "";
    char seen[64][128];
    int nseen = 0;
    const char *line = text;
    if (*text && text[strlen(text) - 1] != '\n')
        return "exposition does not end with a newline";
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = (size_t)(end - line);
        char buf[1024];
        if (len >= sizeof buf)
            return "line too long for the checker";
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = end + 1;
        if (len == 0)
            continue;
        if (buf[0] == '#') {
            char name[128];
            if (strncmp(buf, "# TYPE ", 7) == 0) {
                char type[32];
                if (sscanf(buf, "# TYPE %127s %31s", name, type) != 2)
                    return "malformed TYPE line";
                if (strcmp(type, "counter") != 0 && strcmp(type, "gauge") != 0 &&
                    strcmp(type, "histogram") != 0 && strcmp(type, "summary") != 0 &&
                    strcmp(type, "untyped") != 0)
                    return "unknown type";
                for (int i = 0; i < ntyped; i++)
                    if (strcmp(typed[i], name) == 0)
                        return "second TYPE line for a metric";
                for (int i = 0; i < nseen; i++)
                    if (strcmp(seen[i], name) == 0)
                        return "TYPE line after samples of its metric";
                snprintf(typed[ntyped++], sizeof typed[0], "%s", name);
            } else if (strncmp(buf, "# HELP ", 7) == 0) {
                if (sscanf(buf, "# HELP %127s", name) != 1)
                    return "malformed HELP line";
                for (const char *c = buf + 7; *c; c++)
                    if (*c == '\\' && c[1] != '\\' && c[1] != 'n')
                        return "bad escape in HELP";
                    else if (*c == '\\')
                        c++;
            }
            continue;
        }
        const char *p = buf;
        if (!s_name_char(*p, true))
            return "sample does not start with a metric name";
        while (s_name_char(*p, false))
            p++;
        char family[128];
        s_family_of(buf, (size_t)(p - buf), family, sizeof family);
        if (*p == '{') {
            p++;
            while (*p != '}') {
                if (!s_name_char(*p, true) || *p == ':')
                    return "bad label name";
                while (s_name_char(*p, false) && *p != ':')
                    p++;
                if (p[0] != '=' || p[1] != '"')
                    return "label without =\"";
                p += 2;
                while (*p != '"') {
                    if (!*p)
                        return "unterminated label value";
                    if (*p == '\\') {
                        if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
                            return "bad escape in label value";
                        p++;
                    }
                    p++;
                }
                p++;
                if (*p == ',')
                    p++;
                else if (*p != '}')
                    return "labels not separated by commas";
            }
            p++;
        }
        if (*p != ' ')
            return "no space before the value";
        p++;
        if (strcmp(p, "NaN") != 0 && strcmp(p, "+Inf") != 0 && strcmp(p, "-Inf") != 0) {
            char *vend;
            strtod(p, &vend);
            if (vend == p || *vend != '\0' || strpbrk(p, "nN"))
                return "value is not a float";
        }
        if (strcmp(family, current) != 0) {
            for (int i = 0; i < nseen; i++)
                if (strcmp(seen[i], family) == 0)
                    return "samples of one metric are not together";
            snprintf(seen[nseen++], sizeof seen[0], "%s", family);
            snprintf(current, sizeof current, "%s", family);
        }
    }
    return NULL;
}

static void test_counters_and_gauges(void **state)
{
    (void)state;
    gy_metrics_t *metrics = gy_metrics_new();
    gy_metrics_count(metrics, "gy_http_requests_total", "route=\"clues\",status=\"201\"", 1);
    gy_metrics_count(metrics, "gy_http_requests_total", "route=\"clues\",status=\"201\"", 2);
    gy_metrics_count(metrics, "gy_http_requests_total", "route=\"clues\",status=\"400\"", 1);
    gy_metrics_set(metrics, "gy_redis_up", "", 1);
    gy_metrics_set(metrics, "gy_redis_up", NULL, 0);
    gy_metrics_set(metrics, "gy_outbox_lag", "", 12.5);

    assert_true(
        gy_metrics_value(metrics, "gy_http_requests_total", "route=\"clues\",status=\"201\"") == 3);
    assert_true(
        gy_metrics_value(metrics, "gy_http_requests_total", "route=\"clues\",status=\"400\"") == 1);
    assert_true(gy_metrics_value(metrics, "gy_redis_up", "") == 0);
    assert_true(gy_metrics_value(metrics, "gy_outbox_lag", NULL) == 12.5);
    assert_true(gy_metrics_value(metrics, "gy_http_requests_total", "") == 0);
    assert_true(gy_metrics_value(metrics, "no_such_metric", "") == 0);

    char *text = gy_metrics_render(metrics);
    assert_true(s_has_line(text, "gy_http_requests_total{route=\"clues\",status=\"201\"} 3"));
    assert_true(s_has_line(text, "gy_http_requests_total{route=\"clues\",status=\"400\"} 1"));
    assert_true(s_has_line(text, "gy_redis_up 0"));
    assert_true(s_has_line(text, "gy_outbox_lag 12.5"));
    assert_true(s_has_line(text, "# TYPE gy_redis_up gauge"));
    assert_null(s_check_exposition(text));
    free(text);
    gy_metrics_destroy(&metrics);
    assert_null(metrics);
    gy_metrics_destroy(&metrics);
}

static void test_series_lookup_scales(void **state)
{
    (void)state;
    gy_metrics_t *metrics = gy_metrics_new();
    /*  Enough series to make the table grow several times. */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 2000; i++) {
            char labels[64];
            snprintf(labels, sizeof labels, "shard=\"%d\"", i);
            gy_metrics_count(metrics, i % 2 ? "odd_total" : "even_total", labels, (uint64_t)i);
        }
    }
    for (int i = 0; i < 2000; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "shard=\"%d\"", i);
        const char *name = i % 2 ? "odd_total" : "even_total";
        assert_true(gy_metrics_value(metrics, name, labels) == 3.0 * i);
        assert_true(gy_metrics_value(metrics, i % 2 ? "even_total" : "odd_total", labels) == 0);
    }
    char *text = gy_metrics_render(metrics);
    assert_int_equal(s_count(text, "# TYPE "), 2);
    assert_int_equal(s_count(text, "\nodd_total{"), 1000);
    assert_null(s_check_exposition(text));
    free(text);
    gy_metrics_destroy(&metrics);
}

static void test_histogram_buckets(void **state)
{
    (void)state;
    gy_metrics_t *metrics = gy_metrics_new();
    gy_metrics_describe(metrics, "gy_http_request_duration_seconds", "histogram",
                        "Time from the first byte of a request to the last byte of its answer.");
    const char *labels = "route=\"clues\"";
    gy_metrics_observe(metrics, "gy_http_request_duration_seconds", labels, 0.0005);
    gy_metrics_observe(metrics, "gy_http_request_duration_seconds", labels, 0.001); /* le is <= */
    gy_metrics_observe(metrics, "gy_http_request_duration_seconds", labels, 0.003);
    gy_metrics_observe(metrics, "gy_http_request_duration_seconds", labels, 0.2);
    gy_metrics_observe(metrics, "gy_http_request_duration_seconds", labels, 20);
    gy_metrics_observe(metrics, "gy_http_request_duration_seconds", "", 0.07);
    assert_true(gy_metrics_value(metrics, "gy_http_request_duration_seconds", labels) == 5);

    char *text = gy_metrics_render(metrics);
    static const struct {
        const char *le;
        int count;
    } expected[] = {{"0.001", 2}, {"0.0025", 2}, {"0.005", 3}, {"0.01", 3}, {"0.025", 3},
                    {"0.05", 3},  {"0.1", 3},    {"0.25", 4},  {"0.5", 4},  {"1", 4},
                    {"2.5", 4},   {"5", 4},      {"10", 4},    {"+Inf", 5}};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        char line[200];
        snprintf(line, sizeof line,
                 "gy_http_request_duration_seconds_bucket{route=\"clues\",le=\"%s\"} %d",
                 expected[i].le, expected[i].count);
        assert_true(s_has_line(text, line));
    }
    assert_true(s_has_line(text, "gy_http_request_duration_seconds_sum{route=\"clues\"} 20.2045"));
    assert_true(s_has_line(text, "gy_http_request_duration_seconds_count{route=\"clues\"} 5"));
    /*  Without labels, le is the only label and _sum/_count have none. */
    assert_true(s_has_line(text, "gy_http_request_duration_seconds_bucket{le=\"0.05\"} 0"));
    assert_true(s_has_line(text, "gy_http_request_duration_seconds_bucket{le=\"0.1\"} 1"));
    assert_true(s_has_line(text, "gy_http_request_duration_seconds_sum 0.07"));
    assert_true(s_has_line(text, "gy_http_request_duration_seconds_count 1"));
    assert_int_equal(s_count(text, "_bucket{"), 28);
    assert_int_equal(s_count(text, "# TYPE gy_http_request_duration_seconds histogram\n"), 1);
    assert_null(s_check_exposition(text));
    free(text);
    gy_metrics_destroy(&metrics);
}

static void test_help_and_type_once(void **state)
{
    (void)state;
    gy_metrics_t *metrics = gy_metrics_new();
    /*  Use before describe is fine: the family keeps its place. */
    gy_metrics_count(metrics, "gy_clues_committed_total", "", 4);
    gy_metrics_describe(metrics, "gy_clues_committed_total", "counter",
                        "Clues committed to PostgreSQL.\nCounted after COMMIT, C:\\ style.");
    gy_metrics_describe(metrics, "gy_commit_batches_total", "counter", "Commit batches.");
    gy_metrics_count(metrics, "gy_commit_batches_total", "kind=\"a\"", 1);
    gy_metrics_count(metrics, "gy_commit_batches_total", "kind=\"b\"", 1);
    gy_metrics_describe(metrics, "gy_postgres_up", "gauge", "1 while PostgreSQL answers.");

    char *text = gy_metrics_render(metrics);
    assert_int_equal(s_count(text, "# HELP gy_commit_batches_total "), 1);
    assert_int_equal(s_count(text, "# TYPE gy_commit_batches_total counter"), 1);
    assert_true(s_has_line(text, "# HELP gy_clues_committed_total Clues committed to "
                                 "PostgreSQL.\\nCounted after COMMIT, C:\\\\ style."));
    assert_true(s_has_line(text, "gy_clues_committed_total 4"));
    /*  A described metric without samples still announces itself. */
    assert_true(s_has_line(text, "# TYPE gy_postgres_up gauge"));
    /*  HELP comes before TYPE, and both before the first sample. */
    const char *help = strstr(text, "# HELP gy_commit_batches_total");
    const char *type = strstr(text, "# TYPE gy_commit_batches_total");
    const char *sample = strstr(text, "\ngy_commit_batches_total{");
    assert_true(help && type && sample && help < type && type < sample);
    assert_null(s_check_exposition(text));
    free(text);
    gy_metrics_destroy(&metrics);
}

static void test_values_and_escapes(void **state)
{
    (void)state;
    gy_metrics_t *metrics = gy_metrics_new();
    gy_metrics_set(metrics, "g", "a=\"1\"", 0.1);
    gy_metrics_set(metrics, "g", "a=\"2\"", NAN);
    gy_metrics_set(metrics, "g", "a=\"3\"", INFINITY);
    gy_metrics_set(metrics, "g", "a=\"4\"", -INFINITY);
    gy_metrics_set(metrics, "g", "a=\"5\"", 1e300);
    gy_metrics_set(metrics, "g", "a=\"6\"", -3);
    gy_metrics_set(metrics, "g", "path=\"a\\\"b\\\\c\\nd\"", 1);
    char *text = gy_metrics_render(metrics);
    assert_true(s_has_line(text, "g{a=\"1\"} 0.1"));
    assert_true(s_has_line(text, "g{a=\"2\"} NaN"));
    assert_true(s_has_line(text, "g{a=\"3\"} +Inf"));
    assert_true(s_has_line(text, "g{a=\"4\"} -Inf"));
    assert_true(s_has_line(text, "g{a=\"5\"} 1e+300"));
    assert_true(s_has_line(text, "g{a=\"6\"} -3"));
    assert_true(s_has_line(text, "g{path=\"a\\\"b\\\\c\\nd\"} 1"));
    assert_null(s_check_exposition(text));
    free(text);
    gy_metrics_destroy(&metrics);
}

static void test_bad_labels_are_dropped(void **state)
{
    (void)state;
    /*  One error line per metric is expected on stderr. */
    gy_metrics_t *metrics = gy_metrics_new();
    gy_metrics_count(metrics, "c_total", "route=\"a\nb\"", 1); /* raw newline */
    gy_metrics_count(metrics, "c_total", "route=unquoted", 1);
    gy_metrics_count(metrics, "c_total", "route=\"a\",", 1); /* trailing comma */
    gy_metrics_count(metrics, "c_total", "9route=\"a\"", 1);
    gy_metrics_count(metrics, "c_total", "route=\"a\\x\"", 1); /* unknown escape */
    gy_metrics_observe(metrics, "h_seconds", "le=\"1\"", 1);   /* reserved for buckets */
    gy_metrics_count(metrics, "c_total", "route=\"ok\"", 1);
    char *text = gy_metrics_render(metrics);
    assert_true(s_has_line(text, "c_total{route=\"ok\"} 1"));
    assert_int_equal(s_count(text, "c_total{"), 1);
    assert_int_equal(s_count(text, "h_seconds_bucket"), 0);
    assert_null(s_check_exposition(text));
    free(text);
    gy_metrics_destroy(&metrics);
}

static void test_checker_rejects_bad_text(void **state)
{
    (void)state;
    /*  The checker itself must be able to fail, or the tests above prove nothing. */
    assert_non_null(s_check_exposition("# TYPE a counter\n# TYPE a counter\na 1\n"));
    assert_non_null(s_check_exposition("a 1\n# TYPE a counter\n"));
    assert_non_null(s_check_exposition("a{x=\"1} 1\n"));
    assert_non_null(s_check_exposition("a one\n"));
    assert_non_null(s_check_exposition("a 1\nb 1\na 2\n"));
    assert_non_null(s_check_exposition("a 1"));
    assert_null(s_check_exposition("# HELP a x\n# TYPE a counter\na{x=\"1\"} 1\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters_and_gauges),
        cmocka_unit_test(test_series_lookup_scales),
        cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_help_and_type_once),
        cmocka_unit_test(test_values_and_escapes),
        cmocka_unit_test(test_bad_labels_are_dropped),
        cmocka_unit_test(test_checker_rejects_bad_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
