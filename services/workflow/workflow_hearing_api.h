/*  workflow_hearing_api — the HTTP API of hearings (听证), the hearing pool
 *  and impact (成效) (docs/api.md, "Workflow: hearings and impact"):
 *
 *      POST/GET /api/v1/workflow/cases/{case_id}/hearings
 *      GET      /api/v1/workflow/hearings/{hearing_id}
 *      POST     /api/v1/workflow/hearings/{hearing_id}/postpone | hold | cancel
 *      GET      /api/v1/workflow/public/hearings                (no token)
 *      GET/POST /api/v1/workflow/hearing-pools/{procuratorate}
 *      POST     /api/v1/workflow/hearing-pools/{procuratorate}/{member_id}/deactivate
 *      POST/GET /api/v1/workflow/cases/{case_id}/impact
 *      GET      /api/v1/workflow/impact-measures
 *
 *  Same token, roles and scope as the review API (workflow_api.h): what
 *  lies outside the caller's scope is answered 404 as if absent.  A step
 *  is decided in C — the hearing (or the case and the pool) read, the
 *  event looked up in workflow_hearing_machine, the notice rule and the
 *  pool checked — and written with its event (HearingScheduled,
 *  HearingStageChanged, ImpactRecorded) in one transaction guarded by the
 *  state and version read; a guard that fails reads and decides again (at
 *  most 4 times, then 409 conflict).  A refusal writes nothing.
 *
 *      api = workflow_hearing_api_start(node, public_key, refdata, measures);
 *      if (!workflow_hearing_api_handle(api, req)) ... the review API's ...
 *      workflow_hearing_api_destroy(&api);
 */
#ifndef WORKFLOW_HEARING_API_H
#define WORKFLOW_HEARING_API_H

#include <stdbool.h>
#include <stdint.h>

#include "gy_http.h"
#include "gy_node.h"
#include "gy_refdata.h"
#include "workflow_impact.h"

typedef struct workflow_hearing_api workflow_hearing_api_t;

/*  On its own connection ("pg hearings"); public_key, refdata and
 *  measures are borrowed and outlive it. */
workflow_hearing_api_t *workflow_hearing_api_start(gy_node_t *node, const uint8_t *public_key,
                                                   const gy_refdata_t *refdata,
                                                   const workflow_impact_t *measures);

/*  Requests still waiting for the database answer 503 when their callback
 *  comes; the memory goes with the last one. */
void workflow_hearing_api_destroy(workflow_hearing_api_t **self_p);

/*  Answers a request of the paths above (true), or leaves it (false).
 *  self NULL: leaves every request. */
bool workflow_hearing_api_handle(workflow_hearing_api_t *self, gy_http_request_t *req);

#endif
