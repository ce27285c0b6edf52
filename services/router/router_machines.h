/*  router_machines — the router's state machines as state x event tables
 *  (gy_machine): transfers (移送), assessment tasks and a clue's status.
 *  Every decision that moves one of them is taken here, in C, on the state
 *  read from the database; the write that follows is guarded by that state
 *  and the row's version (router_transfer.c), so a change made meanwhile
 *  is a conflict, never a lost update.
 *
 *  The state names are the values stored in router.transfer.status,
 *  router.assessment_task.status and router.clue.status.
 *
 *      int s = gy_machine_state_of(&router_transfer_machine, "requested");
 *      int next = gy_machine_next(&router_transfer_machine, s, ROUTER_TRANSFER_ACCEPT);
 */
#ifndef ROUTER_MACHINES_H
#define ROUTER_MACHINES_H

#include "gy_machine.h"

/*  A transfer: the receiver accepts or disputes what was requested; the
 *  common superior decides a dispute.  accepted and decided are final. */
enum {
    ROUTER_TRANSFER_REQUESTED,
    ROUTER_TRANSFER_ACCEPTED,
    ROUTER_TRANSFER_DISPUTED,
    ROUTER_TRANSFER_DECIDED,
    ROUTER_TRANSFER_NSTATES
};
enum {
    ROUTER_TRANSFER_ACCEPT,
    ROUTER_TRANSFER_DISPUTE,
    ROUTER_TRANSFER_DECIDE,
    ROUTER_TRANSFER_NEVENTS
};
extern const gy_machine_t router_transfer_machine;

/*  An assessment task: the assessor submits or declines it, or it expires
 *  (late) and another is asked.  Only an assigned task moves. */
enum {
    ROUTER_TASK_ASSIGNED,
    ROUTER_TASK_SUBMITTED,
    ROUTER_TASK_DECLINED,
    ROUTER_TASK_LATE,
    ROUTER_TASK_NSTATES
};
enum { ROUTER_TASK_SUBMIT, ROUTER_TASK_DECLINE, ROUTER_TASK_EXPIRE, ROUTER_TASK_NEVENTS };
extern const gy_machine_t router_task_machine;

/*  A clue's status in the router: received (not stored yet) is routed at
 *  once or held for assessment; the assessors' quorum routes, rejects or
 *  leaves it for a prosecutor's review, who routes or rejects it (the
 *  quorum's events and the prosecutor's are distinct: a prosecutor decides
 *  only a clue under review).  A transfer moves a clue between
 *  procuratorates and leaves its status (the transfer machine guards it). */
enum {
    ROUTER_CLUE_RECEIVED,
    ROUTER_CLUE_ASSESSING,
    ROUTER_CLUE_REVIEW,
    ROUTER_CLUE_ROUTED,
    ROUTER_CLUE_REJECTED,
    ROUTER_CLUE_NSTATES
};
enum {
    ROUTER_CLUE_HOLD,
    ROUTER_CLUE_ROUTE,
    ROUTER_CLUE_QUORUM_ROUTE,
    ROUTER_CLUE_QUORUM_REJECT,
    ROUTER_CLUE_QUORUM_REVIEW,
    ROUTER_CLUE_DECIDE_ROUTE,
    ROUTER_CLUE_DECIDE_REJECT,
    ROUTER_CLUE_NEVENTS
};
extern const gy_machine_t router_clue_machine;

#endif
