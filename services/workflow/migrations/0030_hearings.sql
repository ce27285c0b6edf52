-- Hearings (听证) on a case, the hearing pool they draw members from, and
-- what a case achieved (成效).  Decisions are taken in C
-- (workflow_hearing, workflow_impact, workflow_hearing_api); the functions
-- that write and read these tables are in R__hearings.sql.  Times are the
-- process clock's, passed by the service.

-- The people a procuratorate may call as hearing members (听证员):
-- 人民监督员, experts and volunteers (by their registry id).  Rows are
-- deactivated, never deleted: past hearings keep their members.
CREATE TABLE workflow.hearing_pool (
    id             uuid PRIMARY KEY,
    procuratorate  text NOT NULL CHECK (procuratorate ~ '^[0-9]{6}$'),
    kind           text NOT NULL CHECK (kind IN ('people_supervisor', 'expert', 'volunteer')),
    name           text NOT NULL,
    volunteer_id   text,                       -- kind volunteer: the registry id
    active         boolean NOT NULL DEFAULT true,
    added_by       text NOT NULL,
    added_at       timestamptz NOT NULL,
    deactivated_by text,
    deactivated_at timestamptz,
    CHECK ((kind = 'volunteer') = (volunteer_id IS NOT NULL))
);
CREATE INDEX hearing_pool_procuratorate ON workflow.hearing_pool (procuratorate, added_at, id);
-- A volunteer is in a procuratorate's pool once while active.
CREATE UNIQUE INDEX hearing_pool_volunteer ON workflow.hearing_pool (procuratorate, volunteer_id)
    WHERE active AND volunteer_id IS NOT NULL;

-- A hearing: state is workflow_hearing's machine (scheduled, postponed,
-- held, cancelled); version moves with every change, writes are guarded
-- by it.  The case's procuratorate, field and kind are copied for scope
-- and events.
CREATE TABLE workflow.hearing (
    id             uuid PRIMARY KEY,
    case_id        uuid NOT NULL REFERENCES workflow."case" (id),
    procuratorate  text NOT NULL,
    field_code     text NOT NULL,
    case_kind      text NOT NULL,
    state          text NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    starts_at      timestamptz NOT NULL,
    place          text NOT NULL,
    topic          text NOT NULL,
    public         boolean NOT NULL,
    stream_url     text,
    announcement   text,                       -- public hearings: the 公告 shown publicly
    outcome        text,                       -- held
    summary        text,                       -- held
    opinions       json,                       -- held: the members' opinions
    reason         text,                       -- the last postponement's or the cancellation's
    scheduled_by   text NOT NULL,
    scheduled_at   timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX hearing_case ON workflow.hearing (case_id, starts_at, id);
-- The public list: public hearings to come (and those of them cancelled)
-- by time.
CREATE INDEX hearing_public ON workflow.hearing (starts_at, id)
    WHERE public AND state IN ('scheduled', 'postponed', 'cancelled');

CREATE TABLE workflow.hearing_member (
    hearing_id uuid NOT NULL REFERENCES workflow.hearing (id),
    pool_id    uuid NOT NULL REFERENCES workflow.hearing_pool (id),
    position   integer NOT NULL,
    PRIMARY KEY (hearing_id, pool_id)
);

-- The people told of the hearing (the organ, the parties, ...): their
-- contacts stay inside; events carry their ids only.
CREATE TABLE workflow.hearing_participant (
    id         uuid PRIMARY KEY,
    hearing_id uuid NOT NULL REFERENCES workflow.hearing (id),
    position   integer NOT NULL,
    name       text NOT NULL,
    role       text NOT NULL,
    contact    text NOT NULL DEFAULT ''
);
CREATE INDEX hearing_participant_hearing ON workflow.hearing_participant (hearing_id, position);

-- Volunteers invited, as members (from the pool) or observers.
CREATE TABLE workflow.hearing_volunteer (
    hearing_id   uuid NOT NULL REFERENCES workflow.hearing (id),
    volunteer_id text NOT NULL,
    sits_as      text NOT NULL CHECK (sits_as IN ('member', 'observer')),
    PRIMARY KEY (hearing_id, volunteer_id)
);
-- A volunteer's own tasks: their hearings.
CREATE INDEX hearing_volunteer_by ON workflow.hearing_volunteer (volunteer_id, hearing_id);

-- Every step of a hearing: who, when, why.
CREATE TABLE workflow.hearing_history (
    id         bigserial PRIMARY KEY,
    hearing_id uuid NOT NULL REFERENCES workflow.hearing (id),
    event      text NOT NULL,                  -- schedule, postpone, hold, cancel
    from_state text,
    to_state   text NOT NULL,
    actor      text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    detail     json,
    at         timestamptz NOT NULL
);
CREATE INDEX hearing_history_hearing ON workflow.hearing_history (hearing_id, id);

-- What a case achieved: one row per measure recorded (reference/
-- impact_measures.csv), the value exact.
CREATE TABLE workflow.impact (
    id          uuid PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES workflow."case" (id),
    measure     text NOT NULL,
    value       numeric NOT NULL CHECK (value > 0),
    unit        text NOT NULL,
    note        text NOT NULL DEFAULT '',
    on_closing  boolean NOT NULL DEFAULT false,
    recorded_at timestamptz NOT NULL,          -- when it was achieved
    recorded_by text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX impact_case ON workflow.impact (case_id, recorded_at, id);
