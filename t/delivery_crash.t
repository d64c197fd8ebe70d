# What a crash can lose when PostgreSQL is slower than the load (not down):
# with trace_spool on, batches that wait longer than trace_flush_interval go
# to the spool, so a worker killed with SIGKILL loses at most its current
# batch and what was sealed within the last flush interval: about two flush
# intervals of requests at the rate measured before the kill (before this
# rule, every batch queued in memory was lost). Every row that is not lost
# arrives exactly once and in order once the database is fast again. And
# while the database keeps up, no batch goes to disk.
#
# TRACE_CRASH_SLOW_SECONDS=N (default 4.5): how long the load runs against the
# slow database before the kill.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep time);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

my $flush = 0.25;        # trace_flush_interval, in seconds
my $tick = 0.1;          # how often the sender looks at its queue while a step waits
# How long the load runs against the slow database before the kill (the rate
# is measured over its last 2 s). Without the rule, what waits in memory grows
# with it, up to half of trace_buffer_size.
my $slow_for = $ENV{TRACE_CRASH_SLOW_SECONDS} // 4.5;

$t->start_recording_nginx(workers => 1,
    trace_db => '%%TRACE_DB%% connect_timeout=2',
    trace_flush_interval => ($flush * 1000) . 'ms',
    trace_spool => '%%PREFIX%%/spool',
    access_log => 'off',
    status => '/status');
# nginx says so when the master sees its worker killed
$t->expect_errors(qr/exited on signal 9/);

my $rows = sub { $pg->value('SELECT count(*) FROM trace.requests WHERE path = $1', $_[0]) };

# --- the database keeps up: nothing goes to disk -------------------------------------
$t->start_background_load(clients => 2, path => '/fast');
sleep 3;
my @fast = $t->stop_background_load;
ok($t->wait_for(sub { $rows->('/fast') >= @fast }, 20),
    scalar(@fast) . ' requests answered and recorded while the database keeps up');
is($t->status_sum('/status', 'spooled_rows'), 0, 'no batch went to the spool');

# --- the database slower than the load, then the worker killed -----------------------
# Every COPY into trace.requests takes a second, while a batch is sealed every
# flush interval.
my $sleep_for = sub {
    $pg->sql("CREATE OR REPLACE FUNCTION public.slow_copy() RETURNS trigger LANGUAGE plpgsql
              AS \$\$ BEGIN PERFORM pg_sleep($_[0]); RETURN NULL; END \$\$");
};
$sleep_for->(1);
$pg->sql(q{CREATE TRIGGER slow_copy AFTER INSERT ON trace.requests
           FOR EACH STATEMENT EXECUTE FUNCTION public.slow_copy()});

# How many requests the load clients have seen answered so far (they write
# each answered id at once to answered.N in the test's directory).
my $answered_now = sub {
    my $n = 0;
    for my $file (glob "$t->{base}/answered.*") {
        my $text = Trace::Test::slurp($file) // '';
        $n += () = $text =~ /\n/g;
    }
    return $n;
};

my ($worker) = $t->worker_pids;
$t->start_background_load(clients => 2, path => '/crash');
sleep $slow_for - 2;
my ($t1, $n1) = (time, $answered_now->());
sleep 2;
my ($t2, $n2) = (time, $answered_now->());
my $queued = $t->status_sum('/status', 'queued_rows');
my $spooled = $t->status_sum('/status', 'spooled_rows');
kill 'KILL', $worker;
my $n_kill = $answered_now->();
my $rate = ($n2 - $n1) / ($t2 - $t1);
ok($t->wait_for(sub { grep { $_ != $worker } $t->worker_pids }, 10),
    'the master started a new worker');
sleep 1.5;
my @ids = $t->stop_background_load;

# The database is fast again: everything that was not lost arrives.
$sleep_for->(0);
my $spool_empty = sub { !glob($t->nginx_prefix . '/spool/trace-*.spool') };
ok($t->wait_for($spool_empty, 60), 'the spool is replayed and empty');
# ... and the count holds still for two seconds.
my ($last, $since) = (-1, time);
$t->wait_for(sub {
    my $n = $rows->('/crash');
    ($last, $since) = ($n, time) if $n != $last;
    time - $since >= 2 }, 60);

my %want = map { ("id=$_" => 1) } @ids;
my %got = map { $_->[0] => $_->[1] }
    @{ $pg->sql('SELECT query, count(*) FROM trace.requests WHERE path = $1 GROUP BY query',
        '/crash') };
my $lost = grep { !$got{$_} } keys %want;
my $doubled = grep { $got{$_} > 1 } keys %got;

# The bound, from the configuration and the rate measured before the kill: the
# batch being filled (the flush timer seals it at least every flush interval),
# what was sealed within the last flush interval (a batch goes to the spool
# once it is older than that, the one being sent included), and the sender's
# look at its queue (every tick while it waits on the server).
my $bound = int($rate * (2 * $flush + $tick) + 0.5);
diag(sprintf 'crash: answered %d, answered while slow %d, in memory at the kill %d rows, '
    . 'spooled by then %d, lost %d, bound %d (%.0f requests/s, flush interval %g s)',
    scalar(@ids), $n_kill, $queued, $spooled, $lost, $bound, $rate, $flush);
ok(@ids > 0 && $rate > 0, scalar(@ids) . ' requests were answered');
cmp_ok($lost, '<=', $bound, 'the crash lost at most the current batch and one flush interval of sealed ones');
is($doubled, 0, 'no request is recorded twice');
is($pg->value('SELECT count(DISTINCT request_id) FROM trace.requests WHERE path = $1', '/crash'),
    $rows->('/crash'), 'as many distinct request ids as rows');

# In order: within each worker's rows (the request id's first 16 digits are
# the worker's, the last 16 its count), the count grows with trace.requests.id.
is($pg->value(q{SELECT count(*) FROM (
        SELECT request_id, lag(request_id) OVER (PARTITION BY left(request_id, 16) ORDER BY id) AS prev
        FROM trace.requests WHERE path = '/crash') r
    WHERE right(prev, 16) >= right(request_id, 16)}), 0, "each worker's rows are in order");
is($pg->value('SELECT sum(row_count) FROM trace.batches'),
    $pg->value('SELECT count(*) FROM trace.requests'), 'the ledger accounts for every row exactly');

$t->done;
