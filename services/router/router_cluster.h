/*  router_cluster — a prosecutor's merge of two duplicate clusters and
 *  split of a clue out of one, decided in C.
 *
 *  Each reads the clusters and their clues (router.clusters_state), checks
 *  them (scope, a cluster merged into itself, a clue alone), packs
 *  ClusterChanged — the clues of each changed cluster as they will be,
 *  with their integrators' work orders — from the generated code, and
 *  writes in one transaction guarded by the clusters' versions
 *  (router.cluster_merge / router.cluster_split, migrations/0013) with the
 *  outbox rows.  A clue that joined or left meanwhile fails the guard: read
 *  and decide again, a few times, then 409 conflict.
 *
 *      router_cluster_prepare(pg);                       // before gy_pg_start
 *      router_cluster_merge(&ctx, into, other, prefix, actor, reason, cb, arg);
 *      router_cluster_split(&ctx, clue, prefix, actor, reason, cb, arg);
 *
 *  Both return -1 when the connection is down (cb never runs); otherwise
 *  cb runs exactly once.
 */
#ifndef ROUTER_CLUSTER_H
#define ROUTER_CLUSTER_H

#include "gy_outbox.h"
#include "gy_pg.h"
#include "router_answer.h"
#include "router_transfer.h"

void router_cluster_prepare(gy_pg_t *pg);

/*  All ids are valid UUIDs (the caller checked). */
int router_cluster_merge(const router_transfer_ctx_t *ctx, const char *into, const char *other,
                         const char *prefix, const char *actor, const char *reason,
                         router_answer_cb *cb, void *arg);
int router_cluster_split(const router_transfer_ctx_t *ctx, const char *clue, const char *prefix,
                         const char *actor, const char *reason, router_answer_cb *cb, void *arg);

#endif
