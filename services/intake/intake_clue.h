/*  intake_clue — a clue as submitted: checked at the edge, from JSON (HTTP)
 *  or from a SubmitClue message (bus), against the same rules and the
 *  reference data, into one shape the store writes.
 *
 *  A check either fills the clue completely or fills the error (a stable
 *  code, a message and the offending field) and leaves nothing to write.
 */
#ifndef INTAKE_CLUE_H
#define INTAKE_CLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gongyi.pb-c.h"
#include "gy_crypto.h"
#include "gy_refdata.h"
#include "gy_route.h"

typedef struct {
    char *name;
    char *media_type;
    uint64_t size;
    char sha256[65]; /* lower-case hex */
} intake_attachment_t;

typedef struct {
    char *title;
    char *description;
    char *field_code;
    char region_code[7];
    bool has_coordinates;
    double lat;
    double lon;
    char *address;       /* NULL when not given */
    int64_t occurred_ms; /* 0 when not given */
    intake_attachment_t *attachments;
    size_t nattachments;
    char *source_channel;
    char *reporter_json;    /* identity and contact as JSON, NULL when anonymous */
    char *reporter_subject; /* volunteer id from a bearer token, or NULL */
    char *idempotency_key;  /* namespaced: "http:KEY" or "bus:PRODUCER:REF", or NULL */
    char *origin_producer;  /* bus: the integrator (Envelope.producer), else NULL */
    char *origin_reference; /*   and its SubmitClue.reference_id: ClueReceived.origin */
    uint8_t body_hash[32];  /* of the canonical submission, for idempotency */
} intake_clue_t;

/*  The kit's error (gy_route.h), set with intake_error_set = gy_error_set. */
typedef gy_error_t intake_error_t;
#define intake_error_set gy_error_set

/*  Checks an HTTP body.  0, or -1 with *err filled.  now_ms bounds
 *  occurred_at. */
int intake_clue_from_json(intake_clue_t *clue, const char *body, size_t len,
                          const gy_refdata_t *ref, int64_t now_ms, intake_error_t *err);

/*  Checks a bus submission (reference_id is checked by the caller). */
int intake_clue_from_proto(intake_clue_t *clue, const Gongyi__V1__SubmitClue *msg,
                           const gy_refdata_t *ref, int64_t now_ms, intake_error_t *err);

/*  Packs the ClueReceived body for this clue; the caller frees *out. */
void intake_clue_event(const intake_clue_t *clue, const char *id, int64_t received_ms,
                       uint8_t **out, size_t *len_p);

/*  The attachments as a JSON array text; the caller frees. */
char *intake_clue_attachments_json(const intake_clue_t *clue);

void intake_clue_clear(intake_clue_t *clue);

/*  A trace id from outside (X-Request-Id, Envelope.trace_id) is checked
 *  whole, never cut: 1 to INTAKE_TRACE_MAX bytes of one-line text. */
#define INTAKE_TRACE_MAX 64

/*  NULL when trace is fine, else the error code ("invalid_utf8" or
 *  "invalid_value"). */
const char *intake_trace_error(const char *trace);

#endif
