-- The holiday calendar case due dates are judged on, in the workflow's own
-- schema as the router keeps its own (DESIGN.md, "Time and legal
-- periods"): the file (GY_HOLIDAYS) is merged in at start; a year loaded
-- here since (the next year's arrangement, published each November or
-- December) is read without a restart: the workflow polls the version and
-- recomputes its provisional deadlines.
CREATE TABLE workflow.holiday (
    day  date PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name text NOT NULL CHECK (name <> '')
);

-- The years whose arrangement is loaded: a year is covered when it is here,
-- whatever rows workflow.holiday has for it.
CREATE TABLE workflow.calendar_year (
    year      integer PRIMARY KEY CHECK (year BETWEEN 1970 AND 9999),
    source    text NOT NULL CHECK (source <> ''),
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- Bumped by every change to the calendar; the workflow polls it and reloads.
CREATE TABLE workflow.calendar_version (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL
);
INSERT INTO workflow.calendar_version (version) VALUES (1);

CREATE FUNCTION workflow.calendar_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workflow.calendar_version SET version = version + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER holiday_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow.holiday
    FOR EACH STATEMENT EXECUTE FUNCTION workflow.calendar_changed();
CREATE TRIGGER calendar_year_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow.calendar_year
    FOR EACH STATEMENT EXECUTE FUNCTION workflow.calendar_changed();
