-- The workflow's SQL functions, re-applied whenever this file changes
-- (docs/kit.md, "Repeatable files").  They store what C decided and
-- answer what the API shows; every decision (the review's machine, the
-- round-robin, the case kind) is taken in C (workflow_review, workflow_store,
-- workflow_api) and written here guarded by the state and version it was
-- decided on: a guard that fails raises serialization_failure (40001) and
-- the caller reads and decides again.  Times are the process clock's
-- (p_at_ms), never now().

-- gy_outbox_tx_append's function (common/gy_outbox.h), with the events
-- numbered by the relay (config.sequence_pending): the event waits in
-- workflow.outbox_pending, and no row is shared by concurrent writers.  The
-- result is the pending row's id (never a sequence; the writers ignore it).
CREATE OR REPLACE FUNCTION workflow.outbox_append(p_producer text, p_event_id uuid, p_type text,
    p_time_ms bigint, p_trace text, p_procuratorate text, p_body bytea)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_id bigint;
BEGIN
    -- plpgsql keeps the INSERT's plan for the session; an SQL function
    -- would parse and plan it on every call.
    INSERT INTO workflow.outbox_pending (producer, event_id, type, time_ms, trace_id,
                                         procuratorate, body)
    VALUES (p_producer, p_event_id, p_type, p_time_ms, p_trace, p_procuratorate, p_body)
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- The relay's numbering (gy_outbox.h): up to p_limit pending events of the
-- producer, oldest id first, move into workflow.outbox with the next
-- sequences, under the producer row's lock; the newest sequence is returned.
-- A pending row is visible here only once its transaction committed, and an
-- event committed after another has the larger id, so none is numbered
-- before an event that committed ahead of it.
CREATE OR REPLACE FUNCTION workflow.outbox_sequence(p_producer text, p_limit integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_last bigint;
        v_moved bigint;
BEGIN
    INSERT INTO workflow.producer (producer) VALUES (p_producer) ON CONFLICT DO NOTHING;
    SELECT pr.last_sequence INTO v_last FROM workflow.producer pr
     WHERE pr.producer = p_producer FOR UPDATE;
    WITH moved AS (
        DELETE FROM workflow.outbox_pending o
         WHERE o.id IN (SELECT p.id FROM workflow.outbox_pending p
                         WHERE p.producer = p_producer ORDER BY p.id LIMIT p_limit)
        RETURNING o.*)
    INSERT INTO workflow.outbox (producer, sequence, event_id, type, created_at, time_ms,
                                 trace_id, procuratorate, body)
    SELECT m.producer, v_last + row_number() OVER (ORDER BY m.id), m.event_id, m.type,
           m.created_at, m.time_ms, m.trace_id, m.procuratorate, m.body
      FROM moved m;
    GET DIAGNOSTICS v_moved = ROW_COUNT;
    IF v_moved > 0 THEN
        UPDATE workflow.producer SET last_sequence = v_last + v_moved
         WHERE producer = p_producer;
    END IF;
    RETURN v_last + v_moved;
END $$;

CREATE OR REPLACE FUNCTION workflow.at(p_ms bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT to_timestamp(p_ms / 1000.0)
$$;

-- ---- the consumer (workflow_store) ----

-- What the consumer reads before it decides: the reviews of the clues an
-- event names, and the rotation of a procuratorate.
CREATE OR REPLACE FUNCTION workflow.review_state(p_clues uuid[]) RETURNS TABLE (clue_id uuid,
    state text, version integer, procuratorate text, field_code text, case_kinds text,
    cluster_id uuid, origin_producer text, origin_reference text)
LANGUAGE sql STABLE AS $$
    SELECT r.clue_id, r.state, r.version, r.procuratorate, r.field_code, r.case_kinds,
           r.cluster_id, r.origin_producer, r.origin_reference
      FROM workflow.review r WHERE r.clue_id = ANY (p_clues)
$$;

CREATE OR REPLACE FUNCTION workflow.rotation_state(p_procuratorate text) RETURNS TABLE (
    prosecutors json, "position" integer, version integer)
LANGUAGE sql STABLE AS $$
    SELECT to_json(r.prosecutors), r.position, r.version FROM workflow.rotation r
     WHERE r.procuratorate = p_procuratorate
$$;

-- A routed clue, new here (a second ClueRouted of the same clue fails on
-- the primary key: the consumer reads again and passes it over).
-- p_review is jsonb: parsed once, not lexed again for every ->>.
CREATE OR REPLACE FUNCTION workflow.review_insert(p_review jsonb, p_at_ms bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO workflow.review (clue_id, cluster_id, procuratorate, queue, field_code,
        case_kinds, priority, assignee, state, origin_producer, origin_reference,
        source_producer, source_sequence, routed_at, updated_at)
    VALUES ((p_review->>'clue_id')::uuid, (p_review->>'cluster_id')::uuid,
        p_review->>'procuratorate', p_review->>'queue', p_review->>'field_code',
        p_review->>'case_kinds', (p_review->>'priority')::integer,
        NULLIF(p_review->>'assignee', ''), p_review->>'state',
        p_review->>'origin_producer', p_review->>'origin_reference',
        p_review->>'source_producer', (p_review->>'source_sequence')::bigint,
        workflow.at(p_at_ms), workflow.at(p_at_ms));
    INSERT INTO workflow.review_history (clue_id, event, from_state, to_state, procuratorate,
        actor, reason, detail, at)
    VALUES ((p_review->>'clue_id')::uuid, 'route', NULL, p_review->>'state',
        p_review->>'procuratorate', 'router', '',
        json_build_object('queue', p_review->>'queue', 'assignee',
                          NULLIF(p_review->>'assignee', '')),
        workflow.at(p_at_ms));
END $$;

-- The next prosecutor of a rotation was given a review: its position moves
-- on, guarded by the version read.
CREATE OR REPLACE FUNCTION workflow.rotation_advance(p_procuratorate text, p_version integer,
    p_position integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workflow.rotation r SET position = p_position, version = r.version + 1
     WHERE r.procuratorate = p_procuratorate AND r.version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'rotation of % changed since it was read', p_procuratorate
              USING ERRCODE = 'serialization_failure';
    END IF;
END $$;

-- The clues of a cluster now (ClusterChanged): the review keeps the
-- router's cluster, so the queue shows a matter's clues together.
CREATE OR REPLACE FUNCTION workflow.review_cluster(p_cluster uuid, p_clues uuid[], p_actor text,
    p_reason text, p_at_ms bigint) RETURNS void LANGUAGE sql AS $$
    WITH changed AS (
        UPDATE workflow.review r SET cluster_id = p_cluster, updated_at = workflow.at(p_at_ms)
         WHERE r.clue_id = ANY (p_clues) AND r.cluster_id <> p_cluster
        RETURNING r.clue_id, r.state, r.procuratorate)
    INSERT INTO workflow.review_history (clue_id, event, from_state, to_state, procuratorate,
        actor, reason, detail, at)
    SELECT c.clue_id, 'cluster', c.state, c.state, c.procuratorate, p_actor, p_reason,
           json_build_object('cluster_id', p_cluster), workflow.at(p_at_ms)
      FROM changed c
$$;

-- ---- steps of a review (the consumer's transfers, the API's decisions) ----

-- One step from p_state at p_version to p_next, with what it changes
-- (p_change: procuratorate, assignee ("" clears it), case_id, reason,
-- public_reason; absent keys keep their value).  Answers nothing: the
-- caller reads the review afterwards in the same transaction.
CREATE OR REPLACE FUNCTION workflow.review_step(p_clue uuid, p_state text, p_version integer,
    p_next text, p_event text, p_actor text, p_reason text, p_change jsonb, p_at_ms bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE r workflow.review;
BEGIN
    UPDATE workflow.review x SET state = p_next, version = x.version + 1,
           procuratorate = coalesce(p_change->>'procuratorate', x.procuratorate),
           queue = CASE WHEN p_change->>'procuratorate' IS NULL THEN x.queue ELSE 'handling' END,
           assignee = CASE WHEN p_change->'assignee' IS NULL THEN x.assignee
                           ELSE NULLIF(p_change->>'assignee', '') END,
           case_id = coalesce((p_change->>'case_id')::uuid, x.case_id),
           reason = coalesce(p_change->>'reason', x.reason),
           public_reason = coalesce(p_change->>'public_reason', x.public_reason),
           updated_at = workflow.at(p_at_ms)
     WHERE x.clue_id = p_clue AND x.state = p_state AND x.version = p_version
    RETURNING * INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'review of clue % changed since it was read', p_clue
              USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO workflow.review_history (clue_id, event, from_state, to_state, procuratorate,
        actor, reason, detail, at)
    VALUES (p_clue, p_event, p_state, p_next, r.procuratorate, p_actor, coalesce(p_reason, ''),
            p_change::json, workflow.at(p_at_ms));
END $$;

-- A case opened from a clue (立案): the case and its first clue.
CREATE OR REPLACE FUNCTION workflow.case_open(p_case jsonb, p_clue uuid, p_actor text,
    p_at_ms bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO workflow."case" (id, kind, procuratorate, field_code, state, harm_ongoing,
        heroes, title, opened_by, opened_at, updated_at)
    VALUES ((p_case->>'id')::uuid, p_case->>'kind', p_case->>'procuratorate',
        p_case->>'field_code', 'opened', (p_case->>'harm_ongoing')::boolean,
        (p_case->>'heroes')::boolean, p_case->>'title', p_actor, workflow.at(p_at_ms),
        workflow.at(p_at_ms));
    INSERT INTO workflow.case_clue (clue_id, case_id, how, linked_by, linked_at)
    VALUES (p_clue, (p_case->>'id')::uuid, 'opened', p_actor, workflow.at(p_at_ms));
$$;

-- A clue joined to a case, guarded by the case's state and version read.
CREATE OR REPLACE FUNCTION workflow.case_join(p_case uuid, p_state text, p_version integer,
    p_clue uuid, p_actor text, p_at_ms bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workflow."case" c SET version = c.version + 1, updated_at = workflow.at(p_at_ms)
     WHERE c.id = p_case AND c.state = p_state AND c.version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'case % changed since it was read', p_case
              USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO workflow.case_clue (clue_id, case_id, how, linked_by, linked_at)
    VALUES (p_clue, p_case, 'joined', p_actor, workflow.at(p_at_ms));
END $$;

-- What the API reads before it decides.
CREATE OR REPLACE FUNCTION workflow.review_read(p_clue uuid) RETURNS TABLE (state text,
    version integer, procuratorate text, field_code text, case_kinds text, cluster_id uuid,
    assignee text, origin_producer text, origin_reference text)
LANGUAGE sql STABLE AS $$
    SELECT r.state, r.version, r.procuratorate, r.field_code, r.case_kinds, r.cluster_id,
           coalesce(r.assignee, ''), r.origin_producer, r.origin_reference
      FROM workflow.review r WHERE r.clue_id = p_clue
$$;

CREATE OR REPLACE FUNCTION workflow.case_read(p_case uuid) RETURNS TABLE (kind text,
    procuratorate text, field_code text, state text, version integer, clue_ids text,
    origins text)
LANGUAGE sql STABLE AS $$
    SELECT c.kind, c.procuratorate, c.field_code, c.state, c.version,
           (SELECT string_agg(l.clue_id::text, ',' ORDER BY l.linked_at, l.clue_id)
              FROM workflow.case_clue l WHERE l.case_id = c.id), ''
      FROM workflow."case" c WHERE c.id = p_case
$$;

-- ---- what the API shows ----

-- The other clues of a review's cluster that the caller may see, with
-- their state and case: a matter's clues shown together.
CREATE OR REPLACE FUNCTION workflow.siblings_json(p_clue uuid, p_cluster uuid, p_prefix text)
RETURNS json LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_object('clue_id', s.clue_id, 'state', s.state,
                                               'procuratorate', s.procuratorate,
                                               'assignee', s.assignee, 'case_id', s.case_id)
                             ORDER BY s.routed_at, s.clue_id), '[]'::json)
      FROM workflow.review s
     WHERE s.cluster_id = p_cluster AND s.clue_id <> p_clue
       AND s.procuratorate LIKE p_prefix || '%'
$$;

CREATE OR REPLACE FUNCTION workflow.review_json(r workflow.review, p_prefix text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'clue_id', r.clue_id, 'state', r.state, 'version', r.version,
        'procuratorate', r.procuratorate, 'queue', r.queue, 'field_code', r.field_code,
        'case_kinds', r.case_kinds, 'priority', r.priority, 'assignee', r.assignee,
        'case_id', r.case_id, 'reason', r.reason, 'public_reason', r.public_reason,
        'routed_at', r.routed_at, 'updated_at', r.updated_at,
        'cluster', json_build_object('id', r.cluster_id,
                                     'siblings', workflow.siblings_json(r.clue_id, r.cluster_id,
                                                                        p_prefix)))
$$;

-- One page of a queue in scope: under review, all of them, the caller's
-- (mine) or nobody's (unassigned); oldest first, after the keyset cursor.
CREATE OR REPLACE FUNCTION workflow.api_reviews(p_prefix text, p_queue text, p_subject text,
    p_after_at timestamptz, p_after_id uuid, p_limit integer)
RETURNS json LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT r FROM workflow.review r
         WHERE r.state = 'under_review' AND r.procuratorate LIKE p_prefix || '%'
           AND (p_queue = 'all' OR (p_queue = 'mine' AND r.assignee = p_subject)
                OR (p_queue = 'unassigned' AND r.assignee IS NULL))
           AND (p_after_at IS NULL OR (r.routed_at, r.clue_id) > (p_after_at, p_after_id))
         ORDER BY r.routed_at, r.clue_id
         LIMIT p_limit)
    SELECT json_build_object(
        'items', coalesce(json_agg(workflow.review_json(page.r, p_prefix)
                                   ORDER BY (page.r).routed_at, (page.r).clue_id), '[]'::json),
        'next', CASE WHEN count(*) = p_limit THEN
            (array_agg(floor(extract(epoch FROM (page.r).routed_at) * 1000000)::bigint::text
                       || '.' || (page.r).clue_id::text
                       ORDER BY (page.r).routed_at DESC, (page.r).clue_id DESC))[1] END)
      FROM page
$$;

-- A review with its history, or NULL when it is not in the caller's scope.
CREATE OR REPLACE FUNCTION workflow.api_review(p_clue uuid, p_prefix text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'review', workflow.review_json(r, p_prefix),
        'history', (SELECT coalesce(json_agg(json_build_object(
                'event', h.event, 'from_state', h.from_state, 'to_state', h.to_state,
                'procuratorate', h.procuratorate, 'actor', h.actor, 'reason', h.reason,
                'detail', h.detail, 'at', h.at) ORDER BY h.id), '[]'::json)
              FROM workflow.review_history h WHERE h.clue_id = r.clue_id))
      FROM workflow.review r
     WHERE r.clue_id = p_clue AND r.procuratorate LIKE p_prefix || '%'
$$;

-- A case with its clues.
CREATE OR REPLACE FUNCTION workflow.case_json(c workflow."case") RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', c.id, 'kind', c.kind, 'procuratorate', c.procuratorate,
        'field_code', c.field_code, 'state', c.state, 'version', c.version,
        'suspended_from', c.suspended_from, 'harm_ongoing', c.harm_ongoing,
        'heroes', c.heroes, 'title', c.title, 'opened_by', c.opened_by,
        'opened_at', c.opened_at, 'updated_at', c.updated_at,
        'clues', (SELECT coalesce(json_agg(json_build_object(
                'clue_id', l.clue_id, 'how', l.how, 'linked_by', l.linked_by,
                'linked_at', l.linked_at) ORDER BY l.linked_at, l.clue_id), '[]'::json)
              FROM workflow.case_clue l WHERE l.case_id = c.id))
$$;

-- A case as the API shows it and the cases' queues: R__cases.sql.

-- The rotation of a procuratorate, replaced by its chief (an empty list
-- turns round-robin off there: new reviews wait in the queue).
CREATE OR REPLACE FUNCTION workflow.rotation_set(p_procuratorate text, p_prosecutors text[],
    p_actor text, p_at_ms bigint) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(p_prosecutors) = 0 THEN
        DELETE FROM workflow.rotation WHERE procuratorate = p_procuratorate;
    ELSE
        INSERT INTO workflow.rotation AS r (procuratorate, prosecutors, position, updated_by,
                                            updated_at)
        VALUES (p_procuratorate, p_prosecutors, 0, p_actor, workflow.at(p_at_ms))
        ON CONFLICT (procuratorate) DO UPDATE SET prosecutors = EXCLUDED.prosecutors,
            position = 0, version = r.version + 1, updated_by = EXCLUDED.updated_by,
            updated_at = EXCLUDED.updated_at;
    END IF;
    RETURN workflow.api_rotation(p_procuratorate);
END $$;

CREATE OR REPLACE FUNCTION workflow.api_rotation(p_procuratorate text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('procuratorate', p_procuratorate,
        'prosecutors', coalesce((SELECT to_json(r.prosecutors) FROM workflow.rotation r
                                  WHERE r.procuratorate = p_procuratorate), '[]'::json),
        'next', (SELECT r.prosecutors[r.position + 1] FROM workflow.rotation r
                  WHERE r.procuratorate = p_procuratorate))
$$;
