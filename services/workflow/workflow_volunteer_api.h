/*  workflow_volunteer_api — volunteers' work on cases over HTTP (docs/api.md,
 *  "Workflow: volunteers"), and the due scan of consultations.
 *
 *  Prosecutors and chief prosecutors (scoped: a case outside the caller's
 *  jurisdiction is answered 404 as if absent):
 *    POST /api/v1/workflow/cases/{case_id}/consultations   ask expert volunteers
 *    GET  /api/v1/workflow/cases/{case_id}/consultations   the questions and answers
 *    POST /api/v1/workflow/cases/{case_id}/supervisors     appoint a supervisor
 *    GET  /api/v1/workflow/cases/{case_id}/supervisors
 *    GET  /api/v1/workflow/cases/{case_id}/observations    what the supervisors saw
 *  Volunteers (token role volunteer, subject = their registry id; only
 *  their own tasks exist for them, anything else is 404):
 *    POST /api/v1/workflow/consultations/{id}/answer
 *    POST /api/v1/workflow/consultations/{id}/decline
 *    POST /api/v1/workflow/cases/{case_id}/observations    (an appointed supervisor, else 403)
 *    GET  /api/v1/workflow/me/tasks
 *
 *  Each write reads what it decides on, decides in C (workflow_consult's
 *  machine, the matching's candidates read from workflow.volunteer) and
 *  writes in one transaction with its events (ConsultationRequested,
 *  ConsultationAnswered, ObservationFiled), guarded by the state and
 *  version read: a guard that fails reads and decides again (at most 4
 *  times, then 409 conflict).  A refusal writes nothing.
 *
 *  The due scan (gy_due on the process clock, GY_CONSULT_SCAN_MS) marks a
 *  task past its due time late, once, and asks the next matching volunteer
 *  (ConsultationRequested with `replaces`), or, when none fits, announces
 *  ConsultationLate.
 *
 *      vapi = workflow_volunteer_api_start(node, public_key, refdata);  // spec.start
 *      due = workflow_volunteer_due_start(node, vapi, scan_ms);        // spec.start
 *      workflow_volunteer_api_handle(vapi, req);                       // spec.unrouted
 *      workflow_volunteer_api_destroy(&vapi);                          // spec.stop
 *      gy_due_destroy(&due);                                           // spec.release
 */
#ifndef WORKFLOW_VOLUNTEER_API_H
#define WORKFLOW_VOLUNTEER_API_H

#include <stdbool.h>
#include <stdint.h>

#include "gy_due.h"
#include "gy_http.h"
#include "gy_node.h"
#include "gy_refdata.h"

typedef struct workflow_volunteer_api workflow_volunteer_api_t;

/*  On its own connection ("pg volunteers"); public_key (NULL: the routes
 *  are off, workflow_api answers 503 for them) and refdata are borrowed. */
workflow_volunteer_api_t *workflow_volunteer_api_start(gy_node_t *node, const uint8_t *public_key,
                                                       const gy_refdata_t *refdata);
/*  The due scan of consultations on the API's connection, every scan_ms
 *  (0: off).  Destroy it in the spec's release, after the connections. */
gy_due_t *workflow_volunteer_due_start(gy_node_t *node, workflow_volunteer_api_t *self,
                                       uint64_t scan_ms);
void workflow_volunteer_api_destroy(workflow_volunteer_api_t **self_p);
/*  Answers the request when it is one of the routes above (true). */
bool workflow_volunteer_api_handle(workflow_volunteer_api_t *self, gy_http_request_t *req);

#endif
