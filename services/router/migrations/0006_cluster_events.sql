-- gy:replaces-checksum 969484d6a6b12ee0201821b8740b8a7b3462cb5ecf47d46fab1f3535228cf838
-- This text supersedes the released one (docs/kit.md), which made merging
-- and splitting duplicate clusters append ClusterChanged built in SQL (a
-- new emitter and the two calls of 0003 replaced).  0013 replaced all three
-- by router_clusters.c, which packs the event in C; nothing of it is left
-- to do here.
SELECT 1;
