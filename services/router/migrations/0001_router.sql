-- gy:replaces-checksum f87678291ad34565b38ffdd3c62609e4fabb3a0799ed4a9069093a4fafbc1580
-- This text supersedes the released one (docs/kit.md): that one also
-- created route_clue and fire_deadline, which built event bytes in SQL;
-- 0004 and 0012, and 0008, dropped them.
-- router owns each clue's classification, its jurisdiction decision, the
-- duplicate clusters, the reporter's time limits, its consumer positions
-- and its transactional outbox.  It never reads another schema: what it
-- needs of a clue comes in ClueReceived.
CREATE SCHEMA IF NOT EXISTS router;

-- Time limits toward the reporter are data (DESIGN.md invariant 7): a
-- deadline row names the rule that made it.  TODO(issue 3): a period whose
-- last day is a holiday ends on the next working day (holiday calendar).
CREATE TABLE router.deadline_rule (
    rule        text PRIMARY KEY,
    period      interval NOT NULL,
    description text NOT NULL
);
INSERT INTO router.deadline_rule (rule, period, description) VALUES
    ('acknowledge_7d', '7 days', '线索受理后 7 日内告知举报人 (acknowledge within 7 days)'),
    ('progress_3m', '3 months', '3 个月内反馈办理结果或进展 (result or progress within 3 months)');

-- Clues about the same matter: many reporters, one case.  id is the id of
-- the cluster's first clue, whose fingerprint and place stand for the
-- cluster (its leader): a new clue is compared with leaders only, so a
-- look-up costs the number of similar clusters, not of similar clues.
CREATE TABLE router.cluster (
    id               uuid PRIMARY KEY,
    field_code       text NOT NULL,
    region_code      text NOT NULL,
    lat              double precision,
    lon              double precision,
    procuratorate    char(6) NOT NULL,
    -- the leader's SimHash, and as four 16-bit bands: fingerprints within
    -- Hamming distance 3 share at least one band (router_simhash.h)
    simhash          bigint NOT NULL,
    band0            smallint NOT NULL,
    band1            smallint NOT NULL,
    band2            smallint NOT NULL,
    band3            smallint NOT NULL,
    size             integer NOT NULL DEFAULT 1,
    first_received_at timestamptz NOT NULL,
    last_received_at timestamptz NOT NULL,  -- the window runs from the newest member
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cluster_band0 ON router.cluster (field_code, band0, last_received_at);
CREATE INDEX cluster_band1 ON router.cluster (field_code, band1, last_received_at);
CREATE INDEX cluster_band2 ON router.cluster (field_code, band2, last_received_at);
CREATE INDEX cluster_band3 ON router.cluster (field_code, band3, last_received_at);

CREATE TABLE router.clue (
    id                  uuid PRIMARY KEY,          -- intake's clue id
    source_producer     text NOT NULL,             -- the ClueReceived it came in
    source_sequence     bigint NOT NULL,
    title               text NOT NULL,
    description         text NOT NULL,
    region_code         text NOT NULL,             -- as reported
    lat                 double precision,
    lon                 double precision,
    reporter_field_code text NOT NULL,             -- the reporter's choice (hint)
    field_code          text NOT NULL,             -- current field (triage or reclassified)
    field_confidence    real NOT NULL,
    major               boolean NOT NULL,
    procuratorate       char(6) NOT NULL,          -- competent procuratorate
    city                text NOT NULL,             -- city above it, '' if none (list scoping)
    queue               text NOT NULL CHECK (queue IN ('handling', 'triage')),
    rule                text NOT NULL,             -- jurisdiction rule applied
    priority            integer NOT NULL,
    cluster_id          uuid NOT NULL REFERENCES router.cluster (id),
    simhash             bigint NOT NULL,           -- kept for merge and split
    received_at         timestamptz NOT NULL,
    routed_at           timestamptz NOT NULL DEFAULT now(),
    status              text NOT NULL DEFAULT 'routed'
                        CHECK (status IN ('routed', 'assessing', 'rejected', 'transferred')),
    UNIQUE (source_producer, source_sequence)
);
-- queues, listed by keyset (routed_at, id)
CREATE INDEX clue_queue ON router.clue (procuratorate, queue, routed_at, id);
CREATE INDEX clue_city ON router.clue (city, routed_at, id);
CREATE INDEX clue_cluster ON router.clue (cluster_id);

-- Every classification of a clue, the triage's first, then each
-- prosecutor's reclassification: who, when and why.
CREATE TABLE router.classification (
    id          bigserial PRIMARY KEY,
    clue_id     uuid NOT NULL REFERENCES router.clue (id),
    field_code  text NOT NULL,
    confidence  real,                -- NULL for a person's decision
    decided_by  text NOT NULL,       -- 'triage' or the prosecutor's subject
    reason      text NOT NULL,
    decided_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX classification_clue ON router.classification (clue_id, id);

-- The reporter's time limits, one row per clue and rule; fired_at is set
-- in the transaction that emits ClueDeadlineDue, so each fires once.
CREATE TABLE router.deadline (
    clue_id       uuid NOT NULL REFERENCES router.clue (id),
    rule          text NOT NULL REFERENCES router.deadline_rule (rule),
    due_at        timestamptz NOT NULL,
    procuratorate char(6) NOT NULL,
    met_at        timestamptz,       -- the reporter was answered (later: from workflow)
    fired_at      timestamptz,
    PRIMARY KEY (clue_id, rule)
);
CREATE INDEX deadline_pending ON router.deadline (due_at) WHERE fired_at IS NULL AND met_at IS NULL;

-- gy_consumer: the last sequence applied per producer (common/gy_consumer.h).
CREATE TABLE router.consumed (
    producer      text PRIMARY KEY,
    last_sequence bigint NOT NULL
);

-- gy_outbox: per-producer event counter and the outbox (common/gy_outbox.h).
CREATE TABLE router.producer (
    producer      text PRIMARY KEY,
    last_sequence bigint NOT NULL DEFAULT 0,
    published     bigint NOT NULL DEFAULT 0
);

CREATE TABLE router.outbox (
    producer      text NOT NULL,
    sequence      bigint NOT NULL,
    event_id      uuid NOT NULL,
    type          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    time_ms       bigint NOT NULL,
    trace_id      text NOT NULL,
    procuratorate text NOT NULL,
    body          bytea NOT NULL,
    PRIMARY KEY (producer, sequence)
);

CREATE FUNCTION router.outbox_append(p_producer text, p_event_id uuid,
    p_type text, p_time_ms bigint, p_trace text, p_procuratorate text,
    p_body bytea) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_seq bigint;
BEGIN
    INSERT INTO router.producer AS pr (producer, last_sequence)
         VALUES (p_producer, 1)
    ON CONFLICT (producer) DO UPDATE SET last_sequence = pr.last_sequence + 1
    RETURNING pr.last_sequence INTO v_seq;
    INSERT INTO router.outbox (producer, sequence, event_id, type, time_ms,
                               trace_id, procuratorate, body)
    VALUES (p_producer, v_seq, p_event_id, p_type, p_time_ms, p_trace,
            p_procuratorate, p_body);
    RETURN v_seq;
END $$;

-- Great-circle distance in km (haversine), as router_distance_km.
CREATE FUNCTION router.distance_km(lat1 double precision, lon1 double precision,
    lat2 double precision, lon2 double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT 2 * 6371.0088 * asin(least(1.0, sqrt(
        sin(radians(lat2 - lat1) / 2) ^ 2 +
        cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ^ 2)))
$$;
