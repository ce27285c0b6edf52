/*  gy_pgpool — see gy_pgpool.h. */
#include "gy_pgpool.h"

#include <assert.h>
#include <stdlib.h>

#include "gy_util.h"

struct gy_pgpool {
    gy_pg_t **members; /* borrowed */
    size_t n;
};

gy_pgpool_t *gy_pgpool_new(void)
{
    return gy_calloc(1, sizeof(gy_pgpool_t));
}

void gy_pgpool_destroy(gy_pgpool_t **self_p)
{
    assert(self_p);
    if (!*self_p)
        return;
    free((*self_p)->members);
    free(*self_p);
    *self_p = NULL;
}

void gy_pgpool_add(gy_pgpool_t *self, gy_pg_t *pg)
{
    assert(self && pg);
    self->members = gy_realloc(self->members, (self->n + 1) * sizeof *self->members);
    self->members[self->n++] = pg;
}

size_t gy_pgpool_size(const gy_pgpool_t *self)
{
    return self->n;
}

gy_pg_t *gy_pgpool_at(const gy_pgpool_t *self, size_t i)
{
    assert(self && i < self->n);
    return self->members[i];
}

void gy_pgpool_prepare(gy_pgpool_t *self, const char *name, const char *sql)
{
    for (size_t i = 0; i < self->n; i++)
        gy_pg_prepare(self->members[i], name, sql);
}

gy_pg_t *gy_pgpool_pick(const gy_pgpool_t *self)
{
    assert(self && self->n > 0);
    gy_pg_t *best = NULL;
    for (size_t i = 0; i < self->n; i++) {
        gy_pg_t *pg = self->members[i];
        if (gy_pg_up(pg) && (!best || gy_pg_pending(pg) < gy_pg_pending(best)))
            best = pg;
    }
    return best ? best : self->members[0];
}

bool gy_pgpool_up(const gy_pgpool_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        if (gy_pg_up(self->members[i]))
            return true;
    return false;
}
