# A row the server refuses costs no other row: the batch is split until the
# refused row is alone, it goes to trace.rejected with the server's reason,
# and every other row of the batch is written, once.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

# Something the encoder cannot know about: a constraint some rows break.
$pg->sql(q{ALTER TABLE trace.requests ADD CONSTRAINT no_poison CHECK (path NOT LIKE '/poison%')});

$t->start_recording_nginx(
    trace_flush_interval => '1s',     # all of it in one batch
    status => '/status');

my $answered = 0;
for my $i (1 .. 100) {
    my $path = ($i == 37 || $i == 81) ? "/poison/$i" : "/good/$i";
    $answered++ if $t->get($path)->{status} == 200;
}
is($answered, 100, 'every request answered');

ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.rejected') == 2 }, 15),
    'the two refused rows are in trace.rejected');
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') == 98 }, 15),
    'the 98 others are in trace.requests');
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE path LIKE '/good/%'}), 98, 'all of them good ones');
is($pg->value('SELECT count(DISTINCT path) FROM trace.requests'), 98, 'each once');
my $rejected = $pg->sql('SELECT row_text, error, table_name, batch_id FROM trace.rejected ORDER BY row_text');
like($rejected->[0][0], qr{\t/poison/37\t}, 'the row text is kept');
like($rejected->[1][0], qr{\t/poison/81\t}, 'the other one too');
like($rejected->[0][1], qr/no_poison/, 'with the server\'s reason');
is($rejected->[0][2], 'trace.requests', 'and the table it was for');
like($rejected->[0][3], qr/^[0-9a-f]{16}-\d+(\.[01])+$/, 'under an id derived from its batch');
is($pg->value('SELECT count(*) FROM trace.batches WHERE batch_id !~ $1', '\.'), 0,
    'the whole batch was never committed');
is($t->status_sum('/status', 'rejected_rows'), 2, 'trace_status counts the rejected rows');
like(Trace::Test::slurp($t->error_log), qr/\[warn\].*PostgreSQL refused a row of trace\.requests.*kept in trace\.rejected/,
    'the error log says so');

$t->done;
