-- Cases under the law's time limits (docs/workflow.md, "Cases"): every
-- step of a case with who, when and why; the case's suspensions (中止);
-- and its deadlines, one row per (case, rule instance), each with the rule
-- (and version) that made it, what started it, the due and warn instants
-- and every reason they moved.  Decisions are taken in C (workflow_case);
-- these tables store them.  Times are the process clock's.

-- The API's case reads are R__cases.sql's now (api_case_full,
-- api_case_queue); the first ones go.
DROP FUNCTION IF EXISTS workflow.api_case(uuid, text);
DROP FUNCTION IF EXISTS workflow.api_cases(text, timestamptz, uuid, integer);

-- What closing decided: the internal outcome and the one for the reporter.
ALTER TABLE workflow."case"
    ADD COLUMN outcome        text,
    ADD COLUMN public_outcome text,
    ADD COLUMN closed_at      timestamptz;

-- Every step of a case: an event of its machine (from_state -> to_state),
-- an action that changes no state (from_state = to_state, action true), or
-- the opening ("open", from_state NULL).  members: what else the request
-- said (judgment_kind, suspension_reason, the extension, ...).
CREATE TABLE workflow.case_step (
    id           bigserial PRIMARY KEY,
    case_id      uuid NOT NULL REFERENCES workflow."case" (id),
    event        text NOT NULL,
    action       boolean NOT NULL DEFAULT false,
    from_state   text,
    to_state     text NOT NULL,
    version      integer NOT NULL,           -- the case's version after the step
    actor        text NOT NULL,
    role         text NOT NULL,
    reason       text NOT NULL DEFAULT '',
    members      jsonb NOT NULL DEFAULT '{}',
    public_label text,                       -- the reporter's timeline; NULL: not public
    at           timestamptz NOT NULL
);
CREATE INDEX case_step_case ON workflow.case_step (case_id, id);

-- Suspensions (中止: 鉴定, 评估, 审计, other): while one is open (to_at
-- NULL) the case's open deadlines are paused.
CREATE TABLE workflow.case_suspension (
    id         bigserial PRIMARY KEY,
    case_id    uuid NOT NULL REFERENCES workflow."case" (id),
    reason     text NOT NULL CHECK (reason IN ('appraisal', 'evaluation', 'audit', 'other')),
    from_at    timestamptz NOT NULL,
    from_by    text NOT NULL,
    to_at      timestamptz,
    to_by      text
);
CREATE UNIQUE INDEX case_suspension_open ON workflow.case_suspension (case_id)
    WHERE to_at IS NULL;
CREATE INDEX case_suspension_case ON workflow.case_suspension (case_id, id);

-- A deadline.  due_at / warn_at / last_day are NULL while paused (an open
-- suspension).  detail is workflow_deadline_json: the inputs (period,
-- suspensions, extensions, calendar reloads) and every reason the date
-- moved.  settled_at: the step that ended it; warned_at / missed_at: when
-- DeadlineDue / DeadlineMissed fired (gy_due, exactly once each).
CREATE TABLE workflow.deadline (
    id               uuid PRIMARY KEY,
    case_id          uuid NOT NULL REFERENCES workflow."case" (id),
    procuratorate    text NOT NULL,
    rule             text NOT NULL,
    rule_version     integer NOT NULL,
    start_event      text NOT NULL,
    start_at         timestamptz NOT NULL,
    urgent           boolean NOT NULL,
    due_at           timestamptz,
    warn_at          timestamptz,
    last_day         date,
    provisional      boolean NOT NULL,
    uncovered_year   integer,
    detail           jsonb NOT NULL,
    settled_at       timestamptz,
    settled_by_event text,
    warned_at        timestamptz,
    missed_at        timestamptz,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX deadline_case ON workflow.deadline (case_id, start_at, id);
-- The scans of gy_due: only unfired, unsettled rows, so they do not grow
-- with the table.
CREATE INDEX deadline_warn_scan ON workflow.deadline (warn_at)
    WHERE warned_at IS NULL AND settled_at IS NULL AND warn_at IS NOT NULL;
CREATE INDEX deadline_missed_scan ON workflow.deadline (due_at)
    WHERE missed_at IS NULL AND settled_at IS NULL AND due_at IS NOT NULL;
-- The queues due_soon / overdue: the open deadlines by due date.
CREATE INDEX deadline_open ON workflow.deadline (due_at, case_id)
    WHERE settled_at IS NULL;
-- Provisional open deadlines, recomputed when the calendar changes.
CREATE INDEX deadline_provisional ON workflow.deadline (id)
    WHERE provisional AND settled_at IS NULL;
