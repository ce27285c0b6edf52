-- The router's functions as they are now, re-applied whenever this file
-- changes (docs/kit.md, "Migrations"): changing a function is an edit here.
-- Written to be re-run: CREATE OR REPLACE; a changed signature or result
-- type needs DROP FUNCTION IF EXISTS before it (and the callers' statements
-- changed in the same commit).  Kept in the order the numbered migrations
-- made them, so that SQL functions find the functions they call.  Numbered
-- migrations keep tables, indexes, triggers and data; those released
-- before this file still create some of these functions, which this file
-- then replaces by the same or a newer text on every database.

-- ---- as written by 0001_router.sql ----
CREATE OR REPLACE FUNCTION router.outbox_append(p_producer text, p_event_id uuid,
    p_type text, p_time_ms bigint, p_trace text, p_procuratorate text,
    p_body bytea) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_seq bigint;
BEGIN
    INSERT INTO router.producer AS pr (producer, last_sequence)
         VALUES (p_producer, 1)
    ON CONFLICT (producer) DO UPDATE SET last_sequence = pr.last_sequence + 1
    RETURNING pr.last_sequence INTO v_seq;
    INSERT INTO router.outbox (producer, sequence, event_id, type, time_ms,
                               trace_id, procuratorate, body)
    VALUES (p_producer, v_seq, p_event_id, p_type, p_time_ms, p_trace,
            p_procuratorate, p_body);
    RETURN v_seq;
END $$;

-- Great-circle distance in km (haversine), as router_distance_km.
CREATE OR REPLACE FUNCTION router.distance_km(lat1 double precision, lon1 double precision,
    lat2 double precision, lon2 double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT 2 * 6371.0088 * asin(least(1.0, sqrt(
        sin(radians(lat2 - lat1) / 2) ^ 2 +
        cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ^ 2)))
$$;

-- ---- as written by 0002_volunteers.sql ----
CREATE OR REPLACE FUNCTION router.api_error(p_status integer, p_code text, p_message text,
    p_field text DEFAULT NULL) RETURNS json LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('status', p_status, 'body',
        json_build_object('error', json_build_object('code', p_code, 'message', p_message,
                                                     'field', p_field)))
$$;

-- A volunteer as the registry shows it to those who manage it (no personal data).
CREATE OR REPLACE FUNCTION router.volunteer_json(v router.volunteer) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', v.id, 'login', v.login, 'status', v.status,
        'procuratorate', v.procuratorate, 'city', v.city,
        'expertise', to_json(v.expertise), 'roles', to_json(v.roles),
        'statement', v.statement, 'certificate_no', v.certificate_no,
        'term_start', v.term_start, 'term_end', v.term_end,
        'term_expired', v.term_end IS NOT NULL AND v.term_end < current_date,
        'applied_at', v.applied_at, 'updated_at', v.updated_at)
$$;

-- The id is made in C (0015: the VolunteerChanged of the application
-- names it, packed before the insert).
DROP FUNCTION IF EXISTS router.api_apply(text, text, bytea, text, text, json, json, text);
CREATE OR REPLACE FUNCTION router.api_apply(p_id uuid, p_login text, p_password_hash text,
    p_person bytea, p_procuratorate text, p_city text, p_expertise json, p_roles json,
    p_statement text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE v_id uuid;
BEGIN
    INSERT INTO router.volunteer (id, login, password_hash, person_sealed, procuratorate, city,
                                  expertise, roles, statement)
    VALUES (p_id, p_login, p_password_hash, p_person, p_procuratorate, p_city,
            ARRAY(SELECT json_array_elements_text(p_expertise)),
            ARRAY(SELECT json_array_elements_text(p_roles)), p_statement)
    ON CONFLICT (login) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RETURN router.api_error(409, 'login_taken', 'this login is already registered', 'login');
    END IF;
    RETURN json_build_object('status', 201, 'body',
                             json_build_object('id', v_id, 'status', 'applied'));
END $$;

-- What login needs to decide; the password is checked in C (argon2id).
CREATE OR REPLACE FUNCTION router.login_lookup(p_login text)
RETURNS TABLE (id uuid, password_hash text, status text, procuratorate text,
               term_ok boolean) LANGUAGE sql STABLE AS $$
    SELECT v.id, v.password_hash, v.status, v.procuratorate::text,
           v.term_start <= current_date AND v.term_end >= current_date
      FROM router.volunteer v WHERE v.login = p_login
$$;

-- One page of volunteers within the caller's jurisdiction (procuratorate
-- codes starting with p_prefix), oldest application first, after the
-- keyset cursor (p_after_at, p_after_id) when given.
CREATE OR REPLACE FUNCTION router.api_volunteers(p_prefix text, p_status text,
    p_after_at timestamptz, p_after_id uuid, p_limit integer)
RETURNS json LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT v FROM router.volunteer v
         WHERE v.procuratorate LIKE p_prefix || '%'
           AND (p_status IS NULL OR v.status = p_status)
           AND (p_after_at IS NULL OR (v.applied_at, v.id) > (p_after_at, p_after_id))
         ORDER BY v.applied_at, v.id
         LIMIT p_limit)
    SELECT json_build_object('status', 200, 'body', json_build_object(
        'items', coalesce(json_agg(router.volunteer_json(page.v)
                                   ORDER BY (page.v).applied_at, (page.v).id), '[]'::json),
        -- the cursor of the next page: the last row's keyset, when the page is full
        'next', CASE WHEN count(*) = p_limit THEN
            (array_agg(floor(extract(epoch FROM (page.v).applied_at) * 1000000)::bigint::text
                       || '.' || (page.v).id::text
                       ORDER BY (page.v).applied_at DESC, (page.v).id DESC))[1] END))
      FROM page
$$;

-- One volunteer with their personal data (sealed; router_api.c opens it),
-- logging the access in the same transaction.  p_prefix NULL: the
-- volunteer themself (p_self_id).
CREATE OR REPLACE FUNCTION router.api_volunteer(p_id uuid, p_prefix text, p_subject text, p_role text,
    p_procuratorate text)
RETURNS TABLE (answer json, person bytea) LANGUAGE plpgsql AS $$
DECLARE v router.volunteer;
BEGIN
    SELECT * INTO v FROM router.volunteer x WHERE x.id = p_id;
    IF NOT FOUND OR (p_prefix IS NOT NULL AND v.procuratorate NOT LIKE p_prefix || '%')
       OR (p_prefix IS NULL AND p_subject <> p_id::text) THEN
        RETURN QUERY SELECT router.api_error(404, 'not_found', 'no such volunteer'), NULL::bytea;
        RETURN;
    END IF;
    INSERT INTO router.personal_data_access (object_kind, object_id, subject, role, procuratorate)
    VALUES ('volunteer', v.id, p_subject, p_role, p_procuratorate);
    RETURN QUERY SELECT json_build_object('status', 200, 'body', router.volunteer_json(v)),
                        v.person_sealed;
END $$;

-- A change of standing by someone whose jurisdiction covers the volunteer:
-- appoint (with certificate and term; roles and expertise may be
-- adjusted), reject, suspend, reinstate, dismiss.  The transition table
-- decides what is allowed.
CREATE OR REPLACE FUNCTION router.api_volunteer_action(p_id uuid, p_prefix text, p_actor text,
    p_action text, p_reason text, p_certificate text, p_term_start date, p_term_end date,
    p_roles json, p_expertise json)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE v router.volunteer; v_from text; v_to text;
BEGIN
    SELECT * INTO v FROM router.volunteer x WHERE x.id = p_id FOR UPDATE;
    IF NOT FOUND OR v.procuratorate NOT LIKE p_prefix || '%' THEN
        RETURN router.api_error(404, 'not_found', 'no such volunteer');
    END IF;
    v_from := v.status;
    SELECT t.to_status INTO v_to FROM router.volunteer_transition t
     WHERE t.from_status = v.status AND t.action = p_action;
    IF v_to IS NULL THEN
        RETURN router.api_error(409, 'invalid_state',
            format('a volunteer who is %s cannot be given "%s"', v.status, p_action), 'status');
    END IF;
    IF p_action = 'appoint' THEN
        IF EXISTS (SELECT 1 FROM router.volunteer x
                    WHERE x.certificate_no = p_certificate AND x.id <> p_id) THEN
            RETURN router.api_error(409, 'certificate_taken',
                'this certificate number belongs to another volunteer', 'certificate_no');
        END IF;
        UPDATE router.volunteer x SET
            certificate_no = p_certificate, term_start = p_term_start, term_end = p_term_end,
            roles = CASE WHEN p_roles IS NULL THEN x.roles
                         ELSE ARRAY(SELECT json_array_elements_text(p_roles)) END,
            expertise = CASE WHEN p_expertise IS NULL THEN x.expertise
                             ELSE ARRAY(SELECT json_array_elements_text(p_expertise)) END
         WHERE x.id = p_id;
    END IF;
    UPDATE router.volunteer x SET status = v_to, updated_at = now(), version = x.version + 1
     WHERE x.id = p_id
    RETURNING * INTO v;
    INSERT INTO router.volunteer_history (volunteer_id, action, from_status, to_status, actor, reason)
    VALUES (p_id, p_action, v_from, v_to, p_actor, coalesce(p_reason, ''));
    RETURN json_build_object('status', 200, 'body', router.volunteer_json(v));
END $$;

-- ---- as written by 0003_clue_api.sql ----
CREATE OR REPLACE FUNCTION router.clue_json(c router.clue) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', c.id, 'title', c.title, 'description', c.description,
        'region_code', c.region_code, 'lat', c.lat, 'lon', c.lon,
        'field_code', c.field_code, 'field_confidence', c.field_confidence,
        'reporter_field_code', c.reporter_field_code, 'major', c.major,
        'procuratorate', c.procuratorate, 'city', c.city, 'queue', c.queue, 'rule', c.rule,
        'priority', c.priority, 'cluster_id', c.cluster_id, 'status', c.status,
        'received_at', c.received_at, 'routed_at', c.routed_at)
$$;

-- One page of the clues in scope, optionally of one queue, oldest routing
-- first, after the keyset cursor.
CREATE OR REPLACE FUNCTION router.api_clues(p_prefix text, p_queue text, p_after_at timestamptz,
    p_after_id uuid, p_limit integer)
RETURNS json LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT c FROM router.clue c
         WHERE c.procuratorate LIKE p_prefix || '%'
           AND (p_queue IS NULL OR c.queue = p_queue)
           AND (p_after_at IS NULL OR (c.routed_at, c.id) > (p_after_at, p_after_id))
         ORDER BY c.routed_at, c.id
         LIMIT p_limit)
    SELECT json_build_object('status', 200, 'body', json_build_object(
        'items', coalesce(json_agg(router.clue_json(page.c)
                                   ORDER BY (page.c).routed_at, (page.c).id), '[]'::json),
        'next', CASE WHEN count(*) = p_limit THEN
            (array_agg(floor(extract(epoch FROM (page.c).routed_at) * 1000000)::bigint::text
                       || '.' || (page.c).id::text
                       ORDER BY (page.c).routed_at DESC, (page.c).id DESC))[1] END))
      FROM page
$$;

CREATE OR REPLACE FUNCTION router.api_reclassify(p_id uuid, p_prefix text, p_actor text, p_field text,
    p_reason text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE c router.clue;
BEGIN
    SELECT * INTO c FROM router.clue x WHERE x.id = p_id FOR UPDATE;
    IF NOT FOUND OR c.procuratorate NOT LIKE p_prefix || '%' THEN
        RETURN router.api_error(404, 'not_found', 'no such clue');
    END IF;
    UPDATE router.clue x SET field_code = p_field, field_confidence = 1
     WHERE x.id = p_id RETURNING * INTO c;
    INSERT INTO router.classification (clue_id, field_code, confidence, decided_by, reason)
    VALUES (p_id, p_field, NULL, p_actor, p_reason);
    RETURN json_build_object('status', 200, 'body', router.clue_json(c));
END $$;

-- The city above a procuratorate ('' for a province or the root).
CREATE OR REPLACE FUNCTION router.city_of(p_code text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN right(p_code, 4) = '0000' THEN ''
                ELSE left(p_code, 4) || '00' END
$$;

-- The lowest procuratorate above (or equal to) both: the same city's, the
-- same province's, or the Supreme People's Procuratorate (000000).
CREATE OR REPLACE FUNCTION router.common_superior(a text, b text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN a = b THEN a
                WHEN left(a, 4) = left(b, 4) AND right(a, 4) <> '0000' AND right(b, 4) <> '0000'
                    THEN left(a, 4) || '00'
                WHEN left(a, 2) = left(b, 2) THEN left(a, 2) || '0000'
                ELSE '000000' END
$$;

CREATE OR REPLACE FUNCTION router.transfer_json(t router.transfer) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', t.id, 'clue_id', t.clue_id, 'from', t.from_proc, 'to', t.to_proc,
        'superior', t.superior, 'status', t.status, 'reason', t.reason,
        'requested_by', t.requested_by, 'requested_at', t.requested_at,
        'answer', t.answer, 'answered_by', t.answered_by, 'answered_at', t.answered_at,
        'decided_procuratorate', t.decided_proc, 'decision', t.decision,
        'decided_by', t.decided_by, 'decided_at', t.decided_at)
$$;

-- Transfers waiting for the caller: to answer (to them) or to decide (they
-- are the superior, or above it).
CREATE OR REPLACE FUNCTION router.api_transfers(p_prefix text) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('status', 200, 'body', json_build_object(
        'to_answer', coalesce((SELECT json_agg(router.transfer_json(t) ORDER BY t.requested_at)
                                 FROM router.transfer t
                                WHERE t.status = 'requested' AND t.to_proc LIKE p_prefix || '%'),
                              '[]'::json),
        'to_decide', coalesce((SELECT json_agg(router.transfer_json(t) ORDER BY t.requested_at)
                                 FROM router.transfer t
                                WHERE t.status = 'disputed' AND t.superior LIKE p_prefix || '%'),
                              '[]'::json)))
$$;

-- ---- as written by 0004_assessment.sql ----
CREATE OR REPLACE FUNCTION router.task_json(t router.assessment_task, c router.clue) RETURNS json
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
CREATE OR REPLACE FUNCTION router.api_tasks(p_volunteer uuid, p_status text, p_after_at timestamptz,
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

CREATE OR REPLACE FUNCTION router.api_conflict_declare(p_volunteer uuid, p_kind text, p_value text,
    p_reason text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE k router.volunteer_conflict;
BEGIN
    INSERT INTO router.volunteer_conflict (volunteer_id, kind, value, reason)
    VALUES (p_volunteer, p_kind, p_value, p_reason)
    ON CONFLICT (volunteer_id, kind, value) DO UPDATE SET reason = EXCLUDED.reason
    RETURNING * INTO k;
    UPDATE router.volunteer x SET version = x.version + 1 WHERE x.id = p_volunteer;
    RETURN json_build_object('status', 201, 'body', json_build_object(
        'id', k.id, 'kind', k.kind, 'value', k.value, 'reason', k.reason,
        'declared_at', k.declared_at));
END $$;

CREATE OR REPLACE FUNCTION router.api_conflicts(p_volunteer uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('status', 200, 'body', json_build_object('items',
        coalesce(json_agg(json_build_object('id', k.id, 'kind', k.kind, 'value', k.value,
                                            'reason', k.reason, 'declared_at', k.declared_at)
                          ORDER BY k.id), '[]'::json)))
      FROM router.volunteer_conflict k WHERE k.volunteer_id = p_volunteer
$$;

-- ---- as written by 0008_deadlines_in_c.sql ----
CREATE OR REPLACE FUNCTION router.calendar_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE router.calendar_version SET version = version + 1;
    RETURN NULL;
END $$;

-- Puts a calendar file's years in ({"years":[{year,source}],
-- "days":[{day,kind,name}]}, common/gy_calendar.h): each year it covers is
-- replaced by the file's rows; years the file does not have stay as
-- loaded.  Nothing changes (no version bump) when the file matches.
CREATE OR REPLACE FUNCTION router.calendar_merge(p_calendar json) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE calendar_file_day ON COMMIT DROP AS
        SELECT d.day, d.kind, d.name
          FROM json_to_recordset(p_calendar -> 'days') AS d(day date, kind text, name text);
    CREATE TEMP TABLE calendar_file_year ON COMMIT DROP AS
        SELECT y.year, y.source
          FROM json_to_recordset(p_calendar -> 'years') AS y(year integer, source text);
    IF EXISTS (SELECT year, source FROM calendar_file_year
               EXCEPT SELECT year, source FROM router.calendar_year)
       OR EXISTS (SELECT h.day, h.kind, h.name FROM router.holiday h
                   WHERE extract(year FROM h.day)::int IN (SELECT year FROM calendar_file_year)
                  EXCEPT SELECT day, kind, name FROM calendar_file_day)
       OR EXISTS (SELECT day, kind, name FROM calendar_file_day
                  EXCEPT SELECT day, kind, name FROM router.holiday) THEN
        DELETE FROM router.holiday h
         WHERE extract(year FROM h.day)::int IN (SELECT year FROM calendar_file_year)
           AND NOT EXISTS (SELECT 1 FROM calendar_file_day f WHERE f.day = h.day);
        INSERT INTO router.holiday (day, kind, name) SELECT day, kind, name FROM calendar_file_day
            ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name;
        INSERT INTO router.calendar_year (year, source) SELECT year, source FROM calendar_file_year
            ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, loaded_at = now();
    END IF;
    DROP TABLE calendar_file_day;
    DROP TABLE calendar_file_year;
END $$;

-- ---- as written by 0009_cluster_scope.sql ----
-- The cluster of a clue as a caller with scope p_prefix may see it.
CREATE OR REPLACE FUNCTION router.cluster_json(p_cluster uuid, p_prefix text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', cl.id, 'size', cl.size,
        'clues', coalesce((SELECT json_agg(json_build_object('id', m.id, 'title', m.title,
                                  'region_code', m.region_code, 'received_at', m.received_at)
                                  ORDER BY m.received_at, m.id)
                             FROM router.clue m
                            WHERE m.cluster_id = cl.id AND m.procuratorate LIKE p_prefix || '%'),
                          '[]'::json),
        'others', (SELECT count(*) FROM router.clue m
                    WHERE m.cluster_id = cl.id AND m.procuratorate NOT LIKE p_prefix || '%'))
      FROM router.cluster cl WHERE cl.id = p_cluster
$$;

CREATE OR REPLACE FUNCTION router.api_clue(p_id uuid, p_prefix text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE c router.clue; v_body json;
BEGIN
    SELECT * INTO c FROM router.clue x WHERE x.id = p_id;
    IF NOT FOUND OR c.procuratorate NOT LIKE p_prefix || '%' THEN
        RETURN router.api_error(404, 'not_found', 'no such clue');
    END IF;
    SELECT json_build_object(
        'clue', router.clue_json(c),
        'classifications', (SELECT coalesce(json_agg(json_build_object(
                'field_code', h.field_code, 'confidence', h.confidence,
                'decided_by', h.decided_by, 'reason', h.reason, 'decided_at', h.decided_at)
                ORDER BY h.id), '[]'::json)
              FROM router.classification h WHERE h.clue_id = c.id),
        'cluster', router.cluster_json(c.cluster_id, p_prefix),
        'transfers', (SELECT coalesce(json_agg(router.transfer_json(t) ORDER BY t.requested_at),
                                      '[]'::json)
              FROM router.transfer t WHERE t.clue_id = c.id))
      INTO v_body;
    RETURN json_build_object('status', 200, 'body', v_body);
END $$;

-- ---- as written by 0011_transfer_steps.sql ----
-- A new transfer of a clue still where the router saw it (procuratorate
-- and version).  The unique index transfer_open refuses a second open one.
-- The times of transfers (p_at_ms) are the router's clock, not now().
DROP FUNCTION IF EXISTS router.transfer_insert(uuid, integer, uuid, text, text, text, text, text,
    text);
CREATE OR REPLACE FUNCTION router.transfer_insert(p_clue uuid, p_clue_version integer, p_id uuid,
    p_from text, p_to text, p_to_city text, p_superior text, p_reason text, p_actor text,
    p_at_ms bigint)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE t router.transfer;
BEGIN
    UPDATE router.clue c SET version = c.version + 1
     WHERE c.id = p_clue AND c.version = p_clue_version AND c.procuratorate = p_from;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'clue % changed since it was read', p_clue
              USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO router.transfer (id, clue_id, from_proc, to_proc, to_city, superior, reason,
                                 requested_by, requested_at)
    VALUES (p_id, p_clue, p_from, p_to, p_to_city, p_superior, p_reason, p_actor,
            to_timestamp(p_at_ms / 1000.0))
    RETURNING * INTO t;
    RETURN router.transfer_json(t);
END $$;

-- One step of a transfer from p_state (at p_version) to p_next.  An
-- answer (accepted, disputed) keeps the receiver's reason; a decision the
-- superior's, with p_to.  When the clue changes hands (accepted, or
-- decided to p_to) it moves there with its pending deadlines.
DROP FUNCTION IF EXISTS router.transfer_step(uuid, text, integer, text, text, text, text, text);
CREATE OR REPLACE FUNCTION router.transfer_step(p_id uuid, p_state text, p_version integer, p_next text,
    p_to text, p_to_city text, p_reason text, p_actor text, p_at_ms bigint)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE t router.transfer;
BEGIN
    IF p_next = 'decided' THEN
        UPDATE router.transfer x SET status = p_next, version = x.version + 1,
               decided_proc = p_to, decision = p_reason, decided_by = p_actor,
               decided_at = to_timestamp(p_at_ms / 1000.0)
         WHERE x.id = p_id AND x.status = p_state AND x.version = p_version
        RETURNING * INTO t;
    ELSE
        UPDATE router.transfer x SET status = p_next, version = x.version + 1,
               answer = p_reason, answered_by = p_actor,
               answered_at = to_timestamp(p_at_ms / 1000.0)
         WHERE x.id = p_id AND x.status = p_state AND x.version = p_version
        RETURNING * INTO t;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'transfer % changed since it was read', p_id
              USING ERRCODE = 'serialization_failure';
    END IF;
    IF p_to <> '' THEN
        UPDATE router.clue x SET procuratorate = p_to, city = p_to_city, queue = 'handling',
               version = x.version + 1
         WHERE x.id = t.clue_id;
        UPDATE router.deadline d SET procuratorate = p_to
         WHERE d.clue_id = t.clue_id AND d.fired_at IS NULL;
    END IF;
    RETURN router.transfer_json(t);
END $$;

-- What the router reads before it decides.
CREATE OR REPLACE FUNCTION router.transfer_state(p_id uuid) RETURNS TABLE (status text, version integer,
    clue_id uuid, from_proc text, to_proc text, superior text, origin_producer text,
    origin_reference text)
LANGUAGE sql STABLE AS $$
    SELECT t.status, t.version, t.clue_id, t.from_proc::text, t.to_proc::text, t.superior::text,
           c.origin_producer, c.origin_reference
      FROM router.transfer t JOIN router.clue c ON c.id = t.clue_id WHERE t.id = p_id
$$;

CREATE OR REPLACE FUNCTION router.clue_transfer_state(p_id uuid) RETURNS TABLE (procuratorate text,
    version integer, open_transfer boolean, origin_producer text, origin_reference text)
LANGUAGE sql STABLE AS $$
    SELECT c.procuratorate::text, c.version,
           EXISTS (SELECT 1 FROM router.transfer t
                    WHERE t.clue_id = c.id AND t.status IN ('requested', 'disputed')),
           c.origin_producer, c.origin_reference
      FROM router.clue c WHERE c.id = p_id
$$;

-- ---- as written by 0012_routed_in_c.sql ----
-- Same matter: a cluster leader of the same field with any band equal
-- (index), active within the window, same region or near, then the exact
-- distance.  Nearest first, then the oldest cluster.
CREATE OR REPLACE FUNCTION router.cluster_candidate(p_field text, p_simhash bigint, p_band0 smallint,
    p_band1 smallint, p_band2 smallint, p_band3 smallint, p_received_ms bigint,
    p_window_ms bigint, p_region text, p_lat double precision, p_lon double precision,
    p_near_km double precision, p_max_distance integer)
RETURNS TABLE (cluster_id uuid, distance integer, first_received_ms bigint)
LANGUAGE sql STABLE AS $$
    SELECT cl.id, bit_count((cl.simhash # p_simhash)::bit(64))::integer,
           floor(extract(epoch FROM cl.first_received_at) * 1000)::bigint
      FROM router.cluster cl
     WHERE cl.field_code = p_field
       AND (cl.band0 = p_band0 OR cl.band1 = p_band1 OR cl.band2 = p_band2 OR cl.band3 = p_band3)
       AND cl.last_received_at >= to_timestamp(p_received_ms / 1000.0)
                                  - make_interval(secs => p_window_ms / 1000.0)
       AND cl.first_received_at <= to_timestamp(p_received_ms / 1000.0)
                                   + make_interval(secs => p_window_ms / 1000.0)
       AND (cl.region_code = p_region
            OR router.distance_km(cl.lat, cl.lon, p_lat, p_lon) <= p_near_km)
       AND bit_count((cl.simhash # p_simhash)::bit(64)) <= p_max_distance
     ORDER BY bit_count((cl.simhash # p_simhash)::bit(64)), cl.first_received_at
     LIMIT 1
$$;

-- Stores a routed clue as decided in C (p_clue, as router_store.c's
-- s_clue_json names its members; jsonb, parsed once: each ->> on json
-- lexes the whole text again, a tenth of the writer's time per clue), in
-- the caller's transaction: starts its cluster (p_cluster = its own id) or
-- joins p_cluster — which must still exist (a merge may have removed it
-- since the read: serialization_failure, and the consumer retries with a
-- fresh read) — makes its classification, stores its deadlines, and
-- appends p_body, the packed ClueRouted, to the outbox.  A new matter that
-- C decided to hold for assessment (p_hold_k assessors asked:
-- router.task_insert statements follow in the same transaction) keeps
-- p_body for later instead (sequence 0).  A clue id already stored gives
-- created = false.  The deadlines, computed in C (router_deadline_json:
-- rule, version, due_ms, provisional, reasons), come in p_clue's
-- "deadlines", started by ClueReceived at p_received_ms: stored here, one
-- statement per clue, not one more per rule.  routed_at and triage's
-- decided_at are the event's time (p_time_ms, the process clock), not the
-- database's now(): the times a user sees follow one clock, the one tests
-- set.
DROP FUNCTION IF EXISTS router.route_clue_packed(json, uuid, bigint, text, uuid, bigint, text,
    bytea, integer);
CREATE OR REPLACE FUNCTION router.route_clue_packed(p_clue jsonb, p_cluster uuid, p_received_ms bigint,
    p_producer text, p_event_id uuid, p_time_ms bigint, p_trace text, p_body bytea,
    p_hold_k integer)
RETURNS TABLE (created boolean, sequence bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := (p_clue->>'id')::uuid;
    v_received timestamptz := to_timestamp(p_received_ms / 1000.0);
    v_proc text := p_clue->>'procuratorate';
    v_seq bigint;
BEGIN
    PERFORM 1 FROM router.clue c WHERE c.id = v_id;
    IF FOUND THEN
        RETURN QUERY SELECT false, 0::bigint;
        RETURN;
    END IF;

    IF p_cluster = v_id THEN
        INSERT INTO router.cluster (id, field_code, region_code, lat, lon, procuratorate,
            simhash, band0, band1, band2, band3, first_received_at, last_received_at)
        VALUES (v_id, p_clue->>'field_code', p_clue->>'region_code',
            (p_clue->>'lat')::float8, (p_clue->>'lon')::float8, v_proc,
            (p_clue->>'simhash')::bigint, (p_clue->'bands'->>0)::smallint,
            (p_clue->'bands'->>1)::smallint, (p_clue->'bands'->>2)::smallint,
            (p_clue->'bands'->>3)::smallint, v_received, v_received);
    ELSE
        UPDATE router.cluster cl SET size = cl.size + 1, updated_at = now(),
               last_received_at = greatest(cl.last_received_at, v_received),
               version = cl.version + 1
         WHERE cl.id = p_cluster;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'cluster % is gone since it was read', p_cluster
                  USING ERRCODE = 'serialization_failure';
        END IF;
    END IF;

    INSERT INTO router.clue (id, source_producer, source_sequence, title,
        description, region_code, lat, lon, reporter_field_code, field_code,
        field_confidence, major, procuratorate, city, queue, rule, priority,
        cluster_id, simhash, received_at, routed_at, reporter_subject, decided_by,
        origin_producer, origin_reference)
    VALUES (v_id, p_clue->>'source_producer', (p_clue->>'source_sequence')::bigint,
        p_clue->>'title', p_clue->>'description', p_clue->>'region_code',
        (p_clue->>'lat')::float8, (p_clue->>'lon')::float8, p_clue->>'reporter_field_code',
        p_clue->>'field_code', (p_clue->>'field_confidence')::real,
        (p_clue->>'major')::boolean, v_proc, p_clue->>'city', p_clue->>'queue',
        p_clue->>'rule', (p_clue->>'priority')::integer, p_cluster,
        (p_clue->>'simhash')::bigint, v_received, to_timestamp(p_time_ms / 1000.0),
        nullif(p_clue->>'reporter_subject', ''),
        'triage', p_clue->>'origin_producer', p_clue->>'origin_reference');

    INSERT INTO router.classification (clue_id, field_code, confidence, decided_by, reason,
                                       decided_at)
    VALUES (v_id, p_clue->>'field_code', (p_clue->>'field_confidence')::real, 'triage',
            p_clue->>'reason', to_timestamp(p_time_ms / 1000.0));

    INSERT INTO router.deadline (clue_id, rule, rule_version, due_at, procuratorate,
                                 start_event, start_at, provisional, reasons)
    SELECT v_id, d->>'rule', (d->>'version')::integer,
           to_timestamp((d->>'due_ms')::bigint / 1000.0), v_proc, 'ClueReceived', v_received,
           (d->>'provisional')::boolean, d->'reasons'
      FROM jsonb_array_elements(p_clue->'deadlines') d;

    IF p_hold_k > 0 THEN
        UPDATE router.clue c SET status = 'assessing', routed_body = p_body, assess_k = p_hold_k
         WHERE c.id = v_id;
        RETURN QUERY SELECT true, 0::bigint;
        RETURN;
    END IF;
    v_seq := router.outbox_append(p_producer, p_event_id, 'ClueRouted', p_time_ms, p_trace,
                                  v_proc, p_body);
    RETURN QUERY SELECT true, v_seq;
END $$;

-- ---- as written by 0013_cluster_steps.sql ----
-- The clusters and their clues, for a decision: one row per clue (oldest
-- first), with its cluster's version, size and procuratorate.
CREATE OR REPLACE FUNCTION router.clusters_state(p_ids uuid[]) RETURNS TABLE (cluster_id uuid,
    cluster_version integer, cluster_size integer, cluster_procuratorate text, clue_id uuid,
    clue_procuratorate text, origin_producer text, origin_reference text)
LANGUAGE sql STABLE AS $$
    SELECT cl.id, cl.version, cl.size, cl.procuratorate::text, c.id, c.procuratorate::text,
           c.origin_producer, c.origin_reference
      FROM router.cluster cl JOIN router.clue c ON c.cluster_id = cl.id
     WHERE cl.id = ANY (p_ids)
     ORDER BY c.received_at, c.id
$$;

-- The cluster of a clue, for a split.
CREATE OR REPLACE FUNCTION router.clue_cluster(p_clue uuid) RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT c.cluster_id FROM router.clue c WHERE c.id = p_clue
$$;

CREATE OR REPLACE FUNCTION router.cluster_guard(p_id uuid, p_version integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE router.cluster cl SET version = cl.version + 1, updated_at = now()
     WHERE cl.id = p_id AND cl.version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cluster % changed since it was read', p_id
              USING ERRCODE = 'serialization_failure';
    END IF;
END $$;

-- Cluster p_other joins p_into, each still at the version read.
CREATE OR REPLACE FUNCTION router.cluster_merge(p_into uuid, p_into_version integer, p_other uuid,
    p_other_version integer, p_actor text, p_reason text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE v_moved integer; v_size integer;
BEGIN
    PERFORM router.cluster_guard(p_into, p_into_version);
    PERFORM router.cluster_guard(p_other, p_other_version);
    UPDATE router.clue c SET cluster_id = p_into WHERE c.cluster_id = p_other;
    GET DIAGNOSTICS v_moved = ROW_COUNT;
    DELETE FROM router.cluster cl WHERE cl.id = p_other;
    UPDATE router.cluster cl SET size = cl.size + v_moved WHERE cl.id = p_into
    RETURNING cl.size INTO v_size;
    INSERT INTO router.cluster_history (action, cluster_id, other_id, actor, reason)
    VALUES ('merge', p_into, p_other, p_actor, p_reason);
    RETURN json_build_object('cluster_id', p_into, 'size', v_size, 'moved', v_moved);
END $$;

-- Clue p_clue leaves p_old (still at the version read) for a new cluster
-- p_new of its own.  A cluster's id is its first clue's; when that clue
-- leaves, the others keep the id.
CREATE OR REPLACE FUNCTION router.cluster_split(p_clue uuid, p_old uuid, p_old_version integer,
    p_new uuid, p_actor text, p_reason text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE c router.clue;
BEGIN
    PERFORM router.cluster_guard(p_old, p_old_version);
    SELECT * INTO c FROM router.clue x WHERE x.id = p_clue AND x.cluster_id = p_old;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'clue % left cluster % since it was read', p_clue, p_old
              USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO router.cluster (id, field_code, region_code, lat, lon, procuratorate, simhash,
                                band0, band1, band2, band3, size, first_received_at,
                                last_received_at)
    SELECT p_new, c.field_code, c.region_code, c.lat, c.lon, c.procuratorate, c.simhash,
           b[1], b[2], b[3], b[4], 1, c.received_at, c.received_at
      FROM (SELECT ARRAY(SELECT CASE WHEN x >= 32768 THEN x - 65536 ELSE x END::smallint
                           FROM (SELECT (c.simhash >> (16 * i)) & 65535 AS x
                                   FROM generate_series(0, 3) i ORDER BY i) s) AS b) bands;
    UPDATE router.clue x SET cluster_id = p_new WHERE x.id = p_clue;
    UPDATE router.cluster cl SET size = cl.size - 1 WHERE cl.id = p_old;
    INSERT INTO router.cluster_history (action, cluster_id, other_id, clue_id, actor, reason)
    VALUES ('split', p_new, p_old, p_clue, p_actor, p_reason);
    RETURN json_build_object('cluster_id', p_new, 'from_cluster_id', p_old, 'clue_id', p_clue);
END $$;

-- ---- as written by 0014_assessment_steps.sql ----
-- A clue as a decision about its assessment needs it.
CREATE OR REPLACE FUNCTION router.assess_clue_state(p_clue uuid) RETURNS TABLE (id uuid, status text,
    version integer, assess_k integer, priority integer, procuratorate text, field_code text,
    routed_body bytea, origin_producer text, origin_reference text)
LANGUAGE sql STABLE AS $$
    SELECT c.id, c.status, c.version, coalesce(c.assess_k, 0), c.priority,
           c.procuratorate::text, c.field_code, c.routed_body, c.origin_producer,
           c.origin_reference
      FROM router.clue c WHERE c.id = p_clue
$$;

-- A task and its volunteer.
CREATE OR REPLACE FUNCTION router.assess_task_state(p_task uuid) RETURNS TABLE (clue_id uuid, status text,
    version integer, volunteer_id uuid)
LANGUAGE sql STABLE AS $$
    SELECT t.clue_id, t.status, t.version, t.volunteer_id
      FROM router.assessment_task t WHERE t.id = p_task
$$;

-- Every task of a clue, for the quorum.
CREATE OR REPLACE FUNCTION router.assess_tasks(p_clue uuid) RETURNS TABLE (id uuid, status text,
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
CREATE OR REPLACE FUNCTION router.assessor_candidates(p_clue uuid, p_field text, p_city text,
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
CREATE OR REPLACE FUNCTION router.assessors_for(p_clue uuid, p_limit integer)
RETURNS TABLE (volunteer_id uuid, procuratorate text, load bigint)
LANGUAGE sql STABLE AS $$
    SELECT a.* FROM router.clue c,
           LATERAL router.assessor_candidates(c.id, c.field_code, c.city, c.procuratorate::text,
               coalesce(c.reporter_subject, ''), c.region_code, c.title || c.description,
               p_limit) a
     WHERE c.id = p_clue
$$;

-- The clue moves on only from the status and version read.
CREATE OR REPLACE FUNCTION router.clue_guard(p_clue uuid, p_status text, p_version integer)
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
-- with; at p_at_ms, the router's clock), rejected, or left for review.
DROP FUNCTION IF EXISTS router.clue_outcome(uuid, text, integer, text);
CREATE OR REPLACE FUNCTION router.clue_outcome(p_clue uuid, p_status text, p_priority integer,
    p_decided_by text, p_at_ms bigint) RETURNS void LANGUAGE sql AS $$
    UPDATE router.clue c SET status = p_status, decided_by = p_decided_by,
           priority = CASE WHEN p_status = 'routed' THEN p_priority ELSE c.priority END,
           routed_at = CASE WHEN p_status = 'routed' THEN to_timestamp(p_at_ms / 1000.0)
                             ELSE c.routed_at END
     WHERE c.id = p_clue
$$;

-- A task's step from the status and version read (at p_at_ms, the
-- router's clock).  A submission keeps the assessment; a decline its
-- reason (and the volunteer's conflict with the clue, so they are not
-- asked again).
DROP FUNCTION IF EXISTS router.task_step(uuid, text, integer, text, integer, integer, integer,
    text, text);
CREATE OR REPLACE FUNCTION router.task_step(p_task uuid, p_status text, p_version integer, p_next text,
    p_credibility integer, p_severity integer, p_harm integer, p_recommendation text,
    p_comment text, p_at_ms bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t router.assessment_task;
BEGIN
    UPDATE router.assessment_task x SET status = p_next, version = x.version + 1,
           submitted_at = CASE WHEN p_next = 'submitted'
                                 THEN to_timestamp(p_at_ms / 1000.0) END,
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
        -- their standing changed (0015): announced by the caller
        UPDATE router.volunteer x SET version = x.version + 1 WHERE x.id = t.volunteer_id;
    END IF;
END $$;

-- A new task and its AssessmentRequested (packed in C).  Nothing when the
-- volunteer was asked for this clue already (a retried batch).  Assigned
-- at the event's time, on the clock its due time was computed by.
CREATE OR REPLACE FUNCTION router.task_insert(p_id uuid, p_clue uuid, p_volunteer uuid, p_due_ms bigint,
    p_producer text, p_event_id uuid, p_time_ms bigint, p_trace text, p_procuratorate text,
    p_body bytea) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO router.assessment_task (id, clue_id, volunteer_id, assigned_at, due_at)
    VALUES (p_id, p_clue, p_volunteer, to_timestamp(p_time_ms / 1000.0),
            to_timestamp(p_due_ms / 1000.0))
    ON CONFLICT (clue_id, volunteer_id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    RETURN router.outbox_append(p_producer, p_event_id, 'AssessmentRequested', p_time_ms,
                                p_trace, p_procuratorate, p_body);
END $$;

-- The answers, read after the writes of the same transaction.
CREATE OR REPLACE FUNCTION router.task_answer(p_task uuid, p_decision text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT (router.task_json(t, c)::jsonb
            || jsonb_build_object('clue_decision', nullif(p_decision, '')))::json
      FROM router.assessment_task t JOIN router.clue c ON c.id = t.clue_id
     WHERE t.id = p_task
$$;

CREATE OR REPLACE FUNCTION router.clue_answer(p_clue uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT router.clue_json(c) FROM router.clue c WHERE c.id = p_clue
$$;

-- Tasks past their due time by the router's clock (common/gy_clock, which
-- made the due times; 0010_assessment_expire_clock), oldest first.
CREATE OR REPLACE FUNCTION router.tasks_due(p_now_ms bigint, p_limit integer) RETURNS TABLE (id uuid)
LANGUAGE sql STABLE AS $$
    SELECT a.id FROM router.assessment_task a
     WHERE a.status = 'assigned' AND a.due_at <= to_timestamp(p_now_ms / 1000.0)
     ORDER BY a.due_at LIMIT p_limit
$$;

-- ---- as written by 0015_volunteer_version.sql ----

-- A volunteer's public standing as VolunteerChanged announces it (no
-- personal data), with its version, and the status p_action would lead to
-- from the current one (NULL: none, or no action asked).
CREATE OR REPLACE FUNCTION router.volunteer_public(p_id uuid, p_action text)
RETURNS TABLE (version bigint, procuratorate text, city text, status text, roles json,
               expertise json, term_start text, term_end text, conflicts json, to_status text)
LANGUAGE sql STABLE AS $$
    SELECT v.version, v.procuratorate::text, v.city::text, v.status, to_json(v.roles),
           to_json(v.expertise), coalesce(v.term_start::text, ''), coalesce(v.term_end::text, ''),
           (SELECT coalesce(json_agg(json_build_object('kind', k.kind, 'value', k.value)
                                     ORDER BY k.id), '[]'::json)
              FROM router.volunteer_conflict k WHERE k.volunteer_id = v.id),
           (SELECT t.to_status FROM router.volunteer_transition t
             WHERE t.from_status = v.status AND t.action = p_action)
      FROM router.volunteer v WHERE v.id = p_id
$$;

-- After a registry write in the same statement: appends its
-- VolunteerChanged (packed in C from the standing read before, the change
-- applied) when the write succeeded (p_answer's status 2xx).  The write
-- must have left the volunteer at p_version (the one read, plus one): a
-- change made meanwhile means the event describes a standing that is not
-- the stored one, so the transaction fails (40001) and the C reads again.
CREATE OR REPLACE FUNCTION router.volunteer_event(p_answer json, p_id uuid, p_version bigint,
    p_producer text, p_event_id uuid, p_time_ms bigint, p_trace text, p_procuratorate text,
    p_body bytea) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_version bigint;
BEGIN
    IF (p_answer->>'status')::integer NOT BETWEEN 200 AND 299 THEN
        RETURN NULL;
    END IF;
    SELECT v.version INTO v_version FROM router.volunteer v WHERE v.id = p_id;
    IF v_version IS DISTINCT FROM p_version THEN
        RAISE EXCEPTION 'volunteer % is at version %, not %', p_id, v_version, p_version
            USING ERRCODE = '40001';
    END IF;
    RETURN router.outbox_append(p_producer, p_event_id, 'VolunteerChanged', p_time_ms, p_trace,
                                p_procuratorate, p_body);
END $$;

-- ---- as written by 0017_issued_tokens.sql ----
-- An issued token's record as the API shows it (never the token: the
-- table has only its digest).
CREATE OR REPLACE FUNCTION router.issued_token_json(t router.issued_token)
RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', t.id, 'sub', t.sub, 'role', t.role, 'proc', t.proc,
                             'purpose', t.purpose, 'issued_by', t.issued_by,
                             'issued_at', t.issued_at, 'expires_at', t.expires_at)
$$;

-- The tokens issued within a scope prefix, newest first, one keyset page
-- ({"items","next"}: next is the last row's cursor when the page is full).
-- p_now is the process clock's (gy_now_ms), which says what has expired.
CREATE OR REPLACE FUNCTION router.api_issued_tokens(p_prefix text, p_after_at timestamptz,
    p_after_id uuid, p_limit integer, p_now timestamptz)
RETURNS json LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT t FROM router.issued_token t
         WHERE t.proc LIKE p_prefix || '%'
           AND (p_after_at IS NULL OR (t.issued_at, t.id) < (p_after_at, p_after_id))
         ORDER BY t.issued_at DESC, t.id DESC
         LIMIT p_limit)
    SELECT json_build_object(
        'items', coalesce(json_agg((router.issued_token_json(page.t)::jsonb
                                    || jsonb_build_object('expired', (page.t).expires_at <= p_now))
                                   ORDER BY (page.t).issued_at DESC, (page.t).id DESC), '[]'::json),
        'next', CASE WHEN count(*) = p_limit THEN
            (array_agg(floor(extract(epoch FROM (page.t).issued_at) * 1000000)::bigint::text
                       || '.' || (page.t).id::text
                       ORDER BY (page.t).issued_at, (page.t).id))[1] END)
      FROM page
$$;
