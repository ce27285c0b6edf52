-- The cases' SQL functions (workflow_case, workflow_deadlines_store),
-- re-applied whenever this file changes.  They store what C decided and
-- answer what the API shows; decisions (the case machines, the deadlines'
-- dates) are taken in C.  A write is guarded by the state and version it
-- was decided on: a guard that fails raises serialization_failure (40001)
-- and the caller reads and decides again.  Times are the process clock's
-- (milliseconds passed by the caller), never now().
--
-- plpgsql wherever a body names a function of R__workflow_functions.sql
-- (workflow.at, workflow.case_json): this file is applied first, and a
-- plpgsql body may name a function before it exists.  The step's reads are
-- plain SQL, which PostgreSQL inlines into the statement that calls them.

-- The case as the decision needs it, with its clues (comma-separated).
CREATE OR REPLACE FUNCTION workflow.case_decide_read(p_case uuid) RETURNS TABLE (kind text,
    procuratorate text, field_code text, state text, version integer, heroes boolean,
    harm_ongoing boolean, clue_ids text)
LANGUAGE sql STABLE AS $$
    SELECT c.kind, c.procuratorate, c.field_code, c.state, c.version, c.heroes, c.harm_ongoing,
           (SELECT string_agg(l.clue_id::text, ',' ORDER BY l.linked_at, l.clue_id)
              FROM workflow.case_clue l WHERE l.case_id = c.id)
      FROM workflow."case" c WHERE c.id = p_case
$$;

-- The open (unsettled) deadlines of a case, oldest first, with their
-- stored workflow_deadline_json.  (rule_version came in later: a function's
-- columns change only by dropping it.)
DROP FUNCTION IF EXISTS workflow.case_open_deadlines(uuid);
CREATE FUNCTION workflow.case_open_deadlines(p_case uuid) RETURNS TABLE (id uuid,
    rule text, rule_version integer, detail text, missed boolean)
LANGUAGE sql STABLE AS $$
    SELECT d.id, d.rule, d.rule_version, d.detail::text, d.missed_at IS NOT NULL
      FROM workflow.deadline d
     WHERE d.case_id = p_case AND d.settled_at IS NULL
     ORDER BY d.start_at, d.id
$$;

-- One step of a case decided in C, guarded by the state and version it was
-- decided on.  p_step: next, event, action (bool), actor, role, reason,
-- members (object), public_label, final (bool), outcome, public_outcome,
-- suspend (a suspension reason: opens one), resume (bool: closes it).
CREATE OR REPLACE FUNCTION workflow.case_advance(p_case uuid, p_state text, p_version integer,
    p_step jsonb, p_at_ms bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_version integer;
BEGIN
    UPDATE workflow."case" c SET state = p_step->>'next', version = c.version + 1,
           outcome = coalesce(p_step->>'outcome', c.outcome),
           public_outcome = coalesce(p_step->>'public_outcome', c.public_outcome),
           closed_at = CASE WHEN (p_step->>'final')::boolean THEN workflow.at(p_at_ms)
                            WHEN p_step->>'event' = 'reopen' THEN NULL ELSE c.closed_at END,
           updated_at = workflow.at(p_at_ms)
     WHERE c.id = p_case AND c.state = p_state AND c.version = p_version
    RETURNING c.version INTO v_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'case % changed since it was read', p_case
              USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO workflow.case_step (case_id, event, action, from_state, to_state, version, actor,
        role, reason, members, public_label, at)
    VALUES (p_case, p_step->>'event', coalesce((p_step->>'action')::boolean, false), p_state,
        p_step->>'next', v_version, p_step->>'actor', p_step->>'role',
        coalesce(p_step->>'reason', ''), coalesce(p_step->'members', '{}'::jsonb),
        p_step->>'public_label', workflow.at(p_at_ms));
    IF p_step->>'suspend' IS NOT NULL THEN
        INSERT INTO workflow.case_suspension (case_id, reason, from_at, from_by)
        VALUES (p_case, p_step->>'suspend', workflow.at(p_at_ms), p_step->>'actor');
    END IF;
    IF (p_step->>'resume')::boolean THEN
        UPDATE workflow.case_suspension s SET to_at = workflow.at(p_at_ms),
               to_by = p_step->>'actor'
         WHERE s.case_id = p_case AND s.to_at IS NULL;
    END IF;
END $$;

-- The opening's own history row (the review's 立案 created the case).
CREATE OR REPLACE FUNCTION workflow.case_opening_step(p_case uuid, p_actor text,
    p_public_label text, p_at_ms bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO workflow.case_step (case_id, event, action, from_state, to_state, version, actor,
        role, reason, public_label, at)
    VALUES (p_case, 'open', false, NULL, 'opened', 1, p_actor, 'chief_prosecutor', '',
        p_public_label, workflow.at(p_at_ms));
END $$;

-- What a step does to deadlines, decided in C: p_rows is an array of
-- {"op": "start"|"update"|"settle", "id", ...}.  start: rule,
-- rule_version, start_event, start_ms, urgent, and the result; update: the
-- result (a suspension, a resumption, an extension or a calendar reload
-- moved it); settle: event.  The result: due_ms, warn_ms (null while
-- paused), last_day, provisional, uncovered_year, detail.  An update or a
-- settle of a deadline settled meanwhile raises serialization_failure.
CREATE OR REPLACE FUNCTION workflow.deadlines_write(p_case uuid, p_procuratorate text,
    p_rows jsonb, p_at_ms bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r jsonb;
BEGIN
    FOR r IN SELECT * FROM jsonb_array_elements(p_rows) LOOP
        IF r->>'op' = 'start' THEN
            INSERT INTO workflow.deadline (id, case_id, procuratorate, rule, rule_version,
                start_event, start_at, urgent, due_at, warn_at, last_day, provisional,
                uncovered_year, detail, updated_at)
            VALUES ((r->>'id')::uuid, p_case, p_procuratorate, r->>'rule',
                (r->>'rule_version')::integer, r->>'start_event',
                workflow.at((r->>'start_ms')::bigint), (r->>'urgent')::boolean,
                workflow.at((r->>'due_ms')::bigint), workflow.at((r->>'warn_ms')::bigint),
                (r->>'last_day')::date, (r->>'provisional')::boolean,
                (r->>'uncovered_year')::integer, r->'detail', workflow.at(p_at_ms));
        ELSIF r->>'op' = 'update' THEN
            UPDATE workflow.deadline d SET due_at = workflow.at((r->>'due_ms')::bigint),
                   warn_at = workflow.at((r->>'warn_ms')::bigint),
                   last_day = (r->>'last_day')::date,
                   provisional = (r->>'provisional')::boolean,
                   uncovered_year = (r->>'uncovered_year')::integer,
                   detail = r->'detail', updated_at = workflow.at(p_at_ms)
             WHERE d.id = (r->>'id')::uuid AND d.settled_at IS NULL;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'deadline % was settled since it was read', r->>'id'
                      USING ERRCODE = 'serialization_failure';
            END IF;
        ELSE
            UPDATE workflow.deadline d SET settled_at = workflow.at(p_at_ms),
                   settled_by_event = r->>'event', updated_at = workflow.at(p_at_ms)
             WHERE d.id = (r->>'id')::uuid AND d.settled_at IS NULL;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'deadline % was settled since it was read', r->>'id'
                      USING ERRCODE = 'serialization_failure';
            END IF;
        END IF;
    END LOOP;
END $$;

-- ---- what the API shows ----

CREATE OR REPLACE FUNCTION workflow.deadline_json(d workflow.deadline) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN json_build_object(
        'id', d.id, 'rule', d.rule, 'rule_version', d.rule_version,
        'start_event', d.start_event, 'start_at', d.start_at, 'urgent', d.urgent,
        'paused', d.due_at IS NULL AND d.settled_at IS NULL,
        'due_at', d.due_at, 'warn_at', d.warn_at, 'last_day', d.last_day,
        'provisional', d.provisional, 'uncovered_year', d.uncovered_year,
        'reasons', coalesce(d.detail->'reasons', '[]'::jsonb),
        'suspensions', coalesce(d.detail->'suspensions', '[]'::jsonb),
        'extensions', coalesce(d.detail->'extensions', '[]'::jsonb),
        'settled_at', d.settled_at, 'settled_by_event', d.settled_by_event,
        'warned_at', d.warned_at, 'missed_at', d.missed_at);
END $$;

-- A case with its timeline (steps), suspensions, deadlines (open first),
-- documents, hearings, impact, consultations, supervisors and
-- observations, or NULL when it is not in the caller's scope.  The caller (C)
-- adds each rule's name and basis and the events the caller may take.
CREATE OR REPLACE FUNCTION workflow.api_case_full(p_case uuid, p_prefix text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE v jsonb;
BEGIN
    SELECT workflow.case_json(c)::jsonb || jsonb_build_object(
        'outcome', c.outcome, 'public_outcome', c.public_outcome, 'closed_at', c.closed_at,
        'steps', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'event', s.event, 'action', s.action, 'from_state', s.from_state,
                'to_state', s.to_state, 'version', s.version, 'actor', s.actor,
                'role', s.role, 'reason', s.reason, 'members', s.members,
                'public_label', s.public_label, 'at', s.at) ORDER BY s.id), '[]'::jsonb)
              FROM workflow.case_step s WHERE s.case_id = c.id),
        'suspensions', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'reason', s.reason, 'from_at', s.from_at, 'from_by', s.from_by,
                'to_at', s.to_at, 'to_by', s.to_by) ORDER BY s.id), '[]'::jsonb)
              FROM workflow.case_suspension s WHERE s.case_id = c.id),
        'deadlines', (SELECT coalesce(jsonb_agg(workflow.deadline_json(d)::jsonb
                ORDER BY d.settled_at IS NOT NULL, d.due_at NULLS FIRST, d.start_at, d.id),
                '[]'::jsonb)
              FROM workflow.deadline d WHERE d.case_id = c.id),
        -- each as its own GET under /cases/{id}/ lists it
        'documents', workflow.api_case_documents(c.id, p_prefix)::jsonb->'items',
        'hearings', workflow.api_case_hearings(c.id, p_prefix)::jsonb->'items',
        'impact', workflow.api_case_impact(c.id, p_prefix)::jsonb - 'case_id',
        'consultations', workflow.api_consultations(c.id, p_prefix)::jsonb->'items',
        'supervisors', workflow.api_supervisors(c.id, p_prefix)::jsonb->'items',
        'observations', workflow.api_observations(c.id, p_prefix)::jsonb->'items')
      INTO v
      FROM workflow."case" c
     WHERE c.id = p_case AND c.procuratorate LIKE p_prefix || '%';
    RETURN v::json;
END $$;

-- One page of a queue of cases in scope:
-- - all: every case, oldest opened first;
-- - mine: the cases the caller opened, took a step of, or reviewed a clue
--   of, oldest opened first;
-- - due_soon: cases with an open deadline past its warn instant and not yet
--   due; overdue: with an open deadline past its due instant; both by that
--   deadline's due instant, soonest first (keyset on it).
-- stage and kind filter when not NULL.  "next" is the keyset cursor.
CREATE OR REPLACE FUNCTION workflow.api_case_queue(p_prefix text, p_queue text, p_subject text,
    p_stage text, p_kind text, p_now_ms bigint, p_after_us bigint, p_after_id uuid,
    p_limit integer) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE v_now timestamptz := workflow.at(p_now_ms);
        v_after timestamptz := 'epoch'::timestamptz + p_after_us * interval '1 microsecond';
        v json;
BEGIN
    WITH keyed AS (
        SELECT c, CASE WHEN p_queue IN ('due_soon', 'overdue') THEN
                   (SELECT min(d.due_at) FROM workflow.deadline d
                     WHERE d.case_id = c.id AND d.settled_at IS NULL AND d.due_at IS NOT NULL
                       AND (CASE WHEN p_queue = 'overdue' THEN d.due_at <= v_now
                                 ELSE d.warn_at <= v_now AND d.due_at > v_now END))
                   ELSE c.opened_at END AS k
          FROM workflow."case" c
         WHERE c.procuratorate LIKE p_prefix || '%'
           AND (p_stage IS NULL OR c.state = p_stage)
           AND (p_kind IS NULL OR c.kind = p_kind)
           AND (p_queue <> 'mine' OR c.opened_by = p_subject
                OR EXISTS (SELECT 1 FROM workflow.case_step s
                            WHERE s.case_id = c.id AND s.actor = p_subject)
                OR EXISTS (SELECT 1 FROM workflow.case_clue l
                             JOIN workflow.review r ON r.clue_id = l.clue_id
                            WHERE l.case_id = c.id AND r.assignee = p_subject))),
    page AS (
        SELECT keyed.c, keyed.k FROM keyed
         WHERE keyed.k IS NOT NULL
           AND (p_after_us IS NULL OR (keyed.k, (keyed.c).id) > (v_after, p_after_id))
         ORDER BY keyed.k, (keyed.c).id
         LIMIT p_limit)
    SELECT json_build_object(
        'items', coalesce(json_agg(
            (workflow.case_json(page.c)::jsonb || jsonb_build_object(
            'next_due', (SELECT workflow.deadline_json(d) FROM workflow.deadline d
                          WHERE d.case_id = (page.c).id AND d.settled_at IS NULL
                          ORDER BY d.due_at NULLS LAST, d.id LIMIT 1)))
            ORDER BY page.k, (page.c).id), '[]'::json),
        'next', CASE WHEN count(*) = p_limit THEN
            (array_agg(floor(extract(epoch FROM page.k) * 1000000)::bigint::text
                       || '.' || (page.c).id::text ORDER BY page.k DESC, (page.c).id DESC))[1]
            END)
      INTO v FROM page;
    RETURN v;
END $$;

-- ---- firing (workflow_deadlines_store, gy_due) ----

-- The deadlines whose warn instant (kind "due") or due instant (kind
-- "missed") has come, unsettled and not fired yet, soonest first: two
-- scans of partial indexes.
CREATE OR REPLACE FUNCTION workflow.deadlines_due(p_now_ms bigint, p_limit integer)
RETURNS TABLE (id uuid, kind text, case_id uuid, case_kind text, procuratorate text,
    field_code text, rule text, rule_version integer, due_ms bigint, last_day text,
    provisional boolean, case_state text)
LANGUAGE plpgsql STABLE AS $$
DECLARE v_now timestamptz := workflow.at(p_now_ms);
BEGIN
    RETURN QUERY
    SELECT x.id, x.kind, x.case_id, c.kind, x.procuratorate, c.field_code, x.rule,
           x.rule_version, (extract(epoch FROM x.due_at) * 1000)::bigint,
           to_char(x.last_day, 'YYYY-MM-DD'), x.provisional, c.state
      FROM ((SELECT d.*, 'due'::text AS kind, d.warn_at AS at FROM workflow.deadline d
              WHERE d.warned_at IS NULL AND d.settled_at IS NULL AND d.warn_at IS NOT NULL
                AND d.warn_at <= v_now ORDER BY d.warn_at LIMIT p_limit)
            UNION ALL
            (SELECT d.*, 'missed'::text, d.due_at FROM workflow.deadline d
              WHERE d.missed_at IS NULL AND d.settled_at IS NULL AND d.due_at IS NOT NULL
                AND d.due_at <= v_now ORDER BY d.due_at LIMIT p_limit)) x
      JOIN workflow."case" c ON c.id = x.case_id
     ORDER BY x.at, x.kind, x.id
     LIMIT p_limit;
END $$;

-- Marks one fired, guarded by "not fired and not settled yet", and appends
-- its event only then (gy_due.h).
CREATE OR REPLACE FUNCTION workflow.deadline_fire(p_id uuid, p_kind text, p_fired_ms bigint,
    p_producer text, p_event_id uuid, p_time_ms bigint, p_trace text, p_procuratorate text,
    p_body bytea) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
    IF p_kind = 'due' THEN
        UPDATE workflow.deadline d SET warned_at = workflow.at(p_fired_ms)
         WHERE d.id = p_id AND d.warned_at IS NULL AND d.settled_at IS NULL;
    ELSE
        UPDATE workflow.deadline d SET missed_at = workflow.at(p_fired_ms)
         WHERE d.id = p_id AND d.missed_at IS NULL AND d.settled_at IS NULL;
    END IF;
    IF FOUND THEN
        RETURN NEXT workflow.outbox_append(p_producer, p_event_id,
            CASE WHEN p_kind = 'due' THEN 'DeadlineDue' ELSE 'DeadlineMissed' END,
            p_time_ms, p_trace, p_procuratorate, p_body);
    END IF;
END $$;

-- ---- the calendar (workflow_deadlines_store) ----

-- The file's calendar merged in at start: its years replace what the
-- tables hold for them; other years (loaded here since) stay.  Nothing is
-- written when they already agree, so the version moves only on a change.
CREATE OR REPLACE FUNCTION workflow.calendar_merge(p_calendar json) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE calendar_file_day ON COMMIT DROP AS
        SELECT d.day, d.kind, d.name
          FROM json_to_recordset(p_calendar -> 'days') AS d(day date, kind text, name text);
    CREATE TEMP TABLE calendar_file_year ON COMMIT DROP AS
        SELECT y.year, y.source
          FROM json_to_recordset(p_calendar -> 'years') AS y(year integer, source text);
    IF EXISTS (SELECT year, source FROM calendar_file_year
               EXCEPT SELECT year, source FROM workflow.calendar_year)
       OR EXISTS (SELECT h.day, h.kind, h.name FROM workflow.holiday h
                   WHERE extract(year FROM h.day)::int IN (SELECT year FROM calendar_file_year)
                  EXCEPT SELECT day, kind, name FROM calendar_file_day)
       OR EXISTS (SELECT day, kind, name FROM calendar_file_day
                  EXCEPT SELECT day, kind, name FROM workflow.holiday) THEN
        DELETE FROM workflow.holiday h
         WHERE extract(year FROM h.day)::int IN (SELECT year FROM calendar_file_year)
           AND NOT EXISTS (SELECT 1 FROM calendar_file_day f WHERE f.day = h.day);
        INSERT INTO workflow.holiday (day, kind, name) SELECT day, kind, name
          FROM calendar_file_day
            ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name;
        INSERT INTO workflow.calendar_year (year, source) SELECT year, source
          FROM calendar_file_year
            ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, loaded_at = now();
    END IF;
    DROP TABLE calendar_file_day;
    DROP TABLE calendar_file_year;
END $$;

-- A page of the provisional deadlines still to judge (unsettled, not
-- missed), after the keyset id, with what recomputing needs and the
-- instant of their last change (the update is guarded by it).
CREATE OR REPLACE FUNCTION workflow.deadlines_provisional(p_after uuid, p_limit integer)
RETURNS TABLE (id uuid, detail text, updated_us bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    SELECT d.id, d.detail::text, floor(extract(epoch FROM d.updated_at) * 1000000)::bigint
      FROM workflow.deadline d
     WHERE d.provisional AND d.settled_at IS NULL AND d.missed_at IS NULL AND d.id > p_after
     ORDER BY d.id LIMIT p_limit;
END $$;

-- One recomputed deadline (p_row as deadlines_write's "update"), unless a
-- step changed or settled it since it was read: then the step's result
-- stands (it was computed on the calendar of its time) and the next reload
-- looks at it again.
CREATE OR REPLACE FUNCTION workflow.deadline_recompute(p_row jsonb, p_updated_us bigint,
    p_at_ms bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workflow.deadline d SET due_at = workflow.at((p_row->>'due_ms')::bigint),
           warn_at = workflow.at((p_row->>'warn_ms')::bigint),
           last_day = (p_row->>'last_day')::date,
           provisional = (p_row->>'provisional')::boolean,
           uncovered_year = (p_row->>'uncovered_year')::integer,
           detail = p_row->'detail', updated_at = workflow.at(p_at_ms)
     WHERE d.id = (p_row->>'id')::uuid AND d.settled_at IS NULL
       AND floor(extract(epoch FROM d.updated_at) * 1000000)::bigint = p_updated_us;
END $$;
