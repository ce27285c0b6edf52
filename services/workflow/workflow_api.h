/*  workflow_api — the workflow's HTTP API for prosecutors and chief
 *  prosecutors (docs/api.md, "Workflow"): the review queues, a review with
 *  its history, assignment, the decision (不立案, 立案, join a case), and
 *  each procuratorate's round-robin rotation; the cases' routes are
 *  workflow_case's, and a case's documents workflow_document_api's,
 *  dispatched from here.
 *
 *  Every route takes a bearer token (GY_TOKEN_PUBLIC_KEY_FILE) of a
 *  prosecutor or chief prosecutor whose procuratorate is a code
 *  (gy_auth_guard); what lies outside the caller's scope (county: its own,
 *  city: its counties too, gy_scope) is answered 404 as if it did not
 *  exist.  A step is decided in C: the review (and for a join the case) is
 *  read, the event looked up in workflow_review_machine and the role in
 *  workflow_review_may, and the write — the step, the case, the history
 *  and the event (ClueReviewAssigned, ClueNotOpened, CaseOpened,
 *  ClueJoined) — commits in one transaction guarded by the state and
 *  version read; a guard that fails reads and decides again (at most 4
 *  times, then 409 conflict).  A refusal writes nothing: 409 invalid_state
 *  names the state and the events it allows; an expected_version that is
 *  not the review's is 409 conflict.
 *
 *      api = workflow_api_start(node, key, refdata, limits, deadlines, 4, documents);
 *      workflow_api_handle(api, req);               // spec.unrouted
 *      workflow_api_destroy(&api);                  // spec.stop
 */
#ifndef WORKFLOW_API_H
#define WORKFLOW_API_H

#include <stdbool.h>
#include <stdint.h>

#include "gy_http.h"
#include "gy_node.h"
#include "gy_refdata.h"
#include "workflow_deadlines_store.h"
#include "workflow_document.h"
#include "workflow_limits.h"

typedef struct workflow_api workflow_api_t;

/*  Reads GY_TOKEN_PUBLIC_KEY_FILE: 0 with *on false when unset (the API's
 *  paths answer 503 api_unavailable, logged), or -1 when it cannot be
 *  read (logged). */
int workflow_api_settings_load(bool *on, uint8_t *public_key);

/*  The API on its own pool of `connections` connections ("pg api",
 *  GY_WORKFLOW_API_CONNECTIONS: each step commits its own transaction,
 *  and several connections commit together), the documents' routes
 *  (workflow_document_api) on a connection of their own ("pg documents");
 *  public_key, refdata and documents are borrowed and outlive it. */
workflow_api_t *workflow_api_start(gy_node_t *node, const uint8_t *public_key,
                                   const gy_refdata_t *refdata, const workflow_limits_t *limits,
                                   workflow_deadlines_store_t *deadlines, size_t connections,
                                   workflow_documents_t *documents);

/*  Requests still waiting for the database answer 503 when their callback
 *  comes; the memory goes with the last one. */
void workflow_api_destroy(workflow_api_t **self_p);

/*  Answers a request under /api/v1/workflow/ (true), or leaves it (false).
 *  self NULL: the API is off, and those paths answer 503. */
bool workflow_api_handle(workflow_api_t *self, gy_http_request_t *req);

#endif
