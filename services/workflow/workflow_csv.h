/*  workflow_csv — reads the workflow's reference files (time limits,
 *  document templates, procuratorate abbreviations): CSV with a header line
 *  naming the columns, so a row's cells are found by name, and every cell
 *  checked as one line of valid UTF-8 (gy_text) before anyone reads it.
 *  An error names the file, the line and the column, is logged once here,
 *  and is handed back with a stable code.
 *
 *      static const char *const columns[] = {"code", "abbr", NULL};
 *      workflow_csv_error_t err;
 *      workflow_csv_t *csv = workflow_csv_new(text, "abbr.csv", columns, &err);
 *      int rc;
 *      while (csv && (rc = workflow_csv_next(csv, &err)) > 0) {
 *          const char *code = workflow_csv_get(csv, "code");
 *          if (bad) { workflow_csv_fail(csv, &err, "invalid_value", "code", "..."); break; }
 *      }
 *      workflow_csv_destroy(&csv);
 *
 *  Format: the first line that is neither empty nor a '#' comment is the
 *  header, with exactly the columns asked for, in any order; then one row
 *  per line with as many cells.  A cell holding a comma or a quote is
 *  double-quoted ("" is a quote inside); a cell does not span lines.
 *  Cells are taken as written (no trimming).
 */
#ifndef WORKFLOW_CSV_H
#define WORKFLOW_CSV_H

#include <stddef.h>

/*  Why a reference file was refused.  code is stable: unreadable, empty,
 *  unknown_column, missing_column, duplicate_column, wrong_columns,
 *  bad_quote, invalid_utf8, control_character, and each file's own codes
 *  (docs/workflow.md). */
typedef struct {
    char code[32];
    int line;          /* 1-based; 0 for the file as a whole */
    int column;        /* 1-based; 0 for the line as a whole */
    char message[512]; /* "path:3: column 5 (unit): ..." */
} workflow_csv_error_t;

typedef struct workflow_csv workflow_csv_t;

/*  Reads the header of text (borrowed for the object's life); NULL when
 *  it is wrong (logged, *error filled; error may be NULL). */
workflow_csv_t *workflow_csv_new(const char *text, const char *where, const char *const *columns,
                                 workflow_csv_error_t *error);
void workflow_csv_destroy(workflow_csv_t **self_p);

/*  Moves to the next row: 1, 0 at the end, -1 when the row is wrong
 *  (logged, *error filled). */
int workflow_csv_next(workflow_csv_t *self, workflow_csv_error_t *error);
/*  The current row's cell in a column named at workflow_csv_new. */
const char *workflow_csv_get(const workflow_csv_t *self, const char *column);
/*  The current row's line number. */
int workflow_csv_line(const workflow_csv_t *self);

/*  Logs and fills *error (may be NULL) for the current row: "where:line:
 *  column N (name): " and the message; column NULL for the whole row.
 *  Always returns -1. */
int workflow_csv_fail(const workflow_csv_t *self, workflow_csv_error_t *error, const char *code,
                      const char *column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*  The same for a file-wide error found after the rows (line 0). */
int workflow_csv_fail_file(const char *where, workflow_csv_error_t *error, const char *code,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
