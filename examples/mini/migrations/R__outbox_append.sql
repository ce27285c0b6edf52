-- gy_outbox_tx_append's function (common/gy_outbox.h): a repeatable file,
-- re-applied whenever it changes.  Sequences come from locking the
-- producer row: gap-free and in commit order.
CREATE OR REPLACE FUNCTION mini.outbox_append(p_producer text, p_event_id uuid, p_type text,
    p_time_ms bigint, p_trace text, p_procuratorate text, p_body bytea)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_seq bigint;
BEGIN
    INSERT INTO mini.producer AS pr (producer, last_sequence) VALUES (p_producer, 1)
    ON CONFLICT (producer) DO UPDATE SET last_sequence = pr.last_sequence + 1
    RETURNING pr.last_sequence INTO v_seq;
    INSERT INTO mini.outbox (producer, sequence, event_id, type, time_ms, trace_id,
                             procuratorate, body)
    VALUES (p_producer, v_seq, p_event_id, p_type, p_time_ms, p_trace, p_procuratorate, p_body);
    RETURN v_seq;
END $$;
