-- gy:replaces-checksum 60b8c14c426f0e9c3ddc2594f2392b3bda0e905f530b952851b64df75eec8331
-- This text supersedes the released one (docs/kit.md): that one also
-- created the assessment functions that built their events in SQL (the
-- emitters, assignment, release, decision, hold, route_clue, task submit
-- and decline, expiry, a prosecutor's decision), all dropped by 0012 and
-- 0014.
-- Assessment by expert volunteers (技术员), when the router runs with
-- GY_ASSESSMENT=on.  A clue that starts a new matter (not a duplicate of one
-- already known) is held: k appointed assessors are asked (AssessmentRequested
-- per task), and a quorum of equal recommendations, or the due time, decides
-- — ClueRouted with a priority from the assessments, ClueRejected, or a
-- prosecutor's review (POST /api/v1/routed-clues/{id}/decide).  Late tasks
-- are reassigned.  Everything is decided and emitted in the transaction
-- that causes it, so a crash loses or doubles nothing.

ALTER TABLE router.clue
    ADD COLUMN reporter_subject text,       -- the reporting volunteer's id, if any
    ADD COLUMN routed_body bytea,           -- the ClueRouted held during assessment
    ADD COLUMN assess_k integer,            -- assessors asked for (quorum: k / 2 + 1)
    ADD COLUMN decided_by text;             -- 'triage', 'assessment' or a prosecutor
ALTER TABLE router.clue DROP CONSTRAINT clue_status_check;
ALTER TABLE router.clue ADD CONSTRAINT clue_status_check
    CHECK (status IN ('routed', 'assessing', 'review', 'rejected', 'transferred'));
CREATE INDEX clue_review ON router.clue (procuratorate bpchar_pattern_ops, routed_at, id)
    WHERE status = 'review';

-- Conflicts of interest a volunteer declares: never assessed by them.
CREATE TABLE router.volunteer_conflict (
    id           bigserial PRIMARY KEY,
    volunteer_id uuid NOT NULL REFERENCES router.volunteer (id),
    kind         text NOT NULL CHECK (kind IN ('region', 'keyword', 'clue')),
    value        text NOT NULL,     -- a region code, a word of the clue's text, a clue id
    reason       text NOT NULL,
    declared_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (volunteer_id, kind, value)
);

CREATE TABLE router.assessment_task (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    clue_id        uuid NOT NULL REFERENCES router.clue (id),
    volunteer_id   uuid NOT NULL REFERENCES router.volunteer (id),
    status         text NOT NULL DEFAULT 'assigned'
                   CHECK (status IN ('assigned', 'submitted', 'late', 'declined')),
    assigned_at    timestamptz NOT NULL DEFAULT now(),
    due_at         timestamptz NOT NULL,
    submitted_at   timestamptz,
    credibility    smallint CHECK (credibility BETWEEN 1 AND 5),
    severity       smallint CHECK (severity BETWEEN 1 AND 5),
    harm           smallint CHECK (harm BETWEEN 1 AND 5),
    recommendation text CHECK (recommendation IN ('route', 'reject', 'review')),
    comment        text,
    UNIQUE (clue_id, volunteer_id)
);
CREATE INDEX assessment_task_mine ON router.assessment_task (volunteer_id, assigned_at, id);
CREATE INDEX assessment_task_due ON router.assessment_task (due_at) WHERE status = 'assigned';
CREATE INDEX assessment_task_load ON router.assessment_task (volunteer_id) WHERE status = 'assigned';

-- ---- the API: tasks for volunteers, review for prosecutors ----

CREATE FUNCTION router.task_json(t router.assessment_task, c router.clue) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', t.id, 'status', t.status, 'assigned_at', t.assigned_at, 'due_at', t.due_at,
        'submitted_at', t.submitted_at, 'credibility', t.credibility, 'severity', t.severity,
        'public_interest_harm', t.harm, 'recommendation', t.recommendation,
        'comment', t.comment,
        'clue', json_build_object('id', c.id, 'title', c.title, 'description', c.description,
                                  'field_code', c.field_code, 'region_code', c.region_code,
                                  'received_at', c.received_at))
$$;

-- A volunteer's tasks (only theirs: the clues they may see), newest first.
CREATE FUNCTION router.api_tasks(p_volunteer uuid, p_status text, p_after_at timestamptz,
    p_after_id uuid, p_limit integer) RETURNS json LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT t, c FROM router.assessment_task t JOIN router.clue c ON c.id = t.clue_id
         WHERE t.volunteer_id = p_volunteer
           AND (p_status IS NULL OR t.status = p_status)
           AND (p_after_at IS NULL OR (t.assigned_at, t.id) > (p_after_at, p_after_id))
         ORDER BY t.assigned_at, t.id
         LIMIT p_limit)
    SELECT json_build_object('status', 200, 'body', json_build_object(
        'items', coalesce(json_agg(router.task_json(page.t, page.c)
                                   ORDER BY (page.t).assigned_at, (page.t).id), '[]'::json),
        'next', CASE WHEN count(*) = p_limit THEN
            (array_agg(floor(extract(epoch FROM (page.t).assigned_at) * 1000000)::bigint::text
                       || '.' || (page.t).id::text
                       ORDER BY (page.t).assigned_at DESC, (page.t).id DESC))[1] END))
      FROM page
$$;

CREATE FUNCTION router.api_conflict_declare(p_volunteer uuid, p_kind text, p_value text,
    p_reason text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE k router.volunteer_conflict;
BEGIN
    INSERT INTO router.volunteer_conflict (volunteer_id, kind, value, reason)
    VALUES (p_volunteer, p_kind, p_value, p_reason)
    ON CONFLICT (volunteer_id, kind, value) DO UPDATE SET reason = EXCLUDED.reason
    RETURNING * INTO k;
    RETURN json_build_object('status', 201, 'body', json_build_object(
        'id', k.id, 'kind', k.kind, 'value', k.value, 'reason', k.reason,
        'declared_at', k.declared_at));
END $$;

CREATE FUNCTION router.api_conflicts(p_volunteer uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('status', 200, 'body', json_build_object('items',
        coalesce(json_agg(json_build_object('id', k.id, 'kind', k.kind, 'value', k.value,
                                            'reason', k.reason, 'declared_at', k.declared_at)
                          ORDER BY k.id), '[]'::json)))
      FROM router.volunteer_conflict k WHERE k.volunteer_id = p_volunteer
$$;
