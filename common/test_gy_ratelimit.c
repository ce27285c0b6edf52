/*  test_gy_ratelimit — rate limits and the Redis bridge against a real
 *  redis-server that each test starts on a free port, kills, stops with
 *  SIGSTOP and restarts.
 *
 *  The child never outlives the test: teardown kills it on every path
 *  (cmocka runs teardown after a failed test), an atexit handler covers
 *  exit(), PR_SET_PDEATHSIG covers a crash, and alarm() bounds a hang.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gy_ratelimit.h"
#include "gy_redis.h"
#include "gy_util.h"

#define S_TIMEOUT_MS 100 /* command deadline used throughout */
#define S_SLACK_MS   150 /* scheduling slack allowed on top of it under ASan */
#define S_HOUR_MS    3600000u

typedef struct {
    uv_loop_t loop;
    uv_timer_t guard; /* wakes the loop so waits can time out */
    pid_t redis_pid;  /* 0 when no redis-server is running */
    int port;
} s_fixture_t;

static pid_t s_child; /* for the atexit handler */

/* ---------------------------------------------------------------- redis-server */

static void s_kill_child(void)
{
    if (s_child > 0) {
        kill(s_child, SIGKILL);
        kill(s_child, SIGCONT);
        waitpid(s_child, NULL, 0);
        s_child = 0;
    }
}

static int s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t len = sizeof addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

static bool s_port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool open = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return open;
}

static void s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static uint64_t s_ms_since(uint64_t start_ns)
{
    return (gy_mono_ns() - start_ns) / 1000000u;
}

/*  Starts redis-server on fx->port and waits until it accepts. */
static void s_redis_start(s_fixture_t *fx)
{
    assert_int_equal(fx->redis_pid, 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        char port[16];
        snprintf(port, sizeof port, "%d", fx->port);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", "/tmp", (char *)NULL);
        _exit(127);
    }
    fx->redis_pid = s_child = pid;
    uint64_t start = gy_mono_ns();
    while (!s_port_open(fx->port)) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            fx->redis_pid = s_child = 0;
            fail_msg("redis-server exited at start (port %d)", fx->port);
        }
        if (s_ms_since(start) > 5000)
            fail_msg("redis-server did not accept connections within 5 s");
        s_sleep_ms(10);
    }
}

static void s_redis_kill(s_fixture_t *fx)
{
    if (fx->redis_pid > 0) {
        kill(fx->redis_pid, SIGKILL);
        kill(fx->redis_pid, SIGCONT); /* a stopped process dies only once resumed on some kernels */
        waitpid(fx->redis_pid, NULL, 0);
    }
    fx->redis_pid = s_child = 0;
}

/*  One line of redis-cli's answer, for checking what the module wrote. */
static char *s_redis_cli(s_fixture_t *fx, const char *args)
{
    char *cmd = gy_sprintf("redis-cli -h 127.0.0.1 -p %d %s", fx->port, args);
    FILE *p = popen(cmd, "r");
    free(cmd);
    assert_non_null(p);
    char line[256] = "";
    if (!fgets(line, sizeof line, p))
        line[0] = '\0';
    pclose(p);
    line[strcspn(line, "\n")] = '\0';
    return gy_strdup(line);
}

/* ---------------------------------------------------------------- the loop */

static void s_on_guard(uv_timer_t *timer)
{
    (void)timer;
}

typedef bool(s_pred_fn)(void *arg);

/*  Runs the loop until pred(arg) holds or timeout_ms passes. */
static bool s_run_until(s_fixture_t *fx, s_pred_fn *pred, void *arg, uint64_t timeout_ms)
{
    uint64_t start = gy_mono_ns();
    uv_timer_start(&fx->guard, s_on_guard, 5, 5);
    bool done;
    while (!(done = pred(arg)) && s_ms_since(start) < timeout_ms)
        uv_run(&fx->loop, UV_RUN_ONCE);
    uv_timer_stop(&fx->guard);
    return done;
}

static bool s_never(void *arg)
{
    (void)arg;
    return false;
}

static void s_run_for(s_fixture_t *fx, uint64_t ms)
{
    s_run_until(fx, s_never, NULL, ms);
}

static bool s_is_up(void *arg)
{
    return gy_redis_up(arg);
}

static bool s_is_down(void *arg)
{
    return !gy_redis_up(arg);
}

/*  Closes everything left and checks that the loop ends clean: every
 *  handle closed, every callback run. */
static void s_loop_finish(s_fixture_t *fx)
{
    uv_close((uv_handle_t *)&fx->guard, NULL);
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
}

static int s_setup(void **state)
{
    s_fixture_t *fx = gy_calloc(1, sizeof *fx);
    uv_loop_init(&fx->loop);
    uv_timer_init(&fx->loop, &fx->guard);
    fx->port = s_free_port();
    s_redis_start(fx);
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    s_redis_kill(fx);
    /*  After a failed test the loop may still hold handles; the process
     *  reports that as a leak, which is right. */
    free(fx);
    return 0;
}

/* ---------------------------------------------------------------- answers */

typedef struct {
    int calls;
    bool returned; /* set once the call that started it returned */
    bool early;    /* the callback ran before that */
    bool ok;       /* ratelimit: allowed; redis: ok */
    int64_t count;
} s_result_t;

static void s_on_allowed(void *arg, bool allowed)
{
    s_result_t *r = arg;
    r->calls++;
    r->ok = allowed;
    r->early = !r->returned;
}

static void s_on_count(void *arg, bool ok, int64_t count)
{
    s_result_t *r = arg;
    r->calls++;
    r->ok = ok;
    r->count = count;
    r->early = !r->returned;
}

static bool s_answered(void *arg)
{
    return ((s_result_t *)arg)->calls > 0;
}

/*  One check, run to its answer; elapsed_ms (optional) gets its latency. */
static bool s_check(s_fixture_t *fx, gy_ratelimit_t *rl, const char *key, uint32_t limit,
                    uint64_t window_ms, uint64_t *elapsed_ms)
{
    s_result_t r = {0};
    uint64_t start = gy_mono_ns();
    gy_ratelimit_check(rl, key, limit, window_ms, s_on_allowed, &r);
    r.returned = true;
    assert_int_equal(r.calls, 0);
    assert_true(s_run_until(fx, s_answered, &r, 3000));
    if (elapsed_ms)
        *elapsed_ms = s_ms_since(start);
    assert_false(r.early);
    assert_int_equal(r.calls, 1);
    return r.ok;
}

static bool s_incr(s_fixture_t *fx, gy_redis_t *redis, const char *key, int64_t *count)
{
    s_result_t r = {0};
    gy_redis_incr_window(redis, key, 60000, s_on_count, &r);
    r.returned = true;
    assert_int_equal(r.calls, 0);
    assert_true(s_run_until(fx, s_answered, &r, 3000));
    assert_false(r.early);
    assert_int_equal(r.calls, 1);
    *count = r.count;
    return r.ok;
}

/*  Waits, if need be, so that the next `needed_ms` stay inside one window. */
static void s_fresh_window(uint64_t window_ms, uint64_t needed_ms)
{
    uint64_t into = (uint64_t)gy_now_ms() % window_ms;
    if (into + needed_ms >= window_ms)
        s_sleep_ms((long)(window_ms - into + 5));
}

static gy_redis_t *s_redis_up(s_fixture_t *fx)
{
    gy_redis_t *redis = gy_redis_new(&fx->loop, "127.0.0.1", fx->port, S_TIMEOUT_MS);
    assert_non_null(redis);
    assert_true(s_run_until(fx, s_is_up, redis, 3000));
    return redis;
}

/* ---------------------------------------------------------------- gy_redis */

static void test_redis_counts_with_ttl(void **state)
{
    s_fixture_t *fx = *state;
    gy_redis_t *redis = s_redis_up(fx);
    int64_t count = 0;
    for (int64_t i = 1; i <= 3; i++) {
        assert_true(s_incr(fx, redis, "t:counter", &count));
        assert_int_equal(count, i);
    }
    /*  SET NX gave the key its lifetime once; INCR kept it. */
    char *pttl = s_redis_cli(fx, "PTTL t:counter");
    long ttl = strtol(pttl, NULL, 10);
    assert_true(ttl > 50000 && ttl <= 60000);
    free(pttl);

    /*  An error reply is a failure, not a count, and Redis is still up. */
    free(s_redis_cli(fx, "SET t:text hello"));
    assert_false(s_incr(fx, redis, "t:text", &count));
    assert_true(gy_redis_up(redis));

    /*  A burst, pipelined without waiting: every answer exactly once. */
    enum { N = 200 };
    s_result_t *burst = gy_calloc(N, sizeof *burst);
    for (int i = 0; i < N; i++) {
        gy_redis_incr_window(redis, "t:counter", 60000, s_on_count, &burst[i]);
        burst[i].returned = true;
    }
    s_run_for(fx, 300);
    bool *seen = gy_calloc(N + 4, sizeof *seen);
    for (int i = 0; i < N; i++) {
        assert_int_equal(burst[i].calls, 1);
        assert_true(burst[i].ok);
        assert_false(burst[i].early);
        assert_true(burst[i].count >= 4 && burst[i].count < N + 4);
        assert_false(seen[burst[i].count]);
        seen[burst[i].count] = true;
    }
    free(seen);
    free(burst);

    gy_redis_destroy(&redis);
    assert_null(redis);
    gy_redis_destroy(&redis); /* NULL is accepted */
    s_loop_finish(fx);
}

static void test_redis_down_answers_later(void **state)
{
    s_fixture_t *fx = *state;
    s_redis_kill(fx);
    gy_redis_t *redis = gy_redis_new(&fx->loop, "127.0.0.1", fx->port, S_TIMEOUT_MS);
    assert_non_null(redis);
    s_run_for(fx, 50);
    assert_false(gy_redis_up(redis));
    int64_t count = 99;
    uint64_t start = gy_mono_ns();
    assert_false(s_incr(fx, redis, "t:down", &count));
    assert_true(s_ms_since(start) < 50);

    /*  Then Redis appears and the one-second retry finds it. */
    s_redis_start(fx);
    assert_true(s_run_until(fx, s_is_up, redis, 3000));
    assert_true(s_incr(fx, redis, "t:down", &count));
    assert_int_equal(count, 1);
    gy_redis_destroy(&redis);
    s_loop_finish(fx);
}

static void test_redis_destroy_answers_pending(void **state)
{
    s_fixture_t *fx = *state;
    gy_redis_t *redis = s_redis_up(fx);
    /*  Commands in flight when the connection is destroyed are answered
     *  with an error, from the loop, once each. */
    s_result_t r[5] = {{0}};
    for (int i = 0; i < 5; i++) {
        gy_redis_incr_window(redis, "t:destroy", 60000, s_on_count, &r[i]);
        r[i].returned = true;
    }
    gy_redis_destroy(&redis);
    for (int i = 0; i < 5; i++)
        assert_int_equal(r[i].calls, 0);
    s_loop_finish(fx);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(r[i].calls, 1);
        assert_false(r[i].ok);
    }
}

static void test_redis_late_reply_is_ignored(void **state)
{
    s_fixture_t *fx = *state;
    gy_redis_t *redis = s_redis_up(fx);
    int64_t count = 0;
    assert_true(s_incr(fx, redis, "t:late", &count));
    assert_int_equal(count, 1);

    kill(fx->redis_pid, SIGSTOP);
    s_result_t late = {0};
    uint64_t start = gy_mono_ns();
    gy_redis_incr_window(redis, "t:late", 60000, s_on_count, &late);
    late.returned = true;
    assert_true(s_run_until(fx, s_answered, &late, 3000));
    uint64_t elapsed = s_ms_since(start);
    assert_false(late.ok);
    assert_true(elapsed >= S_TIMEOUT_MS - 20 && elapsed < S_TIMEOUT_MS + S_SLACK_MS);
    /*  A command already past its deadline makes the connection "not up",
     *  so nobody else waits on it. */
    assert_false(gy_redis_up(redis));
    s_run_for(fx, 150);

    /*  Redis resumes within the second: the reply arrives late, on the same
     *  connection, and must change nothing. */
    kill(fx->redis_pid, SIGCONT);
    assert_true(s_run_until(fx, s_is_up, redis, 1000));
    s_run_for(fx, 50);
    assert_int_equal(late.calls, 1);
    assert_false(late.ok);
    /*  Redis did apply the late INCR: the next count is 3. */
    assert_true(s_incr(fx, redis, "t:late", &count));
    assert_int_equal(count, 3);
    gy_redis_destroy(&redis);
    s_loop_finish(fx);
}

static void test_redis_reset_is_noticed(void **state)
{
    s_fixture_t *fx = *state;
    /*  A long deadline, so that only noticing the reset answers quickly. */
    gy_redis_t *redis = gy_redis_new(&fx->loop, "127.0.0.1", fx->port, 5000);
    assert_true(s_run_until(fx, s_is_up, redis, 3000));
    kill(fx->redis_pid, SIGSTOP);
    s_result_t r = {0};
    gy_redis_incr_window(redis, "t:reset", 60000, s_on_count, &r);
    r.returned = true;
    s_run_for(fx, 100);
    assert_int_equal(r.calls, 0);
    /*  The command lies unread in the dead server's socket, so the kernel
     *  resets the connection instead of closing it. */
    uint64_t start = gy_mono_ns();
    s_redis_kill(fx);
    assert_true(s_run_until(fx, s_answered, &r, 6000));
    assert_true(s_ms_since(start) < 500);
    assert_false(r.ok);
    assert_false(gy_redis_up(redis));
    gy_redis_destroy(&redis);
    s_loop_finish(fx);
}

/* ---------------------------------------------------------------- gy_ratelimit */

static void test_limit_enforced_in_window(void **state)
{
    s_fixture_t *fx = *state;
    gy_redis_t *redis = s_redis_up(fx);
    gy_ratelimit_t *rl = gy_ratelimit_new(&fx->loop, redis, "gy:rl:test:");
    assert_non_null(rl);

    s_fresh_window(S_HOUR_MS, 10000);
    for (int i = 0; i < 3; i++)
        assert_true(s_check(fx, rl, "ip:192.0.2.1", 3, S_HOUR_MS, NULL));
    assert_false(s_check(fx, rl, "ip:192.0.2.1", 3, S_HOUR_MS, NULL));
    assert_false(s_check(fx, rl, "ip:192.0.2.1", 3, S_HOUR_MS, NULL));
    /*  Another key has its own count; limit 0 means unlimited. */
    assert_true(s_check(fx, rl, "ip:192.0.2.2", 3, S_HOUR_MS, NULL));
    for (int i = 0; i < 5; i++)
        assert_true(s_check(fx, rl, "ip:192.0.2.1", 0, S_HOUR_MS, NULL));

    /*  The count is in Redis under prefix + key + ":" + window, and lives
     *  past the end of its window. */
    uint64_t window = (uint64_t)gy_now_ms() / S_HOUR_MS;
    char *args = gy_sprintf("GET gy:rl:test:ip:192.0.2.1:%" PRIu64, window);
    char *value = s_redis_cli(fx, args);
    assert_string_equal(value, "5");
    free(value);
    free(args);
    args = gy_sprintf("PTTL gy:rl:test:ip:192.0.2.1:%" PRIu64, window);
    value = s_redis_cli(fx, args);
    long ttl = strtol(value, NULL, 10);
    assert_true(ttl > (long)S_HOUR_MS && ttl <= 2 * (long)S_HOUR_MS);
    free(value);
    free(args);

    /*  A new window starts a new count. */
    s_fresh_window(1000, 500);
    assert_true(s_check(fx, rl, "user:7", 1, 1000, NULL));
    assert_false(s_check(fx, rl, "user:7", 1, 1000, NULL));
    s_fresh_window(1000, 999);
    assert_true(s_check(fx, rl, "user:7", 1, 1000, NULL));

    gy_ratelimit_destroy(&rl);
    assert_null(rl);
    gy_ratelimit_destroy(&rl);
    gy_redis_destroy(&redis);
    s_loop_finish(fx);
}

static void test_two_instances_share_the_count(void **state)
{
    s_fixture_t *fx = *state;
    gy_redis_t *redis_a = s_redis_up(fx);
    gy_redis_t *redis_b = s_redis_up(fx);
    gy_ratelimit_t *a = gy_ratelimit_new(&fx->loop, redis_a, "gy:rl:intake:");
    gy_ratelimit_t *b = gy_ratelimit_new(&fx->loop, redis_b, "gy:rl:intake:");
    gy_ratelimit_t *other = gy_ratelimit_new(&fx->loop, redis_b, "gy:rl:other:");

    s_fresh_window(S_HOUR_MS, 10000);
    int allowed = 0;
    for (int i = 0; i < 10; i++)
        allowed += s_check(fx, i % 2 ? b : a, "volunteer:42", 4, S_HOUR_MS, NULL);
    assert_int_equal(allowed, 4);
    /*  Each instance alone has seen only five: without sharing, all ten
     *  would pass.  The last hits were refused on both. */
    assert_false(s_check(fx, a, "volunteer:42", 4, S_HOUR_MS, NULL));
    assert_false(s_check(fx, b, "volunteer:42", 4, S_HOUR_MS, NULL));
    /*  Another prefix is another limit. */
    assert_true(s_check(fx, other, "volunteer:42", 4, S_HOUR_MS, NULL));

    gy_ratelimit_destroy(&other);
    gy_ratelimit_destroy(&b);
    gy_ratelimit_destroy(&a);
    gy_redis_destroy(&redis_b);
    gy_redis_destroy(&redis_a);
    s_loop_finish(fx);
}

static void test_in_process_only(void **state)
{
    s_fixture_t *fx = *state;
    gy_ratelimit_t *rl = gy_ratelimit_new(&fx->loop, NULL, "gy:rl:local:");
    s_fresh_window(S_HOUR_MS, 10000);
    assert_true(s_check(fx, rl, "k", 2, S_HOUR_MS, NULL));
    assert_true(s_check(fx, rl, "k", 2, S_HOUR_MS, NULL));
    assert_false(s_check(fx, rl, "k", 2, S_HOUR_MS, NULL));
    assert_true(s_check(fx, rl, "k", 0, S_HOUR_MS, NULL));

    /*  Many keys in short windows: the table grows, and ended windows are
     *  forgotten (ASan's leak check sees the rest freed on destroy). */
    s_fresh_window(1000, 800);
    for (int i = 0; i < 1000; i++) {
        char key[32];
        snprintf(key, sizeof key, "burst:%d", i);
        s_result_t r = {.returned = true};
        gy_ratelimit_check(rl, key, 1, 1000, s_on_allowed, &r);
        gy_ratelimit_check(rl, key, 1, 1000, s_on_allowed, &r);
        uv_run(&fx->loop, UV_RUN_NOWAIT);
        uv_run(&fx->loop, UV_RUN_NOWAIT);
        assert_int_equal(r.calls, 2);
        assert_false(r.ok); /* the second of two in one window */
    }
    s_sleep_ms(1300);
    assert_true(s_check(fx, rl, "burst:1", 1, 1000, NULL));
    gy_ratelimit_destroy(&rl);
    s_loop_finish(fx);
}

static void test_fallback_when_redis_is_killed(void **state)
{
    s_fixture_t *fx = *state;
    gy_redis_t *redis = s_redis_up(fx);
    gy_ratelimit_t *rl = gy_ratelimit_new(&fx->loop, redis, "gy:rl:test:");
    s_fresh_window(S_HOUR_MS, 20000);
    assert_true(s_check(fx, rl, "ip:198.51.100.9", 3, S_HOUR_MS, NULL));
    assert_true(s_check(fx, rl, "ip:198.51.100.9", 3, S_HOUR_MS, NULL));

    s_redis_kill(fx);
    assert_true(s_run_until(fx, s_is_down, redis, 2000));
    /*  Checks still answer, at once, and the in-process count (which saw
     *  the first two hits) keeps the limit. */
    uint64_t elapsed = 0;
    assert_true(s_check(fx, rl, "ip:198.51.100.9", 3, S_HOUR_MS, &elapsed));
    assert_true(elapsed < 50);
    assert_false(s_check(fx, rl, "ip:198.51.100.9", 3, S_HOUR_MS, &elapsed));
    assert_true(elapsed < 50);
    assert_false(s_check(fx, rl, "ip:198.51.100.9", 3, S_HOUR_MS, NULL));
    assert_true(s_check(fx, rl, "ip:198.51.100.10", 3, S_HOUR_MS, NULL));

    /*  Redis comes back (empty): the connection recovers by itself and the
     *  shared count decides again. */
    s_redis_start(fx);
    assert_true(s_run_until(fx, s_is_up, redis, 3000));
    assert_true(s_check(fx, rl, "ip:198.51.100.9", 3, S_HOUR_MS, NULL));
    uint64_t window = (uint64_t)gy_now_ms() / S_HOUR_MS;
    char *args = gy_sprintf("GET gy:rl:test:ip:198.51.100.9:%" PRIu64, window);
    char *value = s_redis_cli(fx, args);
    assert_string_equal(value, "1");
    free(value);
    free(args);

    gy_ratelimit_destroy(&rl);
    gy_redis_destroy(&redis);
    s_loop_finish(fx);
}

static void test_stalled_redis_does_not_block(void **state)
{
    s_fixture_t *fx = *state;
    gy_redis_t *redis = s_redis_up(fx);
    gy_ratelimit_t *rl = gy_ratelimit_new(&fx->loop, redis, "gy:rl:test:");
    s_fresh_window(S_HOUR_MS, 20000);
    assert_true(s_check(fx, rl, "stall", 2, S_HOUR_MS, NULL));

    kill(fx->redis_pid, SIGSTOP);
    /*  The first check waits for the deadline, not longer, and falls back. */
    uint64_t elapsed = 0;
    assert_true(s_check(fx, rl, "stall", 2, S_HOUR_MS, &elapsed));
    assert_true(elapsed < S_TIMEOUT_MS + S_SLACK_MS);
    /*  Later ones do not wait at all, and the local limit applies. */
    assert_false(s_check(fx, rl, "stall", 2, S_HOUR_MS, &elapsed));
    assert_true(elapsed < 50);
    assert_false(gy_redis_up(redis));

    /*  A long stall: the connection is dropped, reconnects reach only the
     *  kernel's backlog, and it stays down without blocking anyone. */
    s_run_for(fx, 2500);
    assert_false(gy_redis_up(redis));
    for (int i = 0; i < 5; i++) {
        assert_false(s_check(fx, rl, "stall", 2, S_HOUR_MS, &elapsed));
        assert_true(elapsed < 50);
    }
    assert_true(s_check(fx, rl, "stall:other", 2, S_HOUR_MS, NULL));

    kill(fx->redis_pid, SIGCONT);
    assert_true(s_run_until(fx, s_is_up, redis, 3000));
    /*  Commands go through Redis again. */
    s_result_t r = {0};
    gy_redis_incr_window(redis, "t:after-stall", 1000, s_on_count, &r);
    r.returned = true;
    assert_true(s_run_until(fx, s_answered, &r, 1000));
    assert_true(r.ok);

    gy_ratelimit_destroy(&rl);
    gy_redis_destroy(&redis);
    s_loop_finish(fx);
}

static void test_destroy_with_checks_outstanding(void **state)
{
    s_fixture_t *fx = *state;
    gy_redis_t *redis = s_redis_up(fx);
    gy_ratelimit_t *rl = gy_ratelimit_new(&fx->loop, redis, "gy:rl:test:");
    s_result_t r[3] = {{0}};
    for (int i = 0; i < 3; i++) {
        gy_ratelimit_check(rl, "gone", 10, S_HOUR_MS, s_on_allowed, &r[i]);
        r[i].returned = true;
    }
    /*  The limiter goes first, while Redis still has the checks. */
    gy_ratelimit_destroy(&rl);
    s_run_for(fx, 200);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r[i].calls, 1);
        assert_false(r[i].ok);
    }
    gy_redis_destroy(&redis);
    s_loop_finish(fx);
}

int main(void)
{
    /*  A hung test must not hang the build; the child dies with us. */
    alarm(180);
    atexit(s_kill_child);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redis_counts_with_ttl, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_redis_down_answers_later, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_redis_destroy_answers_pending, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_redis_late_reply_is_ignored, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_redis_reset_is_noticed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_limit_enforced_in_window, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_two_instances_share_the_count, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_in_process_only, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_fallback_when_redis_is_killed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stalled_redis_does_not_block, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_destroy_with_checks_outstanding, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
