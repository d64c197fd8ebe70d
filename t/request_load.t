# 20,000 requests at full speed with PostgreSQL healthy: exactly 20,000 rows,
# each request once.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

$t->start_recording_nginx(workers => 2, access_log => 'off');

my $n = 20000;
my $started = time;
my $ok = $t->load($n, concurrency => 8, path => sub { "/load?id=$_[0]" });
my $elapsed = time - $started;
is($ok, $n, "all $n requests answered 200");
diag(sprintf '%d requests in %.1f s (%.0f/s, Perl client)', $n, $elapsed, $n / $elapsed);

ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') >= $n }, 30),
    'all rows arrived');
is($pg->value('SELECT count(*) FROM trace.requests'), $n, "exactly $n rows");
is($pg->value('SELECT count(DISTINCT query) FROM trace.requests'), $n, 'each request once');
is($pg->value(q{SELECT count(*) FROM generate_series(0, $1 - 1) AS g(i)
    WHERE NOT EXISTS (SELECT 1 FROM trace.requests WHERE query = 'id=' || g.i)}, $n), 0,
    'no id is missing');
is($pg->value('SELECT sum(row_count) FROM trace.batches'), $n, 'the ledger accounts for every row');
is($pg->value('SELECT count(*) FROM trace.rejected'), 0, 'nothing refused');

$t->done;
