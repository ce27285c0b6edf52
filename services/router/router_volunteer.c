/*  router_volunteer — see router_volunteer.h. */
#include "router_volunteer.h"

#include <assert.h>
#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gongyi.pb-c.h"
#include "gy_route.h"
#include "gy_text.h"
#include "gy_token.h"
#include "gy_util.h"

#define S_NAME_MAX        64
#define S_STATEMENT_MAX   1000
#define S_REASON_MAX      500
#define S_CERTIFICATE_MAX 64
#define S_EMAIL_MAX       254

static const char *const s_roles[] = {"informant", "assessor", "supervisor", NULL};
static const char *const s_actions[] = {"appoint",   "reject",  "suspend",
                                        "reinstate", "dismiss", NULL};

static json_t *s_load(const char *body, size_t len, router_error_t *err)
{
    return gy_json_object_load(body, len, err);
}

/*  The string member `name`: -1 with err when absent (and required), not a
 *  string, too long or short (in code points), or holding control
 *  characters.  *out is NULL when absent and optional. */
static int s_string(json_t *root, const char *name, bool required, long min, long max,
                    bool newlines, const char **out, router_error_t *err)
{
    json_t *v = json_object_get(root, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!required)
            return 0;
        router_error_set(err, 400, "missing_field", name, "%s is required", name);
        return -1;
    }
    if (!json_is_string(v)) {
        router_error_set(err, 400, "invalid_type", name, "%s must be a string", name);
        return -1;
    }
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) {
        router_error_set(err, 400, "invalid_value", name, "%s must not contain NUL", name);
        return -1;
    }
    /*  The one text rule of every service (gy_text): C0, DEL and C1 are
     *  control characters, in a name as in a clue. */
    long n = gy_text_check(s, strlen(s), newlines ? GY_TEXT_MULTILINE : GY_TEXT_LINE);
    if (n == GY_TEXT_INVALID_UTF8) {
        router_error_set(err, 400, "invalid_utf8", name, "%s is not valid UTF-8", name);
        return -1;
    }
    if (n == GY_TEXT_CONTROL) {
        router_error_set(err, 400, "invalid_value", name, "%s must not contain control characters",
                         name);
        return -1;
    }
    if (n < min || n > max) {
        router_error_set(err, 400, n < min ? "invalid_value" : "too_long", name,
                         "%s must have %ld to %ld characters", name, min, max);
        return -1;
    }
    *out = s;
    return 0;
}

static bool s_known_field(const char *code, const void *ctx)
{
    return gy_refdata_field(ctx, code) != NULL;
}

/*  A JSON array of distinct strings, each accepted by `ok`; returns it
 *  re-serialised (compact) for the database, or NULL with err. */
static char *s_code_list(json_t *root, const char *name, bool required, size_t min,
                         bool (*ok)(const char *code, const void *ctx), const void *ctx,
                         router_error_t *err, bool *absent)
{
    json_t *v = json_object_get(root, name);
    *absent = false;
    if (!v || json_is_null(v)) {
        if (!required) {
            *absent = true;
            return NULL;
        }
        router_error_set(err, 400, "missing_field", name, "%s is required", name);
        return NULL;
    }
    if (!json_is_array(v)) {
        router_error_set(err, 400, "invalid_type", name, "%s must be an array of codes", name);
        return NULL;
    }
    size_t n = json_array_size(v);
    if (n < min || n > 32) {
        router_error_set(err, 400, "invalid_value", name, "%s must have %zu to 32 entries", name,
                         min);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            router_error_set(err, 400, "invalid_type", name, "%s must be an array of codes", name);
            return NULL;
        }
        if (!ok(json_string_value(e), ctx)) {
            /* Field codes are reference data (422, as in intake); roles are
             * a fixed set, so a wrong one is a plain bad value. */
            bool fields = ok == s_known_field;
            char quoted[48];
            gy_text_excerpt(quoted, sizeof quoted, json_string_value(e));
            router_error_set(err, fields ? 422 : 400,
                             fields ? "unknown_field_code" : "invalid_value", name,
                             "%s: unknown code \"%s\"", name, quoted);
            return NULL;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(json_string_value(json_array_get(v, j)), json_string_value(e)) == 0) {
                char quoted[48];
                gy_text_excerpt(quoted, sizeof quoted, json_string_value(e));
                router_error_set(err, 400, "invalid_value", name, "%s lists \"%s\" twice", name,
                                 quoted);
                return NULL;
            }
        }
    }
    return json_dumps(v, JSON_COMPACT);
}

static bool s_known_role(const char *code, const void *ctx)
{
    (void)ctx;
    for (const char *const *r = s_roles; *r; r++)
        if (strcmp(code, *r) == 0)
            return true;
    return false;
}

static bool s_login_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > ROUTER_LOGIN_MAX || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool s_phone_ok(const char *s)
{
    size_t digits = 0;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (!(*p == '+' && p == s) && *p != '-' && *p != ' ')
            return false;
    }
    return digits >= 5 && digits <= 20;
}

static bool s_email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    return at && at != s && at[1] && !strchr(at + 1, '@') && strchr(at + 1, '.') &&
           !strpbrk(s, " <>\"");
}

/*  YYYY-MM-DD of a real day. */
static bool s_date_ok(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return false;
    if (s[4] != '-' || s[7] != '-' || y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
        return false;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

/*  The city above a region: itself when it is a city or higher. */
static void s_city_of(const gy_refdata_t *refdata, const gy_region_t *region, char city[7])
{
    const gy_region_t *r = region;
    while (r && strcmp(r->level, "county") == 0 && r->parent[0])
        r = gy_refdata_region(refdata, r->parent);
    snprintf(city, 7, "%s", r ? r->code : region->code);
}

int router_body_parse(const char *body, size_t len, json_t **root, router_error_t *err)
{
    *root = s_load(body, len, err);
    return *root ? 0 : -1;
}

int router_body_string(json_t *root, const char *name, bool required, long min, long max,
                       bool newlines, const char **out, router_error_t *err)
{
    return s_string(root, name, required, min, max, newlines, out, err);
}

int router_application_parse(router_application_t *app, const char *body, size_t len,
                             const gy_refdata_t *refdata, router_error_t *err)
{
    memset(app, 0, sizeof *app);
    json_t *root = s_load(body, len, err);
    if (!root)
        return -1;
    const char *login, *password, *name, *phone, *email, *proc, *statement;
    bool absent;
    if (s_string(root, "login", true, 3, ROUTER_LOGIN_MAX, false, &login, err) < 0)
        goto fail;
    if (!s_login_ok(login)) {
        router_error_set(err, 400, "invalid_value", "login",
                         "login must be 3 to 32 of a-z, 0-9, '.', '_' and '-', starting with a "
                         "letter or digit");
        goto fail;
    }
    /*  The password's rule is in bytes and its answer weak_password
     *  (docs/api.md), too long as well as too short: no character limit
     *  may answer first. */
    if (s_string(root, "password", true, 1, LONG_MAX, true, &password, err) < 0)
        goto fail;
    if (strlen(password) < ROUTER_PASSWORD_MIN || strlen(password) > ROUTER_PASSWORD_MAX) {
        router_error_set(err, 400, "weak_password", "password",
                         "password must be %d to %d bytes long", ROUTER_PASSWORD_MIN,
                         ROUTER_PASSWORD_MAX);
        goto fail;
    }
    if (s_string(root, "name", true, 1, S_NAME_MAX, false, &name, err) < 0 ||
        s_string(root, "phone", true, 1, 32, false, &phone, err) < 0 ||
        s_string(root, "email", false, 3, S_EMAIL_MAX, false, &email, err) < 0)
        goto fail;
    if (!s_phone_ok(phone)) {
        router_error_set(err, 400, "invalid_value", "phone",
                         "phone must be 5 to 20 digits, with '+', '-' or spaces");
        goto fail;
    }
    if (email && !s_email_ok(email)) {
        router_error_set(err, 400, "invalid_value", "email", "email is not an e-mail address");
        goto fail;
    }
    if (s_string(root, "procuratorate", true, 6, 6, false, &proc, err) < 0)
        goto fail;
    const gy_region_t *region = gy_refdata_region(refdata, proc);
    if (!region) {
        router_error_set(err, 422, "unknown_region_code", "procuratorate",
                         "procuratorate must be the region code of a procuratorate in the "
                         "reference data");
        goto fail;
    }
    if (s_string(root, "statement", false, 0, S_STATEMENT_MAX, true, &statement, err) < 0)
        goto fail;
    app->expertise = s_code_list(root, "expertise", false, 0, s_known_field, refdata, err, &absent);
    if (!app->expertise && !absent)
        goto fail;
    if (absent)
        app->expertise = gy_strdup("[]");
    app->roles = s_code_list(root, "roles", true, 1, s_known_role, NULL, err, &absent);
    if (!app->roles)
        goto fail;

    app->login = gy_strdup(login);
    app->password = gy_strdup(password);
    json_t *person = json_pack("{s:s,s:s,s:s?}", "name", name, "phone", phone, "email", email);
    app->person_json = json_dumps(person, JSON_COMPACT);
    json_decref(person);
    snprintf(app->procuratorate, sizeof app->procuratorate, "%s", region->code);
    s_city_of(refdata, region, app->city);
    app->statement = gy_strdup(statement ? statement : "");
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    router_application_clear(app);
    return -1;
}

void router_application_clear(router_application_t *app)
{
    if (app->password)
        sodium_memzero(app->password, strlen(app->password));
    free(app->login);
    free(app->password);
    free(app->person_json);
    free(app->expertise);
    free(app->roles);
    free(app->statement);
    memset(app, 0, sizeof *app);
}

int router_action_parse(router_action_t *act, const char *action, const char *body, size_t len,
                        const gy_refdata_t *refdata, router_error_t *err)
{
    memset(act, 0, sizeof *act);
    bool known = false;
    for (const char *const *a = s_actions; *a; a++)
        known = known || strcmp(action, *a) == 0;
    if (!known) {
        router_error_set(err, 404, "not_found", NULL, "no such action");
        return -1;
    }
    snprintf(act->action, sizeof act->action, "%s", action);
    json_t *root = s_load(len ? body : "{}", len ? len : 2, err);
    if (!root)
        return -1;
    bool appoint = strcmp(action, "appoint") == 0;
    const char *reason, *cert, *start, *end;
    bool absent;
    if (s_string(root, "reason", !appoint, 1, S_REASON_MAX, true, &reason, err) < 0)
        goto fail;
    act->reason = gy_strdup(reason ? reason : "");
    if (appoint) {
        if (s_string(root, "certificate_no", true, 1, S_CERTIFICATE_MAX, false, &cert, err) < 0 ||
            s_string(root, "term_start", true, 10, 10, false, &start, err) < 0 ||
            s_string(root, "term_end", true, 10, 10, false, &end, err) < 0)
            goto fail;
        if (!s_date_ok(start) || !s_date_ok(end)) {
            router_error_set(err, 400, "invalid_value",
                             s_date_ok(start) ? "term_end" : "term_start",
                             "terms are dates written YYYY-MM-DD");
            goto fail;
        }
        if (strcmp(end, start) < 0) {
            router_error_set(err, 400, "invalid_value", "term_end",
                             "term_end must not be before term_start");
            goto fail;
        }
        act->certificate_no = gy_strdup(cert);
        snprintf(act->term_start, sizeof act->term_start, "%s", start);
        snprintf(act->term_end, sizeof act->term_end, "%s", end);
        act->roles = s_code_list(root, "roles", false, 1, s_known_role, NULL, err, &absent);
        if (!act->roles && !absent)
            goto fail;
        act->expertise =
            s_code_list(root, "expertise", false, 0, s_known_field, refdata, err, &absent);
        if (!act->expertise && !absent)
            goto fail;
    }
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    router_action_clear(act);
    return -1;
}

void router_action_clear(router_action_t *act)
{
    free(act->reason);
    free(act->certificate_no);
    free(act->roles);
    free(act->expertise);
    memset(act, 0, sizeof *act);
}

/*  The login and password members of a body. */
static int s_login_members(json_t *root, router_login_t *login, router_error_t *err)
{
    const char *name, *password;
    if (s_string(root, "login", true, 1, ROUTER_LOGIN_MAX, false, &name, err) < 0 ||
        s_string(root, "password", true, 1, ROUTER_PASSWORD_MAX, true, &password, err) < 0)
        return -1;
    login->login = gy_strdup(name);
    login->password = gy_strdup(password);
    return 0;
}

int router_login_parse(router_login_t *login, const char *body, size_t len, router_error_t *err)
{
    memset(login, 0, sizeof *login);
    json_t *root = s_load(body, len, err);
    if (!root)
        return -1;
    int rc = s_login_members(root, login, err);
    json_decref(root);
    return rc;
}

void router_login_clear(router_login_t *login)
{
    if (login->password)
        sodium_memzero(login->password, strlen(login->password));
    free(login->login);
    free(login->password);
    memset(login, 0, sizeof *login);
}

/*  A member given a value (JSON null counts as absent, as everywhere). */
static bool s_given(const json_t *root, const char *name)
{
    const json_t *v = json_object_get(root, name);
    return v && !json_is_null(v);
}

int router_session_parse(router_session_t *session, const char *body, size_t len,
                         router_error_t *err)
{
    memset(session, 0, sizeof *session);
    json_t *root = s_load(body, len, err);
    if (!root)
        return -1;
    bool token = s_given(root, "token");
    bool login = s_given(root, "login") || s_given(root, "password");
    int rc = 0;
    if (token == login) {
        router_error_set(err, 400, "login_or_token", NULL,
                         token ? "give login and password, or token, not both"
                               : "give login and password (a volunteer) or token (issued by an "
                                 "administrator)");
        rc = -1;
    } else if (token) {
        const char *text;
        rc = s_string(root, "token", true, 1, GY_TOKEN_MAX_LEN, false, &text, err);
        if (rc == 0)
            session->token = gy_strdup(text);
    } else {
        rc = s_login_members(root, &session->login, err);
    }
    json_decref(root);
    return rc;
}

void router_session_clear(router_session_t *session)
{
    router_login_clear(&session->login);
    if (session->token)
        sodium_memzero(session->token, strlen(session->token));
    free(session->token);
    session->token = NULL;
}

bool router_role_manages(const char *role)
{
    return strcmp(role, "prosecutor") == 0 || strcmp(role, "chief_prosecutor") == 0 ||
           strcmp(role, "admin") == 0;
}

int router_password_hash(const char *password, char out[ROUTER_HASH_MAX])
{
    static_assert(ROUTER_HASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer too small");
    if (crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        gy_log_error("could not hash a password: out of memory for argon2id");
        return -1;
    }
    return 0;
}

/*  Made once at start, for logins that do not exist: the same work as a
 *  real one.  Written before any worker thread runs, read-only afterwards. */
static char s_dummy_hash[ROUTER_HASH_MAX];

int router_password_init(void)
{
    return s_dummy_hash[0] ? 0 : router_password_hash("gongyi-no-such-login", s_dummy_hash);
}

bool router_password_verify(const char *hash, const char *password)
{
    if (!hash) {
        assert(s_dummy_hash[0] && "router_password_init first");
        /* The answer is no whatever this says; only the time spent matters. */
        int same = crypto_pwhash_str_verify(s_dummy_hash, password, strlen(password));
        (void)same;
        return false;
    }
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/*  ---- the standing announced ---- */

/*  A JSON string's text, "" for anything else. */
static const char *s_str(json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : "";
}

static json_t *s_json_list(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    return json_is_array(v) ? v : (json_decref(v), json_array());
}

void router_standing_from_row(router_standing_t *s, const char *id, const char *const cols[9])
{
    assert(s && id && cols);
    router_standing_clear(s);
    snprintf(s->volunteer_id, sizeof s->volunteer_id, "%s", id);
    s->version = strtoull(cols[0], NULL, 10);
    snprintf(s->procuratorate, sizeof s->procuratorate, "%s", cols[1]);
    snprintf(s->city, sizeof s->city, "%s", cols[2]);
    snprintf(s->status, sizeof s->status, "%s", cols[3]);
    s->roles = s_json_list(cols[4]);
    s->expertise = s_json_list(cols[5]);
    snprintf(s->term_start, sizeof s->term_start, "%s", cols[6]);
    snprintf(s->term_end, sizeof s->term_end, "%s", cols[7]);
    s->conflicts = s_json_list(cols[8]);
}

void router_standing_applied(router_standing_t *s, const char *id, const router_application_t *app)
{
    assert(s && id && app);
    memset(s, 0, sizeof *s);
    snprintf(s->volunteer_id, sizeof s->volunteer_id, "%s", id);
    s->version = 1;
    snprintf(s->procuratorate, sizeof s->procuratorate, "%s", app->procuratorate);
    snprintf(s->city, sizeof s->city, "%s", app->city);
    snprintf(s->status, sizeof s->status, "applied");
    s->roles = s_json_list(app->roles);
    s->expertise = s_json_list(app->expertise);
    s->conflicts = json_array();
    snprintf(s->change, sizeof s->change, "apply");
    s->by = gy_strdup(id);
}

void router_standing_act(router_standing_t *s, const router_action_t *act, const char *to_status,
                         const char *by)
{
    assert(s && act && to_status && by);
    snprintf(s->status, sizeof s->status, "%s", to_status);
    if (strcmp(act->action, "appoint") == 0) {
        snprintf(s->term_start, sizeof s->term_start, "%s", act->term_start);
        snprintf(s->term_end, sizeof s->term_end, "%s", act->term_end);
    }
    if (act->roles) {
        json_decref(s->roles);
        s->roles = s_json_list(act->roles);
    }
    if (act->expertise) {
        json_decref(s->expertise);
        s->expertise = s_json_list(act->expertise);
    }
    s->version++;
    snprintf(s->change, sizeof s->change, "%s", act->action);
    free(s->by);
    s->by = gy_strdup(by);
}

void router_standing_conflict(router_standing_t *s, const char *kind, const char *value,
                              const char *by)
{
    assert(s && kind && value && by);
    if (!s->conflicts)
        s->conflicts = json_array();
    size_t i;
    json_t *c;
    bool known = false;
    json_array_foreach(s->conflicts, i, c) {
        known = known || (strcmp(s_str(json_object_get(c, "kind")), kind) == 0 &&
                          strcmp(s_str(json_object_get(c, "value")), value) == 0);
    }
    if (!known)
        json_array_append_new(s->conflicts, json_pack("{s:s,s:s}", "kind", kind, "value", value));
    s->version++;
    snprintf(s->change, sizeof s->change, "conflict");
    free(s->by);
    s->by = gy_strdup(by);
}

/*  The strings of a JSON array, borrowed from it (the caller frees the
 *  pointer array). */
static char **s_strings(json_t *list, size_t *n)
{
    *n = json_array_size(list);
    char **out = gy_calloc(*n ? *n : 1, sizeof *out);
    for (size_t i = 0; i < *n; i++)
        out[i] = (char *)s_str(json_array_get(list, i));
    return out;
}

uint8_t *router_standing_pack(const router_standing_t *s, size_t *len_p)
{
    assert(s && len_p);
    Gongyi__V1__VolunteerChanged m = GONGYI__V1__VOLUNTEER_CHANGED__INIT;
    m.volunteer_id = (char *)s->volunteer_id;
    m.procuratorate = (char *)s->procuratorate;
    m.city = (char *)s->city;
    m.status = (char *)s->status;
    m.roles = s_strings(s->roles, &m.n_roles);
    m.expertise = s_strings(s->expertise, &m.n_expertise);
    m.term_start = (char *)s->term_start;
    m.term_end = (char *)s->term_end;
    m.version = s->version;
    m.change = (char *)s->change;
    m.by = s->by ? s->by : "";
    size_t n = json_array_size(s->conflicts);
    Gongyi__V1__VolunteerConflict *conflicts = gy_calloc(n ? n : 1, sizeof *conflicts);
    Gongyi__V1__VolunteerConflict **ptrs = gy_calloc(n ? n : 1, sizeof *ptrs);
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(s->conflicts, i);
        gongyi__v1__volunteer_conflict__init(&conflicts[i]);
        conflicts[i].kind = (char *)s_str(json_object_get(c, "kind"));
        conflicts[i].value = (char *)s_str(json_object_get(c, "value"));
        ptrs[i] = &conflicts[i];
    }
    m.n_conflicts = n;
    m.conflicts = ptrs;
    size_t len = gongyi__v1__volunteer_changed__get_packed_size(&m);
    uint8_t *out = gy_malloc(len ? len : 1);
    gongyi__v1__volunteer_changed__pack(&m, out);
    *len_p = len;
    free(m.roles);
    free(m.expertise);
    free(conflicts);
    free(ptrs);
    return out;
}

void router_standing_clear(router_standing_t *s)
{
    if (!s)
        return;
    json_decref(s->roles);
    json_decref(s->expertise);
    json_decref(s->conflicts);
    free(s->by);
    memset(s, 0, sizeof *s);
}
