/*  test_gy_clock — the process clock: GY_CLOCK_START, frozen and moved
 *  clocks for tests, and the ISO 8601 instants they take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "gy_clock.h"
#include "gy_util.h"

static int64_t s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*  main set GY_CLOCK_START before the first reading: the clock started
 *  there and runs on. */
static void test_start_from_environment(void **state)
{
    (void)state;
    int64_t start = gy_clock_parse_iso("2026-10-03T23:30:00+08:00");
    assert_int_equal(gy_clock_init(), 0);
    int64_t now = gy_now_ms();
    assert_true(now >= start && now < start + 60000);
    struct timespec pause = {0, 20000000L};
    nanosleep(&pause, NULL);
    assert_true(gy_now_ms() >= now + 20);
}

static void test_parse(void **state)
{
    (void)state;
    /*  2026-10-03 is day 20729 since the epoch. */
    int64_t day = 20729LL * 86400000;
    assert_int_equal(gy_clock_parse_iso("2026-10-03T00:00:00Z"), day);
    assert_int_equal(gy_clock_parse_iso("2026-10-03T08:00:00+08:00"), day);
    assert_int_equal(gy_clock_parse_iso("2026-10-02T19:00:00-05:00"), day);
    assert_int_equal(gy_clock_parse_iso("2026-10-03T00:00:00.25Z"), day + 250);
    assert_int_equal(gy_clock_parse_iso("2026-10-03T00:00:00.123456Z"), day + 123);
    assert_int_equal(gy_clock_parse_iso("2028-02-29T00:00:00Z"), 21243LL * 86400000);
    assert_int_equal(gy_clock_parse_iso("1970-01-01T00:00:00Z"), 0);
    static const char *const bad[] = {
        "",
        "2026-10-03",
        "2026-10-03T00:00:00",      /* no offset: ambiguous */
        "2026-10-03 00:00:00Z",     /* a space */
        "2026-02-29T00:00:00Z",     /* not a leap year */
        "2026-13-01T00:00:00Z",     /* month */
        "2026-10-03T24:00:00Z",     /* hour */
        "2026-10-03T00:00:00+8:00", /* offset */
        "2026-10-03T00:00:00+08",   /* offset */
        "2026-10-03T00:00:00.Z",    /* empty fraction */
        "2026-10-03T00:00:00Zjunk", /* trailing */
        "1969-12-31T00:00:00Z",     /* before the epoch */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (gy_clock_parse_iso(bad[i]) != GY_CLOCK_INVALID)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(gy_clock_parse_iso(NULL), GY_CLOCK_INVALID);
}

static void test_frozen_and_moved(void **state)
{
    (void)state;
    int64_t t = gy_clock_parse_iso("2026-11-28T01:00:00+08:00");
    gy_clock_set_ms(t);
    assert_int_equal(gy_now_ms(), t);
    struct timespec pause = {0, 5000000L};
    nanosleep(&pause, NULL);
    assert_int_equal(gy_now_ms(), t); /* frozen */
    gy_clock_advance_ms(86400000);
    assert_int_equal(gy_now_ms(), t + 86400000);
    gy_clock_reset();
    int64_t wall = s_wall_ms();
    assert_true(gy_now_ms() >= wall && gy_now_ms() < wall + 1000);
    /*  Advancing a running clock shifts it. */
    gy_clock_advance_ms(-3600000);
    wall = s_wall_ms();
    assert_true(gy_now_ms() >= wall - 3600000 && gy_now_ms() < wall - 3600000 + 1000);
    gy_clock_reset();
}

int main(void)
{
    setenv("GY_CLOCK_START", "2026-10-03T23:30:00+08:00", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_from_environment),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_frozen_and_moved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
