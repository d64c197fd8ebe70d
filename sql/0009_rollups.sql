-- Rollups of trace.requests for the console's overview: what a window of
-- days reads is a few summary rows per hour (or day) instead of every row.
-- Exact: a summary is read only for a period whose rows have not changed
-- since it was made, and the rest of the window is read from the rows.
--
-- Who keeps them: `trace-ctl rollup` (cron, as a role with trace_maintainer),
-- never the module: its role stays INSERT-only and its cost per row is the
-- same. A period is rolled up once it has ended; until then, and whenever it
-- is stale, the console reads its rows.
--
-- When an hour is current: trace.rollup_periods keeps, with each rolled-up
-- hour, the fingerprint of its rows at that moment (rollup_hour_fingerprints
-- below): the count, row sum and a hash sum of the request_blocks that
-- intersect it, and the count of its rows that no block covers. Every row the
-- module writes comes with a block over its time, so a row added to an hour
-- later (a spool replayed after an outage) changes the fingerprint, and so
-- does a row written by hand (psql, an older module), which no block covers.
-- Rows deleted, updated or truncated are met by the triggers below, which
-- forget every period the changed rows' times span. A day (or the last 7
-- days) is current while its row is there and each of its hours is current
-- and older than it: trace-ctl rollup makes a day again whenever it makes one
-- of its hours again.
--
-- The grains are the ones that compress: per hour and host (the charts'
-- counts), per hour, host and path (top paths, error paths; their latencies,
-- for the charts' percentiles and the slowest paths, in a table of their own)
-- and per hour, host and user agent; per day, host and user, and per day,
-- host and client (an hour holds few requests of one client: only a day
-- groups them). Each has its rows per host and again for all hosts (host
-- NULL): a window of every host reads a third of the rows. Latencies are
-- kept, sorted, as float8 seconds: a percentile of any set of hours is then
-- the number PostgreSQL's percentile_cont gives over the rows.
--
-- On Citus the triggers cannot be made (a distributed table takes no
-- transition tables): there the tables stay empty, `trace-ctl rollup`
-- refuses, and the console reads the rows.
--
-- Safe to run twice, and it records 0008 in the ledger, as 0008 records 0007.

INSERT INTO trace.schema_migrations (version, name, checksum) VALUES
    (8, 'batch_key', '15f455aef076c829b3d05fb7004f633192a9db5a3185f0716654b4629e71092b')
ON CONFLICT (version) DO NOTHING;

-- One row per rolled-up period: `seconds` long, starting at `start`. Hours
-- and days are aligned to the epoch, so in UTC. And one "last 7 days"
-- (604800 seconds, up to the newest hour that has ended when trace-ctl rollup
-- ran) of users and clients: the overview's 7-day window is that one and
-- the rows of the hour or so since.
CREATE TABLE IF NOT EXISTS trace.rollup_periods (
    seconds     integer     NOT NULL CHECK (seconds IN (3600, 86400, 604800)),
    start       timestamptz NOT NULL,
    blocks      bigint,                         -- an hour's fingerprint; NULL for the others
    block_rows  bigint,
    block_tag   bigint,
    loose_rows  bigint,
    requests    bigint      NOT NULL,           -- rows in the period when it was rolled up
    rolled_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (seconds, start),
    CHECK ((seconds = 3600) = (blocks IS NOT NULL AND block_rows IS NOT NULL AND
                               block_tag IS NOT NULL AND loose_rows IS NOT NULL))
);

-- Per hour and host (NULL: all hosts).
CREATE TABLE IF NOT EXISTS trace.rollup_hours (
    hour        timestamptz NOT NULL,
    host        text,
    status_1xx  bigint      NOT NULL,           -- status < 200, as the CLI's classes
    status_2xx  bigint      NOT NULL,
    status_3xx  bigint      NOT NULL,
    status_4xx  bigint      NOT NULL,
    status_5xx  bigint      NOT NULL,           -- status >= 500
    bytes_sent  numeric     NOT NULL
);
CREATE INDEX IF NOT EXISTS rollup_hours_hour_idx ON trace.rollup_hours (hour, host);

-- Per hour, host (NULL: all hosts) and path (NULL: requests without one).
CREATE TABLE IF NOT EXISTS trace.rollup_paths (
    hour        timestamptz NOT NULL,
    host        text,
    path        text,
    path_escaped boolean    NOT NULL,           -- 'path' = ANY(escaped)
    requests    bigint      NOT NULL,
    errors      bigint      NOT NULL            -- status BETWEEN 400 AND 599
);
CREATE INDEX IF NOT EXISTS rollup_paths_hour_idx ON trace.rollup_paths (hour, host);

-- The same groups' latencies, apart: the counts are read without them.
CREATE TABLE IF NOT EXISTS trace.rollup_latencies (
    hour        timestamptz NOT NULL,
    host        text,
    path        text,
    path_escaped boolean    NOT NULL,
    latencies   bytea       NOT NULL            -- float8send(date_part('epoch', duration)),
                                                -- ascending
);
CREATE INDEX IF NOT EXISTS rollup_latencies_hour_idx ON trace.rollup_latencies (hour, host);

CREATE TABLE IF NOT EXISTS trace.rollup_agents (
    hour        timestamptz NOT NULL,
    host        text,
    user_agent  text        NOT NULL,
    agent_escaped boolean   NOT NULL,
    requests    bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS rollup_agents_hour_idx ON trace.rollup_agents (hour, host);

-- Per day (or the last 7 days: seconds, start as in rollup_periods), host and
-- user.
CREATE TABLE IF NOT EXISTS trace.rollup_users (
    seconds     integer     NOT NULL,
    start       timestamptz NOT NULL,
    host        text,
    user_name   text        NOT NULL,
    user_escaped boolean    NOT NULL,
    requests    bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS rollup_users_start_idx ON trace.rollup_users (seconds, start, host);

CREATE TABLE IF NOT EXISTS trace.rollup_clients (
    seconds     integer     NOT NULL,
    start       timestamptz NOT NULL,
    host        text,
    client      text        NOT NULL,           -- host(client_addr), as the overview shows it
    requests    bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS rollup_clients_start_idx ON trace.rollup_clients (seconds, start, host);

-- The fingerprint of every hour that [from_ts, to_ts) meets, as it is now;
-- an hour with neither blocks nor loose rows has no row. Read with the
-- blocks' last_ts index and the index of rows no block covers (the fence
-- keeps the planner from reading the window's rows by time instead).
-- PL/pgSQL: its plan is kept for the session's next calls.
CREATE OR REPLACE FUNCTION trace.rollup_hour_fingerprints(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (start timestamptz, blocks bigint, block_rows bigint, block_tag bigint,
               loose_rows bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    WITH b AS (
        SELECT n, count(*) AS blocks, sum(row_count) AS block_rows,
               sum(hashtext(rb.host || ' ' || rb.batch_id || ' ' || rb.block)) AS block_tag
        FROM trace.request_blocks AS rb,
             generate_series(
                 floor(date_part('epoch', greatest(rb.first_ts, from_ts)) / 3600)::bigint,
                 floor(date_part('epoch', least(rb.last_ts, to_ts)) / 3600)::bigint) AS n
        WHERE rb.last_ts >= from_ts AND rb.first_ts < to_ts
        GROUP BY n),
    l AS (
        SELECT floor(date_part('epoch', loose.ts) / 3600)::bigint AS n, count(*) AS loose_rows
        FROM (SELECT r.ts FROM trace.requests AS r
              WHERE NOT r.summarised
                AND r.id > coalesce((SELECT through_id FROM trace.request_blocks_backfill), 0)
              OFFSET 0) AS loose
        WHERE loose.ts >= from_ts AND loose.ts < to_ts
        GROUP BY 1)
    SELECT to_timestamp(n * 3600), coalesce(b.blocks, 0), coalesce(b.block_rows, 0)::bigint,
           coalesce(b.block_tag, 0)::bigint, coalesce(l.loose_rows, 0)
    FROM b FULL JOIN l USING (n);
END
$$;

-- Forget the periods that rows deleted, updated or truncated belonged to.
-- SECURITY DEFINER: whoever may delete rows makes the rollups forget them,
-- without a grant on the rollups. The lock orders this with `trace-ctl
-- rollup`, which takes it before its snapshot: a rollup that began first is
-- forgotten here once it commits; one that begins later sees the change.
CREATE OR REPLACE FUNCTION trace.rollup_forget() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, trace AS $$
DECLARE
    lo timestamptz;
    hi timestamptz;
BEGIN
    LOCK TABLE trace.rollup_periods IN SHARE ROW EXCLUSIVE MODE;
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM trace.rollup_periods;
        RETURN NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT min(ts), max(ts) INTO lo, hi
        FROM (SELECT ts FROM old_rows UNION ALL SELECT ts FROM new_rows) AS changed;
    ELSE
        SELECT min(ts), max(ts) INTO lo, hi FROM old_rows;
    END IF;
    IF lo IS NOT NULL THEN
        DELETE FROM trace.rollup_periods
        WHERE start <= hi AND start + seconds * interval '1 second' > lo;
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION trace.rollup_forget() FROM PUBLIC;

-- Statement-level: a prune of a million rows forgets its periods once. The
-- module only inserts, and inserts fire nothing.
DO $$
BEGIN
    -- (Nested: PL/pgSQL plans the inner test only where Citus is installed.)
    IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        IF EXISTS (SELECT FROM pg_catalog.pg_dist_partition
                   WHERE logicalrelid = 'trace.requests'::regclass) THEN
            RETURN;
        END IF;
    END IF;
    DROP TRIGGER IF EXISTS rollup_forget_deleted ON trace.requests;
    DROP TRIGGER IF EXISTS rollup_forget_updated ON trace.requests;
    DROP TRIGGER IF EXISTS rollup_forget_truncated ON trace.requests;
    CREATE TRIGGER rollup_forget_deleted AFTER DELETE ON trace.requests
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION trace.rollup_forget();
    CREATE TRIGGER rollup_forget_updated AFTER UPDATE ON trace.requests
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION trace.rollup_forget();
    CREATE TRIGGER rollup_forget_truncated AFTER TRUNCATE ON trace.requests
        FOR EACH STATEMENT EXECUTE FUNCTION trace.rollup_forget();
END
$$;

GRANT SELECT ON trace.rollup_periods, trace.rollup_hours, trace.rollup_paths,
                trace.rollup_latencies, trace.rollup_agents, trace.rollup_users,
                trace.rollup_clients TO trace_reader;
GRANT INSERT, DELETE ON trace.rollup_periods, trace.rollup_hours, trace.rollup_paths,
                        trace.rollup_latencies, trace.rollup_agents, trace.rollup_users,
                        trace.rollup_clients TO trace_maintainer;
