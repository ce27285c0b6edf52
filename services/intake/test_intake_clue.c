/*  Unit test of intake_clue: the edge rules of docs/api.md, from JSON and
 *  from the bus, read as a list of examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gy_text.h"
#include "gy_util.h"
#include "intake_clue.h"

static gy_refdata_t *s_ref;
static const int64_t s_now = 1795000000000; /* 2026-11-18 */

#define VALID_LOCATION "\"location\":{\"lat\":40.09,\"lon\":113.29,\"address\":\"平城区御河西路\"}"
#define VALID_HEAD                                                                                 \
    "\"title\":\"御河排污\",\"description\":\"河边有工厂夜间偷排黑臭废水。\","   \
    "\"field_code\":\"ecology\",\"region_code\":\"140213\"," VALID_LOCATION

typedef struct {
    const char *body;
    int status;
    const char *code;
    const char *field;
} s_case_t;

static const s_case_t s_bad[] = {
    {"", 400, "malformed_json", ""},
    {"{", 400, "malformed_json", ""},
    {"[1,2]", 400, "malformed_json", ""},
    {"\"text\"", 400, "malformed_json", ""},
    {"{\"title\":\"\xff\xfe\"}", 400, "invalid_utf8", ""},
    {"{" VALID_HEAD ",\"colour\":\"red\"}", 400, "unknown_property", "colour"},
    {"{\"description\":\"d\",\"field_code\":\"ecology\",\"region_code\":\"140213\"," VALID_LOCATION
     "}",
     400, "missing_field", "title"},
    {"{\"title\":7,\"description\":\"d\",\"field_code\":\"ecology\",\"region_code\":"
     "\"140213\"," VALID_LOCATION "}",
     400, "invalid_type", "title"},
    {"{\"title\":\"   \",\"description\":\"d\",\"field_code\":\"ecology\",\"region_code\":"
     "\"140213\"," VALID_LOCATION "}",
     400, "invalid_value", "title"},
    {"{\"title\":\"a\\u0007b\",\"description\":\"d\",\"field_code\":\"ecology\",\"region_code\":"
     "\"140213\"," VALID_LOCATION "}",
     400, "invalid_value", "title"},
    {"{\"title\":\"t\",\"description\":\"d\",\"field_code\":\"weather\",\"region_code\":"
     "\"140213\"," VALID_LOCATION "}",
     422, "unknown_field_code", "field_code"},
    {"{\"title\":\"t\",\"description\":\"d\",\"field_code\":\"ecology\",\"region_code\":"
     "\"999999\"," VALID_LOCATION "}",
     422, "unknown_region_code", "region_code"},
    {"{\"title\":\"t\",\"description\":\"d\",\"field_code\":\"ecology\",\"region_code\":"
     "\"14021\"," VALID_LOCATION "}",
     422, "unknown_region_code", "region_code"},
    {"{\"title\":\"t\",\"description\":\"d\",\"field_code\":\"ecology\",\"region_code\":"
     "\"140213\"}",
     400, "missing_field", "location"},
    {"{\"title\":\"t\",\"description\":\"d\",\"field_code\":\"ecology\",\"region_code\":\"140213\","
     "\"location\":{\"lat\":40}}",
     400, "missing_field", "location.lon"},
    {"{\"title\":\"t\",\"description\":\"d\",\"field_code\":\"ecology\",\"region_code\":\"140213\","
     "\"location\":{\"lat\":91,\"lon\":113}}",
     400, "invalid_value", "location.lat"},
    {"{\"title\":\"t\",\"description\":\"d\",\"field_code\":\"ecology\",\"region_code\":\"140213\","
     "\"location\":{\"lat\":\"40\",\"lon\":113}}",
     400, "invalid_type", "location.lat"},
    {"{\"title\":\"t\",\"description\":\"d\",\"field_code\":\"ecology\",\"region_code\":\"140213\","
     "\"location\":{}}",
     400, "missing_field", "location.address"},
    {"{" VALID_HEAD ",\"occurred_at\":\"yesterday\"}", 400, "invalid_value", "occurred_at"},
    {"{" VALID_HEAD ",\"occurred_at\":\"2026-02-30T10:00:00Z\"}", 400, "invalid_value",
     "occurred_at"},
    {"{" VALID_HEAD ",\"occurred_at\":\"2030-01-01T00:00:00+08:00\"}", 400, "invalid_value",
     "occurred_at"},
    {"{" VALID_HEAD ",\"attachments\":{}}", 400, "invalid_type", "attachments"},
    {"{" VALID_HEAD ",\"attachments\":[{\"name\":\"a.jpg\",\"media_type\":\"image/jpeg\","
     "\"size\":10,\"sha256\":\"abc\"}]}",
     400, "invalid_value", "attachments[0].sha256"},
    {"{" VALID_HEAD ",\"attachments\":[{\"name\":\"a.jpg\",\"media_type\":\"jpeg\",\"size\":10,"
     "\"sha256\":\""
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
     "\"}]}",
     400, "invalid_value", "attachments[0].media_type"},
    {"{" VALID_HEAD
     ",\"attachments\":[{\"name\":\"a.jpg\",\"media_type\":\"image/jpeg\",\"size\":-1,"
     "\"sha256\":\""
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
     "\"}]}",
     400, "invalid_value", "attachments[0].size"},
    {"{" VALID_HEAD ",\"attachments\":[{\"name\":\"a.jpg\",\"media_type\":\"image/jpeg\","
     "\"size\":9007199254740992,\"sha256\":\""
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
     "\"}]}",
     400, "invalid_value", "attachments[0].size"},
    {"{" VALID_HEAD ",\"source_channel\":\"pigeon\"}", 400, "invalid_value", "source_channel"},
    {"{" VALID_HEAD ",\"reporter\":{}}", 400, "invalid_value", "reporter"},
    {"{" VALID_HEAD ",\"reporter\":{\"phone\":\"call me\"}}", 400, "invalid_value",
     "reporter.phone"},
    {"{" VALID_HEAD ",\"reporter\":{\"age\":30}}", 400, "unknown_property", "reporter.age"},
    {NULL, 0, NULL, NULL},
};

static void test_bad_json_is_refused_with_its_code(void **state)
{
    for (const s_case_t *c = s_bad; c->body; c++) {
        intake_clue_t clue;
        intake_error_t err;
        int rc = intake_clue_from_json(&clue, c->body, strlen(c->body), s_ref, s_now, &err);
        if (rc == 0 || err.http_status != c->status || strcmp(err.code, c->code) != 0 ||
            strcmp(err.field, c->field) != 0)
            fail_msg("body %s: expected %d %s field '%s', got rc %d %d %s field '%s' (%s)", c->body,
                     c->status, c->code, c->field, rc, err.http_status, rc ? err.code : "-",
                     rc ? err.field : "-", rc ? err.message : "-");
    }
}

static void test_valid_clue_is_read_whole(void **state)
{
    const char *body =
        "{" VALID_HEAD ",\"occurred_at\":\"2026-11-01T08:30:00+08:00\","
        "\"attachments\":[{\"name\":\"照片.jpg\",\"media_type\":\"image/jpeg\",\"size\":2048,"
        "\"sha256\":\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"}],"
        "\"source_channel\":\"wechat\",\"reporter\":{\"name\":\"张三\",\"phone\":\"13800000000\"}}";
    intake_clue_t clue;
    intake_error_t err;
    assert_int_equal(intake_clue_from_json(&clue, body, strlen(body), s_ref, s_now, &err), 0);
    assert_string_equal(clue.title, "御河排污");
    assert_string_equal(clue.field_code, "ecology");
    assert_string_equal(clue.region_code, "140213");
    assert_true(clue.has_coordinates);
    assert_string_equal(clue.address, "平城区御河西路");
    /* 2026-11-01T00:30:00Z */
    assert_int_equal(clue.occurred_ms, 1793493000000LL);
    assert_int_equal(clue.nattachments, 1);
    assert_string_equal(clue.attachments[0].sha256,
                        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    assert_string_equal(clue.source_channel, "wechat");
    assert_non_null(strstr(clue.reporter_json, "张三"));

    /*  The event carries the clue but never the reporter. */
    uint8_t *event;
    size_t len;
    intake_clue_event(&clue, "5b4f0b4e-0000-4000-8000-000000000001", s_now, &event, &len);
    Gongyi__V1__ClueReceived *ev = gongyi__v1__clue_received__unpack(NULL, len, event);
    assert_non_null(ev);
    assert_string_equal(ev->title, "御河排污");
    assert_false(ev->anonymous);
    assert_null(memmem(event, len, "张三", strlen("张三")));
    assert_null(memmem(event, len, "13800000000", 11));
    gongyi__v1__clue_received__free_unpacked(ev, NULL);
    free(event);
    intake_clue_clear(&clue);
}

static void test_same_clue_hashes_the_same_however_written(void **state)
{
    const char *a = "{" VALID_HEAD "}";
    const char *b =
        "{ \"region_code\":\"140213\", \"field_code\":\"ecology\","
        " \"description\":\"河边有工厂夜间偷排黑臭废水。\", \"title\":\"御河排污\"," VALID_LOCATION
        " }";
    const char *c = "{" VALID_HEAD ",\"source_channel\":\"app\"}";
    intake_clue_t ca, cb, cc;
    intake_error_t err;
    assert_int_equal(intake_clue_from_json(&ca, a, strlen(a), s_ref, s_now, &err), 0);
    assert_int_equal(intake_clue_from_json(&cb, b, strlen(b), s_ref, s_now, &err), 0);
    assert_int_equal(intake_clue_from_json(&cc, c, strlen(c), s_ref, s_now, &err), 0);
    assert_memory_equal(ca.body_hash, cb.body_hash, 32);
    assert_memory_not_equal(ca.body_hash, cc.body_hash, 32);
    assert_string_equal(ca.source_channel, "web");
    assert_null(ca.reporter_json);
    intake_clue_clear(&ca);
    intake_clue_clear(&cb);
    intake_clue_clear(&cc);
}

static void test_bus_submission_follows_the_same_rules(void **state)
{
    Gongyi__V1__SubmitClue msg = GONGYI__V1__SUBMIT_CLUE__INIT;
    Gongyi__V1__Location loc = GONGYI__V1__LOCATION__INIT;
    msg.reference_id = "12345-2026-000001";
    msg.title = "盲道被占";
    msg.description = "人民路盲道被共享单车长期占用。";
    msg.field_code = "barrier_free";
    msg.region_code = "321111";
    loc.address = "润州区人民路";
    msg.location = &loc;
    intake_clue_t clue;
    intake_error_t err;
    assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), 0);
    assert_string_equal(clue.source_channel, "hotline_12345");
    assert_false(clue.has_coordinates);
    intake_clue_clear(&clue);

    msg.region_code = "123456";
    assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), -1);
    assert_string_equal(err.code, "unknown_region_code");
    msg.region_code = "321111";
    msg.title = "bad \xc3\x28";
    assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), -1);
    assert_string_equal(err.code, "invalid_utf8");
    assert_string_equal(err.field, "title");
    msg.title = "";
    assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), -1);
    assert_string_equal(err.code, "missing_field");
    /*  protobuf-c does not check UTF-8: the overlong and surrogate forms
     *  PostgreSQL would refuse are caught here, in every text field. */
    const char *invalid[] = {"overlong \xc0\xaf", "surrogate \xed\xa0\x80",
                             "past Unicode \xf4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        msg.title = (char *)invalid[i];
        assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), -1);
        assert_string_equal(err.code, "invalid_utf8");
        assert_string_equal(err.field, "title");
        msg.title = "盲道被占";
        msg.description = (char *)invalid[i];
        assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), -1);
        assert_string_equal(err.code, "invalid_utf8");
        assert_string_equal(err.field, "description");
        msg.description = "人民路盲道被共享单车长期占用。";
        loc.address = (char *)invalid[i];
        assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), -1);
        assert_string_equal(err.code, "invalid_utf8");
        assert_string_equal(err.field, "location.address");
        loc.address = "润州区人民路";
    }
    /*  A C1 control character is refused like a C0 one. */
    msg.title = "盲道\xc2\x85被占";
    assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), -1);
    assert_string_equal(err.code, "invalid_value");
    msg.title = "盲道被占";
    /*  An unknown code is quoted in the message as valid UTF-8, cut at a
     *  character boundary however long or broken it is. */
    msg.field_code = "\xe7\x94\x9f\xe6\x80\x81\xe7\x8e\xaf\xe5\xa2\x83\xe4\xbf\x9d\xe6\x8a\xa4"
                     "\xe7\x94\x9f\xe6\x80\x81\xe7\x8e\xaf\xe5\xa2\x83\xe4\xbf\x9d\xe6\x8a\xa4\xc0";
    assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), -1);
    assert_string_equal(err.code, "unknown_field_code");
    assert_int_not_equal(gy_text_check(err.message, strlen(err.message), GY_TEXT_LINE),
                         GY_TEXT_INVALID_UTF8);
    msg.field_code = "barrier_free";
    /*  A size past 2^53 - 1 is refused, never stored as a negative number. */
    Gongyi__V1__Attachment att = GONGYI__V1__ATTACHMENT__INIT;
    Gongyi__V1__Attachment *atts[] = {&att};
    att.name = "a.jpg";
    att.media_type = "image/jpeg";
    att.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    att.size = UINT64_MAX;
    msg.n_attachments = 1;
    msg.attachments = atts;
    assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), -1);
    assert_string_equal(err.code, "invalid_value");
    assert_string_equal(err.field, "attachments[0].size");
    att.size = 9007199254740991ULL;
    assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), 0);
    char *json = intake_clue_attachments_json(&clue);
    assert_non_null(strstr(json, "\"size\":9007199254740991"));
    free(json);
    intake_clue_clear(&clue);
    msg.n_attachments = 0;
    msg.attachments = NULL;
    msg.location = NULL;
    assert_int_equal(intake_clue_from_proto(&clue, &msg, s_ref, s_now, &err), -1);
    assert_string_equal(err.field, "location");
}

static void test_receipt_codes_are_unguessable_and_checkable(void **state)
{
    char a[GY_RECEIPT_LEN + 1], b[GY_RECEIPT_LEN + 1];
    gy_receipt_code(a);
    gy_receipt_code(b);
    assert_int_equal(strlen(a), GY_RECEIPT_LEN);
    assert_string_not_equal(a, b);
    assert_true(gy_receipt_valid(a));
    assert_false(gy_receipt_valid("GY-ABCDE-ABCDE-ABCDE-ABCD"));
    assert_false(gy_receipt_valid("GY-ABCDE-ABCDE-ABCDE-ABCDU")); /* U is not Crockford */
    assert_false(gy_receipt_valid("../../etc/passwd"));
}

static void test_sealed_identity_opens_only_with_its_key(void **state)
{
    uint8_t key[GY_SEAL_KEY_BYTES] = {1}, other[GY_SEAL_KEY_BYTES] = {2};
    const char *who = "{\"name\":\"张三\"}";
    size_t len = strlen(who);
    uint8_t sealed[64], sealed2[64], out[64];
    gy_seal(key, who, len, sealed);
    gy_seal(key, who, len, sealed2);
    assert_memory_not_equal(sealed, sealed2, len + GY_SEAL_OVERHEAD);
    assert_int_equal(gy_unseal(key, sealed, len + GY_SEAL_OVERHEAD, out), 0);
    assert_memory_equal(out, who, len);
    assert_int_equal(gy_unseal(other, sealed, len + GY_SEAL_OVERHEAD, out), -1);
    sealed[30] ^= 1;
    assert_int_equal(gy_unseal(key, sealed, len + GY_SEAL_OVERHEAD, out), -1);
}

int main(void)
{
    gy_log_init("test", "error");
    gy_crypto_init();
    s_ref = gy_refdata_new(GY_DEFAULT_REFDATA_DIR);
    if (!s_ref)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_json_is_refused_with_its_code),
        cmocka_unit_test(test_valid_clue_is_read_whole),
        cmocka_unit_test(test_same_clue_hashes_the_same_however_written),
        cmocka_unit_test(test_bus_submission_follows_the_same_rules),
        cmocka_unit_test(test_receipt_codes_are_unguessable_and_checkable),
        cmocka_unit_test(test_sealed_identity_opens_only_with_its_key),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    gy_refdata_destroy(&s_ref);
    return rc;
}
