/*  gy-mini — runs the example service (mini.h); configured by GY_*
 *  environment variables (gy_node.h). */
#include <stdlib.h>
#include <uv.h>

#include "gy_service.h"
#include "gy_util.h"
#include "mini.h"

int main(void)
{
    if (gy_log_init("mini", getenv("GY_LOG_LEVEL")) < 0)
        return 1;
    uv_loop_t loop;
    uv_loop_init(&loop);
    mini_t mini = {0};
    gy_node_t *node = gy_node_new(&loop, &mini_spec, &mini);
    int rc = node ? gy_service_run(&loop, gy_node_stop_cb, node) : -1;
    if (!node) {
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }
    gy_node_destroy(&node);
    return rc == 0 ? 0 : 1;
}
