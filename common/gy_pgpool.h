/*  gy_pgpool — several connections of one service part used as one: each
 *  transaction goes to the connection that is up and has the fewest
 *  transactions waiting.
 *
 *  Why: a gy_pg_t runs its transactions one after another, and every
 *  commit waits for its WAL flush, so one connection commits at most one
 *  transaction per flush.  Requests that each need their own transaction
 *  (an API's guarded steps) are as fast as the flush allows unless several
 *  connections commit at once, which PostgreSQL flushes together.
 *
 *      gy_pgpool_t *pool = gy_node_pg_pool(node, "pg api", 4);  // made and started by the node
 *      gy_pgpool_prepare(pool, "case_step", s_sql_step);         // on every member
 *      gy_pg_run(gy_pgpool_pick(pool), &tx, on_row, on_done, arg);
 *
 *  A transaction's statements run on one connection; two transactions of
 *  one request may run on two (a read, then a write guarded by what it
 *  read).  The members belong to whoever made them (the node).
 */
#ifndef GY_PGPOOL_H
#define GY_PGPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "gy_pg.h"

typedef struct gy_pgpool gy_pgpool_t;

gy_pgpool_t *gy_pgpool_new(void);
/*  Frees the pool, not its members. */
void gy_pgpool_destroy(gy_pgpool_t **self_p);
/*  Adds a connection (borrowed: it must outlive the pool's use). */
void gy_pgpool_add(gy_pgpool_t *self, gy_pg_t *pg);
size_t gy_pgpool_size(const gy_pgpool_t *self);
/*  The i-th member (i < size), e.g. for statements prepared apart. */
gy_pg_t *gy_pgpool_at(const gy_pgpool_t *self, size_t i);
/*  gy_pg_prepare on every member; before they start. */
void gy_pgpool_prepare(gy_pgpool_t *self, const char *name, const char *sql);
/*  The member that is up with the fewest transactions pending (the first
 *  such); when none is up, the first member (gy_pg_run then answers it
 *  down or queues it, as one connection would). */
gy_pg_t *gy_pgpool_pick(const gy_pgpool_t *self);
/*  Whether any member is up. */
bool gy_pgpool_up(const gy_pgpool_t *self);

#endif
