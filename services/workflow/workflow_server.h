/*  workflow_server — the workflow service on the kit (gy_node): its spec
 *  (schema workflow, migrations, the router's events consumed exactly once
 *  by workflow_store, the HTTP API of workflow_api) and nothing else.
 *
 *      workflow_server_t *server = workflow_server_new(&loop);  // NULL: logged
 *      gy_service_run(&loop, stop_cb, server);  // stop_cb: workflow_server_stop
 *      workflow_server_destroy(&server);
 */
#ifndef WORKFLOW_SERVER_H
#define WORKFLOW_SERVER_H

#include <uv.h>

typedef struct workflow_server workflow_server_t;

workflow_server_t *workflow_server_new(uv_loop_t *loop);
void workflow_server_stop(workflow_server_t *self);
void workflow_server_destroy(workflow_server_t **self_p);

#endif
