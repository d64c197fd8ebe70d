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
    [ 'as shipped (PK + 4)' => [qw(ts user status session)] ],
    [ 'PK + ts' => [qw(ts)] ],
    [ 'PK + BRIN(ts)' => [qw(brin_ts)] ],
    [ 'PK only' => [] ],
    [ 'no index at all' => undef ],
);
my %INDEX = (
    ts => '(ts)',
    user => '(user_name, id DESC)',
    status => '(status, id DESC)',
    session => '(session, id DESC) WHERE session IS NOT NULL',
    brin_ts => 'USING brin (ts)',
);

my $t = Trace::Test->new(pg_settings => { fsync => 'on', synchronous_commit => 'on' });
my $pg = $t->postgres_migrated;
my $dbh = $pg->dbh;
$dbh->{PrintWarn} = 0;
my $postmaster = Trace::Test::slurp("$pg->{dir}/data/postmaster.pid") =~ /^(\d+)/ ? $1 : die;

# Rows like the benchmark's: a static file, no user, no query, a request id.
my @batch;
for my $i (1 .. $BATCH) {
    push @batch, sprintf "2026-11-27 08:00:%02d.%06d+00\tbench-host\t127.0.0.1\tGET\t"
        . "/static.txt\t\\N\t200\t00:00:00.000%03d\t\\N\t\\N\t127.0.0.1\t309\t\\N\t%032x\n",
        $i % 60, $i, $i % 1000, $i * 7919;
}
my $columns = 'ts, host, server_name, method, path, query, status, duration, user_name, '
    . 'session, client_addr, bytes_sent, user_agent, request_id';

printf "%-22s %12s %10s\n", 'indexes', 'CPU us/row', 'rows/s';
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
    printf "%-22s %12.1f %10.0f\n", $name, 1e6 * $cpu / $sent, $sent / $elapsed;
    $dbh->do('TRUNCATE trace.batches');
}
$dbh->do('DROP TABLE bench_ingest');
