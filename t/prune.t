# trace-ctl prune keeps the newest max_log_count rows of trace.requests (the
# latest by time: it has no index on id) and of trace.audit when asked (by id),
# in batches that advance a lower bound, while nginx keeps inserting: on a
# million rows it keeps exactly the newest N and every row inserted meanwhile
# survives. It also forgets old ledger entries and
# rejected rows, says what it did, and runs as trace_maintainer.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep time);
use POSIX ();
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
my $dir = $t->base;

my $bulk = 1_000_000;
my $keep = 200_000;
my $batch = 10_000;

# trace-ctl connects as trace_ops, a member of trace_maintainer, as in the README.
Trace::Test::spew("$dir/trace.toml", sprintf(qq{database = "%s"\nmax_log_count = %d\n},
    $pg->conninfo(user => 'trace_ops'), $keep));
my @ctl = ('--config', "$dir/trace.toml");

sub prune { $t->trace_ctl(@ctl, 'prune', @_) }
sub count { $pg->value("SELECT count(*) FROM $_[0]") }

# --- a million rows, fast -----------------------------------------------------------
my $started = time;
$pg->sql(qq{INSERT INTO trace.requests (ts, host, path, status)
    SELECT now() - make_interval(secs => $bulk - g), 'bulk', '/p/' || g, 200
    FROM generate_series(1, $bulk) g});
diag(sprintf('inserted %d rows in %.1f s', $bulk, time - $started));
my ($bulk_min, $bulk_max) = @{ $pg->sql(q{SELECT min(id), max(id) FROM trace.requests})->[0] };
is($bulk_max - $bulk_min + 1, $bulk, 'the bulk rows have consecutive ids');

# --- dry run --------------------------------------------------------------------------
my ($rc, $out, $err) = prune('--dry-run');
is($rc, 0, 'dry run succeeds') or diag($err);
my $expect_cutoff = $pg->value('SELECT ts FROM trace.requests WHERE id = ?', $bulk_max - $keep + 1);
like($out, qr/^trace\.requests: would delete ${\($bulk - $keep)} rows older than \Q$expect_cutoff\E and keep the newest $keep$/m,
    'dry run says how many rows it would delete and where the cutoff is');
like($out, qr/^trace\.audit: every row kept \(neither max_audit_count nor max_audit_age_days is set\)$/m,
    'dry run: audit rows are kept when max_audit_count is not set');
is(count('trace.requests'), $bulk, 'dry run deleted nothing');

# --- prune while an "nginx" keeps inserting -------------------------------------------
# The inserter is the module's role (INSERT only), one row per transaction, until
# told to stop; it counts what it inserted.
my $inserter = fork // die "fork: $!";
if ($inserter == 0) {
    my $dbh = DBI->connect("dbi:Pg:dbname=trace;host=127.0.0.1;port=" . $pg->port,
        'nginx_module', '', { RaiseError => 1, AutoCommit => 1 });
    my $sth = $dbh->prepare(q{INSERT INTO trace.requests (ts, host, path, status)
        VALUES (clock_timestamp(), 'concurrent', ?, 201)});
    my $n = 0;
    until (-e "$dir/stop-inserting") {
        $sth->execute('/c/' . ++$n);
        Trace::Test::spew("$dir/inserting", '') if $n == 50;
    }
    Trace::Test::spew("$dir/inserted", $n);
    $dbh->disconnect;
    POSIX::_exit(0);    # no END blocks: they would stop the test's servers
}
$t->wait_for(sub { -e "$dir/inserting" }, 30) or BAIL_OUT('the inserter did not start');

my $window_start = $pg->value('SELECT clock_timestamp()');
$started = time;
($rc, $out, $err) = $t->trace_ctl(@ctl, '--verbose', 'prune', '--batch-size', $batch);
my $took = time - $started;
my $window_end = $pg->value('SELECT clock_timestamp()');
Trace::Test::spew("$dir/stop-inserting", '');
waitpid $inserter, 0;
my $inserted = Trace::Test::slurp("$dir/inserted");

is($rc, 0, 'prune succeeds while rows are being inserted') or diag($err);
diag(sprintf('pruned %d rows in %.2f s (%s)', $bulk - $keep, $took, $out =~ /\(([\d.]+ s)\)/));
my ($deleted, $cutoff) = $out =~ /^trace\.requests: deleted (\d+) rows older than (.+?), kept the newest $keep \(/m;
ok(defined $deleted, 'prune says how many rows it deleted and before which time') or diag($out);
cmp_ok($took, '<', 20, 'a million rows are pruned in seconds, not minutes');

cmp_ok($inserted, '>', 0, 'the inserter inserted rows');
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE host = 'concurrent'}), $inserted,
    'every row inserted during the prune survived');
cmp_ok($pg->value(q{SELECT count(*) FROM trace.requests WHERE host = 'concurrent'
        AND ts BETWEEN ? AND ?}, $window_start, $window_end), '>', 0,
    'rows were really being inserted while prune ran');

my ($kept_min, $kept_max, $kept) = @{ $pg->sql(q{SELECT min(id), max(id), count(*)
    FROM trace.requests WHERE host = 'bulk'})->[0] };
is($kept_max, $bulk_max, 'the newest bulk row is kept');
is($kept, $kept_max - $kept_min + 1, 'the kept bulk rows are the newest, without holes');
is($pg->value(q{SELECT ts = ?::timestamptz FROM trace.requests WHERE id = ?}, $cutoff, $kept_min), 1,
    'every bulk row before the cutoff is gone, every one from it on kept');
is($deleted, $bulk - $kept, 'the reported count is what was deleted');
# At the cutoff, the newest N rows were the kept bulk rows plus the inserter's rows
# committed by then (0 to all of them): exactly N, no more, no fewer.
my $concurrent_at_cutoff = $keep - $kept;
ok($concurrent_at_cutoff >= 0 && $concurrent_at_cutoff <= $inserted,
    "the cutoff kept exactly the newest $keep rows of those present at the time")
    or diag("kept $kept bulk rows, inserter wrote $inserted");

# The batches: each at most --batch-size rows, in ascending, adjoining time
# ranges (timestamptz text of one format sorts as the times do).
my @ranges = $err =~ /^trace\.requests: from (.+?) to (.+?): (\d+) deleted$/mg;
my ($ordered, $sized, $sum, $previous_hi) = (1, 1, 0, undef);
while (my ($lo, $hi, $n) = splice @ranges, 0, 3) {
    $ordered = 0 if (defined $previous_hi && $lo ne $previous_hi) || $hi le $lo;
    $sized = 0 if $n > $batch;
    ($previous_hi, $sum) = ($hi, $sum + $n);
}
ok($ordered, 'each batch starts where the previous one ended (nothing is walked twice)');
ok($sized, "no batch deletes more than $batch rows");
is($sum, $deleted, 'the batches add up to what was deleted');

# --- exactly the newest N, nothing inserting ------------------------------------------
my $newest = 1000;
my $nth = $pg->value(qq{SELECT id FROM trace.requests ORDER BY id DESC OFFSET @{[ $newest - 1 ]} LIMIT 1});
($rc, $out, $err) = prune('--max-count', $newest);
is($rc, 0, '--max-count overrides max_log_count') or diag($err);
is(count('trace.requests'), $newest, "exactly $newest rows remain");
is($pg->value('SELECT min(id) FROM trace.requests'), $nth, '... and they are the newest');

($rc, $out, $err) = prune('--max-count', $newest);
like($out, qr/^trace\.requests: no more than $newest rows; nothing to delete$/m,
    'a second run finds nothing to delete');

# --- ties: rows that share the cutoff's time all stay; more of one time than
# a batch go in one -------------------------------------------------------------------
$pg->sql('TRUNCATE trace.requests');
$pg->sql(q{INSERT INTO trace.requests (ts, host) SELECT '2026-01-01 00:00:00+00', 'tie'
    FROM generate_series(1, 300)});
$pg->sql(q{INSERT INTO trace.requests (ts, host) SELECT '2026-01-01 00:00:01+00', 'tie'
    FROM generate_series(1, 10)});
($rc, $out, $err) = $t->trace_ctl(@ctl, '--verbose', 'prune', '--max-count', 5, '--batch-size', 100);
is($rc, 0, 'prune with 300 rows of one time, batch size 100') or diag($err);
is(count('trace.requests'), 10, '... keeps the 10 rows of the 5th newest one\'s time');
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE ts = '2026-01-01 00:00:01+00'}), 10,
    '... and they are the newest');
like($out, qr/^trace\.requests: deleted 300 rows older than 2026-01-01 00:00:01\+00, kept the newest 5 \(/m,
    '... says so');
like($err, qr/^trace\.requests: from 2026-01-01 00:00:00\+00 to 2026-01-01 00:00:01\+00: 300 deleted$/m,
    '... the 300 of one time in one batch');

# --- audit: gaps in the ids do not make it walk empty ranges --------------------------
$pg->sql(q{INSERT INTO trace.audit (ts, host, action) SELECT now(), 'gap', 'login' FROM generate_series(1, 10)});
$pg->sql('ALTER TABLE trace.audit ALTER COLUMN id RESTART WITH 1000000000000');
$pg->sql(q{INSERT INTO trace.audit (ts, host, action) SELECT now(), 'gap', 'login' FROM generate_series(1, 10)});
$started = time;
($rc, $out, $err) = prune('--max-audit-count', 5, '--batch-size', 100);
is($rc, 0, 'audit: prune across a gap of a trillion ids succeeds') or diag($err);
cmp_ok(time - $started, '<', 10, '... quickly: it jumps over the gap');
is(count('trace.audit'), 5, '... and keeps 5 rows');
is($pg->value('SELECT min(id) FROM trace.audit'), 1000000000005, '... the newest 5');
$pg->sql('TRUNCATE trace.audit');

# --- block summaries: those that can cover no row left go with the rows -------------
# 100 rows a second apart; blocks of 10 of them, as the module writes, and
# blocks around where the cutoff will fall: one ending on the oldest row kept,
# one straddling it, one just before it, and 8 blocks of hostile ids (quotes,
# a backslash, a tab, 8 KB) ending at the same instant, more than a batch.
# Their filters do not matter to prune.
$pg->sql('TRUNCATE trace.requests, trace.request_blocks');
my $epoch = '2026-01-01 00:00:00+00';
$pg->sql(q{INSERT INTO trace.requests (ts, host, path, status)
    SELECT $1::timestamptz + make_interval(secs => g), 'web', '/b/' || g, 200
    FROM generate_series(1, 100) g}, $epoch);
my $block = $pg->dbh->prepare(q{INSERT INTO trace.request_blocks
    (host, batch_id, block, first_ts, last_ts, row_count, keys, grams)
    VALUES ($1, $2, $3, $4::timestamptz + make_interval(secs => $5),
            $4::timestamptz + make_interval(secs => $6), $7, '\x00'::bytea, '\x00'::bytea)});
$block->execute('web', 'b', $_, $epoch, 10 * $_ + 1, 10 * $_ + 10, 10) for 0 .. 9;
$block->execute('edge', 'ends-on-oldest-kept', 0, $epoch, 50, 56, 7);
$block->execute('edge', 'straddles', 0, $epoch, 54, 58, 5);
$block->execute('edge', 'ends-before', 0, $epoch, 52, 55.999, 4);
my @hostile = ("q'uo\"te", 'back\\slash', "t\tab", 'x' x 8192);
my $hostile_n = 0;
for my $host (@hostile[0, 1]) {
    $block->execute($host, $_, $hostile_n++, $epoch, 30, 40, 1) for @hostile;
}
undef $block;    # a statement handle left open would outlive the server
my $blocks = sub { $pg->value('SELECT count(*) FROM trace.request_blocks') };
is($blocks->(), 21, '21 blocks');

# The 45 newest rows are kept: the oldest left is at 56 s.
($rc, $out, $err) = prune('--max-count', 45, '--dry-run');
like($out, qr/^trace\.request_blocks: would delete 0 blocks that end before the oldest request \(2026-01-01 00:00:01\+00\), and then those of the requests deleted above$/m,
    'dry run: no block ends before the oldest row yet') or diag($out);
is($blocks->(), 21, '... and none is deleted');
($rc, $out, $err) = $t->trace_ctl(@ctl, '--verbose', 'prune', '--max-count', 45, '--batch-size', 3);
is($rc, 0, 'prune with blocks') or diag($err);
is($pg->value(q{SELECT min(ts) = $1::timestamptz + interval '56 s' FROM trace.requests}, $epoch), 1,
    '... keeps the rows from 56 s on');
like($out, qr/^trace\.request_blocks: deleted 14 blocks that end before the oldest request left \(2026-01-01 00:00:56\+00\) \([\d.]+ s\)$/m,
    '... and says how many blocks it deleted and why') or diag($out);
is_deeply($pg->sql(q{SELECT host, batch_id, block FROM trace.request_blocks ORDER BY last_ts, host, batch_id}),
    [['edge', 'ends-on-oldest-kept', 0], ['edge', 'straddles', 0], map { ['web', 'b', $_] } 5 .. 9],
    '... the blocks that may cover a row kept stay (the one ending on it too), the others are gone');
my @batches = $err =~ /^trace\.request_blocks: from \S+(?: \S+)?: (\d+) deleted$/mg;
ok(@batches > 4 && !grep({ $_ > 3 } @batches), 'the blocks go in batches of --batch-size, across ties')
    or diag($err);
my $block_sum = 0;
$block_sum += $_ for @batches;
is($block_sum, 14, '... that add up to the count');
is($pg->value(q{SELECT count(*) FROM trace.requests r WHERE NOT EXISTS (SELECT FROM trace.request_blocks b
    WHERE b.host = 'web' AND r.ts BETWEEN b.first_ts AND b.last_ts)}), 0,
    'every row left is still covered by a block');

($rc, $out, $err) = prune('--max-count', 45);
like($out, qr/^trace\.request_blocks: deleted 0 blocks that end before the oldest request left /m,
    'a second run deletes no block');
is($blocks->(), 7, '... and keeps the 7');

# --- keeping no rows -------------------------------------------------------------------
($rc, $out, $err) = prune('--max-count', 0);
is(count('trace.requests'), 0, '--max-count 0 deletes every row');
is($blocks->(), 0, '... and every block');
like($out, qr/^trace\.request_blocks: deleted 7 blocks \(no request is left\) \(/m, '... and says why');

# --- audit: kept by default, pruned with max_audit_count ------------------------------
$pg->sql(q{INSERT INTO trace.audit (ts, host, action, user_name)
    SELECT now(), 'h', 'login', 'u' || g FROM generate_series(1, 5000) g});
($rc, $out, $err) = prune();
is(count('trace.audit'), 5000, 'audit rows are all kept without max_audit_count');
my $audit_nth = $pg->value('SELECT id FROM trace.audit ORDER BY id DESC OFFSET 99 LIMIT 1');
($rc, $out, $err) = prune('--max-audit-count', 100, '--batch-size', 1000);
is($rc, 0, '--max-audit-count prunes the audit table') or diag($err);
like($out, qr/^trace\.audit: deleted 4900 rows with id < $audit_nth, kept the newest 100 \(/m,
    'it says what it deleted from trace.audit');
is(count('trace.audit'), 100, 'the newest 100 audit rows remain');
is($pg->value('SELECT min(id) FROM trace.audit'), $audit_nth, '... and they are the newest');

# --- the ledger and rejected rows: older than batch_retention_days go -----------------
# More old entries than a batch, many with the same committed_at, so that the
# keyset has to continue across a tie.
$pg->sql(q{INSERT INTO trace.batches (host, batch_id, row_count, committed_at)
    SELECT 'h', 'old-' || g, 10, now() - interval '40 days' - (CASE WHEN g <= 1500
        THEN interval '0' ELSE make_interval(secs => g) END)
    FROM generate_series(1, 2500) g});
$pg->sql(q{INSERT INTO trace.batches (host, batch_id, row_count, committed_at)
    SELECT 'h', 'new-' || g, 10, now() - interval '1 day' FROM generate_series(1, 30) g});
$pg->sql(q{INSERT INTO trace.rejected (ts, host, batch_id, table_name, row_text, error)
    SELECT now() - make_interval(days => d), 'h', 'b', 'requests', 'x', 'bad'
    FROM generate_series(1, 60) d WHERE d <> 30});
($rc, $out, $err) = prune('--dry-run');
like($out, qr/^trace\.batches: would delete 2500 ledger entries committed before \S+ \S+ \(30 days\)$/m,
    'dry run: ledger entries older than 30 days');
like($out, qr/^trace\.rejected: would delete 30 rows recorded before /m,
    'dry run: rejected rows older than 30 days');
($rc, $out, $err) = prune('--batch-size', 1000);
is($rc, 0, 'prune of the ledger succeeds') or diag($err);
like($out, qr/^trace\.batches: deleted 2500 ledger entries committed before /m,
    'it says how many ledger entries it deleted');
is($pg->value(q{SELECT count(*) FROM trace.batches WHERE batch_id LIKE 'old-%'}), 0,
    'every ledger entry older than 30 days is gone, across batches and ties');
is($pg->value(q{SELECT count(*) FROM trace.batches WHERE batch_id LIKE 'new-%'}), 30,
    'newer ledger entries are kept');
like($out, qr/^trace\.rejected: deleted 30 rows recorded before /m, 'rejected rows pruned');
is($pg->value(q{SELECT min(now() - ts) < interval '31 days' AND max(now() - ts) < interval '31 days'
    FROM trace.rejected}), 1, 'the rejected rows left are the recent ones');

($rc, $out, $err) = prune('--retention-days', 1);
like($out, qr/^trace\.batches: deleted 30 ledger entries .* \(1 days\)/m,
    '--retention-days overrides batch_retention_days');

# --- refusals ----------------------------------------------------------------------------
# Another prune holding the lock: this one steps aside.
my $lock_key = do { no warnings 'portable'; hex('6e67782d7072756e') };
my $holder = $pg->dbh(user => 'postgres');
$holder->do("SELECT pg_advisory_lock($lock_key)");
($rc, $out, $err) = prune();
is($rc, 0, 'another prune running: exit 0');
like($out, qr/another trace-ctl prune is running on this database; nothing done/,
    '... and it says it did nothing');
$holder->do("SELECT pg_advisory_unlock($lock_key)");

# A role that may only read is told what it lacks.
$pg->sql(q{CREATE ROLE prune_reader LOGIN IN ROLE trace_reader});
$pg->sql(q{INSERT INTO trace.requests (ts, host) SELECT now(), 'h' FROM generate_series(1, 3)});
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(user => 'prune_reader'), 'prune',
    '--max-count', 1);
is($rc, 1, 'a role without DELETE: exit 1');
like($err, qr/^trace-ctl prune: permission denied .* \(prune needs a role that is a member of trace_maintainer\)$/,
    '... with one line that names the role it needs');

$pg->superuser_sql('CREATE DATABASE empty');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(dbname => 'empty'), 'prune');
is($rc, 1, 'no schema: exit 1');
like($err, qr/run trace-ctl migrate/, '... pointing at migrate');

($rc, $out, $err) = $t->trace_ctl('--db', 'host=127.0.0.1 port=1 connect_timeout=2', 'prune');
is($rc, 1, 'unreachable database: exit 1');
like($err, qr/^trace-ctl prune: cannot connect to PostgreSQL: /, '... one clear line');

($rc, $out, $err) = prune('--batch-size', 0);
is($rc, 2, 'a batch size of 0: exit 2');

($rc, $out, $err) = $t->trace_ctl('prune', '--help');
is($rc, 0, 'prune --help');
like($out, qr/--max-count.*--max-audit-count.*--retention-days.*--batch-size.*--dry-run/s,
    '--help names every option');
like($out, qr/Exit status: 0 done .* 1 the database failed .* 2 bad command line/s,
    '--help explains exit codes');

$t->done;
