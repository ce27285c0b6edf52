-- ClueRouted packed whole in C (router_store.c).  The router decides the
-- duplicate cluster before it packs the event: it reads the best stored
-- cluster for each clue of a batch (router.cluster_candidate, the same
-- rule route_clue applied inside its transaction), compares with the
-- clusters started earlier in the same batch, and hands the decision and
-- the packed body to router.route_clue_packed, which stores them in the
-- consumer's transaction.  No protobuf is built here any more for
-- ClueRouted: the body stored is the body C packed.

-- A cluster's version moves with every change of its clues (a clue
-- joins, a merge, a split), so a decision taken on a read of them is
-- written only if they are still what was read.
ALTER TABLE router.cluster ADD COLUMN version integer NOT NULL DEFAULT 0;

-- Same matter: a cluster leader of the same field with any band equal
-- (index), active within the window, same region or near, then the exact
-- distance.  Nearest first, then the oldest cluster.
CREATE FUNCTION router.cluster_candidate(p_field text, p_simhash bigint, p_band0 smallint,
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
-- s_clue_json names its members), in the caller's transaction: starts its
-- cluster (p_cluster = its own id) or joins p_cluster — which must still
-- exist (a merge may have removed it since the read: serialization_failure,
-- and the consumer retries with a fresh read) — makes its classification,
-- and appends p_body, the packed ClueRouted, to the outbox.  A new matter
-- that C decided to hold for assessment (p_hold_k assessors asked:
-- router.task_insert statements follow in the same transaction) keeps
-- p_body for later instead (sequence 0).  A clue id already stored gives
-- created = false.  Its deadlines are router_deadline's statements, after
-- this one.
CREATE FUNCTION router.route_clue_packed(p_clue json, p_cluster uuid, p_received_ms bigint,
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
        cluster_id, simhash, received_at, reporter_subject, decided_by,
        origin_producer, origin_reference)
    VALUES (v_id, p_clue->>'source_producer', (p_clue->>'source_sequence')::bigint,
        p_clue->>'title', p_clue->>'description', p_clue->>'region_code',
        (p_clue->>'lat')::float8, (p_clue->>'lon')::float8, p_clue->>'reporter_field_code',
        p_clue->>'field_code', (p_clue->>'field_confidence')::real,
        (p_clue->>'major')::boolean, v_proc, p_clue->>'city', p_clue->>'queue',
        p_clue->>'rule', (p_clue->>'priority')::integer, p_cluster,
        (p_clue->>'simhash')::bigint, v_received, nullif(p_clue->>'reporter_subject', ''),
        'triage', p_clue->>'origin_producer', p_clue->>'origin_reference');

    INSERT INTO router.classification (clue_id, field_code, confidence, decided_by, reason)
    VALUES (v_id, p_clue->>'field_code', (p_clue->>'field_confidence')::real, 'triage',
            p_clue->>'reason');

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

-- Replaced by the two above.
DROP FUNCTION IF EXISTS router.route_clue(uuid, text, bigint, text, text, text, double precision,
    double precision, text, text, real, text, boolean, text, text, text, text, integer, bigint,
    smallint, smallint, smallint, smallint, bigint, integer, bigint, double precision, text,
    uuid, bigint, text, bytea, text, integer, bigint);
