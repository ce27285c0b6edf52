-- Merging and splitting duplicate clusters decided in C
-- (router_cluster.c): the router reads the clusters and their clues,
-- decides, packs ClusterChanged with the clues as they will be, and writes
-- here guarded by the versions it read (0012): a clue that joined or left
-- meanwhile makes the write fail with serialization_failure, and the
-- router reads and decides again.  These functions only write.

-- The clusters and their clues, for a decision: one row per clue (oldest
-- first), with its cluster's version, size and procuratorate.
CREATE FUNCTION router.clusters_state(p_ids uuid[]) RETURNS TABLE (cluster_id uuid,
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
CREATE FUNCTION router.clue_cluster(p_clue uuid) RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT c.cluster_id FROM router.clue c WHERE c.id = p_clue
$$;

CREATE FUNCTION router.cluster_guard(p_id uuid, p_version integer) RETURNS void
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
CREATE FUNCTION router.cluster_merge(p_into uuid, p_into_version integer, p_other uuid,
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
CREATE FUNCTION router.cluster_split(p_clue uuid, p_old uuid, p_old_version integer,
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

-- Replaced by the above and router_cluster.c.
DROP FUNCTION IF EXISTS router.api_cluster_merge(uuid, uuid, text, text, text, text);
DROP FUNCTION IF EXISTS router.api_clue_split(uuid, text, text, text, text);
DROP FUNCTION IF EXISTS router.emit_cluster_changed(text, text, uuid, uuid, text, text);
