/*  router_assess — assessment by expert volunteers, decided in C: the
 *  quorum, a task's steps (submit, decline, expire), a prosecutor's review,
 *  and the events of each, packed from the generated code.
 *
 *  The quorum (router_assess_decide, pure): k assessors are asked; k / 2 + 1
 *  equal recommendations decide; once no task is open, the majority of what
 *  was submitted decides, and a tie or nothing at all goes to review.  A
 *  clue routed by assessment gets half triage's priority and half the
 *  assessors' severity and harm (each 1-5: together 20-100).
 *
 *  Each step reads the task, its clue and the clue's tasks (and, for a
 *  decline or a late task, who could assess instead), looks the step up in
 *  router_task_machine and the outcome in router_clue_machine, and writes
 *  in one transaction guarded by the task's and the clue's state and
 *  version (migrations/0014), with the outbox rows.  A conflict reads and
 *  decides again, a few times, then 409 conflict; a refusal writes
 *  nothing and answers 409 invalid_state naming the state and the allowed
 *  steps.
 *
 *      router_assess_prepare(pg);                 // before gy_pg_start
 *      router_assess_submit(&ctx, task, volunteer, &scores, cb, arg);
 *
 *  The flows return -1 when the connection is down (cb never runs);
 *  otherwise cb runs exactly once.
 */
#ifndef ROUTER_ASSESS_H
#define ROUTER_ASSESS_H

#include <stddef.h>
#include <stdint.h>

#include "gy_pg.h"
#include "router_answer.h"
#include "router_transfer.h"

/*  ---- the quorum ---- */

typedef struct {
    const char *recommendation; /* "route", "reject" or "review" */
    int severity, harm;         /* 1-5 */
} router_assessment_t;

typedef enum {
    ROUTER_OUTCOME_WAIT, /* tasks are open and no quorum yet */
    ROUTER_OUTCOME_ROUTE,
    ROUTER_OUTCOME_REJECT,
    ROUTER_OUTCOME_REVIEW,
} router_outcome_t;

/*  The outcome of a clue with k assessors asked, the n submitted
 *  assessments and `open` tasks still assigned.  For ROUTE, *priority is
 *  the new priority (from triage_priority and the assessments). */
router_outcome_t router_assess_decide(int k, const router_assessment_t *submitted, size_t n,
                                      size_t open, int triage_priority, int *priority);

/*  "route", "reject", "review"; NULL for WAIT. */
const char *router_outcome_name(router_outcome_t outcome);

/*  ---- packing ---- */

/*  AssessmentRequested for one task; the caller frees the result. */
uint8_t *router_pack_assessment_requested(const char *clue_id, const char *task_id,
                                          const char *volunteer_id, const char *field_code,
                                          int64_t due_ms, const char *appointing,
                                          const char *origin_producer, const char *origin_reference,
                                          size_t *len_p);

/*  ---- the steps ---- */

typedef struct {
    int credibility, severity, harm; /* 1-5 */
    const char *recommendation;      /* route, reject, review */
    const char *comment;             /* "" when none */
} router_scores_t;

void router_assess_prepare(gy_pg_t *pg);

/*  The volunteer's assessment of their task. */
int router_assess_submit(const router_transfer_ctx_t *ctx, const char *task, const char *volunteer,
                         const router_scores_t *scores, router_answer_cb *cb, void *arg);
/*  The volunteer declines their task (a conflict of interest): someone
 *  else is asked, due at due_ms. */
int router_assess_decline(const router_transfer_ctx_t *ctx, const char *task, const char *volunteer,
                          const char *reason, int64_t due_ms, router_answer_cb *cb, void *arg);
/*  A task past due: late; someone else is asked, due at due_ms.  answer
 *  status 200 (body NULL) when done or when the task had moved on. */
int router_assess_expire(const router_transfer_ctx_t *ctx, const char *task, int64_t due_ms,
                         router_answer_cb *cb, void *arg);
/*  A prosecutor decides a clue under review: decision "route" or "reject"
 *  (then reason_code). */
int router_assess_review(const router_transfer_ctx_t *ctx, const char *clue, const char *prefix,
                         const char *actor, const char *decision, const char *reason_code,
                         const char *reason, router_answer_cb *cb, void *arg);

#endif
