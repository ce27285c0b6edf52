/*  intake_server — intake on the kit (gy_node, docs/kit.md): its
 *  configuration (keys, limits, reference data, GY_ROUTER_SOURCES), the
 *  reference data synced at start, its routes, submissions over the bus,
 *  the store (its outbox relays on the node's connection and PUB) and the
 *  router's events for the reporter route.  The node brings the
 *  connections, migrations, bus endpoints, Redis and HTTP with /healthz
 *  (adding "outbox_lag") and /metrics.
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
