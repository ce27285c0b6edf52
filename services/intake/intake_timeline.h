/*  intake_timeline — the reporter's public timeline of a clue: what
 *  GET /api/v1/clues/{receipt_code} shows to anyone holding the receipt
 *  code (docs/api.md), and how intake learns it from the router's events.
 *
 *  Public steps, each with its time:
 *    received      the clue was stored (intake.clue.received_at)
 *    assessing     expert volunteers were asked to assess it (once, however
 *                  many were asked): AssessmentRequested
 *    accepted      a procuratorate has it: ClueRouted.procuratorate
 *    transferred   it moved to another procuratorate: ClueTransferred
 *                  "accepted" (to_procuratorate), or "decided" by the
 *                  common superior for the side that did not have it
 *    rejected      it will not be handled: ClueRejected, with its
 *                  reason_code and the public wording of that code
 *    case_opened   已立案: the workflow opened a case with it (CaseOpened,
 *                  every clue of the case) or joined it to one (ClueJoined),
 *                  at the procuratorate named
 *    not_opened    不立案: ClueNotOpened, with the public reason the chief
 *                  prosecutor wrote for the reporter (the one free text
 *                  kept; the internal reason never reaches intake)
 *  Nothing else is public: a transfer requested or disputed (not decided
 *  yet), the volunteers' assessments, clusters (other reporters),
 *  deadlines, and every free text (reasons, comments) and person
 *  (prosecutors' and volunteers' subjects) of any event, but the public
 *  reason of 不立案.  The table keeps only codes, times and that reason
 *  (migrations/0003_timeline.sql, 0004), so nothing internal can be shown.
 *
 *  A clue's status is its latest public step, read by one SQL function
 *  (intake.clue_last_step, migrations/R__timeline.sql) for the follow-up
 *  by receipt code and for a volunteer's list of their own clues alike.
 *
 *  Use:
 *      intake_timeline_prepare_consumer(pg);   // the consumer's connection
 *      in its apply callback: intake_timeline_apply(event, tx);
 *      intake_timeline_prepare_reader(reader); // before gy_pg_start(reader)
 *      GET handler: intake_timeline_get(reader, req, receipt_code);
 *      GET /api/v1/clues, after the guard and gy_page_parse:
 *          intake_timeline_mine(reader, req, claims.sub, &page);
 */
#ifndef INTAKE_TIMELINE_H
#define INTAKE_TIMELINE_H

#include "gy_consumer.h"
#include "gy_http.h"
#include "gy_metrics.h"
#include "gy_page.h"
#include "gy_pg.h"

/*  Registers the statement intake_timeline_apply adds. */
void intake_timeline_prepare_consumer(gy_pg_t *pg);

/*  Adds to tx the step a router or workflow event makes public, if any; a malformed
 *  event is logged, counted on metrics (gy_intake_timeline_malformed_total)
 *  and passed over. */
void intake_timeline_apply(const gy_consumer_event_t *event, gy_pg_tx_t *tx, gy_metrics_t *metrics);

/*  Registers the statements intake_timeline_get and _mine run. */
void intake_timeline_prepare_reader(gy_pg_t *reader);

/*  Answers GET /api/v1/clues/{receipt_code} for a receipt code already
 *  checked and in upper case: 200 with the clue's public fields, its
 *  status (the latest step) and its timeline; 404; 503. */
void intake_timeline_get(gy_pg_t *reader, gy_http_request_t *req, const char *receipt_code);

/*  Answers GET /api/v1/clues for the volunteer `subject` (the token's,
 *  already checked) with one page of the clues they submitted, newest
 *  first: 200 {"items":[{"id","receipt_code","title","field_code",
 *  "region_code","status","received_at","last_step"}],"next"}; 503. */
void intake_timeline_mine(gy_pg_t *reader, gy_http_request_t *req, const char *subject,
                          const gy_page_t *page);

#endif
