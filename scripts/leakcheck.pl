#!/usr/bin/perl
# The reload leak check (make leakcheck): nginx with the module, PostgreSQL up,
# the spool on, through 20 reloads with traffic between them.
#
#   leakcheck.pl rss BUILD    the normal build; after each reload and its
#                             traffic, VmRSS and VmData of the master and the
#                             workers. Passes when, over the last 15 reloads
#                             (the first 5 warm up: caches, arenas, the
#                             session zone), the least-squares slope of each
#                             stays under its bound (below).
#   leakcheck.pl lsan BUILD   the AddressSanitizer build (make SANITIZE=...),
#                             with LeakSanitizer on in nginx: every process
#                             (master, each generation of workers) checks for
#                             leaks when it exits. Passes when no leak has a
#                             frame in the module; nginx's own (it never frees
#                             its last cycle) are counted and shown, not fatal.
#
# Why LeakSanitizer and not valgrind: reloads need the master process, and
# valgrind follows nginx's forks only slowly (a reload takes seconds under
# it); the ASan build is already how the suite is checked, and LSan tells
# which frames are the module's.

use strict;
use warnings;
use Cwd qw(abs_path);
use Time::HiRes qw(sleep time);

my ($mode, $build) = @ARGV;
die "usage: $0 rss|lsan BUILD\n" unless $mode && $mode =~ /^(rss|lsan)$/ && $build;
BEGIN { unshift @INC, 't/lib' }
$ENV{TRACE_BUILD} = abs_path($build);
if ($mode eq 'lsan') {
    die "lsan needs TRACE_NGINX_PRELOAD (the sanitizer runtimes)\n" unless $ENV{TRACE_NGINX_PRELOAD};
    $ENV{TRACE_SANITIZE} ||= 'address';
    # Slow unwinding: libpq, PCRE2 and nginx have no frame pointers, and a
    # leak's stack must reach the module's frame to be counted as the module's.
    $ENV{TRACE_NGINX_LEAK_OPTIONS} = 'detect_leaks=1:fast_unwind_on_malloc=0';
}
require Trace::Test;
Test::More->builder->no_ending(1);    # the harness speaks TAP; this script only prints

use constant RELOADS => 20;
use constant WARMUP => 5;
use constant REQUESTS_PER_ROUND => 1500;
# Bounds on growth per reload, KiB. The master keeps one configuration at a
# time: flat but for a page now and then (0.2 KiB/reload measured), while
# leaking the four regexes of this configuration each reload shows as 5. A
# worker is new after each reload: its figure is as noisy as its traffic
# (+-0.5 MiB), and it inherits any growth of the master's.
use constant MASTER_SLOPE_MAX => 2;
use constant WORKER_SLOPE_MAX => 64;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
my $key = $t->base . '/session.key';
Trace::Test::spew($key, join('', map { ('a' .. 'f', 0 .. 9)[rand 16] } 1 .. 64), 0600);

$t->nginx(<<"EOF", workers => 2);
http {
    trace_db "%%TRACE_DB%% connect_timeout=2";
    trace_flush_interval 100ms;
    trace_spool %%PREFIX%%/spool;
    trace_session_key $key;
    trace_session_zone 1m;
    access_log off;
    server {
        listen 127.0.0.1:%%PORT%%;
        trace on;
        trace_only_authenticated off;
        trace_exclude \\.(css|js)\$ ^/health;
        trace_redact password *token* api_key;
        trace_session \$cookie_sessionid;
        trace_audit on;
        trace_audit_event login ^/login\$ method=POST status=302;
        trace_audit_event logout ^/logout\$;
        location / { return 200 "ok\\n"; }
        location = /login { return 302 /; }
        location = /logout { return 200 "bye\\n"; }
        location = /status { trace off; trace_status; }
    }
}
EOF

sub status_kib {
    my ($pid, $field) = @_;
    my $status = Trace::Test::slurp("/proc/$pid/status");
    return $status =~ /^\Q$field\E:\s+(\d+) kB/m ? $1 : 0;
}

sub traffic {
    my ($round) = @_;
    my $sent = $t->load(REQUESTS_PER_ROUND, concurrency => 4,
        headers => { Cookie => "sessionid=s$round" },
        path => sub {
            my $i = shift;
            $i % 50 == 0 ? "/logout" : $i % 7 == 0 ? "/app.js" : "/r$round?i=$i&password=p&q=x";
        });
    my $r = $t->get('/login', -method => 'POST', -body => 'username=alice', Cookie => "sessionid=s$round");
    die "traffic failed in round $round\n" unless $sent == REQUESTS_PER_ROUND && $r->{status} == 302;
}

# Least-squares slope of @y against 0..$#y.
sub slope {
    my @y = @_;
    my $n = @y;
    my $mx = ($n - 1) / 2;
    my $my = 0;
    $my += $_ for @y;
    $my /= $n;
    my ($num, $den) = (0, 0);
    for my $i (0 .. $n - 1) {
        $num += ($i - $mx) * ($y[$i] - $my);
        $den += ($i - $mx)**2;
    }
    return $num / $den;
}

my @rows;
my $started = time;
traffic(0);
for my $reload (1 .. RELOADS) {
    $t->reload_nginx(30);
    traffic($reload);
    my $master = $t->nginx_pid;
    my @workers = $t->worker_pids;
    my @wrss = map { status_kib($_, 'VmRSS') } @workers;
    my @wdata = map { status_kib($_, 'VmData') } @workers;
    my $max = sub { (sort { $b <=> $a } @_)[0] // 0 };
    push @rows, [ $reload, status_kib($master, 'VmRSS'), status_kib($master, 'VmData'),
        $max->(@wrss), $max->(@wdata), scalar @workers ];
}
my $recorded = $pg->value(q{SELECT count(*) FROM trace.requests});
my $audited = $pg->value(q{SELECT count(*) FROM trace.audit});

if ($mode eq 'rss') {
    printf "%-7s %12s %12s %12s %12s %8s\n", 'reload', 'master RSS', 'master Data',
        'worker RSS', 'worker Data', 'workers';
    printf "%-7d %9d KiB %9d KiB %9d KiB %9d KiB %8d\n", @$_ for @rows;
    my @tail = @rows[WARMUP .. $#rows];
    my %slope = (
        'master RSS' => slope(map { $_->[1] } @tail),
        'master Data' => slope(map { $_->[2] } @tail),
        'worker RSS' => slope(map { $_->[3] } @tail),
        'worker Data' => slope(map { $_->[4] } @tail),
    );
    my %bound = ('master RSS' => MASTER_SLOPE_MAX, 'master Data' => MASTER_SLOPE_MAX,
        'worker RSS' => WORKER_SLOPE_MAX, 'worker Data' => WORKER_SLOPE_MAX);
    my $ok = 1;
    for my $what (sort keys %slope) {
        my $pass = $slope{$what} < $bound{$what};
        $ok &&= $pass;
        printf "slope of %-11s over reloads %d-%d: %+7.2f KiB/reload (bound %d): %s\n",
            $what, WARMUP + 1, RELOADS, $slope{$what}, $bound{$what}, $pass ? 'ok' : 'GROWS';
    }
    printf "%d reloads, %d requests and %d audit events recorded, %.0f s\n", RELOADS,
        $recorded, $audited, time - $started;
    $t->stop_all;
    print $ok ? "leakcheck rss: ok\n" : "leakcheck rss: FAILED\n";
    exit($ok ? 0 : 1);
}

# --- lsan: let every process exit, then read what LeakSanitizer reported ---------------
$t->stop_nginx('quit', 60);
$t->stop_all;
my @reports = sort glob($t->sanitizer_dir . '/nginx-asan.*');
my ($ours, $theirs, $ours_bytes, $theirs_bytes, @shown) = (0, 0, 0, 0);
my $errors = 0;
for my $file (@reports) {
    my $text = Trace::Test::slurp($file);
    $errors++ if $text =~ /ERROR: AddressSanitizer|runtime error|LeakSanitizer has encountered/;
    # One block per leak: the header line, then its stack frames.
    for my $leak (split /\n(?=(?:Direct|Indirect) leak of )/, $text) {
        next unless $leak =~ /^(?:Direct|Indirect) leak of (\d+) byte/;
        my $bytes = $1;
        if ($leak =~ m{ngx_http_trace_module\.so|/ngx_module/|\btrace_\w+}) {
            $ours++;
            $ours_bytes += $bytes;
            push @shown, $leak;
        } else {
            $theirs++;
            $theirs_bytes += $bytes;
        }
    }
}
my $ok = !$ours && !$errors && @reports;
printf "%d reloads, %d requests and %d audit events recorded, %.0f s\n", RELOADS, $recorded,
    $audited, time - $started;
printf "LeakSanitizer report files: %d (every nginx process checks as it exits; only those "
    . "that found something write one)\n", scalar @reports;
printf "leaks with a frame in the module: %d (%d bytes)\n", $ours, $ours_bytes;
printf "leaks of nginx itself (no module frame): %d (%d bytes)\n", $theirs, $theirs_bytes;
print "sanitizer errors other than leaks: $errors\n";
print "no report file at all: LeakSanitizer did not run\n" unless @reports;
print "$_\n" for @shown[0 .. ($#shown < 4 ? $#shown : 4)];
print $ok ? "leakcheck lsan: ok\n" : "leakcheck lsan: FAILED (reports in " . $t->sanitizer_dir . ")\n";
exit($ok ? 0 : 1);
