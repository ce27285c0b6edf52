/*  intake_reporter — see intake_reporter.h. */
#include "intake_reporter.h"

#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gy_auth.h"
#include "gy_crypto.h"
#include "gy_scope.h"
#include "gy_token.h"
#include "gy_util.h"

/*  Read and log in one statement (one snapshot): the row comes back only
 *  when the caller's procuratorate is the competent one, and then the
 *  access row is inserted in the same transaction. */
static const char s_sql_read_reporter[] =
    "WITH c AS ("
    "  SELECT c.id, k.procuratorate, c.reporter_sealed, c.reporter_subject"
    "    FROM intake.clue c JOIN intake.competence k ON k.clue_id = c.id"
    "   WHERE c.id = $1::uuid AND k.procuratorate = $2::char(6)"
    "), logged AS ("
    "  INSERT INTO intake.reporter_access (clue_id, subject, role, procuratorate)"
    "  SELECT c.id, $3, $4, $2::char(6) FROM c RETURNING id"
    ")"
    " SELECT c.procuratorate, c.reporter_sealed, c.reporter_subject,"
    "        (SELECT count(*) FROM logged)"
    "   FROM c";

#define S_NOT_FOUND "no clue with this id is handled by your procuratorate"

struct intake_reporter {
    intake_reporter_config_t config;
};

/*  One read on its way through the database. */
typedef struct {
    intake_reporter_t *reporter;
    gy_http_request_t *req;
    char clue_id[37];
    bool found;
    char procuratorate[7];
    uint8_t *sealed; /* NULL: no identity was given */
    size_t sealed_len;
    char *subject; /* the volunteer who submitted it, or NULL */
} s_read_t;

/*  Who may ask (gy_auth_guard); whether the clue is theirs is the query's. */
static const char *const s_reader_roles[] = {"prosecutor", "chief_prosecutor", NULL};
static const gy_guard_t s_readers = {s_reader_roles, false, false,
                                     "only prosecutors and chief prosecutors see reporters"};

static void s_read_free(s_read_t *read)
{
    free(read->sealed);
    free(read->subject);
    free(read);
}

static void s_on_row(void *arg, size_t index, const gy_pg_result_t *res)
{
    s_read_t *read = arg;
    if (gy_pg_ntuples(res) != 1 || strcmp(gy_pg_value(res, 0, 3), "1") != 0)
        return;
    read->found = true;
    snprintf(read->procuratorate, sizeof read->procuratorate, "%s", gy_pg_value(res, 0, 0));
    if (!gy_pg_isnull(res, 0, 1))
        read->sealed = gy_pg_bytea(res, 0, 1, &read->sealed_len);
    if (!gy_pg_isnull(res, 0, 2))
        read->subject = gy_strdup(gy_pg_value(res, 0, 2));
}

/*  The identity as stored (a JSON object of name, phone, email,
 *  id_number), or NULL (logged, without the identity) when it does not
 *  open with this instance's key. */
static json_t *s_unseal(intake_reporter_t *self, s_read_t *read)
{
    if (read->sealed_len < GY_SEAL_OVERHEAD) {
        gy_log_error("the reporter of clue %s is stored too short to be sealed", read->clue_id);
        return NULL;
    }
    size_t len = read->sealed_len - GY_SEAL_OVERHEAD;
    char *plain = gy_malloc(len + 1);
    json_t *identity = NULL;
    if (gy_unseal(self->config.seal_key, read->sealed, read->sealed_len, (uint8_t *)plain) < 0) {
        gy_log_error("the reporter of clue %s does not open with GY_SEAL_KEY_FILE's key "
                     "(another key, or altered)",
                     read->clue_id);
    } else {
        plain[len] = '\0';
        identity = json_loadb(plain, len, 0, NULL);
        if (!json_is_object(identity)) {
            gy_log_error("the reporter of clue %s is not a JSON object once unsealed",
                         read->clue_id);
            json_decref(identity);
            identity = NULL;
        }
    }
    memset(plain, 0, len + 1);
    free(plain);
    return identity;
}

static void s_on_done(void *arg, gy_pg_status_t status, const char *sqlstate)
{
    s_read_t *read = arg;
    intake_reporter_t *self = read->reporter;
    gy_http_request_t *req = read->req;
    if (status != GY_PG_OK) {
        /*  Not committed (or not known to be): nothing may be shown. */
        gy_http_respond_error(req, 503, "unavailable", "the clue store is unavailable; retry later",
                              NULL);
        s_read_free(read);
        return;
    }
    if (!read->found) {
        gy_http_respond_error(req, 404, "not_found", S_NOT_FOUND, NULL);
        s_read_free(read);
        return;
    }
    json_t *body =
        json_pack("{s:s,s:s,s:b}", "clue_id", read->clue_id, "procuratorate", read->procuratorate,
                  "anonymous", read->sealed == NULL && read->subject == NULL);
    if (read->sealed) {
        json_t *identity = s_unseal(self, read);
        if (!identity) {
            json_decref(body);
            gy_http_respond_error(req, 500, "internal",
                                  "the reporter's identity could not be opened", NULL);
            s_read_free(read);
            return;
        }
        json_object_set_new(body, "reporter", identity);
    } else if (read->subject) {
        /*  A volunteer reported under their token without contact
         *  details: who they are is the registry's, by this subject. */
        json_object_set_new(body, "reporter", json_object());
    }
    if (read->subject)
        json_object_set_new(body, "reporter_subject", json_string(read->subject));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    size_t len = strlen(text);
    /*  Personal data: no cache on the way may keep a copy. */
    gy_http_respond(req, 200, NULL, "Cache-Control: no-store\r\n", text, len);
    memset(text, 0, len);
    free(text);
    s_read_free(read);
}

void intake_reporter_get(intake_reporter_t *self, gy_http_request_t *req, const char *clue_id)
{
    gy_token_claims_t claims;
    if (gy_auth_guard(req, self->config.token_key, &s_readers, &claims, NULL) < 0)
        return;
    /*  A malformed id or a token without a usable procuratorate can match
     *  no clue: the same 404 as a clue that is not theirs. */
    if (!gy_uuid_valid(clue_id) || !gy_scope_code_valid(claims.proc)) {
        gy_http_respond_error(req, 404, "not_found", S_NOT_FOUND, NULL);
        return;
    }
    s_read_t *read = gy_calloc(1, sizeof *read);
    read->reporter = self;
    read->req = req;
    for (int i = 0; i < 36; i++)
        read->clue_id[i] =
            (char)(clue_id[i] >= 'A' && clue_id[i] <= 'F' ? clue_id[i] + 32 : clue_id[i]);
    const char *values[] = {read->clue_id, claims.proc, claims.sub, claims.role};
    gy_pg_tx_t *tx = gy_pg_tx_new();
    gy_pg_tx_add(tx, "read_reporter", 4, values, NULL);
    if (gy_pg_run(self->config.pg, &tx, s_on_row, s_on_done, read) < 0) {
        s_read_free(read);
        gy_http_respond_error(req, 503, "unavailable", "the clue store is unavailable; retry later",
                              NULL);
    }
}

void intake_reporter_prepare(gy_pg_t *pg)
{
    gy_pg_prepare(pg, "read_reporter", s_sql_read_reporter);
}

intake_reporter_t *intake_reporter_new(const intake_reporter_config_t *config)
{
    assert(config->pg && config->seal_key);
    intake_reporter_t *self = gy_calloc(1, sizeof *self);
    self->config = *config;
    return self;
}

void intake_reporter_destroy(intake_reporter_t **self_p)
{
    assert(self_p);
    intake_reporter_t *self = *self_p;
    if (!self)
        return;
    free(self);
    *self_p = NULL;
}
