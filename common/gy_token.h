/*  gy_token — signed bearer tokens, issued and verified the same way by
 *  every service.
 *
 *  A token is "gy1." base64url(JSON claims) "." base64url(Ed25519 signature
 *  of everything before the second dot), no padding: a token that verifies
 *  is made of A-Z a-z 0-9 - _ and dots only, so it fits a cookie's value as
 *  it is.  Claims: sub (subject: volunteer or user id), role (volunteer,
 *  prosecutor, chief_prosecutor, admin, integrator), proc (region code of
 *  the procuratorate), iat and exp (Unix seconds).  Services hold only the
 *  public key; the secret key stays with whoever issues tokens (gy-token,
 *  the router's logins).
 */
#ifndef GY_TOKEN_H
#define GY_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GY_TOKEN_PUBLIC_KEY_BYTES 32
#define GY_TOKEN_SECRET_KEY_BYTES 64
/*  The longest token text verified; a longer one is malformed.  Tokens
 *  travel in headers capped at 8 KiB and ours are far shorter; the bound
 *  keeps a hostile header from costing a base64 decode, and sizes the
 *  buffers that hold one. */
#define GY_TOKEN_MAX_LEN 2048

typedef struct {
    char sub[65];
    char role[33];
    char proc[17];
    int64_t iat;
    int64_t exp;
} gy_token_claims_t;

typedef enum {
    GY_TOKEN_OK = 0,
    GY_TOKEN_MALFORMED = -1, /* not our format, bad base64 or JSON, missing claims */
    GY_TOKEN_BAD_SIGNATURE = -2,
    GY_TOKEN_EXPIRED = -3,
} gy_token_status_t;

void gy_token_keygen(uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES], uint8_t sk[GY_TOKEN_SECRET_KEY_BYTES]);

/*  Returns the token; the caller frees it. */
char *gy_token_issue(const uint8_t sk[GY_TOKEN_SECRET_KEY_BYTES], const gy_token_claims_t *claims);

/*  Checks format, signature and expiry against now_s; fills *claims on OK. */
gy_token_status_t gy_token_verify(const uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES], const char *token,
                                  int64_t now_s, gy_token_claims_t *claims);

/*  A cache of verified tokens, for a loop that sees the same bearer tokens
 *  again and again: an Ed25519 verification costs tens of microseconds, a
 *  lookup well under one.  An entry is a token that verified (keyed by a
 *  BLAKE2b hash of the public key and the whole token) with its claims;
 *  its expiry is checked against now_s on every hit, and anything that is
 *  not a hit is verified in full, so the answers are gy_token_verify's.
 *  Direct-mapped: a colliding token replaces the older.  Not thread-safe:
 *  one per loop. */
typedef struct gy_token_cache gy_token_cache_t;

/*  slots: rounded up to a power of two, at least 16. */
gy_token_cache_t *gy_token_cache_new(size_t slots);
void gy_token_cache_destroy(gy_token_cache_t **self_p);
gy_token_status_t gy_token_verify_cached(gy_token_cache_t *self,
                                         const uint8_t pk[GY_TOKEN_PUBLIC_KEY_BYTES],
                                         const char *token, int64_t now_s,
                                         gy_token_claims_t *claims);
/*  Verifications the cache answered. */
uint64_t gy_token_cache_hits(const gy_token_cache_t *self);

/*  Key files hold the key as hex on the first line.  0 or -1 (logged). */
int gy_token_load_key(const char *path, uint8_t *key, size_t len);

#endif
