# trace-ctl serve over what a real nginx recorded, hostile requests among
# them: every page over HTTP (status, security headers, counts, links), the
# filters as the CLI's, anchored pages, CSV and JSON downloads, values shown
# as text and never as markup, errors as pages, GET and HEAD only, a database
# that goes away and comes back, the statement timeout, and SIGTERM.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use POSIX ();
use Trace::Test;
use Trace::Test::Console qw(record_traffic start_console stop_console fetch html_unescape
    session_hash %HOSTILE);
use Trace::Test::Reading qw(parse_csv);

my $t = Trace::Test->new;
my $recorded = record_traffic($t);
my $pg = $t->postgres;
my $console = start_console($t, '--statement-timeout', '1');

sub page_ok {
    my ($path, $what) = @_;
    my $r = fetch($console, $path);
    is($r->{status}, 200, "$what: 200") or diag(substr($r->{content}, 0, 2000));
    return $r;
}

# Every answer carries the security headers, errors included.
sub headers_ok {
    my ($r, $what) = @_;
    my $h = $r->{headers};
    like($h->{'content-security-policy'} // '',
        qr/default-src 'none'; script-src 'self'; style-src 'self';.*frame-ancestors 'none'/,
        "$what: a strict Content-Security-Policy");
    unlike($h->{'content-security-policy'} // '', qr/unsafe-inline|unsafe-eval|\*/, "$what: ... nothing inline, nothing from elsewhere");
    is($h->{'x-content-type-options'}, 'nosniff', "$what: nosniff");
    is($h->{'referrer-policy'}, 'no-referrer', "$what: no referrer");
    is($h->{'cache-control'}, 'no-store', "$what: no-store");
}

# No value a client sent became markup, and each is shown visibly.
sub hostile_safe {
    my ($body, $what) = @_;
    unlike($body, qr/<script>document|<img|<b>|onerror=alert\(1\)>/, "$what: no hostile value as markup");
    unlike($body, qr/\x1b|\xe2\x80\xae/, "$what: no ESC nor U+202E as such");
    my @scripts = $body =~ /<script\b[^>]*>/g;
    is_deeply(\@scripts, ['<script src="/console.js" defer>'], "$what: only the console's own script");
    unlike($body, qr/\sstyle=/, "$what: no inline style (the CSP would refuse it)");
}

my $script_shown = '/&lt;script&gt;document.title=&#39;x&#39;&lt;/script&gt;';
my $img_shown = '/&quot;&gt;&lt;img/src=x/onerror=alert(1)&gt;';
my $user_shown = 'o&#39;brien&quot;&lt;b&gt;';
my $alice = session_hash('tok-alice');

# --- /requests -------------------------------------------------------------------
my $r = page_ok('/requests', '/requests');
headers_ok($r, '/requests');
like($r->{headers}{'content-type'}, qr{^text/html; charset=utf-8}, '/requests: HTML');
my $body = $r->{content};
like($body, qr/requests 1-$recorded->{requests} \(page 1, newest first\)/, '/requests: every request counted');
my @rows = $body =~ /<tr><td>/g;
is(scalar @rows, $recorded->{requests}, '/requests: one row each');
hostile_safe($body, '/requests');
like($body, qr/\Q$script_shown\E/, '/requests: the <script> path as text');
like($body, qr/\Q$img_shown\E/, '/requests: the img path as text');
like($body, qr/\Q>$user_shown<\/a>\E/, '/requests: the user with quotes and < as text');
like($body, qr/evil\\x1b\[31m\\u202e-agent/, '/requests: ESC and U+202E visible, as the CLI shows them');
like($body, qr{/bad\\xff\\\\x}, '/requests: invalid UTF-8 visible as \xff, a backslash as \\\\');
like($body, qr/L{8000}/, '/requests: an 8 KB user agent shown whole');
like($body, qr{href="/users/o%27brien%22%3Cb%3E"}, '/requests: the user links to the user page');
like($body, qr{href="/sessions/$alice">\Q${\ substr($alice, 0, 12)}\E</a>}, '/requests: a session links to its page');
like($body, qr{href="/requests\?client=127\.0\.0\.1"}, '/requests: the client links to its list');
my ($script_link) = $body =~ m{<a href="(/requests\?path=[^"]*)">\Q$script_shown\E</a>};
ok($script_link, '/requests: the path links to its list');

# A link a row gives is the list filtered by that value.
$r = page_ok(html_unescape($script_link), 'the <script> path\'s link');
like($r->{content}, qr/requests 1-1 \(page 1/, '... lists exactly that request');
like($r->{content}, qr/\Q$script_shown\E/, '... and it is the one');
hostile_safe($r->{content}, 'the <script> path\'s list');
($r) = fetch($console, '/requests?path=' . '%5E%2Fpage%2F');
like($r->{content}, qr/requests 1-2 \(/, 'path=^/page/: the two pages');
$r = fetch($console, '/requests?user=alice');
like($r->{content}, qr/requests 1-5 \(/, 'user=alice: her five requests');
$r = fetch($console, '/requests?status=4xx');
like($r->{content}, qr/requests 1-2 \(/, 'status=4xx: the two 404s');
$r = fetch($console, '/requests?status=5xx&method=get');
like($r->{content}, qr/requests 1-1 \(/, 'status=5xx&method=get: the 500');
$r = fetch($console, "/requests?session=" . substr($alice, 0, 8));
like($r->{content}, qr/requests 1-5 \(/, 'session=a prefix of 8: the session\'s requests');
$r = fetch($console, '/requests?client=10.0.0.0%2F8');
like($r->{content}, qr/No requests match\./, 'client=10.0.0.0/8: none');
$r = fetch($console, '/requests?since=1h&until=2099-01-01');
like($r->{content}, qr/requests 1-$recorded->{requests} \(/, 'since=1h&until=2099-01-01: all');

# --- anchored pages ----------------------------------------------------------------
$r = page_ok('/requests?limit=5', 'limit=5');
like($r->{content}, qr/requests 1-5 \(page 1/, 'limit=5: the newest five');
my ($next) = $r->{content} =~ m{<a rel="next" href="([^"]+)">older</a>};
ok($next, 'limit=5: a link to the next page');
like(html_unescape($next // ''), qr/page=2&max_id=\d+&max_time=/, '... on the same anchor');
my @page2_before = fetch($console, html_unescape($next))->{content} =~ /<td class="wrap">(.*?)<\/td>/g;
$t->get('/page/new', 'X-User' => 'alice');
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') > $recorded->{requests} }, 10),
    'a new request arrives');
$r = fetch($console, html_unescape($next));
like($r->{content}, qr/requests 6-10 \(page 2/, 'page 2: rows 6-10');
is_deeply([$r->{content} =~ /<td class="wrap">(.*?)<\/td>/g], \@page2_before,
    'page 2 holds still while rows arrive');
unlike($r->{content}, qr/data-live/, 'an anchored page is not refreshed live');
$r = fetch($console, '/requests?limit=5');
like($r->{content}, qr{/page/new}, 'the first page shows the new request');
like($r->{content}, qr/<main id="main" data-live="1">/, '... and is refreshed live');
my $total = $recorded->{requests} + 1;

# --- downloads -----------------------------------------------------------------------
$r = page_ok('/requests?format=csv', 'format=csv');
headers_ok($r, 'format=csv');
like($r->{headers}{'content-type'}, qr{^text/csv}, 'format=csv: text/csv');
like($r->{headers}{'content-disposition'} // '', qr/attachment; filename="requests\.csv"/, 'format=csv: a download');
is($r->{headers}{'transfer-encoding'}, 'chunked', 'format=csv: streamed');
my $csv = parse_csv($r->{content});
is(scalar @$csv, $total + 1, 'format=csv: a header and every row');
my ($trace_csv) = (Trace::Test::run(Trace::Test::build() . '/trace-ctl', '--db', $pg->conninfo,
    'requests', '--format', 'csv', '--limit', 1000))[1];
my $cli = parse_csv($trace_csv);
is_deeply($csv->[0], $cli->[0], 'format=csv: the CLI\'s columns');
my ($agent) = grep { $csv->[0][$_] eq 'user_agent' } 0 .. $#{ $csv->[0] };
my @formula = grep { ($_->[$agent] // '') =~ /cmd\|/ } @$csv;
is($formula[0][$agent], "'$HOSTILE{formula_agent}", 'format=csv: a formula gets a leading apostrophe');
my @csv_ids = map { $_->[0] } @$csv[1 .. $#$csv];
is_deeply(\@csv_ids, [map { $_->[0] } @$cli[1 .. $#$cli]], 'format=csv: the rows of the CLI, in its order');
$r = page_ok('/requests?format=json&status=4xx', 'format=json');
like($r->{headers}{'content-type'}, qr{^application/json}, 'format=json: JSON');
my $json = JSON::PP->new->decode($r->{content});
is(scalar @$json, 2, 'format=json&status=4xx: the two 404s');
is_deeply([sort map { $_->{status} } @$json], [404, 404], '... with their columns');
$r = fetch($console, '/requests?format=csv&limit=2000');
is(scalar @{ parse_csv($r->{content}) }, $total + 1, 'format=csv takes more than a page of HTML');
$r = fetch($console, '/audit?format=json&action=login_failed');
is_deeply([map { $_->{user_name} } @{ JSON::PP->new->decode($r->{content}) }], ['mallory', 'mallory'],
    '/audit?format=json&action=login_failed: the two failures');

# --- /audit ----------------------------------------------------------------------------
$r = page_ok('/audit', '/audit');
headers_ok($r, '/audit');
like($r->{content}, qr/audit events 1-5 \(page 1, newest first\)/, '/audit: every event');
hostile_safe($r->{content}, '/audit');
$r = fetch($console, '/audit?action=login,logout&user=alice');
like($r->{content}, qr/audit events 1-2 \(/, 'action=login,logout&user=alice: two');
$r = fetch($console, '/audit?failed_only=1');
like($r->{content}, qr/audit events 1-2 \(/, 'failed_only=1: the failures');
$r = page_ok('/audit?summary=1', '/audit?summary=1');
like($r->{content}, qr/users 1-3 \(/, 'summary: three users');
like($r->{content}, qr{\Q>$user_shown</a></td>\E.*?<td>probably</td>}s, 'summary: the hostile user probably signed in');
like($r->{content}, qr{>alice</a></td>(<td>[^<]*</td>){2}<td class="num">0</td><td>no</td>}, 'summary: alice signed out');

# --- /users and /sessions -----------------------------------------------------------------
$r = page_ok('/users/o%27brien%22%3Cb%3E', 'the hostile user\'s page');
headers_ok($r, '/users/NAME');
hostile_safe($r->{content}, '/users/NAME');
like($r->{content}, qr{<p class="who">\Q$user_shown\E</p>}, '/users/NAME: the name as text');
like($r->{content}, qr{<td>probably</td>}, '/users/NAME: probably signed in');
like($r->{content}, qr/\Q$script_shown\E/, '/users/NAME: the user\'s requests');
$r = page_ok('/users/alice', 'alice\'s page');
my @alice_rows = $r->{content} =~ /<tr><td>/g;
is(scalar @alice_rows, 1 + 2 + 6, '/users/alice: her summary, two events and six requests');
$r = page_ok("/sessions/$alice", 'alice\'s session');
hostile_safe($r->{content}, '/sessions/HASH');
like($r->{content}, qr{<th>lasted</th><td class="lasted">[0-9.]+(ms|s)</td>}, '/sessions/HASH: how long it lasted');
my @paths = $r->{content} =~ m{<td class="wrap"><a href="/(?:requests|audit)\?path=[^"]+">([^<]+)</a>}g;
is_deeply(\@paths, ['/login', '/logout', '/login', '/page/1', '/page/2?x=1', '/missing/thing', '/logout'],
    '/sessions/HASH: the login and logout, then the requests, in order');
$r = fetch($console, '/sessions/zz');
is($r->{status}, 400, '/sessions/zz: 400');
like($r->{content}, qr/session: &quot;zz&quot; is not a session hash/, '... saying why');
unlike($r->{content}, qr/session-token/, '... without mentioning tokens');

# --- / and /status -----------------------------------------------------------------------
$r = page_ok('/', '/');
headers_ok($r, '/');
hostile_safe($r->{content}, '/');
like($r->{content}, qr{<span class="total-requests">$total</span> requests}, '/: the window\'s requests');
like($r->{content}, qr{<span class="total-logins">2</span> logins}, '/: the logins');
like($r->{content}, qr{<span class="total-failed">2</span> failed logins}, '/: the failed logins');
like($r->{content}, qr{<svg class="chart"}, '/: charts drawn as SVG');
my @bars = $r->{content} =~ m{<a href="([^"]+)"><rect class="s5"}g;
is(scalar @bars, 1, '/: one 5xx bar');
$r = fetch($console, html_unescape($bars[0]));
like($r->{content}, qr/requests 1-1 \(/, '... which links to the 500');
like($r->{content}, qr{/boom}, '... itself');
my ($error_panel) = $r->{content} =~ /(x)/;
$r = fetch($console, '/');
my ($errors) = $r->{content} =~ m{<h2>Top error paths \(4xx, 5xx\)</h2>(.*?)</table>}s;
my @error_links = ($errors // '') =~ m{<a href="([^"]+)">}g;
is(scalar @error_links, 3, '/: three error paths');
$r = fetch($console, html_unescape($error_links[0]));
like($r->{content}, qr/requests 1-1 \(/, '... each linking to its requests');
# A top user agent links to the requests with it: the regex that matches
# exactly its stored form (ESC and U+202E escaped), as trace-ctl requests
# --user-agent takes it.
$r = fetch($console, '/');
my ($agents) = $r->{content} =~ m{<h2>Top user agents</h2>(.*?)</table>}s;
my ($evil_link) = ($agents // '') =~ m{<a href="([^"]+)">evil\\x1b\[31m\\u202e-agent</a>};
like($evil_link // '', qr/[?&]amp;user_agent=/, '/: the hostile user agent links to a list filtered by it');
$r = fetch($console, html_unescape($evil_link // '/requests'));
like($r->{content}, qr/requests 1-1 \(/, '... which lists its one request');
like($r->{content}, qr{\Q$script_shown\E}, '... the one it came with');
my ($crc, $cout, $cerr) = $t->trace_ctl('--db', $pg->conninfo, 'requests', '--user-agent',
    '^evil\\x1b\\[31m', '--format', 'json');
is($crc, 0, 'trace-ctl requests --user-agent: exit 0') or diag($cerr);
is(scalar(() = $cout =~ /"request_id"/g), 1, '... one request (the regex\'s \\x1b is the ESC it holds)');
like(($t->trace_ctl('--db', $pg->conninfo, 'requests', '--user-agent', '('))[2],
    qr/--user-agent: .*invalid regular expression/, '... a bad regex is refused, naming the option');
like(fetch($console, '/?since=7d&host=vm-none')->{content}, qr{<span class="total-requests">0</span>},
    '/?host=another: nothing');
is(fetch($console, '/?since=soon')->{status}, 400, '/?since=soon: 400');
$r = page_ok('/status', '/status');
like($r->{content}, qr{<td>trace\.requests</td><td class="num">$total</td>}, '/status: rows of trace.requests');
my ($newest) = sort { $b <=> $a } map { m{/(\d+)_[^/]+\.sql$} ? $1 + 0 : () } glob(Trace::Test->root . '/sql/*.sql');
like($r->{content}, qr{<th>version</th><td>$newest</td>}, "/status: the schema version ($newest, the newest file's)");
like($r->{content}, qr{<td>trace\.rejected</td><td class="num">0</td>}, '/status: no rejected row');
my $uncovered = $pg->value('SELECT count(*) FROM trace.requests WHERE NOT summarised');
like($r->{content}, qr{<h2>Block summaries</h2><table><tbody><tr><th>uncovered_rows</th><td>$uncovered</td></tr>},
    "/status: the $uncovered rows no block covers");
$r = page_ok('/console.css', '/console.css');
like($r->{headers}{'content-type'}, qr{^text/css}, '/console.css: a style sheet');
$r = page_ok('/console.js', '/console.js');
like($r->{headers}{'content-type'}, qr{^text/javascript}, '/console.js: a script');

# --- what is refused ------------------------------------------------------------------------
for my $case (['/requests?status=abc', 400, qr/status: &quot;abc&quot; is not a status code/],
              ['/requests?path=%28', 400, qr/path: invalid regular expression/],
              ['/requests?user_agent=%28', 400, qr/user-agent: invalid regular expression/],
              ['/requests?bogus=1', 400, qr/bogus: not a parameter of this page/],
              ['/requests?user=a&user=b', 400, qr/user: given more than once/],
              ['/requests?session_token=abc', 400, qr/session tokens are never accepted/],
              ['/requests?limit=0', 400, qr/limit: &quot;0&quot; is not a number from 1 to 1000/],
              ['/requests?max_time=yesterday', 400, qr/max-time: &quot;yesterday&quot;/],
              ['/requests?field=x', 400, qr/field: &quot;x&quot; is not NAME=VALUE/],
              ['/requests?upstream_status=abc', 400, qr/upstream-status: &quot;abc&quot; is not a status code/],
              ['/requests?field=a%3Db&field=a%3Dc', 400, qr/field: &quot;a&quot; is given twice/],
              ['/requests?field=user%3Dalice', 200, qr/No requests match/],
              ['/requests?user=a%00b', 400, qr/user: a NUL byte is not a value/],
              ['/?host=%00', 400, qr/host: a NUL byte is not a value/],
              ['/requests?user=%FF', 200, qr/No requests match/],
              ['/requests?path=%FF', 400, qr/invalid byte sequence/],
              ['/audit?action=delete', 400, qr/action: &quot;delete&quot; is not one of/],
              ['/audit?summary=1&action=login', 400, qr/summary looks at every action/],
              ['/nothing-here', 404, qr/no such page/]) {
    my ($path, $status, $re) = @$case;
    $r = fetch($console, $path);
    is($r->{status}, $status, "$path: $status");
    like($r->{content}, $re, "$path: says why") or diag(substr($r->{content}, 0, 1500));
}
headers_ok($r, 'a 404');
for my $method (qw(POST PUT DELETE)) {
    $r = fetch($console, '/requests', method => $method);
    is($r->{status}, 405, "$method: 405");
    is($r->{headers}{allow}, 'GET, HEAD', "$method: Allow: GET, HEAD");
}
$r = fetch($console, '/requests', method => 'HEAD');
is($r->{status}, 200, 'HEAD: 200');
is($r->{content} // '', '', 'HEAD: no body');
is($pg->value('SELECT count(*) FROM trace.requests'), $total, 'nothing the console did changed a row');

# --- the statement timeout --------------------------------------------------------------------
my $dbh = $pg->dbh;
$dbh->begin_work;
$dbh->do('LOCK TABLE trace.requests IN ACCESS EXCLUSIVE MODE');
my $started = Time::HiRes::time();
$r = fetch($console, '/requests');
my $took = Time::HiRes::time() - $started;
$dbh->rollback;
is($r->{status}, 503, 'a query stuck behind a lock: 503');
like($r->{content}, qr/longer than the statement timeout \(1000 ms\)/, '... the statement timeout says so');
cmp_ok($took, '<', 5, '... after about the timeout');
is(fetch($console, '/requests')->{status}, 200, 'then pages answer again');

# --- the overview's panels: side by side, in one snapshot ----------------------------------------
# With trace.audit locked, the panel of the audit's charts waits while the
# others are done: four transactions of the console at once, with one
# snapshot (the same xmin). Then the panel runs into the statement timeout,
# which fails the page, and every transaction ends.
sub console_transactions {
    return $pg->dbh(dbname => 'postgres')->selectall_arrayref(q{
        SELECT backend_xmin::text, wait_event_type FROM pg_stat_activity
        WHERE application_name = 'trace-ctl serve' AND xact_start IS NOT NULL});
}
$dbh->begin_work;
$dbh->do('LOCK TABLE trace.audit IN ACCESS EXCLUSIVE MODE');
my $child = fork() // die "fork: $!";
if ($child == 0) {
    my $page = fetch($console, '/?since=7d');
    POSIX::_exit($page->{status} == 503 && $page->{content} =~ /statement timeout/ ? 0 : 1);
}
# The moment to see: all four open (the request charts, the top lists by
# hour and by day, the audit's charts), the audit's panel at the lock.
my $seen = [];
for (1 .. 200) {
    my $now = console_transactions();
    $seen = $now if @$now >= @$seen;
    last if @$seen == 4 && grep { ($_->[1] // '') eq 'Lock' } @$seen;
    Time::HiRes::sleep(0.005);
}
waitpid($child, 0);
$dbh->rollback;
is(scalar(@$seen), 4, 'the overview: four transactions at once');
is(scalar(keys %{{ map { ($_->[0] // 'none') => 1 } @$seen }}), 1, '... in one snapshot (one xmin)');
is(scalar(grep { ($_->[1] // '') eq 'Lock' } @$seen), 1, '... one of them waiting for the lock');
is($?, 0, 'the panel past the statement timeout: the page 503, saying so');
is(scalar(@{ console_transactions() }), 0, '... and no transaction of the console left open');
is(fetch($console, '/?since=7d')->{status}, 200, 'then the overview answers again');

# --- the database goes away and comes back ----------------------------------------------------------
$pg->stop;
for my $path ('/requests', '/') {
    $r = fetch($console, $path);
    is($r->{status}, 503, "database down: $path 503");
    like($r->{content}, qr/<p class="error">database: /, "database down: $path an error page");
    headers_ok($r, "database down: $path");
}
$r = fetch($console, '/status');
is($r->{status}, 200, 'database down: /status answers');
like($r->{content}, qr{<p class="health">Something needs attention\.</p>}, '... that something is wrong');
like($r->{content}, qr{<th>reachable</th><td>false</td>}, '... the database unreachable');
$pg->start;
$r = fetch($console, '/requests');
is($r->{status}, 200, 'database back: the console reconnects');
like($r->{content}, qr/requests 1-$total \(/, '... with every row');

# --- SIGTERM --------------------------------------------------------------------------------------
my ($status, $seconds, $out) = stop_console($console);
is($status, 0, 'SIGTERM: exit 0');
cmp_ok($seconds, '<', 3, 'SIGTERM: stops at once');
like($out, qr/trace-ctl serve: stopped\n\z/, 'SIGTERM: says it stopped');
$console = start_console($t);
kill 'INT', $console->{pid};
waitpid $console->{pid}, 0;
is($?, 0, 'SIGINT: exit 0');

$t->done;
