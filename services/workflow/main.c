/*  gy-workflow — consumes the router's events exactly once and reviews
 *  every clue routed to a procuratorate's handling queue (线索审查):
 *  assignment (by a person, or round-robin), and the decision — 不立案,
 *  立案 (a case), or joining an open case — each an event on the bus.  Its
 *  HTTP API serves prosecutors and chief prosecutors.  Configuration:
 *  environment variables, see docs/configuration.md and docs/workflow.md. */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "gy_clock.h"
#include "gy_service.h"
#include "gy_util.h"
#include "workflow_server.h"

static void s_stop(void *arg)
{
    workflow_server_stop(arg);
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: gy-workflow\nConfigured by GY_* environment variables; "
                        "see docs/configuration.md.\n");
        return 2;
    }
    if (gy_log_init("workflow", getenv("GY_LOG_LEVEL")) < 0) {
        gy_log_error("invalid value for GY_LOG_LEVEL: use error, warning, info or debug");
        return 1;
    }
    if (gy_clock_init() < 0)
        return 1; /* logged */
    uv_loop_t loop;
    uv_loop_init(&loop);
    workflow_server_t *server = workflow_server_new(&loop);
    if (!server) {
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        return 1;
    }
    int rc = gy_service_run(&loop, s_stop, server);
    workflow_server_destroy(&server);
    gy_log_info("stopped");
    return rc == 0 ? 0 : 1;
}
