/*  Bearer tokens (gy_token_verify).  The first input byte picks what the
 *  rest is: even, a token as a client sends it (format, base64 and
 *  signature checks); odd, the claims JSON, which the harness signs with
 *  its own key first, so the fuzzer reaches the claims parser that only
 *  signed bytes reach in production. */
#include <sodium.h>

#include "fuzz_common.h"
#include "gy_token.h"

static uint8_t s_pk[crypto_sign_PUBLICKEYBYTES];
static uint8_t s_sk[crypto_sign_SECRETKEYBYTES];

static void s_keys(void)
{
    static int done;
    if (done)
        return;
    if (sodium_init() < 0)
        abort();
    uint8_t seed[crypto_sign_SEEDBYTES] = {0}; /* fixed: findings reproduce */
    crypto_sign_seed_keypair(s_pk, s_sk, seed);
    done = 1;
}

static char *s_base64(const uint8_t *bin, size_t len)
{
    const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    size_t cap = sodium_base64_ENCODED_LEN(len, variant);
    char *out = gy_malloc(cap);
    sodium_bin2base64(out, cap, bin, len, variant);
    return out;
}

static char *s_sign(const uint8_t *claims, size_t len)
{
    char *body = s_base64(claims, len);
    char *signed_part = gy_sprintf("gy1.%s", body);
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const uint8_t *)signed_part, strlen(signed_part), s_sk);
    char *sig64 = s_base64(sig, sizeof sig);
    char *token = gy_sprintf("%s.%s", signed_part, sig64);
    free(sig64);
    free(signed_part);
    free(body);
    return token;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_keys();
    if (size == 0)
        return 0;
    char *token = (data[0] & 1) ? s_sign(data + 1, size - 1) : fuzz_cstring(data + 1, size - 1);
    gy_token_claims_t claims;
    gy_token_status_t status = gy_token_verify(s_pk, token, FUZZ_NOW_MS / 1000, &claims);
    if (status == GY_TOKEN_OK && (!memchr(claims.sub, '\0', sizeof claims.sub) ||
                                  !memchr(claims.role, '\0', sizeof claims.role) ||
                                  !memchr(claims.proc, '\0', sizeof claims.proc)))
        abort();
    free(token);
    return 0;
}
