/*  intake_reporter — GET /api/v1/clues/{clue_id}/reporter: a reporter's
 *  identity, shown only to the prosecutors of the procuratorate competent
 *  for the clue, and every read logged (DESIGN.md invariant 8).
 *
 *  Who: a bearer token (401 without or with a bad one) whose role is
 *  prosecutor or chief_prosecutor (403 otherwise) and whose `proc` equals
 *  the competent procuratorate in intake.competence (intake_competence) —
 *  not a superior, not a neighbour.  Any other caller, a clue whose
 *  competence the router has not decided yet, and an id that is not a
 *  UUID get 404, exactly as for a clue that does not exist.
 *
 *  How: one transaction reads the sealed identity and inserts the
 *  intake.reporter_access row; the identity is unsealed and answered only
 *  after that commit, so nothing is shown that was not logged.  The
 *  identity never reaches the log.
 */
#ifndef INTAKE_REPORTER_H
#define INTAKE_REPORTER_H

#include <stdint.h>

#include "gy_http.h"
#include "gy_pg.h"

typedef struct intake_reporter intake_reporter_t;

typedef struct {
    gy_pg_t *pg;              /* borrowed: runs the read-and-log transactions */
    const uint8_t *seal_key;  /* GY_SEAL_KEY_BYTES, borrowed */
    const uint8_t *token_key; /* GY_TOKEN_PUBLIC_KEY_BYTES, borrowed; NULL: no token is valid */
} intake_reporter_config_t;

/*  Registers the statement on pg; call before gy_pg_start. */
void intake_reporter_prepare(gy_pg_t *pg);

intake_reporter_t *intake_reporter_new(const intake_reporter_config_t *config);
/*  Destroy pg first: its in-flight reads are answered 503 then. */
void intake_reporter_destroy(intake_reporter_t **self_p);

/*  Answers GET /api/v1/clues/{clue_id}/reporter; clue_id is the path
 *  segment as it came (any text). */
void intake_reporter_get(intake_reporter_t *self, gy_http_request_t *req, const char *clue_id);

#endif
