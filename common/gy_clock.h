/*  gy_clock — the one clock of a process: every date-dependent rule (legal
 *  periods, due work, token lifetimes, "not in the future" checks) reads
 *  it through gy_now_ms(), so a test can put a whole process on any date.
 *
 *  By default it is the system's wall clock.  Two ways to move it:
 *  - GY_CLOCK_START (environment, read once at the first reading): an
 *    ISO 8601 instant with its offset, e.g. "2026-10-03T23:30:00+08:00" or
 *    "2026-10-03T15:30:00.250Z".  The clock reads that instant when the
 *    process first looks at it and runs on at real speed.  A warning is
 *    logged, since a service on a shifted clock computes wrong deadlines in
 *    production.  A malformed value stops the process (exit status 1).
 *  - In unit tests: gy_clock_set_ms freezes the clock at an instant;
 *    gy_clock_advance_ms moves the frozen clock; gy_clock_reset goes back to
 *    the wall clock.
 *
 *      gy_clock_set_ms(gy_clock_parse_iso("2026-11-28T01:00:00+08:00"));
 *      ... code under test calls gy_now_ms() ...
 *      gy_clock_advance_ms(86400000);
 *
 *  Log lines keep the real time: they are for operators correlating
 *  events across hosts.  Durations use gy_mono_ns, which no setting moves.
 */
#ifndef GY_CLOCK_H
#define GY_CLOCK_H

#include <stdint.h>

#define GY_CLOCK_INVALID INT64_MIN

/*  Milliseconds since the Unix epoch by this process's clock (what
 *  gy_now_ms returns). */
int64_t gy_clock_now_ms(void);

/*  Reads GY_CLOCK_START now instead of at the first reading: 0, or -1
 *  (logged) when it is malformed.  A service calls it at start so that a
 *  bad value is refused before anything runs. */
int gy_clock_init(void);

/*  Freezes the clock at ms / moves the frozen (or shifted) clock by
 *  delta_ms / back to the wall clock.  For tests. */
void gy_clock_set_ms(int64_t ms);
void gy_clock_advance_ms(int64_t delta_ms);
void gy_clock_reset(void);

/*  "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)" to milliseconds since the
 *  epoch; GY_CLOCK_INVALID when malformed. */
int64_t gy_clock_parse_iso(const char *text);

#endif
