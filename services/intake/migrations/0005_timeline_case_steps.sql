-- The case's public steps (the workflow's CaseStageChanged with a public
-- label: 已发出检察建议, 已整改, 已提起公益诉讼, 已结案 ...) reach each
-- reporter of the case's clues.  label is the workflow's wording of the
-- step (workflow_machines), shown as it came.
ALTER TABLE intake.timeline ADD COLUMN label text;
