/*  workflow_document — a case's documents (文书): the text of each (a body
 *  template per kind filled with the case's facts, or the prosecutor's
 *  own), who may issue a kind on its own, and the steps that number and
 *  store a document gap-free inside a transaction of the caller's
 *  (docs/workflow.md, "Documents").
 *
 *  The number is a decision in C, like every decision here: gy_pg runs a
 *  transaction as one pipeline, so a number cannot come back from the
 *  database in the middle of the write that packs the event with it.  So
 *  the caller
 *   1. reads, in its read transaction, the counters of the case's
 *      procuratorate for the year of issue (workflow_document_read_add),
 *   2. decides seq = last + 1 (workflow_documents_decide) and renders the
 *      number (workflow_docnum_render),
 *   3. writes, in its write transaction, the guarded counter step, the
 *      document row and DocumentIssued (workflow_document_tx_issue): the
 *      counter moves from last to seq only if it still is last, the
 *      document's UNIQUE (procuratorate, series, year, seq) and UNIQUE
 *      (number) are the last guard.  A failed guard (SQLSTATE 40001 or
 *      23505: someone issued meanwhile) means: read and decide again (at
 *      most 4 tries, then 409 conflict),
 *   4. tells the outcome (workflow_documents_settled).
 *  The counter moves only with a committed document (gap-free) and only
 *  from the value read (never doubled); a crash before the commit loses
 *  both.  Within one process, decisions on the same series chain on the
 *  numbers still in flight (the connection runs transactions in order),
 *  so concurrent issues do not fail each other's guards; across
 *  processes the guard and the retry settle it.
 *
 *      docs = workflow_documents_load_default(refdir, refdata, &err);   // at start
 *      workflow_document_prepare(pg);                  // before gy_pg_start
 *
 *      // a transition that issues a document, e.g. issue_suggestion:
 *      int64_t at_ms = gy_now_ms();
 *      int year = workflow_docnum_year(at_ms);
 *      read tx:  ... the case ...; workflow_document_read_add(read_tx, case_id, year);
 *      on its row: workflow_document_counters_add(&counters, res);   // that statement's result
 *      decide:
 *          workflow_docnum_template_t t;
 *          workflow_docnum_lookup(workflow_documents_docnum(docs), proc, case_kind,
 *                                 WORKFLOW_DOC_SUGGESTION, &t, &cerr);
 *          int64_t last = workflow_documents_decide(
 *              docs, proc, t.series, year, workflow_document_counters_last(&counters, t.series));
 *          char *number = workflow_docnum_render(&t, year, last + 1);
 *          char *text = NULL;
 *          workflow_document_facts_t f = {...number, at_ms...};
 *          workflow_documents_text(docs, WORKFLOW_DOC_SUGGESTION, case_kind, &f, &text, &err);
 *          workflow_document_issue_t d = {.id = new_uuid, .case_id = ..., .t = &t, .year = year,
 *                                         .last = last, .number = number, .text = text, ...};
 *      write tx: ... the transition ...; workflow_document_tx_issue(write_tx, producer, &d, trace);
 *      done:     workflow_documents_settled(docs, proc, t.series, year, status == GY_PG_OK);
 *
 *  Standalone documents (POST .../documents, workflow_document_api) take
 *  the same path.  A transition that serves a document (serve_suggestion)
 *  reads the case's latest unserved one of the kind
 *  (workflow_document_unserved_read_add / _parse) and adds
 *  workflow_document_tx_serve to its write, guarded by that version.
 */
#ifndef WORKFLOW_DOCUMENT_H
#define WORKFLOW_DOCUMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gy_pg.h"
#include "gy_refdata.h"
#include "gy_route.h"
#include "workflow_csv.h"
#include "workflow_docnum.h"

/*  Characters of a document's text, given or filled from its template. */
#define WORKFLOW_DOCUMENT_TEXT_MAX 20000
/*  Characters of a recipient (主送) and of whom a document was served on. */
#define WORKFLOW_DOCUMENT_RECIPIENT_MAX 200

typedef struct workflow_documents workflow_documents_t;

/*  The numbering (docnum, taken: *docnum_p is nulled) and the body
 *  templates of bodies_dir (KIND.txt, KIND.CASE_KIND.txt; other files are
 *  ignored), checked: UTF-8 without control characters but newline and
 *  tab, known placeholders, a known kind.  NULL when wrong, logged once
 *  with the file and described in *error (may be NULL); codes beyond
 *  workflow_csv's: unknown_kind, unknown_placeholder, invalid_template. */
workflow_documents_t *workflow_documents_new(workflow_docnum_t **docnum_p, const char *bodies_dir,
                                             workflow_csv_error_t *error);
/*  The reference files (workflow_docnum_load_default) and the bodies of
 *  GY_DOCUMENT_BODIES, default refdir/document_bodies. */
workflow_documents_t *workflow_documents_load_default(const char *refdir, const gy_refdata_t *ref,
                                                      workflow_csv_error_t *error);
void workflow_documents_destroy(workflow_documents_t **self_p);

const workflow_docnum_t *workflow_documents_docnum(const workflow_documents_t *self);

/*  ---- text ---- */

/*  The facts a body template is filled with (borrowed). */
typedef struct {
    const char *procuratorate_name; /* 大同市平城区人民检察院 */
    const char *number;
    const char *name_zh;   /* the document's name */
    const char *recipient; /* NULL or "": none given */
    const char *title;     /* the case's */
    const char *field_name;
    int64_t issued_ms;
} workflow_document_facts_t;

/*  The Beijing date of an instant as 检察文书 write it on the signature
 *  line: 二〇二六年十一月二十九日.  out holds at least 64 bytes. */
void workflow_document_date_zh(int64_t ms, char *out, size_t size);

/*  Whether a kind has a body template for a case kind. */
bool workflow_documents_has_body(const workflow_documents_t *self, const char *kind,
                                 const char *case_kind);

/*  The kind's body template filled with facts: 0 with *text (to free), or
 *  -1 with err: 422 no_body_template (field "text": give the text), 400
 *  missing_field "recipient" (the template addresses someone and facts
 *  name nobody), 422 too_long "text" (longer than the maximum once
 *  filled). */
int workflow_documents_text(const workflow_documents_t *self, const char *kind,
                            const char *case_kind, const workflow_document_facts_t *facts,
                            char **text, gy_error_t *err);

/*  ---- who issues ---- */

/*  The least role (WORKFLOW_ROLE_PROSECUTOR or WORKFLOW_ROLE_CHIEF) that
 *  may issue a kind on its own in a case of case_kind: the least role of
 *  the transitions of that kind's machines (and opening) that issue it —
 *  the chief's for the 立案决定书, 检察建议书 and 起诉书.  NULL when no
 *  transition of that case kind issues it (a 不立案决定书 belongs to a
 *  clue, a 检察建议书 to an administrative case). */
const char *workflow_document_issue_role(const char *case_kind, const char *kind);

/*  ---- numbering inside the caller's transactions ---- */

/*  Prepares this module's statements on a connection, before it starts,
 *  once per connection (a name prepared twice fails the connection):
 *  workflow_document_api_new does it for its own ("pg documents").  A
 *  caller that chains numbers in flight (workflow_documents_decide) writes
 *  them on one connection, not a pool: they must commit in the order they
 *  were decided, or they fail each other's guards. */
void workflow_document_prepare(gy_pg_t *pg);

/*  Adds to a read transaction: the counters of every series of the case's
 *  procuratorate in year (one row per series that has a number). */
void workflow_document_read_add(gy_pg_tx_t *read_tx, const char *case_id, int year);

/*  What that statement answered. */
typedef struct {
    size_t n;
    struct {
        char *series;
        int64_t last;
    } * items;
} workflow_document_counters_t;

/*  Keeps the rows of the read_add statement's result (call it from the
 *  result callback for that statement's index; again on a retry after
 *  workflow_document_counters_clear). */
void workflow_document_counters_add(workflow_document_counters_t *c, const gy_pg_result_t *res);
/*  The last number of a series read, 0 when none yet. */
int64_t workflow_document_counters_last(const workflow_document_counters_t *c, const char *series);
void workflow_document_counters_clear(workflow_document_counters_t *c);

/*  The last number to write on, from the one read: the higher of it and
 *  the highest number this process has in flight for the series and
 *  year; the caller issues last + 1, which is now in flight until its
 *  write ends: call workflow_documents_settled once for each decision. */
int64_t workflow_documents_decide(workflow_documents_t *self, const char *procuratorate,
                                  const char *series, int year, int64_t read_last);
/*  The write of a number decided ended: committed, or not (failed, or
 *  lost: not known).  A number that did not commit takes down the numbers
 *  chained on it (their guards fail), so the next decisions go by what
 *  they read again instead of chaining on it. */
void workflow_documents_settled(workflow_documents_t *self, const char *procuratorate,
                                const char *series, int year, bool committed);

/*  A document to issue, as decided (borrowed). */
typedef struct {
    const char *id; /* a new UUID */
    const char *case_id;
    const char *case_kind;
    const char *field_code; /* the case's */
    const char *procuratorate;
    const workflow_docnum_template_t *t; /* the numbering row: series, name_zh */
    const char *kind;
    int year;
    int64_t last;       /* the counter read (decided on); the seq is last + 1 */
    const char *number; /* workflow_docnum_render(t, year, last + 1) */
    const char *text;
    bool text_given;        /* the prosecutor's own text, not the template's */
    const char *recipient;  /* NULL: none */
    const char *transition; /* the case event that issues it; NULL: alone */
    const char *reason;     /* NULL: none */
    const char *issued_by;
    const char *issued_role;
    int64_t issued_ms;
    const char *idempotency_key; /* NULL: none */
    const char *request_hash;    /* with the key: the request's, to tell a retry */
} workflow_document_issue_t;

/*  Adds to a write transaction the guarded counter step and the document
 *  (statement workflow_document_issue) and DocumentIssued in the outbox. */
void workflow_document_tx_issue(gy_pg_tx_t *write_tx, const char *producer,
                                const workflow_document_issue_t *d, const char *trace);

/*  ---- serving inside the caller's transactions ---- */

/*  A transition that serves a document (serve_suggestion: the 检察建议书
 *  on the organ) finds it with its read: the case's latest document of a
 *  kind not served yet. */
void workflow_document_unserved_read_add(gy_pg_tx_t *read_tx, const char *case_id,
                                         const char *kind);

/*  What that statement answered: found false when the case has no such
 *  document (the transition is refused: nothing to serve). */
typedef struct {
    bool found;
    char id[37];
    long version;
    char procuratorate[7];
    char number[128];
} workflow_document_unserved_t;

void workflow_document_unserved_parse(const gy_pg_result_t *res, workflow_document_unserved_t *out);

/*  A service to record (borrowed). */
typedef struct {
    const char *document_id;
    long version; /* read: the write is guarded by it and by "not served yet" */
    const char *case_id;
    const char *kind;
    const char *number;
    const char *procuratorate;
    const char *served_on;
    int64_t served_ms;       /* when it was served */
    const char *method;      /* direct, lodged, electronic, entrusted, post, forwarded,
                                public_notice */
    const char *recorded_by; /* who records it, and when */
    int64_t recorded_ms;
} workflow_document_serve_t;

/*  Adds the guarded service (statement workflow_document_serve: 40001
 *  when the document changed or was served meanwhile) and DocumentServed
 *  to a write transaction. */
void workflow_document_tx_serve(gy_pg_tx_t *write_tx, const char *producer,
                                const workflow_document_serve_t *s, const char *trace);

#endif
