/*  router_machines — see router_machines.h.  Every cell is written out:
 *  a refusal is as much a decision as a transition. */
#include "router_machines.h"

#define NO GY_MACHINE_REFUSED

static const char *const s_transfer_states[] = {"requested", "accepted", "disputed", "decided"};
static const char *const s_transfer_events[] = {"accept", "dispute", "decide"};
static const int s_transfer[ROUTER_TRANSFER_NSTATES][ROUTER_TRANSFER_NEVENTS] = {
    /*                            accept                    dispute                   decide */
    [ROUTER_TRANSFER_REQUESTED] = {ROUTER_TRANSFER_ACCEPTED, ROUTER_TRANSFER_DISPUTED, NO},
    [ROUTER_TRANSFER_ACCEPTED] = {NO, NO, NO},
    [ROUTER_TRANSFER_DISPUTED] = {NO, NO, ROUTER_TRANSFER_DECIDED},
    [ROUTER_TRANSFER_DECIDED] = {NO, NO, NO},
};
const gy_machine_t router_transfer_machine = {
    "transfer",        s_transfer_states,       ROUTER_TRANSFER_NSTATES,
    s_transfer_events, ROUTER_TRANSFER_NEVENTS, &s_transfer[0][0]};

static const char *const s_task_states[] = {"assigned", "submitted", "declined", "late"};
static const char *const s_task_events[] = {"submit", "decline", "expire"};
static const int s_task[ROUTER_TASK_NSTATES][ROUTER_TASK_NEVENTS] = {
    /*                      submit                 decline               expire */
    [ROUTER_TASK_ASSIGNED] = {ROUTER_TASK_SUBMITTED, ROUTER_TASK_DECLINED, ROUTER_TASK_LATE},
    [ROUTER_TASK_SUBMITTED] = {NO, NO, NO},
    [ROUTER_TASK_DECLINED] = {NO, NO, NO},
    [ROUTER_TASK_LATE] = {NO, NO, NO},
};
const gy_machine_t router_task_machine = {"task",        s_task_states,       ROUTER_TASK_NSTATES,
                                          s_task_events, ROUTER_TASK_NEVENTS, &s_task[0][0]};

static const char *const s_clue_states[] = {"received", "assessing", "review", "routed",
                                            "rejected"};
static const char *const s_clue_events[] = {"hold",          "route",         "quorum_route",
                                            "quorum_reject", "quorum_review", "decide_route",
                                            "decide_reject"};
/*  Columns: hold, route, quorum_route, quorum_reject, quorum_review,
 *  decide_route, decide_reject. */
static const int s_clue[ROUTER_CLUE_NSTATES][ROUTER_CLUE_NEVENTS] = {
    [ROUTER_CLUE_RECEIVED] = {ROUTER_CLUE_ASSESSING, ROUTER_CLUE_ROUTED, NO, NO, NO, NO, NO},
    [ROUTER_CLUE_ASSESSING] = {NO, NO, ROUTER_CLUE_ROUTED, ROUTER_CLUE_REJECTED, ROUTER_CLUE_REVIEW,
                               NO, NO},
    [ROUTER_CLUE_REVIEW] = {NO, NO, NO, NO, NO, ROUTER_CLUE_ROUTED, ROUTER_CLUE_REJECTED},
    [ROUTER_CLUE_ROUTED] = {NO, NO, NO, NO, NO, NO, NO},
    [ROUTER_CLUE_REJECTED] = {NO, NO, NO, NO, NO, NO, NO},
};
const gy_machine_t router_clue_machine = {"clue",        s_clue_states,       ROUTER_CLUE_NSTATES,
                                          s_clue_events, ROUTER_CLUE_NEVENTS, &s_clue[0][0]};
