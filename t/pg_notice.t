# What PostgreSQL says besides results reaches nginx's error log as the
# module's own lines, with nginx's time and level: an immediate shutdown of the
# server the module is connected to leaves "[warn] ... trace: PostgreSQL
# WARNING: terminating connection ...", and no bare line from libpq.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

$t->start_recording_nginx(
    trace_db => '%%TRACE_DB%% connect_timeout=2',
    trace_flush_interval => '100ms');

is($t->get('/before')->{status}, 200, 'a request before the shutdown');
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') == 1 }, 10),
    'recorded: the module is connected');

$pg->stop('immediate');

# The next batch makes libpq read what the server said before it went.
is($t->get('/after')->{status}, 200, 'a request after the shutdown');

my $notice = qr{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[warn\] \d+#\d+: trace: PostgreSQL WARNING: terminating connection due to immediate shutdown command$}m;
ok($t->wait_for(sub { Trace::Test::slurp($t->error_log) =~ $notice }, 10),
    'the notice is one nginx line, with time and level [warn]')
    or diag(Trace::Test::slurp($t->error_log));
unlike(Trace::Test::slurp($t->error_log), qr/^(?:WARNING|NOTICE|FATAL):/m,
    'no bare line from libpq');

# The row waits, and arrives once the server is back.
$pg->start;
ok($t->wait_for(sub { $pg->value(q{SELECT count(*) FROM trace.requests WHERE path = '/after'}) == 1 }, 20),
    'the request after the shutdown arrives when the server is back');

$t->done;
