#!/usr/bin/perl
# What a row of trace.requests costs PostgreSQL, by which indexes the table has:
# the module's way of writing (one transaction per batch: the ledger row, then
# COPY of the batch) into copies of trace.requests that keep some of its
# indexes, on the same private PostgreSQL as `make bench` (fsync on). Reports
# CPU microseconds per row of the server (postmaster and backends) and rows/s.
#
# Usage: bench/ingest.pl [BUILD_DIR]   (after `make`; BENCH_ROWS, default 300000)

use strict;
use warnings;

use Cwd qw(abs_path);
use FindBin;
BEGIN { $ENV{TRACE_BUILD} //= abs_path($ARGV[0] // "$FindBin::Bin/../build") }
use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";

use Time::HiRes qw(time);

use Trace::Test;
use Bench::Proc qw(tree_cpu);

my $ROWS = $ENV{BENCH_ROWS} // 300_000;
my $BATCH = 2000;    # about trace_batch_size (256k) of these rows

# name => the indexes the copy keeps besides its primary key (id, host)
my @SETS = (
    [ 'shipped (0001+0002)' => [qw(ts user session status method host client path_trgm)] ],
    [ 'shipped, no trigram' => [qw(ts user session status method host client)] ],
    [ '0001 (PK + 4)' => [qw(ts user_id status_id session_id)] ],
    [ 'PK + ts' => [qw(ts)] ],
    [ 'PK only' => [] ],
);
my %INDEX = (
    ts => '(ts)',
    user => '(user_name, ts DESC)',
    session => '(session, ts DESC) WHERE session IS NOT NULL',
    status => '(status, ts DESC)',
    method => '(method, ts DESC)',
    host => '(host, ts DESC)',
    client => '(client_addr, ts DESC)',
    path_trgm => 'USING gin (path trace.gin_trgm_ops)',
    user_id => '(user_name, id DESC)',
    status_id => '(status, id DESC)',
    session_id => '(session, id DESC) WHERE session IS NOT NULL',
);

my $t = Trace::Test->new(pg_settings => { fsync => 'on', synchronous_commit => 'on' });
my $pg = $t->postgres_migrated;
my $dbh = $pg->dbh;
$dbh->{PrintWarn} = 0;
my $postmaster = Trace::Test::slurp("$pg->{dir}/data/postmaster.pid") =~ /^(\d+)/ ? $1 : die;

# Rows like a site's: a few thousand users and their sessions, many clients
# and paths, mostly GET and 200 -- index inserts land all over, as they would.
my @batch;
srand(42);
for my $i (1 .. $BATCH) {
    my $user = int(rand(3000));
    push @batch, sprintf "2026-11-27 08:00:%02d.%06d+00\tbench-host\texample.org\t%s\t"
        . "/app/%s/%d\tpage=%d\t%d\t00:00:00.000%03d\tuser%d\t%032x\t10.%d.%d.%d\t%d\t"
        . "Mozilla/5.0\t%032x\n",
        $i % 60, $i, (rand() < 0.85 ? 'GET' : 'POST'), (qw(orders items users search))[ $i % 4 ],
        int(rand(100000)), $i % 7, (rand() < 0.9 ? 200 : (302, 404, 500)[ $i % 3 ]), $i % 1000,
        $user, $user * 2654435761, int(rand(256)), int(rand(256)), int(rand(256)),
        300 + $i % 5000, $i * 7919;
}
my $columns = 'ts, host, server_name, method, path, query, status, duration, user_name, '
    . 'session, client_addr, bytes_sent, user_agent, request_id';

printf "%-24s %12s %10s\n", 'indexes', 'CPU us/row', 'rows/s';
for my $set (@SETS) {
    my ($name, $indexes) = @$set;
    $dbh->do('DROP TABLE IF EXISTS bench_ingest');
    $dbh->do(defined $indexes
        ? 'CREATE TABLE bench_ingest (LIKE trace.requests INCLUDING DEFAULTS INCLUDING IDENTITY '
            . 'INCLUDING CONSTRAINTS, PRIMARY KEY (id, host))'
        : 'CREATE TABLE bench_ingest (LIKE trace.requests INCLUDING DEFAULTS INCLUDING IDENTITY)');
    $dbh->do("CREATE INDEX ON bench_ingest $INDEX{$_}") for @{ $indexes // [] };
    $dbh->do('CHECKPOINT');
    my $cpu0 = tree_cpu($postmaster);
    my $t0 = time;
    my $sent = 0;
    for (my $n = 0; $sent < $ROWS; $n++) {
        $dbh->begin_work;
        $dbh->do('INSERT INTO trace.batches (host, batch_id, row_count) VALUES (?, ?, ?)',
            undef, 'bench-host', "ingest-$name-$n", $BATCH);
        $dbh->do("COPY bench_ingest ($columns) FROM STDIN");
        $dbh->pg_putcopydata($_) for @batch;
        $dbh->pg_putcopyend;
        $dbh->commit;
        $sent += $BATCH;
    }
    my $elapsed = time - $t0;
    my $cpu = tree_cpu($postmaster) - $cpu0;
    printf "%-24s %12.1f %10.0f\n", $name, 1e6 * $cpu / $sent, $sent / $elapsed;
    $dbh->do('TRUNCATE trace.batches');
}
$dbh->do('DROP TABLE bench_ingest');
