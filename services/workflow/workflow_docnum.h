/*  workflow_docnum — the numbers of a case's documents (文书), from
 *  templates kept as data: reference/document_templates.csv (per
 *  procuratorate, document kind and case kind) and
 *  reference/procuratorate_abbr.csv (the procuratorate's short name).
 *  "平检行公建〔2026〕3号" is the 3rd 检察建议书 of 2026 of the 平城区
 *  procuratorate.  Formatting is pure; the gap-free counter lives in the
 *  database (below).
 *
 *      workflow_csv_error_t err;
 *      workflow_docnum_t *docnum = workflow_docnum_load_default(refdir, ref, &err);
 *      workflow_docnum_template_t t;
 *      if (workflow_docnum_lookup(docnum, "140213", "administrative", WORKFLOW_DOC_SUGGESTION,
 *                                 &t, &err) < 0) ... err.code ...
 *      int year = workflow_docnum_year(issued_ms);
 *      ... seq from the counter, keyed by (procuratorate, t.series, year) ...
 *      char *number = workflow_docnum_render(&t, year, seq);   // 平检行公建〔2026〕3号
 *      free(number);
 *
 *  Which row: the procuratorate's own row before the default "*"; among
 *  those, the case kind's row before "*" (a case kind of NULL or "" — a
 *  clue not opened has none — takes only "*" rows).  Placeholders:
 *  {abbr}, {year} (the Beijing year of issue), {seq} (1, 2, ... without
 *  padding); {year} and {seq} appear exactly once.
 *
 *  What the caller (the service's store) must do, so that numbers are
 *  gap-free and never doubled, under concurrent issuing and crashes: take
 *  the number in the same transaction that stores the document, from a
 *  counter row per (procuratorate, series, year) — series is the row's
 *  (kind, case kind), so the two case kinds' 立案决定书 (行公立, 民公立)
 *  count apart while one "*" row counts once for both:
 *
 *      CREATE TABLE workflow.document_counter (
 *          procuratorate text NOT NULL,
 *          series text NOT NULL,          -- workflow_docnum_template_t.series
 *          year int NOT NULL,
 *          last_seq bigint NOT NULL,
 *          PRIMARY KEY (procuratorate, series, year));
 *
 *  The number is a decision in C, as every decision of the service: gy_pg
 *  runs a transaction as one pipeline, so a number cannot come back from
 *  the database (an upsert RETURNING) before the write that packs
 *  DocumentIssued with it.  So: read last_seq (no row: 0) with the case;
 *  decide seq = last + 1 and render the number here; write, in one
 *  transaction, the counter step guarded by what was read — the first
 *  number inserts the row (its primary key is the guard), a later one
 *
 *      UPDATE workflow.document_counter SET last_seq = $seq
 *       WHERE (procuratorate, series, year) = ($1, $2, $3) AND last_seq = $last
 *      -- no row: raise serialization_failure (40001)
 *
 *  — then the document, with UNIQUE (procuratorate, series, year, seq)
 *  and UNIQUE (number) as the last guard, and its event.  A failed guard
 *  (someone issued meanwhile) reads and decides again.  The counter moves
 *  only with a committed document (a rollback or a crash loses both: no
 *  gap) and only from the value read (never doubled).  Never take a
 *  number in one transaction and store the document in another, and
 *  never use a sequence (sequences leave gaps on rollback).
 *  workflow_document.h does all of this (workflow.document_issue in
 *  R__documents.sql).
 */
#ifndef WORKFLOW_DOCNUM_H
#define WORKFLOW_DOCNUM_H

#include <stdint.h>

#include "gy_refdata.h"
#include "workflow_csv.h"

/*  The document kinds of the case workflow (agreed with the machines). */
#define WORKFLOW_DOC_OPENING_DECISION    "opening_decision"    /* 立案决定书 */
#define WORKFLOW_DOC_NOT_OPENED_DECISION "not_opened_decision" /* 不立案决定书 */
#define WORKFLOW_DOC_SUGGESTION          "suggestion"          /* 检察建议书 */
#define WORKFLOW_DOC_ANNOUNCEMENT        "announcement"        /* 公告 */
#define WORKFLOW_DOC_CLOSING_DECISION    "closing_decision"    /* 终结审查决定书 */
#define WORKFLOW_DOC_INDICTMENT          "indictment"          /* 起诉书 */
#define WORKFLOW_DOC_SUPPORT_LETTER      "support_letter"      /* 支持起诉意见书 */
#define WORKFLOW_DOC_APPEAL              "appeal"              /* 上诉状 */

/*  All of them, NULL-terminated: each must have a default row. */
extern const char *const WORKFLOW_DOC_KINDS[];

typedef struct workflow_docnum workflow_docnum_t;

/*  The row that numbers a document; the strings belong to the docnum. */
typedef struct {
    const char *procuratorate; /* the six-digit code asked for */
    const char *abbr;          /* its abbreviation */
    const char *template;      /* e.g. "{abbr}检行公建〔{year}〕{seq}号" */
    const char *series;        /* the counter's key: "suggestion/administrative" */
    const char *name_zh;       /* the document's name: 检察建议书 */
} workflow_docnum_template_t;

/*  Loads and checks both files; ref (borrowed for the call, may be NULL)
 *  checks the procuratorate codes.  NULL when a file is unreadable or
 *  wrong, logged once with file, line and column and described in *error
 *  (may be NULL).  Codes beyond workflow_csv's: invalid_value,
 *  unknown_procuratorate, invalid_template, unknown_placeholder,
 *  duplicate_template, missing_kind, duplicate_abbreviation. */
workflow_docnum_t *workflow_docnum_parse(const char *templates, const char *templates_where,
                                         const char *abbrs, const char *abbrs_where,
                                         const gy_refdata_t *ref, workflow_csv_error_t *error);
workflow_docnum_t *workflow_docnum_load(const char *templates_path, const char *abbrs_path,
                                        const gy_refdata_t *ref, workflow_csv_error_t *error);
/*  The files named by GY_DOCUMENT_TEMPLATES and GY_PROCURATORATE_ABBR,
 *  default refdir/document_templates.csv and refdir/procuratorate_abbr.csv. */
workflow_docnum_t *workflow_docnum_load_default(const char *refdir, const gy_refdata_t *ref,
                                                workflow_csv_error_t *error);
void workflow_docnum_destroy(workflow_docnum_t **self_p);

/*  The row for a document; 0, or -1 with *error (not logged: the caller
 *  answers it): unknown_kind (no row has the kind), no_template (none for
 *  this case kind), no_abbreviation (the procuratorate has none). */
int workflow_docnum_lookup(const workflow_docnum_t *self, const char *procuratorate,
                           const char *case_kind, const char *kind, workflow_docnum_template_t *out,
                           workflow_csv_error_t *error);

/*  The number: the template with its placeholders filled.  year 1970 to
 *  9999, seq >= 1.  The caller frees. */
char *workflow_docnum_render(const workflow_docnum_template_t *t, int year, int64_t seq);

/*  The year a number carries: the Beijing year of the instant of issue. */
int workflow_docnum_year(int64_t issued_ms);

#endif
