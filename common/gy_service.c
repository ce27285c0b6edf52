/*  gy_service — see gy_service.h. */
#include "gy_service.h"

#include <signal.h>
#include <stdbool.h>

#include "gy_util.h"

typedef struct {
    uv_signal_t sigint;
    uv_signal_t sigterm;
    gy_service_stop_fn *stop;
    void *arg;
    bool stopping;
} s_signals_t;

static void s_on_signal(uv_signal_t *handle, int signum)
{
    s_signals_t *signals = handle->data;
    if (signals->stopping)
        return;
    signals->stopping = true;
    gy_log_info("received signal %d; stopping", signum);
    uv_close((uv_handle_t *)&signals->sigint, NULL);
    uv_close((uv_handle_t *)&signals->sigterm, NULL);
    signals->stop(signals->arg);
}

static void s_walk_close(uv_handle_t *handle, void *arg)
{
    int *open = arg;
    if (!uv_is_closing(handle)) {
        gy_log_warning("handle of type %s still open at shutdown",
                       uv_handle_type_name(handle->type));
        (*open)++;
        uv_close(handle, NULL);
    }
}

int gy_service_run(uv_loop_t *loop, gy_service_stop_fn *stop, void *arg)
{
    signal(SIGPIPE, SIG_IGN);
    s_signals_t signals = {.stop = stop, .arg = arg};
    uv_signal_init(loop, &signals.sigint);
    uv_signal_init(loop, &signals.sigterm);
    signals.sigint.data = signals.sigterm.data = &signals;
    uv_signal_start(&signals.sigint, s_on_signal, SIGINT);
    uv_signal_start(&signals.sigterm, s_on_signal, SIGTERM);
    uv_run(loop, UV_RUN_DEFAULT);
    if (!signals.stopping) {
        uv_close((uv_handle_t *)&signals.sigint, NULL);
        uv_close((uv_handle_t *)&signals.sigterm, NULL);
    }
    int leaked = 0;
    uv_walk(loop, s_walk_close, &leaked);
    uv_run(loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(loop);
    if (rc != 0 || leaked) {
        gy_log_error("loop did not close cleanly: %s", rc ? uv_strerror(rc) : "handles left open");
        return -1;
    }
    return 0;
}
