/*  intake_bus — see intake_bus.h. */
#include "intake_bus.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gongyi.pb-c.h"
#include "gy_config.h"
#include "gy_text.h"
#include "gy_util.h"
#include "intake_clue.h"

/*  Outside ids (docs/bus.md): checked whole, never cut. */
#define S_ENVELOPE_ID_MAX  64
#define S_PRODUCER_MAX     64
#define S_REFERENCE_ID_MAX 128

struct intake_bus {
    intake_bus_config_t config; /* its pointers borrowed */
};

typedef struct {
    intake_bus_t *bus;
    gy_bus_socket_t *socket;
    gy_bus_msg_t *request;
    char request_id[S_ENVELOPE_ID_MAX + 1]; /* echoed: empty unless the request's id is valid */
    char trace[INTAKE_TRACE_MAX + 1];       /* the request's, or the one its event gets */
} s_bus_submission_t;

/*  Sends the answer whose body is set in *body_env, with our header (a
 *  copy: nothing of ours, freed here, stays behind in the caller's). */
static void s_bus_answer(s_bus_submission_t *bs, const Gongyi__V1__Envelope *body_env)
{
    char id[37];
    gy_uuid(id);
    Gongyi__V1__Envelope env = *body_env;
    env.id = id;
    env.producer = (char *)bs->bus->config.producer; /* only packed */
    env.time_unix_ms = gy_now_ms();
    env.trace_id = bs->trace;
    size_t size = gongyi__v1__envelope__get_packed_size(&env);
    uint8_t *packed = gy_malloc(size);
    gongyi__v1__envelope__pack(&env, packed);
    gy_bus_frame_t frame = {packed, size};
    gy_bus_reply(bs->socket, bs->request, &frame, 1);
    free(packed);
    gy_bus_msg_destroy(&bs->request);
    free(bs);
}

/*  code, message and field are ours or checked text: a nack is valid
 *  UTF-8 for every protobuf client. */
static void s_bus_nack(s_bus_submission_t *bs, const char *code, const char *message,
                       const char *field)
{
    Gongyi__V1__Nack nack = GONGYI__V1__NACK__INIT;
    nack.request_id = bs->request_id;
    nack.code = (char *)code;
    nack.message = (char *)message;
    nack.field = (char *)(field ? field : "");
    Gongyi__V1__Envelope env = GONGYI__V1__ENVELOPE__INIT;
    env.type = "Nack";
    env.body_case = GONGYI__V1__ENVELOPE__BODY_NACK;
    env.nack = &nack;
    gy_metrics_count(bs->bus->config.metrics, "gy_bus_submissions_total", "result=\"nack\"", 1);
    s_bus_answer(bs, &env);
}

static void s_on_bus_stored(void *arg, const intake_result_t *result)
{
    s_bus_submission_t *bs = arg;
    if (result->outcome == INTAKE_CONFLICT) {
        s_bus_nack(bs, "idempotency_conflict",
                   "this reference_id was submitted before with different content", "reference_id");
        return;
    }
    if (result->outcome == INTAKE_UNAVAILABLE) {
        s_bus_nack(bs, "unavailable", "the clue could not be stored now; nothing was kept", NULL);
        return;
    }
    Gongyi__V1__SubmitClueAck ack = GONGYI__V1__SUBMIT_CLUE_ACK__INIT;
    ack.request_id = bs->request_id;
    ack.clue_id = (char *)result->id;
    ack.receipt_code = (char *)result->receipt_code;
    ack.duplicate = result->outcome == INTAKE_DUPLICATE;
    Gongyi__V1__Envelope env = GONGYI__V1__ENVELOPE__INIT;
    env.type = "SubmitClueAck";
    env.body_case = GONGYI__V1__ENVELOPE__BODY_SUBMIT_CLUE_ACK;
    env.submit_clue_ack = &ack;
    gy_metrics_count(bs->bus->config.metrics, "gy_bus_submissions_total", "result=\"ack\"", 1);
    s_bus_answer(bs, &env);
}

/*  The first field of m that this build of proto/ does not know (protobuf-c
 *  keeps such fields in unknown_fields): its number, and in field the
 *  path of the message that holds it.  0 when there is none. */
static uint32_t s_unknown_field(const ProtobufCMessage *m, const char *path, char *field,
                                size_t size)
{
    if (m && m->n_unknown_fields > 0) {
        gy_text_format(field, size, "%s", path);
        return m->unknown_fields[0].tag;
    }
    return 0;
}

static uint32_t s_submission_unknown_field(const Gongyi__V1__Envelope *env, char *field,
                                           size_t size)
{
    const Gongyi__V1__SubmitClue *sc = env->submit_clue;
    uint32_t tag;
    if ((tag = s_unknown_field(&env->base, "", field, size)) ||
        (tag = s_unknown_field(&sc->base, "submit_clue", field, size)) ||
        (tag =
             s_unknown_field(sc->location ? &sc->location->base : NULL, "location", field, size)) ||
        (tag = s_unknown_field(sc->reporter ? &sc->reporter->base : NULL, "reporter", field, size)))
        return tag;
    for (size_t i = 0; i < sc->n_attachments; i++) {
        char path[40];
        snprintf(path, sizeof path, "attachments[%zu]", i);
        if ((tag = s_unknown_field(&sc->attachments[i]->base, path, field, size)))
            return tag;
    }
    return 0;
}

/*  The checks of the envelope around a submission, in the order
 *  docs/bus.md lists them.  0, or -1 after the nack was sent. */
static int s_check_submission(s_bus_submission_t *bs, const Gongyi__V1__Envelope *env)
{
    /*  An id we cannot echo whole is not echoed at all: the answer could not
     *  be matched, and a cut one could match another request. */
    if (gy_text_id_valid(env->id, S_ENVELOPE_ID_MAX))
        snprintf(bs->request_id, sizeof bs->request_id, "%s", env->id);
    if (env->body_case != GONGYI__V1__ENVELOPE__BODY_SUBMIT_CLUE) {
        s_bus_nack(bs, "unsupported_message", "this endpoint takes SubmitClue only", NULL);
        return -1;
    }
    if (!env->id || !*env->id) {
        s_bus_nack(bs, "missing_field", "id is required: answers are matched by it", "id");
        return -1;
    }
    if (!bs->request_id[0]) {
        s_bus_nack(bs, "invalid_value", "id must be 1 to 64 printable ASCII characters", "id");
        return -1;
    }
    if (!env->type || strcmp(env->type, "SubmitClue") != 0) {
        s_bus_nack(bs, "invalid_value", "type must be \"SubmitClue\", the body's message name",
                   "type");
        return -1;
    }
    char field[64], message[128];
    uint32_t tag = s_submission_unknown_field(env, field, sizeof field);
    if (tag) {
        gy_text_format(message, sizeof message,
                       "field number %u is not in gongyi.v1 (proto/gongyi.proto); nothing is "
                       "dropped silently",
                       (unsigned)tag);
        s_bus_nack(bs, "unknown_property", message, field);
        return -1;
    }
    if (!env->producer || !*env->producer) {
        s_bus_nack(bs, "missing_field", "producer must name the integrator", "producer");
        return -1;
    }
    if (!gy_text_id_valid(env->producer, S_PRODUCER_MAX)) {
        s_bus_nack(bs, "invalid_value", "producer must be 1 to 64 printable ASCII characters",
                   "producer");
        return -1;
    }
    const char *trace_error =
        env->trace_id && *env->trace_id ? intake_trace_error(env->trace_id) : NULL;
    if (trace_error) {
        s_bus_nack(bs, trace_error,
                   "trace_id must be empty or 1 to 64 bytes of UTF-8 text without control "
                   "characters",
                   "trace_id");
        return -1;
    }
    const Gongyi__V1__SubmitClue *sc = env->submit_clue;
    if (!sc->reference_id || !*sc->reference_id) {
        s_bus_nack(bs, "missing_field", "reference_id is required", "reference_id");
        return -1;
    }
    if (!gy_text_id_valid(sc->reference_id, S_REFERENCE_ID_MAX)) {
        s_bus_nack(bs, "invalid_value", "reference_id must be 1 to 128 printable ASCII characters",
                   "reference_id");
        return -1;
    }
    return 0;
}

void intake_bus_on_submit(void *arg, gy_bus_socket_t *socket, gy_bus_msg_t *msg)
{
    intake_bus_t *self = arg;
    s_bus_submission_t *bs = gy_calloc(1, sizeof *bs);
    bs->bus = self;
    bs->socket = socket;
    bs->request = msg;
    size_t len;
    const void *payload = gy_bus_msg_payload(msg, &len);
    Gongyi__V1__Envelope *env = gongyi__v1__envelope__unpack(NULL, len, payload);
    if (!env) {
        s_bus_nack(bs, "malformed_message", "the message is not a gongyi.v1.Envelope", NULL);
        return;
    }
    /*  The answer carries the trace the clue's event gets: the request's,
     *  or one made here when it had none. */
    if (env->trace_id && *env->trace_id && !intake_trace_error(env->trace_id))
        snprintf(bs->trace, sizeof bs->trace, "%s", env->trace_id); /* checked: fits */
    else
        gy_uuid(bs->trace);
    if (s_check_submission(bs, env) < 0)
        goto done;
    const Gongyi__V1__SubmitClue *sc = env->submit_clue;
    intake_clue_t clue;
    intake_error_t err;
    if (intake_clue_from_proto(&clue, sc, self->config.refdata, gy_now_ms(), &err) < 0) {
        s_bus_nack(bs, err.code, err.message, err.field[0] ? err.field : NULL);
        goto done;
    }
    clue.idempotency_key = gy_sprintf("bus:%s:%s", env->producer, sc->reference_id);
    clue.origin_producer = gy_strdup(env->producer);
    clue.origin_reference = gy_strdup(sc->reference_id);
    intake_store_submit(self->config.store, &clue, bs->trace, s_on_bus_stored, bs);
done:
    gongyi__v1__envelope__free_unpacked(env, NULL);
}

intake_bus_t *intake_bus_new(const intake_bus_config_t *config)
{
    assert(config && config->producer && config->metrics && config->refdata && config->store);
    intake_bus_t *self = gy_calloc(1, sizeof *self);
    self->config = *config;
    gy_metrics_describe(self->config.metrics, "gy_bus_submissions_total", "counter",
                        "Submissions over the bus, by result.");
    return self;
}

intake_bus_t *intake_bus_start(gy_node_t *node, const gy_refdata_t *refdata, intake_store_t *store)
{
    intake_bus_config_t config = {.producer = gy_node_producer(node),
                                  .metrics = gy_node_metrics(node),
                                  .refdata = refdata,
                                  .store = store};
    intake_bus_t *self = intake_bus_new(&config);
    if (!gy_bus_bind(gy_node_bus(node), GY_BUS_ROUTER,
                     gy_config_str("GY_BUS_SUBMIT", "tcp://127.0.0.1:7103"), intake_bus_on_submit,
                     self))
        intake_bus_destroy(&self);
    return self;
}

void intake_bus_destroy(intake_bus_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}
