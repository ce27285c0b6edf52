-- A volunteer's own clues (GET /api/v1/clues, R__timeline.sql): found by
-- their subject, newest first, page after page.  Most clues are
-- anonymous (no subject) and a volunteer has a few among many, so the
-- index holds only the volunteers' clues, in the list's order.
CREATE INDEX clue_reporter ON intake.clue (reporter_subject, received_at, id)
    WHERE reporter_subject IS NOT NULL;
