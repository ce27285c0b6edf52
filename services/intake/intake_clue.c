/*  intake_clue — see intake_clue.h.  The rules are documented for users in
 *  docs/api.md; keep the two in step. */
#include "intake_clue.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gy_route.h"
#include "gy_text.h"
#include "gy_util.h"

#define S_MAX_ATTACHMENTS 20
/*  2^53 - 1: the largest integer every JSON reader keeps exactly (the size
 *  is stored and shown as JSON), and far above any real file. */
#define S_MAX_ATTACHMENT_SIZE 9007199254740991ULL
/*  A submission may name a time up to this far ahead of our clock:
 *  reporters' phones are not all set right. */
#define S_FUTURE_SLACK_MS (INT64_C(5) * 60 * 1000)

static const char *s_channels[] = {"web",        "app",    "wechat", "hotline_12345", "agency",
                                   "data_model", "letter", "visit",  "other",         NULL};

/*  ---- text rules shared by both paths ---- */

static bool s_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

/*  Checks text against its rule; on success stores a copy in *out. */
static int s_text(const char *value, size_t len, const char *field, long min, long max,
                  gy_text_kind_t kind, char **out, intake_error_t *err)
{
    long chars = gy_text_check(value, len, kind);
    if (chars == GY_TEXT_INVALID_UTF8) {
        intake_error_set(err, 400, "invalid_utf8", field, "%s is not valid UTF-8", field);
        return -1;
    }
    if (chars == GY_TEXT_CONTROL) {
        intake_error_set(err, 400, "invalid_value", field, "%s contains a control character",
                         field);
        return -1;
    }
    if (chars < min || (min > 0 && s_blank(value))) {
        intake_error_set(err, 400, "invalid_value", field, "%s must not be empty", field);
        return -1;
    }
    if (chars > max) {
        intake_error_set(err, 400, "invalid_value", field,
                         "%s is too long: %ld characters, at most %ld", field, chars, max);
        return -1;
    }
    *out = gy_strndup(value, len);
    return 0;
}

static int s_check_codes(intake_clue_t *clue, const char *field_code, const char *region_code,
                         const gy_refdata_t *ref, intake_error_t *err)
{
    char quoted[48];
    if (!gy_refdata_field(ref, field_code)) {
        gy_text_excerpt(quoted, sizeof quoted, field_code);
        intake_error_set(err, 422, "unknown_field_code", "field_code",
                         "field code \"%s\" is not in the reference data", quoted);
        return -1;
    }
    if (!gy_refdata_region(ref, region_code)) {
        gy_text_excerpt(quoted, sizeof quoted, region_code);
        intake_error_set(err, 422, "unknown_region_code", "region_code",
                         "region code \"%s\" is not in the reference data (six-digit GB/T "
                         "2260 codes)",
                         quoted);
        return -1;
    }
    clue->field_code = gy_strdup(field_code);
    snprintf(clue->region_code, sizeof clue->region_code, "%s", region_code);
    return 0;
}

static int s_check_coordinates(double lat, double lon, intake_error_t *err)
{
    if (!isfinite(lat) || lat < -90 || lat > 90) {
        intake_error_set(err, 400, "invalid_value", "location.lat",
                         "location.lat must be from -90 to 90");
        return -1;
    }
    if (!isfinite(lon) || lon < -180 || lon > 180) {
        intake_error_set(err, 400, "invalid_value", "location.lon",
                         "location.lon must be from -180 to 180");
        return -1;
    }
    return 0;
}

static int s_check_occurred(int64_t ms, int64_t now_ms, const char *field, intake_error_t *err)
{
    if (ms > now_ms + S_FUTURE_SLACK_MS) {
        intake_error_set(err, 400, "invalid_value", field, "%s is in the future", field);
        return -1;
    }
    if (ms < -2208988800000LL) { /* 1900-01-01 */
        intake_error_set(err, 400, "invalid_value", field, "%s is before 1900", field);
        return -1;
    }
    return 0;
}

static int s_check_size(uint64_t size, const char *field, intake_error_t *err)
{
    if (size > S_MAX_ATTACHMENT_SIZE) {
        intake_error_set(err, 400, "invalid_value", field, "%s must be at most %llu bytes", field,
                         (unsigned long long)S_MAX_ATTACHMENT_SIZE);
        return -1;
    }
    return 0;
}

static bool s_media_type_char(char c)
{
    return isalnum((unsigned char)c) || strchr("!#$&^_.+-", c);
}

static int s_check_media_type(const char *s, const char *field, intake_error_t *err)
{
    const char *slash = strchr(s, '/');
    bool ok = slash && slash != s && slash[1] && strlen(s) <= 127;
    for (const char *p = s; ok && *p; p++)
        ok = p == slash || s_media_type_char(*p);
    if (!ok)
        intake_error_set(err, 400, "invalid_value", field,
                         "%s must be a media type such as image/jpeg", field);
    return ok ? 0 : -1;
}

static int s_check_sha256(const char *s, char out[65], const char *field, intake_error_t *err)
{
    bool ok = strlen(s) == 64;
    for (int i = 0; ok && i < 64; i++)
        ok = isxdigit((unsigned char)s[i]);
    if (!ok) {
        intake_error_set(err, 400, "invalid_value", field, "%s must be 64 hexadecimal digits",
                         field);
        return -1;
    }
    for (int i = 0; i < 64; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[64] = '\0';
    return 0;
}

static int s_check_channel(const char *s, intake_error_t *err)
{
    for (int i = 0; s_channels[i]; i++)
        if (strcmp(s, s_channels[i]) == 0)
            return 0;
    intake_error_set(err, 400, "invalid_value", "source_channel",
                     "source_channel must be one of web, app, wechat, hotline_12345, agency, "
                     "data_model, letter, visit, other");
    return -1;
}

/*  ---- the reporter ---- */

typedef struct {
    const char *name;
    long max;
    const char *allowed; /* characters allowed besides digits; NULL: any text */
} s_reporter_rule_t;

static const s_reporter_rule_t s_reporter_rules[] = {
    {"name", 100, NULL},     {"phone", 32, "+-() "}, {"email", 254, NULL},
    {"id_number", 32, "Xx"}, {NULL, 0, NULL},
};

static int s_check_reporter_value(const s_reporter_rule_t *rule, const char *value,
                                  intake_error_t *err)
{
    char field[64];
    snprintf(field, sizeof field, "reporter.%s", rule->name);
    char *copy = NULL;
    if (s_text(value, strlen(value), field, 1, rule->max, GY_TEXT_LINE, &copy, err) < 0)
        return -1;
    free(copy);
    if (rule->allowed) {
        for (const char *p = value; *p; p++) {
            if (!isdigit((unsigned char)*p) && !strchr(rule->allowed, *p)) {
                intake_error_set(err, 400, "invalid_value", field,
                                 "%s contains a character it cannot hold", field);
                return -1;
            }
        }
    }
    if (strcmp(rule->name, "email") == 0 && !strchr(value, '@')) {
        intake_error_set(err, 400, "invalid_value", field, "%s must be an e-mail address", field);
        return -1;
    }
    return 0;
}

/*  ---- JSON ---- */

static const char *s_json_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int s_unknown_members(json_t *obj, const char *const *allowed, const char *prefix,
                             intake_error_t *err)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        bool known = false;
        for (int i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known) {
            char quoted[64], field[96];
            gy_text_excerpt(quoted, sizeof quoted, key);
            gy_text_format(field, sizeof field, "%s%s", prefix, quoted);
            intake_error_set(err, 400, "unknown_property", field, "unknown member \"%s\"", field);
            return -1;
        }
    }
    return 0;
}

/*  Fetches a member that must be a string when present.  Returns 1 when
 *  present, 0 when absent (or null), -1 on error. */
static int s_json_string(json_t *obj, const char *key, const char *field, bool required,
                         const char **value, size_t *len, intake_error_t *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) {
            intake_error_set(err, 400, "missing_field", field, "%s is required", field);
            return -1;
        }
        return 0;
    }
    if (!json_is_string(v)) {
        intake_error_set(err, 400, "invalid_type", field, "%s must be a string, not %s", field,
                         s_json_type(v));
        return -1;
    }
    *value = json_string_value(v);
    *len = json_string_length(v);
    return 1;
}

/*  Parses RFC 3339: 2026-11-01T08:30:00Z, with optional fraction and an
 *  offset. */
static int s_parse_rfc3339(const char *s, int64_t *ms)
{
    struct tm tm = {0};
    int frac_ms = 0;
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p || strlen(s) < 20 || s[4] != '-' || s[10] != 'T')
        return -1;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            if (digits < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (!digits)
            return -1;
        for (; digits < 3; digits++)
            frac_ms *= 10;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
               isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
               isdigit((unsigned char)p[5])) {
        int hh = (p[1] - '0') * 10 + (p[2] - '0');
        int mm = (p[4] - '0') * 10 + (p[5] - '0');
        if (hh > 23 || mm > 59)
            return -1;
        offset = ((long)hh * 60 + mm) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    int mday = tm.tm_mday, mon = tm.tm_mon;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != mday || tm.tm_mon != mon) /* e.g. 02-31 */
        return -1;
    *ms = ((int64_t)t - offset) * 1000 + frac_ms;
    return 0;
}

static int s_json_location(intake_clue_t *clue, json_t *root, intake_error_t *err)
{
    static const char *const allowed[] = {"lat", "lon", "address", NULL};
    json_t *loc = json_object_get(root, "location");
    if (!loc || json_is_null(loc)) {
        intake_error_set(err, 400, "missing_field", "location", "location is required");
        return -1;
    }
    if (!json_is_object(loc)) {
        intake_error_set(err, 400, "invalid_type", "location", "location must be an object, not %s",
                         s_json_type(loc));
        return -1;
    }
    if (s_unknown_members(loc, allowed, "location.", err) < 0)
        return -1;
    json_t *lat = json_object_get(loc, "lat"), *lon = json_object_get(loc, "lon");
    if (json_is_null(lat)) /* the macro tests for NULL itself */
        lat = NULL;
    if (json_is_null(lon))
        lon = NULL;
    if (lat && !json_is_number(lat)) {
        intake_error_set(err, 400, "invalid_type", "location.lat",
                         "location.lat must be a number, not %s", s_json_type(lat));
        return -1;
    }
    if (lon && !json_is_number(lon)) {
        intake_error_set(err, 400, "invalid_type", "location.lon",
                         "location.lon must be a number, not %s", s_json_type(lon));
        return -1;
    }
    if (!lat != !lon) {
        const char *missing = lat ? "location.lon" : "location.lat";
        intake_error_set(err, 400, "missing_field", missing,
                         "%s is required with %s: coordinates go in pairs", missing,
                         lat ? "location.lat" : "location.lon");
        return -1;
    }
    if (lat) {
        if (s_check_coordinates(json_number_value(lat), json_number_value(lon), err) < 0)
            return -1;
        clue->has_coordinates = true;
        clue->lat = json_number_value(lat);
        clue->lon = json_number_value(lon);
    }
    const char *address;
    size_t len;
    int rc = s_json_string(loc, "address", "location.address", false, &address, &len, err);
    if (rc < 0)
        return -1;
    if (rc == 1 &&
        s_text(address, len, "location.address", 1, 500, GY_TEXT_LINE, &clue->address, err) < 0)
        return -1;
    if (!clue->has_coordinates && !clue->address) {
        intake_error_set(err, 400, "missing_field", "location.address",
                         "location needs lat and lon, or an address");
        return -1;
    }
    return 0;
}

static int s_json_attachments(intake_clue_t *clue, json_t *root, intake_error_t *err)
{
    static const char *const allowed[] = {"name", "media_type", "size", "sha256", NULL};
    json_t *list = json_object_get(root, "attachments");
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list)) {
        intake_error_set(err, 400, "invalid_type", "attachments",
                         "attachments must be an array, not %s", s_json_type(list));
        return -1;
    }
    size_t n = json_array_size(list);
    if (n > S_MAX_ATTACHMENTS) {
        intake_error_set(err, 400, "invalid_value", "attachments",
                         "too many attachments: %zu, at most %d", n, S_MAX_ATTACHMENTS);
        return -1;
    }
    clue->attachments = gy_calloc(n, sizeof *clue->attachments);
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(list, i);
        intake_attachment_t *a = &clue->attachments[i];
        clue->nattachments = i + 1;
        char prefix[32], field[64];
        snprintf(prefix, sizeof prefix, "attachments[%zu].", i);
        if (!json_is_object(item)) {
            snprintf(field, sizeof field, "attachments[%zu]", i);
            intake_error_set(err, 400, "invalid_type", field, "%s must be an object, not %s", field,
                             s_json_type(item));
            return -1;
        }
        if (s_unknown_members(item, allowed, prefix, err) < 0)
            return -1;
        const char *value;
        size_t len;
        snprintf(field, sizeof field, "%sname", prefix);
        if (s_json_string(item, "name", field, true, &value, &len, err) < 0 ||
            s_text(value, len, field, 1, 255, GY_TEXT_LINE, &a->name, err) < 0)
            return -1;
        snprintf(field, sizeof field, "%smedia_type", prefix);
        if (s_json_string(item, "media_type", field, true, &value, &len, err) < 0 ||
            s_check_media_type(value, field, err) < 0)
            return -1;
        a->media_type = gy_strdup(value);
        snprintf(field, sizeof field, "%ssize", prefix);
        json_t *size = json_object_get(item, "size");
        if (!size || json_is_null(size)) {
            intake_error_set(err, 400, "missing_field", field, "%s is required", field);
            return -1;
        }
        if (!json_is_integer(size)) {
            intake_error_set(err, 400, "invalid_type", field, "%s must be an integer, not %s",
                             field, s_json_type(size));
            return -1;
        }
        if (json_integer_value(size) < 0) {
            intake_error_set(err, 400, "invalid_value", field, "%s must not be negative", field);
            return -1;
        }
        a->size = (uint64_t)json_integer_value(size);
        if (s_check_size(a->size, field, err) < 0)
            return -1;
        snprintf(field, sizeof field, "%ssha256", prefix);
        if (s_json_string(item, "sha256", field, true, &value, &len, err) < 0 ||
            s_check_sha256(value, a->sha256, field, err) < 0)
            return -1;
    }
    return 0;
}

static int s_json_reporter(intake_clue_t *clue, json_t *root, intake_error_t *err)
{
    static const char *const allowed[] = {"name", "phone", "email", "id_number", NULL};
    json_t *rep = json_object_get(root, "reporter");
    if (!rep || json_is_null(rep))
        return 0;
    if (!json_is_object(rep)) {
        intake_error_set(err, 400, "invalid_type", "reporter", "reporter must be an object, not %s",
                         s_json_type(rep));
        return -1;
    }
    if (s_unknown_members(rep, allowed, "reporter.", err) < 0)
        return -1;
    json_t *sealed = json_object();
    for (const s_reporter_rule_t *rule = s_reporter_rules; rule->name; rule++) {
        char field[64];
        snprintf(field, sizeof field, "reporter.%s", rule->name);
        const char *value;
        size_t len;
        int rc = s_json_string(rep, rule->name, field, false, &value, &len, err);
        if (rc < 0 || (rc == 1 && s_check_reporter_value(rule, value, err) < 0)) {
            json_decref(sealed);
            return -1;
        }
        if (rc == 1)
            json_object_set_new(sealed, rule->name, json_string(value));
    }
    if (json_object_size(sealed) == 0) {
        json_decref(sealed);
        intake_error_set(err, 400, "invalid_value", "reporter",
                         "reporter must have at least one of name, phone, email, id_number; "
                         "leave it out to report anonymously");
        return -1;
    }
    clue->reporter_json = json_dumps(sealed, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(sealed);
    return 0;
}

static int s_json_clue(intake_clue_t *clue, json_t *root, const gy_refdata_t *ref, int64_t now_ms,
                       intake_error_t *err)
{
    static const char *const allowed[] = {
        "title",       "description", "field_code",     "region_code", "location",
        "occurred_at", "attachments", "source_channel", "reporter",    NULL};
    if (s_unknown_members(root, allowed, "", err) < 0)
        return -1;
    const char *value;
    size_t len;
    if (s_json_string(root, "title", "title", true, &value, &len, err) < 0 ||
        s_text(value, len, "title", 1, 200, GY_TEXT_LINE, &clue->title, err) < 0)
        return -1;
    if (s_json_string(root, "description", "description", true, &value, &len, err) < 0 ||
        s_text(value, len, "description", 1, 10000, GY_TEXT_MULTILINE, &clue->description, err) < 0)
        return -1;
    const char *field_code, *region_code;
    if (s_json_string(root, "field_code", "field_code", true, &field_code, &len, err) < 0 ||
        s_json_string(root, "region_code", "region_code", true, &region_code, &len, err) < 0 ||
        s_check_codes(clue, field_code, region_code, ref, err) < 0)
        return -1;
    if (s_json_location(clue, root, err) < 0)
        return -1;
    int rc = s_json_string(root, "occurred_at", "occurred_at", false, &value, &len, err);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        if (s_parse_rfc3339(value, &clue->occurred_ms) < 0) {
            intake_error_set(err, 400, "invalid_value", "occurred_at",
                             "occurred_at must be an RFC 3339 time such as "
                             "2026-11-01T08:30:00+08:00");
            return -1;
        }
        if (s_check_occurred(clue->occurred_ms, now_ms, "occurred_at", err) < 0)
            return -1;
        if (clue->occurred_ms == 0)
            clue->occurred_ms = 1; /* 0 means "not given" on the bus */
    }
    if (s_json_attachments(clue, root, err) < 0)
        return -1;
    rc = s_json_string(root, "source_channel", "source_channel", false, &value, &len, err);
    if (rc < 0 || (rc == 1 && s_check_channel(value, err) < 0))
        return -1;
    clue->source_channel = gy_strdup(rc == 1 ? value : "web");
    return s_json_reporter(clue, root, err);
}

int intake_clue_from_json(intake_clue_t *clue, const char *body, size_t len,
                          const gy_refdata_t *ref, int64_t now_ms, intake_error_t *err)
{
    memset(clue, 0, sizeof *clue);
    json_t *root = gy_json_object_load(body, len, err);
    if (!root)
        return -1;
    int rc = s_json_clue(clue, root, ref, now_ms, err);
    if (rc == 0) {
        /*  The same clue sent twice hashes the same however its members
         *  were ordered or spaced. */
        char *canonical = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
        gy_sha256(canonical, strlen(canonical), clue->body_hash);
        free(canonical);
    } else {
        intake_clue_clear(clue);
    }
    json_decref(root);
    return rc;
}

/*  ---- protobuf ---- */

static int s_proto_text(const char *value, const char *field, bool required, long max,
                        gy_text_kind_t kind, char **out, intake_error_t *err)
{
    if (!value || !*value) {
        if (required) {
            intake_error_set(err, 400, "missing_field", field, "%s is required", field);
            return -1;
        }
        return 0;
    }
    return s_text(value, strlen(value), field, 1, max, kind, out, err);
}

int intake_clue_from_proto(intake_clue_t *clue, const Gongyi__V1__SubmitClue *msg,
                           const gy_refdata_t *ref, int64_t now_ms, intake_error_t *err)
{
    memset(clue, 0, sizeof *clue);
    if (s_proto_text(msg->title, "title", true, 200, GY_TEXT_LINE, &clue->title, err) < 0 ||
        s_proto_text(msg->description, "description", true, 10000, GY_TEXT_MULTILINE,
                     &clue->description, err) < 0)
        goto fail;
    if (!msg->field_code || !*msg->field_code) {
        intake_error_set(err, 400, "missing_field", "field_code", "field_code is required");
        goto fail;
    }
    if (!msg->region_code || !*msg->region_code) {
        intake_error_set(err, 400, "missing_field", "region_code", "region_code is required");
        goto fail;
    }
    if (s_check_codes(clue, msg->field_code, msg->region_code, ref, err) < 0)
        goto fail;
    const Gongyi__V1__Location *loc = msg->location;
    if (!loc) {
        intake_error_set(err, 400, "missing_field", "location", "location is required");
        goto fail;
    }
    if (loc->has_coordinates) {
        if (s_check_coordinates(loc->lat, loc->lon, err) < 0)
            goto fail;
        clue->has_coordinates = true;
        clue->lat = loc->lat;
        clue->lon = loc->lon;
    }
    if (s_proto_text(loc->address, "location.address", false, 500, GY_TEXT_LINE, &clue->address,
                     err) < 0)
        goto fail;
    if (!clue->has_coordinates && !clue->address) {
        intake_error_set(err, 400, "missing_field", "location.address",
                         "location needs coordinates, or an address");
        goto fail;
    }
    if (msg->occurred_unix_ms) {
        if (s_check_occurred(msg->occurred_unix_ms, now_ms, "occurred_unix_ms", err) < 0)
            goto fail;
        clue->occurred_ms = msg->occurred_unix_ms;
    }
    if (msg->n_attachments > S_MAX_ATTACHMENTS) {
        intake_error_set(err, 400, "invalid_value", "attachments",
                         "too many attachments: %zu, at most %d", msg->n_attachments,
                         S_MAX_ATTACHMENTS);
        goto fail;
    }
    clue->attachments = gy_calloc(msg->n_attachments, sizeof *clue->attachments);
    for (size_t i = 0; i < msg->n_attachments; i++) {
        const Gongyi__V1__Attachment *src = msg->attachments[i];
        intake_attachment_t *a = &clue->attachments[i];
        clue->nattachments = i + 1;
        char field[64];
        snprintf(field, sizeof field, "attachments[%zu].name", i);
        if (s_proto_text(src->name, field, true, 255, GY_TEXT_LINE, &a->name, err) < 0)
            goto fail;
        snprintf(field, sizeof field, "attachments[%zu].media_type", i);
        if (!src->media_type || s_check_media_type(src->media_type, field, err) < 0) {
            if (!src->media_type)
                intake_error_set(err, 400, "missing_field", field, "%s is required", field);
            goto fail;
        }
        a->media_type = gy_strdup(src->media_type);
        snprintf(field, sizeof field, "attachments[%zu].size", i);
        if (s_check_size(src->size, field, err) < 0)
            goto fail;
        a->size = src->size;
        snprintf(field, sizeof field, "attachments[%zu].sha256", i);
        if (s_check_sha256(src->sha256 ? src->sha256 : "", a->sha256, field, err) < 0)
            goto fail;
    }
    const char *channel =
        msg->source_channel && *msg->source_channel ? msg->source_channel : "hotline_12345";
    if (s_check_channel(channel, err) < 0)
        goto fail;
    clue->source_channel = gy_strdup(channel);
    if (msg->reporter) {
        const char *values[] = {msg->reporter->name, msg->reporter->phone, msg->reporter->email,
                                msg->reporter->id_number};
        json_t *sealed = json_object();
        for (int i = 0; s_reporter_rules[i].name; i++) {
            if (!values[i] || !*values[i])
                continue;
            if (s_check_reporter_value(&s_reporter_rules[i], values[i], err) < 0) {
                json_decref(sealed);
                goto fail;
            }
            json_object_set_new(sealed, s_reporter_rules[i].name, json_string(values[i]));
        }
        if (json_object_size(sealed) == 0) {
            json_decref(sealed);
            intake_error_set(err, 400, "invalid_value", "reporter",
                             "reporter must have at least one of name, phone, email, id_number; "
                             "leave it out to report anonymously");
            goto fail;
        }
        clue->reporter_json = json_dumps(sealed, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(sealed);
    }
    /*  protobuf-c packs fields in number order, so equal messages pack to
     *  equal bytes. */
    size_t size = gongyi__v1__submit_clue__get_packed_size(msg);
    uint8_t *packed = gy_malloc(size);
    gongyi__v1__submit_clue__pack(msg, packed);
    gy_sha256(packed, size, clue->body_hash);
    free(packed);
    return 0;
fail:
    intake_clue_clear(clue);
    return -1;
}

/*  ---- output ---- */

void intake_clue_event(const intake_clue_t *clue, const char *id, int64_t received_ms,
                       uint8_t **out, size_t *len_p)
{
    Gongyi__V1__ClueReceived ev = GONGYI__V1__CLUE_RECEIVED__INIT;
    Gongyi__V1__Location loc = GONGYI__V1__LOCATION__INIT;
    loc.has_coordinates = clue->has_coordinates;
    loc.lat = clue->lat;
    loc.lon = clue->lon;
    loc.address = clue->address ? clue->address : "";
    Gongyi__V1__Attachment *atts = gy_calloc(clue->nattachments, sizeof *atts);
    Gongyi__V1__Attachment **att_ptrs = gy_calloc(clue->nattachments, sizeof *att_ptrs);
    for (size_t i = 0; i < clue->nattachments; i++) {
        gongyi__v1__attachment__init(&atts[i]);
        atts[i].name = clue->attachments[i].name;
        atts[i].media_type = clue->attachments[i].media_type;
        atts[i].size = clue->attachments[i].size;
        atts[i].sha256 = (char *)clue->attachments[i].sha256;
        att_ptrs[i] = &atts[i];
    }
    ev.clue_id = (char *)id;
    ev.title = clue->title;
    ev.description = clue->description;
    ev.field_code = clue->field_code;
    ev.region_code = (char *)clue->region_code;
    ev.location = &loc;
    ev.occurred_unix_ms = clue->occurred_ms;
    ev.received_unix_ms = received_ms;
    ev.n_attachments = clue->nattachments;
    ev.attachments = att_ptrs;
    ev.source_channel = clue->source_channel;
    ev.anonymous = clue->reporter_json == NULL && clue->reporter_subject == NULL;
    ev.reporter_subject = clue->reporter_subject ? clue->reporter_subject : "";
    Gongyi__V1__Origin origin = GONGYI__V1__ORIGIN__INIT;
    if (clue->origin_producer) {
        origin.producer = clue->origin_producer;
        origin.reference_id = clue->origin_reference;
        ev.origin = &origin;
    }
    size_t size = gongyi__v1__clue_received__get_packed_size(&ev);
    *out = gy_malloc(size);
    *len_p = gongyi__v1__clue_received__pack(&ev, *out);
    free(att_ptrs);
    free(atts);
}

char *intake_clue_attachments_json(const intake_clue_t *clue)
{
    json_t *list = json_array();
    for (size_t i = 0; i < clue->nattachments; i++) {
        const intake_attachment_t *a = &clue->attachments[i];
        json_array_append_new(list, json_pack("{s:s,s:s,s:I,s:s}", "name", a->name, "media_type",
                                              a->media_type, "size", (json_int_t)a->size, "sha256",
                                              a->sha256));
    }
    char *text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    return text;
}

void intake_clue_clear(intake_clue_t *clue)
{
    for (size_t i = 0; i < clue->nattachments; i++) {
        free(clue->attachments[i].media_type);
        free(clue->attachments[i].name);
    }
    free(clue->attachments);
    if (clue->reporter_json) {
        /* identity does not linger in freed memory */
        memset(clue->reporter_json, 0, strlen(clue->reporter_json));
        free(clue->reporter_json);
    }
    free(clue->idempotency_key);
    free(clue->origin_producer);
    free(clue->origin_reference);
    free(clue->reporter_subject);
    free(clue->source_channel);
    free(clue->address);
    free(clue->field_code);
    free(clue->description);
    free(clue->title);
    memset(clue, 0, sizeof *clue);
}

const char *intake_trace_error(const char *trace)
{
    size_t len = strlen(trace);
    long chars = gy_text_check(trace, len, GY_TEXT_LINE);
    if (chars == GY_TEXT_INVALID_UTF8)
        return "invalid_utf8";
    if (chars == GY_TEXT_CONTROL || len == 0 || len > INTAKE_TRACE_MAX)
        return "invalid_value";
    return NULL;
}
