-- Documents (文书) of a case: numbered gap-free per procuratorate, series
-- and year (workflow_docnum.h), with their text, who issued them, when
-- and on whom they were served, and their attachments' metadata.  The
-- number is decided in C (workflow_document.h) on the counter read before
-- the write; the write moves the counter from what was read, guarded, so
-- the counter moves only with a committed document.

-- The last number given per (procuratorate, series, year): series is the
-- template row's kind/case_kind ("suggestion/administrative").
CREATE TABLE workflow.document_counter (
    procuratorate text NOT NULL CHECK (procuratorate ~ '^[0-9]{6}$'),
    series        text NOT NULL,
    year          integer NOT NULL CHECK (year BETWEEN 1970 AND 9999),
    last_seq      bigint NOT NULL CHECK (last_seq >= 1),
    PRIMARY KEY (procuratorate, series, year)
);

CREATE TABLE workflow.document (
    id              uuid PRIMARY KEY,
    case_id         uuid NOT NULL REFERENCES workflow."case" (id),
    kind            text NOT NULL,     -- workflow_docnum.h: opening_decision, suggestion, ...
    case_kind       text NOT NULL CHECK (case_kind IN ('administrative', 'civil')),
    procuratorate   text NOT NULL CHECK (procuratorate ~ '^[0-9]{6}$'),
    series          text NOT NULL,
    year            integer NOT NULL,
    seq             bigint NOT NULL CHECK (seq >= 1),
    number          text NOT NULL,     -- 平检行公建〔2026〕3号
    name_zh         text NOT NULL,     -- 检察建议书
    text            text NOT NULL,
    text_source     text NOT NULL CHECK (text_source IN ('template', 'given')),
    recipient       text NOT NULL DEFAULT '',  -- 主送: the organ's name ('' when none)
    transition      text,              -- the case event that issued it; NULL: issued alone
    reason          text NOT NULL DEFAULT '',
    issued_by       text NOT NULL,
    issued_role     text NOT NULL,
    issued_at       timestamptz NOT NULL,
    -- An issue request retried with the same Idempotency-Key finds its
    -- document here instead of numbering a second one.
    idempotency_key text UNIQUE,
    request_hash    text,
    served_on       text,              -- on whom (送达对象), once served
    served_at       timestamptz,       -- when it was served (the caller's statement)
    served_method   text,
    served_by       text,              -- who recorded it, and when
    served_recorded_at timestamptz,
    version         integer NOT NULL DEFAULT 1,
    CONSTRAINT document_seq_once UNIQUE (procuratorate, series, year, seq),
    CONSTRAINT document_number_once UNIQUE (number),
    CHECK ((served_at IS NULL) = (served_on IS NULL))
);
CREATE INDEX document_case ON workflow.document (case_id, issued_at, id);

-- Attachments by name, type, size and sha256: metadata only; the bytes
-- live in the procuratorate's file store (docs/workflow.md, "Documents").
CREATE TABLE workflow.document_attachment (
    document_id uuid NOT NULL REFERENCES workflow.document (id),
    position    integer NOT NULL,
    name        text NOT NULL,
    media_type  text NOT NULL,
    size        bigint NOT NULL CHECK (size >= 0),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    added_by    text NOT NULL,
    added_at    timestamptz NOT NULL,
    PRIMARY KEY (document_id, position),
    UNIQUE (document_id, name)
);
