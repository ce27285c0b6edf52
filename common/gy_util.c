/*  gy_util — see gy_util.h. */
#include "gy_util.h"

#include "gy_clock.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gy_text.h"

gy_log_level_t gy_log_level = GY_LOG_INFO;
static char s_log_name[32] = "gongyi";

static void s_out_of_memory(size_t size)
{
    fprintf(stderr, "FATAL: out of memory allocating %zu bytes\n", size);
    abort();
}

void *gy_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        s_out_of_memory(size);
    return p;
}

void *gy_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        s_out_of_memory(count * size);
    return p;
}

void *gy_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        s_out_of_memory(size);
    return p;
}

char *gy_strdup(const char *s)
{
    return gy_strndup(s, strlen(s));
}

char *gy_strndup(const char *s, size_t n)
{
    char *p = gy_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *gy_sprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        s_out_of_memory(0);
    va_end(ap);
    return out;
}

int gy_log_init(const char *name, const char *level)
{
    snprintf(s_log_name, sizeof s_log_name, "%s", name);
    if (!level || !*level)
        return 0;
    static const char *names[] = {"error", "warning", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(level, names[i]) == 0) {
            gy_log_level = (gy_log_level_t)i;
            return 0;
        }
    }
    return -1;
}

void gy_log_write(gy_log_level_t level, const char *fmt, ...)
{
    static const char *tags[] = {"ERROR", "WARNING", "INFO", "DEBUG"};
    char stamp[32];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

    /*  One write per line so lines from several threads never interleave. */
    char line[2048];
    int n = snprintf(line, sizeof line, "%s.%03ldZ %s[%d] %s: ", stamp, ts.tv_nsec / 1000000,
                     s_log_name, (int)getpid(), tags[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n < 0 || (size_t)n >= sizeof line - 1) {
        va_end(ap);
        return;
    }
    /*  A long line is cut at a character boundary, never inside one. */
    gy_text_vformat(line + n, sizeof line - 1 - (size_t)n, fmt, ap);
    va_end(ap);
    n += (int)strlen(line + n);
    line[n++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
    (void)ignored;
}

int64_t gy_now_ms(void)
{
    return gy_clock_now_ms();
}

uint64_t gy_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void gy_uuid(char out[37])
{
    uint8_t b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

bool gy_uuid_valid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

void gy_hex(const uint8_t *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

static int s_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int gy_unhex(const char *hex, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        int hi = s_hex_digit(hex[2 * i]);
        int lo = hi < 0 ? -1 : s_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return hex[2 * len] == '\0' ? 0 : -1;
}

char *gy_read_file(const char *path, size_t *len_p)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        gy_log_error("could not open file \"%s\": %m", path);
        return NULL;
    }
    gy_buf_t buf = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        gy_buf_append(&buf, chunk, n);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        gy_log_error("could not read file \"%s\"", path);
        gy_buf_free(&buf);
        return NULL;
    }
    gy_buf_append(&buf, "", 1);
    if (len_p)
        *len_p = buf.len - 1;
    return buf.data;
}

void gy_buf_append(gy_buf_t *buf, const void *data, size_t len)
{
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 256;
        while (cap < buf->len + len + 1)
            cap *= 2;
        buf->data = gy_realloc(buf->data, cap);
        buf->cap = cap;
    }
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

void gy_buf_printf(gy_buf_t *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        s_out_of_memory(0);
    gy_buf_append(buf, s, (size_t)n);
    free(s);
}

void gy_buf_reset(gy_buf_t *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

void gy_buf_free(gy_buf_t *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}
