-- Lists of clues are scoped by procuratorate prefix and paged by
-- (routed_at, id): clue_scope (0003) serves them all, queue filter
-- included.  These were made for lists that never came to be; every index
-- costs each routed clue an insertion (docs/performance.md, "Router").
DROP INDEX router.clue_queue;
DROP INDEX router.clue_city;
DROP INDEX router.clue_review;
