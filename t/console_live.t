# Live refresh in a real browser (Debian's chromium, headless, driven over the
# DevTools protocol on a pipe): /requests stays open while nginx records a new
# request, and console.js, fetching the page again every 5 s, puts the new row
# into <main> without a reload (a mark left on the window survives). The page
# fetched without JS holds every row too.
#
# Why not --dump-dom with --virtual-time-budget: virtual time runs the 5 s
# timer at once, in the one chromium run that also renders the page, so
# nothing can be recorded between the first render and the refresh.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Console qw(browser_console stop_console fetch);
use Trace::Test::DevTools;

my $t = Trace::Test->new;
my $browsing = browser_console($t);
my ($chromium, $recorded, $console, $base) = @$browsing{qw(chromium recorded console base)};
my $pg = $t->postgres;

my $browser = Trace::Test::DevTools->start(chromium => $chromium, home => $t->base,
    profile => $t->base . '/chromium', log => $t->base . '/chromium.log');
my $tab = $browser->open_tab("$base/requests");
my $rows_js = q{document.querySelectorAll('#main tbody tr').length};
my $shown = sub {
    my $ready = $browser->evaluate($tab, q{document.readyState === 'complete' && !!document.getElementById('main')});
    return $ready ? $browser->evaluate($tab, $rows_js) : 0;
};
is($t->wait_for($shown, 20), $recorded->{requests}, 'the first render: every request');
is($browser->evaluate($tab, q{document.getElementById('main').getAttribute('data-live')}), '1',
    '... on a page refreshed live');
$browser->evaluate($tab, q{window.traceFirstRender = 'kept'});

my $res = $t->get('/page/arrived-live', 'X-User' => 'alice');
is($res->{status}, 200, 'nginx answers a new request');
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') > $recorded->{requests} }, 10),
    '... and records it');
like(fetch($console, '/requests')->{content}, qr{/page/arrived-live}, 'the page without JS has it');

# The refresh comes within 5 s of the timer; three of them at most.
my $arrived = q{document.getElementById('main').innerHTML.indexOf('/page/arrived-live') >= 0};
ok($t->wait_for(sub { $browser->evaluate($tab, $arrived) }, 16), 'the open page shows the new request');
my $dom = $browser->evaluate($tab, 'document.documentElement.outerHTML');
my @rows = $dom =~ m{<tr><td>}g;
is(scalar @rows, $recorded->{requests} + 1, 'the refreshed DOM: every request and the new one');
my ($newest) = $dom =~ m{<tbody>(<tr>.*?</tr>)}s;
# ok, not like: a failure would print the whole DOM.
ok(($newest // '') =~ m{/page/arrived-live}, '... the new one first');
my ($count) = $dom =~ m{<span class="count">([^<]*)</span>};
is($count, 'requests 1-' . ($recorded->{requests} + 1) . ' (page 1, newest first)', '... counted');
is($browser->evaluate($tab, 'window.traceFirstRender'), 'kept', '... without a reload');

my $plain = fetch($console, '/requests')->{content};
is(scalar(() = $plain =~ m{<tr><td>}g), $recorded->{requests} + 1, 'the page without JS: every row');

is($browser->stop, 0, 'chromium closed');
my ($status) = stop_console($console);
is($status, 0, 'the console stopped');
$t->done;
