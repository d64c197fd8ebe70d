#!/usr/bin/perl
# How fast the web console answers on a large table: every page of
# `trace-ctl serve` on 1,000,000 requests and 100,000 audit events spread over
# 7 days (the overview of 7 days included), with the summaries of `trace-ctl
# rollup` current as cron keeps them, each fetched once to warm up and then 5
# times; prints the median per page and flags what is over 300 ms. It
# measures, it asserts nothing (not part of make test).
#
# Usage: bench/console.pl [BUILD_DIR]   (after `make`; BENCH_ROWS, default
# 1000000, and BENCH_AUDIT_ROWS, default 100000)

use strict;
use warnings;

use Cwd qw(abs_path);
use FindBin;
BEGIN { $ENV{TRACE_BUILD} //= abs_path($ARGV[0] // "$FindBin::Bin/../build") }
use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";

use HTTP::Tiny;
use Time::HiRes qw(time);

use Trace::Test;
use Trace::Test::Console qw(start_console stop_console);

my $ROWS = $ENV{BENCH_ROWS} // 1_000_000;
my $AUDIT = $ENV{BENCH_AUDIT_ROWS} // 100_000;
my $RUNS = 5;
my $TARGET_MS = 300;

# A PostgreSQL as the tests start it (fsync off does not matter to reads),
# with PostgreSQL's default memory settings.
my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
my $started = time;

# Rows like a site's over the last 7 days, in the order they would arrive (the
# module appends): 3,000 users with a session each, 200 paths under four
# prefixes, mostly GET and 200, latencies skewed to the fast end.
$pg->sql(<<SQL);
INSERT INTO trace.requests (ts, host, server_name, method, path, query, status, duration,
    user_name, session, client_addr, bytes_sent, user_agent, request_id)
SELECT now() - interval '7 days' + (i::float8 / $ROWS) * interval '7 days', 'web' || (i % 3), 'shop.example',
       CASE WHEN i % 7 = 0 THEN 'POST' ELSE 'GET' END,
       '/' || (ARRAY['api', 'products', 'cart', 'static'])[1 + i % 4] || '/' || (i % 50),
       CASE WHEN i % 5 = 0 THEN 'page=' || (i % 9) END,
       CASE WHEN i % 100 < 88 THEN 200 WHEN i % 100 < 93 THEN 304
            WHEN i % 100 < 98 THEN 404 ELSE 502 END,
       make_interval(secs => 0.001 + power(random(), 4) * 0.9),
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'user' || (i % 3000) END,
       CASE WHEN i % 3 = 0 THEN NULL ELSE md5('session' || (i % 3000)) END,
       ('10.' || (i % 200) || '.' || (i % 250) || '.' || (i % 7))::inet,
       300 + i % 50000,
       (ARRAY['Mozilla/5.0 (X11; Linux x86_64)', 'curl/7.88.1', 'Googlebot/2.1'])[1 + i % 3],
       md5(i::text)
FROM generate_series(1, $ROWS) AS i
SQL
$pg->sql(<<SQL);
INSERT INTO trace.audit (ts, host, action, user_name, session, client_addr, method, path,
    status, source, user_agent, request_id)
SELECT now() - interval '7 days' + (i::float8 / $AUDIT) * interval '7 days', 'web' || (i % 3),
       (ARRAY['login', 'login', 'logout', 'login_failed'])[1 + i % 4],
       'user' || (i % 3000), md5('session' || (i % 3000)),
       ('10.' || (i % 200) || '.0.1')::inet, 'POST', '/accounts/login/', 302, 'rule',
       'Mozilla/5.0 (X11; Linux x86_64)', md5('a' || i)
FROM generate_series(1, $AUDIT) AS i
SQL
# Rows written by SQL have no block summaries (sql/0006), as rows from before
# 0006: trace-ctl migrate writes them, as on an upgraded installation.
my ($mrc, $mout, $merr) = $t->trace_ctl('migrate', '--db', $pg->conninfo);
die "trace-ctl migrate: $merr" if $mrc;
print grep { /^summarised/ } split /^/, $mout;
$pg->sql('VACUUM ANALYZE trace.requests');
$pg->sql('VACUUM ANALYZE trace.request_blocks');
$pg->sql('VACUUM ANALYZE trace.audit');
printf "%d requests and %d audit events loaded in %.0f s\n", $ROWS, $AUDIT, time - $started;

# The summaries the overview reads (sql/0009), as cron keeps them: one run
# over the whole history, then ANALYZE (autovacuum's, done at once).
my $rolled = time;
my ($rrc, $rout, $rerr) = $t->trace_ctl('rollup', '--db', $pg->conninfo(user => 'trace_ops'));
die "trace-ctl rollup: $rerr" if $rrc;
printf "%s(trace-ctl rollup, the first run: %.1f s)\n", $rout, time - $rolled;
$pg->sql("VACUUM ANALYZE trace.$_") for qw(rollup_periods rollup_hours rollup_paths
    rollup_latencies rollup_agents rollup_users rollup_clients);

my $console = start_console($t, '--statement-timeout', '30');
my $http = HTTP::Tiny->new(timeout => 60);
my $session = $pg->value(q{SELECT md5('session17')});
my @pages = (
    '/?since=1h', '/', '/?since=7d', '/?since=7d&host=web1',
    '/requests', '/requests?status=5xx', '/requests?user=user17', '/requests?path=%5E%2Fapi%2F',
    '/requests?method=post&status=404', '/requests?client=10.7.0.0%2F16',
    '/requests?since=7d&until=6d', '/requests?page=100',
    '/requests?format=csv', '/requests?format=json&limit=1000',
    '/audit', '/audit?action=login_failed', '/audit?summary=1', '/users/user17',
    "/sessions/$session", '/status',
);

printf "\n%-36s %8s %8s  %s\n", 'page', 'median', 'status', '';
my @over;
for my $page (@pages) {
    my ($status, @ms);
    for my $run (0 .. $RUNS) {
        my $t0 = time;
        my $r = $http->get("http://127.0.0.1:$console->{port}$page");
        my $ms = (time - $t0) * 1000;
        $status = $r->{status};
        push @ms, $ms if $run > 0;    # the first run warms the caches
    }
    my $median = (sort { $a <=> $b } @ms)[ int(@ms / 2) ];
    push @over, $page if $median > $TARGET_MS;
    printf "%-36s %6.0f ms %8s  %s\n", $page, $median, $status, $median > $TARGET_MS ? "over $TARGET_MS ms" : '';
}
print @over ? "\n" . scalar(@over) . " pages over $TARGET_MS ms\n" : "\nevery page under $TARGET_MS ms\n";

# The overviews with their summaries and without (the summaries' periods set
# aside, so that every panel reads the rows), alternating, in one run.
my @overviews = ('/', '/?since=7d', '/?since=7d&host=web1');
my $aside = sub {
    $pg->sql('CREATE TABLE public.aside AS SELECT * FROM trace.rollup_periods');
    $pg->sql('DELETE FROM trace.rollup_periods');
};
my $back = sub {
    $pg->sql('INSERT INTO trace.rollup_periods SELECT * FROM public.aside');
    $pg->sql('DROP TABLE public.aside');
};
printf "\n%-36s %10s %10s %7s\n", 'overview', 'summaries', 'rows', 'ratio';
for my $page (@overviews) {
    my (@with, @without);
    for my $run (0 .. $RUNS) {
        for my $variant (0, 1) {
            $aside->() if $variant;
            my $t0 = time;
            $http->get("http://127.0.0.1:$console->{port}$page");
            my $ms = (time - $t0) * 1000;
            $back->() if $variant;
            push @{ $variant ? \@without : \@with }, $ms if $run > 0;
        }
    }
    my ($summed, $raw) = map { (sort { $a <=> $b } @$_)[ int(@$_ / 2) ] } \@with, \@without;
    printf "%-36s %7.0f ms %7.0f ms %6.1fx\n", $page, $summed, $raw, $raw / $summed;
}
stop_console($console);
$t->stop_all;
