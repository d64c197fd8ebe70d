# trace-ctl requests through the block summaries (sql/0006) gives exactly the
# rows of the plain query: `ORDER BY ts DESC, id DESC` with the same WHERE,
# worked out here in SQL. The rows: many thousands of varied and hostile values
# (quotes, backslashes, tabs, escaped NUL and invalid UTF-8, IPv6, networks,
# every status class), most summarised by `trace-ctl migrate`'s backfill, the
# newest ones (and one replayed from long ago) left without a block, as an
# older module would write them. Every filter and some combinations, pages 1,
# 2 and deep. A rare combination of common keys makes the walk read nearly
# every block, and a block whose filters claim every key (a Bloom filter's
# false positive, made certain) shows no row that does not match.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Blocks;
use Trace::Test::Reading qw(insert_rows decode_json_output start_background wait_for_output);
use Time::HiRes qw(sleep time);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
$pg->sql('CREATE ROLE reader LOGIN IN ROLE trace_reader');
my @db = ('--db', $pg->conninfo(user => 'reader'));

# Rows g = FROM .. TO, at one every STEP seconds up to END_AGO seconds ago.
sub insert_generated {
    my ($from, $to, $end_ago, $step) = @_;
    $pg->sql(<<"EOF");
INSERT INTO trace.requests (ts, host, server_name, method, path, status, duration, user_name,
                            session, client_addr, user_agent, request_id, escaped)
SELECT now() - interval '$end_ago seconds' - ($to - g) * interval '$step seconds'
           + (g % 7) * interval '1 microsecond',
       CASE WHEN g % 501 = 3 THEN E'web-"q" \\\\ \\t' ELSE 'web-' || (g % 3 + 1) END,
       'example.org',
       (ARRAY['GET','GET','GET','GET','POST','POST','HEAD','PUT','DELETE','OPTIONS','PATCH'])[1 + (g * 7) % 11],
       CASE WHEN g % 701 = 1 THEN E'/a "quoted" \\\\back\\\\slash\\ttab/' || g
            WHEN g % 907 = 2 THEN '/nul/\\x00/' || g
            WHEN g % 10 < 6 THEN '/app/' || (g * 31 % 97) || '/item/' || (g % 5000)
            WHEN g % 10 < 9 THEN '/api/v1/orders/' || (g * 17 % 2011)
            ELSE '/static/img/' || (g % 300) || '.png' END,
       CASE WHEN g % 4000 = 7 THEN 503 WHEN g % 200 = 7 THEN 200
            WHEN g % 97 = 0 THEN 500 WHEN g % 89 = 0 THEN 502 WHEN g % 31 = 0 THEN 404
            WHEN g % 301 = 0 THEN 418 WHEN g % 293 = 0 THEN 101 WHEN g % 29 = 0 THEN 302
            WHEN g % 13 = 0 THEN 304 WHEN g % 557 = 0 THEN NULL ELSE 200 END,
       (g % 1000) * interval '1 ms',
       CASE WHEN g % 200 = 7 THEN 'spread'
            WHEN g % 803 = 4 THEN E'o''brien "x" \\\\ y\\tz'
            WHEN g % 851 = 5 THEN 'a\\xffb'
            WHEN g % 10 <> 0 THEN 'user' || (g * 7919 % 300) END,
       CASE WHEN g % 10 <> 0 THEN md5('s' || (g * 7919 % 300) || '-' || (g / 2000)) END,
       CASE WHEN g % 50 = 0 THEN ('2001:db8::' || to_hex(g % 65536))::inet
            WHEN g % 50 = 1 THEN ('192.168.' || (g % 7) || '.' || (g % 250))::inet
            WHEN g % 777 = 0 THEN NULL
            ELSE ('10.' || (g % 20) || '.' || (g * 13 % 256) || '.' || (g * 7 % 256))::inet END,
       'agent/' || g,
       md5(g::text),
       CASE WHEN g % 907 = 2 THEN ARRAY['path'] WHEN g % 851 = 5 THEN ARRAY['user_name'] END
FROM generate_series(${from}::bigint, $to) AS g
EOF
}

# Summarised by migrate: 40,000 rows over a week, ending a day ago (157 blocks).
insert_generated(1, 40_000, 86_400, 15);
# Rows that need a look of their own: hostile values, exact bytes.
my @special = (
    { ts => time - 3 * 86400, host => 'web-1', method => 'GET', status => 200,
      path => qq{/x'; DROP TABLE trace.requests; --}, user_name => "alice' OR '1'='1",
      client_addr => '10.3.3.3' },
    { ts => time - 2 * 86400, host => 'web-2', method => 'GET', status => 200,
      path => '/long/' . ('y' x 8000), user_name => 'long', client_addr => '2001:db8::1' },
    { ts => time - 4 * 86400, host => 'web-3', method => 'GET', status => 999,
      path => "/caf\xc3\xa9/\xe6\x97\xa5", user_name => "j\xc3\xbcrgen",
      client_addr => '10.200.1.2' },
);
insert_rows($pg, 'requests', @special);
my ($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo, 'migrate');
is($rc, 0, 'migrate backfills') or diag($err);
like($out, qr/^summarised 40003 rows in 157 blocks, [\d.]+ s/m, '... and says what it did')
    or diag($out);
is($pg->value('SELECT through_id FROM trace.request_blocks_backfill'),
    $pg->value('SELECT max(id) FROM trace.requests'), '... through the newest id');
is($pg->value('SELECT sum(row_count) FROM trace.request_blocks'), 40003,
    '... every row in one block');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo, 'migrate');
like($out, qr/no blocks to write/, 'a second migrate has no blocks to write');
is($pg->value('SELECT count(*) FROM trace.request_blocks'), 157, '... and writes none');

# Left uncovered: the last day, as an older module writes it; one row replayed
# from a spool, long ago but with a high id; two in one microsecond.
insert_generated(40_001, 42_000, 60, 40);
insert_rows($pg, 'requests',
    { ts => time - 5 * 86400, host => 'web-3', method => 'PATCH', status => 503,
      path => '/replayed', user_name => 'spread', client_addr => '10.1.2.3' },
    map { +{ ts => time - 3600.5, host => 'web-1', method => 'GET', status => 200,
      path => "/tie/$_", user_name => 'tie', client_addr => '10.4.4.4' } } 1, 2);

# A block that claims every key (all bits set): a Bloom filter's false
# positive, made certain, over an hour of rows that match few filters.
$pg->sql(q{INSERT INTO trace.request_blocks (host, batch_id, block, first_ts, last_ts, row_count,
    keys, grams) SELECT 'test', 'all-ones', 0, min(ts), max(ts), count(*),
    decode(repeat('ff', 64), 'hex'), decode(repeat('ff', 64), 'hex')
    FROM trace.requests WHERE ts BETWEEN now() - interval '3 days 2 hours'
                                    AND now() - interval '3 days 1 hour'});
$pg->sql('ANALYZE trace.requests');
$pg->sql('ANALYZE trace.request_blocks');

# --- the answer of plain SQL --------------------------------------------------------

my $same = Trace::Test::Blocks->new($t, $pg, @db);
sub same_ok { $same->same_ok(@_) }
sub listed { $same->listed(@_) }
sub expected_ids { $same->expected_ids(@_) }

sub time_of { $pg->value("SELECT to_char((now() - interval '$_[0]') AT TIME ZONE 'UTC', "
    . q{'YYYY-MM-DD"T"HH24:MI:SS"Z"')}) }

my $plain_user = $Trace::Test::Blocks::PLAIN_USER;
my $session = $pg->value(q{SELECT session FROM trace.requests WHERE user_name = 'user42'
    ORDER BY id LIMIT 1});
my $old_session = $pg->value(q{SELECT session FROM trace.requests WHERE id = 1234});

same_ok([], '', []);
same_ok(['--user', 'user42'], $plain_user, ['user42']);
same_ok(['--user', 'spread'], $plain_user, ['spread'], pages => [[50, 1], [50, 3], [7, 40]]);
same_ok(['--user', 'nobody'], $plain_user, ['nobody'], pages => [[50, 1]]);
same_ok(['--user', qq{o'brien "x" \\ y\tz}], $plain_user, [qq{o'brien "x" \\ y\tz}]);
same_ok(['--user', "a\xffb"], $Trace::Test::Blocks::ESCAPED_USER, ['a\\xffb']);
same_ok(['--user', 'a\\xffb'], $plain_user, ['a\\xffb'], pages => [[50, 1]]);
same_ok(['--user', "alice' OR '1'='1"], $plain_user, ["alice' OR '1'='1"], pages => [[50, 1]]);
same_ok(['--user', "j\xc3\xbcrgen"], $plain_user, ["j\xc3\xbcrgen"], pages => [[50, 1]]);
same_ok(['--session', $session], 'session = ?', [$session]);
same_ok(['--session', uc substr($old_session, 0, 8)], 'left(session, 8) = ?',
    [substr($old_session, 0, 8)]);
same_ok(['--session', substr($old_session, 0, 13)], 'left(session, 13) = ?',
    [substr($old_session, 0, 13)]);
same_ok(['--status', '500'], 'status = 500', []);
same_ok(['--status', '5xx'], 'status BETWEEN 500 AND 599', []);
same_ok(['--status', '4xx,5xx'], 'status BETWEEN 400 AND 599', []);
same_ok(['--status', '304,4xx'], '(status = 304 OR status BETWEEN 400 AND 499)', []);
same_ok(['--status', '418'], 'status = 418', []);
same_ok(['--status', '1xx,999'], '(status BETWEEN 100 AND 199 OR status = 999)', []);
same_ok(['--method', 'PATCH'], q{method = 'PATCH'}, []);
same_ok(['--method', 'put,delete'], q{method IN ('PUT', 'DELETE')}, []);
same_ok(['--host', 'web-2'], 'host = ?', ['web-2']);
same_ok(['--host', qq{web-"q" \\ \t}], 'host = ?', [qq{web-"q" \\ \t}]);
same_ok(['--client', '10.3.3.3'], q{client_addr = '10.3.3.3'}, [], pages => [[50, 1]]);
same_ok(['--client', '10.1.2.3/32'], q{client_addr <<= '10.1.2.3/32'}, [], pages => [[50, 1]]);
same_ok(['--client', '10.5.0.0/16'], q{client_addr <<= '10.5.0.0/16'}, []);
same_ok(['--client', '10.5.16.0/20'], q{client_addr <<= '10.5.16.0/20'}, []);
same_ok(['--client', '10.5.7.0/24'], q{client_addr <<= '10.5.7.0/24'}, []);
same_ok(['--client', '10.0.0.0/8'], q{client_addr <<= '10.0.0.0/8'}, []);
same_ok(['--client', '192.168.0.0/16'], q{client_addr <<= '192.168.0.0/16'}, []);
same_ok(['--client', '2001:db8::/32'], q{client_addr <<= '2001:db8::/32'}, []);
same_ok(['--client', '2001:db8::1'], q{client_addr = '2001:db8::1'}, [], pages => [[50, 1]]);
same_ok(['--path', '^/static/img/29'], 'path ~ ?', ['^/static/img/29']);
same_ok(['--path', 'orders/123'], 'path ~ ?', ['orders/123']);
same_ok(['--path', '"quoted" \\\\back'], 'path ~ ?', ['"quoted" \\\\back']);
same_ok(['--path', "slash\ttab"], 'path ~ ?', ["slash\ttab"]);
same_ok(['--path', 'slash\\ttab'], 'path ~ ?', ['slash\\ttab']);
same_ok(['--path', '/nul/\\\\x00/'], 'path ~ ?', ['/nul/\\\\x00/']);
same_ok(['--path', "caf\xc3\xa9"], 'path ~ ?', ["caf\xc3\xa9"], pages => [[50, 1]]);
same_ok(['--path', 'DROP TABLE'], 'path ~ ?', ['DROP TABLE'], pages => [[50, 1]]);
same_ok(['--path', 'y{255}'], 'path ~ ?', ['y{255}'], pages => [[50, 1]]);
same_ok(['--path', 'nowhere'], 'path ~ ?', ['nowhere'], pages => [[50, 1]]);
same_ok(['--path', '^/(app|api)/.*/1'], 'path ~ ?', ['^/(app|api)/.*/1']);

# Combinations, and time bounds that narrow the blocks asked.
my ($since, $until) = (time_of('5 days'), time_of('2 days 3 hours'));
same_ok(['--user', 'user42', '--status', '2xx'], "$plain_user AND status BETWEEN 200 AND 299",
    ['user42']);
same_ok(['--method', 'POST', '--host', 'web-2', '--path', '^/api/'],
    q{method = 'POST' AND host = 'web-2' AND path ~ '^/api/'}, []);
same_ok(['--user', 'user7', '--since', $since, '--until', $until],
    "$plain_user AND ts >= ?::timestamptz AND ts < ?::timestamptz", ['user7', $since, $until]);
same_ok(['--status', '5xx', '--since', $since],
    'status BETWEEN 500 AND 599 AND ts >= ?::timestamptz', [$since]);
same_ok(['--client', '10.7.0.0/16', '--until', $until],
    q{client_addr <<= '10.7.0.0/16' AND ts < ?::timestamptz}, [$until]);
same_ok(['--session', substr($session, 0, 8), '--method', 'GET', '--referer', '.'],
    q{left(session, 8) = ? AND method = 'GET' AND referer ~ '.'}, [substr($session, 0, 8)],
    pages => [[50, 1]]);

# A rare combination of common keys: nearly every block holds user 'spread'
# and a 5xx, only a few rows have both. The walk reads block after block, in
# steps of 16, 64, 256, ... and still lists exactly those rows.
my $rare = "$plain_user AND status BETWEEN 500 AND 599";
same_ok(['--user', 'spread', '--status', '5xx'], $rare, ['spread'],
    pages => [[50, 1], [3, 2], [3, 4]]);
($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--user', 'spread', '--status', '5xx',
    '--explain');
my $plans = decode_json_output($out);
my @ranges = grep { $_->{Statement} eq 'ranges' } @$plans;
cmp_ok(scalar(@ranges), '>=', 3, 'the rare combination takes three steps or more')
    or diag(join ' ', map { $_->{Statement} } @$plans);
my ($blocks) = 0;
$blocks += $_->{Plan}{'Actual Rows'} for grep { $_->{Statement} eq 'blocks' } @$plans;
cmp_ok($blocks, '>=', 100, "... over nearly every block ($blocks candidates)");

# The block that claims everything: the walk reads its hour and shows none of
# its rows, since none is a ghost's.
($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--user', 'ghost', '--explain');
$plans = decode_json_output($out);
my @read = grep { $_->{Statement} eq 'ranges' } @$plans;
ok(@read && $read[0]{Plan}{'Actual Rows'} == 0 && grep({ $_->{Statement} eq 'blocks'
    && $_->{Plan}{'Actual Rows'} >= 1 } @$plans),
    'a block that claims every key is read, and yields nothing');
same_ok(['--user', 'ghost'], $plain_user, ['ghost'], pages => [[50, 1]]);
same_ok(['--path', '^/ghost/'], 'path ~ ?', ['^/ghost/'], pages => [[50, 1]]);

# A page stays anchored: rows that arrive later are not on it.
my $max = $pg->value('SELECT max(id) FROM trace.requests');
insert_rows($pg, 'requests', { ts => time - 60, host => 'web-1', method => 'GET',
    status => 200, path => '/later', user_name => 'user42' });
is_deeply(listed('--user', 'user42', '--max-id', $max, '--page', '2'),
    expected_ids("$plain_user AND id <= $max", ['user42'], 50, 50),
    '--max-id: the page of its anchor');

# An insert still open when migrate starts: migrate waits for it (SHARE mode
# lets no writer in or past), then covers its row, and the rows of the last
# day with it; none is left behind through_id.
my $writer = $pg->dbh(user => 'nginx_module');
$writer->begin_work;
$writer->do(q{INSERT INTO trace.requests (ts, host, method, path, status, user_name)
    VALUES (now(), 'web-1', 'GET', '/in-flight', 200, 'in-flight')});
my $migrate = start_background(Trace::Test::build() . '/trace-ctl', '--db', $pg->conninfo,
    'migrate');
my $waited = 0;
for (1 .. 200) {
    $waited = $pg->value(q{SELECT count(*) FROM pg_locks
        WHERE relation = 'trace.requests'::regclass AND mode = 'ShareLock' AND NOT granted});
    last if $waited;
    sleep 0.05;
}
ok($waited, 'migrate waits for the insert in flight');
$writer->commit;
my $said = wait_for_output($migrate, sub { $_[0] =~ /^summarised/m });
waitpid $migrate->{pid}, 0;
is($? >> 8, 0, '... then writes its blocks');
like($said, qr/^summarised 2005 rows in 8 blocks/m, '... for every row since the first backfill')
    or diag($said);
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE NOT summarised AND id >
    (SELECT through_id FROM trace.request_blocks_backfill)}), 0, '... and none is left uncovered');
same_ok(['--user', 'in-flight'], $plain_user, ['in-flight'], pages => [[50, 1]]);
same_ok(['--user', 'spread', '--status', '5xx'], $rare, ['spread'], pages => [[50, 1], [3, 2]]);
same_ok(['--status', '4xx,5xx'], 'status BETWEEN 400 AND 599', []);

$t->done;
