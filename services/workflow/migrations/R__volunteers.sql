-- Volunteers' work on cases: the projection of the router's registry,
-- consultation, supervision, a volunteer's own tasks (0040_volunteers.sql).
-- Decisions are taken in C (workflow_consult, workflow_volunteer_api,
-- workflow_volunteer); these functions store them guarded by the state and
-- version decided on (40001 when it moved: the caller reads and decides
-- again) and answer what the API shows.  Times are the process clock's
-- (p_at_ms, p_on), never now().  (This file runs before
-- R__workflow_functions.sql, in name order: its SQL functions call nothing
-- of that file, which is why they convert times with to_timestamp.)

-- ---- the projection (the consumer, workflow_volunteer.c) ----

-- A VolunteerChanged: replaces what is known of the volunteer when its
-- version is higher (the router counts one up per change).
CREATE OR REPLACE FUNCTION workflow.volunteer_put(p jsonb, p_producer text, p_sequence bigint,
    p_at_ms bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO workflow.volunteer AS v (id, procuratorate, city, status, roles, expertise,
        term_start, term_end, conflicts, version, source_producer, source_sequence, updated_at)
    VALUES ((p->>'id')::uuid, p->>'procuratorate', p->>'city', p->>'status',
            ARRAY(SELECT jsonb_array_elements_text(p->'roles')),
            ARRAY(SELECT jsonb_array_elements_text(p->'expertise')),
            nullif(p->>'term_start', '')::date, nullif(p->>'term_end', '')::date,
            p->'conflicts', (p->>'version')::bigint, p_producer, p_sequence, to_timestamp((p_at_ms) / 1000.0))
    ON CONFLICT (id) DO UPDATE SET
        procuratorate = EXCLUDED.procuratorate, city = EXCLUDED.city, status = EXCLUDED.status,
        roles = EXCLUDED.roles, expertise = EXCLUDED.expertise,
        term_start = EXCLUDED.term_start, term_end = EXCLUDED.term_end,
        conflicts = EXCLUDED.conflicts, version = EXCLUDED.version,
        source_producer = EXCLUDED.source_producer, source_sequence = EXCLUDED.source_sequence,
        updated_at = EXCLUDED.updated_at
    WHERE v.version < EXCLUDED.version
$$;

-- ---- matching ----

-- Whether a case lies in the area of a procuratorate code: a county's own,
-- a city's counties, a province's (trailing "00" pairs are the levels).
CREATE OR REPLACE FUNCTION workflow.region_covers(p_region text, p_code text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_code LIKE regexp_replace(p_region, '(00)+$', '') || '%'
$$;

-- Whether a volunteer declared a conflict with a case (its region, a
-- keyword of p_text, one of its clues) or stated one by declining on it.
CREATE OR REPLACE FUNCTION workflow.volunteer_conflicted(v workflow.volunteer, p_case uuid,
    p_procuratorate text, p_text text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM jsonb_array_elements(v.conflicts) k
                    WHERE (k->>'kind' = 'region' AND workflow.region_covers(k->>'value',
                                                                            p_procuratorate))
                       OR (k->>'kind' = 'keyword' AND strpos(p_text, k->>'value') > 0)
                       OR (k->>'kind' = 'clue' AND EXISTS (
                               SELECT 1 FROM workflow.case_clue l
                                WHERE l.case_id = p_case AND l.clue_id::text = k->>'value')))
        OR EXISTS (SELECT 1 FROM workflow.volunteer_case_conflict x
                    WHERE x.volunteer_id = v.id AND x.case_id = p_case)
$$;

-- Whether a volunteer may work on a case of p_procuratorate on day p_on in
-- role p_role: appointed and in term, with the role, of the case's city
-- (a province's case: of the province), no conflict.
CREATE OR REPLACE FUNCTION workflow.volunteer_fits(v workflow.volunteer, p_role text,
    p_case uuid, p_procuratorate text, p_text text, p_on date) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(v.status = 'appointed' AND p_on BETWEEN v.term_start AND v.term_end
       AND p_role = ANY (v.roles)
       AND (CASE WHEN right(p_procuratorate, 4) = '0000'
                 THEN left(v.procuratorate, 2) = left(p_procuratorate, 2)
                 ELSE left(v.city, 4) = left(p_procuratorate, 4) END)
       AND NOT workflow.volunteer_conflicted(v, p_case, p_procuratorate, p_text), false)
$$;

-- Who may be asked a request on a case: assessors (技术员) fit for it with
-- the field among their expertise, not asked this request before; least
-- loaded (open consultations) first, then at random.  p_field NULL: the
-- case's field.
CREATE OR REPLACE FUNCTION workflow.consult_candidates(p_case uuid, p_field text, p_text text,
    p_on date, p_request uuid, p_limit integer)
RETURNS TABLE (volunteer_id uuid, load bigint) LANGUAGE sql STABLE AS $$
    SELECT v.id, l.n
      FROM workflow."case" c, workflow.volunteer v
     CROSS JOIN LATERAL (SELECT count(*) AS n FROM workflow.consultation t
                          WHERE t.volunteer_id = v.id AND t.state = 'asked') l
     WHERE c.id = p_case
       AND coalesce(p_field, c.field_code) = ANY (v.expertise)
       AND workflow.volunteer_fits(v, 'assessor', c.id, c.procuratorate, p_text || c.title, p_on)
       AND NOT EXISTS (SELECT 1 FROM workflow.consultation t
                        WHERE t.request_id = p_request AND t.volunteer_id = v.id)
     ORDER BY l.n, random()
     LIMIT p_limit
$$;

-- ---- consultation (workflow_volunteer_api.c) ----

-- Who would be asked instead of task p_task (declined or late): the best
-- candidate for its request, none asked before.
CREATE OR REPLACE FUNCTION workflow.consult_next(p_task uuid, p_on date)
RETURNS TABLE (volunteer_id uuid) LANGUAGE sql STABLE AS $$
    SELECT n.volunteer_id
      FROM workflow.consultation t
      JOIN workflow.consultation_request r ON r.id = t.request_id
     CROSS JOIN LATERAL workflow.consult_candidates(t.case_id, r.field_code, r.question, p_on,
                                                    t.request_id, 1) n
     WHERE t.id = p_task
$$;

-- The case as consultation and supervision need it.
CREATE OR REPLACE FUNCTION workflow.volunteer_case(p_case uuid) RETURNS TABLE (kind text,
    procuratorate text, field_code text, state text, title text) LANGUAGE sql STABLE AS $$
    SELECT c.kind, c.procuratorate, c.field_code, c.state, c.title
      FROM workflow."case" c WHERE c.id = p_case
$$;

CREATE OR REPLACE FUNCTION workflow.consult_request_insert(p jsonb, p_at_ms bigint)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO workflow.consultation_request (id, case_id, question, field_code, experts, due_at,
        requested_by, requested_at)
    VALUES ((p->>'id')::uuid, (p->>'case_id')::uuid, p->>'question', p->>'field_code',
            (p->>'experts')::integer, to_timestamp(((p->>'due_ms')::bigint) / 1000.0), p->>'requested_by',
            to_timestamp((p_at_ms) / 1000.0))
$$;

-- A volunteer asked (a new request, or instead of a declined or late task).
CREATE OR REPLACE FUNCTION workflow.consult_task_insert(p_id uuid, p_request uuid,
    p_volunteer uuid, p_due_ms bigint, p_replaces uuid, p_actor text, p_at_ms bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO workflow.consultation (id, request_id, case_id, volunteer_id, state, due_at,
        replaces, asked_at)
    SELECT p_id, r.id, r.case_id, p_volunteer, 'asked', to_timestamp((p_due_ms) / 1000.0), p_replaces,
           to_timestamp((p_at_ms) / 1000.0)
      FROM workflow.consultation_request r WHERE r.id = p_request;
    INSERT INTO workflow.consultation_history (consultation_id, event, from_state, to_state,
        actor, reason, at)
    VALUES (p_id, 'ask', NULL, 'asked', p_actor,
            CASE WHEN p_replaces IS NULL THEN '' ELSE 'instead of ' || p_replaces END,
            to_timestamp((p_at_ms) / 1000.0));
END $$;

-- A task as its steps need it.
CREATE OR REPLACE FUNCTION workflow.consult_task_read(p_id uuid) RETURNS TABLE (state text,
    version integer, volunteer_id uuid, request_id uuid, case_id uuid, kind text,
    procuratorate text, field_code text, question text, title text, requested_by text,
    due_ms bigint, asked_ms bigint) LANGUAGE sql STABLE AS $$
    SELECT t.state, t.version, t.volunteer_id, t.request_id, t.case_id, c.kind, c.procuratorate,
           r.field_code, r.question, c.title, r.requested_by,
           (extract(epoch FROM t.due_at) * 1000)::bigint,
           (extract(epoch FROM t.asked_at) * 1000)::bigint
      FROM workflow.consultation t
      JOIN workflow.consultation_request r ON r.id = t.request_id
      JOIN workflow."case" c ON c.id = t.case_id
     WHERE t.id = p_id
$$;

-- One step of a task from p_state at p_version (p_change: answer,
-- references, reason, conflict); a conflict is remembered for the case.
CREATE OR REPLACE FUNCTION workflow.consult_step(p_id uuid, p_state text, p_version integer,
    p_next text, p_event text, p_actor text, p_reason text, p_change jsonb, p_at_ms bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE t workflow.consultation;
BEGIN
    UPDATE workflow.consultation x SET state = p_next, version = x.version + 1,
           answer = coalesce(p_change->>'answer', x.answer),
           "references" = coalesce(p_change->'references', x."references"),
           reason = coalesce(p_change->>'reason', x.reason),
           conflict = coalesce((p_change->>'conflict')::boolean, x.conflict),
           decided_at = to_timestamp((p_at_ms) / 1000.0),
           fired_at = CASE WHEN p_event = 'expire' THEN to_timestamp((p_at_ms) / 1000.0) ELSE x.fired_at END
     WHERE x.id = p_id AND x.state = p_state AND x.version = p_version
    RETURNING * INTO t;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'consultation % changed since it was read', p_id
              USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO workflow.consultation_history (consultation_id, event, from_state, to_state,
        actor, reason, at)
    VALUES (p_id, p_event, p_state, p_next, p_actor, coalesce(p_reason, ''),
            to_timestamp((p_at_ms) / 1000.0));
    IF (p_change->>'conflict')::boolean THEN
        INSERT INTO workflow.volunteer_case_conflict (volunteer_id, case_id, reason, at)
        VALUES (t.volunteer_id, t.case_id, coalesce(p_reason, ''), to_timestamp((p_at_ms) / 1000.0))
        ON CONFLICT DO NOTHING;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION workflow.consultation_json(t workflow.consultation) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', t.id, 'request_id', t.request_id, 'case_id', t.case_id,
        'volunteer_id', t.volunteer_id, 'state', t.state, 'version', t.version,
        'due_at', t.due_at, 'asked_at', t.asked_at, 'replaces', t.replaces,
        'answer', t.answer, 'references', t."references", 'reason', t.reason,
        'conflict', t.conflict, 'decided_at', t.decided_at)
$$;

-- A task as its volunteer sees it: the question, the case's title, field.
CREATE OR REPLACE FUNCTION workflow.my_consultation_json(t workflow.consultation) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', t.id, 'case_id', t.case_id, 'case_title', c.title,
        'field_code', r.field_code, 'question', r.question, 'state', t.state,
        'version', t.version, 'due_at', t.due_at, 'asked_at', t.asked_at,
        'answer', t.answer, 'references', t."references")
      FROM workflow.consultation_request r, workflow."case" c
     WHERE r.id = t.request_id AND c.id = t.case_id
$$;

-- One request with its tasks.
CREATE OR REPLACE FUNCTION workflow.request_json(r workflow.consultation_request) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', r.id, 'case_id', r.case_id, 'question', r.question,
        'field_code', r.field_code, 'experts', r.experts, 'due_at', r.due_at,
        'requested_by', r.requested_by, 'requested_at', r.requested_at,
        'tasks', (SELECT coalesce(json_agg(workflow.consultation_json(t)
                                           ORDER BY t.asked_at, t.id), '[]'::json)
                    FROM workflow.consultation t WHERE t.request_id = r.id))
$$;

CREATE OR REPLACE FUNCTION workflow.api_consultation_request(p_id uuid) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT workflow.request_json(r) FROM workflow.consultation_request r WHERE r.id = p_id
$$;

CREATE OR REPLACE FUNCTION workflow.api_consultation(p_id uuid) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT workflow.my_consultation_json(t) FROM workflow.consultation t WHERE t.id = p_id
$$;

-- The requests of a case in scope with each volunteer's task, oldest
-- first; NULL when the case is not in scope.
CREATE OR REPLACE FUNCTION workflow.api_consultations(p_case uuid, p_prefix text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('case_id', c.id, 'items', (
        SELECT coalesce(json_agg(workflow.request_json(r) ORDER BY r.requested_at, r.id),
                        '[]'::json)
          FROM workflow.consultation_request r WHERE r.case_id = c.id))
      FROM workflow."case" c
     WHERE c.id = p_case AND c.procuratorate LIKE p_prefix || '%'
$$;

-- ---- the due scan: late tasks (gy_due) ----

-- Open tasks due by p_now_ms, oldest first, each with who is asked
-- instead (NULL: nobody fits) and the new task's id and due time (as long
-- from now as the late task had).  The candidates of a request are taken
-- once for all its tasks of the batch, so two tasks late together never
-- ask the same volunteer (the batch would fail on the unique key).
CREATE OR REPLACE FUNCTION workflow.consult_due(p_now_ms bigint, p_limit integer)
RETURNS TABLE (id uuid, new_id uuid, candidate text, new_due_ms bigint, request_id uuid,
    case_id uuid, kind text, procuratorate text, field_code text, volunteer_id uuid,
    requested_by text) LANGUAGE sql STABLE AS $$
    WITH batch AS (
        SELECT x.* FROM workflow.consultation x
         WHERE x.state = 'asked' AND x.fired_at IS NULL
           AND x.due_at <= to_timestamp((p_now_ms) / 1000.0)
         ORDER BY x.due_at LIMIT p_limit),
    due AS (
        SELECT b.*, row_number() OVER (PARTITION BY b.request_id ORDER BY b.due_at, b.id) AS rk
          FROM batch b),
    wanted AS (SELECT d.request_id, count(*)::integer AS n FROM due d GROUP BY d.request_id),
    asked AS (
        SELECT w.request_id, k.volunteer_id,
               row_number() OVER (PARTITION BY w.request_id ORDER BY k.load) AS rk
          FROM wanted w
          JOIN workflow.consultation_request r ON r.id = w.request_id
         CROSS JOIN LATERAL workflow.consult_candidates(r.case_id, r.field_code, r.question,
             (to_timestamp((p_now_ms) / 1000.0) AT TIME ZONE 'Asia/Shanghai')::date, r.id,
             w.n) k)
    SELECT t.id, gen_random_uuid(), coalesce(n.volunteer_id::text, ''),
           p_now_ms + (extract(epoch FROM t.due_at - t.asked_at) * 1000)::bigint,
           t.request_id, t.case_id, c.kind, c.procuratorate, r.field_code, t.volunteer_id,
           r.requested_by
      FROM due t
      JOIN workflow.consultation_request r ON r.id = t.request_id
      JOIN workflow."case" c ON c.id = t.case_id
      LEFT JOIN asked n ON n.request_id = t.request_id AND n.rk = t.rk
     ORDER BY t.due_at
$$;

-- Fires one late task once: late, the next volunteer asked when there is
-- one, and the event (ConsultationRequested for them, else
-- ConsultationLate).  No row when it fired or moved already.
CREATE OR REPLACE FUNCTION workflow.consult_fire(p_id uuid, p_new uuid, p_candidate text,
    p_new_due_ms bigint, p_fired_ms bigint, p_producer text, p_event_id uuid, p_time_ms bigint,
    p_trace text, p_procuratorate text, p_body bytea) RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE t workflow.consultation;
BEGIN
    UPDATE workflow.consultation x SET state = 'late', version = x.version + 1,
           decided_at = to_timestamp((p_fired_ms) / 1000.0), fired_at = to_timestamp((p_fired_ms) / 1000.0)
     WHERE x.id = p_id AND x.state = 'asked' AND x.fired_at IS NULL
    RETURNING * INTO t;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO workflow.consultation_history (consultation_id, event, from_state, to_state,
        actor, reason, at)
    VALUES (p_id, 'expire', 'asked', 'late', 'due scan', 'not answered by ' || t.due_at,
            to_timestamp((p_fired_ms) / 1000.0));
    IF p_candidate <> '' THEN
        PERFORM workflow.consult_task_insert(p_new, t.request_id, p_candidate::uuid,
                                             p_new_due_ms, p_id, 'due scan', p_fired_ms);
    END IF;
    RETURN NEXT workflow.outbox_append(p_producer, p_event_id,
        CASE WHEN p_candidate <> '' THEN 'ConsultationRequested' ELSE 'ConsultationLate' END,
        p_time_ms, p_trace, p_procuratorate, p_body);
END $$;

-- ---- supervision ----

-- What appointing p_volunteer as a supervisor of p_case depends on.
CREATE OR REPLACE FUNCTION workflow.supervisor_check(p_case uuid, p_volunteer uuid, p_on date)
RETURNS TABLE (known boolean, fits boolean, appointed boolean) LANGUAGE sql STABLE AS $$
    SELECT true, workflow.volunteer_fits(v, 'supervisor', c.id, c.procuratorate, c.title, p_on),
           EXISTS (SELECT 1 FROM workflow.supervisor s
                    WHERE s.case_id = c.id AND s.volunteer_id = v.id)
      FROM workflow."case" c, workflow.volunteer v WHERE c.id = p_case AND v.id = p_volunteer
$$;

CREATE OR REPLACE FUNCTION workflow.supervisor_insert(p_case uuid, p_volunteer uuid,
    p_actor text, p_reason text, p_at_ms bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO workflow.supervisor (case_id, volunteer_id, appointed_by, reason, appointed_at)
    VALUES (p_case, p_volunteer, p_actor, p_reason, to_timestamp((p_at_ms) / 1000.0))
$$;

CREATE OR REPLACE FUNCTION workflow.api_supervisors(p_case uuid, p_prefix text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('case_id', c.id, 'items', (
        SELECT coalesce(json_agg(json_build_object('volunteer_id', s.volunteer_id,
                   'appointed_by', s.appointed_by, 'reason', s.reason,
                   'appointed_at', s.appointed_at) ORDER BY s.appointed_at, s.volunteer_id),
                   '[]'::json)
          FROM workflow.supervisor s WHERE s.case_id = c.id))
      FROM workflow."case" c
     WHERE c.id = p_case AND c.procuratorate LIKE p_prefix || '%'
$$;

-- The case of an observation, when p_volunteer supervises it and is still
-- appointed and in term on p_on (no row else: suspended or dismissed at
-- the router, they no longer observe).
CREATE OR REPLACE FUNCTION workflow.supervised_case(p_case uuid, p_volunteer uuid, p_on date)
RETURNS TABLE (kind text, procuratorate text, field_code text, state text)
LANGUAGE sql STABLE AS $$
    SELECT c.kind, c.procuratorate, c.field_code, c.state
      FROM workflow."case" c
      JOIN workflow.supervisor s ON s.case_id = c.id
      JOIN workflow.volunteer v ON v.id = s.volunteer_id
     WHERE c.id = p_case AND s.volunteer_id = p_volunteer
       AND v.status = 'appointed' AND p_on BETWEEN v.term_start AND v.term_end
$$;

CREATE OR REPLACE FUNCTION workflow.observation_insert(p jsonb, p_at_ms bigint)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO workflow.observation (id, case_id, volunteer_id, observed_on, place, text,
        finding, photos, filed_at)
    VALUES ((p->>'id')::uuid, (p->>'case_id')::uuid, (p->>'volunteer_id')::uuid,
            (p->>'observed_on')::date, p->>'place', p->>'text', p->>'finding', p->'photos',
            to_timestamp((p_at_ms) / 1000.0))
$$;

CREATE OR REPLACE FUNCTION workflow.observation_json(o workflow.observation) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', o.id, 'case_id', o.case_id, 'volunteer_id', o.volunteer_id,
        'observed_on', o.observed_on, 'place', o.place, 'text', o.text, 'finding', o.finding,
        'photos', o.photos, 'filed_at', o.filed_at)
$$;

CREATE OR REPLACE FUNCTION workflow.api_observation(p_id uuid) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT workflow.observation_json(o) FROM workflow.observation o WHERE o.id = p_id
$$;

-- The observations of a case in scope, in the order they were made.
CREATE OR REPLACE FUNCTION workflow.api_observations(p_case uuid, p_prefix text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('case_id', c.id, 'items', (
        SELECT coalesce(json_agg(workflow.observation_json(o)
                                 ORDER BY o.observed_on, o.filed_at, o.id), '[]'::json)
          FROM workflow.observation o WHERE o.case_id = c.id))
      FROM workflow."case" c
     WHERE c.id = p_case AND c.procuratorate LIKE p_prefix || '%'
$$;

-- ---- a volunteer's own tasks ----

-- Only theirs: open consultations, the cases they supervise (with their
-- own observations' count) and the hearings they are invited to, as a
-- member or an observer (workflow.volunteer_hearings, R__hearings.sql).
CREATE OR REPLACE FUNCTION workflow.api_my_tasks(p_volunteer uuid) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'consultations', (SELECT coalesce(json_agg(workflow.my_consultation_json(t)
                                                   ORDER BY t.due_at, t.id), '[]'::json)
                            FROM workflow.consultation t
                           WHERE t.volunteer_id = p_volunteer AND t.state = 'asked'),
        'supervisions', (SELECT coalesce(json_agg(json_build_object('case_id', c.id,
                             'title', c.title, 'kind', c.kind, 'field_code', c.field_code,
                             'procuratorate', c.procuratorate, 'state', c.state,
                             'appointed_at', s.appointed_at,
                             'observations', (SELECT count(*) FROM workflow.observation o
                                               WHERE o.case_id = c.id
                                                 AND o.volunteer_id = p_volunteer))
                             ORDER BY s.appointed_at, c.id), '[]'::json)
                           FROM workflow.supervisor s JOIN workflow."case" c ON c.id = s.case_id
                          WHERE s.volunteer_id = p_volunteer),
        -- R__hearings.sql (run before this file, in name order)
        'hearings', (SELECT coalesce(json_agg((jsonb_build_object('id', h.id,
                         'case_id', h.case_id, 'procuratorate', h.procuratorate,
                         'field_code', h.field_code, 'state', h.state, 'starts_at', h.at)
                         || h.detail::jsonb) ORDER BY h.at, h.id), '[]'::json)
                       FROM workflow.volunteer_hearings(p_volunteer::text) h))
$$;
