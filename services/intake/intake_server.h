/*  intake_server — the intake service wired together: configuration,
 *  start-up (migrations, reference data), the HTTP API, the bus endpoints
 *  (events, replay, submissions), health and metrics.
 */
#ifndef INTAKE_SERVER_H
#define INTAKE_SERVER_H

#include <uv.h>

typedef struct intake_server intake_server_t;

/*  Reads the configuration from the environment, prepares the database
 *  (waiting for it up to GY_PG_START_TIMEOUT_S seconds) and starts
 *  listening.  NULL (logged) when it cannot; then run the loop once to
 *  release what was half-built. */
intake_server_t *intake_server_new(uv_loop_t *loop);

/*  Closes listeners and connections; the loop ends when they are closed. */
void intake_server_stop(intake_server_t *self);

/*  Frees what is left after the loop ended. */
void intake_server_destroy(intake_server_t **self_p);

#endif
