/*  test_gy_token — issuing and verifying bearer tokens, and every way a
 *  token presented by a client can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gy_token.h"
#include "gy_util.h"

#define S_NOW     1795000000 /* a fixed "now" keeps expiry tests exact */
#define S_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

typedef struct {
    uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES];
    uint8_t sk[GY_TOKEN_SECRET_KEY_BYTES];
} s_keys_t;

static int s_setup(void **state)
{
    s_keys_t *keys = gy_malloc(sizeof *keys);
    gy_token_keygen(keys->pk, keys->sk);
    *state = keys;
    return 0;
}

static int s_teardown(void **state)
{
    free(*state);
    return 0;
}

static gy_token_claims_t s_claims(void)
{
    gy_token_claims_t claims;
    memset(&claims, 0, sizeof claims);
    snprintf(claims.sub, sizeof claims.sub, "6f1c2d7e-0b8a-4d4e-9a51-3f1f0c9b2a10");
    snprintf(claims.role, sizeof claims.role, "volunteer");
    snprintf(claims.proc, sizeof claims.proc, "110105");
    claims.iat = S_NOW - 60;
    claims.exp = S_NOW + 3600;
    return claims;
}

/*  Signs arbitrary claim text the way gy_token_issue does, so the tests can
 *  present well-signed tokens whose claims are wrong. */
static char *s_sign_json(const uint8_t *sk, const char *json)
{
    size_t len = strlen(json);
    char *body = gy_malloc(sodium_base64_ENCODED_LEN(len, S_VARIANT));
    sodium_bin2base64(body, sodium_base64_ENCODED_LEN(len, S_VARIANT), (const uint8_t *)json, len,
                      S_VARIANT);
    char *signed_part = gy_sprintf("gy1.%s", body);
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const uint8_t *)signed_part, strlen(signed_part), sk);
    char sig64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, S_VARIANT)];
    sodium_bin2base64(sig64, sizeof sig64, sig, sizeof sig, S_VARIANT);
    char *token = gy_sprintf("%s.%s", signed_part, sig64);
    free(signed_part);
    free(body);
    return token;
}

/*  Verifies and checks that a refused token leaves the claims untouched. */
static gy_token_status_t s_verify(const uint8_t *pk, const char *token, int64_t now)
{
    gy_token_claims_t claims;
    memset(&claims, 0x5a, sizeof claims);
    gy_token_status_t status = gy_token_verify(pk, token, now, &claims);
    if (status != GY_TOKEN_OK) {
        gy_token_claims_t untouched;
        memset(&untouched, 0x5a, sizeof untouched);
        assert_memory_equal(&claims, &untouched, sizeof claims);
    }
    return status;
}

static void test_issue_and_verify(void **state)
{
    s_keys_t *keys = *state;
    gy_token_claims_t claims = s_claims();
    char *token = gy_token_issue(keys->sk, &claims);
    assert_non_null(token);
    assert_true(strncmp(token, "gy1.", 4) == 0);
    assert_null(strchr(token, '='));
    assert_null(strchr(token, '+'));
    assert_null(strchr(token, '/'));
    assert_non_null(strchr(token + 4, '.'));
    assert_null(strchr(strchr(token + 4, '.') + 1, '.'));

    gy_token_claims_t out;
    assert_int_equal(gy_token_verify(keys->pk, token, S_NOW, &out), GY_TOKEN_OK);
    assert_string_equal(out.sub, claims.sub);
    assert_string_equal(out.role, "volunteer");
    assert_string_equal(out.proc, "110105");
    assert_int_equal(out.iat, claims.iat);
    assert_int_equal(out.exp, claims.exp);

    /*  Ed25519 is deterministic: the same claims give the same token. */
    char *again = gy_token_issue(keys->sk, &claims);
    assert_string_equal(token, again);
    free(again);
    free(token);
}

static void test_longest_claims(void **state)
{
    s_keys_t *keys = *state;
    gy_token_claims_t claims = s_claims();
    memset(claims.sub, 's', sizeof claims.sub - 1);
    memset(claims.role, 'r', sizeof claims.role - 1);
    memset(claims.proc, 'p', sizeof claims.proc - 1);
    char *token = gy_token_issue(keys->sk, &claims);
    gy_token_claims_t out;
    assert_int_equal(gy_token_verify(keys->pk, token, S_NOW, &out), GY_TOKEN_OK);
    assert_memory_equal(&out, &claims, sizeof out);
    free(token);

    /*  jansson refuses what is not UTF-8, so issue does too. */
    claims = s_claims();
    claims.sub[0] = (char)0xff;
    assert_null(gy_token_issue(keys->sk, &claims));
}

static void test_expiry(void **state)
{
    s_keys_t *keys = *state;
    gy_token_claims_t claims = s_claims();
    char *token = gy_token_issue(keys->sk, &claims);
    assert_int_equal(s_verify(keys->pk, token, claims.exp - 1), GY_TOKEN_OK);
    assert_int_equal(s_verify(keys->pk, token, claims.exp), GY_TOKEN_EXPIRED);
    assert_int_equal(s_verify(keys->pk, token, claims.exp + 86400), GY_TOKEN_EXPIRED);
    free(token);
}

static void test_signature(void **state)
{
    s_keys_t *keys = *state;
    gy_token_claims_t claims = s_claims();
    char *token = gy_token_issue(keys->sk, &claims);

    s_keys_t other;
    gy_token_keygen(other.pk, other.sk);
    assert_int_equal(s_verify(other.pk, token, S_NOW), GY_TOKEN_BAD_SIGNATURE);

    /*  A character changed in the middle of the signature. */
    char *bad = gy_strdup(token);
    char *c = strrchr(bad, '.') + 20;
    *c = *c == 'A' ? 'B' : 'A';
    assert_int_equal(s_verify(keys->pk, bad, S_NOW), GY_TOKEN_BAD_SIGNATURE);
    free(bad);

    /*  Claims changed (a role raised) and the old signature kept. */
    claims.exp = S_NOW + 7200;
    snprintf(claims.role, sizeof claims.role, "admin");
    char *forged = gy_token_issue(other.sk, &claims);
    char *mixed =
        gy_sprintf("%.*s%s", (int)(strrchr(forged, '.') - forged), forged, strrchr(token, '.'));
    assert_int_equal(s_verify(keys->pk, mixed, S_NOW), GY_TOKEN_BAD_SIGNATURE);
    free(mixed);
    free(forged);
    free(token);
}

static void test_malformed_text(void **state)
{
    s_keys_t *keys = *state;
    gy_token_claims_t claims = s_claims();
    char *token = gy_token_issue(keys->sk, &claims);
    const char *sig = strrchr(token, '.') + 1;
    const char *body = token + 4;
    int body_len = (int)(sig - 1 - body);

    const char *fixed[] = {"",         "gy1",     "gy1.",     "gy1..",
                           "gy1.e30.", "gy1.e30", "Bearer x", "gy1.@@@." /* not base64 */};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        assert_int_equal(s_verify(keys->pk, fixed[i], S_NOW), GY_TOKEN_MALFORMED);

    char *variants[] = {
        gy_sprintf("gy2.%s", body),                        /* wrong version */
        gy_sprintf("GY1.%s", body),                        /* prefix is case-sensitive */
        gy_sprintf(" %s", token),                          /* leading space */
        gy_sprintf("%s ", token),                          /* trailing space */
        gy_sprintf("%s\n", token),                         /* trailing newline */
        gy_sprintf("%sA", token),                          /* signature one character long */
        gy_sprintf("%s.", token),                          /* a third part */
        gy_sprintf("%s.%s", token, sig),                   /* a third part */
        gy_sprintf("%s==", token),                         /* padding */
        gy_sprintf("gy1.%.*s.%.85s", body_len, body, sig), /* signature one short */
        gy_sprintf("gy1.%.*s=.%s", body_len, body, sig),   /* padding in the body */
        gy_sprintf("gy1.%s", sig),                         /* one part only */
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        assert_int_equal(s_verify(keys->pk, variants[i], S_NOW), GY_TOKEN_MALFORMED);
        free(variants[i]);
    }
    free(token);
}

static void test_oversize(void **state)
{
    s_keys_t *keys = *state;
    /*  Unknown claims are tolerated, so padding makes a well-signed token of
     *  any length; the limit is on the text, 2048 characters. */
    for (size_t pad = 1300; pad < 1500; pad++) {
        char *filler = gy_malloc(pad + 1);
        memset(filler, 'x', pad);
        filler[pad] = '\0';
        char *json = gy_sprintf("{\"sub\":\"u\",\"role\":\"admin\",\"proc\":\"110000\","
                                "\"iat\":1,\"exp\":%d,\"pad\":\"%s\"}",
                                S_NOW + 10, filler);
        char *token = s_sign_json(keys->sk, json);
        gy_token_status_t expected = strlen(token) <= 2048 ? GY_TOKEN_OK : GY_TOKEN_MALFORMED;
        assert_int_equal(s_verify(keys->pk, token, S_NOW), expected);
        free(token);
        free(json);
        free(filler);
    }
}

static void test_claims(void **state)
{
    s_keys_t *keys = *state;
    static const struct {
        const char *json;
        gy_token_status_t status;
    } cases[] = {
        {"{\"sub\":\"u\",\"role\":\"admin\",\"proc\":\"1\",\"iat\":1,\"exp\":1795000001}",
         GY_TOKEN_OK},
        {"{\"sub\":\"u\",\"role\":\"admin\",\"proc\":\"1\",\"iat\":1,\"exp\":1795000000}",
         GY_TOKEN_EXPIRED},
        /* missing claims */
        {"{\"role\":\"admin\",\"proc\":\"1\",\"iat\":1,\"exp\":1795000001}", GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"proc\":\"1\",\"iat\":1,\"exp\":1795000001}", GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"role\":\"admin\",\"iat\":1,\"exp\":1795000001}", GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"role\":\"admin\",\"proc\":\"1\",\"exp\":1795000001}",
         GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"role\":\"admin\",\"proc\":\"1\",\"iat\":1}", GY_TOKEN_MALFORMED},
        /* wrong types */
        {"{\"sub\":7,\"role\":\"admin\",\"proc\":\"1\",\"iat\":1,\"exp\":1795000001}",
         GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"role\":null,\"proc\":\"1\",\"iat\":1,\"exp\":1795000001}",
         GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"role\":\"admin\",\"proc\":[\"1\"],\"iat\":1,\"exp\":1795000001}",
         GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"role\":\"admin\",\"proc\":\"1\",\"iat\":\"1\",\"exp\":1795000001}",
         GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"role\":\"admin\",\"proc\":\"1\",\"iat\":1,\"exp\":1795000001.5}",
         GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"role\":\"admin\",\"proc\":\"1\",\"iat\":1,\"exp\":true}",
         GY_TOKEN_MALFORMED},
        /* empty, oversize or NUL-hiding strings */
        {"{\"sub\":\"\",\"role\":\"admin\",\"proc\":\"1\",\"iat\":1,\"exp\":1795000001}",
         GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"role\":\"admin\",\"proc\":\"12345678901234567\",\"iat\":1,"
         "\"exp\":1795000001}",
         GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\\u0000admin\",\"role\":\"admin\",\"proc\":\"1\",\"iat\":1,"
         "\"exp\":1795000001}",
         GY_TOKEN_MALFORMED},
        /* not an object, duplicates, trailing garbage, not JSON */
        {"[\"u\",\"admin\"]", GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"sub\":\"v\",\"role\":\"admin\",\"proc\":\"1\",\"iat\":1,"
         "\"exp\":1795000001}",
         GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"role\":\"admin\",\"proc\":\"1\",\"iat\":1,\"exp\":1795000001} x",
         GY_TOKEN_MALFORMED},
        {"{\"sub\":\"u\",\"role\":\"admin\",\"proc\":\"1\",\"iat\":1,\"exp\":1795000001}{}",
         GY_TOKEN_MALFORMED},
        {"not json", GY_TOKEN_MALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *token = s_sign_json(keys->sk, cases[i].json);
        gy_token_status_t status = s_verify(keys->pk, token, S_NOW);
        if (status != cases[i].status)
            fail_msg("case %zu (%s): status %d, expected %d", i, cases[i].json, status,
                     cases[i].status);
        free(token);
    }
}

/*  Writes `text` to a fresh temporary file and returns its path. */
static char *s_temp_file(const char *text)
{
    char *path = gy_strdup("/tmp/test_gy_token_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_load_key(void **state)
{
    s_keys_t *keys = *state;
    char hex[2 * GY_TOKEN_PUBLIC_KEY_BYTES + 1];
    gy_hex(keys->pk, sizeof keys->pk, hex);
    char shex[2 * GY_TOKEN_SECRET_KEY_BYTES + 1];
    gy_hex(keys->sk, sizeof keys->sk, shex);

    char *good[] = {gy_sprintf("%s", hex), gy_sprintf("%s\n", hex), gy_sprintf("%s\r\n", hex)};
    for (size_t i = 0; i < 3; i++) {
        char *path = s_temp_file(good[i]);
        uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES];
        assert_int_equal(gy_token_load_key(path, pk, sizeof pk), 0);
        assert_memory_equal(pk, keys->pk, sizeof pk);
        unlink(path);
        free(path);
        free(good[i]);
    }

    /*  A loaded key really verifies what the loaded secret key issued. */
    char *spath = s_temp_file(shex);
    uint8_t sk[GY_TOKEN_SECRET_KEY_BYTES];
    assert_int_equal(gy_token_load_key(spath, sk, sizeof sk), 0);
    gy_token_claims_t claims = s_claims();
    char *token = gy_token_issue(sk, &claims);
    assert_int_equal(s_verify(keys->pk, token, S_NOW), GY_TOKEN_OK);
    free(token);

    /*  The secret key file given where the public key belongs. */
    uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES];
    assert_int_equal(gy_token_load_key(spath, pk, sizeof pk), -1);
    unlink(spath);
    free(spath);

    char *bad[] = {gy_sprintf("%.63s\n", hex), gy_sprintf("%sab\n", hex),
                   gy_sprintf("%.63sg\n", hex), gy_sprintf(" %s\n", hex), gy_strdup("")};
    for (size_t i = 0; i < 5; i++) {
        char *path = s_temp_file(bad[i]);
        assert_int_equal(gy_token_load_key(path, pk, sizeof pk), -1);
        unlink(path);
        free(path);
        free(bad[i]);
    }
    assert_int_equal(gy_token_load_key("/nonexistent/gy-token.pub", pk, sizeof pk), -1);
}

/*  The cache answers as gy_token_verify does: a hit only for the very
 *  token that verified under that key, its expiry checked on every hit, a
 *  bad or other-key token verified in full and refused. */
static void test_cache(void **state)
{
    s_keys_t *keys = *state;
    gy_token_claims_t claims = s_claims();
    char *token = gy_token_issue(keys->sk, &claims);
    gy_token_cache_t *cache = gy_token_cache_new(4);
    gy_token_claims_t got;

    assert_int_equal(gy_token_verify_cached(cache, keys->pk, token, S_NOW, &got), GY_TOKEN_OK);
    assert_int_equal(gy_token_cache_hits(cache), 0);
    memset(&got, 0, sizeof got);
    assert_int_equal(gy_token_verify_cached(cache, keys->pk, token, S_NOW, &got), GY_TOKEN_OK);
    assert_int_equal(gy_token_cache_hits(cache), 1);
    assert_string_equal(got.sub, claims.sub);
    assert_string_equal(got.role, claims.role);
    assert_string_equal(got.proc, claims.proc);
    assert_int_equal(got.exp, claims.exp);

    /*  Expiry, on a hit. */
    assert_int_equal(gy_token_verify_cached(cache, keys->pk, token, claims.exp, &got),
                     GY_TOKEN_EXPIRED);
    assert_int_equal(gy_token_cache_hits(cache), 1);

    /*  Another key: not the cached entry, and refused. */
    s_keys_t other;
    gy_token_keygen(other.pk, other.sk);
    assert_int_equal(gy_token_verify_cached(cache, other.pk, token, S_NOW, &got),
                     GY_TOKEN_BAD_SIGNATURE);

    /*  The signature or the claims changed: verified in full, refused, and
     *  the good token still a hit after. */
    char *bad = gy_strdup(token);
    char *c = strrchr(bad, '.') + 20;
    *c = *c == 'A' ? 'B' : 'A';
    assert_int_equal(gy_token_verify_cached(cache, keys->pk, bad, S_NOW, &got),
                     GY_TOKEN_BAD_SIGNATURE);
    snprintf(claims.role, sizeof claims.role, "admin");
    char *forged = gy_token_issue(other.sk, &claims);
    char *mixed =
        gy_sprintf("%.*s%s", (int)(strrchr(forged, '.') - forged), forged, strrchr(token, '.'));
    assert_int_equal(gy_token_verify_cached(cache, keys->pk, mixed, S_NOW, &got),
                     GY_TOKEN_BAD_SIGNATURE);
    assert_int_equal(gy_token_verify_cached(cache, keys->pk, "gy1.x", S_NOW, &got),
                     GY_TOKEN_MALFORMED);
    assert_int_equal(gy_token_verify_cached(cache, keys->pk, token, S_NOW, &got), GY_TOKEN_OK);
    assert_int_equal(gy_token_cache_hits(cache), 2);
    assert_string_equal(got.role, "volunteer");

    /*  Many tokens through a small cache: each answer still right. */
    for (int i = 0; i < 40; i++) {
        gy_token_claims_t each = s_claims();
        snprintf(each.sub, sizeof each.sub, "subject-%d", i);
        char *t = gy_token_issue(keys->sk, &each);
        for (int k = 0; k < 2; k++) {
            assert_int_equal(gy_token_verify_cached(cache, keys->pk, t, S_NOW, &got), GY_TOKEN_OK);
            assert_string_equal(got.sub, each.sub);
        }
        free(t);
    }
    gy_token_cache_destroy(&cache);
    assert_null(cache);
    free(mixed);
    free(forged);
    free(bad);
    free(token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_and_verify),
        cmocka_unit_test(test_longest_claims),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_malformed_text),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_load_key),
        cmocka_unit_test(test_cache),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
