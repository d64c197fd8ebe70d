# A batch whose commit outcome the module cannot know: the COMMIT was sent, the
# server committed it locally, and the answer came too late (here: it waits
# for a synchronous standby that does not exist, longer than trace_db_timeout).
# The module sends the batch again on a new connection; the ledger row is
# already there, so the batch counts as a duplicate and its rows stay in once.
#
# Twice: with the ledger's key named as the schema names it, and renamed as
# Citus names a shard's key (batches_pkey_102078), which the module must not
# mistake for a refused row (it would split the batch and write it again).

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Trace::Test;
use Trace::Test::HeldCommit;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

Trace::Test::HeldCommit->start_nginx($t);

my $waiting_commits = sub {
    $pg->value(q{SELECT count(*) FROM pg_stat_activity
                 WHERE wait_event = 'SyncRep' AND usename = 'nginx_module'});
};

for my $key ('batches_pkey', 'batches_pkey_102078') {
    if ($key ne 'batches_pkey') {
        $pg->sql("ALTER TABLE trace.batches RENAME CONSTRAINT batches_pkey TO $key");
    }
    my $path = "/unknown-$key";
    my $duplicates = $t->status_sum('/status', 'duplicate_batches');

    # Commits wait for a standby that never answers: the module's outcome is unknown.
    Trace::Test::HeldCommit::hold($pg);
    my $answered = $t->load(100, path => sub { "$path?id=$_[0]" });
    ok($t->wait_for(sub { $waiting_commits->() > 0 }, 10),
        "$key: the module's commit waits for the standby");
    sleep 3;    # three times trace_db_timeout: the module has given up and sent it again
    like(Trace::Test::slurp($t->error_log), qr/did not answer in time/,
        "$key: the module gave up waiting for the answer");

    # The standby requirement goes: the first commit completes, the repeat finds its ledger row.
    Trace::Test::HeldCommit::release($pg);
    $t->check_exactly_once([ 0 .. $answered - 1 ], $path);
    ok($t->wait_for(sub { $t->status_sum('/status', 'duplicate_batches') > $duplicates }, 20),
        "$key: the batch sent again is counted as a duplicate");
    # Settled: a little longer, in case anything would still write the rows again.
    sleep 1;
    is($pg->value('SELECT count(*) FROM trace.requests WHERE path = $1', $path), $answered,
        "$key: $answered requests, $answered rows");
    is($pg->value('SELECT count(*) FROM trace.rejected'), 0, "$key: nothing was set aside as refused");
    diag("PostgreSQL, key $key: answered $answered, rows "
        . $pg->value('SELECT count(*) FROM trace.requests WHERE path = $1', $path)
        . ', duplicate_batches ' . ($t->status_sum('/status', 'duplicate_batches') - $duplicates));
}

$t->done;
