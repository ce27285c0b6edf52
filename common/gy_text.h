/*  gy_text — the one rule for text and identifiers that come from outside,
 *  for every service and both edges (HTTP JSON and the bus).
 *
 *  Text is strict UTF-8: overlong forms (\xc0\xaf), surrogates
 *  (\xed\xa0\x80), code points past U+10FFFF and stray bytes are invalid.
 *  Control characters are refused: C0 (U+0000–U+001F, NUL included), DEL
 *  (U+007F) and C1 (U+0080–U+009F); multi-line text (descriptions,
 *  statements) allows newline, carriage return and tab.  jansson checks
 *  UTF-8 on its own, protobuf-c does not: the bus relies on this check.
 *
 *  Text is cut only at a character boundary, never inside one: a cut
 *  character makes the whole string invalid for PostgreSQL and for every
 *  protobuf client.  Identifiers (envelope ids, producers, reference ids,
 *  idempotency keys) are never cut: they are refused when they break the
 *  rule.
 *
 *      long n = gy_text_check(value, len, GY_TEXT_LINE);
 *      if (n == GY_TEXT_INVALID_UTF8) ... "invalid_utf8"
 *      if (n == GY_TEXT_CONTROL) ...      "invalid_value"
 *      char quoted[48];
 *      gy_text_excerpt(quoted, sizeof quoted, outside_value); // safe to echo
 */
#ifndef GY_TEXT_H
#define GY_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum {
    GY_TEXT_LINE,      /* one line: no control character at all */
    GY_TEXT_MULTILINE, /* paragraphs: '\n', '\r' and '\t' allowed */
} gy_text_kind_t;

#define GY_TEXT_INVALID_UTF8 (-1L)
#define GY_TEXT_CONTROL      (-2L)

/*  The number of characters (code points) of s[0..len), or
 *  GY_TEXT_INVALID_UTF8, or GY_TEXT_CONTROL for a control character that
 *  this kind of text does not allow.  Invalid UTF-8 anywhere wins over a
 *  control character. */
long gy_text_check(const char *s, size_t len, gy_text_kind_t kind);

/*  Whether s[0..len) is strict UTF-8 (control characters allowed). */
bool gy_text_utf8_valid(const char *s, size_t len);

/*  The length of the longest prefix of s[0..len) of at most max bytes that
 *  ends at a character boundary.  For valid UTF-8 the prefix is valid too. */
size_t gy_text_cut(const char *s, size_t len, size_t max);

/*  vsnprintf into buf (size > 0) whose result, when it does not fit, is cut
 *  at a character boundary instead of inside a character.  Arguments that
 *  quote outside text go through gy_text_excerpt first. */
void gy_text_vformat(char *buf, size_t size, const char *fmt, va_list ap);
void gy_text_format(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*  Writes s into out (size > 0) as safe one-line text for messages and
 *  logs: every byte of invalid UTF-8 and every control character becomes
 *  U+FFFD, and text that does not fit is cut at a character boundary and
 *  ends with "…". */
void gy_text_excerpt(char *out, size_t size, const char *s);

/*  Whether s is an identifier from outside: 1 to max bytes of printable
 *  ASCII (U+0020–U+007E).  NULL is not. */
bool gy_text_id_valid(const char *s, size_t max);

#endif
