/*  router_transfer — see router_transfer.h. */
#include "router_transfer.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_refdata.h"
#include "gy_scope.h"
#include "gy_text.h"
#include "gy_util.h"

/*  A conflict means another step won the race; a few tries settle it. */

static const char s_sql_transfer_state[] =
    "SELECT status, version, clue_id, from_proc, to_proc, superior, origin_producer,"
    "       origin_reference FROM router.transfer_state($1::uuid)";
static const char s_sql_clue_state[] =
    "SELECT procuratorate, version, open_transfer, origin_producer, origin_reference"
    "  FROM router.clue_transfer_state($1::uuid)";
static const char s_sql_insert[] = "SELECT router.transfer_insert($1::uuid, $2::int, $3::uuid, $4,"
                                   " $5, $6, $7, $8, $9, $10::bigint)::text";
static const char s_sql_step[] =
    "SELECT router.transfer_step($1::uuid, $2, $3::int, $4, $5, $6, $7, $8, $9::bigint)::text";

typedef struct {
    router_transfer_ctx_t ctx;
    router_transfer_step_t step; /* strings owned below */
    router_answer_cb *cb;
    void *arg;
    int tries;
    /* what the read found */
    bool found;
    char state[16];
    char version[12];
    char clue_id[37];
    char from[7], to[7], superior[7];
    bool open_transfer;
    char *origin_producer, *origin_reference; /* "" when the clue came over HTTP */
    /* what the write answered */
    char *stored;
} s_job_t;

static void s_read(s_job_t *job);

static void s_finish(s_job_t *job, router_answer_t *answer)
{
    job->cb(job->arg, answer);
    free((char *)job->step.id);
    free((char *)job->step.prefix);
    free((char *)job->step.actor);
    free((char *)job->step.to);
    free((char *)job->step.reason);
    free((char *)job->ctx.producer);
    free(job->stored);
    free(job->origin_producer);
    free(job->origin_reference);
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
           "the transfer cannot be stored now; nothing was changed; retry later");
}

void router_city_of(const char *code, char out[7])
{
    if (strlen(code) != 6 || strcmp(code + 2, "0000") == 0)
        out[0] = '\0';
    else
        gy_region_ancestor(code, 4, out);
}

void router_common_superior(const char *a, const char *b, char out[7])
{
    bool a_province = strcmp(a + 2, "0000") == 0, b_province = strcmp(b + 2, "0000") == 0;
    if (strcmp(a, b) == 0)
        snprintf(out, 7, "%s", a);
    else if (strncmp(a, b, 4) == 0 && !a_province && !b_province)
        gy_region_ancestor(a, 4, out);
    else if (strncmp(a, b, 2) == 0)
        gy_region_ancestor(a, 2, out);
    else
        snprintf(out, 7, "000000");
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
                               "transfer step", job->step.id, &body, &failure)) {
    case ROUTER_WRITE_RETRY:
        s_read(job); /* decide again on what is stored now */
        return;
    case ROUTER_WRITE_UNAVAILABLE: s_unavailable(job); return;
    case ROUTER_WRITE_FAILED: s_finish(job, &failure); return;
    case ROUTER_WRITE_STORED: break;
    }
    router_answer_t answer = {.status = job->step.event == ROUTER_TRANSFER_REQUEST ? 201 : 200,
                              .body = body};
    s_finish(job, &answer);
}

/*  Appends ClueTransferred, packed here, to tx.  procuratorate is who must
 *  act next (or, once the clue moved, where it is now). */
static void s_add_event(s_job_t *job, gy_pg_tx_t *tx, const char *transfer_id, const char *step,
                        const char *superior, const char *procuratorate)
{
    Gongyi__V1__ClueTransferred m = GONGYI__V1__CLUE_TRANSFERRED__INIT;
    m.clue_id = job->clue_id;
    m.transfer_id = (char *)transfer_id;
    m.from_procuratorate = job->from;
    m.to_procuratorate = job->to;
    m.step = (char *)step;
    m.superior = (char *)superior;
    m.reason = (char *)job->step.reason;
    m.by = (char *)job->step.actor;
    Gongyi__V1__Origin origin = GONGYI__V1__ORIGIN__INIT;
    if (job->origin_producer && job->origin_producer[0]) {
        origin.producer = job->origin_producer;
        origin.reference_id = job->origin_reference;
        m.origin = &origin;
    }
    size_t len = gongyi__v1__clue_transferred__get_packed_size(&m);
    uint8_t *body = gy_malloc(len ? len : 1);
    gongyi__v1__clue_transferred__pack(&m, body);
    char event_id[37], trace[37];
    gy_uuid(event_id);
    gy_uuid(trace);
    gy_outbox_event_t ev = {.event_id = event_id,
                            .type = "ClueTransferred",
                            .time_ms = gy_now_ms(),
                            .trace_id = trace,
                            .procuratorate = procuratorate,
                            .body = body,
                            .body_len = len};
    gy_outbox_tx_append(tx, job->ctx.producer, &ev);
    free(body);
}

static void s_write(s_job_t *job, gy_pg_tx_t **tx_p)
{
    if (gy_pg_run(job->ctx.pg, tx_p, s_on_write_row, s_on_write_done, job) < 0)
        s_unavailable(job);
}

/*  ---- the decision ---- */

static void s_decide_request(s_job_t *job)
{
    const char *to = job->step.to;
    if (strcmp(job->from, to) == 0) {
        s_fail(job, 409, "invalid_state", "to", "the clue is already with that procuratorate");
        return;
    }
    if (job->open_transfer) {
        s_fail(job, 409, "transfer_pending", NULL, "this clue has a transfer in progress");
        return;
    }
    snprintf(job->clue_id, sizeof job->clue_id, "%s", job->step.id);
    snprintf(job->to, sizeof job->to, "%s", to);
    char transfer_id[37], to_city[7], superior[7];
    gy_uuid(transfer_id);
    router_city_of(to, to_city);
    router_common_superior(job->from, to, superior);
    char at[24]; /* the router's clock, as the event's time */
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {job->clue_id, job->version, transfer_id,      job->from,       to,
                            to_city,      superior,     job->step.reason, job->step.actor, at};
    gy_pg_tx_add(tx, "transfer_insert", 10, values, NULL);
    s_add_event(job, tx, transfer_id, "requested", "", to);
    s_write(job, &tx);
}

static void s_decide_step(s_job_t *job)
{
    const gy_machine_t *m = &router_transfer_machine;
    int state = gy_machine_state_of(m, job->state);
    if (state < 0) {
        gy_log_error("transfer %s has status \"%s\", unknown to the transfer machine", job->step.id,
                     job->state);
        s_fail(job, 500, "internal", NULL, "internal error");
        return;
    }
    int next = gy_machine_next(m, state, job->step.event);
    if (next == GY_MACHINE_REFUSED) {
        router_answer_t answer = {.status = 409, .code = "invalid_state", .field = "status"};
        gy_machine_refusal(m, state, job->step.event, answer.message, sizeof answer.message);
        s_finish(job, &answer);
        return;
    }
    /* Who gets the clue (none: it stays), and who acts next. */
    const char *to = "", *superior = "", *concerned = job->to;
    if (next == ROUTER_TRANSFER_ACCEPTED) {
        to = job->to;
    } else if (next == ROUTER_TRANSFER_DISPUTED) {
        superior = concerned = job->superior;
    } else {
        assert(next == ROUTER_TRANSFER_DECIDED);
        if (strcmp(job->step.to, job->from) != 0 && strcmp(job->step.to, job->to) != 0) {
            s_fail(job, 400, "invalid_value", "procuratorate",
                   "the clue goes to one of the two procuratorates of the dispute");
            return;
        }
        to = concerned = job->step.to;
        superior = job->superior;
    }
    char to_city[7];
    router_city_of(to, to_city);
    char at[24]; /* the router's clock, as the event's time */
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {job->step.id,
                            job->state,
                            job->version,
                            gy_machine_state_name(m, next),
                            to,
                            to_city,
                            job->step.reason,
                            job->step.actor,
                            at};
    gy_pg_tx_add(tx, "transfer_step", 9, values, NULL);
    s_add_event(job, tx, job->step.id, gy_machine_state_name(m, next), superior, concerned);
    s_write(job, &tx);
}

/*  ---- the read ---- */

static void s_on_read_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_job_t *job = arg;
    (void)index;
    job->found = gy_pg_ntuples(res) == 1;
    if (!job->found)
        return;
    bool request = job->step.event == ROUTER_TRANSFER_REQUEST;
    free(job->origin_producer);
    free(job->origin_reference);
    job->origin_producer = gy_strdup(gy_pg_value(res, 0, request ? 3 : 6));
    job->origin_reference = gy_strdup(gy_pg_value(res, 0, request ? 4 : 7));
    if (request) {
        snprintf(job->from, sizeof job->from, "%s", gy_pg_value(res, 0, 0));
        snprintf(job->version, sizeof job->version, "%s", gy_pg_value(res, 0, 1));
        job->open_transfer = gy_pg_value(res, 0, 2)[0] == 't';
        return;
    }
    snprintf(job->state, sizeof job->state, "%s", gy_pg_value(res, 0, 0));
    snprintf(job->version, sizeof job->version, "%s", gy_pg_value(res, 0, 1));
    snprintf(job->clue_id, sizeof job->clue_id, "%s", gy_pg_value(res, 0, 2));
    snprintf(job->from, sizeof job->from, "%s", gy_pg_value(res, 0, 3));
    snprintf(job->to, sizeof job->to, "%s", gy_pg_value(res, 0, 4));
    snprintf(job->superior, sizeof job->superior, "%s", gy_pg_value(res, 0, 5));
}

static void s_on_read_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_job_t *job = arg;
    (void)sqlstate;
    if (status != GY_PG_OK) {
        s_unavailable(job);
        return;
    }
    /* Outside the caller's scope is as if it did not exist: a request
     * from the clue's holder, an answer from the receiver, a decision from
     * the superior or above. */
    const char *scoped = job->step.event == ROUTER_TRANSFER_REQUEST  ? job->from
                         : job->step.event == ROUTER_TRANSFER_DECIDE ? job->superior
                                                                     : job->to;
    if (!job->found || !gy_scope_within(scoped, job->step.prefix)) {
        s_fail(job, 404, "not_found", NULL,
               job->step.event == ROUTER_TRANSFER_REQUEST ? "no such clue" : "no such transfer");
        return;
    }
    if (job->step.event == ROUTER_TRANSFER_REQUEST)
        s_decide_request(job);
    else
        s_decide_step(job);
}

static void s_read(s_job_t *job)
{
    job->tries++;
    job->found = false;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {job->step.id};
    gy_pg_tx_add(
        tx, job->step.event == ROUTER_TRANSFER_REQUEST ? "transfer_clue_state" : "transfer_state",
        1, values, NULL);
    if (gy_pg_run(job->ctx.pg, &tx, s_on_read_row, s_on_read_done, job) < 0)
        s_unavailable(job);
}

/*  ---- life cycle ---- */

void router_transfer_prepare(gy_pg_t *pg)
{
    gy_pg_prepare(pg, "transfer_state", s_sql_transfer_state);
    gy_pg_prepare(pg, "transfer_clue_state", s_sql_clue_state);
    gy_pg_prepare(pg, "transfer_insert", s_sql_insert);
    gy_pg_prepare(pg, "transfer_step", s_sql_step);
}

int router_transfer_run(const router_transfer_ctx_t *ctx, const router_transfer_step_t *step,
                        router_answer_cb *cb, void *arg)
{
    assert(ctx && ctx->pg && ctx->producer && step && cb);
    assert(step->id && step->prefix && step->actor && step->reason);
    assert(step->event == ROUTER_TRANSFER_REQUEST ||
           (step->event >= 0 && step->event < ROUTER_TRANSFER_NEVENTS));
    assert((step->event == ROUTER_TRANSFER_REQUEST || step->event == ROUTER_TRANSFER_DECIDE) ==
           (step->to != NULL));
    if (!gy_pg_up(ctx->pg))
        return -1;
    s_job_t *job = gy_calloc(1, sizeof *job);
    job->ctx = *ctx;
    job->ctx.producer = gy_strdup(ctx->producer);
    job->step.event = step->event;
    char *id = gy_strdup(step->id);
    for (char *c = id; *c; c++) /* as PostgreSQL writes it, for the event */
        *c = (char)tolower((unsigned char)*c);
    job->step.id = id;
    job->step.prefix = gy_strdup(step->prefix);
    job->step.actor = gy_strdup(step->actor);
    job->step.to = step->to ? gy_strdup(step->to) : NULL;
    job->step.reason = gy_strdup(step->reason);
    job->cb = cb;
    job->arg = arg;
    s_read(job);
    return 0;
}
