# A reload in the middle of replaying the spool: the next workers resume where
# the old ones stopped. Every row still arrives exactly once, and the batches
# already committed are not sent again (PostgreSQL would refuse each one as a
# duplicate, with an ERROR in its log).

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

# Every batch takes 0.3 s to commit, so that the replay lasts long enough for a
# reload to land in its middle.
$pg->sql(q{CREATE FUNCTION public.slow_commit() RETURNS trigger LANGUAGE plpgsql
           AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$});
$pg->sql(q{CREATE TRIGGER slow_commit AFTER INSERT ON trace.requests
           FOR EACH STATEMENT EXECUTE FUNCTION public.slow_commit()});

$t->start_recording_nginx(workers => 1,
    trace_db => '%%TRACE_DB%% connect_timeout=2',
    trace_flush_interval => '100ms',
    trace_drain_timeout => '1s',
    trace_spool => '%%PREFIX%%/spool',
    access_log => 'off',
    status => '/status');

# PostgreSQL away while requests come: a spool of many small batches.
$pg->stop;
$t->start_background_load(clients => 2, pause => 0.01, path => '/resume');
sleep 4;
my @ids = $t->stop_background_load;
my $spooled = $t->status_sum('/status', 'spooled_rows');
ok($spooled > 0, "rows went to the spool while PostgreSQL was down ($spooled)");

$pg->start;
my $batches = sub { $pg->value('SELECT count(*) FROM trace.batches') };
ok($t->wait_for(sub { $batches->() >= 3 }, 20), 'the replay has begun');
my $pending = $t->status_sum('/status', 'spool_bytes');
my $before = $batches->();
ok($pending > 0, "spool left when the reload comes: $pending bytes; $before batches committed");

$t->reload_nginx(20);
$t->check_exactly_once(\@ids, '/resume');
ok($t->wait_for(sub { !glob($t->nginx_prefix . '/spool/trace-*') }, 20),
    'the spool and its replay note are gone once everything is written');
like(Trace::Test::slurp($t->error_log), qr/replaying spool file .* where its replay stopped/,
    'the new worker resumed where the old one stopped');

# A batch in flight at the reload may be sent again (its outcome was unknown);
# nothing committed before it is.
my $log = Trace::Test::slurp($pg->{dir} . '/server.log');
my $duplicates = () = $log =~ /duplicate key value violates unique constraint "batches_pkey"/g;
cmp_ok($duplicates, '<=', 1,
    "batches sent again after the reload: $duplicates (of $before committed before it)");

$t->done;
