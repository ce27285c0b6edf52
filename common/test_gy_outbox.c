/*  Unit test of gy_outbox's envelope packing: an Envelope packed around an
 *  already packed body is byte-for-byte what protobuf-c packs for the whole
 *  message (so replayed bytes equal published bytes), and the body field is
 *  found from the type name for every event type. */
/* cmocka.h needs these first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* clang-format on */
#include <stdlib.h>
#include <string.h>

#include "gy_outbox.h"
#include "gy_util.h"

static void test_body_field_from_type(void **state)
{
    assert_int_equal(gy_envelope_body_field("ClueReceived"), 20);
    assert_int_equal(gy_envelope_body_field("ReplayResponse"), 41);
    assert_int_equal(gy_envelope_body_field("Heartbeat"), 42);
    assert_int_equal(gy_envelope_body_field("ClueRouted"), 100);
    assert_int_equal(gy_envelope_body_field("Location"), 0); /* a message, not a body */
    assert_int_equal(gy_envelope_body_field("NoSuchEvent"), 0);
    assert_int_equal(gy_envelope_body_field(""), 0);
}

static void test_pack_equals_protobuf(void **state)
{
    Gongyi__V1__ClueReceived clue = GONGYI__V1__CLUE_RECEIVED__INIT;
    clue.clue_id = "0b5f0a38-3d9e-4c38-9a39-0f5a4c1a2b3c";
    clue.title = "御河沿岸工厂夜间偷排污水";
    clue.region_code = "140213";
    clue.received_unix_ms = 1730439000000;
    size_t body_len = gongyi__v1__clue_received__get_packed_size(&clue);
    uint8_t *body = gy_malloc(body_len);
    gongyi__v1__clue_received__pack(&clue, body);

    gy_outbox_event_t ev = {
        .sequence = 300, /* a two-byte varint */
        .event_id = "6c1d3a0e-8f7b-4d5e-9a1b-2c3d4e5f6a7b",
        .type = "ClueReceived",
        .time_ms = 1730439000123,
        .trace_id = "trace-1",
        .procuratorate = "140213",
        .body = body,
        .body_len = body_len,
    };
    uint8_t *ours;
    size_t ours_len;
    assert_int_equal(gy_outbox_pack("intake-1", &ev, &ours, &ours_len), 0);

    Gongyi__V1__Envelope env = GONGYI__V1__ENVELOPE__INIT;
    env.id = (char *)ev.event_id;
    env.type = "ClueReceived";
    env.producer = "intake-1";
    env.sequence = 300;
    env.time_unix_ms = ev.time_ms;
    env.trace_id = "trace-1";
    env.procuratorate = "140213";
    env.body_case = GONGYI__V1__ENVELOPE__BODY_CLUE_RECEIVED;
    env.clue_received = &clue;
    size_t theirs_len = gongyi__v1__envelope__get_packed_size(&env);
    uint8_t *theirs = gy_malloc(theirs_len);
    gongyi__v1__envelope__pack(&env, theirs);

    assert_int_equal(ours_len, theirs_len);
    assert_memory_equal(ours, theirs, ours_len);
    free(theirs);
    free(ours);
    free(body);
}

static void test_unknown_type_is_refused(void **state)
{
    gy_outbox_event_t ev = {.sequence = 1,
                            .event_id = "x",
                            .type = "Nope",
                            .trace_id = "",
                            .procuratorate = "",
                            .body = (const uint8_t *)"",
                            .body_len = 0};
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(gy_outbox_pack("p", &ev, &out, &len), -1);
    assert_null(out);
}

int main(void)
{
    gy_log_init("test_gy_outbox", "error");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_field_from_type),
        cmocka_unit_test(test_pack_equals_protobuf),
        cmocka_unit_test(test_unknown_type_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
