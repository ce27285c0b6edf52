-- Events appended without a number (gy_outbox.h, config.sequence_pending):
-- many API transactions commit events at once, and the producer row of
-- workflow.outbox_append would make them commit one at a time.  The relay
-- numbers pending events (workflow.outbox_sequence, R__workflow_functions.sql)
-- and moves them into workflow.outbox before it publishes them.
CREATE TABLE workflow.outbox_pending (
    id            bigserial PRIMARY KEY,
    producer      text NOT NULL,
    event_id      uuid NOT NULL,
    type          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    time_ms       bigint NOT NULL,
    trace_id      text NOT NULL,
    procuratorate text NOT NULL,
    body          bytea NOT NULL
);
CREATE INDEX outbox_pending_producer ON workflow.outbox_pending (producer, id);
