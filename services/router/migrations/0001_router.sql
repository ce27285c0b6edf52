-- router schema: see 0001_router.sql (work in progress)
CREATE SCHEMA IF NOT EXISTS router;
