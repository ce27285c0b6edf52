-- Transfers (移送) decided in C (router_transfer.c, router_machines.c):
-- the router reads the transfer (or the clue), looks the step up in the
-- transfer machine's state x event table, packs ClueTransferred from the
-- generated code and writes here, guarded by the state and the version it
-- decided on.  A guard that matches no row raises serialization_failure
-- (40001): something changed meanwhile, and the router reads and decides
-- again.  These functions only write; they build no event.

ALTER TABLE router.transfer ADD COLUMN version integer NOT NULL DEFAULT 0;
ALTER TABLE router.clue ADD COLUMN version integer NOT NULL DEFAULT 0;

-- The integrator's work order of a clue submitted over the bus
-- (ClueReceived.origin), carried on every event about the clue: '' when
-- the clue came over HTTP.
ALTER TABLE router.clue ADD COLUMN origin_producer text NOT NULL DEFAULT '',
                        ADD COLUMN origin_reference text NOT NULL DEFAULT '';

-- A new transfer of a clue still where the router saw it (procuratorate
-- and version).  The unique index transfer_open refuses a second open one.
CREATE FUNCTION router.transfer_insert(p_clue uuid, p_clue_version integer, p_id uuid,
    p_from text, p_to text, p_to_city text, p_superior text, p_reason text, p_actor text)
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
                                 requested_by)
    VALUES (p_id, p_clue, p_from, p_to, p_to_city, p_superior, p_reason, p_actor)
    RETURNING * INTO t;
    RETURN router.transfer_json(t);
END $$;

-- One step of a transfer from p_state (at p_version) to p_next.  An
-- answer (accepted, disputed) keeps the receiver's reason; a decision the
-- superior's, with p_to.  When the clue changes hands (accepted, or
-- decided to p_to) it moves there with its pending deadlines.
CREATE FUNCTION router.transfer_step(p_id uuid, p_state text, p_version integer, p_next text,
    p_to text, p_to_city text, p_reason text, p_actor text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE t router.transfer;
BEGIN
    IF p_next = 'decided' THEN
        UPDATE router.transfer x SET status = p_next, version = x.version + 1,
               decided_proc = p_to, decision = p_reason, decided_by = p_actor, decided_at = now()
         WHERE x.id = p_id AND x.status = p_state AND x.version = p_version
        RETURNING * INTO t;
    ELSE
        UPDATE router.transfer x SET status = p_next, version = x.version + 1,
               answer = p_reason, answered_by = p_actor, answered_at = now()
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
CREATE FUNCTION router.transfer_state(p_id uuid) RETURNS TABLE (status text, version integer,
    clue_id uuid, from_proc text, to_proc text, superior text, origin_producer text,
    origin_reference text)
LANGUAGE sql STABLE AS $$
    SELECT t.status, t.version, t.clue_id, t.from_proc::text, t.to_proc::text, t.superior::text,
           c.origin_producer, c.origin_reference
      FROM router.transfer t JOIN router.clue c ON c.id = t.clue_id WHERE t.id = p_id
$$;

CREATE FUNCTION router.clue_transfer_state(p_id uuid) RETURNS TABLE (procuratorate text,
    version integer, open_transfer boolean, origin_producer text, origin_reference text)
LANGUAGE sql STABLE AS $$
    SELECT c.procuratorate::text, c.version,
           EXISTS (SELECT 1 FROM router.transfer t
                    WHERE t.clue_id = c.id AND t.status IN ('requested', 'disputed')),
           c.origin_producer, c.origin_reference
      FROM router.clue c WHERE c.id = p_id
$$;

-- Replaced by the above and router_transfer.c.
DROP FUNCTION IF EXISTS router.api_transfer_request(uuid, text, text, text, text, text);
DROP FUNCTION IF EXISTS router.api_transfer_answer(uuid, text, text, boolean, text, text);
DROP FUNCTION IF EXISTS router.api_transfer_decide(uuid, text, text, text, text, text);
DROP FUNCTION IF EXISTS router.emit_transfer(text, uuid, uuid, text, text, text, text, text, text, text);
