/*  workflow_csv — see workflow_csv.h. */
#include "workflow_csv.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_text.h"
#include "gy_util.h"

struct workflow_csv {
    const char *where;        /* the file's name, for messages */
    const char *next;         /* the text not read yet */
    int lineno;               /* of the current line */
    const char *const *asked; /* the column names asked for, NULL-terminated */
    size_t ncolumns;
    size_t *index; /* asked[i] is the file's column index[i] (0-based) */
    char **names;  /* the header's cells, in file order */
    char **cells;  /* the current row, in file order */
};

/*  Formats "where:line: column N (name): " + message into *error and the
 *  log.  column_index < 0: no column. */
static void s_report(const char *where, int line, int column_index, const char *column_name,
                     workflow_csv_error_t *error, const char *code, const char *fmt, va_list ap)
{
    char text[384], place[128];
    gy_text_vformat(text, sizeof text, fmt, ap);
    if (line > 0 && column_index >= 0)
        gy_text_format(place, sizeof place, "%s:%d: column %d (%s)", where, line, column_index + 1,
                       column_name);
    else if (line > 0)
        gy_text_format(place, sizeof place, "%s:%d", where, line);
    else
        gy_text_format(place, sizeof place, "%s", where);
    gy_log_error("invalid reference data at %s: %s", place, text);
    if (error) {
        memset(error, 0, sizeof *error);
        gy_text_format(error->code, sizeof error->code, "%s", code);
        error->line = line;
        error->column = column_index + 1;
        gy_text_format(error->message, sizeof error->message, "%s: %s", place, text);
    }
}

static int s_fail_at(const workflow_csv_t *self, workflow_csv_error_t *error, int column_index,
                     const char *code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int s_fail_at(const workflow_csv_t *self, workflow_csv_error_t *error, int column_index,
                     const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_report(self->where, self->lineno, column_index,
             column_index >= 0 && self->names ? self->names[column_index] : "", error, code, fmt,
             ap);
    va_end(ap);
    return -1;
}

int workflow_csv_fail(const workflow_csv_t *self, workflow_csv_error_t *error, const char *code,
                      const char *column, const char *fmt, ...)
{
    assert(self && code && fmt);
    int at = -1;
    if (column) {
        for (size_t i = 0; i < self->ncolumns; i++)
            if (strcmp(self->asked[i], column) == 0)
                at = (int)self->index[i];
        assert(at >= 0); /* a column asked for */
    }
    va_list ap;
    va_start(ap, fmt);
    s_report(self->where, self->lineno, at, column ? column : "", error, code, fmt, ap);
    va_end(ap);
    return -1;
}

int workflow_csv_fail_file(const char *where, workflow_csv_error_t *error, const char *code,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_report(where, 0, -1, "", error, code, fmt, ap);
    va_end(ap);
    return -1;
}

static void s_free_cells(char **cells, size_t n)
{
    if (!cells)
        return;
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

void workflow_csv_destroy(workflow_csv_t **self_p)
{
    assert(self_p);
    workflow_csv_t *self = *self_p;
    if (!self)
        return;
    s_free_cells(self->cells, self->ncolumns);
    s_free_cells(self->names, self->ncolumns);
    free(self->index);
    free(self);
    *self_p = NULL;
}

/*  The next line that is neither empty nor a comment, without its line
 *  end, into *line_p (the caller frees); 0 at the end of the text. */
static int s_next_line(workflow_csv_t *self, char **line_p)
{
    while (*self->next) {
        const char *p = self->next;
        size_t len = strcspn(p, "\n");
        self->next = p + len + (p[len] == '\n');
        self->lineno++;
        if (len && p[len - 1] == '\r')
            len--;
        if (len == 0 || p[0] == '#')
            continue;
        *line_p = gy_strndup(p, len);
        return 1;
    }
    return 0;
}

/*  Splits a line into cells (each checked as one line of UTF-8); -1 when
 *  a quote is wrong or a cell is not valid text. */
static int s_split(workflow_csv_t *self, const char *line, char ***cells_p, size_t *n_p,
                   workflow_csv_error_t *error)
{
    size_t n = 0, cap = 8;
    char **cells = gy_calloc(cap, sizeof *cells);
    const char *p = line;
    for (;;) {
        gy_buf_t cell = {0};
        gy_buf_append(&cell, "", 0);
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0') {
                    s_free_cells(cells, n);
                    gy_buf_free(&cell);
                    *n_p = 0;
                    return s_fail_at(self, error, -1, "bad_quote",
                                     "cell %zu: a quoted cell is not closed", n + 1);
                }
                if (p[0] == '"' && p[1] == '"') {
                    gy_buf_append(&cell, "\"", 1);
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    gy_buf_append(&cell, p++, 1);
                }
            }
            if (*p != ',' && *p != '\0') {
                s_free_cells(cells, n);
                gy_buf_free(&cell);
                return s_fail_at(self, error, -1, "bad_quote",
                                 "cell %zu: text after a closing quote", n + 1);
            }
        } else {
            size_t len = strcspn(p, ",");
            gy_buf_append(&cell, p, len);
            p += len;
        }
        if (n == cap) {
            cap *= 2;
            cells = gy_realloc(cells, cap * sizeof *cells);
        }
        cells[n++] = gy_strndup(cell.data, cell.len);
        gy_buf_free(&cell);
        if (*p != ',')
            break;
        p++;
    }
    *cells_p = cells;
    *n_p = n;
    return 0;
}

static int s_check_text(workflow_csv_t *self, char **cells, size_t n, workflow_csv_error_t *error)
{
    for (size_t i = 0; i < n; i++) {
        long rc = gy_text_check(cells[i], strlen(cells[i]), GY_TEXT_LINE);
        if (rc == GY_TEXT_INVALID_UTF8)
            return s_fail_at(self, error, self->names ? (int)i : -1, "invalid_utf8",
                             "the cell is not valid UTF-8");
        if (rc == GY_TEXT_CONTROL)
            return s_fail_at(self, error, self->names ? (int)i : -1, "control_character",
                             "the cell holds a control character");
    }
    return 0;
}

workflow_csv_t *workflow_csv_new(const char *text, const char *where, const char *const *columns,
                                 workflow_csv_error_t *error)
{
    assert(text && where && columns && columns[0]);
    workflow_csv_t *self = gy_calloc(1, sizeof *self);
    self->where = where;
    self->next = text;
    self->asked = columns;
    while (columns[self->ncolumns])
        self->ncolumns++;
    self->index = gy_calloc(self->ncolumns, sizeof *self->index);

    char *line = NULL;
    if (!s_next_line(self, &line)) {
        workflow_csv_fail_file(where, error, "empty", "no header line");
        goto fail;
    }
    char **names = NULL;
    size_t n = 0;
    int rc = s_split(self, line, &names, &n, error);
    free(line);
    if (rc < 0)
        goto fail;
    if (s_check_text(self, names, n, error) < 0) {
        s_free_cells(names, n);
        goto fail;
    }
    /*  Every name in the header must be asked for, once; every name asked
     *  for must be there. */
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < self->ncolumns && strcmp(columns[k], names[i]) != 0)
            k++;
        char quoted[64];
        gy_text_excerpt(quoted, sizeof quoted, names[i]);
        if (k == self->ncolumns) {
            s_free_cells(names, n);
            s_fail_at(self, error, -1, "unknown_column", "header cell %zu: unknown column \"%s\"",
                      i + 1, quoted);
            goto fail;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(names[j], names[i]) == 0) {
                s_free_cells(names, n);
                s_fail_at(self, error, -1, "duplicate_column",
                          "header cell %zu: column \"%s\" appears twice", i + 1, quoted);
                goto fail;
            }
        }
        self->index[k] = i;
    }
    if (n != self->ncolumns) {
        for (size_t k = 0; k < self->ncolumns; k++) {
            size_t i = 0;
            while (i < n && strcmp(columns[k], names[i]) != 0)
                i++;
            if (i == n) {
                s_free_cells(names, n);
                s_fail_at(self, error, -1, "missing_column", "the header has no column \"%s\"",
                          columns[k]);
                goto fail;
            }
        }
    }
    self->names = names;
    return self;
fail:
    workflow_csv_destroy(&self);
    return NULL;
}

int workflow_csv_next(workflow_csv_t *self, workflow_csv_error_t *error)
{
    assert(self);
    s_free_cells(self->cells, self->ncolumns);
    self->cells = NULL;
    char *line;
    if (!s_next_line(self, &line))
        return 0;
    char **cells = NULL;
    size_t n = 0;
    int rc = s_split(self, line, &cells, &n, error);
    free(line);
    if (rc < 0)
        return -1;
    if (n != self->ncolumns) {
        s_free_cells(cells, n);
        return s_fail_at(self, error, -1, "wrong_columns", "expected %zu cells, found %zu",
                         self->ncolumns, n);
    }
    self->cells = cells;
    if (s_check_text(self, cells, n, error) < 0)
        return -1;
    return 1;
}

const char *workflow_csv_get(const workflow_csv_t *self, const char *column)
{
    assert(self && self->cells && column);
    for (size_t k = 0; k < self->ncolumns; k++)
        if (strcmp(self->asked[k], column) == 0)
            return self->cells[self->index[k]];
    assert(!"a column asked for at workflow_csv_new");
    return "";
}

int workflow_csv_line(const workflow_csv_t *self)
{
    return self->lineno;
}
