-- The registry announces every change of a volunteer (VolunteerChanged,
-- packed in C: router_volunteer_event.c) with the standing after it.  The
-- C decides on the volunteer it read, so each change counts up a version
-- that the write checks: a change made in between fails the write, which
-- reads and decides again.  Declaring a conflict counts too (the conflicts
-- are part of the standing announced).
ALTER TABLE router.volunteer ADD COLUMN version bigint NOT NULL DEFAULT 1;
