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

-- Stores one clue and its ClueReceived event in the caller's transaction.
-- With an idempotency key already present it stores nothing and returns
-- the original clue with created = false; the caller compares body_hash.
CREATE FUNCTION intake.submit_clue(
    p_id uuid, p_receipt text, p_title text, p_description text,
    p_field text, p_region text, p_lat double precision,
    p_lon double precision, p_address text, p_occurred timestamptz,
    p_attachments jsonb, p_channel text, p_reporter bytea, p_subject text,
    p_idem text, p_hash bytea, p_producer text, p_event_id uuid,
    p_trace text, p_time_ms bigint, p_body bytea)
RETURNS TABLE (id uuid, receipt_code text, status text, created boolean,
               same_body boolean, sequence bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
BEGIN
    IF p_idem IS NOT NULL THEN
        RETURN QUERY
            SELECT c.id, c.receipt_code, c.status, false, c.body_hash = p_hash,
                   c.sequence
              FROM intake.clue c WHERE c.idempotency_key = p_idem;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;

    UPDATE intake.producer pr SET last_sequence = pr.last_sequence + 1
     WHERE pr.producer = p_producer RETURNING pr.last_sequence INTO v_seq;
    IF NOT FOUND THEN
        INSERT INTO intake.producer AS pr (producer, last_sequence)
             VALUES (p_producer, 1)
        ON CONFLICT (producer) DO UPDATE SET last_sequence = pr.last_sequence + 1
        RETURNING pr.last_sequence INTO v_seq;
    END IF;

    INSERT INTO intake.clue AS c (id, receipt_code, title, description,
        field_code, region_code, lat, lon, address, occurred_at, attachments,
        source_channel, reporter_sealed, reporter_subject, idempotency_key,
        body_hash, producer, sequence)
    VALUES (p_id, p_receipt, p_title, p_description, p_field, p_region,
        p_lat, p_lon, p_address, p_occurred, p_attachments, p_channel,
        p_reporter, p_subject, p_idem, p_hash, p_producer, v_seq)
    ON CONFLICT (idempotency_key) DO NOTHING;

    IF NOT FOUND THEN
        -- Another instance committed the same key after our first look;
        -- ON CONFLICT waited for it, so the row is visible now. Give the
        -- sequence back so this producer's stream stays gap-free.
        UPDATE intake.producer pr SET last_sequence = pr.last_sequence - 1
         WHERE pr.producer = p_producer;
        RETURN QUERY
            SELECT c.id, c.receipt_code, c.status, false, c.body_hash = p_hash,
                   c.sequence
              FROM intake.clue c WHERE c.idempotency_key = p_idem;
        RETURN;
    END IF;

    INSERT INTO intake.outbox (producer, sequence, event_id, type, time_ms,
                               trace_id, procuratorate, body)
    VALUES (p_producer, v_seq, p_event_id, 'ClueReceived', p_time_ms, p_trace,
            p_region, p_body);

    RETURN QUERY SELECT p_id, p_receipt, 'received'::text, true, true, v_seq;
END;
$$;
