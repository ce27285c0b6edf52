/*  router_server — the router on the kit (gy_node, docs/kit.md): its
 *  configuration (triage rules, jurisdiction, calendar, duplicates,
 *  assessment, the registry's keys and limits), the calendar synced at
 *  start, the store that routes each ClueReceived in the node's consumer,
 *  and the API (router_api) when a seal key is configured.  The node brings
 *  the connections, migrations, bus endpoints, outbox relay and replay,
 *  consumer, Redis (with the API) and HTTP with /healthz (adding
 *  "assessment") and /metrics.
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
