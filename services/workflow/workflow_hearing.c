/*  workflow_hearing — see workflow_hearing.h. */
#include "workflow_hearing.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gy_calendar.h"
#include "gy_clock.h"
#include "gy_route.h"
#include "gy_text.h"
#include "gy_util.h"

static const char *const s_states[] = {"scheduled", "postponed", "held", "cancelled"};
static const char *const s_events[] = {"postpone", "hold", "cancel"};

#define R GY_MACHINE_REFUSED
static const int s_table[WORKFLOW_HEARING_NSTATES][WORKFLOW_HEARING_NEVENTS] = {
    [WORKFLOW_HEARING_SCHEDULED] = {WORKFLOW_HEARING_POSTPONED, WORKFLOW_HEARING_HELD,
                                    WORKFLOW_HEARING_CANCELLED},
    [WORKFLOW_HEARING_POSTPONED] = {WORKFLOW_HEARING_POSTPONED, WORKFLOW_HEARING_HELD,
                                    WORKFLOW_HEARING_CANCELLED},
    [WORKFLOW_HEARING_HELD] = {R, R, R},
    [WORKFLOW_HEARING_CANCELLED] = {R, R, R},
};
#undef R

const gy_machine_t workflow_hearing_machine = {
    "hearing",     s_states, WORKFLOW_HEARING_NSTATES, s_events, WORKFLOW_HEARING_NEVENTS,
    &s_table[0][0]};

int64_t workflow_hearing_earliest_ms(int64_t now_ms)
{
    return gy_day_start_ms(gy_day_of_ms(now_ms) + WORKFLOW_HEARING_NOTICE_DAYS + 1);
}

/*  ---- request bodies ---- */

static json_t *s_load(const char *body, size_t len, gy_error_t *err)
{
    return gy_json_object_load(body, len, err);
}

/*  Every member of object must be one of names (NULL-terminated); field
 *  names the object in errors ("" for the body). */
static int s_known(json_t *object, const char *field, const char *const *names, gy_error_t *err)
{
    return gy_json_known(object, field, names, err);
}

/*  The string v named field: absent (NULL) when optional; its length in
 *  characters within min..max; one line unless multiline. */
static int s_text(json_t *v, const char *field, bool required, long min, long max, bool multiline,
                  const char **out, gy_error_t *err)
{
    return gy_json_text(v, field, required, min, max, multiline, out, err);
}

static int s_string(json_t *root, const char *name, bool required, long min, long max,
                    bool multiline, const char **out, gy_error_t *err)
{
    return s_text(json_object_get(root, name), name, required, min, max, multiline, out, err);
}

static int s_version(json_t *root, bool *has, long *out, gy_error_t *err)
{
    json_t *v = json_object_get(root, "expected_version");
    *has = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v)) {
        gy_error_set(err, 400, "invalid_type", "expected_version",
                     "expected_version must be a whole number");
        return -1;
    }
    json_int_t n = json_integer_value(v);
    if (n < 1 || n > 2147483647) {
        gy_error_set(err, 400, "invalid_value", "expected_version",
                     "expected_version is a hearing's version (1 or more)");
        return -1;
    }
    *has = true;
    *out = (long)n;
    return 0;
}

/*  An RFC 3339 instant with its offset ("Z" or ±HH:MM), at least the
 *  notice ahead of now. */
static int s_starts_at(json_t *root, int64_t now_ms, int64_t *out, gy_error_t *err)
{
    const char *text;
    if (s_string(root, "starts_at", true, 1, 40, false, &text, err) < 0)
        return -1;
    int64_t ms = gy_clock_parse_iso(text);
    if (ms == GY_CLOCK_INVALID) {
        gy_error_set(err, 400, "invalid_value", "starts_at",
                     "starts_at is a time with its offset, e.g. 2026-10-08T09:30:00+08:00");
        return -1;
    }
    int64_t earliest = workflow_hearing_earliest_ms(now_ms);
    if (ms < earliest) {
        char day[11];
        gy_day_format(gy_day_of_ms(earliest), day);
        gy_error_set(err, 422, "too_soon", "starts_at",
                     "participants are told at least %d whole days ahead: a hearing scheduled "
                     "now starts on %s (Beijing time) or later",
                     WORKFLOW_HEARING_NOTICE_DAYS, day);
        return -1;
    }
    *out = ms;
    return 0;
}

static int s_bool(json_t *root, const char *name, bool required, bool *out, gy_error_t *err)
{
    json_t *v = json_object_get(root, name);
    if (!v || json_is_null(v)) {
        if (!required)
            return 0;
        gy_error_set(err, 400, "missing_field", name, "%s is required", name);
        return -1;
    }
    if (!json_is_boolean(v)) {
        gy_error_set(err, 400, "invalid_type", name, "%s is true or false", name);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

/*  The array member name (absent: empty unless required) with at most max
 *  items. */
static int s_array(json_t *root, const char *name, size_t min, size_t max, json_t **out,
                   gy_error_t *err)
{
    json_t *v = json_object_get(root, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (min == 0)
            return 0;
        gy_error_set(err, 400, "missing_field", name, "%s is required", name);
        return -1;
    }
    if (!json_is_array(v)) {
        gy_error_set(err, 400, "invalid_type", name, "%s must be a list", name);
        return -1;
    }
    if (json_array_size(v) < min || json_array_size(v) > max) {
        gy_error_set(err, 400, "invalid_value", name, "%s has %zu to %zu items", name, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int workflow_public_query(const char *query, char *rest, size_t rest_size, char procuratorate[7],
                          gy_error_t *err)
{
    assert(rest && rest_size > 0 && procuratorate);
    static const char key[] = "procuratorate=";
    const size_t klen = sizeof key - 1;
    size_t used = 0;
    bool seen = false;
    procuratorate[0] = rest[0] = '\0';
    for (const char *p = query ? query : ""; *p;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if ((n >= klen && strncmp(p, key, klen) == 0) ||
            (n == klen - 1 && strncmp(p, key, klen - 1) == 0)) {
            size_t vlen = n > klen ? n - klen : 0;
            bool digits = vlen == 6;
            for (size_t i = 0; digits && i < 6; i++)
                digits = p[klen + i] >= '0' && p[klen + i] <= '9';
            if (seen || !digits) {
                gy_error_set(err, 400, "invalid_value", "procuratorate",
                             seen ? "procuratorate is given once"
                                  : "procuratorate is a procuratorate's six-digit code");
                return -1;
            }
            memcpy(procuratorate, p + klen, 6);
            procuratorate[6] = '\0';
            seen = true;
        } else if (n > 0) {
            if (n + (used ? 1 : 0) > rest_size - 1 - used) {
                gy_error_set(err, 400, "invalid_value", "", "the query is too long");
                return -1;
            }
            if (used)
                rest[used++] = '&';
            memcpy(rest + used, p, n);
            used += n;
            rest[used] = '\0';
        }
        p = end ? end + 1 : p + n;
    }
    return 0;
}

bool workflow_hearing_url_valid(const char *url)
{
    if (!url || strncmp(url, "https://", 8) != 0 || strlen(url) > WORKFLOW_HEARING_URL_MAX)
        return false;
    const char *c = url + 8;
    size_t host = 0;
    bool dot_last = true; /* a host neither starts nor ends with '.', has no ".." */
    for (; *c && *c != ':' && *c != '/' && *c != '?' && *c != '#'; c++, host++) {
        bool alnum =
            (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9');
        if (*c == '.' ? dot_last : !(alnum || *c == '-'))
            return false;
        dot_last = *c == '.';
    }
    if (host == 0 || dot_last)
        return false;
    if (*c == ':') {
        size_t digits = 0;
        for (c++; *c >= '0' && *c <= '9'; c++)
            digits++;
        if (digits == 0 || digits > 5 || (*c && *c != '/' && *c != '?' && *c != '#'))
            return false;
    }
    for (; *c; c++)
        if (*c <= ' ' || *c > '~' || *c == '"' || *c == '<' || *c == '>' || *c == '\\' || *c == '`')
            return false;
    return true;
}

static const char *const s_participant_roles[] = {"organ",          "party", "expert", "witness",
                                                  "representative", "other", NULL};

static int s_participants(json_t *root, workflow_hearing_plan_t *p, gy_error_t *err)
{
    json_t *list;
    if (s_array(root, "participants", 0, WORKFLOW_HEARING_PARTICIPANTS_MAX, &list, err) < 0)
        return -1;
    p->n_participants = list ? json_array_size(list) : 0;
    p->participants = gy_calloc(p->n_participants + 1, sizeof *p->participants);
    static const char *const members[] = {"name", "role", "contact", NULL};
    for (size_t i = 0; i < p->n_participants; i++) {
        json_t *item = json_array_get(list, i);
        char field[64], name[80];
        snprintf(field, sizeof field, "participants[%zu]", i);
        if (!json_is_object(item)) {
            gy_error_set(err, 400, "invalid_type", field,
                         "a participant is {\"name\", \"role\", \"contact\"}");
            return -1;
        }
        workflow_participant_t *w = &p->participants[i];
        if (s_known(item, field, members, err) < 0)
            return -1;
        snprintf(name, sizeof name, "%s.name", field);
        if (s_text(json_object_get(item, "name"), name, true, 1, 100, false, &w->name, err) < 0)
            return -1;
        snprintf(name, sizeof name, "%s.role", field);
        if (s_text(json_object_get(item, "role"), name, true, 1, 32, false, &w->role, err) < 0)
            return -1;
        bool known = false;
        for (const char *const *r = s_participant_roles; *r && !known; r++)
            known = strcmp(*r, w->role) == 0;
        if (!known) {
            gy_error_set(err, 400, "invalid_value", name,
                         "a participant's role is organ, party, expert, witness, representative "
                         "or other");
            return -1;
        }
        snprintf(name, sizeof name, "%s.contact", field);
        if (s_text(json_object_get(item, "contact"), name, false, 1, 200, false, &w->contact, err) <
            0)
            return -1;
        if (!w->contact)
            w->contact = "";
    }
    return 0;
}

static int s_members(json_t *root, workflow_hearing_plan_t *p, gy_error_t *err)
{
    json_t *list;
    if (s_array(root, "members", 1, WORKFLOW_HEARING_MEMBERS_MAX, &list, err) < 0)
        return -1;
    p->n_members = json_array_size(list);
    p->members = gy_calloc(p->n_members + 1, sizeof *p->members);
    for (size_t i = 0; i < p->n_members; i++) {
        char field[32];
        snprintf(field, sizeof field, "members[%zu]", i);
        json_t *v = json_array_get(list, i);
        const char *id = json_is_string(v) ? json_string_value(v) : NULL;
        if (!id || !gy_uuid_valid(id)) {
            gy_error_set(err, 400, id ? "invalid_value" : "invalid_type", field,
                         "a member is the id (UUID) of a person in the hearing pool");
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(p->members[j], id) == 0) {
                gy_error_set(err, 400, "invalid_value", field, "a member is listed twice");
                return -1;
            }
        p->members[i] = id;
    }
    return 0;
}

static int s_volunteers(json_t *root, workflow_hearing_plan_t *p, gy_error_t *err)
{
    json_t *list;
    if (s_array(root, "volunteers", 0, WORKFLOW_HEARING_VOLUNTEERS_MAX, &list, err) < 0)
        return -1;
    p->n_volunteers = list ? json_array_size(list) : 0;
    p->volunteers = gy_calloc(p->n_volunteers + 1, sizeof *p->volunteers);
    static const char *const members[] = {"volunteer_id", "as", NULL};
    for (size_t i = 0; i < p->n_volunteers; i++) {
        json_t *item = json_array_get(list, i);
        char field[64], name[80];
        snprintf(field, sizeof field, "volunteers[%zu]", i);
        if (!json_is_object(item)) {
            gy_error_set(err, 400, "invalid_type", field,
                         "a volunteer is {\"volunteer_id\", \"as\": member or observer}");
            return -1;
        }
        if (s_known(item, field, members, err) < 0)
            return -1;
        workflow_invitee_t *w = &p->volunteers[i];
        const char *as;
        snprintf(name, sizeof name, "%s.volunteer_id", field);
        if (s_text(json_object_get(item, "volunteer_id"), name, true, 1, 64, false,
                   &w->volunteer_id, err) < 0)
            return -1;
        if (!gy_text_id_valid(w->volunteer_id, 64)) {
            gy_error_set(err, 400, "invalid_value", name,
                         "a volunteer's id is 1 to 64 printable ASCII characters");
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->volunteers[j].volunteer_id, w->volunteer_id) == 0) {
                gy_error_set(err, 400, "invalid_value", name, "a volunteer is invited twice");
                return -1;
            }
        snprintf(name, sizeof name, "%s.as", field);
        if (s_text(json_object_get(item, "as"), name, true, 1, 16, false, &as, err) < 0)
            return -1;
        if (strcmp(as, "member") != 0 && strcmp(as, "observer") != 0) {
            gy_error_set(err, 400, "invalid_value", name, "a volunteer sits as member or observer");
            return -1;
        }
        w->member = strcmp(as, "member") == 0;
    }
    return 0;
}

int workflow_hearing_plan_parse(const char *body, size_t len, int64_t now_ms,
                                workflow_hearing_plan_t *p, gy_error_t *err)
{
    static const char *const members[] = {"starts_at",  "place",      "public",
                                          "topic",      "members",    "participants",
                                          "stream_url", "volunteers", NULL};
    memset(p, 0, sizeof *p);
    json_t *root = s_load(body, len, err);
    if (!root)
        return -1;
    p->root = root;
    if (s_known(root, "", members, err) < 0 ||
        s_string(root, "place", true, 1, WORKFLOW_HEARING_PLACE_MAX, false, &p->place, err) < 0 ||
        s_string(root, "topic", true, 1, WORKFLOW_HEARING_TOPIC_MAX, true, &p->topic, err) < 0 ||
        s_bool(root, "public", true, &p->public_hearing, err) < 0 ||
        s_string(root, "stream_url", false, 1, WORKFLOW_HEARING_URL_MAX, false, &p->stream_url,
                 err) < 0 ||
        s_members(root, p, err) < 0 || s_participants(root, p, err) < 0 ||
        s_volunteers(root, p, err) < 0)
        goto fail;
    if (p->stream_url && !workflow_hearing_url_valid(p->stream_url)) {
        gy_error_set(err, 400, "invalid_value", "stream_url",
                     "stream_url is an https:// address (a host, then no spaces, quotes or "
                     "angle brackets)");
        goto fail;
    }
    /*  The time last: a body wrong in its form is answered as such, whenever
     *  it is sent. */
    if (s_starts_at(root, now_ms, &p->starts_ms, err) < 0)
        goto fail;
    return 0;
fail:
    workflow_hearing_plan_clear(p);
    return -1;
}

void workflow_hearing_plan_clear(workflow_hearing_plan_t *p)
{
    json_decref(p->root);
    free(p->members);
    free(p->participants);
    free(p->volunteers);
    memset(p, 0, sizeof *p);
}

int workflow_hearing_step_parse(int event, const char *body, size_t len, int64_t now_ms,
                                workflow_hearing_step_t *s, gy_error_t *err)
{
    static const char *const postpone[] = {"starts_at", "reason", "expected_version", NULL};
    static const char *const cancel[] = {"reason", "expected_version", NULL};
    static const char *const hold[] = {"outcome", "summary", "opinions", "expected_version", NULL};
    assert(event >= 0 && event < WORKFLOW_HEARING_NEVENTS);
    memset(s, 0, sizeof *s);
    s->event = event;
    json_t *root = s_load(body, len, err);
    if (!root)
        return -1;
    s->root = root;
    int rc = -1;
    switch (event) {
    case WORKFLOW_HEARING_POSTPONE:
        rc = s_known(root, "", postpone, err) < 0 ||
                     s_string(root, "reason", true, 1, WORKFLOW_HEARING_TEXT_MAX, true, &s->reason,
                              err) < 0 ||
                     s_version(root, &s->has_version, &s->expected_version, err) < 0 ||
                     s_starts_at(root, now_ms, &s->starts_ms, err) < 0
                 ? -1
                 : 0;
        break;
    case WORKFLOW_HEARING_CANCEL:
        rc = s_known(root, "", cancel, err) < 0 ||
                     s_string(root, "reason", true, 1, WORKFLOW_HEARING_TEXT_MAX, true, &s->reason,
                              err) < 0 ||
                     s_version(root, &s->has_version, &s->expected_version, err) < 0
                 ? -1
                 : 0;
        break;
    default:
        if (s_known(root, "", hold, err) < 0 ||
            s_string(root, "outcome", true, 1, 200, false, &s->outcome, err) < 0 ||
            s_string(root, "summary", true, 1, WORKFLOW_HEARING_TEXT_MAX, true, &s->summary, err) <
                0 ||
            s_array(root, "opinions", 0, WORKFLOW_HEARING_OPINIONS_MAX, &s->opinions, err) < 0 ||
            s_version(root, &s->has_version, &s->expected_version, err) < 0)
            break;
        size_t i;
        json_t *v;
        rc = 0;
        json_array_foreach(s->opinions, i, v) {
            char field[32];
            const char *text;
            snprintf(field, sizeof field, "opinions[%zu]", i);
            if (s_text(v, field, true, 1, WORKFLOW_HEARING_TEXT_MAX, true, &text, err) < 0) {
                rc = -1;
                break;
            }
        }
        s->reason = "";
        break;
    }
    if (rc < 0)
        workflow_hearing_step_clear(s);
    return rc;
}

void workflow_hearing_step_clear(workflow_hearing_step_t *s)
{
    json_decref(s->root);
    memset(s, 0, sizeof *s);
}

int workflow_pool_entry_parse(const char *body, size_t len, workflow_pool_entry_t *e,
                              gy_error_t *err)
{
    static const char *const members[] = {"name", "kind", "volunteer_id", NULL};
    memset(e, 0, sizeof *e);
    json_t *root = s_load(body, len, err);
    if (!root)
        return -1;
    e->root = root;
    if (s_known(root, "", members, err) < 0 ||
        s_string(root, "name", true, 1, 100, false, &e->name, err) < 0 ||
        s_string(root, "kind", true, 1, 32, false, &e->kind, err) < 0 ||
        s_string(root, "volunteer_id", false, 1, 64, false, &e->volunteer_id, err) < 0)
        goto fail;
    bool volunteer = strcmp(e->kind, "volunteer") == 0;
    if (!volunteer && strcmp(e->kind, "people_supervisor") != 0 && strcmp(e->kind, "expert") != 0) {
        gy_error_set(err, 400, "invalid_value", "kind",
                     "kind is people_supervisor (人民监督员), expert or volunteer");
        goto fail;
    }
    if (volunteer && !e->volunteer_id) {
        gy_error_set(err, 400, "missing_field", "volunteer_id",
                     "a volunteer is added by their registry id");
        goto fail;
    }
    if (!volunteer && e->volunteer_id) {
        gy_error_set(err, 400, "invalid_value", "volunteer_id",
                     "volunteer_id belongs to kind volunteer only");
        goto fail;
    }
    if (e->volunteer_id && !gy_text_id_valid(e->volunteer_id, 64)) {
        gy_error_set(err, 400, "invalid_value", "volunteer_id",
                     "a volunteer's id is 1 to 64 printable ASCII characters");
        goto fail;
    }
    return 0;
fail:
    workflow_pool_entry_clear(e);
    return -1;
}

void workflow_pool_entry_clear(workflow_pool_entry_t *e)
{
    json_decref(e->root);
    memset(e, 0, sizeof *e);
}

/*  "2026年10月8日09:30": the Beijing wall time of an instant, shifted by
 *  the offset and read as UTC (Beijing keeps no daylight saving). */
static void s_beijing_time(gy_buf_t *buf, int64_t ms)
{
    time_t t = (time_t)((ms + GY_BEIJING_OFFSET_MS) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    gy_buf_printf(buf, "%d年%d月%d日%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min);
}

char *workflow_hearing_announcement(const char *procuratorate_zh, int64_t starts_ms,
                                    const char *place, const char *topic, const char *stream_url)
{
    assert(procuratorate_zh && place && topic);
    gy_buf_t buf = {0};
    gy_buf_printf(&buf, "%s定于", procuratorate_zh);
    s_beijing_time(&buf, starts_ms);
    gy_buf_printf(&buf, "（北京时间）在%s就“%s”举行公开听证。", place, topic);
    if (stream_url)
        gy_buf_printf(&buf, "听证将通过%s进行网络直播。", stream_url);
    gy_buf_printf(&buf, "欢迎社会各界关注。");
    gy_buf_append(&buf, "", 1);
    return buf.data;
}

char *workflow_hearing_cancellation(const char *procuratorate_zh, int64_t starts_ms,
                                    const char *place, const char *topic)
{
    assert(procuratorate_zh && place && topic);
    gy_buf_t buf = {0};
    gy_buf_printf(&buf, "%s原定于", procuratorate_zh);
    s_beijing_time(&buf, starts_ms);
    gy_buf_printf(&buf, "（北京时间）在%s就“%s”举行的公开听证已取消。", place, topic);
    gy_buf_append(&buf, "", 1);
    return buf.data;
}
