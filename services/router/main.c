/*  gy-router — consumes ClueReceived from every intake exactly once:
 *  triages each clue, decides the competent procuratorate and its duplicate
 *  cluster, and announces ClueRouted (with GY_ASSESSMENT=on a new matter
 *  goes to volunteer assessors first: AssessmentRequested); keeps the
 *  reporter's deadlines on the holiday calendar (ClueDeadlineDue).  Its
 *  HTTP API (with a seal key) runs the volunteer registry, the
 *  prosecutors' queues, reclassification, transfers, duplicate clusters
 *  and reviews, and the assessors' tasks.  Configuration: environment
 *  variables, see docs/configuration.md and docs/router.md. */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "gy_clock.h"
#include "gy_service.h"
#include "gy_util.h"
#include "router_server.h"

static void s_stop(void *arg)
{
    router_server_stop(arg);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: gy-router\nConfigured by GY_* environment variables; "
                        "see docs/configuration.md.\n");
        return 2;
    }
    if (gy_log_init("router", getenv("GY_LOG_LEVEL")) < 0) {
        gy_log_error("invalid value for GY_LOG_LEVEL: use error, warning, info or debug");
        return 1;
    }
    if (gy_clock_init() < 0)
        return 1; /* logged */
    uv_loop_t loop;
    uv_loop_init(&loop);
    router_server_t *server = router_server_new(&loop);
    if (!server) {
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        return 1;
    }
    int rc = gy_service_run(&loop, s_stop, server);
    router_server_destroy(&server);
    gy_log_info("stopped");
    return rc == 0 ? 0 : 1;
}
