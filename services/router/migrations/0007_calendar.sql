-- The public-holiday calendar legal periods follow (DESIGN.md, "Periods";
-- reference/holidays.csv, put here by the router at every start): a period
-- whose last day is a rest day — Saturday, Sunday or a holiday, unless the
-- day is a weekend day worked instead (调休) — ends on the next working day.
-- Days are those of Beijing time.

CREATE TABLE router.holiday (
    day  date PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name text NOT NULL
);

-- Replaces the calendar with the router's reference data, in one statement.
CREATE FUNCTION router.calendar_replace(p_days json) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
    DELETE FROM router.holiday;
    INSERT INTO router.holiday (day, kind, name)
    SELECT d.day, d.kind, d.name FROM json_to_recordset(p_days) AS d(day date, kind text, name text);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- The first working day on or after p_day.
CREATE FUNCTION router.working_day_on_or_after(p_day date) RETURNS date
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE d date := p_day; k text;
BEGIN
    -- The longest run of rest days in any calendar is far below this.
    FOR i IN 1..60 LOOP
        SELECT h.kind INTO k FROM router.holiday h WHERE h.day = d;
        IF k = 'workday' OR (k IS NULL AND extract(isodow FROM d) < 6) THEN
            RETURN d;
        END IF;
        d := d + 1;
    END LOOP;
    RETURN d;
END $$;

-- A reporter deadline that would end on a rest day ends on the next working
-- day, at the same time of day.  The rule's period stays in
-- router.deadline_rule; the calendar decides the day.
CREATE FUNCTION router.deadline_on_working_day() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_local timestamp := NEW.due_at AT TIME ZONE 'Asia/Shanghai';
    v_day date := router.working_day_on_or_after(v_local::date);
BEGIN
    IF v_day <> v_local::date THEN
        NEW.due_at := (v_day + (v_local - date_trunc('day', v_local))) AT TIME ZONE 'Asia/Shanghai';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER deadline_working_day BEFORE INSERT ON router.deadline
    FOR EACH ROW EXECUTE FUNCTION router.deadline_on_working_day();
