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

-- AssessmentRequested for one task (proto/gongyi.proto).
CREATE FUNCTION router.emit_assessment_requested(p_producer text, p_trace text,
    t router.assessment_task, c router.clue, p_appointing text) RETURNS bigint
LANGUAGE sql AS $$
    SELECT router.outbox_append(p_producer, gen_random_uuid(), 'AssessmentRequested',
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint, coalesce(p_trace, ''),
        c.procuratorate,
        router.pb_string(1, c.id::text) || router.pb_string(2, t.id::text)
        || router.pb_string(3, t.volunteer_id::text) || router.pb_string(4, c.field_code)
        || router.pb_varint(5 * 8) || router.pb_varint(floor(extract(epoch FROM t.due_at) * 1000)::bigint)
        || router.pb_string(6, p_appointing))
$$;

-- Asks up to p_count more assessors for a clue: appointed and in term,
-- with the assessor role and the clue's field among their expertise, of
-- the clue's city (or province, for a clue without one), never the
-- reporter, with no declared conflict, not asked before for this clue;
-- least loaded (open tasks) first.  Returns how many were asked.
CREATE FUNCTION router.assign_assessors(p_clue uuid, p_count integer, p_due_ms bigint,
    p_producer text, p_trace text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    c router.clue;
    v record;
    t router.assessment_task;
    n integer := 0;
BEGIN
    SELECT * INTO c FROM router.clue x WHERE x.id = p_clue;
    FOR v IN
        SELECT vo.id, vo.procuratorate
          FROM router.volunteer vo
         WHERE vo.status = 'appointed'
           AND current_date BETWEEN vo.term_start AND vo.term_end
           AND 'assessor' = ANY (vo.roles)
           AND c.field_code = ANY (vo.expertise)
           AND (CASE WHEN c.city <> '' THEN vo.city = c.city
                     ELSE vo.procuratorate LIKE left(c.procuratorate, 2) || '%' END)
           AND vo.id::text IS DISTINCT FROM c.reporter_subject
           AND NOT EXISTS (SELECT 1 FROM router.volunteer_conflict k
                            WHERE k.volunteer_id = vo.id
                              AND ((k.kind = 'clue' AND k.value = c.id::text)
                                OR (k.kind = 'region' AND k.value = c.region_code)
                                OR (k.kind = 'keyword'
                                    AND strpos(c.title || c.description, k.value) > 0)))
           AND NOT EXISTS (SELECT 1 FROM router.assessment_task a
                            WHERE a.clue_id = c.id AND a.volunteer_id = vo.id)
         ORDER BY (SELECT count(*) FROM router.assessment_task a
                    WHERE a.volunteer_id = vo.id AND a.status = 'assigned'), random()
         LIMIT p_count
    LOOP
        INSERT INTO router.assessment_task (clue_id, volunteer_id, due_at)
        VALUES (c.id, v.id, to_timestamp(p_due_ms / 1000.0))
        RETURNING * INTO t;
        PERFORM router.emit_assessment_requested(p_producer, p_trace, t, c, v.procuratorate);
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

-- The held ClueRouted, now with the priority from triage and the
-- assessments (protobuf: a field appended again replaces the earlier).
CREATE FUNCTION router.release_routed(c router.clue, p_priority integer, p_decided_by text,
    p_producer text, p_trace text) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    UPDATE router.clue x SET status = 'routed', priority = p_priority, routed_at = now(),
           decided_by = p_decided_by
     WHERE x.id = c.id;
    RETURN router.outbox_append(p_producer, gen_random_uuid(), 'ClueRouted',
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint, coalesce(p_trace, ''),
        c.procuratorate,
        c.routed_body || router.pb_varint(8 * 8) || router.pb_varint(p_priority));
END $$;

CREATE FUNCTION router.emit_rejected(c router.clue, p_reason_code text, p_reason text,
    p_decided_by text, p_producer text, p_trace text) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    UPDATE router.clue x SET status = 'rejected', decided_by = p_decided_by WHERE x.id = c.id;
    RETURN router.outbox_append(p_producer, gen_random_uuid(), 'ClueRejected',
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint, coalesce(p_trace, ''),
        c.procuratorate,
        router.pb_string(1, c.id::text) || router.pb_string(2, c.procuratorate)
        || router.pb_string(3, p_reason_code) || router.pb_string(4, p_reason)
        || router.pb_string(5, p_decided_by));
END $$;

-- Decides a clue under assessment when it can be decided: a quorum
-- (k / 2 + 1) of equal recommendations; or, once no task is open, the
-- majority of what was submitted (a tie, or nothing submitted: review).
-- Returns the decision ('route', 'reject', 'review') or NULL (wait).
CREATE FUNCTION router.assessment_decide(p_clue uuid, p_producer text, p_trace text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    c router.clue;
    v_quorum integer;
    v_open integer;
    v_best text;
    v_best_n integer;
    v_second_n integer;
    v_sev numeric;
    v_harm numeric;
BEGIN
    SELECT * INTO c FROM router.clue x WHERE x.id = p_clue FOR UPDATE;
    IF NOT FOUND OR c.status <> 'assessing' THEN
        RETURN NULL;
    END IF;
    v_quorum := c.assess_k / 2 + 1;
    SELECT count(*) FILTER (WHERE a.status = 'assigned') INTO v_open
      FROM router.assessment_task a WHERE a.clue_id = c.id;
    SELECT r.recommendation, r.n, coalesce(lead(r.n) OVER (ORDER BY r.n DESC), 0)
      INTO v_best, v_best_n, v_second_n
      FROM (SELECT a.recommendation, count(*) AS n FROM router.assessment_task a
             WHERE a.clue_id = c.id AND a.status = 'submitted'
             GROUP BY a.recommendation) r
     ORDER BY r.n DESC, r.recommendation LIMIT 1;
    IF coalesce(v_best_n, 0) < v_quorum THEN
        IF v_open > 0 THEN
            RETURN NULL;
        END IF;
        IF v_best IS NULL OR v_best_n = v_second_n THEN
            v_best := 'review';
        END IF;
    END IF;
    IF v_best = 'route' THEN
        SELECT avg(a.severity), avg(a.harm) INTO v_sev, v_harm
          FROM router.assessment_task a WHERE a.clue_id = c.id AND a.status = 'submitted';
        -- Half triage's priority, half the assessors' severity and harm
        -- (each 1-5: together 20-100).
        PERFORM router.release_routed(c,
            least(100, round(0.5 * c.priority + 0.5 * (v_sev + v_harm) * 10))::integer,
            'assessment', p_producer, p_trace);
    ELSIF v_best = 'reject' THEN
        PERFORM router.emit_rejected(c, 'no_public_interest',
            'the expert volunteers found no harm to the public interest', 'assessment',
            p_producer, p_trace);
    ELSE
        UPDATE router.clue x SET status = 'review' WHERE x.id = c.id;
    END IF;
    RETURN v_best;
END $$;

-- Holds a newly routed clue for assessment (called by route_clue): asks k
-- assessors; when nobody can assess it, it is routed at once.
CREATE FUNCTION router.hold_for_assessment(p_clue uuid, p_body bytea, p_k integer,
    p_due_ms bigint, p_producer text, p_trace text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    UPDATE router.clue x SET status = 'assessing', routed_body = p_body, assess_k = p_k
     WHERE x.id = p_clue;
    IF router.assign_assessors(p_clue, p_k, p_due_ms, p_producer, p_trace) > 0 THEN
        RETURN true;
    END IF;
    UPDATE router.clue x SET status = 'routed', routed_body = NULL, decided_by = 'triage'
     WHERE x.id = p_clue;
    RETURN false;
END $$;

-- route_clue (0001) with the reporter's subject kept and, when p_assess_k
-- > 0, a new matter held for assessment instead of routed.  Returns
-- sequence 0 and no body when it was held (the events are then
-- AssessmentRequested, read by the relay from the outbox).
DROP FUNCTION router.route_clue(uuid, text, bigint, text, text, text, double precision,
    double precision, text, text, real, text, boolean, text, text, text, text, integer, bigint,
    smallint, smallint, smallint, smallint, bigint, integer, bigint, double precision, text,
    uuid, bigint, text, bytea);

CREATE FUNCTION router.route_clue(
    p_id uuid, p_src_producer text, p_src_sequence bigint,
    p_title text, p_description text, p_region text,
    p_lat double precision, p_lon double precision, p_hint text,
    p_field text, p_confidence real, p_reason text, p_major boolean,
    p_procuratorate text, p_city text, p_queue text, p_rule text,
    p_priority integer, p_simhash bigint,
    p_band0 smallint, p_band1 smallint, p_band2 smallint, p_band3 smallint,
    p_received_ms bigint, p_max_distance integer, p_window_ms bigint,
    p_near_km double precision,
    p_producer text, p_event_id uuid, p_time_ms bigint, p_trace text,
    p_body bytea, p_reporter_subject text, p_assess_k integer, p_assess_due_ms bigint)
RETURNS TABLE (created boolean, sequence bigint, cluster_id uuid,
               duplicate boolean, body bytea)
LANGUAGE plpgsql AS $$
DECLARE
    v_received timestamptz := to_timestamp(p_received_ms / 1000.0);
    v_window interval := make_interval(secs => p_window_ms / 1000.0);
    v_cluster uuid;
    v_body bytea;
    v_seq bigint;
BEGIN
    PERFORM 1 FROM router.clue c WHERE c.id = p_id;
    IF FOUND THEN
        RETURN QUERY SELECT false, 0::bigint, NULL::uuid, false, NULL::bytea;
        RETURN;
    END IF;

    -- Same matter: a cluster leader of the same field with any band equal
    -- (index), active within the window, same region or near, then the
    -- exact distance.  Nearest first, then the oldest cluster.
    SELECT cl.id INTO v_cluster
      FROM router.cluster cl
     WHERE cl.field_code = p_field
       AND (cl.band0 = p_band0 OR cl.band1 = p_band1 OR cl.band2 = p_band2 OR cl.band3 = p_band3)
       AND cl.last_received_at >= v_received - v_window
       AND cl.first_received_at <= v_received + v_window
       AND (cl.region_code = p_region
            OR router.distance_km(cl.lat, cl.lon, p_lat, p_lon) <= p_near_km)
       AND bit_count((cl.simhash # p_simhash)::bit(64)) <= p_max_distance
     ORDER BY bit_count((cl.simhash # p_simhash)::bit(64)), cl.first_received_at
     LIMIT 1;

    IF v_cluster IS NULL THEN
        v_cluster := p_id;
        INSERT INTO router.cluster (id, field_code, region_code, lat, lon, procuratorate,
            simhash, band0, band1, band2, band3, first_received_at, last_received_at)
        VALUES (p_id, p_field, p_region, p_lat, p_lon, p_procuratorate,
            p_simhash, p_band0, p_band1, p_band2, p_band3, v_received, v_received);
    ELSE
        UPDATE router.cluster cl SET size = cl.size + 1, updated_at = now(),
               last_received_at = greatest(cl.last_received_at, v_received)
         WHERE cl.id = v_cluster;
    END IF;

    INSERT INTO router.clue (id, source_producer, source_sequence, title,
        description, region_code, lat, lon, reporter_field_code, field_code,
        field_confidence, major, procuratorate, city, queue, rule, priority,
        cluster_id, simhash, received_at, reporter_subject, decided_by)
    VALUES (p_id, p_src_producer, p_src_sequence, p_title, p_description,
        p_region, p_lat, p_lon, p_hint, p_field, p_confidence, p_major,
        p_procuratorate, p_city, p_queue, p_rule, p_priority, v_cluster,
        p_simhash, v_received, nullif(p_reporter_subject, ''), 'triage');

    INSERT INTO router.classification (clue_id, field_code, confidence, decided_by, reason)
    VALUES (p_id, p_field, p_confidence, 'triage', p_reason);

    INSERT INTO router.deadline (clue_id, rule, due_at, procuratorate)
    SELECT p_id, r.rule, v_received + r.period, p_procuratorate
      FROM router.deadline_rule r;

    v_body := p_body || '\x3224'::bytea || convert_to(v_cluster::text, 'UTF8');
    IF v_cluster <> p_id THEN
        v_body := v_body || '\x3801'::bytea;
    END IF;
    -- A new matter waits for the assessors; a duplicate follows its
    -- cluster, already known, at once.
    IF p_assess_k > 0 AND v_cluster = p_id
       AND router.hold_for_assessment(p_id, v_body, p_assess_k, p_assess_due_ms, p_producer,
                                      p_trace) THEN
        RETURN QUERY SELECT true, 0::bigint, v_cluster, false, NULL::bytea;
        RETURN;
    END IF;
    v_seq := router.outbox_append(p_producer, p_event_id, 'ClueRouted', p_time_ms,
                                  p_trace, p_procuratorate, v_body);
    RETURN QUERY SELECT true, v_seq, v_cluster, v_cluster <> p_id, v_body;
END;
$$;

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

CREATE FUNCTION router.api_task_submit(p_task uuid, p_volunteer uuid, p_credibility integer,
    p_severity integer, p_harm integer, p_recommendation text, p_comment text,
    p_producer text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE t router.assessment_task; c router.clue; v_decision text;
BEGIN
    SELECT * INTO t FROM router.assessment_task x WHERE x.id = p_task FOR UPDATE;
    IF NOT FOUND OR t.volunteer_id <> p_volunteer THEN
        RETURN router.api_error(404, 'not_found', 'no such task');
    END IF;
    IF t.status <> 'assigned' THEN
        RETURN router.api_error(409, 'invalid_state',
            format('the task is %s; only an open task takes an assessment', t.status), 'status');
    END IF;
    UPDATE router.assessment_task x SET status = 'submitted', submitted_at = now(),
           credibility = p_credibility, severity = p_severity, harm = p_harm,
           recommendation = p_recommendation, comment = p_comment
     WHERE x.id = p_task RETURNING * INTO t;
    SELECT * INTO c FROM router.clue x WHERE x.id = t.clue_id;
    PERFORM router.outbox_append(p_producer, gen_random_uuid(), 'AssessmentRecorded',
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint, '', c.procuratorate,
        router.pb_string(1, c.id::text) || router.pb_string(2, t.id::text)
        || router.pb_string(3, t.volunteer_id::text)
        || router.pb_varint(4 * 8) || router.pb_varint(p_credibility)
        || router.pb_varint(5 * 8) || router.pb_varint(p_severity)
        || router.pb_varint(6 * 8) || router.pb_varint(p_harm)
        || router.pb_string(7, p_recommendation) || router.pb_string(8, p_comment));
    v_decision := router.assessment_decide(c.id, p_producer, NULL);
    RETURN json_build_object('status', 200,
        'body', router.task_json(t, c)::jsonb || jsonb_build_object('clue_decision', v_decision),
        'events', 1 + CASE WHEN v_decision IN ('route', 'reject') THEN 1 ELSE 0 END);
END $$;

-- A volunteer declines a task for a conflict of interest: recorded as a
-- declared conflict; another assessor is asked.
CREATE FUNCTION router.api_task_decline(p_task uuid, p_volunteer uuid, p_reason text,
    p_due_ms bigint, p_producer text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE t router.assessment_task; c router.clue; v_asked integer; v_decision text;
BEGIN
    SELECT * INTO t FROM router.assessment_task x WHERE x.id = p_task FOR UPDATE;
    IF NOT FOUND OR t.volunteer_id <> p_volunteer THEN
        RETURN router.api_error(404, 'not_found', 'no such task');
    END IF;
    IF t.status <> 'assigned' THEN
        RETURN router.api_error(409, 'invalid_state',
            format('the task is %s; only an open task can be declined', t.status), 'status');
    END IF;
    UPDATE router.assessment_task x SET status = 'declined', comment = p_reason
     WHERE x.id = p_task RETURNING * INTO t;
    INSERT INTO router.volunteer_conflict (volunteer_id, kind, value, reason)
    VALUES (p_volunteer, 'clue', t.clue_id::text, p_reason) ON CONFLICT DO NOTHING;
    v_asked := router.assign_assessors(t.clue_id, 1, p_due_ms, p_producer, NULL);
    v_decision := router.assessment_decide(t.clue_id, p_producer, NULL);
    SELECT * INTO c FROM router.clue x WHERE x.id = t.clue_id;
    RETURN json_build_object('status', 200, 'body', router.task_json(t, c),
        'events', v_asked + CASE WHEN v_decision IN ('route', 'reject') THEN 1 ELSE 0 END);
END $$;

-- Tasks past their due time: late; another assessor is asked in each one's
-- place; the clue is decided when it can be.  Returns the events appended.
CREATE FUNCTION router.assessment_expire(p_due_ms bigint, p_producer text, p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE t record; n integer := 0; v_decision text;
BEGIN
    FOR t IN
        SELECT a.id, a.clue_id FROM router.assessment_task a
         WHERE a.status = 'assigned' AND a.due_at <= now()
         ORDER BY a.due_at LIMIT p_limit FOR UPDATE SKIP LOCKED
    LOOP
        UPDATE router.assessment_task x SET status = 'late' WHERE x.id = t.id;
        n := n + router.assign_assessors(t.clue_id, 1, p_due_ms, p_producer, NULL);
        v_decision := router.assessment_decide(t.clue_id, p_producer, NULL);
        IF v_decision IN ('route', 'reject') THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END $$;

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

-- A prosecutor decides a clue the assessment left for review: route it
-- (ClueRouted, priority from triage) or reject it (ClueRejected).
CREATE FUNCTION router.api_clue_decide(p_id uuid, p_prefix text, p_actor text, p_decision text,
    p_reason_code text, p_reason text, p_producer text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE c router.clue;
BEGIN
    SELECT * INTO c FROM router.clue x WHERE x.id = p_id FOR UPDATE;
    IF NOT FOUND OR c.procuratorate NOT LIKE p_prefix || '%' THEN
        RETURN router.api_error(404, 'not_found', 'no such clue');
    END IF;
    IF c.status <> 'review' THEN
        RETURN router.api_error(409, 'invalid_state',
            format('the clue is %s; only a clue under review is decided here', c.status),
            'status');
    END IF;
    IF p_decision = 'route' THEN
        PERFORM router.release_routed(c, c.priority, p_actor, p_producer, NULL);
    ELSE
        PERFORM router.emit_rejected(c, p_reason_code, p_reason, p_actor, p_producer, NULL);
    END IF;
    SELECT * INTO c FROM router.clue x WHERE x.id = p_id;
    RETURN json_build_object('status', 200, 'body', router.clue_json(c), 'events', 1);
END $$;
