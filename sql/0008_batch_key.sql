-- A batch key on every table the module writes: the value Citus distributes
-- them by (trace-ctl migrate --distribute), so that a host's rows spread over
-- the shards while each batch stays on one. With `host` as the key, a host's
-- whole history was one shard, and three hosts could all land on one worker.
--
-- The module starts every transaction with `SET LOCAL trace.batch_key =
-- 'N'` (31 bits of a hash of the batch id: the same whenever the batch is sent
-- again) and names no batch_key column: each takes it as its default, the
-- ledger row, the rows, their blocks and a refused row alike. A replayed batch
-- thus meets its ledger row on the same shard, and its unique violation says
-- "already written" as on one PostgreSQL. Rows written otherwise (an older
-- module, psql, trace-ctl's backfill) get 0.
--
-- Costs a row 4 bytes and the default's evaluation (bench/ingest.pl measures
-- it with the rest). Each ADD COLUMN has a non-volatile default: a catalog
-- change under a moment's ACCESS EXCLUSIVE lock, no rewrite, whatever the
-- size (existing rows read as 0).
--
-- Safe to run twice, and it records 0007 in the ledger, as 0007 records 0006.

INSERT INTO trace.schema_migrations (version, name, checksum) VALUES
    (7, 'requests_without_primary_key', '5cf2bdd45e78048db434ddfad4be17e7ceb34db1cad770716de9ef8ab0c1cd87')
ON CONFLICT (version) DO NOTHING;

ALTER TABLE trace.requests ADD COLUMN IF NOT EXISTS batch_key integer NOT NULL
    DEFAULT coalesce(nullif(current_setting('trace.batch_key', true), '')::integer, 0);
ALTER TABLE trace.audit ADD COLUMN IF NOT EXISTS batch_key integer NOT NULL
    DEFAULT coalesce(nullif(current_setting('trace.batch_key', true), '')::integer, 0);
ALTER TABLE trace.batches ADD COLUMN IF NOT EXISTS batch_key integer NOT NULL
    DEFAULT coalesce(nullif(current_setting('trace.batch_key', true), '')::integer, 0);
ALTER TABLE trace.rejected ADD COLUMN IF NOT EXISTS batch_key integer NOT NULL
    DEFAULT coalesce(nullif(current_setting('trace.batch_key', true), '')::integer, 0);
ALTER TABLE trace.request_blocks ADD COLUMN IF NOT EXISTS batch_key integer NOT NULL
    DEFAULT coalesce(nullif(current_setting('trace.batch_key', true), '')::integer, 0);
