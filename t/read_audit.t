# trace-ctl audit on events inserted directly, read with trace_reader only:
# every filter returns exactly the expected events, --failed-only and --action
# work, and --summary shows per user the last login and logout, the failed
# logins in the window and whether the user is probably still signed in,
# following the documented rule (per session; a logout without a session
# closes every earlier login of the user).

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Reading qw(insert_rows decode_json_output parse_csv utc_iso);
use Time::HiRes qw(time);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
$pg->sql('CREATE ROLE reader LOGIN IN ROLE trace_reader');
my @db = ('--db', $pg->conninfo(user => 'reader'));

my $now = int(time);
my $day = 86400;
my $n = 0;
sub event {
    my ($ago, $action, $user, $session, %more) = @_;
    $n++;
    return { ts => $now - $ago, host => $more{host} // 'web-1', action => $action,
        user_name => $user, session => $session, client_addr => $more{client} // "10.0.0.$n",
        method => $action eq 'logout' ? 'GET' : 'POST',
        path => $action eq 'logout' ? '/logout' : '/login',
        status => $action eq 'login_failed' ? 401 : 302,
        source => $more{source} // 'rule', user_agent => "agent $n", request_id => "req-$n" };
}

my $s = sub { sprintf('%032x', $_[0]) };   # a session hash
my @events = (
    # alice: logged out of her first session, signed in again in a second
    event(3600, 'login', 'alice', $s->(1)),
    event(3000, 'logout', 'alice', $s->(1)),
    event(600, 'login', 'alice', $s->(2), client => '192.168.7.10'),
    # bob: basic auth, no sessions; the logout closes the login
    event(5000, 'login', 'bob', undef, source => 'basic_auth'),
    event(4000, 'logout', 'bob', undef, source => 'basic_auth'),
    # carol: only failures, one of them before the summary's window
    event(200, 'login_failed', 'carol', undef, client => '203.0.113.9'),
    event(150, 'login_failed', 'carol', undef, client => '203.0.113.9'),
    event(100, 'login_failed', 'carol', undef, client => '203.0.113.9', host => 'web-2'),
    event(10 * $day, 'login_failed', 'carol', undef),
    # dave: two sessions, logged out of one
    event(2000, 'login', 'dave', $s->(3)),
    event(1900, 'login', 'dave', $s->(4), host => 'web-2'),
    event(1000, 'logout', 'dave', $s->(3)),
    # erin: a logout rule without trace_session closes her login
    event(100, 'login', 'erin', $s->(5)),
    event(50, 'logout', 'erin', undef),
    # frank: signed in 8 days ago and never signed out
    event(8 * $day, 'login', 'frank', $s->(6)),
    # a user name made to mess up a terminal
    event(30, 'login_failed', "m\e[2Jallory\xe2\x80\xae", undef, client => '2001:db8::66'),
);
insert_rows($pg, 'audit', @events);

sub newest_first { sort { $b->{ts} <=> $a->{ts} || $b->{id} <=> $a->{id} } @_ }

sub audit {
    my (@args) = @_;
    return $t->trace_ctl(@db, 'audit', @args);
}

sub filter_ok {
    my ($args, $keep, $name) = @_;
    my ($rc, $out, $err) = audit('--format', 'json', '--limit', 1000, @$args);
    is($rc, 0, "$name: exit 0") or diag($err);
    my @expected = map { $_->{id} } newest_first(grep { $keep->($_) } @events);
    is_deeply([map { $_->{id} } @{ decode_json_output($out) }], \@expected,
        "$name: exactly the expected events (" . scalar(@expected) . ')');
}

sub user_is { my ($u) = @_; sub { ($_[0]{user_name} // '') eq $u } }

filter_ok([], sub { 1 }, 'no filter');
filter_ok(['--action', 'login'], sub { $_[0]{action} eq 'login' }, '--action login');
filter_ok(['--action', 'login,logout'], sub { $_[0]{action} ne 'login_failed' },
    '--action login,logout');
filter_ok(['--failed-only'], sub { $_[0]{action} eq 'login_failed' }, '--failed-only');
filter_ok(['--user', 'dave'], user_is('dave'), '--user');
filter_ok(['--session', $s->(4)], sub { ($_[0]{session} // '') eq $s->(4) }, '--session');
filter_ok(['--client', '203.0.113.0/24'], sub { $_[0]{client_addr} =~ /^203\.0\.113\./ },
    '--client network');
filter_ok(['--client', '2001:db8::66'], sub { $_[0]{client_addr} eq '2001:db8::66' },
    '--client IPv6 address');
filter_ok(['--host', 'web-2'], sub { $_[0]{host} eq 'web-2' }, '--host');
filter_ok(['--since', '1h'], sub { $_[0]{ts} > $now - 3600 + 5 }, '--since 1h');
filter_ok(['--until', utc_iso($now - 2 * $day)], sub { $_[0]{ts} < $now - 2 * $day },
    '--until a time');
filter_ok(['--status', '4xx'], sub { $_[0]{status} == 401 }, '--status 4xx');
filter_ok(['--path', '^/logout$'], sub { $_[0]{path} eq '/logout' }, '--path');
filter_ok(['--failed-only', '--user', 'carol', '--since', '7d'],
    sub { $_[0]{action} eq 'login_failed' && $_[0]{user_name} eq 'carol' && $_[0]{ts} > $now - 7 * $day },
    'filters combine');

my ($rc, $out, $err) = audit('--format', 'json', '--limit', 1);
my ($event) = @{ decode_json_output($out) };
# Every column but batch_key (sql/0008), the batch's distribution value.
my @columns = map { $_->[0] } @{ $pg->sql(q{SELECT column_name FROM information_schema.columns
    WHERE table_schema = 'trace' AND table_name = 'audit' AND column_name <> 'batch_key'
    ORDER BY ordinal_position}) };
is_deeply([sort keys %$event], [sort @columns], 'JSON carries every column of trace.audit');
($rc, $out) = audit('--format', 'csv', '--limit', 1000);
my $csv = parse_csv($out);
is_deeply($csv->[0], \@columns, 'CSV header: every column');
is(scalar(@$csv) - 1, scalar(@events), 'CSV: every event');
my ($csv_mallory) = grep { defined $_->[4] && $_->[4] =~ /allory/ } @$csv;
is($csv_mallory->[4], "m\\x1b[2Jallory\xe2\x80\xae", 'CSV: the hostile user name, ESC escaped');
is($csv_mallory->[-1], 'user_name', '... and named escaped');

($rc, $out) = audit('--width', 0);
unlike($out, qr/\e/, 'text: no ESC reaches the terminal');
like($out, qr/m\\x1b\[2Jallory\\u202e/, 'text: shown escaped');
like($out, qr/^TIME\s+HOST\s+ACTION\s+USER\s+CLIENT\s+SESSION\s+ST\s+PATH$/m, 'text: columns');

# --- the summary ----------------------------------------------------------------------
($rc, $out, $err) = audit('--summary', '--format', 'json');
is($rc, 0, 'summary: exit 0') or diag($err);
my $summary = decode_json_output($out);
my %by_user = map { ($_->{user_name} // '') => $_ } @$summary;

is_deeply([map { $_->{user_name} } @$summary],
    ["m\e[2Jallory\xe2\x80\xae", 'erin', 'carol', 'alice', 'dave', 'bob'],
    'one line per user active in the last 7 days, most recently active first (not frank)');
is_deeply([sort keys %{ $summary->[0] }],
    [sort qw(user_name last_login last_logout failed_logins open_sessions signed_in escaped)],
    'summary columns');

sub summary_ok {
    my ($user, %want) = @_;
    my $row = $by_user{$user};
    for my $k (sort keys %want) {
        my $got = $row->{$k};
        $got = $got ? 'true' : 'false' if JSON::PP::is_bool($got);
        is($got, $want{$k}, "summary $user: $k");
    }
}
summary_ok('alice', signed_in => 'true', open_sessions => 1, failed_logins => 0,
    last_login => utc_iso($now - 600) =~ s/Z$/.000000Z/r,
    last_logout => utc_iso($now - 3000) =~ s/Z$/.000000Z/r);
summary_ok('bob', signed_in => 'false', open_sessions => 0);
summary_ok('carol', signed_in => 'false', failed_logins => 3, last_login => undef,
    last_logout => undef);
summary_ok('dave', signed_in => 'true', open_sessions => 1);
summary_ok('erin', signed_in => 'false', open_sessions => 0);

($rc, $out) = audit('--summary', '--since', '30d', '--format', 'json');
my %month = map { ($_->{user_name} // '') => $_ } @{ decode_json_output($out) };
ok($month{frank} && $month{frank}{signed_in}, 'a wider window: frank, still signed in');
is($month{carol}{failed_logins}, 4, 'a wider window: all four of carol\'s failures');
($rc, $out) = audit('--summary', '--host', 'web-2', '--format', 'json');
is_deeply([map { $_->{user_name} } @{ decode_json_output($out) }], ['carol', 'dave'],
    'the summary takes filters too');

($rc, $out) = audit('--summary', '--width', 0);
like($out, qr/^USER\s+LAST LOGIN\s+LAST LOGOUT\s+FAILED\s+SIGNED IN$/m, 'summary text: header');
like($out, qr/^alice\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d{4}-\S+ \S+\s+0\s+yes$/m,
    'summary text: alice is signed in');
like($out, qr/^carol\s+-\s+-\s+3\s+no$/m, 'summary text: carol failed three times');
like($out, qr/^users 1-6 \(page 1, newest first\); no more$/m, 'summary text: footer');
($rc, $out) = audit('--summary', '--limit', 2, '--format', 'json');
is(scalar(@{ decode_json_output($out) }), 2, 'the summary pages too');

for my $bad (['--summary', '--failed-only'], ['--summary', '--action', 'login'],
    ['--failed-only', '--action', 'logout'], ['--action', 'logon'])
{
    ($rc, $out, $err) = audit(@$bad);
    is($rc, 2, "@$bad: exit 2");
    like($err, qr/^trace-ctl audit: --/, "@$bad: says why");
}

($rc, $out) = $t->trace_ctl('audit', '--help');
for my $option (qw(--action --failed-only --summary --user --session --client --since
    --until --limit --page --follow --format)) {
    like($out, qr/\Q$option\E\b/, "audit --help explains $option");
}

$t->done;
