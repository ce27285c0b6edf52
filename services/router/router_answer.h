/*  router_answer — what a decision taken in C (router_transfer,
 *  router_cluster, router_assess) hands back to the HTTP handler that
 *  asked for it: a status and either the stored result or an error with
 *  its stable code; and how the write of such a decision ended, judged
 *  the same way for all of them.
 *
 *      static void s_on_write_done(void *arg, gy_pg_status_t status, const char *sqlstate)
 *      {
 *          json_t *body;
 *          router_answer_t failure;
 *          switch (router_write_judge(status, sqlstate, job->tries, job->stored, true,
 *                                     job->ctx.outbox, "transfer", job->id, &body, &failure)) {
 *          case ROUTER_WRITE_RETRY: s_read(job); return;       // decide again
 *          case ROUTER_WRITE_UNAVAILABLE: s_unavailable(job); return;
 *          case ROUTER_WRITE_FAILED: s_finish(job, &failure); return;
 *          case ROUTER_WRITE_STORED: ... answer 200 with body ...
 *          }
 *      }
 */
#ifndef ROUTER_ANSWER_H
#define ROUTER_ANSWER_H

#include <jansson.h>
#include <stdbool.h>

#include "gy_outbox.h"
#include "gy_pg.h"

typedef struct {
    int status;       /* HTTP status */
    json_t *body;     /* 2xx: the result as stored; the callback owns it */
    const char *code; /* otherwise: the error's stable code */
    char message[300];
    const char *field; /* the offending member, or NULL */
} router_answer_t;

/*  Runs exactly once per accepted request. */
typedef void(router_answer_cb)(void *arg, router_answer_t *answer);

/*  How many times a decision is taken again on what is stored now before
 *  a conflict is answered 409. */
#define ROUTER_WRITE_TRIES 4

typedef enum {
    ROUTER_WRITE_STORED,      /* committed; *body_p is the stored answer, when asked for */
    ROUTER_WRITE_RETRY,       /* a conflict: read again and decide again */
    ROUTER_WRITE_UNAVAILABLE, /* not stored (connection lost or failed): 503 */
    ROUTER_WRITE_FAILED,      /* *failure is the answer: 409 conflict, 500 internal */
} router_write_t;

/*  Judges how a decision's write ended (its gy_pg_run done callback).  A
 *  conflict — serialization_failure (a guard: the state changed since it
 *  was read), deadlock_detected (two decisions on the same rows in
 *  opposite orders), unique_violation (the same row made at the same
 *  time) — is RETRY while tries < ROUTER_WRITE_TRIES, then FAILED with 409
 *  `conflict`.  A commit whose outcome was lost asks the outbox to look;
 *  so does every commit (the relay reads its events from the outbox).
 *  With want_body, the committed write's answer `stored` (the text of its
 *  answering row, NULL when none came) must be a JSON object: *body_p gets
 *  it (the caller owns it), or FAILED with 500 `internal`, logged with an
 *  excerpt.  `what` and `id` name the decision in log lines. */
router_write_t router_write_judge(gy_pg_status_t status, const char *sqlstate, int tries,
                                  const char *stored, bool want_body, gy_outbox_t *outbox,
                                  const char *what, const char *id, json_t **body_p,
                                  router_answer_t *failure);

#endif
