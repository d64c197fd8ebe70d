package Trace::Test::Citus;

# A private Citus cluster for one test: a coordinator and two workers (or
# workers => N), each a Trace::Test::Pg under the test's directory
# (citus-coordinator, citus-worker1, citus-worker2) on a free loopback port,
# with the citus extension in the trace database of every node and the workers
# added to the coordinator. About 4 s.
#
#     my $citus = $t->citus;           # or Trace::Test::Citus->skip_unless_installed first
#     my $pg = $citus->coordinator;    # also $t->{pg}: %%TRACE_DB%%, check_exactly_once
#     $citus->workers;                 # the worker nodes
#     $citus->worker_of('trace.requests', 'web1');   # the worker that holds a key's shard
#     $worker->stop('fast'); $worker->start;         # down and up again, same port and data
#
# The harness stops every node when the test ends, on failure and on a signal
# too (Trace::Test::stop_all). Citus itself comes from scripts/citus-build.sh
# (make test-citus builds and installs it).

use strict;
use warnings;

use Test::More ();

use Trace::Test::Pg;

# What every node needs: the library preloaded, and prepared transactions for
# the two-phase commits of writes that span nodes.
my %NODE_SETTINGS = (shared_preload_libraries => 'citus', max_prepared_transactions => 100);

# Whether this machine's PostgreSQL has the extension installed.
sub installed {
    my $pg_config = Trace::Test::Pg->bin_dir . '/pg_config';
    my $share = `$pg_config --sharedir 2>/dev/null`;
    chomp $share;
    return $share ne '' && -e "$share/extension/citus.control";
}

# Ends the test file with a skip when Citus is not installed (make test-citus
# installs it, and sets TRACE_CITUS_REQUIRED: there, no Citus is a failure).
sub skip_unless_installed {
    return if installed();
    Test::More::BAIL_OUT('Citus is not installed, and make test-citus needs it')
        if $ENV{TRACE_CITUS_REQUIRED};
    Test::More::plan(skip_all => 'Citus is not installed here (make test-citus builds and installs it)');
}

sub create {
    my ($class, $harness, %opt) = @_;
    my $workers = $opt{workers} // 2;
    my $self = bless { harness => $harness }, $class;
    # Registered before anything starts, so that a failure half-way still stops what runs.
    $harness->{citus} = $self;
    $harness->{pg} = undef;
    for my $name ('coordinator', map { "worker$_" } 1 .. $workers) {
        my $node = Trace::Test::Pg->create($harness, name => "citus-$name",
            settings => \%NODE_SETTINGS);
        push @{ $self->{nodes} }, $node;
        $node->sql('CREATE EXTENSION citus');
    }
    my ($coordinator, @workers) = @{ $self->{nodes} };
    # The coordinator is the test's PostgreSQL: %%TRACE_DB%%, check_exactly_once, ...
    $harness->{pg} = $coordinator;
    $coordinator->sql(q{SELECT citus_set_coordinator_host('127.0.0.1', $1)}, $coordinator->port);
    $coordinator->sql(q{SELECT citus_add_node('127.0.0.1', $1)}, $_->port) for @workers;
    return $self;
}

sub coordinator { $_[0]{nodes}[0] }

sub workers { @{ $_[0]{nodes} }[1 .. $#{ $_[0]{nodes} }] }

# The worker whose port is $port.
sub worker_on {
    my ($self, $port) = @_;
    my ($node) = grep { $_->port == $port } $self->workers;
    return $node;
}

# The worker that holds the shard of distributed $table where its key is $value.
sub worker_of {
    my ($self, $table, $value) = @_;
    return $self->worker_on($self->coordinator->value(q{
        SELECT nodeport FROM pg_dist_shard_placement
        WHERE shardid = get_shard_id_for_distribution_column($1::regclass, $2::text)}, $table, $value));
}

# Rows of each table on each worker, from the shards' sizes as the coordinator
# sees them: { "127.0.0.1:PORT" => rows } for trace.$table.
sub rows_per_worker {
    my ($self, $table) = @_;
    my $rows = $self->coordinator->sql(q{
        SELECT nodename || ':' || nodeport, sum(result::bigint)
        FROM run_command_on_shards($1, 'SELECT count(*) FROM %s') r
        JOIN pg_dist_shard_placement p USING (shardid)
        GROUP BY 1 ORDER BY 1}, "trace.$table");
    return { map { $_->[0] => $_->[1] } @$rows };
}

# Stops every node, workers last (the coordinator may still talk to them).
sub stop {
    my ($self) = @_;
    $_->stop for @{ $self->{nodes} // [] };
}

1;
