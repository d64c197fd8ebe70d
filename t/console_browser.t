# The console in a real browser (Debian's chromium, headless): the overview,
# a list filtered by a hostile path, the hostile user's page and a session's
# page, as the browser builds them (--dump-dom, after the scripts ran). The
# hostile values are text, no element was injected, the title is the
# console's, and the browser refused nothing under the Content-Security-Policy
# (which would mean an inline script or style). Then a screenshot of the
# overview; with CONSOLE_SCREENSHOT=FILE it is also copied there (README's
# picture, docs/console-overview.png, is made so).

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use File::Copy qw(copy);
use Trace::Test;
use Trace::Test::Console qw(browser_console stop_console fetch html_unescape session_hash);
use Trace::Test::Reading qw(insert_rows);

my $t = Trace::Test->new;
my $browsing = browser_console($t);
my ($chromium, $recorded, $console, $base) = @$browsing{qw(chromium recorded console base)};
my $pg = $t->postgres;
my $profile = $t->base . '/chromium';

# Runs headless chromium on one URL; returns (exit code, stdout, stderr).
sub chromium {
    my (@args) = @_;
    return Trace::Test::run({ env => { HOME => $t->base } }, 'timeout', '60', $chromium,
        '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions',
        "--user-data-dir=$profile", '--enable-logging=stderr', '--v=0',
        '--virtual-time-budget=3000', @args);
}

sub dom_of {
    my ($path, $what) = @_;
    my ($rc, $dom, $err) = chromium('--dump-dom', "$base$path");
    is($rc, 0, "$what: chromium rendered it") or diag($err);
    like($dom, qr{</main>}, "$what: the whole page") or diag($err);
    my @refused = grep { /Content Security Policy|Refused to|Uncaught/ } split /\n/, $err;
    is_deeply(\@refused, [], "$what: the browser refused nothing under the CSP, and no script failed");
    return $dom;
}

# What a page must never become, whatever it shows.
sub nothing_injected {
    my ($dom, $title, $what) = @_;
    my ($shown_title) = $dom =~ m{<title>(.*?)</title>}s;
    is($shown_title, "$title \x{e2}\x{80}\x{93} trace", "$what: the title is the console's");
    my @scripts = $dom =~ /(<script\b[^>]*>)/g;
    is_deeply(\@scripts, ['<script src="/console.js" defer=""></script>' =~ /(<script\b[^>]*>)/],
        "$what: no script element but the console's");
    unlike($dom, qr/<img\b/i, "$what: no img element");
    unlike($dom, qr/<b>/, "$what: no b element from the user name");
    unlike($dom, qr/<[a-z]+\b[^>]*\sonerror=/i, "$what: no onerror attribute");
}

my $script_text = '/&lt;script&gt;document.title=\'x\'&lt;/script&gt;';
my $user_text = 'o\'brien"&lt;b&gt;';

my $dom = dom_of('/', 'the overview');
nothing_injected($dom, 'Overview', 'the overview');
like($dom, qr/<svg class="chart"/, 'the overview: its charts');
like($dom, qr/\Q$script_text\E/, 'the overview: the <script> path as text in the top paths');

my ($link) = fetch($console, '/requests')->{content}
    =~ m{<a href="(/requests\?path=[^"]*)">/&lt;script&gt;};
ok($link, 'the <script> path has a link');
$dom = dom_of(html_unescape($link), 'the list of the <script> path');
nothing_injected($dom, 'Requests', 'the list of the <script> path');
like($dom, qr/\Q$script_text\E/, 'the list of the <script> path: the path as text');
like($dom, qr/requests 1-1 \(page 1/, 'the list of the <script> path: that one request');
like($dom, qr/evil\\x1b\[31m\\u202e-agent/, 'the list of the <script> path: ESC and U+202E visible');

$dom = dom_of('/users/o%27brien%22%3Cb%3E', 'the hostile user');
nothing_injected($dom, 'User', 'the hostile user');
like($dom, qr{<p class="who">\Q$user_text\E</p>}, 'the hostile user: the name as text');

my $session = session_hash('tok-hostile');
$dom = dom_of("/sessions/$session", 'the hostile user\'s session');
nothing_injected($dom, 'Session', 'the hostile user\'s session');
like($dom, qr/\Q$script_text\E/, 'the session: its request');
like($dom, qr/no logout recorded/, 'the session: still open');

# --- the screenshot -----------------------------------------------------------------
# For the picture, six hours of requests and logins besides the real traffic
# above (inserted as rows: nginx cannot date a request in the past).
my @rows;
my $now = time;
srand 19;
for my $i (1 .. 1500) {
    my $ago = int(rand(6 * 3600));
    my $roll = rand;
    push @rows, { ts => $now - $ago, host => 'web1', server_name => 'shop.example', method => 'GET',
        path => (qw(/ /products /products/42 /cart /api/search /api/orders /login /static/app.js))[int(rand(8))],
        status => $roll < 0.84 ? 200 : $roll < 0.9 ? 304 : $roll < 0.97 ? 404 : 502,
        duration => sprintf('%.3f seconds', 0.002 + rand() ** 4 * 0.8),
        user_name => (undef, undef, 'alice', 'bob', 'carol')[int(rand(5))],
        client_addr => '198.51.100.' . int(rand(20)), bytes_sent => 500 + int(rand(40000)),
        user_agent => (qw(Mozilla/5.0 curl/7.88.1 Googlebot/2.1))[int(rand(3))],
        request_id => sprintf('%032x', $i) };
}
insert_rows($pg, 'requests', @rows);
insert_rows($pg, 'audit', map { { ts => $now - int(rand(6 * 3600)), host => 'web1',
    action => (qw(login login logout login_failed))[int(rand(4))],
    user_name => (qw(alice bob carol))[int(rand(3))], client_addr => '198.51.100.7',
    request_id => sprintf('%032x', 100000 + $_) } } 1 .. 120);
my $png = $t->base . '/overview.png';
my ($rc, undef, $err) = chromium("--screenshot=$png", '--window-size=1280,1500',
    '--hide-scrollbars', "$base/?since=6h");
is($rc, 0, 'the screenshot: chromium made it') or diag($err);
my $image = Trace::Test::slurp($png);
is(substr($image, 0, 8), "\x89PNG\r\n\x1a\n", 'the screenshot: a PNG');
cmp_ok(length $image, '>', 30_000, 'the screenshot: with something drawn in it');
if (my $copy = $ENV{CONSOLE_SCREENSHOT}) {
    copy($png, $copy) or die "$copy: $!";
    diag("screenshot copied to $copy");
}

my ($status) = stop_console($console);
is($status, 0, 'the console stopped');
$t->done;
