/*  The bodies of the hearing and impact API (workflow_hearing_plan_parse,
 *  workflow_hearing_step_parse, workflow_pool_entry_parse,
 *  workflow_impact_entry_parse) and impact_measures.csv
 *  (workflow_impact_parse), and the public list's query
 *  (workflow_public_query).  The first byte picks the parser, the rest is
 *  the input. */
#include <jansson.h>

#include "fuzz_common.h"
#include "gy_text.h"
#include "workflow_hearing.h"
#include "workflow_impact.h"

static const workflow_impact_t *s_measures(void)
{
    static workflow_impact_t *m;
    if (!m) {
        m = workflow_impact_load(GY_SOURCE_DIR "/reference/impact_measures.csv", fuzz_refdata(),
                                 NULL);
        if (!m)
            abort();
    }
    return m;
}

/*  A refusal is a 4xx with a code and a message of valid UTF-8. */
static void s_refused(const gy_error_t *err)
{
    if ((err->http_status != 400 && err->http_status != 422) || !err->code[0] ||
        !gy_text_utf8_valid(err->message, strlen(err->message)) ||
        !gy_text_utf8_valid(err->field, strlen(err->field)))
        abort();
}

static void s_plan(const char *body, size_t len)
{
    workflow_hearing_plan_t p;
    gy_error_t err;
    if (workflow_hearing_plan_parse(body, len, FUZZ_NOW_MS, &p, &err) < 0)
        return s_refused(&err);
    if (p.starts_ms < workflow_hearing_earliest_ms(FUZZ_NOW_MS) || p.n_members < 1 ||
        (p.stream_url && !workflow_hearing_url_valid(p.stream_url)))
        abort();
    char *text = workflow_hearing_announcement("某院", p.starts_ms, p.place, p.topic, p.stream_url);
    if (!gy_text_utf8_valid(text, strlen(text)))
        abort();
    free(text);
    workflow_hearing_plan_clear(&p);
}

static void s_step(int event, const char *body, size_t len)
{
    workflow_hearing_step_t s;
    gy_error_t err;
    if (workflow_hearing_step_parse(event, body, len, FUZZ_NOW_MS, &s, &err) < 0)
        return s_refused(&err);
    if (event == WORKFLOW_HEARING_POSTPONE &&
        s.starts_ms < workflow_hearing_earliest_ms(FUZZ_NOW_MS))
        abort();
    if (!s.reason || (event == WORKFLOW_HEARING_HOLD && (!s.outcome || !s.summary)))
        abort();
    workflow_hearing_step_clear(&s);
}

static void s_pool(const char *body, size_t len)
{
    workflow_pool_entry_t e;
    gy_error_t err;
    if (workflow_pool_entry_parse(body, len, &e, &err) < 0)
        return s_refused(&err);
    if ((strcmp(e.kind, "volunteer") == 0) != (e.volunteer_id != NULL))
        abort();
    workflow_pool_entry_clear(&e);
}

/*  An accepted value is canonical: parsed again, the same text. */
static void s_impact(const char *body, size_t len)
{
    workflow_impact_entry_t e;
    gy_error_t err;
    if (workflow_impact_entry_parse(s_measures(), body, len, FUZZ_NOW_MS, &e, &err) < 0)
        return s_refused(&err);
    char again[WORKFLOW_IMPACT_VALUE_MAX];
    if (e.recorded_ms > FUZZ_NOW_MS ||
        workflow_impact_value_parse(e.measure, e.value, again, &err) < 0 ||
        strcmp(again, e.value) != 0)
        abort();
    workflow_impact_entry_clear(&e);
}

/*  A file that loads lists one JSON entry per measure, each found by code. */
static void s_measures_file(const char *text)
{
    workflow_impact_t *m = workflow_impact_parse(text, "fuzz", fuzz_refdata(), NULL);
    if (!m)
        return;
    char *json = workflow_impact_json(m);
    json_t *root = json ? json_loads(json, 0, NULL) : NULL;
    if (!root || json_array_size(json_object_get(root, "measures")) != workflow_impact_count(m))
        abort();
    for (size_t i = 0; i < workflow_impact_count(m); i++)
        if (workflow_impact_measure(m, workflow_impact_at(m, i)->code) != workflow_impact_at(m, i))
            abort();
    json_decref(root);
    free(json);
    workflow_impact_destroy(&m);
}

/*  The public list's query: the code taken out is six digits or nothing,
 *  and what is left never names it. */
static void s_public_query(const char *query)
{
    char rest[512], code[7];
    gy_error_t err;
    if (workflow_public_query(query, rest, sizeof rest, code, &err) < 0)
        return s_refused(&err);
    if ((code[0] && strspn(code, "0123456789") != 6) || strlen(rest) >= sizeof rest)
        abort();
    for (const char *p = rest; p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
        if (strncmp(p, "procuratorate=", 14) == 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = fuzz_cstring(data + 1, size - 1);
    switch (data[0] % 8) {
    case 0: s_plan(text, size - 1); break;
    case 1: s_step(WORKFLOW_HEARING_POSTPONE, text, size - 1); break;
    case 2: s_step(WORKFLOW_HEARING_HOLD, text, size - 1); break;
    case 3: s_step(WORKFLOW_HEARING_CANCEL, text, size - 1); break;
    case 4: s_pool(text, size - 1); break;
    case 5: s_impact(text, size - 1); break;
    case 6: s_measures_file(text); break;
    default: s_public_query(text); break;
    }
    free(text);
    return 0;
}
