-- Assessment decided in C (router_assess.c): a task's step (submit,
-- decline, expire) is looked up in the task machine, the clue's outcome
-- (route, reject, review, or wait) is computed from its tasks by
-- router_assess_decide, a prosecutor's review by the clue machine, and
-- every event (AssessmentRequested, AssessmentRecorded, ClueRouted,
-- ClueRejected) is packed from the generated code.  Its functions
-- (R__router_functions.sql) read and write; the writes are guarded by the
-- state and version read (serialization_failure when either moved: the
-- router reads again).

ALTER TABLE router.assessment_task ADD COLUMN version integer NOT NULL DEFAULT 0;

-- Replaced by router_assess.c and the functions of R__router_functions.sql:
-- holding a new matter (route_clue_packed) marks it; the tasks are
-- router.task_insert statements of the same transaction.
DROP FUNCTION IF EXISTS router.api_task_submit(uuid, uuid, integer, integer, integer, text, text, text);
DROP FUNCTION IF EXISTS router.api_task_decline(uuid, uuid, text, bigint, text);
DROP FUNCTION IF EXISTS router.api_clue_decide(uuid, text, text, text, text, text, text);
DROP FUNCTION IF EXISTS router.assessment_expire(bigint, bigint, text, integer);
DROP FUNCTION IF EXISTS router.assessment_decide(uuid, text, text);
DROP FUNCTION IF EXISTS router.hold_for_assessment(uuid, bytea, integer, bigint, text, text);
DROP FUNCTION IF EXISTS router.assign_assessors(uuid, integer, bigint, text, text);
DROP FUNCTION IF EXISTS router.release_routed(router.clue, integer, text, text, text);
DROP FUNCTION IF EXISTS router.emit_rejected(router.clue, text, text, text, text, text);
DROP FUNCTION IF EXISTS router.emit_assessment_requested(text, text, router.assessment_task, router.clue,
                                               text);

-- Nothing builds protobuf in SQL any more (DESIGN.md, "events packed only
-- in C"): the encoders that the released 0003 created (router.pb_*) go
-- where they exist; a fresh database never had them.  By the catalog, so
-- that no migration names them.
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
              WHERE p.pronamespace = 'router'::regnamespace AND p.proname LIKE 'pb\_%'
    LOOP
        EXECUTE format('DROP FUNCTION %s', f);
    END LOOP;
END $$;
