/*  router_transfer — the steps of a transfer (移送), decided in C: request
 *  (a clue to another procuratorate), accept or dispute (the receiver),
 *  decide (the common superior, to one of the two).
 *
 *  Each step reads the transfer (or, for a request, the clue), looks the
 *  step up in router_transfer_machine (router_machines.h), packs
 *  ClueTransferred from the generated code and writes in one transaction:
 *  the guarded write (router.transfer_insert / router.transfer_step,
 *  migrations/0011) and the outbox row with those bytes.  A guard that
 *  fails (the state or version changed since the read) or a second open
 *  transfer created meanwhile is a conflict: read and decide again, at
 *  most S_TRIES times, then 409 conflict.  A refused step writes nothing
 *  and answers 409 invalid_state naming the state and the allowed steps.
 *
 *      router_transfer_prepare(pg);                     // before gy_pg_start
 *      router_transfer_step_t step = {.event = ROUTER_TRANSFER_ACCEPT, .id = tid,
 *                                     .prefix = scope, .actor = sub, .reason = ""};
 *      router_transfer_run(&ctx, &step, on_answer, req);
 *
 *  The callback runs exactly once when router_transfer_run returned 0; it
 *  owns answer->body.
 */
#ifndef ROUTER_TRANSFER_H
#define ROUTER_TRANSFER_H

#include "gy_outbox.h"
#include "gy_pg.h"
#include "router_answer.h"
#include "router_machines.h"

/*  A request is not an event of a transfer (there is none yet). */
#define ROUTER_TRANSFER_REQUEST (-1)

typedef struct {
    gy_pg_t *pg;          /* borrowed; statements from router_transfer_prepare */
    gy_outbox_t *outbox;  /* borrowed, may be NULL: woken after a commit */
    const char *producer; /* the router's producer id */
} router_transfer_ctx_t;

typedef struct {
    int event;          /* ROUTER_TRANSFER_REQUEST or ROUTER_TRANSFER_ACCEPT / _DISPUTE / _DECIDE */
    const char *id;     /* the clue (request) or the transfer, a valid UUID */
    const char *prefix; /* the caller's scope (gy_scope_prefix) */
    const char *actor;  /* the caller's subject */
    const char *to;     /* request: the receiver; decide: who gets the clue; else NULL */
    const char *reason;
} router_transfer_step_t;

void router_transfer_prepare(gy_pg_t *pg);

/*  -1 when the connection is down (then cb never runs). */
int router_transfer_run(const router_transfer_ctx_t *ctx, const router_transfer_step_t *step,
                        router_answer_cb *cb, void *arg);

/*  The city above a procuratorate ("" for a province or the root), and the
 *  lowest procuratorate above both a and b (GB/T 2260 codes: xx0000 a
 *  province, xxyy00 a city).  out has room for 7. */
void router_city_of(const char *code, char out[7]);
void router_common_superior(const char *a, const char *b, char out[7]);

#endif
