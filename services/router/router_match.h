/*  router_match — finds many keywords in a text in one pass: an
 *  Aho–Corasick automaton over bytes, compiled once and then read-only
 *  (safe to share; matching allocates nothing but what the caller gives).
 *
 *  Why bytes: the keywords and the texts are UTF-8, which is
 *  self-synchronising — a valid UTF-8 keyword can only match a valid UTF-8
 *  text at character boundaries — so no decoding is needed and the
 *  automaton is a plain table of 256 transitions per state (a few hundred
 *  keywords of Chinese make a few thousand states: about a megabyte, and a
 *  scan costs one table load per byte whatever the number of keywords).
 *  ASCII letters are folded to lower case on both sides, so "PM2.5" and
 *  "pm2.5" are one keyword.
 *
 *  Why our own: Debian packages Hyperscan (libhyperscan-dev), which is far
 *  faster on large rule sets, but it is x86-only, a large dependency for a
 *  hundred literals, and its literal mode gives no advantage at this size;
 *  the classic automaton here is ~200 lines we can test exhaustively.
 *
 *  Usage:
 *      router_match_t *m = router_match_new();
 *      router_match_add(m, "排污");      // returns the keyword's index, 0
 *      router_match_add(m, "黑臭水体");  // 1
 *      router_match_compile(m);
 *      router_match_scan(m, text, len, on_hit, arg);   // on_hit(arg, 0, end offset) ...
 *      router_match_destroy(&m);
 */
#ifndef ROUTER_MATCH_H
#define ROUTER_MATCH_H

#include <stddef.h>

typedef struct router_match router_match_t;

/*  Called once per occurrence, in text order (by end offset); `end` is the
 *  offset just past the match. */
typedef void(router_match_fn)(void *arg, size_t keyword, size_t end);

router_match_t *router_match_new(void);
void router_match_destroy(router_match_t **self_p);

/*  Adds a keyword (non-empty; copied) before compiling; returns its index
 *  (0, 1, 2 ... in order of adding).  The same text added twice gets two
 *  indexes and both are reported. */
size_t router_match_add(router_match_t *self, const char *keyword);

/*  Builds the automaton.  Call once, after the last add. */
void router_match_compile(router_match_t *self);

size_t router_match_count(const router_match_t *self);
const char *router_match_keyword(const router_match_t *self, size_t keyword);

/*  Reports every occurrence of every keyword in text[0..len). */
void router_match_scan(const router_match_t *self, const char *text, size_t len,
                       router_match_fn *fn, void *arg);

#endif
