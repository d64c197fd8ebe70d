# PostgreSQL away: nginx answers exactly as before, says what is wrong at a
# limited rate, holds rows within its memory bound, and records again when the
# database is back, without a restart. nginx -t never connects anywhere.
# With trace_spool off, memory alone holds the rows here: the spool, on by
# default, has its own tests (t/delivery_*.t, t/spool_default.t).

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

# --- nginx -t does not connect ---------------------------------------------------
my $listener = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 5,
    Proto => 'tcp', ReuseAddr => 1) or die;
my $lport = $listener->sockport;
my ($rc, $out) = $t->nginx_test(<<EOF);
http {
    trace_db "host=127.0.0.1 port=$lport dbname=trace user=nginx_module";
    server { listen 127.0.0.1:%%PORT%%; trace on; }
}
EOF
is($rc, 0, 'nginx -t passes with a database that would answer');
ok(!IO::Select->new($listener)->can_read(0.5), 'nginx -t made no connection');
close $listener;

# --- the outage ----------------------------------------------------------------
$t->start_recording_nginx(
    trace_db => '%%TRACE_DB%% connect_timeout=2',
    trace_spool => 'off',
    trace_flush_interval => '100ms',
    body => 'body $arg_id\n');

is($t->get('/before?id=0')->{body}, "body 0\n", 'answered before the outage');
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') == 1 }, 10), 'recorded before the outage');

$pg->stop;
my $started = time;
my $answered = 0;
my $fast = 0;
for my $i (1 .. 200) {
    my $t0 = time;
    my $r = $t->get("/during?id=$i");
    $answered++ if $r->{status} == 200 && $r->{body} eq "body $i\n";
    $fast++ if time - $t0 < 0.5;
    sleep 0.02;
}
is($answered, 200, 'every request answered with its own body while PostgreSQL is down');
is($fast, 200, 'and none of them was slowed down');
sleep 1;

my @complaints = grep { /trace: cannot/ } split /\n/, Trace::Test::slurp($t->error_log);
ok(@complaints >= 1, 'the error log says PostgreSQL is unreachable') or diag(Trace::Test::slurp($t->error_log));
like($complaints[0] // '', qr/\[error\].*cannot (connect|write) to PostgreSQL.*rows wait/, '... at level error, with what waits');
cmp_ok(scalar @complaints, '<=', 2, '... at a limited rate (' . scalar(@complaints) . ' lines in '
    . sprintf('%.0f', time - $started) . ' s)');

$pg->start;
my $back = time;
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') >= 201 }, 20),
    'rows held in memory arrive once PostgreSQL is back');
diag(sprintf 'delivered %.1f s after PostgreSQL came back', time - $back);
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE path = '/during'}), 200, 'all 200 of them, once each');
$t->get('/after?id=999');
ok($t->wait_for(sub { $pg->value(q{SELECT count(*) FROM trace.requests WHERE path = '/after'}) == 1 }, 10),
    'new requests are recorded again, without restarting nginx');
like(Trace::Test::slurp($t->error_log), qr/\[notice\].*trace: connected to PostgreSQL again after \d+ s/,
    'the error log says the database is back');

# --- reload and stop stay prompt with the database away -------------------------
$pg->stop;
$t->get('/held?id=1');
sleep 0.3;
my $reload = $t->reload_nginx(20);
cmp_ok($reload, '<', 6, sprintf('reload with PostgreSQL down finishes in %.1f s (drain bound 3 s)', $reload));
is($t->get('/x?id=2')->{status}, 200, 'new workers answer');
my $stop = $t->stop_nginx;
cmp_ok($stop, '<', 6, sprintf('quit with PostgreSQL down finishes in %.1f s', $stop));
like(Trace::Test::slurp($t->error_log), qr/rows could not be sent before the worker stopped/,
    'rows that could not be sent are reported, not silently lost');
$pg->start;

# --- the memory bound ------------------------------------------------------------
$t->start_recording_nginx(
    trace_db => 'host=127.0.0.1 port=1 dbname=trace connect_timeout=1',
    trace_spool => 'off',
    trace_buffer_size => '8k',
    trace_batch_size => '2k');
my $served = $t->load(500, concurrency => 2, path => sub { "/bound?id=$_[0]&pad=" . ('p' x 100) });
is($served, 500, 'every request answered when memory for rows is full');
my @drops = grep { /memory for unsent rows is full/ } split /\n/, Trace::Test::slurp($t->error_log);
ok(@drops >= 1, 'dropping is logged');
like($drops[0] // '', qr/\[warn\]/, '... as a warning');
cmp_ok(scalar @drops, '<=', 4, '... at most once a second');
my ($rss) = `ps -o rss= -p @{[ ($t->worker_pids)[0] ]}` =~ /(\d+)/;
diag("worker RSS with the bound reached: $rss kB");

$t->done;
