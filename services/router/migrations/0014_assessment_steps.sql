-- Assessment decided in C (router_assess.c): a task's step (submit,
-- decline, expire) is looked up in the task machine, the clue's outcome
-- (route, reject, review, or wait) is computed from its tasks by
-- router_assess_decide, a prosecutor's review by the clue machine, and
-- every event (AssessmentRequested, AssessmentRecorded, ClueRouted,
-- ClueRejected) is packed from the generated code.  The functions here read
-- and write; the writes are guarded by the state and version read
-- (serialization_failure when either moved: the router reads again).

ALTER TABLE router.assessment_task ADD COLUMN version integer NOT NULL DEFAULT 0;

-- A clue as a decision about its assessment needs it.
CREATE FUNCTION router.assess_clue_state(p_clue uuid) RETURNS TABLE (id uuid, status text,
    version integer, assess_k integer, priority integer, procuratorate text, field_code text,
    routed_body bytea, origin_producer text, origin_reference text)
LANGUAGE sql STABLE AS $$
    SELECT c.id, c.status, c.version, coalesce(c.assess_k, 0), c.priority,
           c.procuratorate::text, c.field_code, c.routed_body, c.origin_producer,
           c.origin_reference
      FROM router.clue c WHERE c.id = p_clue
$$;

-- A task and its volunteer.
CREATE FUNCTION router.assess_task_state(p_task uuid) RETURNS TABLE (clue_id uuid, status text,
    version integer, volunteer_id uuid)
LANGUAGE sql STABLE AS $$
    SELECT t.clue_id, t.status, t.version, t.volunteer_id
      FROM router.assessment_task t WHERE t.id = p_task
$$;

-- Every task of a clue, for the quorum.
CREATE FUNCTION router.assess_tasks(p_clue uuid) RETURNS TABLE (id uuid, status text,
    recommendation text, severity integer, harm integer)
LANGUAGE sql STABLE AS $$
    SELECT t.id, t.status, t.recommendation, t.severity::integer, t.harm::integer
      FROM router.assessment_task t WHERE t.clue_id = p_clue ORDER BY t.assigned_at, t.id
$$;

-- Who may assess a clue (described by its fields: it need not be stored
-- yet): appointed and in term, with the assessor role and the clue's field
-- among their expertise, of the clue's city (or province, for a clue
-- without one), never the reporter, with no declared conflict, not asked
-- before for this clue.  Least loaded (open tasks) first, then at random;
-- at most p_limit, with their load, so that the router can spread a batch.
CREATE FUNCTION router.assessor_candidates(p_clue uuid, p_field text, p_city text,
    p_procuratorate text, p_reporter text, p_region text, p_text text, p_limit integer)
RETURNS TABLE (volunteer_id uuid, procuratorate text, load bigint)
LANGUAGE sql STABLE AS $$
    SELECT vo.id, vo.procuratorate::text, l.n
      FROM router.volunteer vo
     CROSS JOIN LATERAL (SELECT count(*) AS n FROM router.assessment_task a
                          WHERE a.volunteer_id = vo.id AND a.status = 'assigned') l
     WHERE vo.status = 'appointed'
       AND current_date BETWEEN vo.term_start AND vo.term_end
       AND 'assessor' = ANY (vo.roles)
       AND p_field = ANY (vo.expertise)
       AND (CASE WHEN p_city <> '' THEN vo.city = p_city
                 ELSE vo.procuratorate LIKE left(p_procuratorate, 2) || '%' END)
       AND vo.id::text IS DISTINCT FROM nullif(p_reporter, '')
       AND NOT EXISTS (SELECT 1 FROM router.volunteer_conflict k
                        WHERE k.volunteer_id = vo.id
                          AND ((k.kind = 'clue' AND k.value = p_clue::text)
                            OR (k.kind = 'region' AND k.value = p_region)
                            OR (k.kind = 'keyword' AND strpos(p_text, k.value) > 0)))
       AND NOT EXISTS (SELECT 1 FROM router.assessment_task a
                        WHERE a.clue_id = p_clue AND a.volunteer_id = vo.id)
     ORDER BY l.n, random()
     LIMIT p_limit
$$;

-- The same for a stored clue.
CREATE FUNCTION router.assessors_for(p_clue uuid, p_limit integer)
RETURNS TABLE (volunteer_id uuid, procuratorate text, load bigint)
LANGUAGE sql STABLE AS $$
    SELECT a.* FROM router.clue c,
           LATERAL router.assessor_candidates(c.id, c.field_code, c.city, c.procuratorate::text,
               coalesce(c.reporter_subject, ''), c.region_code, c.title || c.description,
               p_limit) a
     WHERE c.id = p_clue
$$;

-- The clue moves on only from the status and version read.
CREATE FUNCTION router.clue_guard(p_clue uuid, p_status text, p_version integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE router.clue c SET version = c.version + 1
     WHERE c.id = p_clue AND c.status = p_status AND c.version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'clue % changed since it was read', p_clue
              USING ERRCODE = 'serialization_failure';
    END IF;
END $$;

-- The outcome decided in C: routed (with the priority it was packed
-- with), rejected, or left for review.
CREATE FUNCTION router.clue_outcome(p_clue uuid, p_status text, p_priority integer,
    p_decided_by text) RETURNS void LANGUAGE sql AS $$
    UPDATE router.clue c SET status = p_status, decided_by = p_decided_by,
           priority = CASE WHEN p_status = 'routed' THEN p_priority ELSE c.priority END,
           routed_at = CASE WHEN p_status = 'routed' THEN now() ELSE c.routed_at END
     WHERE c.id = p_clue
$$;

-- A task's step from the status and version read.  A submission keeps the
-- assessment; a decline its reason (and the volunteer's conflict with the
-- clue, so they are not asked again).
CREATE FUNCTION router.task_step(p_task uuid, p_status text, p_version integer, p_next text,
    p_credibility integer, p_severity integer, p_harm integer, p_recommendation text,
    p_comment text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t router.assessment_task;
BEGIN
    UPDATE router.assessment_task x SET status = p_next, version = x.version + 1,
           submitted_at = CASE WHEN p_next = 'submitted' THEN now() END,
           credibility = p_credibility, severity = p_severity, harm = p_harm,
           recommendation = p_recommendation,
           comment = CASE WHEN p_next = 'late' THEN x.comment ELSE p_comment END
     WHERE x.id = p_task AND x.status = p_status AND x.version = p_version
    RETURNING * INTO t;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % changed since it was read', p_task
              USING ERRCODE = 'serialization_failure';
    END IF;
    IF p_next = 'declined' THEN
        INSERT INTO router.volunteer_conflict (volunteer_id, kind, value, reason)
        VALUES (t.volunteer_id, 'clue', t.clue_id::text, p_comment) ON CONFLICT DO NOTHING;
    END IF;
END $$;

-- A new task and its AssessmentRequested (packed in C).  Nothing when the
-- volunteer was asked for this clue already (a retried batch).
CREATE FUNCTION router.task_insert(p_id uuid, p_clue uuid, p_volunteer uuid, p_due_ms bigint,
    p_producer text, p_event_id uuid, p_time_ms bigint, p_trace text, p_procuratorate text,
    p_body bytea) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO router.assessment_task (id, clue_id, volunteer_id, due_at)
    VALUES (p_id, p_clue, p_volunteer, to_timestamp(p_due_ms / 1000.0))
    ON CONFLICT (clue_id, volunteer_id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    RETURN router.outbox_append(p_producer, p_event_id, 'AssessmentRequested', p_time_ms,
                                p_trace, p_procuratorate, p_body);
END $$;

-- The answers, read after the writes of the same transaction.
CREATE FUNCTION router.task_answer(p_task uuid, p_decision text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT (router.task_json(t, c)::jsonb
            || jsonb_build_object('clue_decision', nullif(p_decision, '')))::json
      FROM router.assessment_task t JOIN router.clue c ON c.id = t.clue_id
     WHERE t.id = p_task
$$;

CREATE FUNCTION router.clue_answer(p_clue uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT router.clue_json(c) FROM router.clue c WHERE c.id = p_clue
$$;

-- Tasks past their due time by the router's clock (common/gy_clock, which
-- made the due times; 0010_assessment_expire_clock), oldest first.
CREATE FUNCTION router.tasks_due(p_now_ms bigint, p_limit integer) RETURNS TABLE (id uuid)
LANGUAGE sql STABLE AS $$
    SELECT a.id FROM router.assessment_task a
     WHERE a.status = 'assigned' AND a.due_at <= to_timestamp(p_now_ms / 1000.0)
     ORDER BY a.due_at LIMIT p_limit
$$;

-- Holding a new matter (route_clue_packed, 0012) marks it; the tasks are
-- router.task_insert statements of the same transaction.
DROP FUNCTION IF EXISTS router.api_task_submit(uuid, uuid, integer, integer, integer, text, text, text);
DROP FUNCTION IF EXISTS router.api_task_decline(uuid, uuid, text, bigint, text);
DROP FUNCTION IF EXISTS router.api_clue_decide(uuid, text, text, text, text, text, text);
DROP FUNCTION IF EXISTS router.assessment_expire(bigint, bigint, text, integer);
DROP FUNCTION IF EXISTS router.assessment_decide(uuid, text, text);
DROP FUNCTION IF EXISTS router.hold_for_assessment(uuid, bytea, integer, bigint, text, text);
DROP FUNCTION IF EXISTS router.assign_assessors(uuid, integer, bigint, text, text);
DROP FUNCTION IF EXISTS router.release_routed(router.clue, integer, text, text, text);
DROP FUNCTION IF EXISTS router.emit_rejected(router.clue, text, text, text, text, text);
DROP FUNCTION IF EXISTS router.emit_assessment_requested(text, text, router.assessment_task, router.clue,
                                               text);

-- Nothing builds protobuf in SQL any more (DESIGN.md, "events packed only
-- in C"): the encoders that the released 0003 created (router.pb_*) go
-- where they exist; a fresh database never had them.  By the catalog, so
-- that no migration names them.
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
              WHERE p.pronamespace = 'router'::regnamespace AND p.proname LIKE 'pb\_%'
    LOOP
        EXECUTE format('DROP FUNCTION %s', f);
    END LOOP;
END $$;
