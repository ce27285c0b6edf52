/*  router_cluster — see router_cluster.h. */
#include "router_cluster.h"

#include <assert.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_text.h"
#include "gy_util.h"

static const char s_sql_state[] =
    "SELECT cluster_id, cluster_version, cluster_size, cluster_procuratorate, clue_id,"
    "       clue_procuratorate, origin_producer, origin_reference"
    "  FROM router.clusters_state(ARRAY[$1::uuid, $2::uuid])";
/*  A split reads the clue's cluster in the same statement. */
static const char s_sql_split_state[] =
    "SELECT cluster_id, cluster_version, cluster_size, cluster_procuratorate, clue_id,"
    "       clue_procuratorate, origin_producer, origin_reference"
    "  FROM router.clusters_state(ARRAY[router.clue_cluster($1::uuid)])";
static const char s_sql_merge[] =
    "SELECT router.cluster_merge($1::uuid, $2::int, $3::uuid, $4::int, $5, $6)::text";
static const char s_sql_split[] =
    "SELECT router.cluster_split($1::uuid, $2::uuid, $3::int, $4::uuid, $5, $6)::text";

/*  One clue of a cluster, as read. */
typedef struct {
    char cluster[37];
    char id[37];
    char procuratorate[7];
    char *origin_producer, *origin_reference;
} s_member_t;

/*  A cluster, as read. */
typedef struct {
    char id[37];
    char version[12];
    int size;
    char procuratorate[7];
} s_cluster_t;

typedef struct {
    router_transfer_ctx_t ctx;
    bool merge;
    char a[37], b[37]; /* merge: into, other; split: the clue, "" */
    char *prefix, *actor, *reason;
    router_answer_cb *cb;
    void *arg;
    int tries;
    s_cluster_t clusters[2];
    int nclusters;
    s_member_t *members; /* oldest first */
    size_t nmembers;
    char *stored;
} s_job_t;

static void s_read(s_job_t *job);

static void s_members_free(s_job_t *job)
{
    for (size_t i = 0; i < job->nmembers; i++) {
        free(job->members[i].origin_producer);
        free(job->members[i].origin_reference);
    }
    free(job->members);
    job->members = NULL;
    job->nmembers = 0;
    job->nclusters = 0;
}

static void s_finish(s_job_t *job, router_answer_t *answer)
{
    job->cb(job->arg, answer);
    s_members_free(job);
    free(job->prefix);
    free(job->actor);
    free(job->reason);
    free((char *)job->ctx.producer);
    free(job->stored);
    free(job);
}

static void s_fail(s_job_t *job, int status, const char *code, const char *field,
                   const char *message)
{
    router_answer_t answer = {.status = status, .code = code, .field = field};
    snprintf(answer.message, sizeof answer.message, "%s", message);
    s_finish(job, &answer);
}

static void s_unavailable(s_job_t *job)
{
    s_fail(job, 503, "unavailable", NULL,
           "the clusters cannot be changed now; nothing was changed; retry later");
}

static const s_cluster_t *s_cluster(const s_job_t *job, const char *id)
{
    for (int i = 0; i < job->nclusters; i++)
        if (strcmp(job->clusters[i].id, id) == 0)
            return &job->clusters[i];
    return NULL;
}

/*  ---- the write ---- */

static void s_on_write_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_job_t *job = arg;
    if (index == 0 && gy_pg_ntuples(res) == 1) {
        free(job->stored);
        job->stored = gy_strdup(gy_pg_value(res, 0, 0));
    }
}

static void s_on_write_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_job_t *job = arg;
    json_t *body;
    router_answer_t failure;
    switch (router_write_judge(status, sqlstate, job->tries, job->stored, true, job->ctx.outbox,
                               "cluster change", job->a, &body, &failure)) {
    case ROUTER_WRITE_RETRY:
        s_read(job); /* decide again on what is stored now */
        return;
    case ROUTER_WRITE_UNAVAILABLE: s_unavailable(job); return;
    case ROUTER_WRITE_FAILED: s_finish(job, &failure); return;
    case ROUTER_WRITE_STORED: break;
    }
    router_answer_t answer = {.status = 200, .body = body};
    s_finish(job, &answer);
}

/*  Appends ClusterChanged for `cluster`, whose clues are then the members
 *  for which `in` says so, in the order read (oldest first). */
static void s_add_event(s_job_t *job, gy_pg_tx_t *tx, const char *cluster, const char *other,
                        const char *procuratorate,
                        bool (*in)(const s_job_t *, const s_member_t *, const char *cluster))
{
    Gongyi__V1__ClusterChanged m = GONGYI__V1__CLUSTER_CHANGED__INIT;
    m.action = job->merge ? "merge" : "split";
    m.cluster_id = (char *)cluster;
    m.other_cluster_id = (char *)other;
    m.by = job->actor;
    m.reason = job->reason;
    char **ids = gy_calloc(job->nmembers + 1, sizeof *ids);
    Gongyi__V1__Origin *origins = gy_calloc(job->nmembers + 1, sizeof *origins);
    Gongyi__V1__Origin **origin_ptrs = gy_calloc(job->nmembers + 1, sizeof *origin_ptrs);
    size_t n = 0;
    bool any_origin = false;
    for (size_t i = 0; i < job->nmembers; i++) {
        const s_member_t *c = &job->members[i];
        if (!in(job, c, cluster))
            continue;
        gongyi__v1__origin__init(&origins[n]);
        origins[n].producer = c->origin_producer;
        origins[n].reference_id = c->origin_reference;
        any_origin = any_origin || c->origin_producer[0];
        origin_ptrs[n] = &origins[n];
        ids[n++] = (char *)c->id;
    }
    m.n_clue_ids = n;
    m.clue_ids = ids;
    if (any_origin) { /* none at all: no list of empty ones */
        m.n_origins = n;
        m.origins = origin_ptrs;
    }
    size_t len = gongyi__v1__cluster_changed__get_packed_size(&m);
    uint8_t *body = gy_malloc(len ? len : 1);
    gongyi__v1__cluster_changed__pack(&m, body);
    char event_id[37], trace[37];
    gy_uuid(event_id);
    gy_uuid(trace);
    gy_outbox_event_t ev = {.event_id = event_id,
                            .type = "ClusterChanged",
                            .time_ms = gy_now_ms(),
                            .trace_id = trace,
                            .procuratorate = procuratorate,
                            .body = body,
                            .body_len = len};
    gy_outbox_tx_append(tx, job->ctx.producer, &ev);
    free(body);
    free(origin_ptrs);
    free(origins);
    free(ids);
}

static bool s_in_merged(const s_job_t *job, const s_member_t *c, const char *cluster)
{
    (void)job;
    (void)cluster;
    return true; /* every clue of both */
}

static bool s_in_split(const s_job_t *job, const s_member_t *c, const char *cluster)
{
    bool moved = strcmp(c->id, job->a) == 0;
    return strcmp(cluster, c->cluster) == 0 ? !moved : moved;
}

static void s_write(s_job_t *job, gy_pg_tx_t **tx_p)
{
    if (gy_pg_run(job->ctx.pg, tx_p, s_on_write_row, s_on_write_done, job) < 0)
        s_unavailable(job);
}

/*  ---- the decision ---- */

static bool s_all_in_scope(const s_job_t *job)
{
    size_t n = strlen(job->prefix);
    for (size_t i = 0; i < job->nmembers; i++)
        if (strncmp(job->members[i].procuratorate, job->prefix, n) != 0)
            return false;
    return true;
}

static void s_decide_merge(s_job_t *job)
{
    const s_cluster_t *into = s_cluster(job, job->a), *other = s_cluster(job, job->b);
    /*  Both wholly within the caller's scope, or as if they did not exist. */
    if (!into || !other || !s_all_in_scope(job)) {
        s_fail(job, 404, "not_found", NULL, "no such cluster");
        return;
    }
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {into->id,       into->version, other->id,
                            other->version, job->actor,    job->reason};
    gy_pg_tx_add(tx, "cluster_merge", 6, values, NULL);
    s_add_event(job, tx, into->id, other->id, into->procuratorate, s_in_merged);
    s_write(job, &tx);
}

static void s_decide_split(s_job_t *job)
{
    const s_member_t *clue = NULL;
    for (size_t i = 0; i < job->nmembers; i++)
        if (strcmp(job->members[i].id, job->a) == 0)
            clue = &job->members[i];
    if (!clue || strncmp(clue->procuratorate, job->prefix, strlen(job->prefix)) != 0) {
        s_fail(job, 404, "not_found", NULL, "no such clue");
        return;
    }
    const s_cluster_t *old = s_cluster(job, clue->cluster);
    assert(old);
    if (job->nmembers <= 1) {
        s_fail(job, 409, "invalid_state", "cluster_id", "the clue is alone in its cluster");
        return;
    }
    char new_id[37];
    gy_uuid(new_id);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {clue->id, old->id, old->version, new_id, job->actor, job->reason};
    gy_pg_tx_add(tx, "cluster_split", 6, values, NULL);
    /*  Both clusters changed: the new one (the clue alone), then the old. */
    s_add_event(job, tx, new_id, old->id, clue->procuratorate, s_in_split);
    s_add_event(job, tx, old->id, new_id, old->procuratorate, s_in_split);
    s_write(job, &tx);
}

/*  ---- the read ---- */

static void s_on_read_rows(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_job_t *job = arg;
    (void)index;
    int rows = gy_pg_ntuples(res);
    job->members = gy_calloc(rows > 0 ? (size_t)rows : 1, sizeof *job->members);
    for (int r = 0; r < rows; r++) {
        const char *cluster = gy_pg_value(res, r, 0);
        if (!s_cluster(job, cluster) && job->nclusters < 2) {
            s_cluster_t *c = &job->clusters[job->nclusters++];
            snprintf(c->id, sizeof c->id, "%s", cluster);
            snprintf(c->version, sizeof c->version, "%s", gy_pg_value(res, r, 1));
            c->size = atoi(gy_pg_value(res, r, 2));
            snprintf(c->procuratorate, sizeof c->procuratorate, "%s", gy_pg_value(res, r, 3));
        }
        s_member_t *m = &job->members[job->nmembers++];
        snprintf(m->cluster, sizeof m->cluster, "%s", cluster);
        snprintf(m->id, sizeof m->id, "%s", gy_pg_value(res, r, 4));
        snprintf(m->procuratorate, sizeof m->procuratorate, "%s", gy_pg_value(res, r, 5));
        m->origin_producer = gy_strdup(gy_pg_value(res, r, 6));
        m->origin_reference = gy_strdup(gy_pg_value(res, r, 7));
    }
}

static void s_on_read_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_job_t *job = arg;
    (void)sqlstate;
    if (status != GY_PG_OK) {
        s_unavailable(job);
        return;
    }
    if (job->merge)
        s_decide_merge(job);
    else
        s_decide_split(job);
}

static void s_read(s_job_t *job)
{
    job->tries++;
    s_members_free(job);
    gy_pg_tx_t *tx = gy_pg_tx_new();
    if (job->merge) {
        const char *values[] = {job->a, job->b};
        gy_pg_tx_add(tx, "cluster_state", 2, values, NULL);
    } else {
        const char *values[] = {job->a};
        gy_pg_tx_add(tx, "cluster_split_state", 1, values, NULL);
    }
    if (gy_pg_run(job->ctx.pg, &tx, s_on_read_rows, s_on_read_done, job) < 0)
        s_unavailable(job);
}

/*  ---- life cycle ---- */

void router_cluster_prepare(gy_pg_t *pg)
{
    gy_pg_prepare(pg, "cluster_state", s_sql_state);
    gy_pg_prepare(pg, "cluster_split_state", s_sql_split_state);
    gy_pg_prepare(pg, "cluster_merge", s_sql_merge);
    gy_pg_prepare(pg, "cluster_split", s_sql_split);
}

static int s_start(const router_transfer_ctx_t *ctx, bool merge, const char *a, const char *b,
                   const char *prefix, const char *actor, const char *reason, router_answer_cb *cb,
                   void *arg)
{
    assert(ctx && ctx->pg && ctx->producer && a && prefix && actor && reason && cb);
    assert(gy_uuid_valid(a) && (!b || gy_uuid_valid(b)));
    if (!gy_pg_up(ctx->pg))
        return -1;
    s_job_t *job = gy_calloc(1, sizeof *job);
    job->ctx = *ctx;
    job->ctx.producer = gy_strdup(ctx->producer);
    job->merge = merge;
    /*  Ids as PostgreSQL writes them (lower case), to compare with what
     *  is read. */
    snprintf(job->a, sizeof job->a, "%s", a);
    snprintf(job->b, sizeof job->b, "%s", b ? b : "");
    for (size_t i = 0; job->a[i]; i++)
        job->a[i] = (char)tolower((unsigned char)job->a[i]);
    for (size_t i = 0; job->b[i]; i++)
        job->b[i] = (char)tolower((unsigned char)job->b[i]);
    job->prefix = gy_strdup(prefix);
    job->actor = gy_strdup(actor);
    job->reason = gy_strdup(reason);
    job->cb = cb;
    job->arg = arg;
    s_read(job);
    return 0;
}

int router_cluster_merge(const router_transfer_ctx_t *ctx, const char *into, const char *other,
                         const char *prefix, const char *actor, const char *reason,
                         router_answer_cb *cb, void *arg)
{
    assert(into && other && strcmp(into, other) != 0); /* the caller answers that one */
    return s_start(ctx, true, into, other, prefix, actor, reason, cb, arg);
}

int router_cluster_split(const router_transfer_ctx_t *ctx, const char *clue, const char *prefix,
                         const char *actor, const char *reason, router_answer_cb *cb, void *arg)
{
    return s_start(ctx, false, clue, NULL, prefix, actor, reason, cb, arg);
}
