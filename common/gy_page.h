/*  gy_page — keyset pages for every list of the API: the query of a list
 *  (one optional filter, `after`, `limit`), checked once, and the cursor
 *  that leads to the next page.
 *
 *  A page is ordered by (time, id), newest first or oldest first as the
 *  list likes; its cursor is "<microseconds since 1970>.<id>" of the last
 *  row shown, handed back as "next" and taken as `after`:
 *
 *      static const char *const s_statuses[] = {"applied", "appointed", NULL};
 *      static const gy_page_spec_t s_spec = {"status", s_statuses, 20, 100};
 *      gy_page_t page;
 *      gy_error_t err;
 *      if (gy_page_parse(&s_spec, gy_http_query(req), &page, &err) < 0)
 *          return gy_reply_error(req, &err);
 *      ... WHERE (t, id) < (page.after_us, page.after_id) LIMIT page.limit ...
 *      char next[GY_PAGE_CURSOR_MAX];
 *      gy_page_cursor(last_us, last_id, next);   -> {"items":[...],"next":next}
 */
#ifndef GY_PAGE_H
#define GY_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "gy_route.h"

#define GY_PAGE_CURSOR_MAX 64 /* 19 digits, '.', a 36-character id, NUL */

typedef struct {
    const char *filter_name;          /* NULL: the list has no filter */
    const char *const *filter_values; /* NULL-terminated: the values it takes */
    int default_limit;                /* 0 = 20 */
    int max_limit;                    /* 0 = 100 */
} gy_page_spec_t;

typedef struct {
    char filter[32];     /* "" when not given */
    bool has_after;      /* false: the first page */
    char after_us[20];   /* decimal microseconds, as text for a statement parameter */
    char after_id[37];   /* a UUID */
    int limit;           /* within 1..max_limit */
    char limit_text[12]; /* the same as text */
} gy_page_t;

/*  Parses a query string (without '?').  Values need no decoding (none of
 *  ours has an escape); an unknown parameter, an empty or too long value, a
 *  filter value not in the list, a limit out of bounds or a cursor not made
 *  by gy_page_cursor is refused: -1 with err set (400). */
int gy_page_parse(const gy_page_spec_t *spec, const char *query, gy_page_t *page, gy_error_t *err);

/*  Writes the cursor after the row (us, id). */
void gy_page_cursor(int64_t us, const char *id, char out[GY_PAGE_CURSOR_MAX]);

#endif
