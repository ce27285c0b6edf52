-- Hearings (听证), the hearing pool and impact (成效): the functions that
-- store what C decided (workflow_hearing_api) and answer what the API
-- shows.  Writes are guarded by the state and version they were decided
-- on: a guard that fails raises serialization_failure (40001) and the
-- caller reads and decides again.  Times are the process clock's
-- (p_at_ms), never now().  This file runs before R__workflow_functions.sql
-- (name order), so it calls nothing defined there.

CREATE OR REPLACE FUNCTION workflow.hearing_ms(p_ms bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT to_timestamp(p_ms / 1000.0)
$$;

CREATE OR REPLACE FUNCTION workflow.hearing_epoch_ms(p_at timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT floor(extract(epoch FROM p_at) * 1000)::bigint
$$;

-- ---- the pool ----

CREATE OR REPLACE FUNCTION workflow.hearing_pool_json(p workflow.hearing_pool) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', p.id, 'procuratorate', p.procuratorate, 'kind', p.kind,
        'name', p.name, 'volunteer_id', p.volunteer_id, 'active', p.active,
        'added_by', p.added_by, 'added_at', p.added_at, 'deactivated_by', p.deactivated_by,
        'deactivated_at', p.deactivated_at)
$$;

-- Everyone of a procuratorate's pool, active or not, in the order added.
CREATE OR REPLACE FUNCTION workflow.api_hearing_pool(p_procuratorate text)
RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('procuratorate', p_procuratorate,
        'items', coalesce(json_agg(workflow.hearing_pool_json(p) ORDER BY p.added_at, p.id),
                          '[]'::json))
      FROM workflow.hearing_pool p
     WHERE p.procuratorate = p_procuratorate
$$;

-- A person added to a pool (a volunteer already active there fails on
-- hearing_pool_volunteer: 23505, answered 409 already_in_pool).
CREATE OR REPLACE FUNCTION workflow.hearing_pool_add(p_entry jsonb, p_actor text, p_at_ms bigint)
RETURNS json LANGUAGE sql AS $$
    INSERT INTO workflow.hearing_pool AS p (id, procuratorate, kind, name, volunteer_id,
                                            added_by, added_at)
    VALUES ((p_entry->>'id')::uuid, p_entry->>'procuratorate', p_entry->>'kind',
            p_entry->>'name', p_entry->>'volunteer_id', p_actor, workflow.hearing_ms(p_at_ms))
    RETURNING workflow.hearing_pool_json(p)
$$;

-- Deactivated: NULL when the procuratorate has no such person.  Deactivating
-- twice keeps the first time.
CREATE OR REPLACE FUNCTION workflow.hearing_pool_deactivate(p_procuratorate text, p_id uuid,
    p_actor text, p_at_ms bigint) RETURNS json LANGUAGE sql AS $$
    UPDATE workflow.hearing_pool p
       SET active = false,
           deactivated_by = CASE WHEN p.active THEN p_actor ELSE p.deactivated_by END,
           deactivated_at = CASE WHEN p.active THEN workflow.hearing_ms(p_at_ms)
                                 ELSE p.deactivated_at END
     WHERE p.id = p_id AND p.procuratorate = p_procuratorate
    RETURNING workflow.hearing_pool_json(p)
$$;

-- What scheduling reads before it decides: the pool's people named as
-- members, and the pool's volunteers named as volunteer members.
CREATE OR REPLACE FUNCTION workflow.hearing_pool_read(p_ids uuid[], p_volunteers text[])
RETURNS TABLE (id uuid, procuratorate text, kind text, volunteer_id text, active boolean)
LANGUAGE sql STABLE AS $$
    SELECT p.id, p.procuratorate, p.kind, coalesce(p.volunteer_id, ''), p.active
      FROM workflow.hearing_pool p
     WHERE p.id = ANY (p_ids) OR (p.active AND p.volunteer_id = ANY (p_volunteers))
$$;

-- ---- hearings ----

-- A hearing scheduled, guarded by the case's state read (a case closed
-- meanwhile is decided again) and by its members still active.
CREATE OR REPLACE FUNCTION workflow.hearing_insert(p_hearing jsonb, p_case_state text,
    p_actor text, p_at_ms bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := (p_hearing->>'id')::uuid;
    v_members integer;
BEGIN
    PERFORM 1 FROM workflow."case" c
     WHERE c.id = (p_hearing->>'case_id')::uuid AND c.state = p_case_state FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'case % changed since it was read', p_hearing->>'case_id'
              USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO workflow.hearing (id, case_id, procuratorate, field_code, case_kind, state,
        starts_at, place, topic, public, stream_url, announcement, scheduled_by, scheduled_at,
        updated_at)
    VALUES (v_id, (p_hearing->>'case_id')::uuid, p_hearing->>'procuratorate',
        p_hearing->>'field_code', p_hearing->>'case_kind', 'scheduled',
        workflow.hearing_ms((p_hearing->>'starts_ms')::bigint), p_hearing->>'place',
        p_hearing->>'topic', (p_hearing->>'public')::boolean, p_hearing->>'stream_url',
        p_hearing->>'announcement', p_actor, workflow.hearing_ms(p_at_ms),
        workflow.hearing_ms(p_at_ms));
    INSERT INTO workflow.hearing_member (hearing_id, pool_id, position)
    SELECT v_id, m.id::uuid, m.n::integer
      FROM jsonb_array_elements_text(p_hearing->'members') WITH ORDINALITY AS m (id, n)
      JOIN workflow.hearing_pool p ON p.id = m.id::uuid AND p.active;
    GET DIAGNOSTICS v_members = ROW_COUNT;
    IF v_members <> jsonb_array_length(p_hearing->'members') THEN
        RAISE EXCEPTION 'a member of hearing % left the pool since it was read', v_id
              USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO workflow.hearing_participant (id, hearing_id, position, name, role, contact)
    SELECT (x->>'id')::uuid, v_id, n::integer, x->>'name', x->>'role', x->>'contact'
      FROM jsonb_array_elements(p_hearing->'participants') WITH ORDINALITY AS t (x, n);
    INSERT INTO workflow.hearing_volunteer (hearing_id, volunteer_id, sits_as)
    SELECT v_id, x->>'volunteer_id', x->>'as'
      FROM jsonb_array_elements(p_hearing->'volunteers') AS t (x);
    INSERT INTO workflow.hearing_history (hearing_id, event, from_state, to_state, actor,
        reason, detail, at)
    VALUES (v_id, 'schedule', NULL, 'scheduled', p_actor, '',
        json_build_object('starts_at', workflow.hearing_ms((p_hearing->>'starts_ms')::bigint)),
        workflow.hearing_ms(p_at_ms));
END $$;

-- What a step reads before it decides.
CREATE OR REPLACE FUNCTION workflow.hearing_read(p_id uuid) RETURNS TABLE (state text,
    version integer, case_id uuid, procuratorate text, field_code text, case_kind text,
    starts_ms bigint, public boolean, place text, topic text, stream_url text, member_ids text,
    participant_ids text, volunteer_ids text)
LANGUAGE sql STABLE AS $$
    SELECT h.state, h.version, h.case_id, h.procuratorate, h.field_code, h.case_kind,
           workflow.hearing_epoch_ms(h.starts_at), h.public, h.place, h.topic,
           coalesce(h.stream_url, ''),
           (SELECT coalesce(string_agg(m.pool_id::text, ',' ORDER BY m.position), '')
              FROM workflow.hearing_member m WHERE m.hearing_id = h.id),
           (SELECT coalesce(string_agg(p.id::text, ',' ORDER BY p.position), '')
              FROM workflow.hearing_participant p WHERE p.hearing_id = h.id),
           (SELECT coalesce(string_agg(v.volunteer_id, ',' ORDER BY v.volunteer_id), '')
              FROM workflow.hearing_volunteer v WHERE v.hearing_id = h.id)
      FROM workflow.hearing h WHERE h.id = p_id
$$;

-- One step from p_state at p_version to p_next, with what it changes
-- (p_change: starts_ms, outcome, summary, opinions; absent keys keep their
-- value).
CREATE OR REPLACE FUNCTION workflow.hearing_step(p_id uuid, p_state text, p_version integer,
    p_next text, p_event text, p_actor text, p_reason text, p_change jsonb, p_at_ms bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workflow.hearing h SET state = p_next, version = h.version + 1,
           starts_at = coalesce(workflow.hearing_ms((p_change->>'starts_ms')::bigint),
                                h.starts_at),
           announcement = coalesce(p_change->>'announcement', h.announcement),
           outcome = coalesce(p_change->>'outcome', h.outcome),
           summary = coalesce(p_change->>'summary', h.summary),
           opinions = coalesce((p_change->'opinions')::json, h.opinions),
           reason = CASE WHEN p_reason = '' THEN h.reason ELSE p_reason END,
           updated_at = workflow.hearing_ms(p_at_ms)
     WHERE h.id = p_id AND h.state = p_state AND h.version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'hearing % changed since it was read', p_id
              USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO workflow.hearing_history (hearing_id, event, from_state, to_state, actor,
        reason, detail, at)
    VALUES (p_id, p_event, p_state, p_next, p_actor, p_reason,
            (p_change - 'announcement')::json, workflow.hearing_ms(p_at_ms));
END $$;

-- A hearing as the case's handlers see it: members with their names,
-- participants with their contacts, volunteers, the history.
CREATE OR REPLACE FUNCTION workflow.hearing_json(h workflow.hearing) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', h.id, 'case_id', h.case_id, 'procuratorate', h.procuratorate,
        'field_code', h.field_code, 'case_kind', h.case_kind, 'state', h.state,
        'version', h.version, 'starts_at', h.starts_at, 'place', h.place, 'topic', h.topic,
        'public', h.public, 'stream_url', h.stream_url, 'announcement', h.announcement,
        'outcome', h.outcome, 'summary', h.summary, 'opinions', h.opinions,
        'reason', h.reason, 'scheduled_by', h.scheduled_by, 'scheduled_at', h.scheduled_at,
        'updated_at', h.updated_at,
        'members', (SELECT coalesce(json_agg(json_build_object('id', p.id, 'kind', p.kind,
                        'name', p.name, 'volunteer_id', p.volunteer_id) ORDER BY m.position),
                        '[]'::json)
                      FROM workflow.hearing_member m
                      JOIN workflow.hearing_pool p ON p.id = m.pool_id
                     WHERE m.hearing_id = h.id),
        'participants', (SELECT coalesce(json_agg(json_build_object('id', x.id,
                             'name', x.name, 'role', x.role, 'contact', x.contact)
                             ORDER BY x.position), '[]'::json)
                           FROM workflow.hearing_participant x WHERE x.hearing_id = h.id),
        'volunteers', (SELECT coalesce(json_agg(json_build_object('volunteer_id',
                           v.volunteer_id, 'as', v.sits_as) ORDER BY v.volunteer_id),
                           '[]'::json)
                         FROM workflow.hearing_volunteer v WHERE v.hearing_id = h.id),
        'history', (SELECT coalesce(json_agg(json_build_object('event', y.event,
                        'from_state', y.from_state, 'to_state', y.to_state, 'actor', y.actor,
                        'reason', y.reason, 'detail', y.detail, 'at', y.at) ORDER BY y.id),
                        '[]'::json)
                      FROM workflow.hearing_history y WHERE y.hearing_id = h.id))
$$;

-- A hearing, or NULL when it is not in the caller's scope.
CREATE OR REPLACE FUNCTION workflow.api_hearing(p_id uuid, p_prefix text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT workflow.hearing_json(h) FROM workflow.hearing h
     WHERE h.id = p_id AND h.procuratorate LIKE p_prefix || '%'
$$;

-- A case's hearings by time, or NULL when the case is not in scope.
CREATE OR REPLACE FUNCTION workflow.api_case_hearings(p_case uuid, p_prefix text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('case_id', c.id,
        'items', (SELECT coalesce(json_agg(workflow.hearing_json(h)
                                           ORDER BY h.starts_at, h.id), '[]'::json)
                    FROM workflow.hearing h WHERE h.case_id = c.id))
      FROM workflow."case" c
     WHERE c.id = p_case AND c.procuratorate LIKE p_prefix || '%'
$$;

-- Upcoming public hearings for everyone: what the announcement says, no
-- person (no participant, contact, member or volunteer); a cancelled one
-- stays listed with its cancellation notice until its time has passed, so
-- whoever planned to come learns it is off.  Keyset pages by (starts_at,
-- id).  p_prefix: a procuratorate's scope prefix (it and those below it),
-- '' for all.
CREATE OR REPLACE FUNCTION workflow.api_public_hearings(p_now_ms bigint, p_prefix text,
    p_after_at timestamptz, p_after_id uuid, p_limit integer)
RETURNS json LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT h FROM workflow.hearing h
         WHERE h.public AND h.state IN ('scheduled', 'postponed', 'cancelled')
           AND h.starts_at >= workflow.hearing_ms(p_now_ms)
           AND h.procuratorate LIKE p_prefix || '%'
           AND (p_after_at IS NULL OR (h.starts_at, h.id) > (p_after_at, p_after_id))
         ORDER BY h.starts_at, h.id
         LIMIT p_limit)
    SELECT json_build_object(
        'items', coalesce(json_agg(json_build_object(
                'id', (page.h).id, 'procuratorate', (page.h).procuratorate,
                'field_code', (page.h).field_code, 'state', (page.h).state,
                'starts_at', (page.h).starts_at, 'place', (page.h).place,
                'topic', (page.h).topic, 'stream_url', (page.h).stream_url,
                'announcement', (page.h).announcement)
                ORDER BY (page.h).starts_at, (page.h).id), '[]'::json),
        'next', CASE WHEN count(*) = p_limit THEN
            (array_agg(floor(extract(epoch FROM (page.h).starts_at) * 1000000)::bigint::text
                       || '.' || (page.h).id::text
                       ORDER BY (page.h).starts_at DESC, (page.h).id DESC))[1] END)
      FROM page
$$;

-- A volunteer's hearings, for their own tasks (GET /api/v1/workflow/me/tasks
-- unions it with their other tasks): one row per hearing they are invited
-- to, with what a volunteer may see (no participants' contacts).
CREATE OR REPLACE FUNCTION workflow.volunteer_hearings(p_volunteer text) RETURNS TABLE (
    task text, id uuid, case_id uuid, procuratorate text, field_code text, state text,
    at timestamptz, detail json)
LANGUAGE sql STABLE AS $$
    SELECT 'hearing', h.id, h.case_id, h.procuratorate, h.field_code, h.state, h.starts_at,
           json_build_object('as', v.sits_as, 'place', h.place, 'topic', h.topic,
                             'public', h.public, 'stream_url', h.stream_url,
                             'outcome', h.outcome, 'updated_at', h.updated_at)
      FROM workflow.hearing_volunteer v
      JOIN workflow.hearing h ON h.id = v.hearing_id
     WHERE v.volunteer_id = p_volunteer
$$;

-- ---- impact ----

-- A measure recorded, guarded by the case's state read.
CREATE OR REPLACE FUNCTION workflow.impact_insert(p_entry jsonb, p_case_state text,
    p_actor text, p_at_ms bigint) RETURNS json LANGUAGE plpgsql AS $$
DECLARE r workflow.impact;
BEGIN
    PERFORM 1 FROM workflow."case" c
     WHERE c.id = (p_entry->>'case_id')::uuid AND c.state = p_case_state FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'case % changed since it was read', p_entry->>'case_id'
              USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO workflow.impact (id, case_id, measure, value, unit, note, on_closing,
                                 recorded_at, recorded_by, created_at)
    VALUES ((p_entry->>'id')::uuid, (p_entry->>'case_id')::uuid, p_entry->>'measure',
            (p_entry->>'value')::numeric, p_entry->>'unit', p_entry->>'note',
            (p_entry->>'on_closing')::boolean,
            workflow.hearing_ms((p_entry->>'recorded_ms')::bigint), p_actor,
            workflow.hearing_ms(p_at_ms))
    RETURNING * INTO r;
    RETURN workflow.impact_json(r);
END $$;

-- Values leave as text: exact, whatever the client's numbers are.
CREATE OR REPLACE FUNCTION workflow.impact_json(i workflow.impact) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', i.id, 'case_id', i.case_id, 'measure', i.measure,
        'value', i.value::text, 'unit', i.unit, 'note', i.note, 'on_closing', i.on_closing,
        'recorded_at', i.recorded_at, 'recorded_by', i.recorded_by,
        'created_at', i.created_at)
$$;

-- A case's impact: every entry (oldest first) and the sum per measure; NULL
-- when the case is not in scope.
CREATE OR REPLACE FUNCTION workflow.api_case_impact(p_case uuid, p_prefix text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('case_id', c.id,
        'items', (SELECT coalesce(json_agg(workflow.impact_json(i)
                                           ORDER BY i.recorded_at, i.id), '[]'::json)
                    FROM workflow.impact i WHERE i.case_id = c.id),
        'sums', (SELECT coalesce(json_agg(json_build_object('measure', s.measure,
                     'unit', s.unit, 'total', s.total::text, 'entries', s.entries)
                     ORDER BY s.measure), '[]'::json)
                   FROM (SELECT i.measure, i.unit, sum(i.value) AS total, count(*) AS entries
                           FROM workflow.impact i WHERE i.case_id = c.id
                          GROUP BY i.measure, i.unit) s))
      FROM workflow."case" c
     WHERE c.id = p_case AND c.procuratorate LIKE p_prefix || '%'
$$;
