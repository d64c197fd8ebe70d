# trace-ctl rollup (sql/0009) and the overview that reads its summaries: on
# 8 days of rows (hostile values from a real nginx among them, copied into
# the past, and rows with no path, user or latency), every overview the
# summaries serve (7 days, 24 hours, 2 and 8 days, a host's) is the very page
# the rows alone give; and it stays so when rows come late (a row by hand, a
# block of a replayed batch), are deleted, updated, pruned or truncated,
# until the next rollup makes the summaries current again. Run as a member of
# trace_maintainer; refused to a reader.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Console qw(record_traffic start_console stop_console fetch);
use Trace::Test::Reading ();

my $t = Trace::Test->new;
my $recorded = record_traffic($t);
my $pg = $t->postgres;

# --- 8 days of rows -------------------------------------------------------------------
# What nginx recorded, copied 30 times into each of the 7 days back (the
# module's escaping with it): enough for the top lists.
$pg->sql(q{INSERT INTO trace.requests (ts, host, server_name, method, path, query, status,
        duration, user_name, session, client_addr, bytes_sent, user_agent, request_id, escaped)
    SELECT r.ts - make_interval(days => d, mins => d * 7 + m * 31), r.host, r.server_name,
           r.method, r.path, r.query, r.status, r.duration, r.user_name, r.session,
           r.client_addr, r.bytes_sent, r.user_agent, r.request_id, r.escaped
    FROM trace.requests r, generate_series(1, 7) d, generate_series(0, 29) m});
# And rows like a site's over 8 days: 3 hosts, 40 paths, users and clients
# that repeat, a few without path, user or latency.
$pg->sql(q{INSERT INTO trace.requests (ts, host, method, path, status, duration, user_name,
        client_addr, bytes_sent, user_agent)
    SELECT now() - interval '8 days' + (i / 6000.0) * interval '8 days' - interval '1 hour',
           'web' || (i % 3), 'GET',
           CASE WHEN i % 97 = 0 THEN NULL ELSE '/bulk/' || (i % 40) END,
           (ARRAY[200, 200, 200, 304, 404, 500, 101])[1 + i % 7],
           CASE WHEN i % 89 = 0 THEN NULL
                ELSE make_interval(secs => 0.001 + power((i % 101) / 100.0, 3)) END,
           CASE WHEN i % 4 = 0 THEN NULL ELSE 'user' || (i % 37) END,
           ('10.0.' || (i % 5) || '.' || (i % 53))::inet, 100 + i % 977,
           (ARRAY['curl/8', 'Mozilla/5.0', 'Googlebot'])[1 + i % 3]
    FROM generate_series(1, 6000) i});
# Rows written by SQL have no block summary: migrate writes them, as for an
# older installation's rows.
my ($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo, 'migrate');
is($rc, 0, 'migrate writes the block summaries of the rows written by SQL') or diag($err);

my $ops = $pg->conninfo(user => 'trace_ops');    # a member of trace_maintainer
sub rollup { $t->trace_ctl('--db', $ops, 'rollup') }

($rc, $out, $err) = rollup();
is($rc, 0, 'rollup as a member of trace_maintainer: exit 0') or diag($err);
like($out, qr/^rolled up (\d+) hours and (\d+) days; \1 hours and \2 days current, through \S+Z; users and clients of the last 24 hours and 7 days made again$/,
    '... says what it rolled up, and made the last 24 hours and 7 days');
my ($hours, $days) = $out =~ /^rolled up (\d+) hours and (\d+) days/;
cmp_ok($hours // 0, '>=', 8 * 24, '... every ended hour of the 8 days and more');
cmp_ok($days // 0, '>=', 8, '... and every ended day');
($rc, $out) = rollup();
like($out, qr/^rolled up 0 hours and 0 days; $hours hours and $days days current/,
    'a second run has nothing to do');

$pg->sql(q{DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reader') THEN }
    . q{CREATE ROLE reader LOGIN IN ROLE trace_reader; END IF; END $$});
# trace-ctl status: every hour of the last 7 days current, when it last ran.
my ($src, $sout) = $t->trace_ctl('--db', $ops, 'status');
# (An hour that ended since the rollup, with rows, would be due: 167 then.)
like($sout, qr/^rollups\s+16[78] of the last 7 days' 168 hours current(, 1 with rows due \(.*\))?, last made \S+ \S+ \((just now|\d+ s ago)\)$/m,
    'trace-ctl status: the last 7 days\' hours current') or diag($sout);

my ($bad_rc, undef, $bad_err) = $t->trace_ctl('--db', $pg->conninfo(user => 'reader'), 'rollup');
is($bad_rc, 1, 'rollup as a reader: exit 1');
like($bad_err, qr/^trace-ctl rollup: .*permission denied.* \(rollup needs a role that is a member of trace_maintainer\)$/,
    '... permission denied, and which role it needs');

# --- the overview: the same page from the summaries as from the rows ---------------
my $console = start_console($t);

# Windows held fixed, most ending now, some before, of lengths the summaries
# serve in every way (whole hours, days, the last 24 hours and 7 days, and
# ragged ends): a page from the summaries and one from the rows (the
# summaries set aside) must be the same bytes.
my ($end) = $pg->value(q{SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')});
sub back { $pg->value(q{SELECT to_char(($1::timestamptz - $2::interval) AT TIME ZONE 'UTC',
    'YYYY-MM-DD"T"HH24:MI:SS"Z"')}, $end, $_[0]) }
my %window = (
    '7 days' => '/?since=' . back('7 days') . "&until=$end",
    '7 days of web1' => '/?since=' . back('7 days') . "&until=$end&host=web1",
    '24 hours' => '/?since=' . back('24 hours') . "&until=$end",
    '24 hours of web2' => '/?since=' . back('24 hours') . "&until=$end&host=web2",
    '2 days' => '/?since=' . back('2 days') . "&until=$end",
    '8 days' => '/?since=' . back('8 days') . "&until=$end",
    '5 hours and 13 minutes' => '/?since=' . back('29 hours 13 minutes') . '&until=' . back('24 hours'),
    '30 hours' => '/?since=' . back('31 hours 7 minutes') . '&until=' . back('67 minutes'),
    '6 days and 23 hours' => '/?since=' . back('7 days 1 hour') . '&until=' . back('2 hours'),
    '7 days to 5 hours ago' => '/?since=' . back('7 days 5 hours') . '&until=' . back('5 hours'),
    '24 hours to 2 hours ago' => '/?since=' . back('26 hours') . '&until=' . back('2 hours'),
    'one whole hour' => '/?since=' . whole_hours(3) . '&until=' . whole_hours(2),
    'two days of whole hours' => '/?since=' . whole_hours(50) . '&until=' . whole_hours(2),
);

# The start of the hour that began N hours before the one now.
sub whole_hours { $pg->value(q{SELECT to_char(date_trunc('hour', ($1::timestamptz - $2::interval)
    AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')}, $end, "$_[0] hours") }

sub page {
    my ($path) = @_;
    my $r = fetch($console, $path);
    return $r->{status} == 200 ? $r->{content} : "status $r->{status}: $r->{content}";
}

# The page with no summary current (their periods set aside, then put back).
sub from_rows {
    my ($path) = @_;
    $pg->sql('CREATE TABLE public.aside AS SELECT * FROM trace.rollup_periods');
    $pg->sql('DELETE FROM trace.rollup_periods');
    my $page = page($path);
    $pg->sql('INSERT INTO trace.rollup_periods SELECT * FROM public.aside');
    $pg->sql('DROP TABLE public.aside');
    return $page;
}

sub same_pages {
    my ($what) = @_;
    for my $name (sort keys %window) {
        my $rolled = page($window{$name});
        my $rows = from_rows($window{$name});
        like($rolled, qr/<svg/, "$what: the overview of $name answers with its charts");
        ok($rolled eq $rows, "$what: the overview of $name is the page the rows give")
            or diag(first_difference($rolled, $rows));
    }
}

sub first_difference {
    my ($a, $b) = @_;
    my $i = 0;
    $i++ while $i < length($a) && $i < length($b) && substr($a, $i, 1) eq substr($b, $i, 1);
    return sprintf("first difference at byte %d:\n  summaries: %s\n  rows:      %s", $i,
        substr($a, $i > 80 ? $i - 80 : 0, 200), substr($b, $i > 80 ? $i - 80 : 0, 200));
}

same_pages('summaries current');

# The summaries are what is read: a count changed in them shows on the page.
my $seven = $window{'7 days'};
$pg->sql(q{UPDATE trace.rollup_paths SET requests = requests + 50000
    WHERE path = '/bulk/3' AND host IS NULL AND hour >= now() - interval '2 days'});
isnt(page($seven), from_rows($seven), 'a count changed in the summaries shows on the 7-day overview');
$pg->sql(q{UPDATE trace.rollup_paths SET requests = requests - 50000
    WHERE path = '/bulk/3' AND host IS NULL AND hour >= now() - interval '2 days'});
is(page($seven), from_rows($seven), '... and changed back, the page is the rows\' again');

# Hostile values from the summaries are text, as from the rows.
my $html = page($seven);
unlike($html, qr/<script>document|<img|<b>|\x1b|\xe2\x80\xae/, 'no hostile value as markup or as such');
like($html, qr{&lt;script&gt;document\.title=&#39;x&#39;&lt;/script&gt;}, 'the script path as text');
like($html, qr/o&#39;brien&quot;&lt;b&gt;/, 'the user with quotes and < as text');

# --- rows that change after a rollup ------------------------------------------------
sub periods { $pg->value('SELECT count(*) FROM trace.rollup_periods') }
my $held = periods();

# A row written by hand into an hour rolled up 2 days ago: no block covers it.
$pg->sql(q{INSERT INTO trace.requests (ts, host, path, status, duration, user_name, client_addr)
    VALUES (now() - interval '2 days', 'web1', '/late/by-hand', 503, '2 seconds', 'late-user',
            '192.0.2.9')});
same_pages('a row written by hand');
like(page($seven), qr{/late/by-hand}, '... the 7-day overview shows the late row');
sub rolled_at { $pg->value(q{SELECT rolled_at FROM trace.rollup_periods WHERE seconds = $1
    AND start = to_timestamp(floor(date_part('epoch', now() - $2::interval) / $1) * $1)}, @_) }
($src, $sout) = $t->trace_ctl('--db', $ops, 'status', '--format', 'json');
my $status = Trace::Test::Reading::decode_json_output($sout);
my ($current, $due, $hint) = @{ $status->{rollups} }{qw(hours_current hours_due hint)};
ok($due >= 1 && $current + $due <= 168, 'trace-ctl status: that hour is due')
    or diag("$current current, $due due");
like($hint, qr/^run trace-ctl rollup, from cron; until then the overview reads the rows of th(at hour|ose hours)$/,
    '... and what to do');
like(page('/status'), qr{<h2>Rollups</h2>.*hours_due.*>$due<}s, '/status says so too');
my @before = (rolled_at(3600, '2 days'), rolled_at(86400, '2 days'));
($rc, $out) = rollup();
like($out, qr/^rolled up [1-9]\d* hours? and [1-9]\d* days?; .*users and clients of the last (24 hours and )?7 days made again$/,
    'rollup makes hours and days again, and the last 7 days');
ok(rolled_at(3600, '2 days') gt $before[0] && rolled_at(86400, '2 days') gt $before[1],
    '... that hour and its day among them');
same_pages('the row by hand rolled up');

# A block of a batch replayed late, over an hour 3 days ago (its rows alike).
$pg->sql(q{INSERT INTO trace.requests (ts, host, path, status, duration, summarised)
    VALUES (now() - interval '3 days', 'web0', '/late/replayed', 200, '0.5 seconds', true)});
$pg->sql(q{INSERT INTO trace.request_blocks (host, batch_id, block, first_ts, last_ts, row_count,
        keys, grams)
    VALUES ('web0', 'late-batch', 0, now() - interval '3 days', now() - interval '3 days', 1,
            '\x00', '\x00')});
same_pages('a block replayed late');
@before = (rolled_at(3600, '3 days'), rolled_at(86400, '3 days'));
($rc, $out) = rollup();
ok(rolled_at(3600, '3 days') gt $before[0] && rolled_at(86400, '3 days') gt $before[1],
    'rollup makes that hour and its day again');

# Deleted rows (a user erased): their periods are forgotten at once.
my ($drc, undef, $derr) = Trace::Test::run({}, Trace::Test::Pg::bin_dir() . '/psql', '-X', '-q',
    '-v', 'ON_ERROR_STOP=1', $ops, '-c', q{DELETE FROM trace.requests WHERE user_name = 'user7'});
is($drc, 0, 'a member of trace_maintainer deletes a user\'s rows') or diag($derr);
cmp_ok(periods(), '<', $held, '... and the periods those rows were in are forgotten');
same_pages('a user\'s rows deleted');
unlike(page($seven), qr/>user7</, '... the 7-day overview no longer counts user7');
($rc, $out) = rollup();
like($out, qr/^rolled up [1-9]\d* hours? and [1-9]\d* days?; /, 'rollup makes those periods again');
cmp_ok(periods(), '>=', $held, '... all of them');

# Rows updated by hand.
$pg->sql(q{UPDATE trace.requests SET status = 599 WHERE path = '/bulk/5' AND ts < now() - interval '5 days'});
cmp_ok(periods(), '<', $held, 'rows updated: their periods are forgotten');
same_pages('rows updated');
rollup();

# prune by age: the periods of what it deletes are forgotten, their summaries
# dropped by the next rollup.
Trace::Test::spew($t->base . '/prune.toml', sprintf(qq{database = "%s"\nmax_log_count = 1000000\n}, $ops));
($rc, undef, $err) = $t->trace_ctl('--config', $t->base . '/prune.toml', 'prune', '--max-age', '3');
is($rc, 0, 'prune --max-age 3') or diag($err);
same_pages('rows older than 3 days pruned');
($rc, $out) = rollup();
is($rc, 0, 'rollup after prune');
is($pg->value(q{SELECT count(*) FROM trace.rollup_paths WHERE hour < now() - interval '4 days'}), 0,
    '... drops the summaries of the pruned hours');
same_pages('after prune and rollup');

# TRUNCATE forgets everything.
$pg->sql('TRUNCATE trace.requests');
is(periods(), 0, 'TRUNCATE forgets every period');
same_pages('trace.requests truncated');

my ($stopped) = stop_console($console);
is($stopped, 0, 'trace-ctl serve stops on SIGTERM');
$t->done;
