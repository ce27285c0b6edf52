-- Volunteers' work on cases (docs/workflow.md, "Volunteers"): the
-- workflow's own projection of the router's volunteer registry (from
-- VolunteerChanged; the workflow never reads the router's tables), expert
-- consultation (专业咨询) and supervision of rectification (跟踪观察).
-- Every decision is taken in C (workflow_consult, workflow_volunteer_api)
-- and written by R__volunteers.sql's functions guarded by the state and
-- version read.

-- A volunteer as the router last announced them: public standing only.
CREATE TABLE workflow.volunteer (
    id              uuid PRIMARY KEY,
    procuratorate   text NOT NULL CHECK (procuratorate ~ '^[0-9]{6}$'),
    city            text NOT NULL,
    status          text NOT NULL,      -- applied, appointed, suspended, rejected, dismissed
    roles           text[] NOT NULL,
    expertise       text[] NOT NULL,
    term_start      date,
    term_end        date,
    conflicts       jsonb NOT NULL,     -- [{"kind","value"}] as declared at the router
    version         bigint NOT NULL,    -- the router's: only a higher one replaces the row
    source_producer text NOT NULL,
    source_sequence bigint NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX volunteer_city ON workflow.volunteer (city) WHERE status = 'appointed';

-- A prosecutor's question on a case, put to `experts` volunteers.
CREATE TABLE workflow.consultation_request (
    id           uuid PRIMARY KEY,
    case_id      uuid NOT NULL REFERENCES workflow."case" (id),
    question     text NOT NULL,
    field_code   text NOT NULL,
    experts      integer NOT NULL CHECK (experts BETWEEN 1 AND 10),
    due_at       timestamptz NOT NULL,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL
);
CREATE INDEX consultation_request_case ON workflow.consultation_request (case_id, requested_at);

-- One volunteer's task on a request: asked -> answered | declined | late
-- (workflow_consult's machine).  A volunteer is asked a request once.
CREATE TABLE workflow.consultation (
    id             uuid PRIMARY KEY,
    request_id     uuid NOT NULL REFERENCES workflow.consultation_request (id),
    case_id        uuid NOT NULL REFERENCES workflow."case" (id),
    volunteer_id   uuid NOT NULL REFERENCES workflow.volunteer (id),
    state          text NOT NULL CHECK (state IN ('asked', 'answered', 'declined', 'late')),
    version        integer NOT NULL DEFAULT 1,
    due_at         timestamptz NOT NULL,
    replaces       uuid REFERENCES workflow.consultation (id),  -- the declined or late task
    asked_at       timestamptz NOT NULL,
    answer         text,
    "references"   jsonb,
    reason         text,
    conflict       boolean,
    decided_at     timestamptz,
    fired_at       timestamptz,                  -- the due scan's mark (gy_due)
    UNIQUE (request_id, volunteer_id)
);
CREATE INDEX consultation_volunteer ON workflow.consultation (volunteer_id, asked_at)
    WHERE state = 'asked';
-- The due scan reads only open tasks: its cost does not grow with the table.
CREATE INDEX consultation_due ON workflow.consultation (due_at)
    WHERE state = 'asked' AND fired_at IS NULL;

-- Every step of a task: who, when, why.
CREATE TABLE workflow.consultation_history (
    id              bigserial PRIMARY KEY,
    consultation_id uuid NOT NULL REFERENCES workflow.consultation (id),
    event           text NOT NULL,
    from_state      text,
    to_state        text NOT NULL,
    actor           text NOT NULL,
    reason          text NOT NULL,
    at              timestamptz NOT NULL
);

-- A conflict with a case a volunteer stated by declining (the router's
-- assessment does the same for clues): never asked on that case again.
CREATE TABLE workflow.volunteer_case_conflict (
    volunteer_id uuid NOT NULL REFERENCES workflow.volunteer (id),
    case_id      uuid NOT NULL REFERENCES workflow."case" (id),
    reason       text NOT NULL,
    at           timestamptz NOT NULL,
    PRIMARY KEY (volunteer_id, case_id)
);

-- Volunteers appointed by a prosecutor to watch a case's rectification.
CREATE TABLE workflow.supervisor (
    case_id      uuid NOT NULL REFERENCES workflow."case" (id),
    volunteer_id uuid NOT NULL REFERENCES workflow.volunteer (id),
    appointed_by text NOT NULL,
    reason       text NOT NULL,
    appointed_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, volunteer_id)
);
CREATE INDEX supervisor_volunteer ON workflow.supervisor (volunteer_id);

-- What a supervisor saw: photos by their metadata only (the files stay
-- with whoever took them; the sha256 ties a file to this record).
CREATE TABLE workflow.observation (
    id           uuid PRIMARY KEY,
    case_id      uuid NOT NULL,
    volunteer_id uuid NOT NULL,
    observed_on  date NOT NULL,
    place        text NOT NULL,
    text         text NOT NULL,
    finding      text NOT NULL CHECK (finding IN ('rectified', 'partly', 'not_rectified')),
    photos       jsonb NOT NULL,
    filed_at     timestamptz NOT NULL,
    FOREIGN KEY (case_id, volunteer_id) REFERENCES workflow.supervisor (case_id, volunteer_id)
);
CREATE INDEX observation_case ON workflow.observation (case_id, observed_on, filed_at);
