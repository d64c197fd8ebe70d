-- Block summaries in place of the reading indexes of 0002: what a row of
-- trace.requests costs PostgreSQL to store falls from about 38 to about 5 us of
-- CPU (bench/ingest.pl), and a filtered listing still reads only the parts of
-- the table that can match.
--
-- Each (column, ts) b-tree of 0002 costs about 3 us a row, because its keys
-- (users, sessions, clients) are scattered and every row dirties another
-- leaf; the trigram index costs more than all of them. Instead, the module
-- sends with every transaction's rows one row here for each block of up to
-- 256 of them (common/block_summary.hpp): the block's time range and two Bloom
-- filters, one of its keys (user, session and its 8-digit prefix, client and
-- its IPv4 networks, status and its class, method, host) and one of its paths'
-- grams (3 and 6 bytes). A few kilobytes per 256 rows, appended in time order.
--
-- A listing asks the blocks which may hold its filter's keys, newest first,
-- and reads the rows of their time ranges through requests_ts_idx; it is
-- complete once it has enough matches newer than the newest block it has not
-- read. A Bloom filter never misses a key it holds, so nothing is ever left
-- out; the ~1% of blocks that claim a key they do not hold cost a wasted range
-- read. The primary key stays (--follow and prune by count walk ids), and so
-- does requests_ts_idx (every listing reads by time).
--
-- Safe to run twice, and it records 0005 in the ledger: a schema made with
-- `psql -1 -f` file by file has 0005 unrecorded (0005 records 0000-0004), and
-- trace-ctl then runs this newest file again before it records it.

INSERT INTO trace.schema_migrations (version, name, checksum) VALUES
    (5, 'record_applied', 'b42e82d971a8933beb7f5d3ddf560616aed499ccf28308ae75787a2fec334943')
ON CONFLICT (version) DO NOTHING;

CREATE TABLE IF NOT EXISTS trace.request_blocks (
    host        text        NOT NULL,           -- the batch's host and id, as in trace.batches
    batch_id    text        NOT NULL,
    block       integer     NOT NULL,           -- 0, 1, ...: the block's place in its batch
    first_ts    timestamptz NOT NULL,           -- the block's rows have first_ts <= ts <= last_ts
    last_ts     timestamptz NOT NULL,
    row_count   integer     NOT NULL,
    keys        bytea       NOT NULL,           -- Bloom filter of the rows' keys
    grams       bytea       NOT NULL,           -- Bloom filter of the paths' 3- and 6-grams
    PRIMARY KEY (host, batch_id, block)
);

-- A Bloom filter does not compress; kept in the row, it is read without TOAST.
-- And PostgreSQL would try to compress every row of more than 2 kB (most
-- blocks have 3 to 5 kB of filters) before storing it as it is: it is told to
-- try only for rows that do not fit a page anyway.
ALTER TABLE trace.request_blocks ALTER COLUMN keys SET STORAGE MAIN,
                                 ALTER COLUMN grams SET STORAGE MAIN;
ALTER TABLE trace.request_blocks SET (toast_tuple_target = 8160);

-- Newest blocks first; and prune's cutoff.
CREATE INDEX IF NOT EXISTS request_blocks_last_ts_idx ON trace.request_blocks (last_ts);

-- Rows that no block covers: those written before this migration, and those an
-- older module (one that knows nothing of blocks) writes after it. The module
-- that writes blocks writes true here; every other row takes the default.
-- A constant default: the column is added without rewriting the table.
ALTER TABLE trace.requests ADD COLUMN IF NOT EXISTS summarised boolean NOT NULL DEFAULT false;

-- The rows not summarised, by id: few once trace-ctl migrate has written blocks
-- for the older ones (request_blocks_backfill), and none of the module's, so
-- it costs the module's inserts nothing but the test of its predicate.
-- Building it reads the table once (about 1 s a million rows, writes wait).
CREATE INDEX IF NOT EXISTS requests_unsummarised_idx ON trace.requests (id) WHERE NOT summarised;

-- How far trace-ctl migrate has written blocks for rows not summarised: every
-- such row with id <= through_id is covered by a block. One row; a listing
-- reads the rest (id > through_id AND NOT summarised) on its own.
CREATE TABLE IF NOT EXISTS trace.request_blocks_backfill (
    one         boolean     PRIMARY KEY DEFAULT true CHECK (one),
    through_id  bigint      NOT NULL,
    done_at     timestamptz NOT NULL DEFAULT now()
);

-- The reading indexes the blocks replace (0002's; audit keeps its own: an
-- audit row is one login, and a few of them cost nothing).
DROP INDEX IF EXISTS trace.requests_user_ts_idx;
DROP INDEX IF EXISTS trace.requests_session_ts_idx;
DROP INDEX IF EXISTS trace.requests_status_ts_idx;
DROP INDEX IF EXISTS trace.requests_method_ts_idx;
DROP INDEX IF EXISTS trace.requests_host_ts_idx;
DROP INDEX IF EXISTS trace.requests_client_ts_idx;
DROP INDEX IF EXISTS trace.requests_path_trgm_idx;

GRANT INSERT ON trace.request_blocks TO trace_writer;
GRANT SELECT ON trace.request_blocks, trace.request_blocks_backfill TO trace_reader;
GRANT DELETE ON trace.request_blocks TO trace_maintainer;
