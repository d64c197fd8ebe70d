# The spool is on by default: a server that records and names no trace_spool
# keeps the rows PostgreSQL cannot take in /var/lib/nginx/trace (beside
# nginx's own temporary directories), which nginx creates for the worker
# user; `trace_spool off` is the old memory-only behaviour, and drops.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Trace::Test;

plan skip_all => 'nginx creates /var/lib/nginx/trace only when started as root' if $> != 0;

my $DIR = '/var/lib/nginx/trace';
my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

# nginx -t: the new value and its mistakes
my ($rc, $out) = $t->nginx_test(<<'EOF2');
http {
    trace_db "host=127.0.0.1 port=1 dbname=trace";
    trace_spool off;
    trace_spool /tmp/x;
}
EOF2
isnt($rc, 0, 'nginx -t: a second trace_spool after "off" is refused');
like($out, qr/"trace_spool" directive is duplicate in \S+nginx\.conf:\d+/, '... as a duplicate, with file and line');

# --- the default: on, in /var/lib/nginx/trace ------------------------------------
my @before = glob("$DIR/trace-*.spool");
$t->start_recording_nginx(default_spool => 1,
    trace_db => '%%TRACE_DB%% connect_timeout=2',
    trace_flush_interval => '200ms',
    status => '/status');
my @dir = stat $DIR;
ok(@dir, "nginx created $DIR");
my ($worker) = $t->worker_pids;
my $worker_uid = (stat "/proc/$worker")[4];
is($dir[4], $worker_uid, 'it belongs to the worker user (uid ' . $worker_uid . ')');
is(sprintf('%04o', $dir[2] & 07777), '0700', 'and is mode 0700');

$pg->stop;
my @ids = map { $t->get("/default?n=$_")->{status} } 1 .. 200;
is(scalar(grep { $_ == 200 } @ids), 200, '200 requests served while PostgreSQL is down');
ok($t->wait_for(sub { $t->status_sum('/status', 'spool_bytes') > 0 }, 15), 'rows went to the default spool');
my @mine = grep { my $f = $_; !grep { $_ eq $f } @before } glob("$DIR/trace-*.spool");
ok(@mine > 0, "the worker's spool file is in $DIR (" . join(' ', @mine) . ')');
is($t->status_sum('/status', 'dropped_rows'), 0, 'nothing was dropped');

$pg->start;
ok($t->wait_for(sub {
    $pg->value(q{SELECT count(DISTINCT query) FROM trace.requests WHERE path = '/default'}) == 200 }, 30),
    'all 200 rows arrive once PostgreSQL is back');
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE path = '/default'}), 200, 'each exactly once');
ok($t->wait_for(sub { $t->status_sum('/status', 'spool_bytes') == 0 }, 20), 'the spool is empty again');
$t->stop_nginx;

# --- trace_spool off: memory only, so a full buffer drops ------------------------
$t->start_recording_nginx(
    trace_db => '%%TRACE_DB%% connect_timeout=2',
    trace_spool => 'off',
    trace_buffer_size => '64k',
    trace_batch_size => '8k',
    trace_flush_interval => '200ms',
    status => '/status');
$pg->stop;
$t->get("/off?n=$_") for 1 .. 1500;
ok($t->wait_for(sub { $t->status_sum('/status', 'dropped_rows') > 0 }, 10),
    'with trace_spool off and PostgreSQL down, a full buffer drops rows ('
    . $t->status_sum('/status', 'dropped_rows') . ')');
is($t->status_sum('/status', 'spooled_rows'), 0, 'and nothing is spooled');
$pg->start;
$t->stop_nginx;

$t->done;
