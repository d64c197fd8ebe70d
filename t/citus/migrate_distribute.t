# trace-ctl migrate --distribute on a Citus coordinator: the migrations, then
# the five tables of rows distributed by batch_key (sql/0008), colocated (a
# batch's rows, its blocks and its ledger row on one shard; a host's batches on
# many), their primary keys holding it, and the backfill's one-row mark a
# reference table; a second run changes nothing and says so. What the module
# and trace-ctl then need works through the coordinator: the roles' grants
# reached the shards, identity columns number rows, prune's DELETEs run.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX ();
use Trace::Test;

Trace::Test::Citus->skip_unless_installed;

my $t = Trace::Test->new;
my $citus = $t->citus;
my $pg = $citus->coordinator;
my @db = ('--db', $pg->conninfo);
my $migrations = () = glob(Trace::Test::root() . '/sql/*.sql');

my ($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute', '--dry-run');
is($rc, 0, 'dry run on the coordinator') or diag($err);
like($out, qr/^would distribute the trace tables \(by batch_key from 0008 on, else by host\)$/m,
    '... says it would distribute');
is($pg->value('SELECT count(*) FROM pg_dist_partition'), 0, '... and distributes nothing');

($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute');
is($rc, 0, 'migrate --distribute succeeds') or diag($err);
like($out, qr/^applied 0001_init/m, '... applies the migrations');
my @by_key = qw(requests audit batches rejected request_blocks);
for my $table (@by_key) {
    like($out, qr/^distributed trace\.$table by batch_key$/m, "... and says it distributed $table");
}
like($out, qr/^made trace\.request_blocks_backfill a reference table$/m,
    '... and made the backfill mark a reference table');

my $layout_sql = q{SELECT logicalrelid::text, partmethod,
        column_to_column_name(logicalrelid, partkey), repmodel, colocationid
    FROM pg_dist_partition ORDER BY logicalrelid::text COLLATE "C"};
my $layout = $pg->sql($layout_sql);
is_deeply([map { [@$_[0 .. 3]] } @$layout],
    [sort { $a->[0] cmp $b->[0] } (map { ["trace.$_", 'h', 'batch_key', 's'] } @by_key),
     ['trace.request_blocks_backfill', 'n', undef, 't']],
    'the five tables of rows are hash-distributed by batch_key, the backfill mark is a reference table');
is_deeply($pg->sql(q{SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE contype = 'p' AND conrelid IN ('trace.audit'::regclass, 'trace.batches'::regclass,
            'trace.rejected'::regclass, 'trace.request_blocks'::regclass)
        ORDER BY conrelid::regclass::text COLLATE "C"}),
    [['trace.audit', 'PRIMARY KEY (id, host, batch_key)'],
     ['trace.batches', 'PRIMARY KEY (host, batch_id, batch_key)'],
     ['trace.rejected', 'PRIMARY KEY (id, host, batch_key)'],
     ['trace.request_blocks', 'PRIMARY KEY (host, batch_id, block, batch_key)']],
    '... their primary keys end in batch_key, as Citus needs');
my %colocation = map { $_->[4] => 1 } grep { $_->[1] eq 'h' } @$layout;
is(scalar keys %colocation, 1, '... the five in one colocation group');
is($pg->value(q{SELECT count(*) FROM pg_dist_shard_placement JOIN pg_dist_shard USING (shardid)
    WHERE logicalrelid = 'trace.request_blocks_backfill'::regclass}), 3,
    '... and the mark on every node, the coordinator too');
# Bloom filters are kept in the row (0006's SET STORAGE MAIN), on the shards too.
for my $worker ($citus->workers) {
    $worker->sql('SET citus.override_table_visibility = off');
    is_deeply($worker->sql(q{SELECT DISTINCT a.attname, a.attstorage FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relname ~ '^request_blocks_\d+$' AND a.attname IN ('keys', 'grams') ORDER BY 1}),
        [['grams', 'm'], ['keys', 'm']], 'worker ' . $worker->port . ': the blocks\' filters stored MAIN');
}
is($pg->value(q{SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement
    JOIN pg_dist_shard USING (shardid) WHERE logicalrelid = 'trace.requests'::regclass}),
    2, "... with shards on both workers");
is($pg->value('SELECT count(*) FROM trace.schema_migrations'), $migrations,
    'every migration recorded');

# Again: nothing to do, and it says so.
($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute');
is($rc, 0, 'a second migrate --distribute succeeds') or diag($err);
like($out, qr/up to date.*nothing to do/, '... finds no migration to apply');
like($out, qr/^tables already distributed by batch_key; nothing to do$/m, '... nor a table to distribute');
unlike($out, qr/^distributed /m, '... and distributes nothing again');
is_deeply($pg->sql($layout_sql), $layout, '... the layout is unchanged');

# On a worker: refused, one line, exit 1.
my ($worker) = $citus->workers;
($rc, $out, $err) = $t->trace_ctl('--db', $worker->conninfo, 'migrate', '--distribute');
is($rc, 1, '--distribute on a worker: exit 1');
like($err, qr/^trace-ctl migrate: --distribute runs on the Citus coordinator, and this server is not it .*\n\z/,
    '... one line that says so') or diag($err);

# A table laid out otherwise is not trace-ctl's layout: refused, nothing
# changed; once it is undone, --distribute lays out just that table, as before
# (the tables by batch_key colocated again; the reference table's group is its own).
$pg->sql('SET client_min_messages = warning');    # undistribute_table's NOTICEs
my $shape = sub { [map { [@$_[0 .. 3], $_->[1] eq 'h' ? $_->[4] : 'reference'] } @{ $_[0] }] };
for my $case (['trace.batches', 'batch_id', 'by hash of batch_key'],
              ['trace.request_blocks_backfill', 'one', 'as a reference table']) {
    my ($table, $column, $wanted) = @$case;
    $pg->sql(q{SELECT undistribute_table($1)}, $table);
    $pg->sql(q{SELECT create_distributed_table($1, $2, colocate_with => 'none')}, $table, $column);
    ($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute');
    is($rc, 1, "$table distributed by $column: exit 1");
    like($err, qr/^trace-ctl migrate: \Q$table\E is distributed already, but not $wanted \(method h, column $column\); trace-ctl changes nothing\n\z/,
        '... naming the table, its column and what it should be') or diag($err);
    is($pg->value(q{SELECT column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition
        WHERE logicalrelid = $1::regclass}, $table), $column, '... and it stays so');
    $pg->sql(q{SELECT undistribute_table($1)}, $table);
    ($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute');
    is($rc, 0, "$table not distributed: --distribute") or diag($err);
    is_deeply([$out =~ /^(?:distributed|made) (\S+)/mg], [$table], '... lays out that one only');
    is_deeply($shape->($pg->sql($layout_sql)), $shape->($layout), '... as it was');
}

# The roles work through the coordinator: the module's inserts, trace_ops's prune.
$pg->migrate;
my $w = $pg->dbh(user => 'nginx_module');
for my $host (qw(alpha beta gamma)) {
    $w->do(q{INSERT INTO trace.requests (ts, host, path, status) VALUES (now(), $1, '/', 200)},
        undef, $host) for 1 .. 5;
}
is($pg->value('SELECT count(*) FROM trace.requests'), 15, 'the module role inserts through the coordinator');
is($pg->value('SELECT count(DISTINCT id) FROM trace.requests'), 15, '... and every row has its own id');
ok(!eval { $w->do('SELECT count(*) FROM trace.requests'); 1 }, '... but may not read');
my $spread = $citus->rows_per_worker('requests');
is((eval { my $s = 0; $s += $_ for values %$spread; $s }), 15, 'the shards hold the 15 rows')
    or diag(explain($spread));
diag("rows of 3 hosts per worker: " . join(', ', map { "$_ $spread->{$_}" } sort keys %$spread));

($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--limit', '100', '--format', 'json');
is($rc, 0, 'trace-ctl requests answers on the coordinator') or diag($err);
is(scalar(() = $out =~ /"host"/g), 15, '... with every row');
$w->do(q{INSERT INTO trace.audit (ts, host, action, user_name) VALUES (now(), 'beta', 'login', 'alice')});
($rc, $out, $err) = $t->trace_ctl(@db, 'audit', '--format', 'json');
is($rc, 0, 'trace-ctl audit answers on the coordinator') or diag($err);
like($out, qr/"alice"/, '... with the login');
($rc, $out, $err) = $t->trace_ctl(@db, 'audit', '--summary');
is($rc, 0, 'trace-ctl audit --summary answers on the coordinator') or diag($err);

# Blocks through the coordinator, as the module writes them: on the shard of
# their batch's rows. One for the rows of each host, one long before them all.
my $add_block = $w->prepare(q{INSERT INTO trace.request_blocks (host, batch_id, block, first_ts,
    last_ts, row_count, keys, grams) VALUES ($1, $2, 0, $3::timestamptz, $4::timestamptz, 5, '\x00', '\x00')});
my ($first, $last) = @{ $pg->sql(q{SELECT min(ts)::text, max(ts)::text FROM trace.requests})->[0] };
$add_block->execute($_, 'rows', $first, $last) for qw(alpha beta gamma);
$add_block->execute('alpha', 'gone', '2001-01-01 00:00:00+00', '2001-01-01 00:00:01+00');
undef $add_block;
is($pg->value('SELECT count(*) FROM trace.request_blocks'), 4, 'the module role adds blocks through the coordinator');
# Written without a batch key (as psql or an older module writes), they all
# have key 0: the blocks on the node of the rows.
is($pg->value(q{SELECT count(DISTINCT batch_key) FROM trace.request_blocks}), 1, '... all of key 0');
is($pg->value(q{SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement
        WHERE shardid IN (get_shard_id_for_distribution_column('trace.requests', 0),
                          get_shard_id_for_distribution_column('trace.request_blocks', 0))}), 1,
    "... a batch's blocks on the node of its rows");

($rc, $out, $err) = $t->trace_ctl(@db, 'status');
is($rc, 0, 'trace-ctl status answers on the coordinator') or diag("$out$err");
like($out, qr/^schema\s+version \d+ \(\w+\), 0 pending migrations$/m, '... with the schema up to date');
like($out, qr/^summaries\s+15 request rows that no block covers \(run trace-ctl migrate to summarise them\)$/m,
    '... and the rows no block covers') or diag($out);
like($out, qr/^trace\.request_blocks\s+4 rows/m, '... and the blocks');
# Prune while the module replays a batch from its spool: rows older than any
# left and their block, in one transaction that commits while prune runs. On
# Citus, where no snapshot spans the nodes, prune locks the blocks against
# writers for each batch it deletes: it waits for the replay, then sees its
# rows, and keeps its block.
my $replay = $pg->dbh(user => 'nginx_module');
$replay->begin_work;
$replay->do(q{INSERT INTO trace.requests (ts, host, path, status)
    VALUES ('2001-06-01 00:00:00+00', 'beta', '/replayed', 200)});
$replay->do(q{INSERT INTO trace.request_blocks (host, batch_id, block, first_ts, last_ts, row_count,
    keys, grams) VALUES ('beta', 'replayed', 0, '2001-06-01 00:00:00+00', '2001-06-01 00:00:00+00', 1,
    '\x00', '\x00')});
my $dir = $t->base;
my $pruner = fork // die "fork: $!";
if ($pruner == 0) {
    my ($c, $o, $e) = $t->trace_ctl('--db', $pg->conninfo(user => 'trace_ops'), 'prune', '--max-count', '6');
    Trace::Test::spew("$dir/prune.out", "$c\n$o$e");
    POSIX::_exit(0);    # no END blocks: they would stop the test's servers
}
my $waiting = $t->wait_for(sub { $pg->value(q{SELECT count(*) FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE trace.request_blocks%'}) }, 20);
ok($waiting, 'prune waits for the transaction that writes blocks');
$replay->commit;
waitpid $pruner, 0;
($rc, $out) = split /\n/, Trace::Test::slurp("$dir/prune.out"), 2;
is($rc, 0, 'trace-ctl prune runs on the coordinator') or diag($out);
is($pg->value('SELECT count(*) FROM trace.requests'), 7, '... and keeps 6 rows, and the replayed one');
like($out, qr/^trace\.request_blocks: deleted 1 blocks that end before the oldest request left /m,
    '... and deletes the block that ends before them') or diag($out);
is_deeply($pg->sql(q{SELECT host, batch_id FROM trace.request_blocks ORDER BY 1, 2}),
    [['alpha', 'rows'], ['beta', 'replayed'], ['beta', 'rows'], ['gamma', 'rows']],
    '... the blocks that may cover a row kept stay, the replayed one too');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(user => 'trace_ops'), 'prune',
    '--max-count', '0', '--batch-size', '1');
is($rc, 0, 'prune of every row on the coordinator') or diag("$out$err");
like($out, qr/^trace\.request_blocks: deleted 4 blocks \(no request is left\)/m, '... takes every block');

# A distributed trace.requests keeps no rollups (sql/0009): distributing
# dropped their triggers (Citus takes none with transition tables), and
# trace-ctl rollup says why it does nothing.
is($pg->value(q{SELECT count(*) FROM pg_trigger WHERE tgrelid = 'trace.requests'::regclass
    AND tgname LIKE 'rollup_forget_%'}), 0, 'the rollups\' triggers went when trace.requests was distributed');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(user => 'trace_ops'), 'rollup');
is($rc, 1, 'trace-ctl rollup on Citus: exit 1');
like($err, qr/^trace-ctl rollup: trace\.requests is distributed by Citus, which keeps no rollups \(sql\/0009\); the console reads its rows$/,
    '... and says why');

$t->done;
