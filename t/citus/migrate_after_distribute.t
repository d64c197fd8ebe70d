# Migrations that reach tables already distributed: the schema at 0001,
# distributed, a few rows in it; then trace-ctl migrate applies every later
# migration through the coordinator (indexes, the trigram extension and its
# indexes, new columns, 0006's blocks and the indexes it drops) and the shards
# on the workers get each of them. Each migration still commits whole or not
# at all, and its checksum is the file's. The tables a migration adds are laid
# out as --distribute lays them out, by that same run: the schema ends as one
# migrated first and distributed after (t/citus/migrate_distribute.t).

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

Trace::Test::Citus->skip_unless_installed;

my $t = Trace::Test->new;
my $citus = $t->citus;
my $pg = $citus->coordinator;
my @db = ('--db', $pg->conninfo);
my @files = map { m{/(\d+)_[^/]+\.sql$} ? [$1 + 0, $_] : () } sort glob(Trace::Test::root() . '/sql/*.sql');
my $newest = $files[-1][0];

my ($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--to', '1', '--distribute');
is($rc, 0, 'migrate --to 1 --distribute') or diag($err);
like($out, qr/^applied 0001_init .*^distributed trace\.requests by host$/ms,
    '... applies 0001 and distributes');
unlike($out, qr/^applied 0002/m, '... and nothing after 0001');
$pg->sql(q{INSERT INTO trace.requests (ts, host, path, status)
           SELECT now(), 'host' || (i % 3), '/p' || i, 200 FROM generate_series(1, 300) i});

($rc, $out, $err) = $t->trace_ctl(@db, 'migrate');
is($rc, 0, 'then migrate, on the distributed tables') or diag($err);
for my $f (grep { $_->[0] > 1 } @files) {
    my ($name) = $f->[1] =~ m{/(\d+_[^/]+)\.sql$};
    like($out, qr/^applied \Q$name\E \(\d+ ms\)$/m, "... applies $name");
}
like($out, qr/^schema is at version $newest$/m, "... up to version $newest");
like($out, qr/^distributed trace\.request_blocks by host$/m, '... distributes the blocks of 0006 by host');
like($out, qr/^made trace\.request_blocks_backfill a reference table$/m,
    '... and makes its backfill mark a reference table');
is_deeply($pg->sql(q{SELECT logicalrelid::text, partmethod, column_to_column_name(logicalrelid, partkey),
        repmodel, colocationid = (SELECT colocationid FROM pg_dist_partition
                                  WHERE logicalrelid = 'trace.requests'::regclass)
    FROM pg_dist_partition ORDER BY logicalrelid::text COLLATE "C"}),
    [sort { $a->[0] cmp $b->[0] } (map { ["trace.$_", 'h', 'host', 's', 1] } qw(audit batches rejected request_blocks requests)),
     ['trace.request_blocks_backfill', 'n', undef, 't', 0]],
    '... the layout of a schema distributed after 0006: by host and colocated, the mark a reference table');

my $recorded = $pg->sql('SELECT version, checksum FROM trace.schema_migrations ORDER BY version');
require Digest::SHA;
is_deeply($recorded, [map { [$_->[0], Digest::SHA::sha256_hex(Trace::Test::slurp($_->[1]))] } @files],
    'every migration recorded with its file\'s checksum');

# What the later migrations made is on every shard, on both workers (which
# hide their shards from pg_class unless told otherwise).
for my $worker ($citus->workers) {
    my $port = $worker->port;
    $worker->sql('SET citus.override_table_visibility = off');
    my $shards = $worker->value(q{SELECT count(*) FROM pg_class WHERE relname ~ '^requests_\d+$'});
    cmp_ok($shards, '>', 0, "worker $port holds shards of trace.requests");
    is($worker->value(q{SELECT count(*) FROM pg_class WHERE relname ~ '^requests_path_trgm_idx_\d+$'}),
        0, "... none with the trigram index of 0002 any more (0006 dropped it)");
    is($worker->value(q{SELECT count(*) FROM pg_class WHERE relname ~ '^requests_(user|session|status|method|host|client)_ts_idx_\d+$'}),
        0, "... nor the other reading indexes of 0002");
    is($worker->value(q{SELECT count(*) FROM pg_class WHERE relname ~ '^requests_ts_idx_\d+$'}),
        $shards, "... but each with requests_ts_idx");
    is($worker->value(q{SELECT count(DISTINCT attrelid) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relname ~ '^requests_\d+$' AND a.attname = 'fields' AND NOT a.attisdropped}),
        $shards, "... and the fields column of 0004");
    is($worker->value(q{SELECT count(DISTINCT attrelid) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relname ~ '^requests_\d+$' AND a.attname = 'summarised' AND a.attnotnull}),
        $shards, "... and the summarised column of 0006");
    is($worker->value(q{SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE c.relname ~ '^requests_unsummarised_idx_\d+$' AND i.indpred IS NOT NULL}),
        $shards, "... and its partial index");
    my $block_shards = $worker->value(q{SELECT count(*) FROM pg_class WHERE relname ~ '^request_blocks_\d+$'});
    is($block_shards, $shards, "... and as many shards of trace.request_blocks");
    is($worker->value(q{SELECT count(*) FROM pg_class WHERE relname ~ '^request_blocks_last_ts_idx_\d+$'}),
        $shards, "... each with its last_ts index");
    ok($worker->value(q{SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'}),
        "... and pg_trgm installed");
}
is($pg->value('SELECT count(*) FROM trace.requests'), 300, 'the rows are all still there');

# The new columns work through the coordinator, as the module writes them.
$pg->migrate;
my $w = $pg->dbh(user => 'nginx_module');
$w->do(q{INSERT INTO trace.requests (ts, host, path, status, referer, fields, escaped)
         VALUES (now(), 'host1', '/new', 200, 'https://r/', '{"a": "b"}', '{path}')});
is($pg->value(q{SELECT fields->>'a' FROM trace.requests WHERE path = '/new'}), 'b',
    'a row with the new columns is written and read back');
($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--path', '^/new$', '--format', 'json');
is($rc, 0, 'trace-ctl requests --path on the coordinator') or diag($err);
like($out, qr{"/new"}, '... finds the row');
# migrate wrote the blocks of the 300 rows from before 0006; the row just
# written without one (as an older module writes) is the one not covered.
($rc, $out, $err) = $t->trace_ctl(@db, 'status');
like($out, qr/^summaries\s+1 request row that no block covers \(run trace-ctl migrate to summarise it\)$/m,
    'status counts the row written after the backfill as not covered') or diag("$out$err");

($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute');
is($rc, 0, 'migrate --distribute again') or diag($err);
like($out, qr/nothing to do.*nothing to do/s, '... has nothing to apply and nothing to distribute');
like($out, qr/^summarised 1 rows? in 1 blocks?/m, '... and summarises the one row no block covered');
($rc, $out, $err) = $t->trace_ctl(@db, 'status');
like($out, qr/^summaries\s+every request row is covered by a block/m, '... after which every row is')
    or diag("$out$err");

$t->done;
