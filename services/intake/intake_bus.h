/*  intake_bus — submissions over the bus (docs/bus.md): a SubmitClue in an
 *  Envelope on intake's ROUTER socket, checked in the order docs/bus.md
 *  lists (the envelope, fields this build does not know, producer,
 *  trace_id, reference_id, then the clue's own checks), stored once per
 *  producer and reference_id, and answered with a SubmitClueAck or a Nack
 *  that echoes the request's id.  Counts gy_bus_submissions_total by result.
 *
 *      intake_bus_config_t config = {.producer = "intake-1", .metrics = metrics,
 *          .refdata = refdata, .store = store};
 *      intake_bus_t *submissions = intake_bus_new(&config);
 *      gy_bus_bind(bus, GY_BUS_ROUTER, "tcp://127.0.0.1:7103",
 *                  intake_bus_on_submit, submissions);
 *      ...
 *      intake_bus_destroy(&submissions);   // after the store's callbacks ran
 *  or on a node, from spec.start: submissions = intake_bus_start(node, refdata, store);
 */
#ifndef INTAKE_BUS_H
#define INTAKE_BUS_H

#include "gy_bus.h"
#include "gy_metrics.h"
#include "gy_node.h"
#include "gy_refdata.h"
#include "intake_store.h"

typedef struct intake_bus intake_bus_t;

typedef struct {
    const char *producer;        /* borrowed: our answers' Envelope.producer */
    gy_metrics_t *metrics;       /* borrowed */
    const gy_refdata_t *refdata; /* borrowed: the clue's checks */
    intake_store_t *store;       /* borrowed: stores the submissions */
} intake_bus_config_t;

intake_bus_t *intake_bus_new(const intake_bus_config_t *config);

/*  intake_bus_new on the node's producer and metrics, its ROUTER socket
 *  bound on the node's bus to GY_BUS_SUBMIT (default tcp://127.0.0.1:7103).
 *  NULL (logged) when the bind fails. */
intake_bus_t *intake_bus_start(gy_node_t *node, const gy_refdata_t *refdata, intake_store_t *store);

/*  A gy_bus_msg_cb for the ROUTER socket (arg: the intake_bus_t); takes
 *  msg and answers it exactly once. */
void intake_bus_on_submit(void *arg, gy_bus_socket_t *socket, gy_bus_msg_t *msg);

/*  After every store callback of a submission ran. */
void intake_bus_destroy(intake_bus_t **self_p);

#endif
