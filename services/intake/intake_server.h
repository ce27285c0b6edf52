/*  intake_server — intake's wiring on the kit (gy_node, docs/kit.md): its
 *  configuration (keys, rate limits, reference data, GY_ROUTER_SOURCES),
 *  the node's spec and hooks, and its parts built at start: the store
 *  (intake_store: its outbox relays on the node's connection and PUB), the
 *  routes (intake_http), submissions over the bus (intake_bus, on
 *  GY_BUS_SUBMIT), and with GY_ROUTER_SOURCES the router's events
 *  (intake_competence) for the reporter route (intake_reporter).  The
 *  reference data is synced at start (intake_refdata).  The node brings the
 *  connections, migrations, bus endpoints, Redis and HTTP with /healthz
 *  (adding "outbox_lag") and /metrics.
 *
 *      intake_server_t *server = intake_server_new(&loop);   // NULL: logged
 *      gy_service_run(&loop, stop_cb, server);   // stop_cb: intake_server_stop
 *      intake_server_destroy(&server);
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
