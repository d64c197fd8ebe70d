# Listings through block summaries on Citus: trace.requests distributed by
# host, its rows summarised by migrate's backfill and some left uncovered;
# the walk reads the rows of its blocks' ranges in one statement the
# coordinator sends to the shards (a LATERAL join over the ranges cannot be
# pushed down), and gives exactly the plain SQL answer.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Blocks;

Trace::Test::Citus->skip_unless_installed;

my $t = Trace::Test->new;
my $pg = $t->citus->coordinator;
my @db = ('--db', $pg->conninfo);
my ($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute');
is($rc, 0, 'migrate --distribute') or diag($err);

sub insert_rows_from {
    my ($from, $to) = @_;
    $pg->sql(qq{INSERT INTO trace.requests (ts, host, method, path, status, user_name, client_addr)
        SELECT now() - ($to - i) * interval '2 s', 'host' || (i % 3),
               (ARRAY['GET','POST','PUT'])[1 + i % 3], '/p/' || (i % 97) || '/' || i,
               (ARRAY[200, 200, 200, 404, 503])[1 + i % 5], 'u' || (i % 50),
               ('10.' || (i % 4) || '.' || (i % 250) || '.1')::inet
        FROM generate_series($from, $to) i});
}
insert_rows_from(1, 5000);
($rc, $out, $err) = $t->trace_ctl(@db, 'migrate');
like($out, qr/^summarised 5000 rows in 20 blocks/m, 'migrate summarises the distributed rows')
    or diag("$out$err");
insert_rows_from(5001, 5300);

my $same = Trace::Test::Blocks->new($t, $pg, @db);
my $user = $Trace::Test::Blocks::PLAIN_USER;
$same->same_ok(['--user', 'u7'], $user, ['u7']);
$same->same_ok(['--user', 'u7', '--status', '5xx'], "$user AND status BETWEEN 500 AND 599",
    ['u7'], pages => [[50, 1], [5, 3]]);
$same->same_ok(['--method', 'PUT', '--host', 'host2'], q{method = 'PUT' AND host = 'host2'}, []);
$same->same_ok(['--client', '10.2.0.0/16'], q{client_addr <<= '10.2.0.0/16'}, []);
$same->same_ok(['--path', '^/p/42/'], 'path ~ ?', ['^/p/42/']);
$same->same_ok(['--user', 'nobody'], $user, ['nobody'], pages => [[50, 1]]);

($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--user', 'u7', '--explain');
is($rc, 0, '--explain on Citus') or diag($err);
like($out, qr/"Statement":"ranges"/, '... names the walk\'s statements');

$t->done;
