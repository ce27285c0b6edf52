/*  gy_service — what every service's main needs around its loop: the
 *  signals that stop it, and the shutdown that closes every handle.
 *
 *  gy_service_run installs SIGINT and SIGTERM handlers on the loop, runs it,
 *  calls stop(arg) on the first signal (the service then closes its handles
 *  and the loop ends by itself), and after the loop ends closes the signal
 *  handles and checks that uv_loop_close succeeds.  SIGPIPE is ignored:
 *  a peer that goes away is an error on that connection only.
 */
#ifndef GY_SERVICE_H
#define GY_SERVICE_H

#include <uv.h>

typedef void(gy_service_stop_fn)(void *arg);

/*  Returns 0 when the loop ended cleanly, -1 otherwise (logged). */
int gy_service_run(uv_loop_t *loop, gy_service_stop_fn *stop, void *arg);

#endif
