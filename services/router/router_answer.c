/*  router_answer — see router_answer.h. */
#include "router_answer.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "gy_route.h"
#include "gy_text.h"
#include "gy_util.h"

static router_write_t s_failed(router_answer_t *failure, int status, const char *code,
                               const char *message)
{
    *failure = (router_answer_t){.status = status, .code = code};
    snprintf(failure->message, sizeof failure->message, "%s", message);
    return ROUTER_WRITE_FAILED;
}

router_write_t router_write_judge(gy_pg_status_t status, const char *sqlstate, int tries,
                                  const char *stored, bool want_body, gy_outbox_t *outbox,
                                  const char *what, const char *id, json_t **body_p,
                                  router_answer_t *failure)
{
    assert(body_p && failure);
    *body_p = NULL;
    if (gy_pg_conflict(status, sqlstate, true)) {
        if (tries < ROUTER_WRITE_TRIES)
            return ROUTER_WRITE_RETRY;
        gy_log_warning("%s on %s still conflicts after %d tries", what, id, tries);
        return s_failed(failure, 409, "conflict", GY_CONFLICT_MESSAGE);
    }
    if (status == GY_PG_LOST && outbox)
        gy_outbox_check(outbox);
    if (status != GY_PG_OK)
        return ROUTER_WRITE_UNAVAILABLE;
    if (outbox)
        gy_outbox_check(outbox); /* the relay reads the committed events from the outbox */
    if (!want_body)
        return ROUTER_WRITE_STORED;
    json_t *body = stored ? json_loads(stored, 0, NULL) : NULL;
    if (!json_is_object(body)) {
        char excerpt[200]; /* the answer, cut at a character boundary */
        gy_text_excerpt(excerpt, sizeof excerpt, stored ? stored : "(no row)");
        gy_log_error("%s write on %s answered no result: %s", what, id, excerpt);
        json_decref(body);
        return s_failed(failure, 500, "internal", "internal error");
    }
    *body_p = body;
    return ROUTER_WRITE_STORED;
}
