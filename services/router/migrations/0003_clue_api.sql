-- gy:replaces-checksum b5b23fe8f9323cacd9d3c40c0d5d950a67e06cb0233a111e9dce51d397a3de41
-- This text supersedes the released one (docs/kit.md): that one also
-- created the protobuf encoders, emit_transfer and the transfer calls
-- (dropped by 0011 and 0014), and the cluster merge and split (replaced by
-- 0006, dropped by 0013): event bytes built in SQL.
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
