-- Access tokens that administrators issue from the console (POST
-- /api/v1/tokens, router_tokens.c): one row per token, written in the
-- transaction that answers, so no token is ever handed out unrecorded.
-- The token itself is never stored, only the SHA-256 of its text: the
-- record tells whose a token shown later is, and a copy of this table
-- signs nobody in.  Tokens are stateless (common/gy_token.h): deleting a
-- row revokes nothing.
CREATE TABLE router.issued_token (
    id           uuid PRIMARY KEY,
    sub          text NOT NULL CHECK (sub ~ '^[!-~]{1,64}$'),
    role         text NOT NULL
                 CHECK (role IN ('prosecutor', 'chief_prosecutor', 'admin', 'integrator')),
    proc         text NOT NULL CHECK (proc ~ '^[0-9]{6}$'),
    expires_at   timestamptz NOT NULL,
    purpose      text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 500),
    issued_by    text NOT NULL,  -- the administrator's subject (their token's sub)
    issued_at    timestamptz NOT NULL,
    token_sha256 bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    CHECK (expires_at > issued_at)
);

-- GET /api/v1/tokens: newest first, by keyset.
CREATE INDEX issued_token_page ON router.issued_token (issued_at DESC, id DESC);
