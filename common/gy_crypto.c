/*  gy_crypto — see gy_crypto.h. */
#include "gy_crypto.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>

#include "gy_util.h"

_Static_assert(GY_SEAL_OVERHEAD == crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES,
               "seal overhead");
_Static_assert(GY_SEAL_KEY_BYTES == crypto_secretbox_KEYBYTES, "seal key size");

static const char s_crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int gy_crypto_init(void)
{
    if (sodium_init() < 0) {
        gy_log_error("could not initialise libsodium");
        return -1;
    }
    return 0;
}

int gy_crypto_load_key(const char *path, uint8_t key[GY_SEAL_KEY_BYTES])
{
    char *text = gy_read_file(path, NULL);
    if (!text)
        return -1;
    text[strcspn(text, "\r\n")] = '\0';
    int rc = gy_unhex(text, key, GY_SEAL_KEY_BYTES);
    sodium_memzero(text, strlen(text));
    free(text);
    if (rc < 0)
        gy_log_error("invalid key in \"%s\": expected %d hex characters", path,
                     2 * GY_SEAL_KEY_BYTES);
    return rc;
}

void gy_seal(const uint8_t key[GY_SEAL_KEY_BYTES], const void *plain, size_t len, uint8_t *out)
{
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, plain, len, out, key);
}

int gy_unseal(const uint8_t key[GY_SEAL_KEY_BYTES], const uint8_t *sealed, size_t sealed_len,
              uint8_t *out)
{
    if (sealed_len < GY_SEAL_OVERHEAD)
        return -1;
    return crypto_secretbox_open_easy(out, sealed + crypto_secretbox_NONCEBYTES,
                                      sealed_len - crypto_secretbox_NONCEBYTES, sealed, key);
}

void gy_receipt_code(char out[GY_RECEIPT_LEN + 1])
{
    uint8_t bits[13]; /* 104 bits, 100 used */
    randombytes_buf(bits, sizeof bits);
    char *p = out;
    *p++ = 'G';
    *p++ = 'Y';
    for (int i = 0; i < 20; i++) {
        if (i % 5 == 0)
            *p++ = '-';
        int bit = i * 5;
        unsigned v = (unsigned)(bits[bit / 8] << 8 | bits[bit / 8 + 1]);
        v = (v >> (11 - bit % 8)) & 31;
        *p++ = s_crockford[v];
    }
    *p = '\0';
}

int gy_receipt_valid(const char *s)
{
    if (strlen(s) != GY_RECEIPT_LEN || toupper((unsigned char)s[0]) != 'G' ||
        toupper((unsigned char)s[1]) != 'Y')
        return 0;
    for (int i = 2; i < GY_RECEIPT_LEN; i++) {
        if ((i - 2) % 6 == 0) {
            if (s[i] != '-')
                return 0;
        } else if (!strchr(s_crockford, toupper((unsigned char)s[i])) || s[i] == '\0') {
            return 0;
        }
    }
    return 1;
}

void gy_sha256(const void *data, size_t len, uint8_t out[32])
{
    crypto_hash_sha256(out, data, len);
}
