/*  router_answer — what a decision taken in C (router_transfer,
 *  router_cluster) hands back to the HTTP handler that asked for it: a
 *  status and either the stored result or an error with its stable code.
 */
#ifndef ROUTER_ANSWER_H
#define ROUTER_ANSWER_H

#include <jansson.h>

typedef struct {
    int status;       /* HTTP status */
    json_t *body;     /* 2xx: the result as stored; the callback owns it */
    const char *code; /* otherwise: the error's stable code */
    char message[300];
    const char *field; /* the offending member, or NULL */
} router_answer_t;

/*  Runs exactly once per accepted request. */
typedef void(router_answer_cb)(void *arg, router_answer_t *answer);

#endif
