-- The volunteer registry (志愿者): applications without an account,
-- appointment by a procuratorate (聘任: certificate number and term),
-- expertise fields, roles, suspension and expiry, and the log of every look
-- at a person's data (DESIGN.md invariant 8).
--
-- The API's writes are functions that answer {"status": <HTTP status>,
-- "body": <JSON>} so that a request's checks and its effect run in one
-- transaction and a refusal writes nothing.  The caller (router_api.c) has
-- already checked the input's shape, the bearer token and the caller's
-- jurisdiction prefix (router_scope.h); what only the database knows (does
-- the volunteer exist, is the login free, may this state change happen) is
-- decided here.

-- Which status an action leads to, from which status: the registry's state
-- machine as data.  An action not listed for the current status is refused
-- with 409 invalid_state.
CREATE TABLE router.volunteer_transition (
    from_status text NOT NULL,
    action      text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (from_status, action)
);
INSERT INTO router.volunteer_transition (from_status, action, to_status) VALUES
    ('applied', 'appoint', 'appointed'),
    ('applied', 'reject', 'rejected'),
    ('appointed', 'appoint', 'appointed'),   -- renewal: a new certificate or term
    ('appointed', 'suspend', 'suspended'),
    ('suspended', 'reinstate', 'appointed'),
    ('suspended', 'dismiss', 'dismissed'),
    ('appointed', 'dismiss', 'dismissed');

CREATE TABLE router.volunteer (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    login          text NOT NULL UNIQUE,
    password_hash  text NOT NULL,        -- argon2id (libsodium crypto_pwhash_str)
    person_sealed  bytea NOT NULL,       -- {"name","phone","email"} sealed with GY_SEAL_KEY
    procuratorate  char(6) NOT NULL,     -- applied to / appointed by
    city           char(6) NOT NULL,     -- the city above it (assessors: same city)
    expertise      text[] NOT NULL,      -- field codes
    roles          text[] NOT NULL,      -- informant, assessor, supervisor
    statement      text NOT NULL,        -- the applicant's own words
    status         text NOT NULL DEFAULT 'applied'
                   CHECK (status IN ('applied', 'appointed', 'suspended', 'rejected', 'dismissed')),
    certificate_no text UNIQUE,
    term_start     date,
    term_end       date,
    applied_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (status NOT IN ('appointed', 'suspended')
           OR (certificate_no IS NOT NULL AND term_start IS NOT NULL AND term_end >= term_start))
);
-- Lists are scoped by a procuratorate prefix and paged by (applied_at, id).
CREATE INDEX volunteer_scope ON router.volunteer (procuratorate bpchar_pattern_ops, applied_at, id);
CREATE INDEX volunteer_pool ON router.volunteer (city, status) WHERE status = 'appointed';

-- Every change of a volunteer's standing: who, when, why.
CREATE TABLE router.volunteer_history (
    id           bigserial PRIMARY KEY,
    volunteer_id uuid NOT NULL REFERENCES router.volunteer (id),
    action       text NOT NULL,
    from_status  text NOT NULL,
    to_status    text NOT NULL,
    actor        text NOT NULL,          -- token subject
    reason       text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX volunteer_history_volunteer ON router.volunteer_history (volunteer_id, id);

-- Every disclosure of personal data, written in the transaction that reads
-- it: whose data, to whom, with what authority.
CREATE TABLE router.personal_data_access (
    id            bigserial PRIMARY KEY,
    object_kind   text NOT NULL,         -- 'volunteer'
    object_id     uuid NOT NULL,
    subject       text NOT NULL,         -- the reader's token subject
    role          text NOT NULL,
    procuratorate text NOT NULL,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX personal_data_access_object ON router.personal_data_access (object_kind, object_id, id);

CREATE FUNCTION router.api_error(p_status integer, p_code text, p_message text,
    p_field text DEFAULT NULL) RETURNS json LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('status', p_status, 'body',
        json_build_object('error', json_build_object('code', p_code, 'message', p_message,
                                                     'field', p_field)))
$$;

-- A volunteer as the registry shows it to those who manage it (no personal data).
CREATE FUNCTION router.volunteer_json(v router.volunteer) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', v.id, 'login', v.login, 'status', v.status,
        'procuratorate', v.procuratorate, 'city', v.city,
        'expertise', to_json(v.expertise), 'roles', to_json(v.roles),
        'statement', v.statement, 'certificate_no', v.certificate_no,
        'term_start', v.term_start, 'term_end', v.term_end,
        'term_expired', v.term_end IS NOT NULL AND v.term_end < current_date,
        'applied_at', v.applied_at, 'updated_at', v.updated_at)
$$;

CREATE FUNCTION router.api_apply(p_login text, p_password_hash text, p_person bytea,
    p_procuratorate text, p_city text, p_expertise json, p_roles json, p_statement text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE v_id uuid;
BEGIN
    INSERT INTO router.volunteer (login, password_hash, person_sealed, procuratorate, city,
                                  expertise, roles, statement)
    VALUES (p_login, p_password_hash, p_person, p_procuratorate, p_city,
            ARRAY(SELECT json_array_elements_text(p_expertise)),
            ARRAY(SELECT json_array_elements_text(p_roles)), p_statement)
    ON CONFLICT (login) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RETURN router.api_error(409, 'login_taken', 'this login is already registered', 'login');
    END IF;
    RETURN json_build_object('status', 201, 'body',
                             json_build_object('id', v_id, 'status', 'applied'));
END $$;

-- What login needs to decide; the password is checked in C (argon2id).
CREATE FUNCTION router.login_lookup(p_login text)
RETURNS TABLE (id uuid, password_hash text, status text, procuratorate text,
               term_ok boolean) LANGUAGE sql STABLE AS $$
    SELECT v.id, v.password_hash, v.status, v.procuratorate::text,
           v.term_start <= current_date AND v.term_end >= current_date
      FROM router.volunteer v WHERE v.login = p_login
$$;

-- One page of volunteers within the caller's jurisdiction (procuratorate
-- codes starting with p_prefix), oldest application first, after the
-- keyset cursor (p_after_at, p_after_id) when given.
CREATE FUNCTION router.api_volunteers(p_prefix text, p_status text,
    p_after_at timestamptz, p_after_id uuid, p_limit integer)
RETURNS json LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT v FROM router.volunteer v
         WHERE v.procuratorate LIKE p_prefix || '%'
           AND (p_status IS NULL OR v.status = p_status)
           AND (p_after_at IS NULL OR (v.applied_at, v.id) > (p_after_at, p_after_id))
         ORDER BY v.applied_at, v.id
         LIMIT p_limit)
    SELECT json_build_object('status', 200, 'body', json_build_object(
        'items', coalesce(json_agg(router.volunteer_json(page.v)
                                   ORDER BY (page.v).applied_at, (page.v).id), '[]'::json),
        -- the cursor of the next page: the last row's keyset, when the page is full
        'next', CASE WHEN count(*) = p_limit THEN
            (array_agg(floor(extract(epoch FROM (page.v).applied_at) * 1000000)::bigint::text
                       || '.' || (page.v).id::text
                       ORDER BY (page.v).applied_at DESC, (page.v).id DESC))[1] END))
      FROM page
$$;

-- One volunteer with their personal data (sealed; router_api.c opens it),
-- logging the access in the same transaction.  p_prefix NULL: the
-- volunteer themself (p_self_id).
CREATE FUNCTION router.api_volunteer(p_id uuid, p_prefix text, p_subject text, p_role text,
    p_procuratorate text)
RETURNS TABLE (answer json, person bytea) LANGUAGE plpgsql AS $$
DECLARE v router.volunteer;
BEGIN
    SELECT * INTO v FROM router.volunteer x WHERE x.id = p_id;
    IF NOT FOUND OR (p_prefix IS NOT NULL AND v.procuratorate NOT LIKE p_prefix || '%')
       OR (p_prefix IS NULL AND p_subject <> p_id::text) THEN
        RETURN QUERY SELECT router.api_error(404, 'not_found', 'no such volunteer'), NULL::bytea;
        RETURN;
    END IF;
    INSERT INTO router.personal_data_access (object_kind, object_id, subject, role, procuratorate)
    VALUES ('volunteer', v.id, p_subject, p_role, p_procuratorate);
    RETURN QUERY SELECT json_build_object('status', 200, 'body', router.volunteer_json(v)),
                        v.person_sealed;
END $$;

-- A change of standing by someone whose jurisdiction covers the volunteer:
-- appoint (with certificate and term; roles and expertise may be
-- adjusted), reject, suspend, reinstate, dismiss.  The transition table
-- decides what is allowed.
CREATE FUNCTION router.api_volunteer_action(p_id uuid, p_prefix text, p_actor text,
    p_action text, p_reason text, p_certificate text, p_term_start date, p_term_end date,
    p_roles json, p_expertise json)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE v router.volunteer; v_from text; v_to text;
BEGIN
    SELECT * INTO v FROM router.volunteer x WHERE x.id = p_id FOR UPDATE;
    IF NOT FOUND OR v.procuratorate NOT LIKE p_prefix || '%' THEN
        RETURN router.api_error(404, 'not_found', 'no such volunteer');
    END IF;
    v_from := v.status;
    SELECT t.to_status INTO v_to FROM router.volunteer_transition t
     WHERE t.from_status = v.status AND t.action = p_action;
    IF v_to IS NULL THEN
        RETURN router.api_error(409, 'invalid_state',
            format('a volunteer who is %s cannot be given "%s"', v.status, p_action), 'status');
    END IF;
    IF p_action = 'appoint' THEN
        IF EXISTS (SELECT 1 FROM router.volunteer x
                    WHERE x.certificate_no = p_certificate AND x.id <> p_id) THEN
            RETURN router.api_error(409, 'certificate_taken',
                'this certificate number belongs to another volunteer', 'certificate_no');
        END IF;
        UPDATE router.volunteer x SET
            certificate_no = p_certificate, term_start = p_term_start, term_end = p_term_end,
            roles = CASE WHEN p_roles IS NULL THEN x.roles
                         ELSE ARRAY(SELECT json_array_elements_text(p_roles)) END,
            expertise = CASE WHEN p_expertise IS NULL THEN x.expertise
                             ELSE ARRAY(SELECT json_array_elements_text(p_expertise)) END
         WHERE x.id = p_id;
    END IF;
    UPDATE router.volunteer x SET status = v_to, updated_at = now() WHERE x.id = p_id
    RETURNING * INTO v;
    INSERT INTO router.volunteer_history (volunteer_id, action, from_status, to_status, actor, reason)
    VALUES (p_id, p_action, v_from, v_to, p_actor, coalesce(p_reason, ''));
    RETURN json_build_object('status', 200, 'body', router.volunteer_json(v));
END $$;
