/*  gy_page — see gy_page.h. */
#include "gy_page.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"

/*  Splits "<digits>.<uuid>" into the page; false when it is not one. */
static bool s_cursor(const char *after, gy_page_t *page)
{
    const char *dot = strchr(after, '.');
    if (!dot || dot == after || (size_t)(dot - after) > 18)
        return false;
    for (const char *c = after; c < dot; c++)
        if (*c < '0' || *c > '9')
            return false;
    if (!gy_uuid_valid(dot + 1))
        return false;
    memcpy(page->after_us, after, (size_t)(dot - after));
    page->after_us[dot - after] = '\0';
    memcpy(page->after_id, dot + 1, 37);
    page->has_after = true;
    return true;
}

int gy_page_parse(const gy_page_spec_t *spec, const char *query, gy_page_t *page, gy_error_t *err)
{
    assert(spec && query && page && err);
    memset(page, 0, sizeof *page);
    int max = spec->max_limit > 0 ? spec->max_limit : 100;
    page->limit = spec->default_limit > 0 ? spec->default_limit : 20;
    char after[GY_PAGE_CURSOR_MAX] = "", limit[12] = "";
    const char *p = query;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t klen = eq ? (size_t)(eq - p) : n;
        const char *v = eq ? eq + 1 : p + n;
        size_t vlen = (size_t)(p + n - v);
        char *dst = NULL;
        const char *name = NULL;
        size_t size = 0;
        if (spec->filter_name && klen == strlen(spec->filter_name) &&
            strncmp(p, spec->filter_name, klen) == 0)
            dst = page->filter, size = sizeof page->filter, name = spec->filter_name;
        else if (klen == 5 && strncmp(p, "after", 5) == 0)
            dst = after, size = sizeof after, name = "after";
        else if (klen == 5 && strncmp(p, "limit", 5) == 0)
            dst = limit, size = sizeof limit, name = "limit";
        if (n > 0 && !dst) {
            if (spec->filter_name)
                gy_error_set(err, 400, "unknown_parameter", NULL,
                             "unknown query parameter (%s, after and limit are known)",
                             spec->filter_name);
            else
                gy_error_set(err, 400, "unknown_parameter", NULL,
                             "unknown query parameter (after and limit are known)");
            return -1;
        }
        if (dst) {
            if (vlen == 0 || vlen >= size) {
                gy_error_set(err, 400, "invalid_value", name, "%s is empty or too long", name);
                return -1;
            }
            memcpy(dst, v, vlen);
            dst[vlen] = '\0';
        }
        p += n + (end ? 1 : 0);
    }
    if (page->filter[0]) {
        bool known = false;
        char choices[160] = "";
        for (const char *const *a = spec->filter_values; a && *a; a++) {
            known = known || strcmp(page->filter, *a) == 0;
            size_t used = strlen(choices);
            snprintf(choices + used, sizeof choices - used, "%s%s", used ? ", " : "", *a);
        }
        if (!known) {
            gy_error_set(err, 400, "invalid_value", spec->filter_name, "%s is one of %s",
                         spec->filter_name, choices);
            return -1;
        }
    }
    if (limit[0]) {
        char *end;
        long value = strtol(limit, &end, 10);
        if (*end || value < 1 || value > max) {
            gy_error_set(err, 400, "invalid_value", "limit", "limit is a number from 1 to %d", max);
            return -1;
        }
        page->limit = (int)value;
    }
    snprintf(page->limit_text, sizeof page->limit_text, "%d", page->limit);
    if (after[0] && !s_cursor(after, page)) {
        gy_error_set(err, 400, "invalid_value", "after",
                     "after must be the \"next\" value of the previous page");
        return -1;
    }
    return 0;
}

void gy_page_cursor(int64_t us, const char *id, char out[GY_PAGE_CURSOR_MAX])
{
    assert(us >= 0 && id && gy_uuid_valid(id));
    snprintf(out, GY_PAGE_CURSOR_MAX, "%" PRId64 ".%s", us, id);
}
