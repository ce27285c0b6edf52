/*  gy_machine — see gy_machine.h. */
#include "gy_machine.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static void s_check(const gy_machine_t *m)
{
    assert(m && m->name && m->states && m->events && m->table);
    assert(m->nstates > 0 && m->nevents > 0);
}

int gy_machine_next(const gy_machine_t *m, int state, int event)
{
    s_check(m);
    assert(state >= 0 && state < m->nstates);
    assert(event >= 0 && event < m->nevents);
    int next = m->table[state * m->nevents + event];
    assert(next == GY_MACHINE_REFUSED || (next >= 0 && next < m->nstates));
    return next;
}

static int s_index_of(const char *const *names, int n, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int gy_machine_state_of(const gy_machine_t *m, const char *name)
{
    s_check(m);
    return s_index_of(m->states, m->nstates, name);
}

int gy_machine_event_of(const gy_machine_t *m, const char *name)
{
    s_check(m);
    return s_index_of(m->events, m->nevents, name);
}

const char *gy_machine_state_name(const gy_machine_t *m, int state)
{
    s_check(m);
    assert(state >= 0 && state < m->nstates);
    return m->states[state];
}

const char *gy_machine_event_name(const gy_machine_t *m, int event)
{
    s_check(m);
    assert(event >= 0 && event < m->nevents);
    return m->events[event];
}

int gy_machine_allowed(const gy_machine_t *m, int state, char *buf, size_t size)
{
    s_check(m);
    assert(state >= 0 && state < m->nstates);
    assert(buf && size > 0);
    size_t used = 0;
    int count = 0;
    buf[0] = '\0';
    for (int e = 0; e < m->nevents; e++) {
        if (m->table[state * m->nevents + e] == GY_MACHINE_REFUSED)
            continue;
        count++;
        /* Names are ASCII identifiers; a whole name fits or none of it. */
        size_t need = strlen(m->events[e]) + (used ? 2 : 0);
        if (used + need + 1 > size)
            continue;
        used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "", m->events[e]);
    }
    if (count == 0)
        snprintf(buf, size, "none");
    return count;
}

void gy_machine_refusal(const gy_machine_t *m, int state, int event, char *buf, size_t size)
{
    char allowed[160];
    gy_machine_allowed(m, state, allowed, sizeof allowed);
    snprintf(buf, size, "the %s is %s; %s is not allowed (allowed: %s)", m->name,
             gy_machine_state_name(m, state), gy_machine_event_name(m, event), allowed);
}
