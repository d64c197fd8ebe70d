# The cluster Trace::Test::Citus starts: a coordinator that knows both
# workers, the extension on all three, and a distributed table whose shards
# spread over both workers; all three stopped when the test ends.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

Trace::Test::Citus->skip_unless_installed;

my $t = Trace::Test->new;
my $citus = $t->citus;
my $pg = $citus->coordinator;
is($t->{pg}, $pg, 'the coordinator is the test\'s PostgreSQL');

my @workers = $citus->workers;
is(scalar @workers, 2, 'two workers');
is_deeply($pg->sql(q{SELECT nodeport FROM pg_dist_node WHERE noderole = 'primary'
                     AND isactive AND shouldhaveshards ORDER BY nodeport}),
    [map { [$_->port] } sort { $a->port <=> $b->port } @workers],
    'the coordinator has both workers as active nodes');
for my $node ($pg, @workers) {
    like($node->value(q{SELECT extversion FROM pg_extension WHERE extname = 'citus'}),
        qr/^13\./, 'citus 13 on the node on port ' . $node->port);
}

$pg->sql('CREATE TABLE spread (k int PRIMARY KEY)');
$pg->sql(q{SELECT create_distributed_table('spread', 'k')});
$pg->sql('INSERT INTO spread SELECT generate_series(1, 1000)');
is($pg->value('SELECT count(*) FROM spread'), 1000, 'a distributed table answers on the coordinator');
$_->sql('SET citus.override_table_visibility = off') for @workers;    # shards are hidden otherwise
my @on_workers = map { $_->value(q{SELECT count(*) FROM pg_class WHERE relname LIKE 'spread\_%'}) }
    @workers;
ok($on_workers[0] > 0 && $on_workers[1] > 0, 'its shards are on both workers')
    or diag("@on_workers");

my @dirs = map { $_->{dir} } $pg, @workers;
$t->stop_all;
ok(!grep({ -e "$_/data/postmaster.pid" } @dirs), 'stop_all stops all three nodes');

$t->done;
