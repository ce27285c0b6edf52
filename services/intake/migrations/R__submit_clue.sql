-- intake.submit_clue: stores a submission and appends ClueReceived in one
-- transaction (repeatable: edit it here; the released 0001 made the first
-- version).
-- A clue is received when the process clock (common/gy_clock) says: the
-- instant ClueReceived carries as received_unix_ms (p_time_ms), not the
-- database's now() -- the reporter's timeline showed "received" at the
-- database's time and every later step at the clock's, and the router's
-- deadlines start from the event's instant.
CREATE OR REPLACE FUNCTION intake.submit_clue(
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
        body_hash, producer, sequence, received_at)
    VALUES (p_id, p_receipt, p_title, p_description, p_field, p_region,
        p_lat, p_lon, p_address, p_occurred, p_attachments, p_channel,
        p_reporter, p_subject, p_idem, p_hash, p_producer, v_seq,
        to_timestamp(p_time_ms / 1000.0))
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
