/*  gy_text — see gy_text.h. */
#include "gy_text.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*  Decodes the character at p: its length in bytes (1 to 4) and *cp, or 0
 *  when the bytes at p are not strict UTF-8 (RFC 3629). */
static size_t s_decode(const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
    unsigned c = *p;
    size_t extra;
    uint32_t value, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        extra = 1;
        value = c & 0x1f;
        min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        extra = 2;
        value = c & 0x0f;
        min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        extra = 3;
        value = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) <= extra)
        return 0;
    for (size_t i = 1; i <= extra; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        value = value << 6 | (p[i] & 0x3f);
    }
    /*  Overlong forms smuggle ASCII ("\xc0\xaf" is '/'), surrogates are
     *  halves of UTF-16 pairs: neither is a character. */
    if (value < min || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        return 0;
    *cp = value;
    return extra + 1;
}

static bool s_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

long gy_text_check(const char *s, size_t len, gy_text_kind_t kind)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    long chars = 0;
    bool control = false;
    while (p < end) {
        uint32_t cp;
        size_t n = s_decode(p, end, &cp);
        if (n == 0)
            return GY_TEXT_INVALID_UTF8;
        if (s_control(cp) &&
            !(kind == GY_TEXT_MULTILINE && (cp == '\n' || cp == '\r' || cp == '\t')))
            control = true;
        p += n;
        chars++;
    }
    return control ? GY_TEXT_CONTROL : chars;
}

bool gy_text_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        uint32_t cp;
        size_t n = s_decode(p, end, &cp);
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

size_t gy_text_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    /*  Back over continuation bytes to the start of the character that
     *  does not fit whole. */
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

/*  The length of buf[0..len) without a character whose bytes run past len
 *  (what vsnprintf leaves when it cuts). */
static size_t s_whole_prefix(const char *buf, size_t len)
{
    size_t start = len;
    for (int back = 0; back < 4 && start > 0; back++) {
        start--;
        unsigned c = (unsigned char)buf[start];
        if ((c & 0xc0) == 0x80)
            continue; /* a continuation byte: keep looking for its lead */
        size_t want = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
        return start + want > len ? start : len;
    }
    return len;
}

void gy_text_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
    assert(buf && size > 0);
    int n = vsnprintf(buf, size, fmt, ap);
    if (n < 0)
        buf[0] = '\0';
    else if ((size_t)n >= size)
        buf[s_whole_prefix(buf, size - 1)] = '\0';
}

void gy_text_format(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gy_text_vformat(buf, size, fmt, ap);
    va_end(ap);
}

/*  Writes the safe form of s into out when out is not NULL, up to room
 *  bytes; returns how many bytes the whole safe form takes, and through
 *  *written how many were written (whole characters only). */
static size_t s_safe_copy(const char *s, char *out, size_t room, size_t *written)
{
    static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    size_t total = 0;
    bool full = false;
    *written = 0;
    while (p < end) {
        uint32_t cp;
        size_t n = s_decode(p, end, &cp);
        const char *piece = (const char *)p;
        size_t piece_len = n;
        if (n == 0 || s_control(cp)) {
            piece = replacement;
            piece_len = sizeof replacement - 1;
            n = n ? n : 1;
        }
        if (!full && total + piece_len <= room) {
            if (out)
                memcpy(out + total, piece, piece_len);
            *written = total + piece_len;
        } else {
            full = true;
        }
        total += piece_len;
        p += n;
    }
    return total;
}

void gy_text_excerpt(char *out, size_t size, const char *s)
{
    static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026 */
    assert(out && size > 0);
    s = s ? s : "";
    size_t written;
    size_t total = s_safe_copy(s, NULL, size - 1, &written);
    if (total <= size - 1) {
        s_safe_copy(s, out, size - 1, &written);
    } else {
        size_t room = size - 1 >= sizeof ellipsis - 1 ? size - 1 - (sizeof ellipsis - 1) : 0;
        s_safe_copy(s, out, room, &written);
        if (written + sizeof ellipsis - 1 <= size - 1) {
            memcpy(out + written, ellipsis, sizeof ellipsis - 1);
            written += sizeof ellipsis - 1;
        }
    }
    out[written] = '\0';
}

bool gy_text_id_valid(const char *s, size_t max)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}
