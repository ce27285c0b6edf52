/*  gy_util — memory, logging, time and small string helpers every module uses.
 *
 *  Memory: gy_malloc and friends abort on exhaustion, so call sites never test
 *  for NULL (STYLE.md rule 4).  Logging: gy_log_error/warning/info/debug check
 *  the level before formatting; lines go to stderr with time, level and the
 *  process name set by gy_log_init.  Never log personal data.
 */
#ifndef GY_UTIL_H
#define GY_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *gy_malloc(size_t size);
void *gy_calloc(size_t count, size_t size);
void *gy_realloc(void *ptr, size_t size);
char *gy_strdup(const char *s);
char *gy_strndup(const char *s, size_t n);
char *gy_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define gy_free(p) free(p)

typedef enum { GY_LOG_ERROR = 0, GY_LOG_WARNING, GY_LOG_INFO, GY_LOG_DEBUG } gy_log_level_t;

extern gy_log_level_t gy_log_level;

/*  Sets the process name shown in every line and the level from a name
 *  ("error", "warning", "info", "debug").  Returns -1 on an unknown name. */
int gy_log_init(const char *name, const char *level);
void gy_log_write(gy_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define gy_log_at(lvl, ...)                                                                        \
    do {                                                                                           \
        if ((lvl) <= gy_log_level)                                                                 \
            gy_log_write((lvl), __VA_ARGS__);                                                      \
    } while (0)
#define gy_log_error(...)   gy_log_at(GY_LOG_ERROR, __VA_ARGS__)
#define gy_log_warning(...) gy_log_at(GY_LOG_WARNING, __VA_ARGS__)
#define gy_log_info(...)    gy_log_at(GY_LOG_INFO, __VA_ARGS__)
#define gy_log_debug(...)   gy_log_at(GY_LOG_DEBUG, __VA_ARGS__)

/*  Milliseconds since the Unix epoch by the process's clock (gy_clock.h:
 *  the wall clock unless a test set it), and a monotonic clock in
 *  nanoseconds for measuring durations. */
int64_t gy_now_ms(void);
uint64_t gy_mono_ns(void);

/*  Writes a random (version 4) UUID in its 36-character text form plus NUL. */
void gy_uuid(char out[37]);
/*  Whether s is a UUID in its text form (8-4-4-4-12 hex digits, either
 *  case): the check before an outside id reaches a uuid column. */
bool gy_uuid_valid(const char *s);

/*  Lower-case hex of len bytes into out (2*len+1 bytes). */
void gy_hex(const uint8_t *data, size_t len, char *out);
/*  Parses exactly 2*len hex digits; returns 0 or -1. */
int gy_unhex(const char *hex, uint8_t *out, size_t len);

/*  Reads a whole file; NULL (logged) on error.  *len_p gets the size. */
char *gy_read_file(const char *path, size_t *len_p);

/*  A growable byte buffer. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} gy_buf_t;

void gy_buf_append(gy_buf_t *buf, const void *data, size_t len);
void gy_buf_printf(gy_buf_t *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gy_buf_reset(gy_buf_t *buf);
void gy_buf_free(gy_buf_t *buf);

#endif
