/*  workflow_volunteer — the workflow's projection of the router's volunteer
 *  registry (workflow.volunteer), kept from VolunteerChanged: the workflow
 *  never reads the router's tables.  A change replaces what is known of the
 *  volunteer when its version is higher than the stored one (a replayed or
 *  older event changes nothing); it is applied by the workflow's consumer
 *  (workflow_store) exactly once, in the transaction that moves its
 *  position.
 *
 *      workflow_volunteer_prepare(writer);                  // the consumer's connection
 *      case GONGYI__V1__ENVELOPE__BODY_VOLUNTEER_CHANGED:   // in the consumer's apply
 *          if (workflow_volunteer_apply(event, tx) < 0) -> malformed, passed over
 */
#ifndef WORKFLOW_VOLUNTEER_H
#define WORKFLOW_VOLUNTEER_H

#include "gy_consumer.h"
#include "gy_pg.h"

void workflow_volunteer_prepare(gy_pg_t *writer);

/*  Adds the projection's write to tx; -1 (nothing added) when the event is
 *  malformed: an id, procuratorate, status, term or code that is not one. */
int workflow_volunteer_apply(const gy_consumer_event_t *event, gy_pg_tx_t *tx);

#endif
