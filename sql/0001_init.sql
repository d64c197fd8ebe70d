-- The trace schema: what nginx records (requests, audit events), the ledger that
-- makes delivery exactly-once (batches), rows the server refused (rejected), and
-- the roles that separate writing, reading and maintenance.
--
-- Every table is keyed by (id, host) so that it can be distributed by host on
-- Citus unchanged; no constraint spans rows of different hosts.

CREATE SCHEMA IF NOT EXISTS trace;

-- One row per HTTP request nginx served and traced.
CREATE TABLE trace.requests (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    ts          timestamptz NOT NULL,           -- when the request started (microseconds)
    host        text        NOT NULL,           -- the nginx server that served it (trace_host)
    server_name text,                           -- the Host the client asked for
    method      text,
    path        text,                           -- as the client sent it, before internal redirects
    query       text,                           -- with secret parameters redacted
    status      integer,
    duration    interval,                       -- microsecond precision
    user_name   text,
    session     text,                           -- keyed hash of the session token, never the token
    client_addr inet,
    bytes_sent  bigint,
    user_agent  text,
    request_id  text,
    PRIMARY KEY (id, host)
);

-- The primary key serves "newest first" (ORDER BY id DESC) and the prune cutoff.
CREATE INDEX requests_ts_idx      ON trace.requests (ts);
CREATE INDEX requests_user_idx    ON trace.requests (user_name, id DESC);
CREATE INDEX requests_session_idx ON trace.requests (session, id DESC) WHERE session IS NOT NULL;
CREATE INDEX requests_status_idx  ON trace.requests (status, id DESC);

-- One row per login, logout or failed login.
CREATE TABLE trace.audit (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    ts          timestamptz NOT NULL,
    host        text        NOT NULL,
    action      text        NOT NULL CHECK (action IN ('login', 'logout', 'login_failed')),
    user_name   text,
    session     text,
    client_addr inet,
    method      text,
    path        text,
    status      integer,
    source      text,                           -- rule, header or basic_auth: how nginx learnt it
    user_agent  text,
    request_id  text,
    PRIMARY KEY (id, host)
);

CREATE INDEX audit_ts_idx      ON trace.audit (ts);
CREATE INDEX audit_user_idx    ON trace.audit (user_name, id DESC);
CREATE INDEX audit_session_idx ON trace.audit (session, id DESC) WHERE session IS NOT NULL;
CREATE INDEX audit_action_idx  ON trace.audit (action, id DESC);

-- Exactly-once ledger: the transaction that copies a batch's rows also inserts its
-- id here, so a batch replayed after an unknown commit outcome fails on the key and
-- is recognised as already written. trace-ctl prune removes old entries.
CREATE TABLE trace.batches (
    host         text        NOT NULL,
    batch_id     text        NOT NULL,
    row_count    integer     NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host, batch_id)
);

CREATE INDEX batches_committed_at_idx ON trace.batches (committed_at);

-- Rows PostgreSQL refused (after the batch was split down to them), kept with the
-- server's reason so that nothing is dropped silently.
CREATE TABLE trace.rejected (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    ts          timestamptz NOT NULL DEFAULT now(),
    host        text        NOT NULL,
    batch_id    text        NOT NULL,
    table_name  text        NOT NULL,
    row_text    text        NOT NULL,           -- the row as COPY text
    error       text        NOT NULL,
    PRIMARY KEY (id, host)
);

-- Roles are cluster-wide: create them only where they do not exist yet, so that
-- several databases of one cluster can each hold a trace schema.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['trace_writer', 'trace_reader', 'trace_maintainer'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;

-- The module's role: it may add rows, and nothing else (no SELECT, UPDATE, DELETE,
-- TRUNCATE). Identity columns need no sequence grant.
GRANT USAGE ON SCHEMA trace TO trace_writer, trace_reader, trace_maintainer;
GRANT INSERT ON trace.requests, trace.audit, trace.batches, trace.rejected TO trace_writer;

-- People and trace-ctl's reading commands.
GRANT SELECT ON trace.requests, trace.audit, trace.batches, trace.rejected,
                trace.schema_migrations TO trace_reader;

-- trace-ctl prune: reads, and deletes old rows.
GRANT trace_reader TO trace_maintainer;
GRANT DELETE ON trace.requests, trace.audit, trace.batches, trace.rejected TO trace_maintainer;
