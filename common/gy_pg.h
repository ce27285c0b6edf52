/*  gy_pg — PostgreSQL through libpq, the only module that includes libpq.
 *
 *  Two ways in:
 *  - gy_pg_t: one asynchronous connection on a libuv loop.  Work is sent as
 *    a transaction (gy_pg_tx_t): a list of named prepared statements sent in
 *    one libpq pipeline and closed by one Sync, so PostgreSQL runs them as a
 *    single implicit transaction and commits at the Sync.  Transactions run
 *    one after another in submission order.  The connection reconnects by
 *    itself (backoff up to 5 s) and re-prepares its statements.
 *  - gy_pg_session_t: a blocking connection for start-up work (migrations,
 *    reference data) where waiting is what we want.
 *
 *  Results are borrowed for the duration of a callback.  Statement errors
 *  are logged here with their SQLSTATE, once; callers get the SQLSTATE to
 *  decide.
 */
#ifndef GY_PG_H
#define GY_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct pg_result gy_pg_result_t; /* libpq's PGresult */

int gy_pg_ntuples(const gy_pg_result_t *res);
int gy_pg_nfields(const gy_pg_result_t *res);
const char *gy_pg_fname(const gy_pg_result_t *res, int col);          /* the column's name */
const char *gy_pg_value(const gy_pg_result_t *res, int row, int col); /* "" when NULL */
bool gy_pg_isnull(const gy_pg_result_t *res, int row, int col);
/*  Decodes a bytea column (text format) into a new buffer; the caller frees. */
uint8_t *gy_pg_bytea(const gy_pg_result_t *res, int row, int col, size_t *len_p);

typedef enum {
    GY_PG_OK = 0,     /* every statement ran and the transaction committed */
    GY_PG_ERROR = -1, /* a statement failed; nothing was committed */
    GY_PG_LOST = -2,  /* the connection broke while the transaction was in flight:
                            it may or may not have committed */
    GY_PG_DOWN = -3,  /* the connection broke before the transaction was sent */
} gy_pg_status_t;

/*  Whether a transaction failed on a write that raced another: a guard
 *  that raised serialization_failure (40001), a deadlock (40P01), and, when
 *  unique_is_conflict, a unique index the race lost (23505).  The caller
 *  reads and decides again, or answers gy_reply_conflict. */
bool gy_pg_conflict(gy_pg_status_t status, const char *sqlstate, bool unique_is_conflict);

/*  ---- asynchronous connection ---- */

typedef struct gy_pg gy_pg_t;
typedef struct gy_pg_tx gy_pg_tx_t;

typedef void(gy_pg_state_cb)(void *arg, bool up);
/*  Called once per statement that returned rows or completed, in order,
 *  BEFORE the commit is known: keep what you need and act in the done
 *  callback. */
typedef void(gy_pg_result_cb)(void *arg, size_t index, const gy_pg_result_t *res);
/*  Called exactly once per transaction that gy_pg_run accepted.  sqlstate
 *  is "" unless status is GY_PG_ERROR. */
typedef void(gy_pg_done_cb)(void *arg, gy_pg_status_t status, const char *sqlstate);

gy_pg_t *gy_pg_new(uv_loop_t *loop, const char *conninfo, const char *name);
/*  Registers a statement to prepare on every (re)connection.  Call before
 *  gy_pg_start.  name and sql are copied. */
void gy_pg_prepare(gy_pg_t *self, const char *name, const char *sql);
/*  gy_pg_prepare for a statement of the kit that names the service's
 *  schema: each "%1$s" in fmt (or its one "%s") becomes schema, a fixed identifier of the
 *  service (gy_pg_schema_valid, asserted: never input).  STYLE rule 11
 *  keeps SQL out of string building; this is its one exception, done once
 *  when the statement is prepared.  Every value still travels as a
 *  parameter. */
void gy_pg_prepare_schema(gy_pg_t *self, const char *name, const char *fmt, const char *schema);
/*  Whether schema is a plain identifier: a-z or '_', then also digits,
 *  at most 48 characters. */
bool gy_pg_schema_valid(const char *schema);
/*  Starts connecting; state_cb (may be NULL) hears every up/down change. */
void gy_pg_start(gy_pg_t *self, gy_pg_state_cb *state_cb, void *arg);
/*  Fails queued and in-flight transactions with GY_PG_DOWN / GY_PG_LOST,
 *  closes the connection; memory goes in close callbacks: run the loop. */
void gy_pg_destroy(gy_pg_t **self_p);
bool gy_pg_up(const gy_pg_t *self);
/*  Transactions accepted and not yet done. */
size_t gy_pg_pending(const gy_pg_t *self);

gy_pg_tx_t *gy_pg_tx_new(void);
void gy_pg_tx_destroy(gy_pg_tx_t **tx_p);
/*  Appends one execution of prepared statement `stmt` (a name given to
 *  gy_pg_prepare).  values[i] is NULL for SQL NULL; lengths may be NULL for
 *  all-text parameters, otherwise lengths[i] > 0 marks values[i] as binary
 *  of that length (bytea).  Everything is copied. */
void gy_pg_tx_add(gy_pg_tx_t *tx, const char *stmt, int nparams, const char *const *values,
                  const int *lengths);
size_t gy_pg_tx_size(const gy_pg_tx_t *tx);

/*  Takes the transaction (nulls *tx_p either way).  Returns -1 when the
 *  connection is not up; then no callback runs. */
int gy_pg_run(gy_pg_t *self, gy_pg_tx_t **tx_p, gy_pg_result_cb *on_result, gy_pg_done_cb *on_done,
              void *arg);

/*  ---- blocking session for start-up work ---- */

typedef struct gy_pg_session gy_pg_session_t;

/*  Connects; NULL (logged) on failure. */
gy_pg_session_t *gy_pg_session_new(const char *conninfo);
/*  Connects, trying again every second for up to timeout_s: containers
 *  start in any order, so a service waits for its database, within reason.
 *  NULL (logged) when it never came. */
gy_pg_session_t *gy_pg_session_wait(const char *conninfo, int64_t timeout_s);
void gy_pg_session_destroy(gy_pg_session_t **self_p);
/*  Runs one statement with text parameters.  With res_p the caller gets the
 *  result and frees it with gy_pg_result_free.  -1 (logged) on error. */
int gy_pg_session_exec(gy_pg_session_t *self, const char *sql, int nparams,
                       const char *const *values, gy_pg_result_t **res_p);
void gy_pg_result_free(gy_pg_result_t **res_p);

typedef struct {
    const char *name; /* e.g. "0001_intake.sql", or "R__api.sql" for a repeatable file */
    const char *sql;
} gy_pg_migration_t;

/*  Brings schema up to date, in one transaction under an advisory lock, so
 *  replicas starting together neither race nor apply anything twice:
 *  - numbered migrations not yet recorded in schema.gy_migrations are
 *    applied in array order; one already applied must have the same text
 *    (SHA-256 checksum), or nothing is done and -1 is returned with the
 *    file, both checksums and a hint logged: the service refuses to start.
 *    Rows from before checksums were kept get this text's checksum. A
 *    changed text that lists the applied checksum on a line
 *    "-- gy:replaces-checksum <sha256>" supersedes it: nothing is run,
 *    the ledger records the new checksum (logged at info);
 *  - then repeatable files (names starting "R__": functions and views,
 *    written to be re-run, CREATE OR REPLACE) are applied in array order
 *    when new or when their checksum changed.
 *  0 or -1 (logged). */
int gy_pg_migrate(gy_pg_session_t *self, const char *schema, const gy_pg_migration_t *migrations,
                  size_t count);

/*  Whether a migration's name marks a repeatable file ("R__..."). */
bool gy_pg_migration_repeatable(const char *name);
/*  The checksum recorded for a migration: lower-case hex SHA-256 of its text. */
void gy_pg_migration_checksum(const char *sql, char out[65]);
/*  Whether sql has a line "-- gy:replaces-checksum <sum>" naming sum. */
bool gy_pg_migration_replaces(const char *sql, const char *sum);

/*  Builds a conninfo from a DSN and an optional password (quoted as libpq
 *  wants).  The caller frees. */
char *gy_pg_conninfo(const char *dsn, const char *password);

#endif
