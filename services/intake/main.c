/*  gy-intake — receives clues over HTTP and the bus, stores each durably
 *  once and announces it (ClueReceived); answers a clue's status timeline
 *  by receipt code; and, following the router's events (GY_ROUTER_SOURCES),
 *  shows a reporter's identity to the prosecutors competent for the clue,
 *  every read logged.  Configuration: environment variables, see
 *  docs/configuration.md. */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "gy_clock.h"
#include "gy_service.h"
#include "gy_util.h"
#include "intake_server.h"

static void s_stop(void *arg)
{
    intake_server_stop(arg);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: gy-intake\nConfigured by GY_* environment variables; "
                        "see docs/configuration.md.\n");
        return 2;
    }
    if (gy_log_init("intake", getenv("GY_LOG_LEVEL")) < 0) {
        gy_log_error("invalid value for GY_LOG_LEVEL: use error, warning, info or debug");
        return 1;
    }
    if (gy_clock_init() < 0)
        return 1; /* logged */
    uv_loop_t loop;
    uv_loop_init(&loop);
    intake_server_t *server = intake_server_new(&loop);
    if (!server) {
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
        return 1;
    }
    int rc = gy_service_run(&loop, s_stop, server);
    intake_server_destroy(&server);
    gy_log_info("stopped");
    return rc == 0 ? 0 : 1;
}
