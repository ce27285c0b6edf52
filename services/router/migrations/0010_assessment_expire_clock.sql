-- Late assessment tasks by the router's clock (common/gy_clock), not the
-- database's now(): a task's due time is computed from the process clock,
-- so "past due" must be judged by the same clock (a test that sets the
-- clock to a fixed date saw every task late at once).  Only the time
-- comparison changed from 0004.
DROP FUNCTION router.assessment_expire(bigint, text, integer);

CREATE FUNCTION router.assessment_expire(p_now_ms bigint, p_due_ms bigint, p_producer text,
    p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE t record; n integer := 0; v_decision text;
BEGIN
    FOR t IN
        SELECT a.id, a.clue_id FROM router.assessment_task a
         WHERE a.status = 'assigned' AND a.due_at <= to_timestamp(p_now_ms / 1000.0)
         ORDER BY a.due_at LIMIT p_limit FOR UPDATE SKIP LOCKED
    LOOP
        UPDATE router.assessment_task x SET status = 'late' WHERE x.id = t.id;
        n := n + router.assign_assessors(t.clue_id, 1, p_due_ms, p_producer, NULL);
        v_decision := router.assessment_decide(t.clue_id, p_producer, NULL);
        IF v_decision IN ('route', 'reject') THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END $$;
