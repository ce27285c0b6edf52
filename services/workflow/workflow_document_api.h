/*  workflow_document_api — the HTTP routes of a case's documents (文书)
 *  (docs/api.md, "Workflow: documents"): issue a document of a kind on
 *  its own (numbered gap-free, workflow_document.h), list a case's
 *  documents, read one with its text, record that it was served (once),
 *  and add its attachments' metadata.
 *
 *  Same guard and scope as the rest of the workflow's API (a prosecutor
 *  or chief prosecutor; out of scope answered 404 as if absent), same
 *  house pattern for each write: read, decide in C, write guarded, retry
 *  a failed guard at most 4 times (then 409 conflict); a refusal writes
 *  nothing.  An issue request with an Idempotency-Key is answered, when
 *  retried, with the document it made (200), never a second number.
 *
 *      docs_api = workflow_document_api_new(pg, public_key, refdata, documents, outbox,
 *                                           producer);      // pg: its own, before it starts
 *      if (workflow_document_api_handle(docs_api, req)) return;   // its paths
 *      workflow_document_api_destroy(&docs_api);                 // stop: waiting ones 503
 */
#ifndef WORKFLOW_DOCUMENT_API_H
#define WORKFLOW_DOCUMENT_API_H

#include <stdbool.h>
#include <stdint.h>

#include "gy_http.h"
#include "gy_outbox.h"
#include "gy_pg.h"
#include "gy_refdata.h"
#include "workflow_document.h"

typedef struct workflow_document_api workflow_document_api_t;

/*  Everything borrowed and outliving it; its statements (and the
 *  outbox's) are prepared on pg here (call before the connection starts).
 *  pg is one connection, not a pool, and only this module's: the numbers
 *  it chains on those in flight commit in the order they were decided. */
workflow_document_api_t *workflow_document_api_new(gy_pg_t *pg, const uint8_t *public_key,
                                                   const gy_refdata_t *refdata,
                                                   workflow_documents_t *documents,
                                                   gy_outbox_t *outbox, const char *producer);

/*  Requests still waiting for the database answer 503 when their callback
 *  comes; the memory goes with the last one. */
void workflow_document_api_destroy(workflow_document_api_t **self_p);

/*  Answers a request on a documents path (true), or leaves it (false). */
bool workflow_document_api_handle(workflow_document_api_t *self, gy_http_request_t *req);

#endif
