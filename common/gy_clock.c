/*  gy_clock — see gy_clock.h. */
#include "gy_clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gy_text.h"
#include "gy_util.h"

/*  The clock reads wall + offset, or frozen when frozen is set.  Atomics:
 *  a few threads (the bus's, libpq's callbacks) read the time too. */
static _Atomic int64_t s_offset_ms;
static _Atomic int64_t s_frozen_ms = GY_CLOCK_INVALID;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static int s_init_rc;

static int64_t s_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*  Days since 1970-01-01 of a civil date (Howard Hinnant's
 *  days_from_civil); the caller checked the ranges. */
static int64_t s_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool s_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int s_num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

int64_t gy_clock_parse_iso(const char *text)
{
    if (!text || strlen(text) < 20 || !s_digits(text, 4) || text[4] != '-' ||
        !s_digits(text + 5, 2) || text[7] != '-' || !s_digits(text + 8, 2) || text[10] != 'T' ||
        !s_digits(text + 11, 2) || text[13] != ':' || !s_digits(text + 14, 2) || text[16] != ':' ||
        !s_digits(text + 17, 2))
        return GY_CLOCK_INVALID;
    int y = s_num(text, 4), mo = s_num(text + 5, 2), d = s_num(text + 8, 2);
    int h = s_num(text + 11, 2), mi = s_num(text + 14, 2), s = s_num(text + 17, 2);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 ||
        mi > 59 || s > 59)
        return GY_CLOCK_INVALID;
    const char *p = text + 19;
    int ms = 0;
    if (*p == '.') {
        p++;
        size_t n = strspn(p, "0123456789");
        if (n < 1 || n > 9)
            return GY_CLOCK_INVALID;
        for (size_t i = 0; i < 3; i++)
            ms = ms * 10 + (i < n ? p[i] - '0' : 0);
        p += n;
    }
    int offset_min;
    if (strcmp(p, "Z") == 0) {
        offset_min = 0;
    } else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6 && s_digits(p + 1, 2) &&
               p[3] == ':' && s_digits(p + 4, 2) && s_num(p + 1, 2) <= 14 &&
               s_num(p + 4, 2) <= 59) {
        offset_min = (s_num(p + 1, 2) * 60 + s_num(p + 4, 2)) * (p[0] == '-' ? -1 : 1);
    } else {
        return GY_CLOCK_INVALID;
    }
    int64_t secs = s_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s -
                   (int64_t)offset_min * 60;
    return secs * 1000 + ms;
}

static void s_init_once(void)
{
    const char *start = getenv("GY_CLOCK_START");
    if (!start || !*start)
        return;
    int64_t ms = gy_clock_parse_iso(start);
    if (ms == GY_CLOCK_INVALID) {
        char quoted[72];
        gy_text_excerpt(quoted, sizeof quoted, start); /* cut at a character boundary */
        gy_log_error("invalid GY_CLOCK_START \"%s\"", quoted);
        gy_log_error("hint: an ISO 8601 instant with its offset, e.g. "
                     "2026-10-03T23:30:00+08:00");
        s_init_rc = -1;
        return;
    }
    atomic_store(&s_offset_ms, ms - s_wall_ms());
    gy_log_warning("the clock is set by GY_CLOCK_START: it started at %s and runs on; "
                   "deadlines and token lifetimes follow it (for tests only)",
                   start);
}

int gy_clock_init(void)
{
    pthread_once(&s_once, s_init_once);
    return s_init_rc;
}

int64_t gy_clock_now_ms(void)
{
    if (gy_clock_init() < 0)
        exit(1); /* a service calls gy_clock_init first and stops cleanly */
    int64_t frozen = atomic_load(&s_frozen_ms);
    if (frozen != GY_CLOCK_INVALID)
        return frozen;
    return s_wall_ms() + atomic_load(&s_offset_ms);
}

void gy_clock_set_ms(int64_t ms)
{
    gy_clock_init();
    atomic_store(&s_frozen_ms, ms);
}

void gy_clock_advance_ms(int64_t delta_ms)
{
    gy_clock_init();
    if (atomic_load(&s_frozen_ms) != GY_CLOCK_INVALID)
        atomic_fetch_add(&s_frozen_ms, delta_ms);
    else
        atomic_fetch_add(&s_offset_ms, delta_ms);
}

void gy_clock_reset(void)
{
    gy_clock_init();
    atomic_store(&s_frozen_ms, GY_CLOCK_INVALID);
    atomic_store(&s_offset_ms, 0);
}
