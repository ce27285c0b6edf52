/*  workflow_document — see workflow_document.h. */
#include "workflow_document.h"

#include <assert.h>
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gongyi.pb-c.h"
#include "gy_calendar.h"
#include "gy_outbox.h"
#include "gy_text.h"
#include "gy_util.h"
#include "workflow_machines.h"

/*  A kind's body template for a case kind ("*": both). */
typedef struct {
    char *kind;
    char *case_kind;
    char *text;
} s_body_t;

/*  Numbers this process has decided and not yet seen settled, per
 *  (procuratorate, series, year): the highest, and how many writes. */
typedef struct {
    char *key;
    int64_t highest;
    size_t in_flight;
} s_pending_t;

struct workflow_documents {
    workflow_docnum_t *docnum; /* the numbering templates (owned) */
    s_body_t *bodies;
    size_t nbodies;
    s_pending_t *pending;
    size_t npending;
};

static const char *const s_placeholders[] = {
    "procuratorate", "number", "name", "recipient", "title", "field", "date", NULL,
};

void workflow_documents_destroy(workflow_documents_t **self_p)
{
    assert(self_p);
    workflow_documents_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->npending; i++)
        free(self->pending[i].key);
    free(self->pending);
    for (size_t i = 0; i < self->nbodies; i++) {
        free(self->bodies[i].kind);
        free(self->bodies[i].case_kind);
        free(self->bodies[i].text);
    }
    free(self->bodies);
    workflow_docnum_destroy(&self->docnum);
    free(self);
    *self_p = NULL;
}

static int s_refuse(workflow_csv_error_t *error, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_refuse(workflow_csv_error_t *error, const char *code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    gy_text_vformat(message, sizeof message, fmt, ap);
    va_end(ap);
    gy_log_error("invalid reference data at %s", message);
    if (error) {
        memset(error, 0, sizeof *error);
        gy_text_format(error->code, sizeof error->code, "%s", code);
        gy_text_format(error->message, sizeof error->message, "%s", message);
    }
    return -1;
}

static bool s_known_kind(const char *kind)
{
    for (const char *const *k = WORKFLOW_DOC_KINDS; *k; k++)
        if (strcmp(*k, kind) == 0)
            return true;
    return false;
}

/*  Every "{name}" of a template must be a known placeholder, and braces
 *  come in pairs. */
static int s_check_body(const char *text, const char *where, workflow_csv_error_t *error)
{
    long n = gy_text_check(text, strlen(text), GY_TEXT_MULTILINE);
    if (n == GY_TEXT_INVALID_UTF8)
        return s_refuse(error, "invalid_utf8", "%s: not valid UTF-8", where);
    if (n == GY_TEXT_CONTROL)
        return s_refuse(error, "control_character",
                        "%s: a control character (only newline and tab are allowed)", where);
    for (const char *p = text; *p; p++) {
        if (*p == '}')
            return s_refuse(error, "invalid_template", "%s: a \"}\" without its \"{\"", where);
        if (*p != '{')
            continue;
        const char *end = strchr(p, '}');
        const char *next = strchr(p + 1, '{');
        if (!end || (next && next < end))
            return s_refuse(error, "invalid_template", "%s: a \"{\" without its \"}\"", where);
        bool known = false;
        for (const char *const *name = s_placeholders; *name && !known; name++)
            known =
                strlen(*name) == (size_t)(end - p - 1) && strncmp(p + 1, *name, end - p - 1) == 0;
        if (!known) {
            char quoted[64];
            char *name = gy_strndup(p + 1, (size_t)(end - p - 1));
            gy_text_excerpt(quoted, sizeof quoted, name);
            free(name);
            return s_refuse(error, "unknown_placeholder",
                            "%s: unknown placeholder {%s} (known: procuratorate, number, name, "
                            "recipient, title, field, date)",
                            where, quoted);
        }
        p = end;
    }
    return 0;
}

/*  One file of the bodies folder: KIND.txt or KIND.CASE_KIND.txt. */
static int s_load_body(workflow_documents_t *self, const char *dir, const char *file,
                       workflow_csv_error_t *error)
{
    size_t len = strlen(file);
    if (len < 5 || strcmp(file + len - 4, ".txt") != 0)
        return 0; /* README.md and the like */
    char *stem = gy_strndup(file, len - 4);
    char *dot = strchr(stem, '.');
    const char *case_kind = "*";
    if (dot) {
        *dot = '\0';
        case_kind = dot + 1;
    }
    char *path = gy_sprintf("%s/%s", dir, file);
    int rc = 0;
    if (!s_known_kind(stem))
        rc = s_refuse(error, "unknown_kind", "%s: no document kind \"%s\" (workflow_docnum.h)",
                      path, stem);
    else if (strcmp(case_kind, "*") != 0 && strcmp(case_kind, "administrative") != 0 &&
             strcmp(case_kind, "civil") != 0)
        rc = s_refuse(error, "invalid_value",
                      "%s: the case kind after the kind is administrative or civil", path);
    char *text = NULL;
    if (rc == 0) {
        size_t n;
        text = gy_read_file(path, &n);
        if (!text)
            rc = s_refuse(error, "unreadable", "%s: cannot be read", path);
        else if (strlen(text) != n)
            rc = s_refuse(error, "control_character", "%s: a NUL byte", path);
        else
            rc = s_check_body(text, path, error);
    }
    if (rc == 0) {
        self->bodies = gy_realloc(self->bodies, (self->nbodies + 1) * sizeof *self->bodies);
        self->bodies[self->nbodies++] = (s_body_t){gy_strdup(stem), gy_strdup(case_kind), text};
        text = NULL;
    }
    free(text);
    free(path);
    free(stem);
    return rc;
}

workflow_documents_t *workflow_documents_new(workflow_docnum_t **docnum_p, const char *bodies_dir,
                                             workflow_csv_error_t *error)
{
    assert(docnum_p && *docnum_p && bodies_dir);
    workflow_documents_t *self = gy_calloc(1, sizeof *self);
    self->docnum = *docnum_p;
    *docnum_p = NULL;
    DIR *dir = opendir(bodies_dir);
    if (!dir) {
        s_refuse(error, "unreadable", "%s: the document bodies' folder cannot be read", bodies_dir);
        workflow_documents_destroy(&self);
        return NULL;
    }
    /*  In name order, so that which file is refused does not depend on
     *  the file system. */
    char **names = NULL;
    size_t nnames = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (entry->d_name[0] == '.')
            continue;
        names = gy_realloc(names, (nnames + 1) * sizeof *names);
        names[nnames++] = gy_strdup(entry->d_name);
    }
    closedir(dir);
    for (size_t i = 1; i < nnames; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    int rc = 0;
    for (size_t i = 0; i < nnames; i++) {
        if (rc == 0)
            rc = s_load_body(self, bodies_dir, names[i], error);
        free(names[i]);
    }
    free(names);
    if (rc < 0)
        workflow_documents_destroy(&self);
    return self;
}

workflow_documents_t *workflow_documents_load_default(const char *refdir, const gy_refdata_t *ref,
                                                      workflow_csv_error_t *error)
{
    workflow_docnum_t *docnum = workflow_docnum_load_default(refdir, ref, error);
    if (!docnum)
        return NULL;
    const char *b = getenv("GY_DOCUMENT_BODIES");
    char *bdef = gy_sprintf("%s/document_bodies", refdir);
    workflow_documents_t *self = workflow_documents_new(&docnum, b && *b ? b : bdef, error);
    free(bdef);
    return self;
}

const workflow_docnum_t *workflow_documents_docnum(const workflow_documents_t *self)
{
    assert(self);
    return self->docnum;
}

/*  ---- text ---- */

void workflow_document_date_zh(int64_t ms, char *out, size_t size)
{
    static const char *const digits[] = {"〇", "一", "二", "三", "四",
                                         "五", "六", "七", "八", "九"};
    assert(out && size >= 64);
    char day_text[11];
    gy_day_format(gy_day_of_ms(ms), day_text);
    int year = atoi(day_text), month = atoi(day_text + 5), mday = atoi(day_text + 8);
    gy_buf_t buf = {0};
    char y[8];
    snprintf(y, sizeof y, "%04d", year);
    for (const char *c = y; *c; c++)
        gy_buf_printf(&buf, "%s", digits[*c - '0']);
    gy_buf_printf(&buf, "年");
    /*  Months and days are read as numbers: 十一, 二十九, 三十一. */
    int parts[2] = {month, mday};
    for (int i = 0; i < 2; i++) {
        int n = parts[i];
        if (n >= 20)
            gy_buf_printf(&buf, "%s十", digits[n / 10]);
        else if (n >= 10)
            gy_buf_printf(&buf, "十");
        if (n % 10 || n < 10)
            gy_buf_printf(&buf, "%s", digits[n % 10]);
        gy_buf_printf(&buf, "%s", i == 0 ? "月" : "日");
    }
    gy_buf_append(&buf, "", 1);
    snprintf(out, size, "%s", buf.data);
    gy_buf_free(&buf);
}

static const s_body_t *s_body(const workflow_documents_t *self, const char *kind,
                              const char *case_kind)
{
    const s_body_t *any = NULL;
    for (size_t i = 0; i < self->nbodies; i++) {
        const s_body_t *b = &self->bodies[i];
        if (strcmp(b->kind, kind) != 0)
            continue;
        if (case_kind && strcmp(b->case_kind, case_kind) == 0)
            return b;
        if (strcmp(b->case_kind, "*") == 0)
            any = b;
    }
    return any;
}

bool workflow_documents_has_body(const workflow_documents_t *self, const char *kind,
                                 const char *case_kind)
{
    assert(self && kind);
    return s_body(self, kind, case_kind) != NULL;
}

int workflow_documents_text(const workflow_documents_t *self, const char *kind,
                            const char *case_kind, const workflow_document_facts_t *facts,
                            char **text, gy_error_t *err)
{
    assert(self && kind && facts && text && err);
    *text = NULL;
    const s_body_t *b = s_body(self, kind, case_kind);
    if (!b) {
        gy_error_set(err, 422, "no_body_template", "text",
                     "there is no body template for %s documents (reference/document_bodies): "
                     "give the text",
                     kind);
        return -1;
    }
    bool has_recipient = facts->recipient && facts->recipient[0];
    if (strstr(b->text, "{recipient}") && !has_recipient) {
        gy_error_set(err, 400, "missing_field", "recipient",
                     "recipient is required: a %s is addressed to someone (主送)", kind);
        return -1;
    }
    char date[64];
    workflow_document_date_zh(facts->issued_ms, date, sizeof date);
    const char *values[] = {facts->procuratorate_name,
                            facts->number,
                            facts->name_zh,
                            has_recipient ? facts->recipient : "",
                            facts->title,
                            facts->field_name,
                            date};
    gy_buf_t buf = {0};
    for (const char *p = b->text; *p;) {
        const char *open = strchr(p, '{');
        if (!open) {
            gy_buf_append(&buf, p, strlen(p));
            break;
        }
        gy_buf_append(&buf, p, (size_t)(open - p));
        const char *end = strchr(open, '}'); /* checked at load */
        for (size_t i = 0; s_placeholders[i]; i++)
            if (strlen(s_placeholders[i]) == (size_t)(end - open - 1) &&
                strncmp(open + 1, s_placeholders[i], (size_t)(end - open - 1)) == 0) {
                const char *v = values[i] ? values[i] : "";
                gy_buf_append(&buf, v, strlen(v));
            }
        p = end + 1;
    }
    gy_buf_append(&buf, "", 1);
    char *out = buf.data;
    long n = gy_text_check(out, strlen(out), GY_TEXT_MULTILINE);
    if (n < 0 || n > WORKFLOW_DOCUMENT_TEXT_MAX) {
        gy_error_set(err, 422, "too_long", "text",
                     "the %s's template filled with this case's facts is not a text of at most "
                     "%d characters",
                     kind, WORKFLOW_DOCUMENT_TEXT_MAX);
        free(out);
        return -1;
    }
    *text = out;
    return 0;
}

/*  ---- who issues ---- */

static bool s_issues(const workflow_step_t *step, const char *kind)
{
    for (size_t i = 0; step && i < sizeof step->issues / sizeof step->issues[0]; i++)
        if (step->issues[i] && strcmp(step->issues[i], kind) == 0)
            return true;
    return false;
}

const char *workflow_document_issue_role(const char *case_kind, const char *kind)
{
    assert(case_kind && kind);
    int k = workflow_case_kind_of(case_kind);
    if (k < 0)
        return NULL;
    const char *role = NULL;
    if (s_issues(workflow_case_opening((workflow_case_kind_t)k), kind))
        role = WORKFLOW_OPEN_ROLE;
    for (int heroes = 0; heroes < 2; heroes++) {
        const gy_machine_t *m = workflow_case_machine((workflow_case_kind_t)k, heroes);
        for (int s = 0; s < m->nstates; s++)
            for (int e = 0; e < m->nevents; e++) {
                if (!s_issues(workflow_case_step((workflow_case_kind_t)k, heroes, s, e), kind))
                    continue;
                const char *r = workflow_event_role((workflow_case_kind_t)k, e);
                if (!role || strcmp(r, WORKFLOW_ROLE_PROSECUTOR) == 0)
                    role = r;
            }
    }
    return role;
}

/*  ---- numbering ---- */

static const struct {
    const char *name;
    const char *sql;
} s_statements[] = {
    {"workflow_document_counters",
     "SELECT series, last_seq FROM workflow.document_counters($1::uuid, $2::integer)"},
    {"workflow_document_issue",
     "SELECT workflow.document_issue($1::jsonb, $2::bigint, $3::bigint)"},
    {"workflow_document_unserved",
     "SELECT id, version, procuratorate, number FROM workflow.document_unserved($1::uuid, $2)"},
    {"workflow_document_serve", "SELECT workflow.document_serve($1::uuid, $2::integer, $3,"
                                " $4::bigint, $5, $6, $7::bigint)"},
};

void workflow_document_prepare(gy_pg_t *pg)
{
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        gy_pg_prepare(pg, s_statements[i].name, s_statements[i].sql);
}

void workflow_document_read_add(gy_pg_tx_t *read_tx, const char *case_id, int year)
{
    assert(read_tx && case_id);
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    const char *values[] = {case_id, y};
    gy_pg_tx_add(read_tx, "workflow_document_counters", 2, values, NULL);
}

void workflow_document_counters_add(workflow_document_counters_t *c, const gy_pg_result_t *res)
{
    assert(c && res);
    int n = gy_pg_ntuples(res);
    for (int row = 0; row < n; row++) {
        c->items = gy_realloc(c->items, (c->n + 1) * sizeof *c->items);
        c->items[c->n].series = gy_strdup(gy_pg_value(res, row, 0));
        c->items[c->n].last = strtoll(gy_pg_value(res, row, 1), NULL, 10);
        c->n++;
    }
}

int64_t workflow_document_counters_last(const workflow_document_counters_t *c, const char *series)
{
    assert(c && series);
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i].series, series) == 0)
            return c->items[i].last;
    return 0;
}

void workflow_document_counters_clear(workflow_document_counters_t *c)
{
    assert(c);
    for (size_t i = 0; i < c->n; i++)
        free(c->items[i].series);
    free(c->items);
    c->items = NULL;
    c->n = 0;
}

static s_pending_t *s_pending(workflow_documents_t *self, const char *key)
{
    for (size_t i = 0; i < self->npending; i++)
        if (strcmp(self->pending[i].key, key) == 0)
            return &self->pending[i];
    return NULL;
}

int64_t workflow_documents_decide(workflow_documents_t *self, const char *procuratorate,
                                  const char *series, int year, int64_t read_last)
{
    assert(self && procuratorate && series && read_last >= 0);
    char *key = gy_sprintf("%s|%s|%d", procuratorate, series, year);
    s_pending_t *p = s_pending(self, key);
    if (!p) {
        self->pending = gy_realloc(self->pending, (self->npending + 1) * sizeof *self->pending);
        p = &self->pending[self->npending++];
        *p = (s_pending_t){key, 0, 0};
        key = NULL;
    }
    free(key);
    int64_t last = read_last > p->highest ? read_last : p->highest;
    p->highest = last + 1;
    p->in_flight++;
    return last;
}

void workflow_documents_settled(workflow_documents_t *self, const char *procuratorate,
                                const char *series, int year, bool committed)
{
    assert(self && procuratorate && series);
    char *key = gy_sprintf("%s|%s|%d", procuratorate, series, year);
    s_pending_t *p = s_pending(self, key);
    free(key);
    assert(p && p->in_flight > 0);
    if (!committed)
        p->highest = 0;
    /*  Once nothing is in flight the database knows the rest: what
     *  committed is read next time. */
    if (--p->in_flight == 0) {
        free(p->key);
        *p = self->pending[--self->npending];
    }
}

void workflow_document_tx_issue(gy_pg_tx_t *write_tx, const char *producer,
                                const workflow_document_issue_t *d, const char *trace)
{
    assert(write_tx && producer && d && d->t && d->id && d->case_id && d->number && d->text);
    int64_t seq = d->last + 1;
    json_t *doc = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", d->id, "case_id",
        d->case_id, "kind", d->kind, "case_kind", d->case_kind, "procuratorate", d->procuratorate,
        "series", d->t->series, "year", d->year, "seq", (json_int_t)seq, "number", d->number,
        "name_zh", d->t->name_zh, "text", d->text, "text_source",
        d->text_given ? "given" : "template", "recipient", d->recipient ? d->recipient : "",
        "issued_by", d->issued_by, "issued_role", d->issued_role);
    assert(doc);
    if (d->transition)
        json_object_set_new(doc, "transition", json_string(d->transition));
    if (d->reason)
        json_object_set_new(doc, "reason", json_string(d->reason));
    if (d->idempotency_key) {
        json_object_set_new(doc, "idempotency_key", json_string(d->idempotency_key));
        json_object_set_new(doc, "request_hash", json_string(d->request_hash));
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    char last[24], at[24];
    snprintf(last, sizeof last, "%" PRId64, d->last);
    snprintf(at, sizeof at, "%" PRId64, d->issued_ms);
    const char *values[] = {text, last, at};
    gy_pg_tx_add(write_tx, "workflow_document_issue", 3, values, NULL);
    free(text);

    Gongyi__V1__DocumentIssued m = GONGYI__V1__DOCUMENT_ISSUED__INIT;
    m.document_id = (char *)d->id;
    m.case_id = (char *)d->case_id;
    m.case_kind = (char *)d->case_kind;
    m.kind = (char *)d->kind;
    m.name_zh = (char *)d->t->name_zh;
    m.number = (char *)d->number;
    m.series = (char *)d->t->series;
    m.year = d->year;
    m.seq = seq;
    m.procuratorate = (char *)d->procuratorate;
    m.field_code = (char *)(d->field_code ? d->field_code : "");
    m.recipient = (char *)(d->recipient ? d->recipient : "");
    m.issued_by = (char *)d->issued_by;
    m.issued_unix_ms = d->issued_ms;
    m.transition = (char *)(d->transition ? d->transition : "");
    gy_outbox_tx_append_msg(write_tx, producer, &m.base, trace, d->procuratorate);
}

void workflow_document_unserved_read_add(gy_pg_tx_t *read_tx, const char *case_id, const char *kind)
{
    assert(read_tx && case_id && kind);
    const char *values[] = {case_id, kind};
    gy_pg_tx_add(read_tx, "workflow_document_unserved", 2, values, NULL);
}

void workflow_document_unserved_parse(const gy_pg_result_t *res, workflow_document_unserved_t *out)
{
    assert(res && out);
    memset(out, 0, sizeof *out);
    if (gy_pg_ntuples(res) != 1)
        return;
    out->found = true;
    snprintf(out->id, sizeof out->id, "%s", gy_pg_value(res, 0, 0));
    out->version = strtol(gy_pg_value(res, 0, 1), NULL, 10);
    snprintf(out->procuratorate, sizeof out->procuratorate, "%s", gy_pg_value(res, 0, 2));
    snprintf(out->number, sizeof out->number, "%s", gy_pg_value(res, 0, 3));
}

void workflow_document_tx_serve(gy_pg_tx_t *write_tx, const char *producer,
                                const workflow_document_serve_t *s, const char *trace)
{
    assert(write_tx && producer && s && s->document_id && s->served_on && s->method &&
           s->recorded_by);
    char version[24], served[24], at[24];
    snprintf(version, sizeof version, "%ld", s->version);
    snprintf(served, sizeof served, "%" PRId64, s->served_ms);
    snprintf(at, sizeof at, "%" PRId64, s->recorded_ms);
    const char *values[] = {s->document_id, version, s->served_on, served, s->method,
                            s->recorded_by, at};
    gy_pg_tx_add(write_tx, "workflow_document_serve", 7, values, NULL);
    Gongyi__V1__DocumentServed m = GONGYI__V1__DOCUMENT_SERVED__INIT;
    m.document_id = (char *)s->document_id;
    m.case_id = (char *)(s->case_id ? s->case_id : "");
    m.kind = (char *)(s->kind ? s->kind : "");
    m.number = (char *)(s->number ? s->number : "");
    m.procuratorate = (char *)s->procuratorate;
    m.served_on = (char *)s->served_on;
    m.served_unix_ms = s->served_ms;
    m.method = (char *)s->method;
    m.recorded_by = (char *)s->recorded_by;
    gy_outbox_tx_append_msg(write_tx, producer, &m.base, trace, s->procuratorate);
}
