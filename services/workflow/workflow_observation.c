/*  workflow_observation — see workflow_observation.h. */
#include "workflow_observation.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_calendar.h"
#include "gy_clock.h"
#include "gy_util.h"
#include "workflow_consult.h"

static const char *const s_findings[] = {"rectified", "partly", "not_rectified", NULL};
static const char *const s_types[] = {"image/jpeg", "image/png", "image/heic", "image/webp", NULL};

static bool s_one_of(const char *s, const char *const *list)
{
    for (const char *const *p = list; *p; p++)
        if (strcmp(s, *p) == 0)
            return true;
    return false;
}

static bool s_sha256_ok(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
            return false;
    return true;
}

/*  An optional number member within min..max. */
static int s_number(json_t *o, const char *name, double min, double max, gy_error_t *err)
{
    json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < min ||
        json_number_value(v) > max) {
        gy_error_set(err, 400, "invalid_value", name, "photos: %s is a number from %g to %g", name,
                     min, max);
        return -1;
    }
    return 0;
}

/*  One photo's metadata, copied into out (only the known members). */
static int s_photo(json_t *p, int64_t now_ms, json_t *out, gy_error_t *err)
{
    static const char *const names[] = {"name",     "content_type", "size", "sha256",
                                        "taken_at", "lat",          "lon",  NULL};
    if (!json_is_object(p)) {
        gy_error_set(err, 400, "invalid_type", "photos", "each photo is an object");
        return -1;
    }
    const char *name, *type, *sha, *taken;
    if (workflow_body_known(p, names, err) < 0 ||
        workflow_body_string(p, "name", true, 1, 255, false, &name, err) < 0 ||
        workflow_body_string(p, "content_type", true, 1, 64, false, &type, err) < 0 ||
        workflow_body_string(p, "sha256", true, 1, 64, false, &sha, err) < 0 ||
        workflow_body_string(p, "taken_at", false, 1, 40, false, &taken, err) < 0 ||
        s_number(p, "lat", -90, 90, err) < 0 || s_number(p, "lon", -180, 180, err) < 0)
        return -1;
    if (strchr(name, '/') || strchr(name, '\\')) {
        gy_error_set(err, 400, "invalid_value", "name", "a photo's name is a file name, no path");
        return -1;
    }
    if (!s_one_of(type, s_types)) {
        gy_error_set(err, 415, "unsupported_media_type", "content_type",
                     "a photo is image/jpeg, image/png, image/heic or image/webp");
        return -1;
    }
    if (!s_sha256_ok(sha)) {
        gy_error_set(err, 400, "invalid_value", "sha256",
                     "sha256 is 64 lower-case hexadecimal digits");
        return -1;
    }
    json_t *size = json_object_get(p, "size");
    if (!json_is_integer(size) || json_integer_value(size) < 1 ||
        json_integer_value(size) > WORKFLOW_PHOTO_SIZE_MAX) {
        gy_error_set(err, 400, size ? "invalid_value" : "missing_field", "size",
                     "size is the photo's length in bytes, 1 to %lld",
                     (long long)WORKFLOW_PHOTO_SIZE_MAX);
        return -1;
    }
    if (taken) {
        int64_t ms = gy_clock_parse_iso(taken);
        if (ms == GY_CLOCK_INVALID) {
            gy_error_set(err, 400, "invalid_value", "taken_at",
                         "taken_at is an instant with its offset");
            return -1;
        }
        if (ms > now_ms) {
            gy_error_set(err, 422, "date_in_future", "taken_at",
                         "a photo cannot be taken in the future");
            return -1;
        }
    }
    for (const char *const *n = names; *n; n++) {
        json_t *v = json_object_get(p, *n);
        if (v && !json_is_null(v))
            json_object_set(out, *n, v);
    }
    return 0;
}

int workflow_observation_parse(const char *body, size_t len, int64_t now_ms,
                               workflow_observation_t *o, gy_error_t *err)
{
    static const char *const names[] = {"observed_on", "place", "text", "finding", "photos", NULL};
    memset(o, 0, sizeof *o);
    if (workflow_body_load(body, len, &o->root, err) < 0)
        return -1;
    const char *day;
    if (workflow_body_known(o->root, names, err) < 0 ||
        workflow_body_string(o->root, "observed_on", true, 1, 10, false, &day, err) < 0 ||
        workflow_body_string(o->root, "place", true, 1, 200, false, &o->place, err) < 0 ||
        workflow_body_string(o->root, "text", true, 1, 4000, true, &o->text, err) < 0 ||
        workflow_body_string(o->root, "finding", true, 1, 16, false, &o->finding, err) < 0)
        goto fail;
    gy_day_t d = gy_day_parse(day);
    if (d < 0 || strlen(day) != 10) {
        gy_error_set(err, 400, "invalid_value", "observed_on", "observed_on is a date YYYY-MM-DD");
        goto fail;
    }
    if (d > gy_day_of_ms(now_ms)) {
        gy_error_set(err, 422, "date_in_future", "observed_on",
                     "observed_on must not be after today (Beijing time)");
        goto fail;
    }
    snprintf(o->observed_on, sizeof o->observed_on, "%s", day);
    if (!s_one_of(o->finding, s_findings)) {
        gy_error_set(err, 400, "invalid_value", "finding",
                     "finding is rectified, partly or not_rectified");
        goto fail;
    }
    json_t *photos = json_object_get(o->root, "photos");
    json_t *out = json_array();
    if (photos && !json_is_null(photos)) {
        if (!json_is_array(photos) || json_array_size(photos) > WORKFLOW_PHOTOS_MAX) {
            json_decref(out);
            gy_error_set(err, 400, json_is_array(photos) ? "invalid_value" : "invalid_type",
                         "photos", "photos is an array of up to %d photos' metadata",
                         WORKFLOW_PHOTOS_MAX);
            goto fail;
        }
        size_t i;
        json_t *p;
        json_array_foreach(photos, i, p) {
            json_t *copy = json_object();
            if (s_photo(p, now_ms, copy, err) < 0) {
                json_decref(copy);
                json_decref(out);
                goto fail;
            }
            json_array_append_new(out, copy);
        }
    }
    o->photos = json_array_size(out);
    o->photos_json = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    return 0;
fail:
    workflow_observation_clear(o);
    return -1;
}

void workflow_observation_clear(workflow_observation_t *o)
{
    json_decref(o->root);
    free(o->photos_json);
    memset(o, 0, sizeof *o);
}

int workflow_supervisor_parse(const char *body, size_t len, workflow_supervisor_t *s,
                              gy_error_t *err)
{
    static const char *const names[] = {"volunteer_id", "reason", NULL};
    memset(s, 0, sizeof *s);
    if (workflow_body_load(body, len, &s->root, err) < 0)
        return -1;
    const char *id;
    if (workflow_body_known(s->root, names, err) < 0 ||
        workflow_body_string(s->root, "volunteer_id", true, 1, 36, false, &id, err) < 0 ||
        workflow_body_string(s->root, "reason", false, 0, 1000, true, &s->reason, err) < 0)
        goto fail;
    if (!gy_uuid_valid(id)) {
        gy_error_set(err, 400, "invalid_value", "volunteer_id", "volunteer_id is a UUID");
        goto fail;
    }
    snprintf(s->volunteer_id, sizeof s->volunteer_id, "%s", id);
    for (char *c = s->volunteer_id; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (!s->reason)
        s->reason = "";
    return 0;
fail:
    workflow_supervisor_clear(s);
    return -1;
}

void workflow_supervisor_clear(workflow_supervisor_t *s)
{
    json_decref(s->root);
    memset(s, 0, sizeof *s);
}
