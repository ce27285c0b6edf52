-- A duplicate cluster shows the caller only the clues their scope covers.
--
-- The same text from two counties joins one cluster, and a clue's detail
-- listed every clue of its cluster: a county's prosecutor read another
-- county's clue (id, title, region, time) that their scope hides
-- everywhere else.  The cluster now lists the members within p_prefix
-- (gy_scope) and only counts the others ("others"), so a prosecutor still
-- knows the matter was reported elsewhere and asks the common superior.
--
-- The other places a cluster is shown already hold: lists carry only
-- cluster_id, a merge needs both clusters wholly in scope and answers with
-- counts, a split answers with cluster ids.  Only this read function
-- changes; the write functions are left to their move into C.

-- The cluster of a clue as a caller with scope p_prefix may see it.
CREATE FUNCTION router.cluster_json(p_cluster uuid, p_prefix text) RETURNS json
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
