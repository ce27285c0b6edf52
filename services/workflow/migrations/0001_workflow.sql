-- The workflow's first tables: clue review (线索审查) and the cases it
-- opens, and the kit's own tables (gy_outbox: producer and outbox;
-- gy_consumer: consumed).  Every recorded time is the process clock's,
-- passed by the service (never now()).  The case's stages, deadlines,
-- documents and hearings come in later migrations.

-- One row per clue the router routed (ClueRouted), exactly once.  state is
-- workflow_review's machine (workflow_review.h): triage (in a triage queue:
-- a person at the router must place it), under_review, not_opened, opened,
-- joined.  version moves with every change: writes are guarded by it.
CREATE TABLE workflow.review (
    clue_id          uuid PRIMARY KEY,
    cluster_id       uuid NOT NULL,
    procuratorate    text NOT NULL CHECK (procuratorate ~ '^[0-9]{6}$'),
    queue            text NOT NULL,              -- the router's: handling or triage
    field_code       text NOT NULL,
    case_kinds       text NOT NULL CHECK (case_kinds IN ('administrative', 'civil', 'both')),
    priority         integer NOT NULL DEFAULT 0,
    assignee         text,                       -- a prosecutor's subject; NULL: the queue
    state            text NOT NULL,
    version          integer NOT NULL DEFAULT 1,
    case_id          uuid,                       -- opened or joined: the case
    reason           text,                       -- not_opened: internal
    public_reason    text,                       -- not_opened: for the reporter
    origin_producer  text NOT NULL DEFAULT '',
    origin_reference text NOT NULL DEFAULT '',
    source_producer  text NOT NULL,              -- the ClueRouted applied
    source_sequence  bigint NOT NULL,
    routed_at        timestamptz NOT NULL,       -- the ClueRouted's time
    updated_at       timestamptz NOT NULL
);
-- The queues: a procuratorate's (scope prefix), mine, unassigned; keyset
-- pages by (routed_at, clue_id).
CREATE INDEX review_queue ON workflow.review (procuratorate, routed_at, clue_id)
    WHERE state = 'under_review';
CREATE INDEX review_assignee ON workflow.review (assignee, routed_at, clue_id)
    WHERE state = 'under_review';
CREATE INDEX review_cluster ON workflow.review (cluster_id);

-- Every step of a review: who, when, why, and the event.
CREATE TABLE workflow.review_history (
    id            bigserial PRIMARY KEY,
    clue_id       uuid NOT NULL REFERENCES workflow.review (clue_id),
    event         text NOT NULL,     -- route, transfer, cluster, assign, not_open, open, join
    from_state    text,
    to_state      text NOT NULL,
    procuratorate text NOT NULL,     -- where the clue is after the step
    actor         text NOT NULL,     -- a subject, or "router" for the router's events
    reason        text NOT NULL DEFAULT '',
    detail        json,              -- what else the step changed (assignee, case, ...)
    at            timestamptz NOT NULL
);
CREATE INDEX review_history_clue ON workflow.review_history (clue_id, id);

-- Round-robin assignment of new reviews, per procuratorate: the chief's
-- list of prosecutors, and the index of the next one.
CREATE TABLE workflow.rotation (
    procuratorate text PRIMARY KEY CHECK (procuratorate ~ '^[0-9]{6}$'),
    prosecutors   text[] NOT NULL,
    position      integer NOT NULL DEFAULT 0,
    version       integer NOT NULL DEFAULT 1,
    updated_by    text NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- Cases (行政 / 民事公益诉讼).  state belongs to the case machines of later
-- migrations; a case opened by the review starts "opened".
-- suspended_from: the state a suspended (中止) case resumes to.
CREATE TABLE workflow."case" (
    id             uuid PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('administrative', 'civil')),
    procuratorate  text NOT NULL CHECK (procuratorate ~ '^[0-9]{6}$'),
    field_code     text NOT NULL,
    state          text NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    suspended_from text,
    harm_ongoing   boolean NOT NULL DEFAULT false,
    heroes         boolean NOT NULL DEFAULT false,
    title          text NOT NULL,
    opened_by      text NOT NULL,
    opened_at      timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX case_procuratorate ON workflow."case" (procuratorate, opened_at, id);

-- The clues of a case: several clues, one case; a clue in one case only.
CREATE TABLE workflow.case_clue (
    clue_id   uuid PRIMARY KEY REFERENCES workflow.review (clue_id),
    case_id   uuid NOT NULL REFERENCES workflow."case" (id),
    how       text NOT NULL CHECK (how IN ('opened', 'joined')),
    linked_by text NOT NULL,
    linked_at timestamptz NOT NULL
);
CREATE INDEX case_clue_case ON workflow.case_clue (case_id, linked_at);

CREATE TABLE workflow.producer (
    producer      text PRIMARY KEY,
    last_sequence bigint NOT NULL DEFAULT 0,
    published     bigint NOT NULL DEFAULT 0
);
CREATE TABLE workflow.outbox (
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
CREATE TABLE workflow.consumed (
    producer      text PRIMARY KEY,
    last_sequence bigint NOT NULL
);
