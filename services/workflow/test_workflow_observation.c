/*  test_workflow_observation — what a supervisor's observation and a
 *  supervisor's appointment must look like, on a fixed clock: dates not
 *  after today (Beijing), photos' metadata (type, size, sha256, when and
 *  where taken). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gy_clock.h"
#include "workflow_observation.h"

/*  2026-11-28 00:30 Beijing (still 2026-11-27 in UTC). */
#define NOW 1795797000000LL

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static void s_refused(const char *body, int status, const char *code, const char *field)
{
    workflow_observation_t o;
    gy_error_t err;
    assert_int_equal(workflow_observation_parse(body, strlen(body), NOW, &o, &err), -1);
    assert_int_equal(err.http_status, status);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field);
    assert_null(o.root);
}

#define OBS(day, photos)                                                                                   \
    "{\"observed_on\":\"" day "\",\"place\":\"御河东岸排污口\",\"text\":\"排污口已封堵。\"," \
    "\"finding\":\"rectified\",\"photos\":" photos "}"

static void test_observations(void **state)
{
    (void)state;
    assert_int_equal(gy_clock_parse_iso("2026-11-28T00:30:00+08:00"), NOW);
    workflow_observation_t o;
    gy_error_t err;
    const char *ok = OBS("2026-11-28", "[{\"name\":\"a.jpg\",\"content_type\":\"image/jpeg\","
                                       "\"size\":204800,\"sha256\":\"" SHA "\","
                                       "\"taken_at\":\"2026-11-28T00:10:00+08:00\","
                                       "\"lat\":40.08,\"lon\":113.3}]");
    /*  Today in Beijing, though it is still the 27th in UTC. */
    assert_int_equal(workflow_observation_parse(ok, strlen(ok), NOW, &o, &err), 0);
    assert_string_equal(o.observed_on, "2026-11-28");
    assert_string_equal(o.finding, "rectified");
    assert_int_equal(o.photos, 1);
    assert_non_null(strstr(o.photos_json, SHA));
    workflow_observation_clear(&o);
    const char *none = "{\"observed_on\":\"2026-11-01\",\"place\":\"p\",\"text\":\"t\","
                       "\"finding\":\"partly\"}";
    assert_int_equal(workflow_observation_parse(none, strlen(none), NOW, &o, &err), 0);
    assert_string_equal(o.photos_json, "[]");
    workflow_observation_clear(&o);

    s_refused(OBS("2026-11-29", "[]"), 422, "date_in_future", "observed_on");
    s_refused(OBS("2026-02-30", "[]"), 400, "invalid_value", "observed_on");
    s_refused(OBS("28/11/2026", "[]"), 400, "invalid_value", "observed_on");
    s_refused("{\"observed_on\":\"2026-11-28\",\"place\":\"p\",\"text\":\"t\","
              "\"finding\":\"fixed\"}",
              400, "invalid_value", "finding");
    s_refused(OBS("2026-11-28", "[{\"name\":\"a.jpg\",\"content_type\":\"image/jpeg\","
                                "\"size\":1,\"sha256\":\"" SHA "0\"}]"),
              400, "too_long", "sha256");
    s_refused(OBS("2026-11-28", "[{\"name\":\"a.jpg\",\"content_type\":\"image/jpeg\","
                                "\"size\":1,\"sha256\":\"XYZ\"}]"),
              400, "invalid_value", "sha256");
    s_refused(OBS("2026-11-28",
                  "[{\"name\":\"a.jpg\",\"content_type\":\"image/jpeg\","
                  "\"size\":1,\"sha256\":"
                  "\"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\"}]"),
              400, "invalid_value", "sha256");
    s_refused(OBS("2026-11-28",
                  "[{\"name\":\"a.exe\",\"content_type\":\"application/x-msdownload\","
                  "\"size\":1,\"sha256\":\"" SHA "\"}]"),
              415, "unsupported_media_type", "content_type");
    s_refused(OBS("2026-11-28", "[{\"name\":\"a.jpg\",\"content_type\":\"image/jpeg\","
                                "\"size\":0,\"sha256\":\"" SHA "\"}]"),
              400, "invalid_value", "size");
    s_refused(OBS("2026-11-28", "[{\"name\":\"a.jpg\",\"content_type\":\"image/jpeg\","
                                "\"size\":52428801,\"sha256\":\"" SHA "\"}]"),
              400, "invalid_value", "size");
    s_refused(OBS("2026-11-28", "[{\"name\":\"../a.jpg\",\"content_type\":\"image/jpeg\","
                                "\"size\":1,\"sha256\":\"" SHA "\"}]"),
              400, "invalid_value", "name");
    s_refused(OBS("2026-11-28", "[{\"name\":\"a.jpg\",\"content_type\":\"image/jpeg\","
                                "\"size\":1,\"sha256\":\"" SHA "\","
                                "\"taken_at\":\"2026-11-28T00:31:00+08:00\"}]"),
              422, "date_in_future", "taken_at");
    s_refused(OBS("2026-11-28", "[{\"name\":\"a.jpg\",\"content_type\":\"image/jpeg\","
                                "\"size\":1,\"sha256\":\"" SHA "\",\"lat\":91}]"),
              400, "invalid_value", "lat");
    s_refused(OBS("2026-11-28", "[{\"name\":\"a.jpg\",\"content_type\":\"image/jpeg\","
                                "\"size\":1,\"sha256\":\"" SHA "\",\"exif\":{}}]"),
              400, "unknown_property", "exif");
    s_refused(OBS("2026-11-28", "{}"), 400, "invalid_type", "photos");
}

static void test_supervisor_bodies(void **state)
{
    (void)state;
    workflow_supervisor_t s;
    gy_error_t err;
    const char *ok = "{\"volunteer_id\":\"6F1C3A52-0B7E-4C55-9E39-2B1D43C7A001\"}";
    assert_int_equal(workflow_supervisor_parse(ok, strlen(ok), &s, &err), 0);
    assert_string_equal(s.volunteer_id, "6f1c3a52-0b7e-4c55-9e39-2b1d43c7a001");
    assert_string_equal(s.reason, "");
    workflow_supervisor_clear(&s);
    const char *bad = "{\"volunteer_id\":\"42\"}";
    assert_int_equal(workflow_supervisor_parse(bad, strlen(bad), &s, &err), -1);
    assert_string_equal(err.field, "volunteer_id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observations),
        cmocka_unit_test(test_supervisor_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
