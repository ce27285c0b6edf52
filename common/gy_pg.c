/*  gy_pg — see gy_pg.h. */
#include "gy_pg.h"

#include <assert.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gy_crypto.h"
#include "gy_text.h"
#include "gy_util.h"

/*  Server notices ("schema exists, skipping") are not our errors. */
static void s_on_notice(void *arg, const char *message)
{
    char line[512];
    gy_text_format(line, sizeof line, "%s", message);
    line[strcspn(line, "\n")] = '\0';
    gy_log_debug("postgres: %s", line);
}

/*  ---- results ---- */

int gy_pg_ntuples(const gy_pg_result_t *res)
{
    return PQntuples(res);
}

int gy_pg_nfields(const gy_pg_result_t *res)
{
    return PQnfields(res);
}

const char *gy_pg_fname(const gy_pg_result_t *res, int col)
{
    return PQfname(res, col);
}

const char *gy_pg_value(const gy_pg_result_t *res, int row, int col)
{
    return PQgetvalue(res, row, col);
}

bool gy_pg_isnull(const gy_pg_result_t *res, int row, int col)
{
    return PQgetisnull(res, row, col);
}

uint8_t *gy_pg_bytea(const gy_pg_result_t *res, int row, int col, size_t *len_p)
{
    size_t len = 0;
    unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col), &len);
    if (!raw) {
        /* libpq fails here only when out of memory */
        gy_log_error("out of memory decoding bytea");
        abort();
    }
    uint8_t *out = gy_malloc(len ? len : 1);
    memcpy(out, raw, len);
    PQfreemem(raw);
    *len_p = len;
    return out;
}

/*  ---- transactions ---- */

typedef struct {
    char *stmt;
    int nparams;
    char **values;
    int *lengths;
    int *formats;
} s_exec_t;

struct gy_pg_tx {
    struct gy_pg_tx *next; /* queue link */
    s_exec_t *execs;       /* the statements, in order */
    size_t count;
    size_t cap;
    gy_pg_result_cb *on_result;
    gy_pg_done_cb *on_done;
    void *arg;
    size_t index; /* statement whose results arrive now */
    bool failed;  /* a statement errored: the rest is aborted */
    char sqlstate[6];
};

gy_pg_tx_t *gy_pg_tx_new(void)
{
    return gy_calloc(1, sizeof(gy_pg_tx_t));
}

void gy_pg_tx_destroy(gy_pg_tx_t **tx_p)
{
    assert(tx_p);
    gy_pg_tx_t *tx = *tx_p;
    if (!tx)
        return;
    for (size_t i = 0; i < tx->count; i++) {
        s_exec_t *e = &tx->execs[i];
        for (int p = 0; p < e->nparams; p++)
            free(e->values[p]);
        free(e->formats);
        free(e->lengths);
        free(e->values);
        free(e->stmt);
    }
    free(tx->execs);
    free(tx);
    *tx_p = NULL;
}

void gy_pg_tx_add(gy_pg_tx_t *tx, const char *stmt, int nparams, const char *const *values,
                  const int *lengths)
{
    assert(tx && stmt && nparams >= 0);
    if (tx->count == tx->cap) {
        tx->cap = tx->cap ? tx->cap * 2 : 8;
        tx->execs = gy_realloc(tx->execs, tx->cap * sizeof *tx->execs);
    }
    s_exec_t *e = &tx->execs[tx->count++];
    e->stmt = gy_strdup(stmt);
    e->nparams = nparams;
    e->values = gy_calloc((size_t)nparams, sizeof *e->values);
    e->lengths = gy_calloc((size_t)nparams, sizeof *e->lengths);
    e->formats = gy_calloc((size_t)nparams, sizeof *e->formats);
    for (int p = 0; p < nparams; p++) {
        if (!values[p])
            continue;
        if (lengths && lengths[p] > 0) {
            e->values[p] = gy_malloc((size_t)lengths[p]);
            memcpy(e->values[p], values[p], (size_t)lengths[p]);
            e->lengths[p] = lengths[p];
            e->formats[p] = 1;
        } else {
            e->values[p] = gy_strdup(values[p]);
        }
    }
}

size_t gy_pg_tx_size(const gy_pg_tx_t *tx)
{
    return tx->count;
}

/*  ---- asynchronous connection ---- */

typedef enum {
    S_NEW,        /* before gy_pg_start */
    S_CONNECTING, /* PQconnectPoll in progress */
    S_PREPARING,  /* statements being prepared */
    S_READY,      /* transactions flow */
    S_WAITING,    /* backing off before the next attempt */
} s_state_t;

typedef struct {
    char *name;
    char *sql;
} s_statement_t;

struct gy_pg {
    uv_loop_t *loop;
    char *conninfo;
    char *name; /* for logs: which connection */
    PGconn *conn;
    uv_poll_t *poll; /* watches PQsocket; a new one per socket */
    int poll_fd;
    int poll_events;
    uv_timer_t retry; /* reconnect backoff; its close frees self */
    uint64_t backoff_ms;
    s_state_t state;
    s_statement_t *statements;
    size_t nstatements;
    gy_pg_tx_t *head; /* first queued transaction: in flight when sent */
    gy_pg_tx_t *tail;
    bool head_sent;
    size_t pending;
    gy_pg_state_cb *state_cb;
    void *state_arg;
    bool closing;
};

static void s_on_poll(uv_poll_t *handle, int status, int events);
static void s_connect(gy_pg_t *self);

static void s_poll_close_cb(uv_handle_t *handle)
{
    free(handle);
}

static void s_drop_poll(gy_pg_t *self)
{
    if (self->poll) {
        uv_close((uv_handle_t *)self->poll, s_poll_close_cb);
        self->poll = NULL;
    }
    self->poll_fd = -1;
    self->poll_events = 0;
}

/*  Watches the libpq socket for `events`, making a new poll handle when
 *  libpq moved to another socket (it may during connection). */
static int s_watch(gy_pg_t *self, int events)
{
    int fd = PQsocket(self->conn);
    if (fd < 0)
        return -1;
    if (self->poll && self->poll_fd != fd)
        s_drop_poll(self);
    if (!self->poll) {
        self->poll = gy_malloc(sizeof *self->poll);
        if (uv_poll_init_socket(self->loop, self->poll, fd) != 0) {
            free(self->poll);
            self->poll = NULL;
            return -1;
        }
        self->poll->data = self;
        self->poll_fd = fd;
        self->poll_events = 0;
    }
    if (events != self->poll_events) {
        uv_poll_start(self->poll, events, s_on_poll);
        self->poll_events = events;
    }
    return 0;
}

static void s_fail_queue(gy_pg_t *self)
{
    /*  Detach the queue first: a done callback may queue new work, which
     *  must see the connection as down rather than this half-failed list. */
    gy_pg_tx_t *tx = self->head;
    bool sent = self->head_sent;
    self->head = self->tail = NULL;
    self->head_sent = false;
    while (tx) {
        gy_pg_tx_t *next = tx->next;
        self->pending--;
        tx->on_done(tx->arg, sent ? GY_PG_LOST : GY_PG_DOWN, "");
        sent = false;
        gy_pg_tx_destroy(&tx);
        tx = next;
    }
}

static void s_on_retry(uv_timer_t *timer)
{
    gy_pg_t *self = timer->data;
    s_connect(self);
}

/*  The connection is unusable: drop it, fail the work, try again later. */
static void s_connection_failed(gy_pg_t *self, const char *what)
{
    bool was_up = self->state == S_READY;
    if (self->conn) {
        const char *msg = PQerrorMessage(self->conn);
        char line[512];
        gy_text_format(line, sizeof line, "%s", msg && *msg ? msg : "no detail");
        line[strcspn(line, "\n")] = '\0';
        gy_log_warning("%s: %s: %s", self->name, what, line);
    } else {
        gy_log_warning("%s: %s", self->name, what);
    }
    s_drop_poll(self);
    if (self->conn) {
        PQfinish(self->conn);
        self->conn = NULL;
    }
    self->state = S_WAITING;
    s_fail_queue(self);
    if (was_up && self->state_cb)
        self->state_cb(self->state_arg, false);
    if (self->closing)
        return;
    uv_timer_start(&self->retry, s_on_retry, self->backoff_ms, 0);
    self->backoff_ms = self->backoff_ms * 2 > 5000 ? 5000 : self->backoff_ms * 2;
}

static void s_flush(gy_pg_t *self)
{
    int rc = PQflush(self->conn);
    if (rc < 0) {
        s_connection_failed(self, "could not send to the server");
        return;
    }
    s_watch(self, UV_READABLE | (rc == 1 ? UV_WRITABLE : 0));
}

static void s_send_head(gy_pg_t *self)
{
    gy_pg_tx_t *tx = self->head;
    if (self->state != S_READY || !tx || self->head_sent)
        return;
    for (size_t i = 0; i < tx->count; i++) {
        s_exec_t *e = &tx->execs[i];
        if (!PQsendQueryPrepared(self->conn, e->stmt, e->nparams, (const char *const *)e->values,
                                 e->lengths, e->formats, 0)) {
            self->head_sent = true; /* part of it may have left: outcome unknown */
            s_connection_failed(self, "could not send a statement");
            return;
        }
    }
    if (!PQpipelineSync(self->conn)) {
        self->head_sent = true;
        s_connection_failed(self, "could not send a sync");
        return;
    }
    self->head_sent = true;
    s_flush(self);
}

static void s_finish_head(gy_pg_t *self)
{
    gy_pg_tx_t *tx = self->head;
    self->head = tx->next;
    if (!self->head)
        self->tail = NULL;
    self->head_sent = false;
    self->pending--;
    tx->on_done(tx->arg, tx->failed ? GY_PG_ERROR : GY_PG_OK, tx->failed ? tx->sqlstate : "");
    gy_pg_tx_destroy(&tx);
    s_send_head(self);
}

static void s_record_error(gy_pg_t *self, gy_pg_tx_t *tx, const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    snprintf(tx->sqlstate, sizeof tx->sqlstate, "%s", state ? state : "XX000");
    gy_log_error("%s: statement \"%s\" failed: %s (SQLSTATE %s)%s%s", self->name,
                 tx->execs[tx->index < tx->count ? tx->index : 0].stmt,
                 primary ? primary : "no message", tx->sqlstate, detail ? "; detail: " : "",
                 detail ? detail : "");
    tx->failed = true;
}

/*  Reads every result that has fully arrived.  In pipeline mode each
 *  statement's results end with a NULL, and the Sync with a
 *  PGRES_PIPELINE_SYNC result of its own. */
static void s_read_results(gy_pg_t *self)
{
    while (self->conn && !PQisBusy(self->conn)) {
        if (self->state == S_READY && !(self->head && self->head_sent))
            return;
        PGresult *res = PQgetResult(self->conn);
        if (self->state == S_PREPARING) {
            if (!res)
                continue;
            ExecStatusType st = PQresultStatus(res);
            if (st == PGRES_PIPELINE_SYNC) {
                PQclear(res);
                self->state = S_READY;
                self->backoff_ms = 100;
                gy_log_info("%s: connected", self->name);
                if (self->state_cb)
                    self->state_cb(self->state_arg, true);
                s_send_head(self);
                continue;
            }
            if (st == PGRES_FATAL_ERROR) {
                const char *msg = PQresultErrorMessage(res);
                gy_log_error("%s: could not prepare statements: %s", self->name, msg);
                PQclear(res);
                s_connection_failed(self, "statement preparation failed");
                return;
            }
            PQclear(res);
            continue;
        }
        gy_pg_tx_t *tx = self->head;
        if (!res) {
            tx->index++;
            continue;
        }
        switch (PQresultStatus(res)) {
        case PGRES_PIPELINE_SYNC:
            PQclear(res);
            s_finish_head(self);
            continue;
        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
            if (!tx->failed && tx->on_result && tx->index < tx->count)
                tx->on_result(tx->arg, tx->index, res);
            break;
        case PGRES_PIPELINE_ABORTED: break;
        default:
            if (!tx->failed)
                s_record_error(self, tx, res);
            break;
        }
        PQclear(res);
    }
}

static void s_on_poll(uv_poll_t *handle, int status, int events)
{
    gy_pg_t *self = handle->data;
    if (self->state == S_CONNECTING) {
        PostgresPollingStatusType ps = PQconnectPoll(self->conn);
        switch (ps) {
        case PGRES_POLLING_READING: s_watch(self, UV_READABLE); return;
        case PGRES_POLLING_WRITING: s_watch(self, UV_WRITABLE); return;
        case PGRES_POLLING_OK: break;
        default: s_connection_failed(self, "could not connect"); return;
        }
        PQsetNoticeProcessor(self->conn, s_on_notice, NULL);
        if (PQsetnonblocking(self->conn, 1) != 0 || !PQenterPipelineMode(self->conn)) {
            s_connection_failed(self, "could not enter pipeline mode");
            return;
        }
        self->state = S_PREPARING;
        for (size_t i = 0; i < self->nstatements; i++) {
            if (!PQsendPrepare(self->conn, self->statements[i].name, self->statements[i].sql, 0,
                               NULL)) {
                s_connection_failed(self, "could not send a prepare");
                return;
            }
        }
        if (!PQpipelineSync(self->conn)) {
            s_connection_failed(self, "could not send a sync");
            return;
        }
        s_flush(self);
        return;
    }
    if (status < 0) {
        s_connection_failed(self, uv_strerror(status));
        return;
    }
    if (events & UV_WRITABLE) {
        s_flush(self);
        if (!self->conn)
            return;
    }
    if (events & UV_READABLE) {
        if (!PQconsumeInput(self->conn)) {
            s_connection_failed(self, "connection lost");
            return;
        }
        s_read_results(self);
    }
}

static void s_connect(gy_pg_t *self)
{
    assert(!self->conn);
    self->conn = PQconnectStart(self->conninfo);
    if (!self->conn || PQstatus(self->conn) == CONNECTION_BAD) {
        s_connection_failed(self, "could not start connecting");
        return;
    }
    self->state = S_CONNECTING;
    if (s_watch(self, UV_WRITABLE) < 0)
        s_connection_failed(self, "could not watch the connection socket");
}

gy_pg_t *gy_pg_new(uv_loop_t *loop, const char *conninfo, const char *name)
{
    gy_pg_t *self = gy_calloc(1, sizeof *self);
    self->loop = loop;
    self->conninfo = gy_strdup(conninfo);
    self->name = gy_strdup(name);
    self->poll_fd = -1;
    self->backoff_ms = 100;
    uv_timer_init(loop, &self->retry);
    self->retry.data = self;
    return self;
}

void gy_pg_prepare(gy_pg_t *self, const char *name, const char *sql)
{
    assert(self->state == S_NEW);
    self->statements =
        gy_realloc(self->statements, (self->nstatements + 1) * sizeof *self->statements);
    self->statements[self->nstatements].name = gy_strdup(name);
    self->statements[self->nstatements].sql = gy_strdup(sql);
    self->nstatements++;
}

bool gy_pg_schema_valid(const char *schema)
{
    size_t n = strlen(schema);
    if (n == 0 || n > 48)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = schema[i];
        bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

void gy_pg_prepare_schema(gy_pg_t *self, const char *name, const char *fmt, const char *schema)
{
    assert(gy_pg_schema_valid(schema));
    char sql[1024];
    int n = snprintf(sql, sizeof sql, fmt, schema);
    assert(n > 0 && (size_t)n < sizeof sql);
    gy_pg_prepare(self, name, sql);
}

void gy_pg_start(gy_pg_t *self, gy_pg_state_cb *state_cb, void *arg)
{
    assert(self->state == S_NEW);
    self->state_cb = state_cb;
    self->state_arg = arg;
    s_connect(self);
}

bool gy_pg_up(const gy_pg_t *self)
{
    return self->state == S_READY;
}

size_t gy_pg_pending(const gy_pg_t *self)
{
    return self->pending;
}

int gy_pg_run(gy_pg_t *self, gy_pg_tx_t **tx_p, gy_pg_result_cb *on_result, gy_pg_done_cb *on_done,
              void *arg)
{
    assert(tx_p && *tx_p && on_done);
    gy_pg_tx_t *tx = *tx_p;
    *tx_p = NULL;
    if (self->state != S_READY || self->closing) {
        gy_pg_tx_destroy(&tx);
        return -1;
    }
    tx->on_result = on_result;
    tx->on_done = on_done;
    tx->arg = arg;
    tx->next = NULL;
    if (self->tail)
        self->tail->next = tx;
    else
        self->head = tx;
    self->tail = tx;
    self->pending++;
    s_send_head(self);
    return 0;
}

static void s_retry_close_cb(uv_handle_t *handle)
{
    gy_pg_t *self = handle->data;
    for (size_t i = 0; i < self->nstatements; i++) {
        free(self->statements[i].sql);
        free(self->statements[i].name);
    }
    free(self->statements);
    free(self->name);
    free(self->conninfo);
    free(self);
}

void gy_pg_destroy(gy_pg_t **self_p)
{
    assert(self_p);
    gy_pg_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    self->closing = true;
    s_drop_poll(self);
    if (self->conn) {
        PQfinish(self->conn);
        self->conn = NULL;
    }
    bool was_up = self->state == S_READY;
    self->state = S_WAITING;
    s_fail_queue(self);
    if (was_up && self->state_cb)
        self->state_cb(self->state_arg, false);
    uv_timer_stop(&self->retry);
    uv_close((uv_handle_t *)&self->retry, s_retry_close_cb);
}

/*  ---- blocking session ---- */

struct gy_pg_session {
    PGconn *conn;
};

gy_pg_session_t *gy_pg_session_new(const char *conninfo)
{
    gy_pg_session_t *self = gy_calloc(1, sizeof *self);
    self->conn = PQconnectdb(conninfo);
    if (PQstatus(self->conn) != CONNECTION_OK) {
        char line[512];
        gy_text_format(line, sizeof line, "%s", PQerrorMessage(self->conn));
        line[strcspn(line, "\n")] = '\0';
        gy_log_warning("could not connect to PostgreSQL: %s", line);
        gy_pg_session_destroy(&self);
        return NULL;
    }
    PQsetNoticeProcessor(self->conn, s_on_notice, NULL);
    return self;
}

gy_pg_session_t *gy_pg_session_wait(const char *conninfo, int64_t timeout_s)
{
    uint64_t deadline = gy_mono_ns() + (uint64_t)timeout_s * 1000000000u;
    for (;;) {
        gy_pg_session_t *session = gy_pg_session_new(conninfo);
        if (session)
            return session;
        if (gy_mono_ns() >= deadline) {
            gy_log_error("PostgreSQL did not become reachable within %lld s", (long long)timeout_s);
            return NULL;
        }
        sleep(1);
    }
}

void gy_pg_session_destroy(gy_pg_session_t **self_p)
{
    assert(self_p);
    gy_pg_session_t *self = *self_p;
    if (!self)
        return;
    PQfinish(self->conn);
    free(self);
    *self_p = NULL;
}

int gy_pg_session_exec(gy_pg_session_t *self, const char *sql, int nparams,
                       const char *const *values, gy_pg_result_t **res_p)
{
    PGresult *res = nparams > 0
                        ? PQexecParams(self->conn, sql, nparams, NULL, values, NULL, NULL, 0)
                        : PQexec(self->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        char line[1024];
        gy_text_format(line, sizeof line, "%s", PQresultErrorMessage(res));
        line[strcspn(line, "\n")] = '\0';
        gy_log_error("statement failed: %s (SQLSTATE %s)", line, state ? state : "none");
        PQclear(res);
        return -1;
    }
    if (res_p)
        *res_p = res;
    else
        PQclear(res);
    return 0;
}

void gy_pg_result_free(gy_pg_result_t **res_p)
{
    assert(res_p);
    PQclear(*res_p);
    *res_p = NULL;
}

bool gy_pg_migration_repeatable(const char *name)
{
    return strncmp(name, "R__", 3) == 0;
}

void gy_pg_migration_checksum(const char *sql, char out[65])
{
    uint8_t digest[32];
    gy_sha256(sql, strlen(sql), digest);
    gy_hex(digest, sizeof digest, out);
}

bool gy_pg_migration_replaces(const char *sql, const char *sum)
{
    static const char mark[] = "-- gy:replaces-checksum ";
    size_t len = strlen(sum);
    for (const char *line = sql; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, mark, sizeof mark - 1) != 0)
            continue;
        const char *listed = line + sizeof mark - 1;
        /*  The whole token must match: a prefix of a checksum is not it. */
        if (strncmp(listed, sum, len) == 0 && (listed[len] == '\0' || listed[len] == '\n' ||
                                               listed[len] == '\r' || listed[len] == ' '))
            return true;
    }
    return false;
}

/*  The statements of one schema's migration bookkeeping. */
typedef struct {
    const char *schema;
    char *select; /* $1 name -> checksum (NULL before checksums were kept) */
    char *insert; /* $1 name, $2 checksum */
    char *update; /* $1 name, $2 checksum */
} s_ledger_t;

/*  Applies one numbered migration unless it was; an applied one must be
 *  unchanged.  1 applied, 0 nothing to do, -1 (logged) refused or failed. */
static int s_migrate_numbered(gy_pg_session_t *self, const s_ledger_t *ledger,
                              const gy_pg_migration_t *m, const char *sum)
{
    const char *name[] = {m->name};
    const char *row[] = {m->name, sum};
    gy_pg_result_t *res = NULL;
    if (gy_pg_session_exec(self, ledger->select, 1, name, &res) < 0)
        return -1;
    bool seen = gy_pg_ntuples(res) == 1;
    bool recorded = seen && !gy_pg_isnull(res, 0, 0);
    char applied_sum[65];
    snprintf(applied_sum, sizeof applied_sum, "%s", seen ? gy_pg_value(res, 0, 0) : "");
    gy_pg_result_free(&res);
    if (seen && !recorded) {
        /*  Applied before checksums were kept: this text is taken as the
         *  one that was applied. */
        gy_log_info("recording the checksum of migration %s.%s", ledger->schema, m->name);
        return gy_pg_session_exec(self, ledger->update, 2, row, NULL) < 0 ? -1 : 0;
    }
    if (seen && strcmp(applied_sum, sum) != 0 && gy_pg_migration_replaces(m->sql, applied_sum)) {
        /*  The new text says it stands for the applied one (dead code
         *  removed from a released migration): the ledger follows it. */
        gy_log_info("migration %s.%s: its text replaces the applied one (checksum %s), "
                    "recording checksum %s",
                    ledger->schema, m->name, applied_sum, sum);
        return gy_pg_session_exec(self, ledger->update, 2, row, NULL) < 0 ? -1 : 0;
    }
    if (seen && strcmp(applied_sum, sum) != 0) {
        gy_log_error("migration %s.%s was changed after it was applied", ledger->schema, m->name);
        gy_log_error("detail: applied checksum %s, this build's checksum %s", applied_sum, sum);
        gy_log_error("hint: an applied migration must not change: restore its text and put the "
                     "change in a new numbered migration (functions and views belong in "
                     "repeatable R__ files, which are re-applied when they change)");
        return -1;
    }
    if (seen)
        return 0;
    gy_log_info("applying migration %s.%s", ledger->schema, m->name);
    if (gy_pg_session_exec(self, m->sql, 0, NULL, NULL) < 0 ||
        gy_pg_session_exec(self, ledger->insert, 2, row, NULL) < 0) {
        gy_log_error("migration %s.%s failed; nothing of it was applied", ledger->schema, m->name);
        return -1;
    }
    return 1;
}

/*  Applies a repeatable file when it is new or its text changed.  1
 *  applied, 0 unchanged, -1 (logged) failed. */
static int s_migrate_repeatable(gy_pg_session_t *self, const s_ledger_t *ledger,
                                const gy_pg_migration_t *m, const char *sum)
{
    const char *name[] = {m->name};
    const char *row[] = {m->name, sum};
    gy_pg_result_t *res = NULL;
    if (gy_pg_session_exec(self, ledger->select, 1, name, &res) < 0)
        return -1;
    bool seen = gy_pg_ntuples(res) == 1;
    bool same = seen && strcmp(gy_pg_value(res, 0, 0), sum) == 0;
    gy_pg_result_free(&res);
    if (same)
        return 0;
    gy_log_info("applying repeatable migration %s.%s", ledger->schema, m->name);
    if (gy_pg_session_exec(self, m->sql, 0, NULL, NULL) < 0 ||
        gy_pg_session_exec(self, seen ? ledger->update : ledger->insert, 2, row, NULL) < 0) {
        gy_log_error("repeatable migration %s.%s failed; nothing was applied", ledger->schema,
                     m->name);
        return -1;
    }
    return 1;
}

int gy_pg_migrate(gy_pg_session_t *self, const char *schema, const gy_pg_migration_t *migrations,
                  size_t count)
{
    char *ident = PQescapeIdentifier(self->conn, schema, strlen(schema));
    if (!ident) {
        gy_log_error("invalid schema name \"%s\"", schema);
        return -1;
    }
    if (gy_crypto_init() < 0) {
        PQfreemem(ident);
        return -1;
    }
    char *create_schema = gy_sprintf("CREATE SCHEMA IF NOT EXISTS %s", ident);
    char *create_table = gy_sprintf("CREATE TABLE IF NOT EXISTS %s.gy_migrations ("
                                    " name text PRIMARY KEY,"
                                    " applied_at timestamptz NOT NULL DEFAULT now())",
                                    ident);
    /*  Databases from before checksums get the column; their rows get a
     *  checksum on this start (s_migrate_numbered). */
    char *add_checksum =
        gy_sprintf("ALTER TABLE %s.gy_migrations ADD COLUMN IF NOT EXISTS checksum text", ident);
    s_ledger_t ledger = {
        .schema = schema,
        .select = gy_sprintf("SELECT checksum FROM %s.gy_migrations WHERE name = $1", ident),
        .insert =
            gy_sprintf("INSERT INTO %s.gy_migrations (name, checksum) VALUES ($1, $2)", ident),
        .update = gy_sprintf(
            "UPDATE %s.gy_migrations SET checksum = $2, applied_at = now() WHERE name = $1", ident),
    };
    char *lock_key = gy_sprintf("gongyi.migrate.%s", schema);
    const char *lock_params[] = {lock_key};
    int rc = -1;
    size_t applied = 0;

    if (gy_pg_session_exec(self, "BEGIN", 0, NULL, NULL) < 0)
        goto done;
    /*  Replicas that start together wait here for the first one; the lock
     *  goes with the transaction. */
    if (gy_pg_session_exec(self, "SELECT pg_advisory_xact_lock(hashtext($1))", 1, lock_params,
                           NULL) < 0 ||
        gy_pg_session_exec(self, create_schema, 0, NULL, NULL) < 0 ||
        gy_pg_session_exec(self, create_table, 0, NULL, NULL) < 0 ||
        gy_pg_session_exec(self, add_checksum, 0, NULL, NULL) < 0)
        goto rollback;
    /*  Numbered migrations first, in order; then the repeatable files
     *  (functions, views), which may use anything the numbered ones made. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < count; i++) {
            const gy_pg_migration_t *m = &migrations[i];
            if (gy_pg_migration_repeatable(m->name) != (pass == 1))
                continue;
            char sum[65];
            gy_pg_migration_checksum(m->sql, sum);
            int step = pass == 0 ? s_migrate_numbered(self, &ledger, m, sum)
                                 : s_migrate_repeatable(self, &ledger, m, sum);
            if (step < 0)
                goto rollback;
            applied += (size_t)step;
        }
    }
    if (gy_pg_session_exec(self, "COMMIT", 0, NULL, NULL) < 0)
        goto done;
    if (applied)
        gy_log_info("schema %s: %zu migration(s) applied", schema, applied);
    rc = 0;
    goto done;
rollback:
    gy_pg_session_exec(self, "ROLLBACK", 0, NULL, NULL);
done:
    free(lock_key);
    free(ledger.update);
    free(ledger.insert);
    free(ledger.select);
    free(add_checksum);
    free(create_table);
    free(create_schema);
    PQfreemem(ident);
    return rc;
}

char *gy_pg_conninfo(const char *dsn, const char *password)
{
    if (!password)
        return gy_strdup(dsn);
    gy_buf_t buf = {0};
    gy_buf_printf(&buf, "%s password='", dsn);
    for (const char *p = password; *p; p++) {
        if (*p == '\'' || *p == '\\')
            gy_buf_append(&buf, "\\", 1);
        gy_buf_append(&buf, p, 1);
    }
    gy_buf_append(&buf, "'", 1);
    return buf.data;
}

bool gy_pg_conflict(gy_pg_status_t status, const char *sqlstate, bool unique_is_conflict)
{
    return status == GY_PG_ERROR && sqlstate &&
           (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0 ||
            (unique_is_conflict && strcmp(sqlstate, "23505") == 0));
}
