# /users/NAME names the sessions the summary counts as probably open, by the
# summary's own rule: a session logged out is not listed, one still open is,
# linked to its page; a login without a session cookie is shown as such; the
# newest first, 20 of them and a line for the rest; a name with invalid UTF-8
# finds its own sessions and not those of the name its escaped form spells.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Console qw(record_traffic start_console stop_console fetch session_hash);
use Time::HiRes qw(sleep);

my $t = Trace::Test->new;
my $recorded = record_traffic($t);
my $pg = $t->postgres;

my $byte_user = "\xffo'<b";  # stored escaped: \xffo'<b
my $look_alike = "\\xffo'<b";  # the stored form's characters, stored as they are
my @logins = (
    ['/login', 'bob', 'tok-bob-1'],
    ['/login', 'bob', 'tok-bob-2'],
    ['/logout', 'bob', 'tok-bob-1'],
    ['/login', 'carol', undef],
    ['/login', $byte_user, 'tok-byte'],
    ['/login', $look_alike, 'tok-look-alike'],
    (map { ['/login', 'dave', "tok-dave-$_"] } 1 .. 23),
);
for my $l (@logins) {
    my ($path, $user, $cookie) = @$l;
    my $res = $t->get($path, 'X-User' => $user, $cookie ? (Cookie => "sessionid=$cookie") : ());
    die "nginx did not answer $path for $user: $res->{status}\n" unless $res->{status} == 200;
    # One after the other: each login has a later time than the one before.
    sleep 0.02;
}
my $audit_rows = $recorded->{audit} + @logins;
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.audit') >= $audit_rows }, 15),
    'every login and logout was recorded');
is($pg->value(q{SELECT count(*) FROM trace.audit WHERE 'user_name' = ANY(escaped)}), 1,
    'the name with 0xff is stored escaped, its look-alike not');

my $console = start_console($t);

# The open sessions section of a user's page: [session text or link, login,
# last event] per row, the section's whole HTML, and the page.
sub open_sessions {
    my ($path) = @_;
    my $r = fetch($console, $path);
    is($r->{status}, 200, "$path: 200") or diag(substr($r->{content}, 0, 2000));
    my ($section) = $r->{content} =~ m{<h2>Open sessions</h2>(.*?)(?:<h2>|</main>)}s;
    my @rows = map { [m{<td>(.*?)</td>}g] } ($section // '') =~ m{<tbody>.*</tbody>}s
        ? $& =~ m{<tr>(.*?)</tr>}g : ();
    return (\@rows, $section // '', $r->{content});
}

sub hrefs { [$_[0] =~ m{href="([^"]+)"}g] }

# --- two logins, one logged out --------------------------------------------------------
my ($rows, $section, $page) = open_sessions('/users/bob');
like($page, qr{>bob</a></td>(?:<td>[^<]*</td>){2}<td class="num">0</td><td>probably</td>},
    '/users/bob: the summary says probably signed in');
is(scalar @$rows, 1, '/users/bob: one open session');
my $bob2 = session_hash('tok-bob-2');
is_deeply(hrefs($section), ["/sessions/$bob2"], '/users/bob: it is tok-bob-2, linked to its page');
like($rows->[0][0], qr{>\Q${\ substr($bob2, 0, 12)}\E</a>$}, '/users/bob: shown as the hash\'s first 12');
my $bob1 = session_hash('tok-bob-1');
unlike($section, qr/\Q${\ substr($bob1, 0, 12)}\E/, '/users/bob: the logged-out session is not there');
like($rows->[0][1], qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, '/users/bob: the login time');
is($rows->[0][2], $rows->[0][1], '/users/bob: the login is the session\'s last event');
unlike($section, qr/more open sessions/, '/users/bob: no line for more');

my $r = fetch($console, "/sessions/$bob2");
is($r->{status}, 200, 'the link opens the session\'s page');
like($r->{content}, qr{<tr><th>login</th><td>\Q$rows->[0][1]\E</td></tr>}, '... with that login');
my @actions = $r->{content} =~ m{<td>(login|logout)</td>}g;
is_deeply(\@actions, ['login'], '... and that login alone among its events');

# --- a login without a session cookie ---------------------------------------------------------
($rows, $section) = open_sessions('/users/carol');
is(scalar @$rows, 1, '/users/carol: one open login');
is($rows->[0][0], '<span class="dim">none (no session cookie)</span>', '/users/carol: without a session, said so');
is_deeply(hrefs($section), [], '/users/carol: nothing linked');

# --- closed and none ----------------------------------------------------------------------------
($rows, $section) = open_sessions('/users/alice');
is(scalar @$rows, 0, '/users/alice: no open session');
like($section, qr{^<p>None in the last 7 days\.</p>$}, '/users/alice: says none');

# --- the stored name and its escaped flag -------------------------------------------------------
($rows, $section, $page) = open_sessions('/users/%FFo%27%3Cb');
like($page, qr{<p class="who">\\xffo&#39;&lt;b</p>}, '/users/0xff...: the name visible, as text');
is_deeply(hrefs($section), ['/sessions/' . session_hash('tok-byte')], '/users/0xff...: its own session alone');
($rows, $section) = open_sessions('/users/%5Cxffo%27%3Cb');
is_deeply(hrefs($section), ['/sessions/' . session_hash('tok-look-alike')],
    '/users/\\xff...: the look-alike\'s own session alone');
($rows, $section) = open_sessions('/users/o%27brien%22%3Cb%3E');
is_deeply(hrefs($section), ['/sessions/' . session_hash('tok-hostile')],
    '/users/o\'brien"<b>: its session');

# --- many: the newest 20 and a line for the rest --------------------------------------------------
($rows, $section, $page) = open_sessions('/users/dave');
like($page, qr{<td>probably \(23 sessions\)</td>}, '/users/dave: the summary counts 23');
is(scalar @$rows, 20, '/users/dave: 20 listed');
is_deeply(hrefs($section), [map { '/sessions/' . session_hash("tok-dave-$_") } reverse 4 .. 23],
    '/users/dave: the newest login first');
like($section, qr{<p class="more-sessions">3 more open sessions, older, not shown\.</p>},
    '/users/dave: how many more');

my ($status) = stop_console($console);
is($status, 0, 'the console stopped');
$t->done;
