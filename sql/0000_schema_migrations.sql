-- The ledger of applied migrations, first: 0001 grants on it, so the files
-- apply in order with plain `psql -1 -f` on an empty database, without
-- trace-ctl. trace-ctl runs this file before it reads the ledger, every time;
-- it changes nothing where the ledger exists (every database trace-ctl ever
-- migrated, which had it from trace-ctl itself before this file).

CREATE SCHEMA IF NOT EXISTS trace;

CREATE TABLE IF NOT EXISTS trace.schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,                -- SHA-256 of the file, hex
    applied_at timestamptz NOT NULL DEFAULT now()
);
