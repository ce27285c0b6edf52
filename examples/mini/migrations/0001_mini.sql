-- The example service's tables: what it decided, and the kit's own tables
-- (gy_outbox: producer and outbox; gy_consumer: consumed).
CREATE TABLE mini.routed (
    clue_id       text PRIMARY KEY,
    procuratorate text NOT NULL,
    routed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE mini.producer (
    producer      text PRIMARY KEY,
    last_sequence bigint NOT NULL DEFAULT 0,
    published     bigint NOT NULL DEFAULT 0
);
CREATE TABLE mini.outbox (
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
CREATE TABLE mini.consumed (
    producer      text PRIMARY KEY,
    last_sequence bigint NOT NULL
);
