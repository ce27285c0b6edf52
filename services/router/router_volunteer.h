/*  router_volunteer — the volunteer registry's rules at the edge: what an
 *  application, a change of standing and a login must look like, who may
 *  manage volunteers, and password hashing.
 *
 *  (The jurisdiction scope of a caller is common/gy_scope.h.)
 *
 *  Everything here is pure (no I/O) so it is tested on its own; router_api
 *  calls it before anything touches the database, so bad input is refused
 *  with a machine-readable error and nothing is written.  What only the
 *  database knows (is the login free, is the state change allowed) is
 *  decided by the registry's SQL functions (migrations/0002_volunteers.sql).
 *
 *  Passwords are hashed with argon2id (libsodium crypto_pwhash_str, the
 *  "interactive" cost: 64 MiB, 2 passes).  That takes tens of milliseconds
 *  on purpose, so callers run it off the event loop (router_api uses the
 *  libuv thread pool).
 */
#ifndef ROUTER_VOLUNTEER_H
#define ROUTER_VOLUNTEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gy_refdata.h"
#include "gy_route.h"

#define ROUTER_LOGIN_MAX    32
#define ROUTER_PASSWORD_MIN 10
#define ROUTER_PASSWORD_MAX 128
#define ROUTER_HASH_MAX     128 /* crypto_pwhash_STRBYTES */

/*  The kit's error (gy_route.h): status, code, field, message, set with
 *  router_error_set = gy_error_set. */
typedef gy_error_t router_error_t;
#define router_error_set gy_error_set

/*  A volunteer's application, checked.  Strings are owned; free with
 *  router_application_clear. */
typedef struct {
    char *login;       /* 3-32 of [a-z0-9._-], starting with a letter or digit */
    char *password;    /* 10-128 bytes of UTF-8 */
    char *person_json; /* {"name","phone","email"}: sealed before it is stored */
    char procuratorate[7];
    char city[7];    /* the city above the procuratorate (itself at city level and up) */
    char *expertise; /* JSON array of known field codes, no repeats */
    char *roles;     /* JSON array from informant, assessor, supervisor, no repeats */
    char *statement; /* up to 1000 characters, may be "" */
} router_application_t;

int router_application_parse(router_application_t *app, const char *body, size_t len,
                             const gy_refdata_t *refdata, router_error_t *err);
void router_application_clear(router_application_t *app);

/*  A change of standing: POST /api/v1/volunteers/{id}/{action}.  action is
 *  one of appoint, reject, suspend, reinstate, dismiss.  appoint needs
 *  certificate_no and term_start/term_end (YYYY-MM-DD, end not before
 *  start) and may replace roles and expertise; the others need a reason. */
typedef struct {
    char action[16];
    char *reason;         /* "" when not given */
    char *certificate_no; /* appoint only, else NULL */
    char term_start[11];
    char term_end[11];
    char *roles;     /* JSON array or NULL (keep) */
    char *expertise; /* JSON array or NULL (keep) */
} router_action_t;

/*  Returns -1 with err set; an unknown action is 404 not_found. */
int router_action_parse(router_action_t *act, const char *action, const char *body, size_t len,
                        const gy_refdata_t *refdata, router_error_t *err);
void router_action_clear(router_action_t *act);

typedef struct {
    char *login;
    char *password;
} router_login_t;

int router_login_parse(router_login_t *login, const char *body, size_t len, router_error_t *err);
void router_login_clear(router_login_t *login);

/*  POST /api/v1/auth/session: a volunteer's login and password (checked as
 *  router_login_parse checks them), or a token an administrator issued
 *  (gy-token issue) to be kept as the console's session.  Exactly one of
 *  the two: both or neither is 400 login_or_token. */
typedef struct {
    router_login_t login; /* both NULL when a token was given */
    char *token;          /* 1 to GY_TOKEN_MAX_LEN characters, not verified yet; or NULL */
} router_session_t;

int router_session_parse(router_session_t *session, const char *body, size_t len,
                         router_error_t *err);
void router_session_clear(router_session_t *session);

/*  Whether a token's role may manage volunteers (prosecutor,
 *  chief_prosecutor, admin). */
bool router_role_manages(const char *role);

/*  argon2id.  0, or -1 when out of memory for the hash's cost (logged). */
int router_password_hash(const char *password, char out[ROUTER_HASH_MAX]);
/*  Prepares the fixed hash below; call once at start, before any thread
 *  verifies.  0 or -1 (logged). */
int router_password_init(void);
/*  true when password matches hash.  With hash NULL it spends the same time
 *  against a fixed hash and returns false, so an unknown login takes as
 *  long as a wrong password. */
bool router_password_verify(const char *hash, const char *password);

/*  The checks above, for other request bodies.  router_body_parse: a JSON
 *  object (duplicate keys refused) into *root (the caller json_decrefs it).
 *  router_body_string: the string member `name`, min to max code points,
 *  no control characters (newlines allowed when `newlines`), borrowed from
 *  root; *out is NULL when it is absent and not required. */
int router_body_parse(const char *body, size_t len, json_t **root, router_error_t *err);
int router_body_string(json_t *root, const char *name, bool required, long min, long max,
                       bool newlines, const char **out, router_error_t *err);

/*  ---- the standing the registry announces (VolunteerChanged) ----
 *
 *  Every registry write announces the volunteer's public standing as it is
 *  after the write, packed here from the generated code: router_api reads
 *  the standing (router.volunteer_public), applies the change with the
 *  functions below and writes guarded by the version (0015).  Nothing
 *  personal is in it. */
typedef struct {
    char volunteer_id[37];
    uint64_t version; /* after the change */
    char procuratorate[7];
    char city[7];
    char status[16];
    json_t *roles;     /* owned: array of role names */
    json_t *expertise; /* owned: array of field codes */
    json_t *conflicts; /* owned: array of {"kind","value"} */
    char term_start[11], term_end[11];
    char change[16]; /* apply, appoint, ..., conflict */
    char *by;        /* owned */
} router_standing_t;

/*  The standing as read by router.volunteer_public: its columns version,
 *  procuratorate, city, status, roles, expertise (JSON arrays), term_start,
 *  term_end, conflicts (JSON), in that order, all text. */
void router_standing_from_row(router_standing_t *s, const char *id, const char *const cols[9]);
/*  An application: status applied, version 1, no term or conflicts.
 *  by is the volunteer's own id. */
void router_standing_applied(router_standing_t *s, const char *id, const router_application_t *app);
/*  A change of standing on s as read: status to_status, the term (appoint),
 *  roles and expertise when the action gives them; version + 1. */
void router_standing_act(router_standing_t *s, const router_action_t *act, const char *to_status,
                         const char *by);
/*  A conflict declared (kept once per kind and value); version + 1. */
void router_standing_conflict(router_standing_t *s, const char *kind, const char *value,
                              const char *by);
/*  VolunteerChanged's body; the caller frees. */
uint8_t *router_standing_pack(const router_standing_t *s, size_t *len_p);
void router_standing_clear(router_standing_t *s);

#endif
