#!/usr/bin/perl
# `make bench`: what recording every request costs, next to what people use
# instead. One nginx binary (1 worker), one private PostgreSQL, wrk on loopback;
# the variants alternate (A B C D A B C D ...) so that a noisy machine treats
# them alike, and medians are quoted:
#
#   A  access_log off                       the physical limit
#   B  access_log FILE combined buffer=64k flush=1s
#   C  trace on; trace_only_authenticated off;  (this module, its defaults:
#      no trace_spool line, so the spool is in its default directory)
#   D  access_log syslog: -> private rsyslogd -> ompgsql -> PostgreSQL
#
# each against a small static file and a small proxied response, in two views
# that alternate too: "shared", every process on every CPU, and "pinned",
# PostgreSQL on one CPU and nginx, its backend, wrk (and rsyslogd) on another,
# so that what the module costs nginx shows apart from what the database costs.
# Every C run counts its rows: served, stored once the module holds no more,
# dropped as the module counts them, and missing (served - stored). Then C
# with PostgreSQL stopped for the middle third of a run (trace_spool on).
# Prints a table and writes the same figures to BUILD/bench/latest.json and a
# timestamped copy. Usage: bench/run.pl [BUILD_DIR]   (see README, "Benchmark")
#
# Environment (all optional):
#   BENCH_ROUNDS          rounds of A B C D (3)
#   BENCH_SECONDS         seconds of load per run (10)
#   BENCH_CONNECTIONS     wrk connections (50); BENCH_THREADS wrk threads (2)
#   BENCH_VARIANTS        which variants, in this order (ABCD); E, C without a
#                         request id, is there to measure what $request_id costs
#   BENCH_URLS            static,proxy
#   BENCH_PINNED          1: the pinned view too (needs 2 CPUs); 0: shared only
#   BENCH_DRAIN_MAX       longest wait for rows after a run, seconds (60)
#   BENCH_OUTAGE_SECONDS  the outage run, split in thirds (30; 0 skips it)
#   BENCH_PROFILE=CD      measure nothing: run each named variant once on the
#                         static file under `perf record -e cpu-clock` (the nginx
#                         worker; the PostgreSQL backend that writes; rsyslogd),
#                         reports in BUILD/bench/profile-*.txt; BENCH_PERF_ARGS
#                         adds perf record options (e.g. "--call-graph dwarf -F 500")
#   TRACE_KEEP=1          keep the temporary directory

use strict;
use warnings;

use Cwd qw(abs_path);
use FindBin;
BEGIN { $ENV{TRACE_BUILD} //= abs_path($ARGV[0] // "$FindBin::Bin/../build") }
use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";

use File::Path qw(make_path);
use JSON::PP ();
use POSIX qw(strftime);
use Time::HiRes qw(sleep time);

use Trace::Test;
use Bench::Cpus qw(allowed_cpus cpu_list pin affinity);
use Bench::Proc qw(tree_cpu rss_kib machine_cpu machine_info children);
use Bench::Report;
use Bench::Rsyslog;
use Bench::Wrk;

sub env_int {
    my ($name, $default) = @_;
    my $v = $ENV{$name} // return $default;
    $v =~ /^\d+$/ or die "$name must be a whole number, not \"$v\"\n";
    return $v + 0;
}

my %opt = (
    rounds => env_int('BENCH_ROUNDS', 3),
    seconds => env_int('BENCH_SECONDS', 10),
    connections => env_int('BENCH_CONNECTIONS', 50),
    threads => env_int('BENCH_THREADS', 2),
    drain_max => env_int('BENCH_DRAIN_MAX', 60),
    outage_seconds => env_int('BENCH_OUTAGE_SECONDS', 30),
    pinned => env_int('BENCH_PINNED', 1),
    variants => [split //, uc($ENV{BENCH_VARIANTS} // 'ABCD')],
    urls => [split /,/, $ENV{BENCH_URLS} // 'static,proxy'],
);
die "BENCH_ROUNDS and BENCH_SECONDS must be at least 1\n"
    unless $opt{rounds} && $opt{seconds};

my $BUILD = $ENV{TRACE_BUILD};
my $OUT_DIR = "$BUILD/bench";
my $STALL_SECONDS = 5;      # no new rows for this long after a run: the rest is lost
my $SAMPLE_SECONDS = 0.2;   # worker RSS sampling
my $QUIET_CPU = 0.25;       # before a run, wait (up to $QUIET_WAIT s) until the
my $QUIET_WAIT = 30;        # machine is this idle (CPU s per s): other people's load
my $BUFFER_BOUND_KIB = 8 * 1024;    # trace_buffer_size's default, which C runs with

# --- what is compared ---------------------------------------------------------------

# PostgreSQL as it would run in production, not as the tests run it (fsync=off).
my %PG_SETTINGS = (fsync => 'on', synchronous_commit => 'on', full_page_writes => 'on');

# a small static file, and a small response proxied to a backend
my %URLS = (static => { path => '/static.txt' }, proxy => { path => '/proxy' });

my $STATIC_BODY = "nginx-trace benchmark: a small static file, the same in every variant.\n";

my %VARIANTS = (
    A => { label => 'A access_log off', log => '' },
    B => {
        label => 'B buffered file log',
        log => 'access_log %%PREFIX%%/logs/access.log combined buffer=64k flush=1s;',
    },
    # No trace_spool: the module's default directory (see $DEFAULT_SPOOL).
    C => {
        label => 'C trace (this module)',
        http => 'trace_db "%%TRACE_DB%%";',
        log => 'trace on; trace_only_authenticated off;',
        status => 'location = /trace_status { trace_status; }',
        table => 'trace.requests',
        writer => 'nginx_module',
    },
    # Not in the default set: C without its default request id ($request_id,
    # which nginx draws from OpenSSL's RAND_bytes), to measure what that costs.
    E => {
        label => 'E C, no request id',
        http => 'trace_db "%%TRACE_DB%%";',
        log => 'trace on; trace_only_authenticated off; trace_request_id "";',
        status => 'location = /trace_status { trace_status; }',
        table => 'trace.requests',
        writer => 'nginx_module',
    },
    D => {
        label => 'D syslog>rsyslog>PG',
        log => 'access_log syslog:server=127.0.0.1:@SYSLOG_PORT@,tag=nginx bench_tsv;',
        table => 'bench.syslog_requests',
        writer => 'bench_rsyslog',
        rsyslog => 1,
    },
);
for my $v (@{ $opt{variants} }) {
    die "BENCH_VARIANTS: no variant \"$v\" (A, B, C, D, E)\n" unless $VARIANTS{$v};
}
for my $u (@{ $opt{urls} }) {
    die "BENCH_URLS: no url \"$u\" (static, proxy)\n" unless $URLS{$u};
}

# The same nginx.conf for every variant but for the lines that log: a server
# under load (the static file, and a location proxied to a separate backend
# nginx) and a server for the counters, which logs nothing.
my $NGINX_CONF = <<'EOF';
http {
    @HTTP@
    default_type text/plain;
    sendfile on;
    tcp_nopush on;
    access_log off;

    log_format bench_tsv '$msec\t$hostname\t$host\t$request_method\t$uri\t$args\t$status\t$request_time\t$remote_user\t$remote_addr\t$bytes_sent\t$http_user_agent\t$request_id';

    upstream backend {
        server 127.0.0.1:@BACKEND_PORT@;
        keepalive @KEEPALIVE@;
        keepalive_requests 1000000;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        root %%PREFIX%%/html;
        @LOG@

        location = /static.txt { }
        location = /proxy {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }

    server {
        listen 127.0.0.1:%%PORT_STATUS%%;
        location = /nginx_status { stub_status; }
        @STATUS@
    }
}
EOF

# The proxied application: a second nginx of its own (not measured), so that
# the first one's request counter counts only client requests.
my $BACKEND_CONF = <<'EOF';
pid @DIR@/nginx.pid;
error_log @DIR@/error.log notice;
worker_processes 1;
events { worker_connections 4096; }
http {
    access_log off;
    server {
        listen 127.0.0.1:@PORT@;
        keepalive_requests 1000000;
        location / { return 200 "ok: a small proxied response\n"; }
    }
}
EOF

# --- set-up ---------------------------------------------------------------------------

my $t = Trace::Test->new(pg_settings => \%PG_SETTINGS);
my $base = $t->base;
my $backend;    # { dir, pid }

sub stop_backend {
    my $b = $backend or return;
    undef $backend;
    my $pid = Trace::Test::slurp("$b->{dir}/nginx.pid") =~ /(\d+)/ ? $1 : undef;
    return unless $pid;
    kill 'QUIT', $pid;
    my $until = time + 10;
    sleep 0.05 while kill(0, $pid) && time < $until;
    kill 'KILL', $pid if kill 0, $pid;
}

sub stop_everything {
    Bench::Wrk::stop_all();
    Bench::Rsyslog::stop_all();
    stop_backend();
    $t->stop_all;
}

END {
    my $status = $?;
    stop_everything();
    $? = $status;
}
for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} = sub {
        print STDERR "\nbench: interrupted; stopping what it started\n";
        stop_everything();
        exit 130;
    };
}

sub note { print STDERR "bench: @_\n" }

sub start_backend {
    my $dir = "$base/backend";
    make_path("$dir/logs");
    my $port = Trace::Test::free_port();
    (my $conf = $BACKEND_CONF) =~ s/\@DIR\@/$dir/g;
    $conf =~ s/\@PORT\@/$port/g;
    Trace::Test::spew("$dir/nginx.conf", $conf);
    my ($rc, $out, $err) = Trace::Test::run('/usr/sbin/nginx', '-p', $dir, '-c', "$dir/nginx.conf");
    die "backend nginx did not start: $out$err" if $rc;
    $backend = { dir => $dir, port => $port };
    Trace::Test::wait_port($port, 10) or die "backend nginx does not listen on $port\n";
    return $port;
}

note("PostgreSQL (private cluster, fsync on) and the schema");
my $pg = $t->postgres_migrated;
$pg->sql($_) for split /;\n/, <<'EOF';
CREATE SCHEMA bench;
CREATE TABLE bench.syslog_requests (LIKE trace.requests INCLUDING ALL);
CREATE ROLE bench_rsyslog LOGIN;
GRANT USAGE ON SCHEMA bench TO bench_rsyslog;
GRANT INSERT ON bench.syslog_requests TO bench_rsyslog
EOF

my %pg_info = (version => $pg->value('SHOW server_version'));
for my $name (qw(fsync synchronous_commit wal_sync_method full_page_writes shared_buffers
    wal_level max_wal_size checkpoint_timeout autovacuum)) {
    $pg_info{$name} = $pg->value("SHOW $name");
}

my $backend_port = start_backend();
my $html = "$base/nginx/html";
Trace::Test::spew("$html/static.txt", $STATIC_BODY, 0644);
chmod 0755, "$base/nginx", $html;

# --- measuring --------------------------------------------------------------------------

my $status_hits = 0;    # requests sent to the status server (its counter counts them)

sub status_get {
    my ($path) = @_;
    my $r;
    for my $attempt (1 .. 3) {
        $status_hits++;    # a request that fails may still have been counted
        $r = Trace::Test::http_request($t->port('status'),
            "GET $path HTTP/1.0\r\nHost: localhost\r\n\r\n", timeout => 10);
        return $r->{body} if $r->{status} == 200;
        note("GET $path: status $r->{status} " . ($r->{error} // '') . "; again");
    }
    die "GET $path: status $r->{status} " . ($r->{error} // '') . "\n";
}

# nginx's own count of requests (stub_status), and how many status requests
# had been made when it was read.
sub stub_reading {
    my $body = status_get('/nginx_status');
    my ($requests) = $body =~ /^\s*\d+\s+\d+\s+(\d+)\s*$/m or die "stub_status: $body\n";
    return { requests => $requests, hits => $status_hits, at => time };
}

# How long the worker takes to answer a status request now, in ms: a probe of
# its event loop (a worker that blocks answers late).
sub probe_ms {
    my $started = time;
    stub_reading();
    return 1000 * (time - $started);
}

# Requests the load server served between two readings: nginx counts a request
# when it starts, every request it starts is logged, and the status requests
# in between (the second reading included) are not the load's.
sub served_between {
    my ($r0, $r1) = @_;
    return $r1->{requests} - $r0->{requests} - ($r1->{hits} - $r0->{hits});
}

sub trace_status {
    my $json = eval { JSON::PP::decode_json(status_get('/trace_status')) } or return {};
    my %sum;
    for my $w (@{ $json->{workers} // [] }) {
        for my $k (keys %$w) {
            $sum{$k} += $w->{$k} if defined $w->{$k} && $w->{$k} =~ /^\d+$/ && $k ne 'pid'
                && $k ne 'started' && $k ne 'last_error_time';
        }
        $sum{connected} = $w->{connected} ? 1 : 0;
    }
    return \%sum;
}

sub postmaster_pid {
    return Trace::Test::slurp("$pg->{dir}/data/postmaster.pid") =~ /^(\d+)/ ? $1 : undef;
}

sub reset_tables {
    $pg->sql('TRUNCATE trace.requests, trace.batches, trace.rejected, bench.syslog_requests '
        . 'RESTART IDENTITY');
    $pg->sql('CHECKPOINT');
}

# A cheap progress figure while rows arrive (identity values handed out; a
# backward scan of the primary key), and the exact count to confirm it.
sub rows_progress { $pg->value("SELECT coalesce(max(id), 0) FROM $_[0]") }
sub rows_count { $pg->value("SELECT count(*) FROM $_[0]") }

sub nginx_conf {
    my ($v, %args) = @_;
    my $conf = $NGINX_CONF;
    my $log = $v->{log};
    $log =~ s/\@SYSLOG_PORT\@/$args{syslog_port}/g if $args{syslog_port};
    my $http = $v->{http} // '';
    $http .= "\n    trace_spool %%PREFIX%%/spool;" if $args{spool};
    $conf =~ s/\@HTTP\@/$http/;
    $conf =~ s/\@LOG\@/$log/;
    $conf =~ s/\@STATUS\@/$v->{status} \/\/ ''/e;
    $conf =~ s/\@BACKEND_PORT\@/$backend_port/;
    $conf =~ s/\@KEEPALIVE\@/$opt{connections}/;
    return $conf;
}

sub backend_pid {
    return Trace::Test::slurp("$backend->{dir}/nginx.pid") =~ /(\d+)/ ? $1 : undef;
}

# --- the module's default spool -----------------------------------------------------------

# C runs with the module's defaults, so its spool is the default directory: the
# parent of the client body path nginx was built with, plus "trace" (README,
# trace_spool). Every nginx on this machine that records with the defaults
# shares it, and a worker replays any orphaned file it finds there: a file there
# before a C run would add rows that the run never served (a negative
# "missing"), so each run counts them.
my $DEFAULT_SPOOL = do {
    my ($body) = `/usr/sbin/nginx -V 2>&1` =~ /--http-client-body-temp-path=(\S+)/;
    ($body // '/var/lib/nginx/body') =~ s{/[^/]+/*$}{}r . '/trace';
};

sub spool_files { my @files = glob "$DEFAULT_SPOOL/trace-*.spool"; return scalar @files }

# --- the pinned view ----------------------------------------------------------------------

# The CPUs this script may use; the pinned view puts the load side (nginx, its
# backend, wrk, rsyslogd and this script) on the first, PostgreSQL on the second.
my @CPUS = allowed_cpus();
my @VIEWS = ('shared');
my $pinned_skipped = !$opt{pinned} ? 'BENCH_PINNED=0'
    : @CPUS < 2 ? sprintf('it needs 2 CPUs, and this machine gives the benchmark %d (CPU %s)',
        scalar @CPUS, @CPUS ? cpu_list(@CPUS) : 'none')
    : undef;
push @VIEWS, 'pinned' unless $pinned_skipped;
my %PIN = (load => [ $CPUS[0] ], pg => [ $CPUS[1] // $CPUS[0] ]);

# PostgreSQL's postmaster and the processes it has now: backends (this script's
# connection among them) and its auxiliary processes. A backend forked later
# inherits the postmaster's affinity, as the module's does when it connects.
sub pg_processes {
    my $pm = postmaster_pid() // return ();
    return ($pm, children($pm));
}

sub backend_processes {
    my $pid = backend_pid() // return ();
    return ($pid, children($pid));
}

# Pins PostgreSQL to its CPU and the load side to the other, or (with $pinned
# false) gives all of them every CPU again. This script first, so that the
# nginx, wrk and rsyslogd it starts next inherit the load's CPU; the backend
# nginx and PostgreSQL run across runs and are pinned where they are.
sub set_pinning {
    my ($pinned) = @_;
    my ($load, $pg) = $pinned ? @PIN{qw(load pg)} : (\@CPUS, \@CPUS);
    pin($load, $$, backend_processes());
    pin($pg, pg_processes());
}

# The CPUs each side may use in a view, as taskset lists them.
sub view_cpus {
    my ($pinned) = @_;
    return { pg => cpu_list(@{ $PIN{pg} }), load => cpu_list(@{ $PIN{load} }) } if $pinned;
    return { pg => cpu_list(@CPUS), load => cpu_list(@CPUS) };
}

# Whether the view's affinity held, read back with taskset -p: every thread of
# every PostgreSQL process on PostgreSQL's CPUs, the backends that write the
# rows (role $writer) among them, and every thread of the load side's processes
# (@load: nginx, wrk, rsyslogd) and of the backend nginx on the load's CPUs.
# In the shared view both are every CPU: a pinned run must not leave a trace.
# Adds what it found to $check.
sub check_pinning {
    my ($check, $writer, @load) = @_;
    my %want = %{ $check->{cpus} };
    my %pids = (pg => [ pg_processes() ], load => [ @load, backend_processes() ]);
    my %seen;
    for my $side (qw(pg load)) {
        for my $pid (grep { defined } @{ $pids{$side} }) {
            my $threads = affinity($pid);
            next unless %$threads;    # gone meanwhile
            $seen{$side}{$pid} = 1;
            for my $tid (sort { $a <=> $b } keys %$threads) {
                next if $threads->{$tid} eq $want{$side};
                push @{ $check->{problems} }, "$side process $pid (thread $tid) may run on "
                    . "CPU $threads->{$tid}, not $want{$side}";
            }
        }
        my $n = keys %{ $seen{$side} // {} };
        $check->{"${side}_processes"} = $n
            if $n > ($check->{"${side}_processes"} // 0);
    }
    if ($writer) {
        my @writers = map { $_->[0] }
            @{ $pg->sql('SELECT pid FROM pg_stat_activity WHERE usename = $1', $writer) };
        push @{ $check->{problems} }, "$writer backend $_ is not among PostgreSQL's processes"
            for grep { !$seen{pg}{$_} } @writers;
        $check->{writer_backends} = @writers if @writers > ($check->{writer_backends} // 0);
    }
    $check->{problems} //= [];
    return $check;
}

sub cpu_reading {
    my ($pids) = @_;
    my %cpu = map { $_ => tree_cpu($pids->{$_}) // 0 } grep { defined $pids->{$_} } keys %$pids;
    my @times = times;
    $cpu{machine} = machine_cpu();
    $cpu{wrk} = $times[2] + $times[3];    # reaped children of this script: wrk
    $cpu{bench} = $times[0] + $times[1];  # this script
    return \%cpu;
}

# Starts nginx for variant $v (and its rsyslogd); returns the run's context.
sub start_variant {
    my ($v, %args) = @_;
    my $run = { variant => $v };
    if ($v->{rsyslog}) {
        $run->{rsyslog} = Bench::Rsyslog->start(dir => "$base/rsyslog",
            template => "$FindBin::Bin/rsyslog-pgsql.conf",
            # (rsyslog takes no blanks in a parameter: the URI form)
            conninfo => 'postgresql://bench_rsyslog@127.0.0.1:' . $pg->port . '/trace');
    }
    # default_spool: the harness gives a recording nginx a spool of its own
    # unless told not to; C is to run as the module is by default.
    $t->nginx(nginx_conf($v, spool => $args{spool},
        syslog_port => $run->{rsyslog} && $run->{rsyslog}->port), workers => 1,
        default_spool => 1);
    $run->{master} = $t->nginx_pid;
    ($run->{worker}) = $t->worker_pids;
    # (C connects to PostgreSQL with its first batch, on its sender thread)
    return $run;
}

sub stop_variant {
    my ($run) = @_;
    $run->{rsyslog}->stop(10) if $run->{rsyslog};
    $t->stop_nginx('quit', 30);
}

# Rows the module still holds, in memory (queued_rows, the batch being sent
# included) and in its spool (spool_bytes); undef when trace_status did not answer.
sub module_holds {
    my ($status) = @_;
    return undef unless defined $status->{queued_rows} && defined $status->{spool_bytes};
    return $status->{queued_rows} + $status->{spool_bytes};
}

# After the load: how many rows are in PostgreSQL 2 s after it stopped, and
# when all of them were (or how many never came). rsyslog (D) says nothing of
# what it still holds: its rows are taken as lost when none came for
# $STALL_SECONDS. The module ($module true) says it in trace_status: the wait
# goes on while it holds rows in memory or in its spool, and ends once it holds
# none and the count has not moved since; BENCH_DRAIN_MAX bounds both.
sub wait_for_rows {
    my ($table, $served, $t_end, $module) = @_;
    my ($at_2s, $all_after, $gave_up, $settled);
    my ($last, $last_change) = (-1, time);
    while (1) {
        my $now = time;
        if (!defined $at_2s && $now >= $t_end + 2) {
            $at_2s = rows_count($table);
        }
        my $progress = rows_progress($table);
        if ($progress >= $served && rows_count($table) >= $served) {
            $all_after = time - $t_end;
            last;
        }
        ($last, $last_change) = ($progress, $now) if $progress != $last;
        if ($now - $t_end > $opt{drain_max}) {
            $gave_up = 'time limit';
            last;
        }
        if ($module) {
            if ((module_holds(trace_status()) // 1) == 0) {
                my $count = rows_count($table);
                if (defined $settled && $settled == $count) {
                    $gave_up = 'the module holds none';
                    last;
                }
                $settled = $count;
            } else {
                undef $settled;
            }
        } elsif ($now - $last_change > $STALL_SECONDS && $now >= $t_end + 2) {
            $gave_up = 'no new rows';
            last;
        }
        sleep $module ? 0.25 : 0.1;
    }
    my $count = rows_count($table);
    $at_2s //= $count;    # all were there before 2 s
    return (
        rows => $count,
        at_2s => $at_2s,
        all_after_s => $all_after,
        missing => $served - $count,
        # why the wait ended without all rows
        gave_up => $gave_up,
    );
}

# On a shared machine, a run that starts while something else is busy measures
# that something: wait a little for a quiet second. Returns (waited, busy).
sub wait_for_quiet {
    my $started = time;
    my $busy;
    while (1) {
        my $before = machine_cpu()->{busy};
        sleep 1;
        $busy = machine_cpu()->{busy} - $before;
        last if $busy <= $QUIET_CPU || time - $started >= $QUIET_WAIT;
    }
    return (time - $started, $busy);
}

sub one_run {
    my ($key, $url_key, $round, $view) = @_;
    $view //= 'shared';
    my $v = $VARIANTS{$key};
    my $url = $URLS{$url_key};
    my $pinned = $view eq 'pinned';
    reset_tables();    # every variant starts from the same, checkpointed database
    my ($waited, $busy) = wait_for_quiet();
    my $spool_files_before = $v->{status} ? spool_files() : undef;
    set_pinning(1) if $pinned;
    my $run = start_variant($v);
    my %pids = (nginx => $run->{master}, pg => postmaster_pid(),
        rsyslog => $run->{rsyslog} && $run->{rsyslog}->pid, backend => backend_pid());

    my $loadavg = (split ' ', Trace::Test::slurp('/proc/loadavg'))[0];
    my $rss_start = rss_kib($run->{worker}) // 0;
    my $s0 = stub_reading();
    my $cpu0 = cpu_reading(\%pids);
    my $wrk = Bench::Wrk->start(threads => $opt{threads}, connections => $opt{connections},
        seconds => $opt{seconds}, output => "$base/wrk.out",
        url => "http://127.0.0.1:" . $t->port('http') . $url->{path});
    my ($rss_max, $probe_max) = ($rss_start, 0);
    my @load = ($run->{master}, $run->{worker}, $run->{rsyslog} ? $run->{rsyslog}->pid : ());
    my $pinning = { cpus => view_cpus($pinned) };
    my $t_start = time;
    until ($wrk->done) {
        my $rss = rss_kib($run->{worker}) // 0;
        $rss_max = $rss if $rss > $rss_max;
        my $probe = probe_ms();
        $probe_max = $probe if $probe > $probe_max;
        # once, while wrk runs and the writer has most likely connected
        if (!$pinning->{during_load} && time - $t_start >= $opt{seconds} / 2) {
            check_pinning($pinning, $v->{writer}, @load, $wrk->pid);
            $pinning->{during_load} = 1;
        }
        sleep $SAMPLE_SECONDS;
    }
    my $t_end = time;
    my $wrk_report = $wrk->report;
    sleep 0.3;    # requests cut off by wrk's exit are finished and counted
    my $s1 = stub_reading();
    my $served = served_between($s0, $s1);

    my %result = (variant => $key, url => $url_key, round => $round, served => $served,
        loadavg_before => $loadavg + 0, quiet_wait_s => $waited, busy_before => $busy,
        %$wrk_report);
    delete $result{raw};
    if ($v->{table}) {
        %result = (%result, wait_for_rows($v->{table}, $served, $t_end, $v->{status}));
    } else {
        sleep 1.5 - (time - $t_end) if time - $t_end < 1.5;    # B flushes every second
    }
    my $cpu1 = cpu_reading(\%pids);
    my $window = time - $s0->{at};
    # what is measured (nginx, PostgreSQL, rsyslog), what is not but is ours
    # (wrk, the backend, this script), and the rest: other people's load. The
    # kernel's softirq time (loopback networking) is shown on its own too, but
    # this kernel's tick accounting also charges it to whichever process it
    # interrupted, so it is not subtracted.
    for my $name (qw(nginx pg rsyslog backend wrk bench)) {
        next unless defined $cpu0->{$name};
        $result{cpu_s}{$name} = $cpu1->{$name} - $cpu0->{$name};
    }
    my %machine = map { $_ => $cpu1->{machine}{$_} - $cpu0->{machine}{$_} } qw(busy softirq steal);
    my $ours = 0;
    $ours += $_ for values %{ $result{cpu_s} };
    $result{cpu_s}{softirq} = $machine{softirq};
    $result{cpu_s}{steal} = $machine{steal};
    $result{cpu_s}{other_processes} = $machine{busy} - $ours;
    $result{window_s} = $window;
    $result{rss_kib} = { start => $rss_start, max => $rss_max };
    $result{status_probe_max_ms} = $probe_max;

    if ($run->{rsyslog}) {
        $result{udp_drops} = $run->{rsyslog}->drops;
    }
    if ($v->{status}) {
        # what the module says it lost, against what is missing: they must agree
        my $status = $result{trace_status} = trace_status();
        $result{dropped} = $status->{dropped_rows};
        $result{held_at_end} = module_holds($status);
        $result{spool_usable} = $status->{spool_usable};
        $result{spool_files_before} = $spool_files_before;
        $result{spool_dir} = $DEFAULT_SPOOL;
    }
    # again after the drain: the writer's backend exists for certain now
    $result{pinning} = check_pinning($pinning, $v->{writer}, @load);
    $result{view} = $view;
    stop_variant($run);
    set_pinning(0) if $pinned;
    if ($key eq 'B') {
        my $lines = () = Trace::Test::slurp("$base/nginx/logs/access.log") =~ /\n/g;
        $result{log_lines} = $lines;
        unlink "$base/nginx/logs/access.log";
    }
    return \%result;
}

# C with PostgreSQL stopped for the middle third of the run, trace_spool on.
sub outage_run {
    my $seconds = $opt{outage_seconds};
    my $v = $VARIANTS{C};
    reset_tables();
    wait_for_quiet();
    my $run = start_variant($v, spool => 1);
    my @marks = (stub_reading());
    my @rss_max = (rss_kib($run->{worker}) // 0) x 3;
    my @probe_max = (0) x 3;
    my $t0 = time;
    my $wrk = Bench::Wrk->start(threads => $opt{threads}, connections => $opt{connections},
        seconds => $seconds, output => "$base/wrk.out",
        url => "http://127.0.0.1:" . $t->port('http') . $URLS{static}{path});
    my ($stopped_at, $restarted_at);
    until ($wrk->done) {
        my $third = int((time - $t0) / ($seconds / 3));
        $third = 2 if $third > 2;
        if ($third >= 1 && !$stopped_at) {
            push @marks, stub_reading();
            $stopped_at = time - $t0;
            $pg->stop('fast');
        } elsif ($third >= 2 && !$restarted_at) {
            push @marks, stub_reading();
            $pg->start;
            $restarted_at = time - $t0;    # when it accepts connections again
        }
        my $rss = rss_kib($run->{worker}) // 0;
        $rss_max[$third] = $rss if $rss > $rss_max[$third];
        my $probe = probe_ms();
        $probe_max[$third] = $probe if $probe > $probe_max[$third];
        sleep $SAMPLE_SECONDS;
    }
    my $t_end = time;
    my $wrk_report = $wrk->report;
    sleep 0.3;
    push @marks, stub_reading();
    my $served = served_between($marks[0], $marks[-1]);
    my @thirds;
    for my $i (0 .. 2) {
        my ($from, $to) = @marks[$i, $i + 1];
        last unless $to;
        push @thirds, {
            rps => served_between($from, $to) / (($i == 2 ? $t_end : $to->{at}) - $from->{at}),
            rss_max_kib => $rss_max[$i],
            status_probe_max_ms => $probe_max[$i],
        };
    }
    my %rows = wait_for_rows('trace.requests', $served, $t_end);
    my $distinct = $pg->value('SELECT count(DISTINCT request_id) FROM trace.requests');
    my $status = trace_status();
    stop_variant($run);
    my $wrk_rps = $wrk_report->{rps};
    return {
        seconds => $seconds, served => $served, wrk_rps => $wrk_rps,
        errors => $wrk_report->{errors}, p99_ms => $wrk_report->{p99_ms},
        pg_stopped_at_s => $stopped_at, pg_restarted_at_s => $restarted_at,
        thirds => \@thirds, %rows, distinct_request_ids => $distinct,
        all_after_restart_s => defined $rows{all_after_s}
            ? $rows{all_after_s} + ($t_end - $t0) - $restarted_at : undef,
        trace_status => $status,
        buffer_bound_kib => $BUFFER_BOUND_KIB,
    };
}

# Where the worker's time goes, by symbol, for the variants in BENCH_PROFILE.
# cpu-clock is a software event: it works in virtual machines without
# hardware counters (as here: `perf stat -e instructions` is "not supported").
sub perf_attach {
    my ($name, @pids) = @_;
    my $perf = fork // die "fork: $!\n";
    if ($perf == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', "$OUT_DIR/perf-$name.log";
        exec 'perf', 'record', '-e', 'cpu-clock', split(' ', $ENV{BENCH_PERF_ARGS} // '-F 4000'),
            '-o', "$OUT_DIR/perf-$name.data", '-p', join(',', @pids) or POSIX::_exit(127);
    }
    return { pid => $perf, name => $name };
}

# Stops perf and writes its report; returns the report's file.
sub perf_report {
    my ($perf) = @_;
    kill 'INT', $perf->{pid};
    waitpid $perf->{pid}, 0;
    my $report = "$OUT_DIR/profile-$perf->{name}.txt";
    system("perf report -i $OUT_DIR/perf-$perf->{name}.data --stdio --sort comm,dso,symbol "
        . "--percent-limit 0.3 > $report 2>/dev/null");
    return $report;
}

sub profile_runs {
    my @variants = split //, uc $ENV{BENCH_PROFILE};
    make_path($OUT_DIR);
    for my $key (@variants) {
        my $v = $VARIANTS{$key} or die "BENCH_PROFILE: no variant \"$key\"\n";
        reset_tables();
        my $run = start_variant($v);
        my @perf = (perf_attach($key, $run->{worker}));
        push @perf, perf_attach("$key-rsyslog", $run->{rsyslog}->pid) if $run->{rsyslog};
        sleep 0.5;
        my $wrk = Bench::Wrk->start(threads => $opt{threads}, connections => $opt{connections},
            seconds => $opt{seconds}, output => "$base/wrk.out",
            url => "http://127.0.0.1:" . $t->port('http') . $URLS{static}{path});
        if ($v->{writer}) {
            # the backend that writes the rows exists once the first batch went out
            sleep 1.5;
            my $pids = $pg->sql('SELECT pid FROM pg_stat_activity WHERE usename = $1',
                $v->{writer});
            push @perf, perf_attach("$key-pg", map { $_->[0] } @$pids) if @$pids;
        }
        sleep 0.2 until $wrk->done;
        sleep 1.5;    # the last batch
        my @reports = map { perf_report($_) } @perf;
        stop_variant($run);
        note(sprintf '%s: %.0f req/s under perf', $v->{label}, $wrk->report->{rps});
        for my $report (@reports) {
            note("top of $report:");
            print grep { defined && /^\s+\d/ } (split /^/, Trace::Test::slurp($report))[0 .. 40];
        }
    }
}

# --- the run ------------------------------------------------------------------------------

if ($ENV{BENCH_PROFILE}) {
    profile_runs();
    exit 0;
}

my $started = time;
my %bench = (
    started => strftime('%Y-%m-%dT%H:%M:%S%z', localtime),
    machine => machine_info(),
    postgresql => \%pg_info,
    options => { %opt, wrk => "wrk -t$opt{threads} -c$opt{connections} -d$opt{seconds}s --latency" },
    urls => { map { $_ => $URLS{$_}{path} } @{ $opt{urls} } },
    static_bytes => length $STATIC_BODY,
    variants => { map { $_ => { label => $VARIANTS{$_}{label}, log => $VARIANTS{$_}{log} } }
        @{ $opt{variants} } },
    views => \@VIEWS,
    pinning => {
        cpus => cpu_list(@CPUS),
        $pinned_skipped ? (skipped => $pinned_skipped)
            : (pg_cpu => cpu_list(@{ $PIN{pg} }), load_cpu => cpu_list(@{ $PIN{load} })),
    },
    spool_dir => $DEFAULT_SPOOL,
    runs => [],
);

my $outage = $opt{outage_seconds} >= 3 && grep { $_ eq 'C' } @{ $opt{variants} };
note(sprintf '%d rounds x %d urls x %d views x %d variants, %d s each (wrk -t%d -c%d)%s',
    $opt{rounds}, scalar @{ $opt{urls} }, scalar @VIEWS, scalar @{ $opt{variants} },
    $opt{seconds}, $opt{threads}, $opt{connections},
    $outage ? "; then the outage run ($opt{outage_seconds} s)" : '');
note($pinned_skipped ? "the pinned view is skipped: $pinned_skipped"
    : "views: shared (every process on CPUs " . cpu_list(@CPUS) . "), pinned (PostgreSQL on "
    . "CPU $bench{pinning}{pg_cpu}; nginx, its backend, wrk and rsyslogd on CPU "
    . "$bench{pinning}{load_cpu})");
note("C records with the module's defaults: its spool is $DEFAULT_SPOOL");

# one unmeasured run warms the page cache, PostgreSQL and the binaries
{
    local $opt{seconds} = 2;
    one_run($opt{variants}[0], $opt{urls}[0], 0);
}

for my $round (1 .. $opt{rounds}) {
    for my $url (@{ $opt{urls} }) {
        for my $view (@VIEWS) {
            for my $key (@{ $opt{variants} }) {
                my $r = one_run($key, $url, $round, $view);
                push @{ $bench{runs} }, $r;
                note(Bench::Report::run_line($r));
            }
        }
    }
}

if ($outage) {
    note("outage run: C with trace_spool, PostgreSQL stopped for the middle third of "
        . "$opt{outage_seconds} s");
    $bench{outage} = eval { outage_run() } // do {
        note("the outage run failed: $@");
        $pg->start unless $pg->{running};
        $t->stop_nginx('fast');
        { error => "$@" };
    };
}

my @alerts = $t->unexpected_errors;
$bench{nginx_error_log_alerts} = scalar @alerts;
note("nginx error log: $_") for @alerts[0 .. ($#alerts < 4 ? $#alerts : 4)];
$bench{duration_s} = time - $started;

# the figures first, so that a fault in the report's text loses none of them
my $report = Bench::Report->new(\%bench);
$bench{summary} = $report->summary;
make_path($OUT_DIR);
my $json = JSON::PP->new->canonical->pretty->encode(\%bench);
my $stamp = strftime('%Y%m%d-%H%M%S', localtime);
Trace::Test::spew("$OUT_DIR/bench-$stamp.json", $json);
Trace::Test::spew("$OUT_DIR/latest.json", $json);
print $report->text;
print "\nfigures: $OUT_DIR/latest.json (and bench-$stamp.json)\n";
