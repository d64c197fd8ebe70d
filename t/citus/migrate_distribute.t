# trace-ctl migrate --distribute on a Citus coordinator: the migrations, then
# the four tables distributed by host, colocated (a batch's rows and its ledger
# row on one shard); a second run changes nothing and says so. What the module
# and trace-ctl then need works through the coordinator: the roles' grants
# reached the shards, identity columns number rows, prune's DELETE runs.

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
my $migrations = () = glob(Trace::Test::root() . '/sql/*.sql');

my ($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute', '--dry-run');
is($rc, 0, 'dry run on the coordinator') or diag($err);
like($out, qr/^would distribute the trace tables by host$/m, '... says it would distribute');
is($pg->value('SELECT count(*) FROM pg_dist_partition'), 0, '... and distributes nothing');

($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute');
is($rc, 0, 'migrate --distribute succeeds') or diag($err);
like($out, qr/^applied 0001_init/m, '... applies the migrations');
for my $table (qw(requests audit batches rejected)) {
    like($out, qr/^distributed trace\.$table by host$/m, "... and says it distributed $table");
}

my $layout = $pg->sql(q{SELECT logicalrelid::text, partmethod,
        column_to_column_name(logicalrelid, partkey), colocationid
    FROM pg_dist_partition ORDER BY 1});
is_deeply([map { [@$_[0 .. 2]] } @$layout],
    [map { ["trace.$_", 'h', 'host'] } qw(audit batches rejected requests)],
    'the four tables are hash-distributed by host');
my %colocation = map { $_->[3] => 1 } @$layout;
is(scalar keys %colocation, 1, '... all in one colocation group');
is($pg->value(q{SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement
    JOIN pg_dist_shard USING (shardid) WHERE logicalrelid = 'trace.requests'::regclass}),
    2, "... with shards on both workers");
is($pg->value('SELECT count(*) FROM trace.schema_migrations'), $migrations,
    'every migration recorded');

# Again: nothing to do, and it says so.
($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute');
is($rc, 0, 'a second migrate --distribute succeeds') or diag($err);
like($out, qr/up to date.*nothing to do/, '... finds no migration to apply');
like($out, qr/^tables already distributed by host; nothing to do$/m, '... nor a table to distribute');
unlike($out, qr/^distributed /m, '... and distributes nothing again');
is_deeply($pg->sql(q{SELECT logicalrelid::text, partmethod,
        column_to_column_name(logicalrelid, partkey), colocationid
    FROM pg_dist_partition ORDER BY 1}), $layout, '... the layout is unchanged');

# On a worker: refused, one line, exit 1.
my ($worker) = $citus->workers;
($rc, $out, $err) = $t->trace_ctl('--db', $worker->conninfo, 'migrate', '--distribute');
is($rc, 1, '--distribute on a worker: exit 1');
like($err, qr/^trace-ctl migrate: --distribute runs on the Citus coordinator, and this server is not it .*\n\z/,
    '... one line that says so') or diag($err);

# A table distributed by another column is not trace-ctl's layout: refused,
# nothing changed; once it is undone, --distribute distributes just that table.
$pg->sql('SET client_min_messages = warning');    # undistribute_table's NOTICEs
$pg->sql(q{SELECT undistribute_table('trace.batches')});
$pg->sql(q{SELECT create_distributed_table('trace.batches', 'batch_id', colocate_with => 'none')});
($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute');
is($rc, 1, 'a table distributed by another column: exit 1');
like($err, qr/^trace-ctl migrate: trace\.batches is distributed already, but not by hash of host \(method h, column batch_id\); trace-ctl changes nothing\n\z/,
    '... naming the table and its column') or diag($err);
is($pg->value(q{SELECT column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition
    WHERE logicalrelid = 'trace.batches'::regclass}), 'batch_id', '... and it stays so');
$pg->sql(q{SELECT undistribute_table('trace.batches')});
($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute');
is($rc, 0, 'a table that is not distributed: --distribute') or diag($err);
is_deeply([$out =~ /^distributed (\S+)/mg], ['trace.batches'], '... distributes that one only');
is_deeply($pg->sql(q{SELECT logicalrelid::text, partmethod,
        column_to_column_name(logicalrelid, partkey), colocationid
    FROM pg_dist_partition ORDER BY 1}), $layout, '... colocated with the others again');

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
($rc, $out, $err) = $t->trace_ctl(@db, 'status');
is($rc, 0, 'trace-ctl status answers on the coordinator') or diag("$out$err");
like($out, qr/^schema\s+version \d+ \(\w+\), 0 pending migrations$/m, '... with the schema up to date');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(user => 'trace_ops'), 'prune',
    '--max-count', '6');
is($rc, 0, 'trace-ctl prune runs on the coordinator') or diag("$out$err");
cmp_ok($pg->value('SELECT count(*) FROM trace.requests'), '<=', 6, '... and keeps at most 6 rows');

$t->done;
