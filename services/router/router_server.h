/*  router_server — the router's wiring on the kit (gy_node, docs/kit.md):
 *  its configuration (reference data, triage rules, jurisdiction, the
 *  holiday calendar file; the routing settings, router_store; the API's
 *  keys and limits, router_api), the node's spec and hooks, and its parts
 *  built at start: the deadlines and the calendar (router_deadline, the
 *  file's calendar merged at start), the store that routes each
 *  ClueReceived in the node's consumer (router_store), and the API
 *  (router_api) when a seal key is configured.  The node brings the
 *  connections, migrations, bus endpoints, outbox relay and replay,
 *  consumer, Redis (with the API) and HTTP with /healthz (adding
 *  "assessment" and "calendar") and /metrics.
 *
 *      router_server_t *server = router_server_new(&loop);   // NULL: logged
 *      gy_service_run(&loop, stop_cb, server);   // stop_cb: router_server_stop
 *      router_server_destroy(&server);
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
