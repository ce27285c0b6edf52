-- The workflow's 不立案 (ClueNotOpened) comes with a public reason: the one
-- text a chief prosecutor writes for the reporter, shown on their
-- timeline.  It is the only free text the timeline keeps, and it is
-- written to be public (the internal reason never leaves the workflow).
ALTER TABLE intake.timeline ADD COLUMN public_reason text;
