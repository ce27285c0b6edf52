-- The reporter's view of their clues' progress (repeatable: edit it
-- here).  GET /api/v1/clues/{receipt_code} (intake_timeline.c) and a
-- volunteer's list of their own clues (GET /api/v1/clues) both take a
-- clue's status and latest step from intake.clue_last_step, so the list
-- never says anything else than the follow-up page.

-- An instant as the API writes it: UTC, milliseconds, "Z".
CREATE OR REPLACE FUNCTION intake.api_time(p_at timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT AS $$
    SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- A clue's latest public step, which is its status: the last of its
-- timeline in the order the follow-up lists it (by time, then by the
-- order the steps were recorded), or "received" when nothing followed.
-- {"step","at"}, plus "label" for a case's step (the workflow's wording).
CREATE OR REPLACE FUNCTION intake.clue_last_step(c intake.clue) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT json_strip_nulls(json_build_object(
                    'step', t.step, 'at', intake.api_time(t.at), 'label', t.label))
           FROM intake.timeline t WHERE t.clue_id = c.id
          ORDER BY t.at DESC, t.id DESC LIMIT 1),
        json_build_object('step', 'received', 'at', intake.api_time(c.received_at)))
$$;

-- A volunteer's own clues, newest first, one keyset page after
-- (p_after_at, p_after_id) (both NULL: the first).  Only what they
-- submitted that identifies the clue, and its public progress: never the
-- description, the location, the attachments or the sealed reporter (the
-- list is a list, and a token taken from a volunteer must not open their
-- identity).  "next" is the cursor of the last row when the page is full.
CREATE OR REPLACE FUNCTION intake.api_reporter_clues(p_subject text, p_after_at timestamptz,
    p_after_id uuid, p_limit integer)
RETURNS json LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT c, intake.clue_last_step(c) AS last_step FROM intake.clue c
         WHERE c.reporter_subject = p_subject
           AND (p_after_at IS NULL OR (c.received_at, c.id) < (p_after_at, p_after_id))
         ORDER BY c.received_at DESC, c.id DESC
         LIMIT p_limit)
    SELECT json_build_object(
        'items', coalesce(json_agg(json_build_object(
                'id', (page.c).id, 'receipt_code', (page.c).receipt_code,
                'title', (page.c).title, 'field_code', (page.c).field_code,
                'region_code', (page.c).region_code, 'status', page.last_step->>'step',
                'received_at', intake.api_time((page.c).received_at),
                'last_step', page.last_step)
            ORDER BY (page.c).received_at DESC, (page.c).id DESC), '[]'::json),
        'next', CASE WHEN count(*) = p_limit THEN
            (array_agg(floor(extract(epoch FROM (page.c).received_at) * 1000000)::bigint::text
                       || '.' || (page.c).id::text
                       ORDER BY (page.c).received_at, (page.c).id))[1] END)
      FROM page
$$;
