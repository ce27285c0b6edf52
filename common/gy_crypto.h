/*  gy_crypto — sealing personal data at rest and making receipt codes.
 *
 *  Sealing uses libsodium's crypto_secretbox (XSalsa20-Poly1305) with a
 *  32-byte site key; a sealed value is nonce || ciphertext, so the same
 *  plaintext never seals to the same bytes.  The key lives in a file (hex),
 *  never in the database.
 */
#ifndef GY_CRYPTO_H
#define GY_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define GY_SEAL_KEY_BYTES 32
/*  Bytes a sealed value adds to its plaintext. */
#define GY_SEAL_OVERHEAD 40

/*  Initialises libsodium; -1 (logged) if it cannot. Call once at start. */
int gy_crypto_init(void);

/*  Loads a key file holding 64 hex characters (a trailing newline is fine). */
int gy_crypto_load_key(const char *path, uint8_t key[GY_SEAL_KEY_BYTES]);

/*  Seals len bytes into out, which holds len + GY_SEAL_OVERHEAD bytes. */
void gy_seal(const uint8_t key[GY_SEAL_KEY_BYTES], const void *plain, size_t len, uint8_t *out);

/*  Opens a sealed value into out (sealed_len - GY_SEAL_OVERHEAD bytes).
 *  -1 when it was not sealed with this key or was altered. */
int gy_unseal(const uint8_t key[GY_SEAL_KEY_BYTES], const uint8_t *sealed, size_t sealed_len,
              uint8_t *out);

/*  A receipt code: "GY-" and 20 Crockford base32 characters in groups of
 *  five (100 random bits), e.g. GY-7K2QM-XR4TD-9PWEH-C3N8A. */
#define GY_RECEIPT_LEN 26
void gy_receipt_code(char out[GY_RECEIPT_LEN + 1]);
/*  1 when s has the receipt format (case-insensitive), else 0. */
int gy_receipt_valid(const char *s);

/*  SHA-256 of data. */
void gy_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
