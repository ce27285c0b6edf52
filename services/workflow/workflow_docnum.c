/*  workflow_docnum — see workflow_docnum.h. */
#include "workflow_docnum.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_calendar.h"
#include "gy_text.h"
#include "gy_util.h"

const char *const WORKFLOW_DOC_KINDS[] = {
    WORKFLOW_DOC_OPENING_DECISION,
    WORKFLOW_DOC_NOT_OPENED_DECISION,
    WORKFLOW_DOC_SUGGESTION,
    WORKFLOW_DOC_ANNOUNCEMENT,
    WORKFLOW_DOC_CLOSING_DECISION,
    WORKFLOW_DOC_INDICTMENT,
    WORKFLOW_DOC_SUPPORT_LETTER,
    WORKFLOW_DOC_APPEAL,
    NULL,
};

static const char *const s_template_columns[] = {
    "procuratorate", "kind", "case_kind", "template", "name_zh", "convention", NULL,
};
static const char *const s_abbr_columns[] = {"code", "abbr", NULL};
static const char *const s_case_kinds[] = {"administrative", "civil", NULL};

typedef struct {
    char *procuratorate; /* six digits or "*" */
    char *kind;
    char *case_kind; /* administrative, civil or "*" */
    char *template;
    char *name_zh;
    char *series; /* kind/case_kind */
    int line;     /* in the templates file, for messages */
} s_row_t;

typedef struct {
    char code[7];
    char *abbr;
} s_abbr_t;

struct workflow_docnum {
    s_row_t *rows;
    size_t nrows;
    s_abbr_t *abbrs;
    size_t nabbrs;
};

void workflow_docnum_destroy(workflow_docnum_t **self_p)
{
    assert(self_p);
    workflow_docnum_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nrows; i++) {
        s_row_t *r = &self->rows[i];
        free(r->procuratorate);
        free(r->kind);
        free(r->case_kind);
        free(r->template);
        free(r->name_zh);
        free(r->series);
    }
    for (size_t i = 0; i < self->nabbrs; i++)
        free(self->abbrs[i].abbr);
    free(self->rows);
    free(self->abbrs);
    free(self);
    *self_p = NULL;
}

static bool s_code_valid(const char *s)
{
    if (strlen(s) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool s_id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

static bool s_in(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/*  A template's placeholders: only {abbr}, {year} and {seq}, the last two
 *  exactly once (a number without them would repeat), braces balanced. */
static int s_check_template(const workflow_csv_t *csv, workflow_csv_error_t *error, const char *t)
{
    int year = 0, seq = 0;
    for (const char *p = t; *p; p++) {
        if (*p == '}')
            return workflow_csv_fail(csv, error, "invalid_template", "template",
                                     "a \"}\" without its \"{\"");
        if (*p != '{')
            continue;
        const char *end = strchr(p, '}');
        if (!end)
            return workflow_csv_fail(csv, error, "invalid_template", "template",
                                     "a \"{\" without its \"}\"");
        size_t len = (size_t)(end - p - 1);
        if (len == 4 && strncmp(p + 1, "year", 4) == 0) {
            year++;
        } else if (len == 3 && strncmp(p + 1, "seq", 3) == 0) {
            seq++;
        } else if (!(len == 4 && strncmp(p + 1, "abbr", 4) == 0)) {
            char name[64];
            /*  At most 40 bytes of the name, cut at a character boundary. */
            gy_text_format(name, sizeof name, "%.*s", (int)gy_text_cut(p + 1, len, 40), p + 1);
            char quoted[64];
            gy_text_excerpt(quoted, sizeof quoted, name);
            return workflow_csv_fail(csv, error, "unknown_placeholder", "template",
                                     "{%s} is not a placeholder ({abbr}, {year}, {seq})", quoted);
        }
        p = end;
    }
    if (year != 1 || seq != 1)
        return workflow_csv_fail(csv, error, "invalid_template", "template",
                                 "{year} and {seq} appear exactly once each (found %d and %d)",
                                 year, seq);
    return 0;
}

static int s_template_row(workflow_docnum_t *self, const workflow_csv_t *csv,
                          const gy_refdata_t *ref, workflow_csv_error_t *error)
{
    const char *proc = workflow_csv_get(csv, "procuratorate");
    const char *kind = workflow_csv_get(csv, "kind");
    const char *case_kind = workflow_csv_get(csv, "case_kind");
    const char *t = workflow_csv_get(csv, "template");
    const char *name = workflow_csv_get(csv, "name_zh");
    const char *convention = workflow_csv_get(csv, "convention");
    if (strcmp(proc, "*") != 0 && !s_code_valid(proc))
        return workflow_csv_fail(csv, error, "invalid_value", "procuratorate",
                                 "a six-digit region code or \"*\", not \"%s\"", proc);
    if (strcmp(proc, "*") != 0 && ref && !gy_refdata_region(ref, proc))
        return workflow_csv_fail(csv, error, "unknown_procuratorate", "procuratorate",
                                 "%s is not in regions.csv", proc);
    if (!s_id_valid(kind))
        return workflow_csv_fail(csv, error, "invalid_value", "kind",
                                 "a kind id is 1 to 63 of a-z, 0-9 and \"_\", not \"%s\"", kind);
    if (strcmp(case_kind, "*") != 0 && !s_in(case_kind, s_case_kinds))
        return workflow_csv_fail(csv, error, "invalid_value", "case_kind",
                                 "\"administrative\", \"civil\" or \"*\", not \"%s\"", case_kind);
    if (s_check_template(csv, error, t) < 0)
        return -1;
    if (!*name)
        return workflow_csv_fail(csv, error, "invalid_value", "name_zh", "empty");
    if (strcmp(convention, "house") != 0 && strcmp(convention, "official") != 0)
        return workflow_csv_fail(csv, error, "invalid_value", "convention",
                                 "\"house\" (our convention) or \"official\" (from a normative "
                                 "text), not \"%s\"",
                                 convention);
    for (size_t i = 0; i < self->nrows; i++) {
        const s_row_t *r = &self->rows[i];
        if (strcmp(r->procuratorate, proc) == 0 && strcmp(r->kind, kind) == 0 &&
            strcmp(r->case_kind, case_kind) == 0)
            return workflow_csv_fail(csv, error, "duplicate_template", "kind",
                                     "%s, %s, %s is listed twice (first on line %d)", proc, kind,
                                     case_kind, r->line);
    }
    self->rows = gy_realloc(self->rows, (self->nrows + 1) * sizeof *self->rows);
    self->rows[self->nrows++] = (s_row_t){
        gy_strdup(proc),        gy_strdup(kind), gy_strdup(case_kind),
        gy_strdup(t),           gy_strdup(name), gy_sprintf("%s/%s", kind, case_kind),
        workflow_csv_line(csv),
    };
    return 0;
}

static int s_abbr_row(workflow_docnum_t *self, const workflow_csv_t *csv, const gy_refdata_t *ref,
                      workflow_csv_error_t *error)
{
    const char *code = workflow_csv_get(csv, "code");
    const char *abbr = workflow_csv_get(csv, "abbr");
    if (!s_code_valid(code))
        return workflow_csv_fail(csv, error, "invalid_value", "code",
                                 "a six-digit region code, not \"%s\"", code);
    if (ref && !gy_refdata_region(ref, code))
        return workflow_csv_fail(csv, error, "unknown_procuratorate", "code",
                                 "%s is not in regions.csv", code);
    long chars = gy_text_check(abbr, strlen(abbr), GY_TEXT_LINE);
    if (chars < 1 || chars > 8 || strpbrk(abbr, "{}"))
        return workflow_csv_fail(csv, error, "invalid_value", "abbr",
                                 "an abbreviation is 1 to 8 characters without braces");
    for (size_t i = 0; i < self->nabbrs; i++) {
        if (strcmp(self->abbrs[i].code, code) == 0)
            return workflow_csv_fail(csv, error, "invalid_value", "code", "%s is listed twice",
                                     code);
        if (strcmp(self->abbrs[i].abbr, abbr) == 0)
            return workflow_csv_fail(csv, error, "duplicate_abbreviation", "abbr",
                                     "%s has the abbreviation of %s: their numbers would collide",
                                     code, self->abbrs[i].code);
    }
    self->abbrs = gy_realloc(self->abbrs, (self->nabbrs + 1) * sizeof *self->abbrs);
    s_abbr_t *a = &self->abbrs[self->nabbrs++];
    memcpy(a->code, code, 7);
    a->abbr = gy_strdup(abbr);
    return 0;
}

typedef int(s_row_fn)(workflow_docnum_t *self, const workflow_csv_t *csv, const gy_refdata_t *ref,
                      workflow_csv_error_t *error);

static int s_read(workflow_docnum_t *self, const char *text, const char *where,
                  const char *const *columns, s_row_fn *row, const gy_refdata_t *ref,
                  workflow_csv_error_t *error)
{
    workflow_csv_t *csv = workflow_csv_new(text, where, columns, error);
    if (!csv)
        return -1;
    int rc;
    while ((rc = workflow_csv_next(csv, error)) > 0)
        if (row(self, csv, ref, error) < 0) {
            rc = -1;
            break;
        }
    workflow_csv_destroy(&csv);
    return rc;
}

/*  The row for (procuratorate, case kind, kind): see the header. */
static const s_row_t *s_find(const workflow_docnum_t *self, const char *proc, const char *case_kind,
                             const char *kind)
{
    const char *procs[] = {proc, "*"};
    const char *kinds[] = {case_kind && *case_kind ? case_kind : NULL, "*"};
    for (size_t p = 0; p < 2; p++)
        for (size_t k = 0; k < 2; k++) {
            if (!kinds[k])
                continue;
            for (size_t i = 0; i < self->nrows; i++) {
                const s_row_t *r = &self->rows[i];
                if (strcmp(r->procuratorate, procs[p]) == 0 && strcmp(r->kind, kind) == 0 &&
                    strcmp(r->case_kind, kinds[k]) == 0)
                    return r;
            }
        }
    return NULL;
}

/*  Two different rows in force at one procuratorate with the same text
 *  would number two series alike: every number twice.  Checked for the
 *  defaults and for each procuratorate with rows of its own. */
static int s_check_distinct(const workflow_docnum_t *self, const char *where,
                            workflow_csv_error_t *error)
{
    for (size_t p = 0; p < self->nrows; p++) {
        const char *proc = self->rows[p].procuratorate;
        bool first = true;
        for (size_t q = 0; q < p; q++)
            first = first && strcmp(self->rows[q].procuratorate, proc) != 0;
        if (!first)
            continue;
        size_t n = 0;
        const s_row_t **used = gy_calloc(self->nrows * 2 + 1, sizeof *used);
        for (size_t i = 0; i < self->nrows; i++)
            for (size_t k = 0; s_case_kinds[k]; k++) {
                const s_row_t *r = s_find(self, proc, s_case_kinds[k], self->rows[i].kind);
                if (r)
                    used[n++] = r;
            }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (used[i] != used[j] && strcmp(used[i]->template, used[j]->template) == 0) {
                    int a = used[j]->line, b = used[i]->line;
                    char *text = gy_strdup(used[i]->template);
                    free(used);
                    workflow_csv_fail_file(
                        where, error, "duplicate_template",
                        "lines %d and %d number two series alike at %s: \"%s\"", a < b ? a : b,
                        a < b ? b : a, strcmp(proc, "*") == 0 ? "every procuratorate" : proc, text);
                    free(text);
                    if (error)
                        error->line = a < b ? b : a;
                    return -1;
                }
        free(used);
    }
    return 0;
}

workflow_docnum_t *workflow_docnum_parse(const char *templates, const char *templates_where,
                                         const char *abbrs, const char *abbrs_where,
                                         const gy_refdata_t *ref, workflow_csv_error_t *error)
{
    assert(templates && templates_where && abbrs && abbrs_where);
    workflow_docnum_t *self = gy_calloc(1, sizeof *self);
    if (s_read(self, templates, templates_where, s_template_columns, s_template_row, ref, error) <
            0 ||
        s_read(self, abbrs, abbrs_where, s_abbr_columns, s_abbr_row, ref, error) < 0)
        goto fail;
    for (size_t i = 0; WORKFLOW_DOC_KINDS[i]; i++) {
        bool seen = false;
        for (size_t k = 0; k < self->nrows; k++)
            seen = seen || (strcmp(self->rows[k].procuratorate, "*") == 0 &&
                            strcmp(self->rows[k].kind, WORKFLOW_DOC_KINDS[i]) == 0);
        if (!seen) {
            workflow_csv_fail_file(templates_where, error, "missing_kind",
                                   "no default row (procuratorate \"*\") for kind %s",
                                   WORKFLOW_DOC_KINDS[i]);
            goto fail;
        }
    }
    if (s_check_distinct(self, templates_where, error) < 0)
        goto fail;
    return self;
fail:
    workflow_docnum_destroy(&self);
    return NULL;
}

workflow_docnum_t *workflow_docnum_load(const char *templates_path, const char *abbrs_path,
                                        const gy_refdata_t *ref, workflow_csv_error_t *error)
{
    const char *paths[] = {templates_path, abbrs_path};
    char *texts[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        texts[i] = gy_read_file(paths[i], NULL);
        if (!texts[i]) {
            /*  gy_read_file logged why. */
            if (error) {
                memset(error, 0, sizeof *error);
                snprintf(error->code, sizeof error->code, "unreadable");
                gy_text_format(error->message, sizeof error->message, "%s: cannot be read",
                               paths[i]);
            }
            free(texts[0]);
            return NULL;
        }
    }
    workflow_docnum_t *self =
        workflow_docnum_parse(texts[0], templates_path, texts[1], abbrs_path, ref, error);
    free(texts[0]);
    free(texts[1]);
    return self;
}

workflow_docnum_t *workflow_docnum_load_default(const char *refdir, const gy_refdata_t *ref,
                                                workflow_csv_error_t *error)
{
    const char *t = getenv("GY_DOCUMENT_TEMPLATES");
    const char *a = getenv("GY_PROCURATORATE_ABBR");
    char *tdef = gy_sprintf("%s/document_templates.csv", refdir);
    char *adef = gy_sprintf("%s/procuratorate_abbr.csv", refdir);
    workflow_docnum_t *self =
        workflow_docnum_load(t && *t ? t : tdef, a && *a ? a : adef, ref, error);
    free(tdef);
    free(adef);
    return self;
}

static int s_refuse(workflow_csv_error_t *error, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_refuse(workflow_csv_error_t *error, const char *code, const char *fmt, ...)
{
    if (error) {
        memset(error, 0, sizeof *error);
        gy_text_format(error->code, sizeof error->code, "%s", code);
        va_list ap;
        va_start(ap, fmt);
        gy_text_vformat(error->message, sizeof error->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int workflow_docnum_lookup(const workflow_docnum_t *self, const char *procuratorate,
                           const char *case_kind, const char *kind, workflow_docnum_template_t *out,
                           workflow_csv_error_t *error)
{
    assert(self && procuratorate && kind && out);
    char quoted[64];
    bool known = false;
    for (size_t i = 0; i < self->nrows && !known; i++)
        known = strcmp(self->rows[i].kind, kind) == 0;
    if (!known) {
        gy_text_excerpt(quoted, sizeof quoted, kind);
        return s_refuse(error, "unknown_kind", "no document kind \"%s\"", quoted);
    }
    const s_row_t *row = s_find(self, procuratorate, case_kind, kind);
    if (!row) {
        gy_text_excerpt(quoted, sizeof quoted, case_kind && *case_kind ? case_kind : "(none)");
        return s_refuse(error, "no_template", "no template numbers a %s of case kind %s", kind,
                        quoted);
    }
    const s_abbr_t *abbr = NULL;
    for (size_t i = 0; i < self->nabbrs && !abbr; i++)
        if (strcmp(self->abbrs[i].code, procuratorate) == 0)
            abbr = &self->abbrs[i];
    if (!abbr) {
        gy_text_excerpt(quoted, sizeof quoted, procuratorate);
        return s_refuse(error, "no_abbreviation", "procuratorate %s has no abbreviation", quoted);
    }
    *out = (workflow_docnum_template_t){abbr->code, abbr->abbr, row->template, row->series,
                                        row->name_zh};
    return 0;
}

char *workflow_docnum_render(const workflow_docnum_template_t *t, int year, int64_t seq)
{
    assert(t && t->template && t->abbr && year >= 1970 && year <= 9999 && seq >= 1);
    gy_buf_t buf = {0};
    for (const char *p = t->template; *p; p++) {
        if (strncmp(p, "{abbr}", 6) == 0) {
            gy_buf_append(&buf, t->abbr, strlen(t->abbr));
            p += 5;
        } else if (strncmp(p, "{year}", 6) == 0) {
            gy_buf_printf(&buf, "%d", year);
            p += 5;
        } else if (strncmp(p, "{seq}", 5) == 0) {
            gy_buf_printf(&buf, "%" PRId64, seq);
            p += 4;
        } else {
            gy_buf_append(&buf, p, 1);
        }
    }
    char *text = gy_strndup(buf.data, buf.len);
    gy_buf_free(&buf);
    return text;
}

int workflow_docnum_year(int64_t issued_ms)
{
    return gy_day_year(gy_day_of_ms(issued_ms));
}
