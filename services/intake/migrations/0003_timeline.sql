-- The reporter's public timeline: the steps of a clue that anyone holding
-- its receipt code may see (GET /api/v1/clues/{receipt_code}, docs/api.md).
-- intake records them from the router's events (intake_timeline), exactly
-- once, in the transaction that moves intake.consumed; the workflow
-- service's public case steps will be recorded here the same way.
--
-- Only what is public is stored, so nothing internal can be shown by
-- mistake: a step, the procuratorates concerned (by region code; their
-- names come from intake.region when shown), the stable code of a public
-- reason, and when.  Never free text from prosecutors or volunteers,
-- never a person.  "received" is not stored: it is intake.clue.received_at.

CREATE TABLE intake.timeline (
    id                 bigserial PRIMARY KEY,
    clue_id            uuid NOT NULL REFERENCES intake.clue (id),
    -- assessing, accepted, transferred, rejected (intake_timeline.h); an
    -- open set: the workflow service adds the case's public steps
    step               text NOT NULL,
    procuratorate      char(6),  -- accepted by, transferred to, rejected by
    from_procuratorate char(6),  -- transferred from
    reason_code        text,     -- rejected: the public reason's stable code
    at                 timestamptz NOT NULL,  -- when it happened (the event's time)
    -- the event that recorded it: TYPE[:STEP]@PRODUCER:SEQUENCE
    recorded_by_event  text NOT NULL
);
CREATE INDEX timeline_clue ON intake.timeline (clue_id, at, id);
