/*  gy_machine — a state machine as an explicit state x event table, so a
 *  decision that depends on stored state is taken in C, where every cell
 *  can be read and tested (the router's transfers, tasks and clue status;
 *  the workflow's cases next).
 *
 *  A machine is constant data: the names of its states and events (their
 *  indexes are the service's enums) and a table of nstates x nevents
 *  cells, each the next state or GY_MACHINE_REFUSED.  Nothing here touches
 *  the database: the caller reads the state (and a version), asks
 *  gy_machine_next, and writes the next state guarded by the state and
 *  version it decided on.
 *
 *      enum { T_REQUESTED, T_ACCEPTED, T_NSTATES };
 *      enum { E_ACCEPT, E_NEVENTS };
 *      static const char *const states[] = {"requested", "accepted"};
 *      static const char *const events[] = {"accept"};
 *      static const int table[T_NSTATES][E_NEVENTS] = {
 *          [T_REQUESTED] = {[E_ACCEPT] = T_ACCEPTED},
 *          [T_ACCEPTED] = {[E_ACCEPT] = GY_MACHINE_REFUSED},
 *      };
 *      static const gy_machine_t m = {"transfer", states, T_NSTATES, events,
 *                                     E_NEVENTS, &table[0][0]};
 *      int next = gy_machine_next(&m, T_REQUESTED, E_ACCEPT);   // T_ACCEPTED
 *      if (next == GY_MACHINE_REFUSED) {
 *          char why[200];
 *          gy_machine_refusal(&m, state, event, why, sizeof why);
 *          // "the transfer is accepted; accept is not allowed (allowed: none)"
 *      }
 */
#ifndef GY_MACHINE_H
#define GY_MACHINE_H

#include <stddef.h>

#define GY_MACHINE_REFUSED (-1)

typedef struct {
    const char *name;          /* what the machine is about, e.g. "transfer" */
    const char *const *states; /* state names, indexed by state */
    int nstates;
    const char *const *events; /* event names, indexed by event */
    int nevents;
    const int *table; /* nstates rows of nevents cells: next state or GY_MACHINE_REFUSED */
} gy_machine_t;

/*  The next state, or GY_MACHINE_REFUSED.  state and event must be in
 *  range (assert: they come from the service's enums or from the _of
 *  look-ups below, checked by the caller). */
int gy_machine_next(const gy_machine_t *m, int state, int event);

/*  The index of a state or event name, -1 when the machine has none such
 *  (a stored value the code does not know: the caller's error to report). */
int gy_machine_state_of(const gy_machine_t *m, const char *name);
int gy_machine_event_of(const gy_machine_t *m, const char *name);
const char *gy_machine_state_name(const gy_machine_t *m, int state);
const char *gy_machine_event_name(const gy_machine_t *m, int event);

/*  The events allowed in a state, in table order, comma separated ("none"
 *  when it is final), cut at a name boundary to fit size.  Returns how
 *  many events are allowed. */
int gy_machine_allowed(const gy_machine_t *m, int state, char *buf, size_t size);

/*  The refusal of event in state, for people and for the API's 409
 *  invalid_state: "the <machine> is <state>; <event> is not allowed
 *  (allowed: <events>)". */
void gy_machine_refusal(const gy_machine_t *m, int state, int event, char *buf, size_t size);

#endif
