-- Every year's arrangement loaded through the API (common/gy_calendar_api,
-- docs/calendar.md): who loaded it and when, its rows as sent, and, when it
-- replaced the year's earlier arrangement ("replace": true, an
-- administrator of a province or of the Supreme People's Procuratorate),
-- the source it replaced.  A published arrangement is not edited: a
-- correction is a new load, kept here beside the first.
CREATE TABLE workflow.calendar_load (
    id              bigserial PRIMARY KEY,
    year            integer NOT NULL CHECK (year BETWEEN 1970 AND 9999),
    source          text NOT NULL CHECK (source <> ''),
    days            jsonb NOT NULL,
    replace         boolean NOT NULL,
    replaced_source text,
    loaded_by       text NOT NULL,
    loaded_at       timestamptz NOT NULL
);
CREATE INDEX calendar_load_year ON workflow.calendar_load (year, id);
