# trace-ctl requests on rows inserted directly, read by a role that only has
# trace_reader: every filter returns exactly the rows it should (worked out here
# in Perl, not by SQL), pages neither overlap nor skip while rows arrive, JSON
# carries every column, CSV reads back exactly, text output is safe for a
# terminal and fits its width, and a bad filter is one clear line and exit 2.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Reading qw(insert_rows decode_json_output parse_csv utc_iso);
use Digest::SHA qw(hmac_sha256_hex);
use POSIX qw(strftime);
use Time::HiRes qw(time);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
$pg->sql('CREATE ROLE reader LOGIN IN ROLE trace_reader');
my @db = ('--db', $pg->conninfo(user => 'reader'));
my $dir = $t->base;

# The module's session key, and the hash it stores for a token.
my $key = 'k' x 40;
Trace::Test::spew("$dir/session.key", "$key\n", 0600);
sub session_of { substr(hmac_sha256_hex($_[0], $key), 0, 32) }

# --- the rows -------------------------------------------------------------------
# One request every 7 minutes going back from now, each column cycling with a
# different period so that filters cut across each other. Times sit mid-way
# between two whole minutes so that "--since 2h" never lands on a row.
my $base = int(time) - 210;
my @users = ('alice', 'bob', 'carol', "j\xc3\xbcrgen", undef);
my @methods = qw(GET GET GET POST POST PUT DELETE);
my @statuses = (200, 200, 200, 200, 302, 304, 404, 404, 500, 502, 503);
my @rows;
for my $i (0 .. 239) {
    my $user = $users[$i % 5];
    my @clients = (sprintf('10.1.%d.%d', $i % 7, $i), sprintf('10.2.%d.%d', $i % 7, $i),
        sprintf('192.168.%d.%d', $i % 7, $i), sprintf('2001:db8::%x:%x', $i % 7 + 1, $i + 1));
    my @paths = ("/api/orders/$i", '/static/app.css', '/login', '/api/users/' . ($i % 17), '/',
        '/admin/report', '/api/orders/1' . ($i % 10));
    push @rows, {
        ts => $base - 420 * $i + ($i % 3) / 1000,
        host => 'web-' . ($i % 3 + 1),
        server_name => 'example.org',
        method => $methods[$i % 7],
        path => $paths[$i % 7 == 0 ? 0 : $i % 13 % 7],
        query => $i % 4 == 0 ? "page=$i" : undef,
        status => $statuses[$i % 11],
        duration => sprintf('%.4f seconds', $i * 0.0015),
        user_name => $user,
        session => defined $user ? session_of("token-$user-" . int($i / 40)) : undef,
        client_addr => $clients[$i % 4],
        bytes_sent => $i * 100,
        user_agent => "agent/$i",
        request_id => "req-$i",
    };
}
insert_rows($pg, 'requests', @rows);

# Rows that need a look of their own, inserted after the others (higher ids).
my $hostile_path = qq{/a "quoted" \\back\\slash\ttab\nnewline \e[2J\e]0;owned\a }
    . qq{caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac,comma \xe2\x80\xae} . 'gpj.exe';
my %hostile = (ts => $base - 420 * 3 - 100, host => 'web-1', method => 'POST',
    path => $hostile_path, query => qq{q="x",y;z=\\}, status => 200, duration => '0.25 seconds',
    user_name => 'mallory', session => session_of('token-mallory'), client_addr => '10.9.9.9',
    bytes_sent => 9, user_agent => "Mozilla\r\nX-Injected: 1", request_id => "r'\"id",
    server_name => undef);
my %long = (ts => $base - 420 * 4 - 100, host => 'web-2', method => 'GET',
    path => '/long/' . ('x' x 5000), status => 200, user_name => 'mallory');
# A row that waited in the spool: inserted last, but it happened long ago.
my %replayed = (ts => $base - 420 * 100 - 100, host => 'web-3', method => 'GET',
    path => '/replayed', status => 200, user_name => 'alice', session => session_of('token-alice-2'));
# Two requests in the same microsecond: the higher id comes first.
my @tied = map { +{ ts => $base - 420 * 5 - 100, host => 'web-1', method => 'GET',
    path => "/tie/$_", status => 200, user_name => 'tie' } } 1, 2;
my %tokyo = (ts => 1714564800, host => 'tz-host', method => 'GET', path => '/tz', status => 200);
my @special = (\%hostile, \%long, \%replayed, @tied, \%tokyo);
insert_rows($pg, 'requests', @special);
push @rows, @special;

# --- helpers ----------------------------------------------------------------------

sub newest_first { sort { $b->{ts} <=> $a->{ts} || $b->{id} <=> $a->{id} } @_ }

sub expected_ids {
    my ($keep) = @_;
    return [map { $_->{id} } newest_first(grep { $keep->($_) } @rows)];
}

sub requests {
    my (@args) = @_;
    my $opts = ref $args[0] eq 'HASH' ? shift @args : {};
    return $t->trace_ctl($opts, @db, 'requests', @args);
}

sub listed_ids {
    my (@args) = @_;
    my $opts = ref $args[0] eq 'HASH' ? shift @args : {};
    my @limit = grep({ $_ eq '--limit' } @args) ? () : ('--limit', 1000);
    my ($rc, $out, $err) = requests($opts, '--format', 'json', @limit, @args);
    is($rc, 0, "requests @args: exit 0") or diag($err);
    return [map { $_->{id} } @{ decode_json_output($out) }];
}

sub filter_ok {
    my ($args, $keep, $name) = @_;
    my $expected = expected_ids($keep);
    my $got = listed_ids(@$args);
    is_deeply($got, $expected, "$name: exactly the expected rows, newest first ("
        . scalar(@$expected) . ')');
    return $expected;
}

sub in_range { my ($v, $lo, $hi) = @_; defined $v && $v >= $lo && $v <= $hi }
sub user_is { my ($name) = @_; sub { ($_[0]{user_name} // '') eq $name } }

# --- every filter -------------------------------------------------------------------

my $all = filter_ok([], sub { 1 }, 'no filter');
is(scalar(@$all), 246, 'every row is listed');
is($all->[-1], $tokyo{id}, 'the oldest row comes last');
is_deeply([grep { $_ == $replayed{id} || $_ == $rows[99]{id} || $_ == $rows[100]{id} } @$all],
    [$rows[99]{id}, $rows[100]{id}, $replayed{id}],
    'a late-inserted row sits where its time puts it, not on top');
is_deeply([grep { $_ == $tied[0]{id} || $_ == $tied[1]{id} } @$all], [$tied[1]{id}, $tied[0]{id}],
    'rows of the same microsecond: the newer id first');

filter_ok(['--user', 'alice'], user_is('alice'), '--user');
filter_ok(['--user', "j\xc3\xbcrgen"], user_is("j\xc3\xbcrgen"), '--user, not ASCII');
filter_ok(['--user', "alice' OR '1'='1"], sub { 0 }, '--user with SQL in it matches nothing');

my $alice1 = session_of('token-alice-1');
filter_ok(['--session', $alice1], sub { ($_[0]{session} // '') eq $alice1 }, '--session HASH');
filter_ok(['--session', uc substr($alice1, 0, 10)],
    sub { ($_[0]{session} // '') =~ /^\Q${\ substr($alice1, 0, 10)}\E/ },
    '--session with a prefix, in capitals');
filter_ok(['--session-token', 'token-alice-1', '--session-key-file', "$dir/session.key"],
    sub { ($_[0]{session} // '') eq $alice1 }, '--session-token hashes like the module');
is_deeply(listed_ids({ stdin => "token-alice-1\n" }, '--session-token', '-',
        '--session-key-file', "$dir/session.key"),
    expected_ids(sub { ($_[0]{session} // '') eq $alice1 }), '--session-token - reads stdin');
Trace::Test::spew("$dir/with-key.toml", "session_key_file = \"$dir/session.key\"\n");
my ($rc, $out, $err) = $t->trace_ctl('--config', "$dir/with-key.toml", @db, 'requests',
    '--format', 'json', '--session-token', 'token-bob-0');
my $bob0 = session_of('token-bob-0');
is_deeply([map { $_->{id} } @{ decode_json_output($out) }],
    expected_ids(sub { ($_[0]{session} // '') eq $bob0 }),
    '--session-token takes the key from session_key_file of the configuration') or diag($err);

filter_ok(['--status', '500'], sub { $_[0]{status} == 500 }, '--status 500');
filter_ok(['--status', '5xx'], sub { in_range($_[0]{status}, 500, 599) }, '--status 5xx');
filter_ok(['--status', '4xx,5xx'], sub { in_range($_[0]{status}, 400, 599) }, '--status 4xx,5xx');
filter_ok(['--status', '302,5xx'], sub { $_[0]{status} == 302 || $_[0]{status} >= 500 },
    '--status 302,5xx');
filter_ok(['--method', 'POST'], sub { $_[0]{method} eq 'POST' }, '--method POST');
filter_ok(['--method', 'get,delete'], sub { $_[0]{method} =~ /^(GET|DELETE)$/ },
    '--method get,delete');
filter_ok(['--path', '^/api/'], sub { $_[0]{path} =~ m{^/api/} }, '--path ^/api/');
filter_ok(['--path', 'orders/1[0-9]$'], sub { $_[0]{path} =~ m{orders/1[0-9]$} },
    '--path orders/1[0-9]$');
filter_ok(['--path', '(?i)^/ADMIN'], sub { $_[0]{path} =~ m{^/admin}i }, '--path (?i)^/ADMIN');
filter_ok(['--path', '\\\\back'], sub { $_[0]{path} =~ m{\\back} },
    '--path matching a backslash');
filter_ok(['--host', 'web-2'], sub { $_[0]{host} eq 'web-2' }, '--host');
filter_ok(['--host', 'nohost'], sub { 0 }, '--host that recorded nothing');
filter_ok(['--client', '10.1.1.8'], sub { ($_[0]{client_addr} // '') eq '10.1.1.8' },
    '--client ADDRESS');
filter_ok(['--client', '10.2.0.0/16'], sub { ($_[0]{client_addr} // '') =~ /^10\.2\./ },
    '--client 10.2.0.0/16');
filter_ok(['--client', '192.168.3.0/24'], sub { ($_[0]{client_addr} // '') =~ /^192\.168\.3\./ },
    '--client 192.168.3.0/24');
filter_ok(['--client', '2001:db8::/32'], sub { ($_[0]{client_addr} // '') =~ /:/ },
    '--client 2001:db8::/32');

my $now = time;
filter_ok(['--since', '2h'], sub { $_[0]{ts} >= $now - 7200 }, '--since 2h');
filter_ok(['--since', '1d'], sub { $_[0]{ts} >= $now - 86400 }, '--since 1d');
my ($from, $to) = ($base - 420 * 30 - 210, $base - 420 * 10 - 210);
filter_ok(['--since', utc_iso($from), '--until', utc_iso($to)],
    sub { $_[0]{ts} >= $from && $_[0]{ts} < $to }, '--since and --until as UTC times');
my $tokyo_text = strftime('%Y-%m-%d %H:%M:%S', gmtime($from + 9 * 3600));
is_deeply(listed_ids({ env => { TZ => 'Asia/Tokyo' } }, '--since', $tokyo_text),
    expected_ids(sub { $_[0]{ts} >= $from }), '--since without a zone is local time');
is_deeply(listed_ids({ env => { TZ => 'UTC' } }, '--until', '2024-05-02'),
    expected_ids(sub { $_[0]{ts} < 1714608000 }), '--until a day (local midnight)');

filter_ok(['--user', 'alice', '--status', '5xx', '--method', 'GET'],
    sub { ($_[0]{user_name} // '') eq 'alice' && $_[0]{status} >= 500 && $_[0]{method} eq 'GET' },
    'filters combine');

($rc, $out, $err) = requests('--user', 'nobody-at-all');
is($rc, 0, 'no match: exit 0');
is($out, "no requests match\n", 'no match: says so');
($rc, $out) = requests('--user', 'nobody-at-all', '--format', 'json');
is($out, "[]\n", 'no match: an empty JSON array');

# --- pages ----------------------------------------------------------------------------

{
    my $expected = expected_ids(user_is('alice'));
    ($rc, $out, $err) = requests('--user', 'alice', '--limit', 7);
    my ($anchor, $anchor_time) = $out =~ /next: --page 2 --max-id (\d+) --max-time (\S+)$/m;
    ok($anchor, 'the first page names the anchor of the next') or diag($out);
    is($anchor, $pg->value('SELECT max(id) FROM trace.requests'), '... the newest id');
    is($anchor_time, $pg->value(q{SELECT to_char(max(ts) AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM trace.requests}), '... and the newest time');
    my @lines = grep { /^\d{4}-/ } split /\n/, $out;
    is(scalar(@lines), 7, 'the first page holds --limit rows');

    # While we page, alice keeps working, and a replayed old row arrives.
    insert_rows($pg, 'requests', map { +{ ts => time, host => 'web-1', method => 'GET',
        path => "/new/$_", status => 200, user_name => 'alice' } } 1 .. 3);
    insert_rows($pg, 'requests', { ts => $base - 420 * 50 - 100, host => 'web-1',
        method => 'GET', path => '/late', status => 200, user_name => 'alice' });

    my @anchor = ('--max-id', $anchor, '--max-time', $anchor_time);
    my @seen = @{ listed_ids('--user', 'alice', '--limit', 7, @anchor) };
    is_deeply(\@seen, [@$expected[0 .. 6]], 'page 1 again with its anchor: the same rows');
    for my $page (2 .. 20) {
        my $rows = listed_ids('--user', 'alice', '--limit', 7, '--page', $page, @anchor);
        last unless @$rows;
        push @seen, @$rows;
    }
    is_deeply(\@seen, $expected, 'anchored pages: every row once, in order, none skipped');
    my %count;
    $count{$_}++ for @seen;
    ok(!grep({ $_ > 1 } values %count), 'no row on two pages');
    my @by_id_only;
    for my $page (1 .. 20) {
        my $rows = listed_ids('--user', 'alice', '--limit', 7, '--page', $page, '--max-id', $anchor);
        last unless @$rows;
        push @by_id_only, @$rows;
    }
    is_deeply(\@by_id_only, $expected, '--max-id alone is just as exact');

    my $unanchored_1 = listed_ids('--user', 'alice', '--limit', 7);
    is($unanchored_1->[0] > $anchor ? 1 : 0, 1,
        'without the anchor, page 1 now starts with the new rows (what the anchor prevents)');

    ($rc, $out) = requests('--user', 'alice', '--limit', 7, '--page', 99, '--max-id', $anchor);
    is($out, "page 99 is empty\n", 'a page past the end is empty, exit 0');
    is($rc, 0, 'a page past the end: exit 0');
}

# --- JSON: every column, exact values -----------------------------------------------------

# Every column but summarised (sql/0006): whether block summaries cover the
# row, bookkeeping of the listing rather than part of the request; and
# batch_key (sql/0008), the batch's distribution value.
my @columns = grep { $_ ne 'summarised' && $_ ne 'batch_key' } map { $_->[0] } @{ $pg->sql(q{SELECT column_name
    FROM information_schema.columns WHERE table_schema = 'trace' AND table_name = 'requests'
    ORDER BY ordinal_position}) };
($rc, $out, $err) = requests('--format', 'json', '--user', 'mallory');
my $json = decode_json_output($out);
is(scalar(@$json), 2, 'JSON: an array of the two rows');
my ($h) = grep { $_->{id} == $hostile{id} } @$json;
is_deeply([sort keys %$h], [sort @columns], 'JSON carries every column of trace.requests');
like($out, qr/^\[\n\{"id":\d+,"ts":/, 'JSON keys come in column order');
my $db_row = $pg->dbh->selectrow_hashref(q{SELECT *,
    to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts_utc,
    extract(epoch FROM duration) AS seconds, host(client_addr) AS client
    FROM trace.requests WHERE id = ?}, undef, $hostile{id});
for my $c (qw(host method path query user_name session user_agent request_id)) {
    is($h->{$c}, $db_row->{$c}, "JSON $c is the stored value, byte for byte");
}
is($h->{ts}, $db_row->{ts_utc}, 'JSON ts is RFC 3339 in UTC with microseconds');
like($out, qr/"status":200,/, 'JSON status is a number, not a string');
is($h->{duration}, 0.25, 'JSON duration is seconds, a number');
is($h->{client_addr}, '10.9.9.9', 'JSON client_addr');
is($h->{bytes_sent}, 9, 'JSON bytes_sent');
ok(!defined $h->{server_name} && exists $h->{server_name}, 'NULL is null, and present');

# --- CSV: parses back to the same values ---------------------------------------------------

($rc, $out, $err) = requests('--format', 'csv', '--user', 'mallory');
my $csv = eval { parse_csv($out) };
ok($csv, 'CSV parses as RFC 4180') or diag($@);
is_deeply($csv->[0], \@columns, 'CSV header: every column, in order');
is(scalar(@$csv), 3, 'CSV: header and two records');
my %by_id = map { $_->[0] => $_ } @$csv[1 .. $#$csv];
my $rec = $by_id{ $hostile{id} };
my %c = map { $columns[$_] => $rec->[$_] } 0 .. $#columns;
is($c{escaped}, 'path user_agent', 'CSV: the values with control characters are named escaped');
my %escaped = map { $_ => 1 } split / /, $c{escaped};
for my $col (qw(host method path query user_name session user_agent request_id)) {
    # README, "Escaped values": \\ is a backslash, \xHH a byte
    my $bytes = $c{$col};
    $bytes =~ s/\\(?:(\\)|x([0-9a-f]{2}))/defined $1 ? '\\' : chr hex $2/ge if $escaped{$col};
    is($bytes, $db_row->{$col}, "CSV $col reads back exactly");
}
unlike($out, qr/[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]/, 'CSV: no raw control character');
is($c{ts}, $db_row->{ts_utc}, 'CSV ts in RFC 3339 UTC');
is($c{duration} + 0, 0.25, 'CSV duration in seconds');
ok(!defined $c{server_name}, 'CSV: NULL is an empty unquoted field');
like($out, qr/,Mozilla\\x0d\\x0aX-Injected: 1,/, 'CSV escapes CR and LF: a record is one line');
my $csv_all = parse_csv((requests('--format', 'csv', '--limit', 1000))[1]);
is(scalar(@$csv_all) - 1, $pg->value('SELECT count(*) FROM trace.requests'),
    'CSV of every row parses, row for row');

# --- text: safe, fitted, local time ----------------------------------------------------------

($rc, $out) = requests('--width', 0, '--user', 'mallory');
unlike($out, qr/[\x00-\x09\x0b-\x1f\x7f]/, 'text: no control character of a value reaches the terminal');
unlike($out, qr/\xe2\x80\xae/, 'text: no right-to-left override either');
like($out, qr/\\x1b\[2J\\x1b\]0;owned\\x07/, 'text: ESC and BEL are shown as \\x1b and \\x07');
like($out, qr/\\ttab\\nnewline/, 'text: tab and newline are shown as \\t and \\n');
like($out, qr/\\u202egpj\.exe/, 'text: the override is shown as \\u202e');
like($out, qr/caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac/, 'text: ordinary non-ASCII is shown as it is');
like($out, qr{/long/x{5000}}, '--width 0: nothing is cut');
($rc, $out) = requests({ env => { COLUMNS => 100 } }, '--user', 'mallory');
my @text_lines = split /\n/, $out;
my $widest = 0;
for (@text_lines) {
    my $chars = () = /[\x00-\x7f\xc0-\xff]/g;   # UTF-8 lead bytes: one per character
    $widest = $chars if $chars > $widest;
}
ok($widest <= 100, "text: lines fit COLUMNS=100 (widest $widest)");
like($out, qr{/long/x+\xe2\x80\xa6}, 'text: the long path is cut with an ellipsis');
like($out, qr/^mallory|  mallory  /m, 'text: shows the user');
like($out, qr/^requests 1-2 \(page 1, newest first\); no more$/m, 'text: footer');

($rc, $out) = requests({ env => { TZ => 'Asia/Tokyo' } }, '--host', 'tz-host');
like($out, qr/^2024-05-01 21:00:00  /m, 'text: times in the local zone (Tokyo)');
($rc, $out) = requests({ env => { TZ => 'UTC' } }, '--host', 'tz-host');
like($out, qr/^2024-05-01 12:00:00  /m, 'text: times in the local zone (UTC)');
unlike($out, qr/HOST/, 'text: the HOST column is left out when every row has the same host');
my ($shown) = (requests('--width', 0, '--session', $alice1, '--limit', 1))[1] =~ /  ([0-9a-f]{12})  /;
is($shown, substr($alice1, 0, 12), 'text: the session shows its first 12 hex digits');
is_deeply(listed_ids('--session', $shown), listed_ids('--session', $alice1),
    '... which --session accepts');

# --- bad filters: one line, exit 2 ----------------------------------------------------------------

for my $case (
    [['--status', '6x'], qr/^trace-ctl requests: --status: "6x" is not a status code/],
    [['--path', '(unclosed'], qr/^trace-ctl requests: --path: invalid regular expression/],
    [['--client', '10.0.0.0/40'], qr/^trace-ctl requests: --client: "10.0.0.0\/40" is not/],
    [['--since', 'last tuesday'], qr/^trace-ctl requests: --since: "last tuesday" is neither/],
    [['--until', '2024-02-30'], qr/^trace-ctl requests: --until: "2024-02-30" is neither/],
    [['--session', 'xyz'], qr/^trace-ctl requests: --session: "xyz" is not a session hash/],
    [['--method', 'GE T'], qr/^trace-ctl requests: --method: "GE T" is not an HTTP method/],
    [['--session-token', 'abc'], qr/needs the module's session key/],
    [['--session-token', 'abc', '--session-key-file', "$dir/none"], qr/none: No such file/],
    [['--follow', '--page', '2'], qr/--follow .* cannot be combined with --page/],
    [['--max-time', '5m'], qr/--max-time: "5m" is not a time/],
    [['--limit', '0'], qr/--limit/],
    [['--format', 'xml'], qr/--format/],
) {
    my ($args, $re) = @$case;
    ($rc, $out, $err) = requests(@$args);
    is($rc, 2, "@$args: exit 2");
    like($err, $re, "@$args: says what is wrong");
    is(scalar(() = $err =~ /\n/g), 1, "@$args: in one line") if $rc == 2 && $err =~ /^trace-ctl/;
}

# A role that may not read, and a database without the schema: exit 1, clearly.
$pg->sql('CREATE ROLE outsider LOGIN');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(user => 'outsider'), 'requests');
is($rc, 1, 'a role without trace_reader: exit 1');
like($err, qr/^trace-ctl requests: permission denied for schema trace \(the role needs trace_reader\)$/,
    '... saying why and what to do');
$pg->superuser_sql('CREATE DATABASE empty');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(dbname => 'empty'), 'requests');
is($rc, 1, 'no schema: exit 1');
like($err, qr/^trace-ctl requests: relation "trace.requests" does not exist \(is the schema there\? trace-ctl migrate creates it\)$/,
    '... pointing at migrate');

($rc, $out) = $t->trace_ctl('requests', '--help');
for my $option (qw(--user --session --session-token --session-key-file --status --method
    --path --host --client --since --until --limit --page --max-id --max-time --follow --interval
    --format --width --explain)) {
    like($out, qr/\Q$option\E\b/, "requests --help explains $option");
}

$t->done;
