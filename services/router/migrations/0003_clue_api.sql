-- What prosecutors do with routed clues, over the router's API
-- (router_api.c): list the queues of their jurisdiction, read a clue with
-- its classification history and its cluster, reclassify it, transfer it
-- (移送: request, accept, dispute, and the common superior's decision),
-- merge two duplicate clusters and split a clue out of one.
--
-- As in 0002, each call is one function answering {"status","body"} (and
-- "events": how many events it appended to the outbox, so the caller wakes
-- the relay), deciding and writing in one transaction.  p_prefix is the
-- caller's scope (gy_scope_prefix): a clue outside it does not exist.

CREATE INDEX clue_scope ON router.clue (procuratorate bpchar_pattern_ops, routed_at, id);

-- ---- protobuf encoding of the small event bodies built here ----
-- (proto3: a field at its default value is omitted; strings are UTF-8.)

CREATE FUNCTION router.pb_varint(p_value bigint) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE v_out bytea := ''::bytea; v bigint := p_value;
BEGIN
    IF v < 0 THEN
        RAISE EXCEPTION 'pb_varint: negative values are not encoded here';
    END IF;
    LOOP
        IF v < 128 THEN
            RETURN v_out || set_byte('\x00'::bytea, 0, v::integer);
        END IF;
        v_out := v_out || set_byte('\x00'::bytea, 0, ((v & 127) | 128)::integer);
        v := v >> 7;
    END LOOP;
END $$;

CREATE FUNCTION router.pb_string(p_field integer, p_value text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_value IS NULL OR p_value = '' THEN ''::bytea
                ELSE router.pb_varint(p_field * 8 + 2)
                     || router.pb_varint(octet_length(convert_to(p_value, 'UTF8')))
                     || convert_to(p_value, 'UTF8') END
$$;

-- ClueTransferred (proto/gongyi.proto) appended to the outbox.
CREATE FUNCTION router.emit_transfer(p_producer text, p_clue uuid, p_transfer uuid,
    p_from text, p_to text, p_step text, p_superior text, p_reason text, p_by text,
    p_procuratorate text) RETURNS bigint LANGUAGE sql AS $$
    SELECT router.outbox_append(p_producer, gen_random_uuid(), 'ClueTransferred',
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint, '', p_procuratorate,
        router.pb_string(1, p_clue::text) || router.pb_string(2, p_transfer::text)
        || router.pb_string(3, p_from) || router.pb_string(4, p_to)
        || router.pb_string(5, p_step) || router.pb_string(6, p_superior)
        || router.pb_string(7, p_reason) || router.pb_string(8, p_by))
$$;

-- ---- reading ----

CREATE FUNCTION router.clue_json(c router.clue) RETURNS json LANGUAGE sql STABLE AS $$
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
CREATE FUNCTION router.api_clues(p_prefix text, p_queue text, p_after_at timestamptz,
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

-- One clue in scope with its classification history, its cluster (the
-- other reports of the same matter) and its transfers.
CREATE FUNCTION router.api_clue(p_id uuid, p_prefix text) RETURNS json
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
        'cluster', (SELECT json_build_object('id', cl.id, 'size', cl.size,
                'clues', (SELECT json_agg(json_build_object('id', m.id, 'title', m.title,
                                  'region_code', m.region_code, 'received_at', m.received_at)
                                  ORDER BY m.received_at, m.id)
                            FROM router.clue m WHERE m.cluster_id = cl.id))
              FROM router.cluster cl WHERE cl.id = c.cluster_id),
        'transfers', (SELECT coalesce(json_agg(router.transfer_json(t) ORDER BY t.requested_at),
                                      '[]'::json)
              FROM router.transfer t WHERE t.clue_id = c.id))
      INTO v_body;
    RETURN json_build_object('status', 200, 'body', v_body);
END $$;

-- ---- reclassification ----

CREATE FUNCTION router.api_reclassify(p_id uuid, p_prefix text, p_actor text, p_field text,
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

-- ---- transfers (移送) ----
-- Procuratorates are keyed by GB/T 2260 codes, whose digits are the tree:
-- xx0000 a province, xxyy00 a city, anything else a county (router_scope).

-- The city above a procuratorate ('' for a province or the root).
CREATE FUNCTION router.city_of(p_code text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN right(p_code, 4) = '0000' THEN ''
                ELSE left(p_code, 4) || '00' END
$$;

-- The lowest procuratorate above (or equal to) both: the same city's, the
-- same province's, or the Supreme People's Procuratorate (000000).
CREATE FUNCTION router.common_superior(a text, b text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN a = b THEN a
                WHEN left(a, 4) = left(b, 4) AND right(a, 4) <> '0000' AND right(b, 4) <> '0000'
                    THEN left(a, 4) || '00'
                WHEN left(a, 2) = left(b, 2) THEN left(a, 2) || '0000'
                ELSE '000000' END
$$;

-- A transfer moves a clue from the procuratorate that has it to another.
-- The receiver accepts (the clue is then theirs) or disputes; a dispute is
-- decided by the common superior of the two (the lowest procuratorate
-- above both, computed by the caller from the reference data), which
-- gives the clue to one of them.  Every step is a row here and a
-- ClueTransferred event.

CREATE TABLE router.transfer (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    clue_id       uuid NOT NULL REFERENCES router.clue (id),
    from_proc     char(6) NOT NULL,
    to_proc       char(6) NOT NULL,
    to_city       text NOT NULL,      -- the city above to_proc ('' if none)
    superior      char(6) NOT NULL,   -- the common superior, for a dispute
    status        text NOT NULL DEFAULT 'requested'
                  CHECK (status IN ('requested', 'accepted', 'disputed', 'decided')),
    reason        text NOT NULL,
    requested_by  text NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    answer        text,               -- the receiver's reason for accepting or disputing
    answered_by   text,
    answered_at   timestamptz,
    decided_proc  char(6),            -- the superior's decision
    decision      text,
    decided_by    text,
    decided_at    timestamptz
);
-- At most one open transfer per clue.
CREATE UNIQUE INDEX transfer_open ON router.transfer (clue_id)
    WHERE status IN ('requested', 'disputed');
CREATE INDEX transfer_to ON router.transfer (to_proc bpchar_pattern_ops, requested_at);

CREATE FUNCTION router.transfer_json(t router.transfer) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', t.id, 'clue_id', t.clue_id, 'from', t.from_proc, 'to', t.to_proc,
        'superior', t.superior, 'status', t.status, 'reason', t.reason,
        'requested_by', t.requested_by, 'requested_at', t.requested_at,
        'answer', t.answer, 'answered_by', t.answered_by, 'answered_at', t.answered_at,
        'decided_procuratorate', t.decided_proc, 'decision', t.decision,
        'decided_by', t.decided_by, 'decided_at', t.decided_at)
$$;

CREATE FUNCTION router.api_transfer_request(p_clue uuid, p_prefix text, p_actor text,
    p_to text, p_reason text, p_producer text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE c router.clue; t router.transfer;
BEGIN
    SELECT * INTO c FROM router.clue x WHERE x.id = p_clue FOR UPDATE;
    IF NOT FOUND OR c.procuratorate NOT LIKE p_prefix || '%' THEN
        RETURN router.api_error(404, 'not_found', 'no such clue');
    END IF;
    IF c.procuratorate = p_to THEN
        RETURN router.api_error(409, 'invalid_state', 'the clue is already with that procuratorate', 'to');
    END IF;
    IF EXISTS (SELECT 1 FROM router.transfer x WHERE x.clue_id = p_clue
                AND x.status IN ('requested', 'disputed')) THEN
        RETURN router.api_error(409, 'transfer_pending', 'this clue has a transfer in progress');
    END IF;
    INSERT INTO router.transfer (clue_id, from_proc, to_proc, to_city, superior, reason, requested_by)
    VALUES (p_clue, c.procuratorate, p_to, router.city_of(p_to),
            router.common_superior(c.procuratorate, p_to), p_reason, p_actor)
    RETURNING * INTO t;
    PERFORM router.emit_transfer(p_producer, p_clue, t.id, t.from_proc, t.to_proc, 'requested',
                                 '', p_reason, p_actor, t.to_proc);
    RETURN json_build_object('status', 201, 'body', router.transfer_json(t), 'events', 1);
END $$;

-- The receiver's answer: accept (the clue becomes theirs) or dispute.
CREATE FUNCTION router.api_transfer_answer(p_transfer uuid, p_prefix text, p_actor text,
    p_accept boolean, p_reason text, p_producer text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE t router.transfer;
BEGIN
    SELECT * INTO t FROM router.transfer x WHERE x.id = p_transfer FOR UPDATE;
    IF NOT FOUND OR t.to_proc NOT LIKE p_prefix || '%' THEN
        RETURN router.api_error(404, 'not_found', 'no such transfer');
    END IF;
    IF t.status <> 'requested' THEN
        RETURN router.api_error(409, 'invalid_state',
            format('the transfer is %s, not waiting for an answer', t.status), 'status');
    END IF;
    UPDATE router.transfer x SET status = CASE WHEN p_accept THEN 'accepted' ELSE 'disputed' END,
           answer = p_reason, answered_by = p_actor, answered_at = now()
     WHERE x.id = p_transfer RETURNING * INTO t;
    IF p_accept THEN
        UPDATE router.clue x SET procuratorate = t.to_proc, city = t.to_city, queue = 'handling'
         WHERE x.id = t.clue_id;
        UPDATE router.deadline d SET procuratorate = t.to_proc
         WHERE d.clue_id = t.clue_id AND d.fired_at IS NULL;
    END IF;
    PERFORM router.emit_transfer(p_producer, t.clue_id, t.id, t.from_proc, t.to_proc,
        CASE WHEN p_accept THEN 'accepted' ELSE 'disputed' END,
        CASE WHEN p_accept THEN '' ELSE t.superior END, p_reason, p_actor,
        CASE WHEN p_accept THEN t.to_proc ELSE t.superior END);
    RETURN json_build_object('status', 200, 'body', router.transfer_json(t), 'events', 1);
END $$;

-- The common superior decides a disputed transfer: the clue goes to one
-- of the two.  p_prefix must cover the superior (the superior itself or a
-- procuratorate above it).
CREATE FUNCTION router.api_transfer_decide(p_transfer uuid, p_prefix text, p_actor text,
    p_to text, p_reason text, p_producer text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE t router.transfer;
BEGIN
    SELECT * INTO t FROM router.transfer x WHERE x.id = p_transfer FOR UPDATE;
    IF NOT FOUND OR t.superior NOT LIKE p_prefix || '%' THEN
        RETURN router.api_error(404, 'not_found', 'no such transfer');
    END IF;
    IF t.status <> 'disputed' THEN
        RETURN router.api_error(409, 'invalid_state',
            format('the transfer is %s, not disputed', t.status), 'status');
    END IF;
    IF p_to NOT IN (t.from_proc, t.to_proc) THEN
        RETURN router.api_error(400, 'invalid_value',
            'the clue goes to one of the two procuratorates of the dispute', 'procuratorate');
    END IF;
    UPDATE router.transfer x SET status = 'decided', decided_proc = p_to, decision = p_reason,
           decided_by = p_actor, decided_at = now()
     WHERE x.id = p_transfer RETURNING * INTO t;
    UPDATE router.clue x SET procuratorate = p_to, queue = 'handling',
           city = router.city_of(p_to)
     WHERE x.id = t.clue_id;
    UPDATE router.deadline d SET procuratorate = p_to
     WHERE d.clue_id = t.clue_id AND d.fired_at IS NULL;
    PERFORM router.emit_transfer(p_producer, t.clue_id, t.id, t.from_proc, t.to_proc, 'decided',
                                 t.superior, p_reason, p_actor, p_to);
    RETURN json_build_object('status', 200, 'body', router.transfer_json(t), 'events', 1);
END $$;

-- Transfers waiting for the caller: to answer (to them) or to decide (they
-- are the superior, or above it).
CREATE FUNCTION router.api_transfers(p_prefix text) RETURNS json LANGUAGE sql STABLE AS $$
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

-- ---- duplicate clusters: merge and split ----

CREATE TABLE router.cluster_history (
    id          bigserial PRIMARY KEY,
    action      text NOT NULL CHECK (action IN ('merge', 'split')),
    cluster_id  uuid NOT NULL,     -- the cluster that remains (merge) or is made (split)
    other_id    uuid NOT NULL,     -- the cluster merged away, or the one split from
    clue_id     uuid,              -- split: the clue that left
    actor       text NOT NULL,
    reason      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);

-- Merges cluster p_other into p_into: its clues (and reporters) join.
-- Both must be wholly within the caller's scope.
CREATE FUNCTION router.api_cluster_merge(p_into uuid, p_other uuid, p_prefix text,
    p_actor text, p_reason text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE v_moved integer; v_size integer;
BEGIN
    IF p_into = p_other THEN
        RETURN router.api_error(400, 'invalid_value', 'a cluster cannot be merged into itself', 'cluster_id');
    END IF;
    PERFORM 1 FROM router.cluster cl WHERE cl.id IN (p_into, p_other) ORDER BY cl.id FOR UPDATE;
    IF (SELECT count(*) FROM router.cluster cl WHERE cl.id IN (p_into, p_other)) <> 2
       OR EXISTS (SELECT 1 FROM router.clue c WHERE c.cluster_id IN (p_into, p_other)
                     AND c.procuratorate NOT LIKE p_prefix || '%') THEN
        RETURN router.api_error(404, 'not_found', 'no such cluster');
    END IF;
    UPDATE router.clue c SET cluster_id = p_into WHERE c.cluster_id = p_other;
    GET DIAGNOSTICS v_moved = ROW_COUNT;
    DELETE FROM router.cluster cl WHERE cl.id = p_other;
    UPDATE router.cluster cl SET size = (SELECT count(*) FROM router.clue c WHERE c.cluster_id = p_into),
           updated_at = now()
     WHERE cl.id = p_into RETURNING cl.size INTO v_size;
    INSERT INTO router.cluster_history (action, cluster_id, other_id, actor, reason)
    VALUES ('merge', p_into, p_other, p_actor, p_reason);
    RETURN json_build_object('status', 200, 'body',
        json_build_object('cluster_id', p_into, 'size', v_size, 'moved', v_moved));
END $$;

-- Takes one clue out of its cluster into a cluster of its own (not the
-- same matter after all).  A cluster's id is its first clue's; when that
-- clue leaves, the others keep the id.
CREATE FUNCTION router.api_clue_split(p_clue uuid, p_prefix text, p_actor text, p_reason text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE c router.clue; v_old router.cluster; v_new uuid := gen_random_uuid();
BEGIN
    SELECT * INTO c FROM router.clue x WHERE x.id = p_clue FOR UPDATE;
    IF NOT FOUND OR c.procuratorate NOT LIKE p_prefix || '%' THEN
        RETURN router.api_error(404, 'not_found', 'no such clue');
    END IF;
    SELECT * INTO v_old FROM router.cluster cl WHERE cl.id = c.cluster_id FOR UPDATE;
    IF v_old.size <= 1 THEN
        RETURN router.api_error(409, 'invalid_state', 'the clue is alone in its cluster', 'cluster_id');
    END IF;
    INSERT INTO router.cluster (id, field_code, region_code, lat, lon, procuratorate, simhash,
                                band0, band1, band2, band3, size, first_received_at,
                                last_received_at)
    SELECT v_new, c.field_code, c.region_code, c.lat, c.lon, c.procuratorate, c.simhash,
           b[1], b[2], b[3], b[4], 1, c.received_at, c.received_at
      FROM (SELECT ARRAY(SELECT CASE WHEN x >= 32768 THEN x - 65536 ELSE x END::smallint
                           FROM (SELECT (c.simhash >> (16 * i)) & 65535 AS x
                                   FROM generate_series(0, 3) i ORDER BY i) s) AS b) bands;
    UPDATE router.clue x SET cluster_id = v_new WHERE x.id = p_clue;
    UPDATE router.cluster cl SET size = cl.size - 1, updated_at = now() WHERE cl.id = v_old.id;
    INSERT INTO router.cluster_history (action, cluster_id, other_id, clue_id, actor, reason)
    VALUES ('split', v_new, v_old.id, p_clue, p_actor, p_reason);
    RETURN json_build_object('status', 200, 'body',
        json_build_object('cluster_id', v_new, 'from_cluster_id', v_old.id, 'clue_id', p_clue));
END $$;
