/*  gy_scope — who sees what, by procuratorate: the one scope rule every
 *  service applies to a bearer token's `proc` claim.
 *
 *  Procuratorates are keyed by GB/T 2260 six-digit region codes, which
 *  nest by prefix: a province xx0000 contains every xxyyzz, a city xxyy00
 *  every xxyyzz.  A caller at a procuratorate sees the codes that start
 *  with its scope prefix:
 *
 *      char prefix[7];
 *      if (gy_scope_prefix(claims.proc, prefix) < 0) -> refuse (not a code)
 *      gy_scope_within(code, prefix)                 -> within scope
 *
 *  Some data is narrower than a scope: a reporter's identity is shown only
 *  to the competent procuratorate itself (intake compares codes for
 *  equality), not to its superiors.
 */
#ifndef GY_SCOPE_H
#define GY_SCOPE_H

#include <stdbool.h>

/*  The prefix of the procuratorate codes a caller at `procuratorate` may
 *  see and act on: a province "320000" gets "32", a city "321100" gets
 *  "3211", a county "321112" its own six digits.  0, or -1 (prefix
 *  untouched) when the code is not exactly six ASCII digits. */
int gy_scope_prefix(const char *procuratorate, char prefix[7]);

/*  Whether s is exactly six ASCII digits (the shape of a region code). */
bool gy_scope_code_valid(const char *s);

/*  Whether the procuratorate or region `code` lies within the scope
 *  `prefix` (from gy_scope_prefix). */
bool gy_scope_within(const char *code, const char *prefix);

#endif
