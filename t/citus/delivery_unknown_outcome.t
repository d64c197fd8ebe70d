# Exactly-once on Citus: a batch whose commit outcome the module cannot know is
# sent again, and the ledger row already on the shard makes it a duplicate, as
# on plain PostgreSQL (t/delivery_unknown_outcome.t). Citus names the shard's
# key (batches_pkey_NNNNNN) in its error, and the module must recognise the
# duplicate by the ledger INSERT's unique violation all the same: no row twice.
#
# The commit is held as there: every node waits for a synchronous standby that
# does not exist, longer than trace_db_timeout, and is then released.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Trace::Test;
use Trace::Test::HeldCommit;

Trace::Test::Citus->skip_unless_installed;

my $t = Trace::Test->new;
my $citus = $t->citus;
my $pg = $citus->coordinator;
my @nodes = ($pg, $citus->workers);
my ($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo, 'migrate', '--distribute');
is($rc, 0, 'the schema is migrated and distributed') or diag($err);
$pg->migrate;    # the module's login role

Trace::Test::HeldCommit->start_nginx($t);

my $path = '/unknown-citus';
# Where the commit waits: the node that holds the batch's shard, or the
# coordinator when it writes too (the name of each, for the note).
my $waiting = sub {
    join ' ', map { $_->[0] } grep { $_->[1] }
        map { [$_ == $pg ? 'coordinator' : 'worker:' . $_->port,
               $_->value(q{SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'})] }
        @nodes;
};

my $duplicates = $t->status_sum('/status', 'duplicate_batches');
Trace::Test::HeldCommit::hold(@nodes);
my $answered = $t->load(100, path => sub { "$path?id=$_[0]" });
my $held = $t->wait_for($waiting, 10);
ok($held, 'the commit waits for the standby') and diag("commit held on: $held");
sleep 3;    # three times trace_db_timeout: the module has given up and sent it again
like(Trace::Test::slurp($t->error_log), qr/did not answer in time/,
    'the module gave up waiting for the answer');

Trace::Test::HeldCommit::release(@nodes);
$t->check_exactly_once([ 0 .. $answered - 1 ], $path);
ok($t->wait_for(sub { $t->status_sum('/status', 'duplicate_batches') > $duplicates }, 20),
    'the batch sent again is counted as a duplicate');
sleep 1;    # settled: nothing writes the rows again later
my $count = $pg->value('SELECT count(*) FROM trace.requests WHERE path = $1', $path);
my $distinct = $pg->value('SELECT count(DISTINCT query) FROM trace.requests WHERE path = $1', $path);
is($count, $answered, "$answered requests answered, $answered rows");
is($distinct, $answered, '... each once');
is($pg->value('SELECT count(*) FROM trace.rejected'), 0, 'nothing was set aside as refused');
my $dups = $t->status_sum('/status', 'duplicate_batches') - $duplicates;
diag("Citus: answered $answered, rows $count, distinct $distinct, duplicate_batches $dups");

$t->done;
