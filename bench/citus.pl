#!/usr/bin/perl
# Three web servers recording into Citus through its coordinator, on a cluster
# with one worker and then on one with two: three nginx (1 worker each, the
# module's defaults, trace_host web1, web2, web3, a spool each) under wrk at
# once for BENCH_SECONDS, into a schema made by `trace-ctl migrate
# --distribute`, every node a private PostgreSQL with fsync on, all on this
# machine. Per layout: requests served per second (wrk's, the three summed),
# rows stored per second (rows in trace.requests when the load ends, over its
# seconds), how long the rest took to arrive, rows dropped (trace_status's
# dropped_rows) and missing (served - stored; below 0 when nginx answered
# requests after wrk stopped counting), and where the rows are: per
# worker (the shards' rows, and the hosts whose batches they hold) and per host.
#
# Usage: bench/citus.pl [BUILD_DIR]   (after `make`, with Citus installed:
# `make test-citus` builds and installs it). Environment: BENCH_SECONDS (20),
# BENCH_CONNECTIONS per nginx (8), BENCH_LAYOUTS (1,2: the workers of each run).

use strict;
use warnings;

use Cwd qw(abs_path);
use FindBin;
BEGIN { $ENV{TRACE_BUILD} //= abs_path($ARGV[0] // "$FindBin::Bin/../build") }
use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";

use List::Util qw(sum0);
use Time::HiRes qw(sleep time);

use Trace::Test;
use Trace::Test::Hosts qw(start_hosts stop_hosts);
use Bench::Proc qw(machine_info);
use Bench::Wrk;

my $SECONDS = $ENV{BENCH_SECONDS} // 20;
my $CONNECTIONS = $ENV{BENCH_CONNECTIONS} // 8;
my @LAYOUTS = split /,/, $ENV{BENCH_LAYOUTS} // '1,2';
my @HOSTS = qw(web1 web2 web3);
my %PG_SETTINGS = (fsync => 'on', synchronous_commit => 'on', full_page_writes => 'on');

END { Bench::Wrk::stop_all() }

die "Citus is not installed (make test-citus builds and installs it)\n"
    unless Trace::Test::Citus::installed();

my $m = machine_info();
printf "machine: %d CPUs, %s, %.1f GiB, Linux %s; nginx %s, wrk %s\n",
    @$m{qw(nproc cpu_model memory_gib kernel nginx wrk)};
printf "every process on these %d CPUs: 3 nginx, 3 wrk, the coordinator and the workers\n",
    $m->{nproc};
printf "load: %d s, wrk -t1 -c%d against each nginx at once\n", $SECONDS, $CONNECTIONS;

sub run_layout {
    my ($workers) = @_;
    my $t = Trace::Test->new(pg_settings => \%PG_SETTINGS);
    my $citus = $t->citus(workers => $workers);
    my $pg = $citus->coordinator;
    my ($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo, 'migrate', '--distribute');
    die "migrate --distribute: $out$err" if $rc;
    $pg->migrate;
    my %web = start_hosts($t, \@HOSTS);

    my $started = time;
    my %wrk = map {
        $_ => Bench::Wrk->start(threads => 1, connections => $CONNECTIONS, seconds => $SECONDS,
            url => 'http://127.0.0.1:' . $web{$_}->port . '/', output => $t->base . "/wrk.$_")
    } @HOSTS;
    sleep 0.2 until !grep { !$_->done } values %wrk;
    my $load_seconds = time - $started;
    my $rows = sub { $pg->value('SELECT count(*) FROM trace.requests') };
    my $stored_in_load = $rows->();
    my %report = map { $_ => $wrk{$_}->report } @HOSTS;
    my $served = sum0(map { $_->{requests} } values %report);

    # the rest: until no nginx holds a row in memory or spool and the count stays
    my $held = sub {
        sum0(map { $_->status_sum('/status', 'queued_rows') + $_->status_sum('/status', 'spool_bytes') }
            values %web);
    };
    my $last = -1;
    $t->wait_for(sub {
        my $now = $rows->();
        my $settled = $now == $last && !$held->();
        $last = $now;
        return $settled;
    }, 120);
    my $drained = time - $started - $load_seconds;
    my $stored = $rows->();
    my $dropped = sum0(map { $_->status_sum('/status', 'dropped_rows') } values %web);
    my $spooled = sum0(map { $_->status_sum('/status', 'spooled_rows') } values %web);
    my $per_worker = $citus->rows_per_worker('requests');
    # The hosts whose rows each worker holds, by the shard of each batch key.
    my %hosts_on = map { $_->[0] => $_->[1] } @{ $pg->sql(q{
        SELECT p.nodeport, string_agg(DISTINCT k.host, ' ' ORDER BY k.host)
        FROM (SELECT DISTINCT host, batch_key FROM trace.requests) k
        JOIN pg_dist_shard_placement p
          ON p.shardid = get_shard_id_for_distribution_column('trace.requests', k.batch_key)
        GROUP BY p.nodeport}) };
    my %per_host = map { $_->[0] => $_->[1] }
        @{ $pg->sql('SELECT host, count(*) FROM trace.requests GROUP BY host') };
    my %errors = stop_hosts(\%web);
    $t->stop_all;
    return {
        workers => $workers, seconds => $load_seconds, served => $served,
        served_per_s => sum0(map { $_->{rps} } values %report),
        wrk_errors => sum0(map { $_->{errors} } values %report),
        stored_in_load => $stored_in_load, stored => $stored, drained => $drained,
        dropped => $dropped, spooled => $spooled,
        per_worker => $per_worker, per_host => \%per_host, hosts_on => \%hosts_on,
        errors => [map { map { "$_" } @{ $errors{$_} } } @HOSTS],
    };
}

my @runs = map { run_layout($_) } @LAYOUTS;

printf "\n%-9s %10s %10s %8s %9s %8s %8s %8s  %s\n", 'workers', 'served/s', 'stored/s',
    'rest in', 'served', 'stored', 'dropped', 'missing', 'rows per worker (port: rows, hosts)';
for my $r (@runs) {
    my $spread = join '; ', map {
        my ($port) = /:(\d+)$/;
        "$port: $r->{per_worker}{$_} (" . ($r->{hosts_on}{$port} // '-') . ')'
    } sort keys %{ $r->{per_worker} };
    printf "%-9d %10.0f %10.0f %6.1f s %9d %8d %8d %8d  %s\n", $r->{workers},
        $r->{served_per_s}, $r->{stored_in_load} / $r->{seconds}, $r->{drained}, $r->{served},
        $r->{stored}, $r->{dropped}, $r->{served} - $r->{stored}, $spread;
}
print "\nrows per host\n";
for my $r (@runs) {
    printf "  %d worker%s: %s\n", $r->{workers}, $r->{workers} == 1 ? ' ' : 's',
        join(', ', map { "$_ $r->{per_host}{$_}" } @HOSTS);
}
for my $r (@runs) {
    printf "%d workers: wrk saw %d errors; %d rows went through the spool\n", $r->{workers},
        $r->{wrk_errors}, $r->{spooled} if $r->{wrk_errors} || $r->{spooled};
    print "!!! $r->{workers} workers, error log: $_\n" for @{ $r->{errors} };
}
