-- gy:replaces-checksum e91a9ff4ebb87132092fb644bceb0988420d906401de733e12f35fae7392a062
-- (the released text, which also created intake.submit_clue: that function
-- lives in R__submit_clue.sql now, re-applied when it changes.)
-- intake owns the clues as submitted, their receipt codes and idempotency
-- keys, and its transactional outbox.
CREATE SCHEMA IF NOT EXISTS intake;

-- Reference data copied from reference/ at start; intake validates
-- submissions against these copies and never reads another schema.
CREATE TABLE intake.field (
    code        text PRIMARY KEY,
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    active      boolean NOT NULL DEFAULT true
);

CREATE TABLE intake.region (
    code        char(6) PRIMARY KEY,
    parent_code char(6),
    level       text NOT NULL CHECK (level IN ('supreme','province','city','county')),
    name_zh     text NOT NULL,
    procuratorate_zh text NOT NULL
);

CREATE TABLE intake.clue (
    id              uuid PRIMARY KEY,
    receipt_code    text NOT NULL UNIQUE,
    title           text NOT NULL,
    description     text NOT NULL,
    field_code      text NOT NULL,
    region_code     char(6) NOT NULL,
    lat             double precision,
    lon             double precision,
    address         text,
    occurred_at     timestamptz,
    attachments     jsonb NOT NULL DEFAULT '[]',
    source_channel  text NOT NULL,
    -- libsodium secretbox (nonce || ciphertext) of the reporter's identity
    -- and contact as JSON; NULL for an anonymous report.
    reporter_sealed bytea,
    reporter_subject text,
    idempotency_key text UNIQUE,
    body_hash       bytea NOT NULL,
    status          text NOT NULL DEFAULT 'received',
    received_at     timestamptz NOT NULL DEFAULT now(),
    producer        text NOT NULL,
    sequence        bigint NOT NULL
);

-- Per-producer event counter: the row lock serialises writers of one
-- producer so sequences are gap-free and in commit order.
CREATE TABLE intake.producer (
    producer      text PRIMARY KEY,
    last_sequence bigint NOT NULL DEFAULT 0,
    published     bigint NOT NULL DEFAULT 0 -- relay's persisted position
);

CREATE TABLE intake.outbox (
    producer      text NOT NULL,
    sequence      bigint NOT NULL,
    event_id      uuid NOT NULL,
    type          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- the Envelope's time, kept exactly so a replayed event is
    -- byte-for-byte the event that was published
    time_ms       bigint NOT NULL,
    trace_id      text NOT NULL,
    procuratorate text NOT NULL,
    body          bytea NOT NULL,
    PRIMARY KEY (producer, sequence)
);
