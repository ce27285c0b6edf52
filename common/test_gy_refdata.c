/*  test_gy_refdata — the reference data as a service loads it: the shipped
 *  files, what each field allows, and a clear refusal of a bad cell that
 *  names the file, the line and the column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gy_refdata.h"
#include "gy_util.h"

#define S_REFDIR GY_SOURCE_DIR "/reference"

static void test_shipped_fields(void **state)
{
    (void)state;
    gy_refdata_t *ref = gy_refdata_new(S_REFDIR);
    assert_non_null(ref);
    /*  反垄断法 art. 60: civil only, and only a 设区的市 or above. */
    const gy_field_t *f = gy_refdata_field(ref, "anti_monopoly");
    assert_non_null(f);
    assert_false(f->administrative);
    assert_true(f->civil);
    assert_string_equal(f->min_level, "city");
    /*  行诉法 art. 25: state land transfer is administrative only. */
    f = gy_refdata_field(ref, "state_land");
    assert_true(f->administrative);
    assert_false(f->civil);
    assert_string_equal(f->min_level, "county");
    f = gy_refdata_field(ref, "ecology");
    assert_true(f->administrative && f->civil);
    assert_string_equal(f->min_level, "county");
    /*  Every shipped field says what it covers, for the public's form. */
    assert_non_null(strstr(f->description_zh, "非法采矿采砂"));
    for (size_t i = 0; i < gy_refdata_field_count(ref); i++)
        assert_true(gy_refdata_field_at(ref, i)->description_zh[0] != '\0');
    gy_refdata_destroy(&ref);
    assert_null(ref);
    assert_int_equal(gy_refdata_level_rank("county"), 0);
    assert_int_equal(gy_refdata_level_rank("city"), 1);
    assert_int_equal(gy_refdata_level_rank("province"), 2);
    assert_int_equal(gy_refdata_level_rank("supreme"), 3);
    assert_int_equal(gy_refdata_level_rank("town"), -1);
}

/*  Loads a folder with the shipped regions.csv and the given fields.csv;
 *  returns what was logged (the caller frees), NULL when it loaded. */
static char *s_load_fields(const char *fields_csv)
{
    char dir[] = "/tmp/gy_refdata_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *regions = gy_read_file(S_REFDIR "/regions.csv", NULL);
    assert_non_null(regions);
    char *path = gy_sprintf("%s/regions.csv", dir);
    FILE *f = fopen(path, "w");
    fputs(regions, f);
    fclose(f);
    free(path);
    free(regions);
    path = gy_sprintf("%s/fields.csv", dir);
    f = fopen(path, "w");
    fputs(fields_csv, f);
    fclose(f);

    /*  The errors go to stderr: catch them in a file. */
    char *log_path = gy_sprintf("%s/log", dir);
    fflush(stderr);
    int saved = dup(2);
    FILE *log = freopen(log_path, "w", stderr);
    assert_non_null(log);
    gy_refdata_t *ref = gy_refdata_new(dir);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *logged = gy_read_file(log_path, NULL);
    bool loaded = ref != NULL;
    gy_refdata_destroy(&ref);

    unlink(log_path);
    unlink(path);
    free(path);
    free(log_path);
    path = gy_sprintf("%s/regions.csv", dir);
    unlink(path);
    free(path);
    rmdir(dir);
    if (loaded) {
        free(logged);
        return NULL;
    }
    return logged ? logged : gy_strdup("");
}

static const char s_header[] = "code,name_zh,name_en,origin,case_kinds,min_level\n";

/*  description_zh (column 7) is optional: a file without it loads, each
 *  field's description then "". */
static void test_description_is_optional(void **state)
{
    (void)state;
    assert_null(s_load_fields("code,name_zh,name_en,origin,case_kinds,min_level\n"
                              "ecology,生态,ecology,2017,both,county\n"));
    assert_null(s_load_fields("code,name_zh,name_en,origin,case_kinds,min_level,description_zh\n"
                              "ecology,生态,ecology,2017,both,county,污染环境\n"
                              "minors,未成年人,minors,2020,both,county\n"));
}

static void test_bad_cells_are_named(void **state)
{
    (void)state;
    static const struct {
        const char *row;
        const char *says; /* what the log must contain */
    } cases[] = {
        {"ecology,生态,ecology,2017,both,county\n", NULL},
        {"ecology,生态,ecology,2017,criminal,county\n", "column 5 (case_kinds)"},
        {"ecology,生态,ecology,2017,,county\n", "column 5 (case_kinds)"},
        {"ecology,生态,ecology,2017,both,town\n", "column 6 (min_level)"},
        {"ecology,生态,ecology,2017,both,supreme\n", "column 6 (min_level)"},
        {"ecology,生态,ecology,2017\n", "expected 6 columns, found 4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *csv = gy_sprintf("%sother,其他,other,等外,both,county\n%s", s_header, cases[i].row);
        char *logged = s_load_fields(csv);
        if (!cases[i].says) {
            assert_null(logged);
        } else {
            assert_non_null(logged);
            /*  The second data row is line 3 of the file. */
            if (!strstr(logged, "fields.csv:3") || !strstr(logged, cases[i].says))
                fail_msg("case %zu: the log does not name fields.csv:3 and \"%s\": %s", i,
                         cases[i].says, logged);
        }
        free(logged);
        free(csv);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_fields),
        cmocka_unit_test(test_bad_cells_are_named),
        cmocka_unit_test(test_description_is_optional),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
