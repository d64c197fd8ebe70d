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
use Trace::Test::Reading qw(write_module_batch decode_json_output start_background
    wait_for_output stop_background);
use Time::HiRes qw(time sleep);

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

# --follow on the coordinator: trace.requests has no index on id, so new rows
# are found through the ledger entries of the batches committed since, then
# their blocks (two statements: the tables are colocated by batch_key, which a
# join on host and batch id does not name), and the rows no block covers.
my $bg = start_background(Trace::Test::build() . '/trace-ctl', @db, 'requests', '--follow',
    '--format', 'json', '--interval', '0.2', '--limit', 1);
wait_for_output($bg, sub { ($_[0] =~ tr/\n//) >= 1 });
my $dbh = DBI->connect('dbi:Pg:dbname=trace;host=127.0.0.1;port=' . $pg->port, 'postgres', '',
    { RaiseError => 1, AutoCommit => 0, PrintWarn => 0 });
for my $host (qw(host0 host1 host2)) {
    write_module_batch($dbh, $host, "follow-$host",
        map { { ts => time, path => "/follow/$host/$_", user => 'u1' } } 1 .. 2);
    $dbh->commit;
}
write_module_batch($dbh, 'host1', 'follow-replayed', { ts => time - 86400, path => '/follow/replayed', user => 'u1' });
$dbh->commit;
$dbh->disconnect;
$pg->sql(q{INSERT INTO trace.requests (ts, host, path) VALUES (now(), 'host2', '/follow/uncovered')});
my $followed = wait_for_output($bg, sub { $_[0] =~ m{/follow/uncovered}
    && $_[0] =~ m{/follow/replayed} && $_[0] =~ m{/follow/host2/2} }, 10);
sleep 1;
($followed) = Trace::Test::Reading::background_output($bg);
stop_background($bg);
my @paths = sort grep { m{^/follow/} } map { decode_json_output($_)->{path} } grep { length } split /\n/, $followed;
is_deeply(\@paths, [sort '/follow/replayed', '/follow/uncovered',
        map { my $h = $_; map { "/follow/$h/$_" } 1 .. 2 } qw(host0 host1 host2)],
    '--follow on Citus prints every new row once: batches of three hosts, a replayed one, an uncovered row')
    or diag($followed);

$t->done;
