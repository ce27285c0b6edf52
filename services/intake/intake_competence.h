/*  intake_competence — which procuratorate is competent for each clue,
 *  learnt from the router's events, so intake can tell who may see a
 *  reporter's identity without reading the router's tables (DESIGN.md
 *  invariants 4 and 8).
 *
 *  A gy_consumer follows the router instances named by GY_ROUTER_SOURCES
 *  (GY_SOURCES syntax) and upserts intake.competence, exactly once, in the
 *  transaction that moves intake.consumed:
 *    ClueRouted                    -> ClueRouted.procuratorate
 *    ClueTransferred "accepted"    -> ClueTransferred.to_procuratorate
 *    ClueTransferred "decided"     -> Envelope.procuratorate (the superior's
 *                                     choice, which may be either side)
 *  Every other event and step ("requested", "disputed") leaves competence
 *  as it is; a clue that is not in this database (another site's) is
 *  passed over.  In the same transaction it records the reporter's public
 *  timeline (intake_timeline: AssessmentRequested, ClueRouted,
 *  ClueTransferred, ClueRejected, and with GY_WORKFLOW_SOURCES the
 *  workflow's CaseOpened, ClueJoined and ClueNotOpened).
 *
 *  Several intake instances on one database share intake.competence and
 *  the positions, so one of them applies the events at a time: the one
 *  holding a PostgreSQL session advisory lock on its consumer connection.
 *  The others try for the lock every 2 s and take over when its holder
 *  stops, crashes or loses its connection.  The lock only saves work: the
 *  positions alone keep every event exactly once.
 *
 *  Use:
 *      intake_competence_prepare(pg);             // before gy_pg_start(pg)
 *      c = intake_competence_new(loop, &config);  // NULL: bad sources (logged)
 *      pg state callback: intake_competence_pg_state(c, up);
 *      shutdown: gy_pg_destroy(pg), intake_competence_destroy(&c), then the bus.
 *  or on a node, from spec.start (the node destroys the connection first):
 *      intake_competence_start(&c, node, sources, seal_key, token_key, &reporter);
 */
#ifndef INTAKE_COMPETENCE_H
#define INTAKE_COMPETENCE_H

#include <stdbool.h>
#include <uv.h>

#include "gy_bus.h"
#include "gy_metrics.h"
#include "gy_node.h"
#include "gy_pg.h"
#include "intake_reporter.h"

typedef struct intake_competence intake_competence_t;

typedef struct {
    const char *
        sources; /* GY_ROUTER_SOURCES' value [, GY_WORKFLOW_SOURCES']: "EVENTS|REPLAY[|CERT],..." */
    gy_pg_t *pg; /* borrowed: a connection of its own (not the writer's) */
    gy_bus_t *bus;         /* borrowed */
    gy_metrics_t *metrics; /* borrowed */
} intake_competence_config_t;

/*  Registers the consumer's, the upsert's and the timeline's statements
 *  on pg. */
void intake_competence_prepare(gy_pg_t *pg);

/*  Checks a GY_ROUTER_SOURCES value: 0, or -1 (logged, naming the
 *  variable).  For the configuration check at start, before the database
 *  is waited for. */
int intake_competence_check(const char *sources);

/*  Reads GY_ROUTER_SOURCES, and GY_WORKFLOW_SOURCES (the workflow's
 *  public steps, on the same consumer; it needs GY_ROUTER_SOURCES), into
 *  *sources, the consumer's sources (to free; NULL when unset: then the
 *  reporter route answers 503, which is logged), and checks them: 0, or
 *  -1 (logged, naming the variable). */
int intake_competence_sources_load(char **sources);

/*  Connects to the sources.  NULL (logged, naming GY_ROUTER_SOURCES) when
 *  they are unusable. */
intake_competence_t *intake_competence_new(uv_loop_t *loop,
                                           const intake_competence_config_t *config);
/*  GY_ROUTER_SOURCES on the node, from spec.start: the competence in
 *  *self_p on a connection of its own ("pg competence", apart from the
 *  writer's group commit), the node's bus and metrics; then the reporter
 *  route's part in *reporter_p (intake_reporter on the node's reader, with
 *  seal_key and token_key, borrowed; token_key may be NULL).  The
 *  connection's state goes to *self_p while it is set, so self_p must
 *  outlive the node's connections (destroy sets it to NULL).  0, or -1
 *  (logged). */
int intake_competence_start(intake_competence_t **self_p, gy_node_t *node, const char *sources,
                            const uint8_t *seal_key, const uint8_t *token_key,
                            intake_reporter_t **reporter_p);

/*  Memory goes in close callbacks: run the loop.  Destroy pg first. */
void intake_competence_destroy(intake_competence_t **self_p);

/*  The connection's state changed (its gy_pg state callback): when up,
 *  try to become the instance that applies the events. */
void intake_competence_pg_state(intake_competence_t *self, bool up);

#endif
