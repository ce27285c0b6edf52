/*  router_server — the router service wired together: configuration,
 *  start-up (migrations, reference data, triage rules), the consumer of
 *  ClueReceived (gy_consumer), the outbox relay and replay of its own events
 *  (gy_outbox), the HTTP endpoints (health with consumer positions,
 *  metrics).
 */
#ifndef ROUTER_SERVER_H
#define ROUTER_SERVER_H

#include <uv.h>

typedef struct router_server router_server_t;

/*  Reads the configuration from the environment, prepares the database
 *  (waiting for it up to GY_PG_START_TIMEOUT_S seconds) and starts
 *  listening.  NULL (logged) when it cannot; then run the loop once to
 *  release what was half-built. */
router_server_t *router_server_new(uv_loop_t *loop);

/*  Closes listeners and connections; the loop ends when they are closed. */
void router_server_stop(router_server_t *self);

/*  Frees what is left after the loop ended. */
void router_server_destroy(router_server_t **self_p);

#endif
