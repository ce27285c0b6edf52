-- Late assessment tasks were judged by the router's clock (common/gy_clock)
-- here, in a function that 0014 replaced by router_assess.c and
-- router.tasks_due.  What is left: the released function of 0004 goes where
-- it exists (a fresh database never had it).
DROP FUNCTION IF EXISTS router.assessment_expire(bigint, text, integer);
