/*  gy_token — see gy_token.h.
 *
 *  Verification checks the cheap, unauthenticated structure first (length,
 *  prefix, base64 of the signature), then the signature, and only then
 *  parses the JSON, so bytes nobody signed never reach the JSON parser.
 */
#include "gy_token.h"

#include <assert.h>
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gy_util.h"

_Static_assert(GY_TOKEN_PUBLIC_KEY_BYTES == crypto_sign_PUBLICKEYBYTES, "public key size");
_Static_assert(GY_TOKEN_SECRET_KEY_BYTES == crypto_sign_SECRETKEYBYTES, "secret key size");

#define S_PREFIX     "gy1."
#define S_PREFIX_LEN 4
#define S_VARIANT    sodium_base64_VARIANT_URLSAFE_NO_PADDING

static void s_sodium_ready(void)
{
    /*  sodium_init is idempotent; it fails only when the system cannot
     *  provide randomness, and nothing here can work without it. */
    if (sodium_init() < 0) {
        gy_log_error("could not initialise libsodium");
        abort();
    }
}

void gy_token_keygen(uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES], uint8_t sk[GY_TOKEN_SECRET_KEY_BYTES])
{
    assert(pk);
    assert(sk);
    s_sodium_ready();
    crypto_sign_keypair(pk, sk);
}

static char *s_base64(const void *data, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, S_VARIANT);
    char *out = gy_malloc(cap);
    sodium_bin2base64(out, cap, data, len, S_VARIANT);
    return out;
}

/*  A claim string must fit its field with its NUL, and must not hide a NUL
 *  that would make two different tokens read as the same subject. */
static bool s_fits(const char *s, size_t cap)
{
    size_t len = strnlen(s, cap);
    return len > 0 && len < cap;
}

char *gy_token_issue(const uint8_t sk[GY_TOKEN_SECRET_KEY_BYTES], const gy_token_claims_t *claims)
{
    assert(sk);
    assert(claims);
    assert(s_fits(claims->sub, sizeof claims->sub));
    assert(s_fits(claims->role, sizeof claims->role));
    assert(s_fits(claims->proc, sizeof claims->proc));
    s_sodium_ready();

    json_t *json =
        json_pack("{s:s, s:s, s:s, s:I, s:I}", "sub", claims->sub, "role", claims->role, "proc",
                  claims->proc, "iat", (json_int_t)claims->iat, "exp", (json_int_t)claims->exp);
    if (!json) {
        /*  jansson refuses strings that are not UTF-8. */
        gy_log_error("could not issue token: claims are not valid UTF-8");
        return NULL;
    }
    char *payload = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    if (!payload) {
        gy_log_error("could not issue token: out of memory encoding claims");
        abort();
    }
    char *body64 = s_base64(payload, strlen(payload));
    free(payload);

    char *signed_part = gy_sprintf(S_PREFIX "%s", body64);
    free(body64);
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const uint8_t *)signed_part, strlen(signed_part), sk);
    char *sig64 = s_base64(sig, sizeof sig);
    char *token = gy_sprintf("%s.%s", signed_part, sig64);
    free(sig64);
    free(signed_part);
    return token;
}

/*  Copies a required string claim; false when absent, not a string, empty,
 *  too long or holding a NUL. */
static bool s_claim_string(json_t *obj, const char *name, char *out, size_t cap)
{
    json_t *value = json_object_get(obj, name);
    if (!json_is_string(value))
        return false;
    size_t len = json_string_length(value);
    const char *s = json_string_value(value);
    if (len == 0 || len >= cap || strlen(s) != len)
        return false;
    memcpy(out, s, len + 1);
    return true;
}

static bool s_claim_integer(json_t *obj, const char *name, int64_t *out)
{
    json_t *value = json_object_get(obj, name);
    if (!json_is_integer(value))
        return false;
    *out = (int64_t)json_integer_value(value);
    return true;
}

static gy_token_status_t s_parse_claims(const uint8_t *payload, size_t len,
                                        gy_token_claims_t *claims)
{
    json_t *obj = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, NULL);
    bool ok = json_is_object(obj) && s_claim_string(obj, "sub", claims->sub, sizeof claims->sub) &&
              s_claim_string(obj, "role", claims->role, sizeof claims->role) &&
              s_claim_string(obj, "proc", claims->proc, sizeof claims->proc) &&
              s_claim_integer(obj, "iat", &claims->iat) &&
              s_claim_integer(obj, "exp", &claims->exp);
    json_decref(obj);
    return ok ? GY_TOKEN_OK : GY_TOKEN_MALFORMED;
}

/*  Decodes the whole of text[0..len) as unpadded base64url; false on any
 *  character outside the alphabet, non-zero trailing bits or overflow. */
static bool s_unbase64(const char *text, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    const char *end = NULL;
    if (sodium_base642bin(out, cap, text, len, NULL, out_len, &end, S_VARIANT) != 0)
        return false;
    return end == text + len;
}

gy_token_status_t gy_token_verify(const uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES], const char *token,
                                  int64_t now_s, gy_token_claims_t *claims)
{
    assert(pk);
    assert(token);
    assert(claims);
    s_sodium_ready();

    size_t len = strnlen(token, GY_TOKEN_MAX_LEN + 1);
    if (len > GY_TOKEN_MAX_LEN || strncmp(token, S_PREFIX, S_PREFIX_LEN) != 0)
        return GY_TOKEN_MALFORMED;
    const char *body = token + S_PREFIX_LEN;
    const char *dot = strchr(body, '.');
    if (!dot || dot == body)
        return GY_TOKEN_MALFORMED;
    const char *sig64 = dot + 1;
    size_t sig64_len = len - (size_t)(sig64 - token);

    uint8_t sig[crypto_sign_BYTES];
    size_t sig_len = 0;
    if (!s_unbase64(sig64, sig64_len, sig, sizeof sig, &sig_len) || sig_len != sizeof sig)
        return GY_TOKEN_MALFORMED;

    size_t body_len = (size_t)(dot - body);
    uint8_t *payload = gy_malloc(body_len); /* base64 never grows when decoded */
    size_t payload_len = 0;
    if (!s_unbase64(body, body_len, payload, body_len, &payload_len)) {
        free(payload);
        return GY_TOKEN_MALFORMED;
    }
    if (crypto_sign_verify_detached(sig, (const uint8_t *)token, (size_t)(dot - token), pk) != 0) {
        free(payload);
        return GY_TOKEN_BAD_SIGNATURE;
    }
    gy_token_claims_t parsed;
    memset(&parsed, 0, sizeof parsed);
    gy_token_status_t status = s_parse_claims(payload, payload_len, &parsed);
    free(payload);
    if (status != GY_TOKEN_OK)
        return status;
    if (parsed.exp <= now_s)
        return GY_TOKEN_EXPIRED;
    *claims = parsed;
    return GY_TOKEN_OK;
}

/*  ---- the cache of verified tokens ---- */

typedef struct {
    uint8_t key[crypto_generichash_BYTES]; /* BLAKE2b(token) keyed by the public key */
    gy_token_claims_t claims;
    bool used;
} s_slot_t;

struct gy_token_cache {
    s_slot_t *slots;
    size_t mask;
    uint64_t hits;
};

gy_token_cache_t *gy_token_cache_new(size_t slots)
{
    size_t n = 16;
    while (n < slots)
        n *= 2;
    gy_token_cache_t *self = gy_calloc(1, sizeof *self);
    self->slots = gy_calloc(n, sizeof *self->slots);
    self->mask = n - 1;
    return self;
}

void gy_token_cache_destroy(gy_token_cache_t **self_p)
{
    assert(self_p);
    gy_token_cache_t *self = *self_p;
    if (!self)
        return;
    sodium_memzero(self->slots, (self->mask + 1) * sizeof *self->slots);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

gy_token_status_t gy_token_verify_cached(gy_token_cache_t *self,
                                         const uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES],
                                         const char *token, int64_t now_s,
                                         gy_token_claims_t *claims)
{
    assert(self && pk && token && claims);
    s_sodium_ready();
    size_t len = strnlen(token, GY_TOKEN_MAX_LEN + 1);
    if (len > GY_TOKEN_MAX_LEN)
        return GY_TOKEN_MALFORMED;
    uint8_t key[crypto_generichash_BYTES];
    crypto_generichash(key, sizeof key, (const uint8_t *)token, len, pk, GY_TOKEN_PUBLIC_KEY_BYTES);
    size_t index = 0;
    memcpy(&index, key, sizeof index < sizeof key ? sizeof index : sizeof key);
    s_slot_t *slot = &self->slots[index & self->mask];
    if (slot->used && sodium_memcmp(slot->key, key, sizeof key) == 0) {
        if (slot->claims.exp <= now_s)
            return GY_TOKEN_EXPIRED;
        self->hits++;
        *claims = slot->claims;
        return GY_TOKEN_OK;
    }
    gy_token_status_t status = gy_token_verify(pk, token, now_s, claims);
    if (status == GY_TOKEN_OK) {
        memcpy(slot->key, key, sizeof key);
        slot->claims = *claims;
        slot->used = true;
    }
    return status;
}

uint64_t gy_token_cache_hits(const gy_token_cache_t *self)
{
    return self->hits;
}

int gy_token_load_key(const char *path, uint8_t *key, size_t len)
{
    assert(path);
    assert(key);
    size_t text_len = 0;
    char *text = gy_read_file(path, &text_len);
    if (!text)
        return -1;
    /*  The key is the first line; editors and `echo` add a newline. */
    size_t line_len = strcspn(text, "\r\n");
    text[line_len] = '\0';
    int rc = line_len == 2 * len ? gy_unhex(text, key, len) : -1;
    sodium_memzero(text, text_len);
    free(text);
    if (rc < 0) {
        gy_log_error("invalid key in \"%s\": expected %zu hex characters on the first line", path,
                     2 * len);
        sodium_memzero(key, len);
    }
    return rc;
}
