-- Merging and splitting duplicate clusters decided in C
-- (router_cluster.c): the router reads the clusters and their clues,
-- decides, packs ClusterChanged with the clues as they will be, and writes
-- here guarded by the versions it read (0012): a clue that joined or left
-- meanwhile makes the write fail with serialization_failure, and the
-- router reads and decides again.  Its functions (R__router_functions.sql)
-- only write.

-- Replaced by router_cluster.c and the functions of R__router_functions.sql.
DROP FUNCTION IF EXISTS router.api_cluster_merge(uuid, uuid, text, text, text, text);
DROP FUNCTION IF EXISTS router.api_clue_split(uuid, text, text, text, text);
DROP FUNCTION IF EXISTS router.emit_cluster_changed(text, text, uuid, uuid, text, text);
