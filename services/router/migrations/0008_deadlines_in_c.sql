-- Reporter deadlines computed in C (common/gy_calendar, the legal periods of
-- DESIGN.md "Time and legal periods") and fired by common/gy_due; the
-- calendar is data the router re-reads when it changes, without a restart.
-- Replaces the trigger and the SQL calendar functions of 0007.

DROP TRIGGER deadline_working_day ON router.deadline;
DROP FUNCTION router.deadline_on_working_day();
DROP FUNCTION router.working_day_on_or_after(date);
DROP FUNCTION router.calendar_replace(json);
DROP FUNCTION IF EXISTS router.fire_deadline(uuid, text, text, uuid, bigint, text, text, bytea);

-- The rule's version: a deadline keeps the version that computed it.
ALTER TABLE router.deadline_rule ADD COLUMN version integer NOT NULL DEFAULT 1;

-- Every deadline keeps its rule and version, its start event and instant,
-- whether its due date is provisional (it lies in a year whose holiday
-- arrangement is not loaded yet) and every reason its due date moved.
-- rule_version is NULL only between a row's insert by an older
-- router.route_clue and its computation in the same transaction.
ALTER TABLE router.deadline
    ADD COLUMN rule_version integer,
    ADD COLUMN start_event  text,
    ADD COLUMN start_at     timestamptz,
    ADD COLUMN provisional  boolean NOT NULL DEFAULT false,
    ADD COLUMN reasons      jsonb NOT NULL DEFAULT '[]';
UPDATE router.deadline d SET rule_version = 1, start_event = 'ClueReceived',
       start_at = c.received_at
  FROM router.clue c WHERE c.id = d.clue_id;
CREATE INDEX deadline_provisional ON router.deadline (clue_id, rule)
    WHERE provisional AND fired_at IS NULL AND met_at IS NULL;

-- The years whose arrangement is loaded: a year is covered when it is here,
-- whatever rows router.holiday has for it.
CREATE TABLE router.calendar_year (
    year      integer PRIMARY KEY CHECK (year BETWEEN 1970 AND 9999),
    source    text NOT NULL CHECK (source <> ''),
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- Bumped by every change to the calendar; the router polls it and reloads.
CREATE TABLE router.calendar_version (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL
);
INSERT INTO router.calendar_version (version) VALUES (1);

CREATE FUNCTION router.calendar_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE router.calendar_version SET version = version + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER holiday_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON router.holiday
    FOR EACH STATEMENT EXECUTE FUNCTION router.calendar_changed();
CREATE TRIGGER calendar_year_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON router.calendar_year
    FOR EACH STATEMENT EXECUTE FUNCTION router.calendar_changed();
