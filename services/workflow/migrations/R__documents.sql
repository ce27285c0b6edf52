-- Documents (文书): the functions that store what workflow_document and
-- workflow_document_api decided in C, and answer what the API shows
-- (docs/kit.md, "Repeatable files").  A guard that fails raises
-- serialization_failure (40001), or the unique keys unique_violation
-- (23505): the caller reads and decides again.  Times are the process
-- clock's (p_*_ms), never now().

-- What an issuer reads before it decides: the last number of every series
-- of the case's procuratorate in a year (none yet: no row).
CREATE OR REPLACE FUNCTION workflow.document_counters(p_case uuid, p_year integer)
RETURNS TABLE (series text, last_seq bigint) LANGUAGE sql STABLE AS $$
    SELECT k.series, k.last_seq
      FROM workflow.document_counter k JOIN workflow."case" c ON c.procuratorate = k.procuratorate
     WHERE c.id = p_case AND k.year = p_year
$$;

-- The case as an issue request needs it, and the document an
-- Idempotency-Key already made (NULLs when none).
CREATE OR REPLACE FUNCTION workflow.document_case_read(p_case uuid, p_key text)
RETURNS TABLE (kind text, procuratorate text, field_code text, state text, heroes boolean,
    title text, done_id uuid, done_hash text, done_case uuid)
LANGUAGE sql STABLE AS $$
    SELECT c.kind, c.procuratorate, c.field_code, c.state, c.heroes, c.title, d.id,
           d.request_hash, d.case_id
      FROM workflow."case" c
      LEFT JOIN workflow.document d ON d.idempotency_key = p_key
     WHERE c.id = p_case
$$;

-- A document issued with the number decided in C on last_seq = p_last:
-- the counter moves from p_last to the document's seq only if it still is
-- p_last (the first number of a series and year inserts the row, guarded
-- by its primary key), then the document (its unique keys are the last
-- guard against a doubled number).
CREATE OR REPLACE FUNCTION workflow.document_issue(p_doc jsonb, p_last bigint, p_at_ms bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_proc text := p_doc->>'procuratorate';
    v_series text := p_doc->>'series';
    v_year integer := (p_doc->>'year')::integer;
    v_seq bigint := (p_doc->>'seq')::bigint;
BEGIN
    IF v_seq <> p_last + 1 THEN
        RAISE EXCEPTION 'document number % does not follow %', v_seq, p_last
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_last = 0 THEN
        INSERT INTO workflow.document_counter (procuratorate, series, year, last_seq)
        VALUES (v_proc, v_series, v_year, v_seq);
    ELSE
        UPDATE workflow.document_counter k SET last_seq = v_seq
         WHERE k.procuratorate = v_proc AND k.series = v_series AND k.year = v_year
           AND k.last_seq = p_last;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'the % counter of % in % moved since it was read', v_series, v_proc,
                  v_year USING ERRCODE = 'serialization_failure';
        END IF;
    END IF;
    INSERT INTO workflow.document (id, case_id, kind, case_kind, procuratorate, series, year, seq,
        number, name_zh, text, text_source, recipient, transition, reason, issued_by,
        issued_role, issued_at, idempotency_key, request_hash)
    VALUES ((p_doc->>'id')::uuid, (p_doc->>'case_id')::uuid, p_doc->>'kind',
        p_doc->>'case_kind', v_proc, v_series, v_year, v_seq, p_doc->>'number',
        p_doc->>'name_zh', p_doc->>'text', p_doc->>'text_source',
        coalesce(p_doc->>'recipient', ''), p_doc->>'transition', coalesce(p_doc->>'reason', ''),
        p_doc->>'issued_by', p_doc->>'issued_role', workflow.at(p_at_ms),
        p_doc->>'idempotency_key', p_doc->>'request_hash');
END $$;

-- What serving and attaching read before they decide.
CREATE OR REPLACE FUNCTION workflow.document_read(p_id uuid)
RETURNS TABLE (procuratorate text, version integer, served boolean, issued_ms bigint,
    attachments json, case_id uuid, kind text, number text)
LANGUAGE sql STABLE AS $$
    SELECT d.procuratorate, d.version, d.served_at IS NOT NULL,
           floor(extract(epoch FROM d.issued_at) * 1000)::bigint,
           (SELECT coalesce(json_agg(json_build_object('name', a.name, 'media_type',
                        a.media_type, 'size', a.size, 'sha256', a.sha256) ORDER BY a.position),
                        '[]'::json)
              FROM workflow.document_attachment a WHERE a.document_id = d.id),
           d.case_id, d.kind, d.number
      FROM workflow.document d WHERE d.id = p_id
$$;

-- The case's latest document of a kind not served yet: what a transition
-- that serves one (serve_suggestion, ...) serves.
CREATE OR REPLACE FUNCTION workflow.document_unserved(p_case uuid, p_kind text)
RETURNS TABLE (id uuid, version integer, procuratorate text, number text)
LANGUAGE sql STABLE AS $$
    SELECT d.id, d.version, d.procuratorate, d.number FROM workflow.document d
     WHERE d.case_id = p_case AND d.kind = p_kind AND d.served_at IS NULL
     ORDER BY d.issued_at DESC, d.seq DESC LIMIT 1
$$;

-- Served once (送达): guarded by the version read and by not served yet.
CREATE OR REPLACE FUNCTION workflow.document_serve(p_id uuid, p_version integer, p_on text,
    p_served_ms bigint, p_method text, p_by text, p_at_ms bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workflow.document d SET served_on = p_on, served_at = workflow.at(p_served_ms),
           served_method = p_method, served_by = p_by, served_recorded_at = workflow.at(p_at_ms),
           version = d.version + 1
     WHERE d.id = p_id AND d.version = p_version AND d.served_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'document % changed since it was read', p_id
              USING ERRCODE = 'serialization_failure';
    END IF;
END $$;

-- One more attachment's metadata, guarded by the version read.
CREATE OR REPLACE FUNCTION workflow.document_attach(p_id uuid, p_version integer,
    p_attachment jsonb, p_by text, p_at_ms bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workflow.document d SET version = d.version + 1
     WHERE d.id = p_id AND d.version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'document % changed since it was read', p_id
              USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO workflow.document_attachment (document_id, position, name, media_type, size,
        sha256, added_by, added_at)
    VALUES (p_id, (SELECT count(*) + 1 FROM workflow.document_attachment a
                    WHERE a.document_id = p_id),
        p_attachment->>'name', p_attachment->>'media_type', (p_attachment->>'size')::bigint,
        p_attachment->>'sha256', p_by, workflow.at(p_at_ms));
END $$;

-- ---- what the API shows ----

CREATE OR REPLACE FUNCTION workflow.document_json(d workflow.document, p_text boolean)
RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', d.id, 'case_id', d.case_id, 'kind', d.kind, 'case_kind', d.case_kind,
        'name_zh', d.name_zh, 'procuratorate', d.procuratorate, 'series', d.series,
        'year', d.year, 'seq', d.seq, 'number', d.number, 'recipient', d.recipient,
        'transition', d.transition, 'reason', d.reason, 'text_source', d.text_source,
        'text', CASE WHEN p_text THEN d.text END, 'text_length', char_length(d.text),
        'issued_by', d.issued_by, 'issued_role', d.issued_role, 'issued_at', d.issued_at,
        'served', CASE WHEN d.served_at IS NULL THEN NULL ELSE json_build_object(
            'on', d.served_on, 'at', d.served_at, 'method', d.served_method,
            'recorded_by', d.served_by, 'recorded_at', d.served_recorded_at) END,
        'version', d.version,
        'attachments', (SELECT coalesce(json_agg(json_build_object('name', a.name,
                'media_type', a.media_type, 'size', a.size, 'sha256', a.sha256,
                'added_by', a.added_by, 'added_at', a.added_at) ORDER BY a.position), '[]'::json)
              FROM workflow.document_attachment a WHERE a.document_id = d.id))
$$;

-- A document in the caller's scope (NULL otherwise: answered 404).
CREATE OR REPLACE FUNCTION workflow.api_document(p_id uuid, p_prefix text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT workflow.document_json(d, true) FROM workflow.document d
     WHERE d.id = p_id AND d.procuratorate LIKE p_prefix || '%'
$$;

-- A case's documents in the order they were issued (without their text),
-- or NULL when the case is not in the caller's scope.
CREATE OR REPLACE FUNCTION workflow.api_case_documents(p_case uuid, p_prefix text) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('case_id', c.id, 'items',
               (SELECT coalesce(json_agg(workflow.document_json(d, false)
                                         ORDER BY d.issued_at, d.seq, d.id), '[]'::json)
                  FROM workflow.document d WHERE d.case_id = c.id))
      FROM workflow."case" c
     WHERE c.id = p_case AND c.procuratorate LIKE p_prefix || '%'
$$;
