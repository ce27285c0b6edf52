/*  workflow_consult — expert consultation (专业咨询) on a case, the pure
 *  part: the task machine and the request bodies.  The HTTP routes, the
 *  matching and the due scan are workflow_volunteer_api's.
 *
 *  A prosecutor asks a question of `experts` volunteers; each volunteer
 *  asked has a task, a machine of its own:
 *
 *      state \ event   answer     decline    expire
 *      asked           answered   declined   late
 *      answered        -          -          -
 *      declined        -          -          -
 *      late            -          -          -
 *
 *  answer and decline are the volunteer's (by their token), expire the due
 *  scan's; a declined or late task is replaced by a task of the next
 *  matching volunteer (not by a change of this one), so every task keeps
 *  who was asked and what came of it.
 *
 *      workflow_consult_request_t r;
 *      gy_error_t err;
 *      if (workflow_consult_request_parse(body, len, now_ms, &r, &err) < 0)
 *          -> gy_reply_error(req, &err);
 *      int next = gy_machine_next(&workflow_consult_machine, WORKFLOW_CONSULT_ASKED,
 *                                 WORKFLOW_CONSULT_ANSWER);          // ..._ANSWERED
 */
#ifndef WORKFLOW_CONSULT_H
#define WORKFLOW_CONSULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gy_machine.h"
#include "gy_route.h"

enum {
    WORKFLOW_CONSULT_ASKED,
    WORKFLOW_CONSULT_ANSWERED,
    WORKFLOW_CONSULT_DECLINED,
    WORKFLOW_CONSULT_LATE,
    WORKFLOW_CONSULT_NSTATES
};
enum {
    WORKFLOW_CONSULT_ANSWER,
    WORKFLOW_CONSULT_DECLINE,
    WORKFLOW_CONSULT_EXPIRE,
    WORKFLOW_CONSULT_NEVENTS
};

extern const gy_machine_t workflow_consult_machine;

#define WORKFLOW_QUESTION_MAX     4000
#define WORKFLOW_ANSWER_MAX       20000
#define WORKFLOW_EXPERTS_MAX      10
#define WORKFLOW_CONSULT_DAYS     7 /* due_days when the request names no due */
#define WORKFLOW_CONSULT_DAYS_MAX 90

/*  POST /cases/{id}/consultations: {"question", "field"?, "experts"?,
 *  "due_at"? | "due_days"?}.  Strings are borrowed from the body's JSON,
 *  kept in root: call workflow_consult_request_clear. */
typedef struct {
    void *root;
    const char *question;
    const char *field; /* NULL: the case's */
    int experts;       /* 1..10, default 1 */
    int64_t due_ms;    /* from due_at (ISO 8601 instant, in the future and within 90 days of
                          now_ms) or now_ms + due_days (1..90, default 7) days */
} workflow_consult_request_t;

int workflow_consult_request_parse(const char *body, size_t len, int64_t now_ms,
                                   workflow_consult_request_t *r, gy_error_t *err);
void workflow_consult_request_clear(workflow_consult_request_t *r);

/*  POST /consultations/{id}/answer: {"answer", "references"?: [string]}
 *  (references: up to 20, each 1-500 characters).  references_json is the
 *  array re-serialised ("[]" when absent); the caller frees it. */
typedef struct {
    void *root;
    const char *answer;
    char *references_json;
} workflow_consult_answer_t;

int workflow_consult_answer_parse(const char *body, size_t len, workflow_consult_answer_t *a,
                                  gy_error_t *err);
void workflow_consult_answer_clear(workflow_consult_answer_t *a);

/*  POST /consultations/{id}/decline: {"reason", "conflict"?: bool}. */
typedef struct {
    void *root;
    const char *reason;
    bool conflict;
} workflow_consult_decline_t;

int workflow_consult_decline_parse(const char *body, size_t len, workflow_consult_decline_t *d,
                                   gy_error_t *err);
void workflow_consult_decline_clear(workflow_consult_decline_t *d);

/*  The body checks of these requests, shared with workflow_observation:
 *  a JSON object (duplicate keys refused; the caller json_decrefs root),
 *  members only from names (NULL-terminated), a string member of min..max
 *  characters (gy_text: no control characters, one line unless multiline;
 *  *out borrowed, NULL when absent and optional). */
int workflow_body_load(const char *body, size_t len, void **root, gy_error_t *err);
int workflow_body_known(void *root, const char *const *names, gy_error_t *err);
int workflow_body_string(void *root, const char *name, bool required, long min, long max,
                         bool multiline, const char **out, gy_error_t *err);

#endif
