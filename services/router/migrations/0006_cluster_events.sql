-- Merging and splitting duplicate clusters become events (ClusterChanged),
-- so that notify can keep every reporter of a matter informed: the two
-- functions of 0003 now take the router's producer id and append the event
-- in the transaction of the change.

DROP FUNCTION router.api_cluster_merge(uuid, uuid, text, text, text);
DROP FUNCTION router.api_clue_split(uuid, text, text, text);

-- ClusterChanged (proto/gongyi.proto): the cluster's clues as they are now.
CREATE FUNCTION router.emit_cluster_changed(p_producer text, p_action text, p_cluster uuid,
    p_other uuid, p_by text, p_reason text) RETURNS bigint LANGUAGE sql AS $$
    SELECT router.outbox_append(p_producer, gen_random_uuid(), 'ClusterChanged',
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint, '',
        (SELECT cl.procuratorate FROM router.cluster cl WHERE cl.id = p_cluster),
        router.pb_string(1, p_action) || router.pb_string(2, p_cluster::text)
        || router.pb_string(3, p_other::text)
        || coalesce((SELECT string_agg(router.pb_string(4, c.id::text), ''::bytea
                                       ORDER BY c.received_at, c.id)
                       FROM router.clue c WHERE c.cluster_id = p_cluster), ''::bytea)
        || router.pb_string(5, p_by) || router.pb_string(6, p_reason))
$$;

-- Merges cluster p_other into p_into: its clues (and reporters) join.
-- Both must be wholly within the caller's scope.
CREATE FUNCTION router.api_cluster_merge(p_into uuid, p_other uuid, p_prefix text,
    p_actor text, p_reason text, p_producer text) RETURNS json LANGUAGE plpgsql AS $$
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
    PERFORM router.emit_cluster_changed(p_producer, 'merge', p_into, p_other, p_actor, p_reason);
    RETURN json_build_object('status', 200, 'body',
        json_build_object('cluster_id', p_into, 'size', v_size, 'moved', v_moved), 'events', 1);
END $$;

-- Takes one clue out of its cluster into a cluster of its own.  A
-- cluster's id is its first clue's; when that clue leaves, the others keep
-- the id.
CREATE FUNCTION router.api_clue_split(p_clue uuid, p_prefix text, p_actor text, p_reason text,
    p_producer text) RETURNS json LANGUAGE plpgsql AS $$
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
    -- Both clusters changed: the new one (the clue alone) and the old one.
    PERFORM router.emit_cluster_changed(p_producer, 'split', v_new, v_old.id, p_actor, p_reason);
    PERFORM router.emit_cluster_changed(p_producer, 'split', v_old.id, v_new, p_actor, p_reason);
    RETURN json_build_object('status', 200, 'body',
        json_build_object('cluster_id', v_new, 'from_cluster_id', v_old.id, 'clue_id', p_clue),
        'events', 2);
END $$;
