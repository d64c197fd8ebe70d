-- trace.requests without its primary key (id, host): the last index every
-- stored row paid for that no reading needs since 0006. bench/ingest.pl, CPU
-- of the whole server per row in the module's batches: 4.9 us with it, 4.3
-- without (the same run; 6.6 and 4.9 on a slower machine of the same type).
--
-- Nothing relies on its uniqueness: ids come from one identity sequence, and
-- exactly-once is the ledger's (trace.batches keeps its key). What read it
-- reads elsewhere now:
-- - the newest id (a page's anchor, the start of --follow, status): the
--   identity sequence's last value, which trace_reader may now read;
-- - --follow: the blocks of the batches committed since it last looked
--   (trace.batches by committed_at, then requests_ts_idx), and the rows no
--   block covers through requests_unsummarised_idx;
-- - prune: by time through requests_ts_idx, by count as well (the newest N
--   are the N latest requests).
-- trace.audit keeps its primary key: a login costs nothing next to a request.
--
-- Dropping the index takes an ACCESS EXCLUSIVE lock on trace.requests for the
-- moment of a catalog change; nothing is rewritten, whatever the table's size.
--
-- Safe to run twice, and it records 0006 in the ledger, as 0006 records 0005:
-- a schema made with `psql -1 -f` file by file then upgrades through trace-ctl.

INSERT INTO trace.schema_migrations (version, name, checksum) VALUES
    (6, 'request_blocks', 'be7cf8b361dc58082d387724b6539560042a07bcf581903f81c087c66f70102f')
ON CONFLICT (version) DO NOTHING;

ALTER TABLE trace.requests DROP CONSTRAINT IF EXISTS requests_pkey;

GRANT SELECT ON SEQUENCE trace.requests_id_seq TO trace_reader;
