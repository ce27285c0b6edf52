/*  router_assess — see router_assess.h. */
#include "router_assess.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_text.h"
#include "gy_util.h"
#include "router_machines.h"
#include "router_volunteer.h"

/*  ---- the quorum ---- */

router_outcome_t router_assess_decide(int k, const router_assessment_t *submitted, size_t n,
                                      size_t open, int triage_priority, int *priority)
{
    assert(k > 0 && (submitted || n == 0) && priority);
    /*  Counts per recommendation, in the order that breaks ties (by name,
     *  as the first version in SQL did). */
    static const char *const names[] = {"reject", "review", "route"};
    size_t counts[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++)
        for (int r = 0; r < 3; r++)
            if (strcmp(submitted[i].recommendation, names[r]) == 0)
                counts[r]++;
    int best = -1;
    size_t best_n = 0, second_n = 0;
    for (int r = 0; r < 3; r++) {
        if (counts[r] > best_n) {
            second_n = best_n;
            best_n = counts[r];
            best = r;
        } else if (counts[r] > second_n) {
            second_n = counts[r];
        }
    }
    size_t quorum = (size_t)k / 2 + 1;
    if (best_n < quorum) {
        if (open > 0)
            return ROUTER_OUTCOME_WAIT;
        if (best < 0 || best_n == second_n)
            return ROUTER_OUTCOME_REVIEW;
    }
    if (best == 0)
        return ROUTER_OUTCOME_REJECT;
    if (best == 1 || n == 0) /* n > 0 here: a best has a count */
        return ROUTER_OUTCOME_REVIEW;
    /*  Half triage's priority, half the mean severity and harm of the
     *  submitted assessments (each 1-5: together 20-100), rounded half up,
     *  in integers: (p * m + 10 * (S + H)) / (2 m). */
    int64_t sum = 0, m = (int64_t)n;
    for (size_t i = 0; i < n; i++)
        sum += submitted[i].severity + submitted[i].harm;
    int64_t num = (int64_t)triage_priority * m + 10 * sum, den = 2 * m;
    int64_t p = (2 * num + den) / (2 * den);
    *priority = p > 100 ? 100 : (int)p;
    return ROUTER_OUTCOME_ROUTE;
}

const char *router_outcome_name(router_outcome_t outcome)
{
    switch (outcome) {
    case ROUTER_OUTCOME_ROUTE: return "route";
    case ROUTER_OUTCOME_REJECT: return "reject";
    case ROUTER_OUTCOME_REVIEW: return "review";
    default: return NULL;
    }
}

/*  ---- packing ---- */

static Gongyi__V1__Origin *s_origin(Gongyi__V1__Origin *o, const char *producer,
                                    const char *reference)
{
    if (!producer || !producer[0])
        return NULL;
    gongyi__v1__origin__init(o);
    o->producer = (char *)producer;
    o->reference_id = (char *)reference;
    return o;
}

uint8_t *router_pack_assessment_requested(const char *clue_id, const char *task_id,
                                          const char *volunteer_id, const char *field_code,
                                          int64_t due_ms, const char *appointing,
                                          const char *origin_producer, const char *origin_reference,
                                          size_t *len_p)
{
    Gongyi__V1__AssessmentRequested m = GONGYI__V1__ASSESSMENT_REQUESTED__INIT;
    Gongyi__V1__Origin origin;
    m.clue_id = (char *)clue_id;
    m.task_id = (char *)task_id;
    m.volunteer_id = (char *)volunteer_id;
    m.field_code = (char *)field_code;
    m.due_unix_ms = due_ms;
    m.procuratorate = (char *)appointing;
    m.origin = s_origin(&origin, origin_producer, origin_reference);
    *len_p = gongyi__v1__assessment_requested__get_packed_size(&m);
    uint8_t *out = gy_malloc(*len_p ? *len_p : 1);
    gongyi__v1__assessment_requested__pack(&m, out);
    return out;
}

/*  ---- the steps ---- */

static const char s_sql_task[] =
    "SELECT clue_id, status, version, volunteer_id FROM router.assess_task_state($1::uuid)";
#define S_CLUE_COLUMNS                                                                             \
    "SELECT id, status, version, assess_k, priority, procuratorate, field_code, routed_body,"      \
    "       origin_producer, origin_reference"
#define S_CLUE_OF_TASK "(SELECT t.clue_id FROM router.assessment_task t WHERE t.id = $1::uuid)"
static const char s_sql_clue_of_task[] =
    S_CLUE_COLUMNS " FROM router.assess_clue_state(" S_CLUE_OF_TASK ")";
static const char s_sql_tasks_of_task[] = "SELECT id, status, recommendation, severity, harm"
                                          "  FROM router.assess_tasks(" S_CLUE_OF_TASK ")";
static const char s_sql_assessors_of_task[] =
    "SELECT volunteer_id, procuratorate FROM router.assessors_for(" S_CLUE_OF_TASK ", 1)";
static const char s_sql_clue[] = S_CLUE_COLUMNS " FROM router.assess_clue_state($1::uuid)";
static const char s_sql_task_step[] = "SELECT router.task_step($1::uuid, $2, $3::int, $4, $5::int,"
                                      " $6::int, $7::int, $8, $9, $10::bigint)";
static const char s_sql_clue_guard[] = "SELECT router.clue_guard($1::uuid, $2, $3::int)";
static const char s_sql_clue_outcome[] =
    "SELECT router.clue_outcome($1::uuid, $2, $3::int, $4, $5::bigint)";
static const char s_sql_task_insert[] =
    "SELECT router.task_insert($1::uuid, $2::uuid, $3::uuid, $4::bigint, $5, $6::uuid,"
    " $7::bigint, $8, $9, $10::bytea)";
/*  A decline records the volunteer's conflict with the clue: their standing
 *  changed, announced as every registry change is (VolunteerChanged,
 *  router_api.c's registry writes; 0015's version guard). */
static const char s_sql_standing[] =
    "SELECT version, procuratorate, city, status, roles::text, expertise::text, term_start,"
    " term_end, conflicts::text FROM router.volunteer_public($1::uuid, NULL)";
static const char s_sql_volunteer_event[] =
    "SELECT router.volunteer_event('{\"status\":200}'::json, $1::uuid, $2::bigint, $3, $4::uuid,"
    " $5::bigint, $6, $7, $8::bytea)";
static const char s_sql_task_answer[] = "SELECT router.task_answer($1::uuid, $2)::text";
static const char s_sql_clue_answer[] = "SELECT router.clue_answer($1::uuid)::text";

typedef enum { S_SUBMIT, S_DECLINE, S_EXPIRE, S_REVIEW } s_kind_t;

typedef struct {
    char id[37];
    char status[16];
    char recommendation[8];
    int severity, harm;
} s_task_row_t;

typedef struct {
    router_transfer_ctx_t ctx;
    s_kind_t kind;
    char id[37]; /* the task, or (review) the clue */
    char *volunteer, *prefix, *actor, *decision, *reason_code, *reason;
    router_scores_t scores; /* submit; strings owned */
    int64_t due_ms;
    router_answer_cb *cb;
    void *arg;
    int tries;
    /* what the read found */
    bool task_found;
    char task_status[16], task_version[12], task_volunteer[37];
    bool clue_found;
    char clue_id[37], clue_status[16], clue_version[12];
    int assess_k, priority;
    char procuratorate[7], field_code[33];
    uint8_t *routed_body;
    size_t routed_len;
    char *origin_producer, *origin_reference;
    s_task_row_t *tasks;
    size_t ntasks;
    bool has_candidate;
    char candidate[37], candidate_proc[7];
    bool has_standing; /* a decline: the volunteer's standing */
    router_standing_t standing;
    /* what the write answers */
    size_t answer_index;
    char *stored;
} s_job_t;

static void s_read(s_job_t *job);

static void s_read_free(s_job_t *job)
{
    free(job->routed_body);
    free(job->origin_producer);
    free(job->origin_reference);
    free(job->tasks);
    job->routed_body = NULL;
    job->origin_producer = job->origin_reference = NULL;
    job->tasks = NULL;
    job->ntasks = 0;
    job->task_found = job->clue_found = job->has_candidate = job->has_standing = false;
    router_standing_clear(&job->standing);
}

static void s_finish(s_job_t *job, router_answer_t *answer)
{
    job->cb(job->arg, answer);
    s_read_free(job);
    free(job->volunteer);
    free(job->prefix);
    free(job->actor);
    free(job->decision);
    free(job->reason_code);
    free(job->reason);
    free((char *)job->scores.recommendation);
    free((char *)job->scores.comment);
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
           "the assessment cannot be stored now; nothing was changed; retry later");
}

static void s_nothing_to_do(s_job_t *job)
{
    router_answer_t answer = {.status = 200};
    s_finish(job, &answer);
}

/*  ---- the write ---- */

static void s_on_write_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_job_t *job = arg;
    if (job->answer_index && index == job->answer_index && gy_pg_ntuples(res) == 1) {
        free(job->stored);
        job->stored = gy_strdup(gy_pg_value(res, 0, 0));
    }
}

static void s_on_write_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_job_t *job = arg;
    json_t *body;
    router_answer_t failure;
    /*  An expiry answers nobody: it has no result to read back. */
    bool want_body = job->kind != S_EXPIRE;
    switch (router_write_judge(status, sqlstate, job->tries, job->stored, want_body,
                               job->ctx.outbox, "assessment step", job->id, &body, &failure)) {
    case ROUTER_WRITE_RETRY:
        s_read(job); /* decide again on what is stored now */
        return;
    case ROUTER_WRITE_UNAVAILABLE: s_unavailable(job); return;
    case ROUTER_WRITE_FAILED: s_finish(job, &failure); return;
    case ROUTER_WRITE_STORED: break;
    }
    if (!want_body) {
        s_nothing_to_do(job);
        return;
    }
    router_answer_t answer = {.status = 200, .body = body};
    s_finish(job, &answer);
}

static void s_append(s_job_t *job, gy_pg_tx_t *tx, const char *type, const uint8_t *body,
                     size_t len)
{
    char event_id[37], trace[37];
    gy_uuid(event_id);
    gy_uuid(trace);
    gy_outbox_event_t ev = {.event_id = event_id,
                            .type = type,
                            .time_ms = gy_now_ms(),
                            .trace_id = trace,
                            .procuratorate = job->procuratorate,
                            .body = body,
                            .body_len = len};
    gy_outbox_tx_append(tx, job->ctx.producer, &ev);
}

/*  The held ClueRouted, now with its final priority: unpacked, changed,
 *  packed again (never appended to as bytes). */
static int s_add_routed(s_job_t *job, gy_pg_tx_t *tx, int priority)
{
    Gongyi__V1__ClueRouted *held =
        job->routed_body ? gongyi__v1__clue_routed__unpack(NULL, job->routed_len, job->routed_body)
                         : NULL;
    if (!held) {
        gy_log_error("clue %s has no held ClueRouted to release", job->clue_id);
        return -1;
    }
    held->priority = (uint32_t)priority;
    size_t len = gongyi__v1__clue_routed__get_packed_size(held);
    uint8_t *body = gy_malloc(len ? len : 1);
    gongyi__v1__clue_routed__pack(held, body);
    gongyi__v1__clue_routed__free_unpacked(held, NULL);
    s_append(job, tx, "ClueRouted", body, len);
    free(body);
    return 0;
}

static void s_add_rejected(s_job_t *job, gy_pg_tx_t *tx, const char *code, const char *reason,
                           const char *by)
{
    Gongyi__V1__ClueRejected m = GONGYI__V1__CLUE_REJECTED__INIT;
    Gongyi__V1__Origin origin;
    m.clue_id = job->clue_id;
    m.procuratorate = job->procuratorate;
    m.reason_code = (char *)code;
    m.reason = (char *)reason;
    m.decided_by = (char *)by;
    m.origin = s_origin(&origin, job->origin_producer, job->origin_reference);
    size_t len = gongyi__v1__clue_rejected__get_packed_size(&m);
    uint8_t *body = gy_malloc(len ? len : 1);
    gongyi__v1__clue_rejected__pack(&m, body);
    s_append(job, tx, "ClueRejected", body, len);
    free(body);
}

static void s_add_recorded(s_job_t *job, gy_pg_tx_t *tx)
{
    Gongyi__V1__AssessmentRecorded m = GONGYI__V1__ASSESSMENT_RECORDED__INIT;
    Gongyi__V1__Origin origin;
    m.clue_id = job->clue_id;
    m.task_id = job->id;
    m.volunteer_id = job->task_volunteer;
    m.credibility = (uint32_t)job->scores.credibility;
    m.severity = (uint32_t)job->scores.severity;
    m.public_interest_harm = (uint32_t)job->scores.harm;
    m.recommendation = (char *)job->scores.recommendation;
    m.comment = (char *)job->scores.comment;
    m.origin = s_origin(&origin, job->origin_producer, job->origin_reference);
    size_t len = gongyi__v1__assessment_recorded__get_packed_size(&m);
    uint8_t *body = gy_malloc(len ? len : 1);
    gongyi__v1__assessment_recorded__pack(&m, body);
    s_append(job, tx, "AssessmentRecorded", body, len);
    free(body);
}

/*  The decliner's standing with the conflict the decline records
 *  (router.task_step counts their version up). */
static void s_add_standing(s_job_t *job, gy_pg_tx_t *tx)
{
    router_standing_conflict(&job->standing, "clue", job->clue_id, job->task_volunteer);
    snprintf(job->standing.volunteer_id, sizeof job->standing.volunteer_id, "%s",
             job->task_volunteer);
    char version[24], event_id[37], trace[37], time_ms[24];
    snprintf(version, sizeof version, "%" PRIu64, job->standing.version);
    gy_uuid(event_id);
    gy_uuid(trace);
    snprintf(time_ms, sizeof time_ms, "%" PRId64, gy_now_ms());
    size_t len;
    uint8_t *body = router_standing_pack(&job->standing, &len);
    const char *values[] = {
        job->task_volunteer,         version,           job->ctx.producer, event_id, time_ms, trace,
        job->standing.procuratorate, (const char *)body};
    int lengths[8] = {0};
    lengths[7] = (int)len;
    gy_pg_tx_add(tx, "assess_volunteer_event", 8, values, lengths);
    free(body);
}

/*  Asks the candidate the read found to assess the clue instead. */
static bool s_add_new_task(s_job_t *job, gy_pg_tx_t *tx)
{
    if (!job->has_candidate)
        return false;
    char task_id[37], event_id[37], trace[37], due[24], time_ms[24];
    gy_uuid(task_id);
    gy_uuid(event_id);
    gy_uuid(trace);
    int64_t now = gy_now_ms();
    snprintf(due, sizeof due, "%" PRId64, job->due_ms);
    snprintf(time_ms, sizeof time_ms, "%" PRId64, now);
    size_t len;
    uint8_t *body = router_pack_assessment_requested(
        job->clue_id, task_id, job->candidate, job->field_code, job->due_ms, job->candidate_proc,
        job->origin_producer, job->origin_reference, &len);
    const char *values[] = {
        task_id, job->clue_id,       job->candidate,    due, job->ctx.producer, event_id, time_ms,
        trace,   job->procuratorate, (const char *)body};
    int lengths[10] = {0};
    lengths[9] = (int)len;
    gy_pg_tx_add(tx, "assess_task_insert", 10, values, lengths);
    free(body);
    return true;
}

/*  The clue's outcome after this step, when it is under assessment; adds
 *  its writes and event.  Returns the decision's name, or NULL (wait). */
static const char *s_add_outcome(s_job_t *job, gy_pg_tx_t *tx, bool asked_another)
{
    if (strcmp(job->clue_status, "assessing") != 0 || job->assess_k <= 0)
        return NULL;
    router_assessment_t *subs = gy_calloc(job->ntasks + 1, sizeof *subs);
    size_t n = 0, open = asked_another ? 1 : 0;
    for (size_t i = 0; i < job->ntasks; i++) {
        const s_task_row_t *t = &job->tasks[i];
        if (strcmp(t->id, job->id) == 0)
            continue; /* this task: as it will be */
        if (strcmp(t->status, "assigned") == 0)
            open++;
        else if (strcmp(t->status, "submitted") == 0)
            subs[n++] = (router_assessment_t){t->recommendation, t->severity, t->harm};
    }
    if (job->kind == S_SUBMIT)
        subs[n++] = (router_assessment_t){job->scores.recommendation, job->scores.severity,
                                          job->scores.harm};
    int priority = job->priority;
    router_outcome_t outcome =
        router_assess_decide(job->assess_k, subs, n, open, job->priority, &priority);
    free(subs);
    if (outcome == ROUTER_OUTCOME_WAIT)
        return NULL;
    if (outcome == ROUTER_OUTCOME_ROUTE && !job->routed_body) {
        gy_log_error("clue %s is under assessment without its ClueRouted; left as it is",
                     job->clue_id);
        return NULL;
    }
    int event = outcome == ROUTER_OUTCOME_ROUTE    ? ROUTER_CLUE_QUORUM_ROUTE
                : outcome == ROUTER_OUTCOME_REJECT ? ROUTER_CLUE_QUORUM_REJECT
                                                   : ROUTER_CLUE_QUORUM_REVIEW;
    int next = gy_machine_next(&router_clue_machine, ROUTER_CLUE_ASSESSING, event);
    assert(next != GY_MACHINE_REFUSED);
    char prio[12], at[24];
    snprintf(prio, sizeof prio, "%d", priority);
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    const char *values[] = {job->clue_id, gy_machine_state_name(&router_clue_machine, next), prio,
                            "assessment", at};
    gy_pg_tx_add(tx, "assess_clue_outcome", 5, values, NULL);
    if (outcome == ROUTER_OUTCOME_ROUTE && s_add_routed(job, tx, priority) < 0)
        return NULL; /* logged; the clue stays as it is for a person to see */
    if (outcome == ROUTER_OUTCOME_REJECT)
        s_add_rejected(job, tx, "no_public_interest",
                       "the expert volunteers found no harm to the public interest", "assessment");
    return router_outcome_name(outcome);
}

static void s_decide_task(s_job_t *job)
{
    const gy_machine_t *m = &router_task_machine;
    bool mine = job->kind == S_EXPIRE || strcmp(job->task_volunteer, job->volunteer) == 0;
    if (!job->task_found || !mine) {
        if (job->kind == S_EXPIRE)
            s_nothing_to_do(job);
        else
            s_fail(job, 404, "not_found", NULL, "no such task");
        return;
    }
    int state = gy_machine_state_of(m, job->task_status);
    int event = job->kind == S_SUBMIT    ? ROUTER_TASK_SUBMIT
                : job->kind == S_DECLINE ? ROUTER_TASK_DECLINE
                                         : ROUTER_TASK_EXPIRE;
    int next = state < 0 ? GY_MACHINE_REFUSED : gy_machine_next(m, state, event);
    if (state < 0 || !job->clue_found) {
        gy_log_error("task %s: status \"%s\" or its clue unknown", job->id, job->task_status);
        s_fail(job, 500, "internal", NULL, "internal error");
        return;
    }
    if (next == GY_MACHINE_REFUSED) {
        if (job->kind == S_EXPIRE) { /* submitted or declined meanwhile */
            s_nothing_to_do(job);
            return;
        }
        router_answer_t answer = {.status = 409, .code = "invalid_state", .field = "status"};
        gy_machine_refusal(m, state, event, answer.message, sizeof answer.message);
        s_finish(job, &answer);
        return;
    }
    gy_pg_tx_t *tx = gy_pg_tx_new();
    char cred[4] = "", sev[4] = "", harm[4] = "";
    if (job->kind == S_SUBMIT) {
        snprintf(cred, sizeof cred, "%d", job->scores.credibility);
        snprintf(sev, sizeof sev, "%d", job->scores.severity);
        snprintf(harm, sizeof harm, "%d", job->scores.harm);
    }
    bool submit = job->kind == S_SUBMIT;
    char at[24]; /* the router's clock, as the events' times */
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    const char *step[] = {job->id,
                          job->task_status,
                          job->task_version,
                          gy_machine_state_name(m, next),
                          submit ? cred : NULL,
                          submit ? sev : NULL,
                          submit ? harm : NULL,
                          submit ? job->scores.recommendation : NULL,
                          submit ? job->scores.comment : job->reason,
                          at};
    gy_pg_tx_add(tx, "assess_task_step", 10, step, NULL);
    /*  Every step of a task moves its clue's version: two assessors
     *  submitting together cannot both miss the quorum. */
    const char *guard[] = {job->clue_id, job->clue_status, job->clue_version};
    gy_pg_tx_add(tx, "assess_clue_guard", 3, guard, NULL);
    bool asked = false;
    if (submit)
        s_add_recorded(job, tx);
    else
        asked = s_add_new_task(job, tx);
    if (job->kind == S_DECLINE && job->has_standing)
        s_add_standing(job, tx);
    const char *decision = s_add_outcome(job, tx, asked);
    if (job->kind != S_EXPIRE) {
        const char *values[] = {job->id, decision ? decision : ""};
        job->answer_index = gy_pg_tx_size(tx);
        gy_pg_tx_add(tx, "assess_task_answer", 2, values, NULL);
    }
    if (gy_pg_run(job->ctx.pg, &tx, s_on_write_row, s_on_write_done, job) < 0)
        s_unavailable(job);
}

static void s_decide_review(s_job_t *job)
{
    const gy_machine_t *m = &router_clue_machine;
    if (!job->clue_found || strncmp(job->procuratorate, job->prefix, strlen(job->prefix)) != 0) {
        s_fail(job, 404, "not_found", NULL, "no such clue");
        return;
    }
    bool route = strcmp(job->decision, "route") == 0;
    int event = route ? ROUTER_CLUE_DECIDE_ROUTE : ROUTER_CLUE_DECIDE_REJECT;
    int state = gy_machine_state_of(m, job->clue_status);
    int next = state < 0 ? GY_MACHINE_REFUSED : gy_machine_next(m, state, event);
    if (next == GY_MACHINE_REFUSED) {
        router_answer_t answer = {.status = 409, .code = "invalid_state", .field = "status"};
        if (state < 0)
            snprintf(answer.message, sizeof answer.message,
                     "the clue is %s; it is not decided here", job->clue_status);
        else
            gy_machine_refusal(m, state, event, answer.message, sizeof answer.message);
        s_finish(job, &answer);
        return;
    }
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *guard[] = {job->clue_id, job->clue_status, job->clue_version};
    gy_pg_tx_add(tx, "assess_clue_guard", 3, guard, NULL);
    char prio[12], at[24];
    snprintf(prio, sizeof prio, "%d", job->priority);
    snprintf(at, sizeof at, "%" PRId64, gy_now_ms());
    const char *values[] = {job->clue_id, gy_machine_state_name(m, next), prio, job->actor, at};
    gy_pg_tx_add(tx, "assess_clue_outcome", 5, values, NULL);
    if (route && s_add_routed(job, tx, job->priority) < 0) {
        gy_pg_tx_destroy(&tx);
        s_fail(job, 500, "internal", NULL, "internal error");
        return;
    }
    if (!route)
        s_add_rejected(job, tx, job->reason_code, job->reason, job->actor);
    const char *answer[] = {job->clue_id};
    job->answer_index = gy_pg_tx_size(tx);
    gy_pg_tx_add(tx, "assess_clue_answer", 1, answer, NULL);
    if (gy_pg_run(job->ctx.pg, &tx, s_on_write_row, s_on_write_done, job) < 0)
        s_unavailable(job);
}

/*  ---- the read ---- */

static void s_clue_row(s_job_t *job, const gy_pg_result_t *res)
{
    if (gy_pg_ntuples(res) != 1)
        return;
    job->clue_found = true;
    snprintf(job->clue_id, sizeof job->clue_id, "%s", gy_pg_value(res, 0, 0));
    snprintf(job->clue_status, sizeof job->clue_status, "%s", gy_pg_value(res, 0, 1));
    snprintf(job->clue_version, sizeof job->clue_version, "%s", gy_pg_value(res, 0, 2));
    job->assess_k = atoi(gy_pg_value(res, 0, 3));
    job->priority = atoi(gy_pg_value(res, 0, 4));
    snprintf(job->procuratorate, sizeof job->procuratorate, "%s", gy_pg_value(res, 0, 5));
    snprintf(job->field_code, sizeof job->field_code, "%s", gy_pg_value(res, 0, 6));
    if (!gy_pg_isnull(res, 0, 7))
        job->routed_body = gy_pg_bytea(res, 0, 7, &job->routed_len);
    job->origin_producer = gy_strdup(gy_pg_value(res, 0, 8));
    job->origin_reference = gy_strdup(gy_pg_value(res, 0, 9));
}

static void s_on_read_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_job_t *job = arg;
    int rows = gy_pg_ntuples(res);
    if (job->kind == S_REVIEW) {
        s_clue_row(job, res);
        return;
    }
    if (index == 0 && rows == 1) {
        job->task_found = true;
        snprintf(job->task_status, sizeof job->task_status, "%s", gy_pg_value(res, 0, 1));
        snprintf(job->task_version, sizeof job->task_version, "%s", gy_pg_value(res, 0, 2));
        snprintf(job->task_volunteer, sizeof job->task_volunteer, "%s", gy_pg_value(res, 0, 3));
    } else if (index == 1) {
        s_clue_row(job, res);
    } else if (index == 2) {
        job->tasks = gy_calloc(rows > 0 ? (size_t)rows : 1, sizeof *job->tasks);
        for (int r = 0; r < rows; r++) {
            s_task_row_t *t = &job->tasks[job->ntasks++];
            snprintf(t->id, sizeof t->id, "%s", gy_pg_value(res, r, 0));
            snprintf(t->status, sizeof t->status, "%s", gy_pg_value(res, r, 1));
            snprintf(t->recommendation, sizeof t->recommendation, "%s", gy_pg_value(res, r, 2));
            t->severity = atoi(gy_pg_value(res, r, 3));
            t->harm = atoi(gy_pg_value(res, r, 4));
        }
    } else if (index == 3 && rows >= 1) {
        job->has_candidate = true;
        snprintf(job->candidate, sizeof job->candidate, "%s", gy_pg_value(res, 0, 0));
        snprintf(job->candidate_proc, sizeof job->candidate_proc, "%s", gy_pg_value(res, 0, 1));
    } else if (index == 4 && rows == 1) {
        const char *cols[9];
        for (int i = 0; i < 9; i++)
            cols[i] = gy_pg_value(res, 0, i);
        router_standing_from_row(&job->standing, job->volunteer, cols);
        job->has_standing = true;
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
    if (job->kind == S_REVIEW)
        s_decide_review(job);
    else
        s_decide_task(job);
}

static void s_read(s_job_t *job)
{
    job->tries++;
    s_read_free(job);
    job->answer_index = 0;
    gy_pg_tx_t *tx = gy_pg_tx_new();
    const char *values[] = {job->id};
    if (job->kind == S_REVIEW) {
        gy_pg_tx_add(tx, "assess_clue", 1, values, NULL);
    } else {
        gy_pg_tx_add(tx, "assess_task", 1, values, NULL);
        gy_pg_tx_add(tx, "assess_clue_of_task", 1, values, NULL);
        gy_pg_tx_add(tx, "assess_tasks_of_task", 1, values, NULL);
        if (job->kind != S_SUBMIT)
            gy_pg_tx_add(tx, "assess_assessors_of_task", 1, values, NULL);
        if (job->kind == S_DECLINE) {
            const char *who[] = {job->volunteer};
            gy_pg_tx_add(tx, "assess_standing", 1, who, NULL);
        }
    }
    if (gy_pg_run(job->ctx.pg, &tx, s_on_read_row, s_on_read_done, job) < 0)
        s_unavailable(job);
}

/*  ---- life cycle ---- */

void router_assess_prepare(gy_pg_t *pg)
{
    gy_pg_prepare(pg, "assess_task", s_sql_task);
    gy_pg_prepare(pg, "assess_clue_of_task", s_sql_clue_of_task);
    gy_pg_prepare(pg, "assess_tasks_of_task", s_sql_tasks_of_task);
    gy_pg_prepare(pg, "assess_assessors_of_task", s_sql_assessors_of_task);
    gy_pg_prepare(pg, "assess_clue", s_sql_clue);
    gy_pg_prepare(pg, "assess_task_step", s_sql_task_step);
    gy_pg_prepare(pg, "assess_clue_guard", s_sql_clue_guard);
    gy_pg_prepare(pg, "assess_clue_outcome", s_sql_clue_outcome);
    gy_pg_prepare(pg, "assess_task_insert", s_sql_task_insert);
    gy_pg_prepare(pg, "assess_task_answer", s_sql_task_answer);
    gy_pg_prepare(pg, "assess_standing", s_sql_standing);
    gy_pg_prepare(pg, "assess_volunteer_event", s_sql_volunteer_event);
    gy_pg_prepare(pg, "assess_clue_answer", s_sql_clue_answer);
}

static char *s_dup(const char *s)
{
    return s ? gy_strdup(s) : NULL;
}

static s_job_t *s_job(const router_transfer_ctx_t *ctx, s_kind_t kind, const char *id,
                      router_answer_cb *cb, void *arg)
{
    assert(ctx && ctx->pg && ctx->producer && id && gy_uuid_valid(id) && cb);
    s_job_t *job = gy_calloc(1, sizeof *job);
    job->ctx = *ctx;
    job->ctx.producer = gy_strdup(ctx->producer);
    job->kind = kind;
    snprintf(job->id, sizeof job->id, "%s", id);
    for (char *c = job->id; *c; c++) /* as PostgreSQL writes it */
        *c = (char)tolower((unsigned char)*c);
    job->cb = cb;
    job->arg = arg;
    return job;
}

int router_assess_submit(const router_transfer_ctx_t *ctx, const char *task, const char *volunteer,
                         const router_scores_t *scores, router_answer_cb *cb, void *arg)
{
    assert(volunteer && scores && scores->recommendation);
    if (!gy_pg_up(ctx->pg))
        return -1;
    s_job_t *job = s_job(ctx, S_SUBMIT, task, cb, arg);
    job->volunteer = gy_strdup(volunteer);
    job->scores = *scores;
    job->scores.recommendation = gy_strdup(scores->recommendation);
    job->scores.comment = gy_strdup(scores->comment ? scores->comment : "");
    s_read(job);
    return 0;
}

int router_assess_decline(const router_transfer_ctx_t *ctx, const char *task, const char *volunteer,
                          const char *reason, int64_t due_ms, router_answer_cb *cb, void *arg)
{
    assert(volunteer && reason);
    if (!gy_pg_up(ctx->pg))
        return -1;
    s_job_t *job = s_job(ctx, S_DECLINE, task, cb, arg);
    job->volunteer = gy_strdup(volunteer);
    job->reason = gy_strdup(reason);
    job->due_ms = due_ms;
    s_read(job);
    return 0;
}

int router_assess_expire(const router_transfer_ctx_t *ctx, const char *task, int64_t due_ms,
                         router_answer_cb *cb, void *arg)
{
    if (!gy_pg_up(ctx->pg))
        return -1;
    s_job_t *job = s_job(ctx, S_EXPIRE, task, cb, arg);
    job->due_ms = due_ms;
    s_read(job);
    return 0;
}

int router_assess_review(const router_transfer_ctx_t *ctx, const char *clue, const char *prefix,
                         const char *actor, const char *decision, const char *reason_code,
                         const char *reason, router_answer_cb *cb, void *arg)
{
    assert(prefix && actor && decision && reason);
    assert(strcmp(decision, "route") == 0 || (strcmp(decision, "reject") == 0 && reason_code));
    if (!gy_pg_up(ctx->pg))
        return -1;
    s_job_t *job = s_job(ctx, S_REVIEW, clue, cb, arg);
    job->prefix = gy_strdup(prefix);
    job->actor = gy_strdup(actor);
    job->decision = gy_strdup(decision);
    job->reason_code = s_dup(reason_code);
    job->reason = gy_strdup(reason);
    s_read(job);
    return 0;
}
