-- Which procuratorate is competent for each clue, as the router decided it,
-- and who read a reporter's identity (DESIGN.md invariant 8).  intake learns
-- competence from the router's events (ClueRouted, ClueTransferred), never
-- from the router's tables (invariant 4).

-- gy_consumer's position per producer of router events (common/gy_consumer.h):
-- moved in the same transaction as the competence it caused.
CREATE TABLE intake.consumed (
    producer      text PRIMARY KEY,
    last_sequence bigint NOT NULL
);

-- One row per clue the router has placed; the latest decision wins
-- (ClueRouted, then ClueTransferred "accepted" or "decided").  No row: the
-- router has not decided yet, and nobody sees the reporter.
CREATE TABLE intake.competence (
    clue_id          uuid PRIMARY KEY REFERENCES intake.clue (id),
    procuratorate    char(6) NOT NULL,
    -- the event that decided it: TYPE[:STEP]@PRODUCER:SEQUENCE
    decided_by_event text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Every read of a reporter's identity (also of an anonymous clue: the read
-- happened), in the transaction that read it.
CREATE TABLE intake.reporter_access (
    id            bigserial PRIMARY KEY,
    clue_id       uuid NOT NULL REFERENCES intake.clue (id),
    subject       text NOT NULL,   -- the bearer token's sub
    role          text NOT NULL,   -- its role
    procuratorate char(6) NOT NULL, -- its proc (the competent one, by construction)
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reporter_access_clue ON intake.reporter_access (clue_id, at);
