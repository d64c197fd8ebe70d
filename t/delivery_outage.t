# Nothing lost, nothing doubled, under steady load: PostgreSQL stopped for
# seconds, the module's connection killed again and again.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

$t->start_recording_nginx(workers => 2,
    trace_db => '%%TRACE_DB%% connect_timeout=2',
    trace_flush_interval => '200ms',
    trace_spool => '%%PREFIX%%/spool',
    access_log => 'off',
    status => '/status');

# --- PostgreSQL stopped for several seconds during load ----------------------------
$t->start_background_load(clients => 2);
sleep 1.5;
$pg->stop;
sleep 4;
my $spooled = $t->status_sum('/status', 'spooled_rows');
ok($spooled > 0, "rows went to the spool while PostgreSQL was down ($spooled)");
$pg->start;
sleep 2;
my @ids = $t->stop_background_load;
$t->check_exactly_once(\@ids, '/load');
ok($t->wait_for(sub { $t->status_sum('/status', 'spool_bytes') == 0 }, 20), 'the spool is empty again');
is($t->status_sum('/status', 'dropped_rows'), 0, 'nothing was dropped');
cmp_ok($t->status_sum('/status', 'replayed_rows'), '>=', $spooled, 'the spooled rows were replayed');

# --- the module's connection killed repeatedly ------------------------------------
$t->start_background_load(clients => 2, path => '/kill');
my $killed = 0;
for (1 .. 8) {
    sleep 0.4;
    $killed += $pg->value(q{SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'nginx-trace') k});
}
sleep 1;
@ids = $t->stop_background_load;
ok($killed >= 4, "the module's connections were killed $killed times");
$t->check_exactly_once(\@ids, '/kill');
is($t->status_sum('/status', 'dropped_rows'), 0, 'nothing was dropped');
is($pg->value('SELECT sum(row_count) FROM trace.batches'),
    $pg->value('SELECT count(*) FROM trace.requests'), 'the ledger accounts for every row exactly');

$t->done;
