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

-- Replaced by cluster_candidate and route_clue_packed (R__router_functions.sql).
DROP FUNCTION IF EXISTS router.route_clue(uuid, text, bigint, text, text, text, double precision,
    double precision, text, text, real, text, boolean, text, text, text, text, integer, bigint,
    smallint, smallint, smallint, smallint, bigint, integer, bigint, double precision, text,
    uuid, bigint, text, bytea, text, integer, bigint);
