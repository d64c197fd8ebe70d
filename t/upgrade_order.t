# Upgrading in the wrong order: a module newer than the schema (a column it
# writes is missing) loses nothing. PostgreSQL refuses its batches, the error
# log says why, rows wait (in memory, then the spool) as during an outage, and once the
# schema has the column every row arrives, exactly once.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

# The schema as the release before it: without the column 0003 added.
$pg->sql('ALTER TABLE trace.requests DROP COLUMN malformed');

$t->start_recording_nginx(
    trace_flush_interval => '100ms',
    trace_spool => '%%PREFIX%%/spool',
    access_log => 'off',
    status => '/status');

my @ids = (0 .. 199);
is($t->load(scalar @ids, path => sub { "/load?id=$_[0]" }), scalar @ids, 'every request answered');
ok($t->wait_for(sub { Trace::Test::slurp($t->error_log) =~ /column "malformed" of relation "requests" does not exist/ }, 10),
    'the error log says which column is missing');
sleep 1;
is($pg->value('SELECT count(*) FROM trace.requests'), 0, 'no row is written meanwhile');
is($t->status_sum('/status', 'dropped_rows'), 0, '... and none is dropped');
is($pg->value('SELECT count(*) FROM trace.rejected'), 0, '... nor taken for a bad row');

# The schema migrated: the column is back.
$pg->sql('ALTER TABLE trace.requests ADD COLUMN malformed boolean');
$t->check_exactly_once(\@ids, '/load', 30);
is($t->status_sum('/status', 'dropped_rows'), 0, 'nothing was dropped');

$t->done;
