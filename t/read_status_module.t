# trace-ctl status against the real module's trace_status location: the
# counters it shows are the module's, and they agree with the database.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

$t->start_recording_nginx(workers => 2,
    trace_flush_interval => '100ms',
    status => '/trace_status');

is($t->load(300, concurrency => 4, path => sub { "/s?id=$_[0]" }), 300, 'requests answered');
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') == 300 }, 10), 'rows arrived');

my $url = 'http://127.0.0.1:' . $t->port . '/trace_status';
my ($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo, 'status', '--status-url', $url);
is($rc, 0, 'status with the module: exit 0') or diag($out, $err);
like($out, qr/^module\s+\Q$url\E: 2 workers$/m, 'both workers shown');
like($out, qr/^\s+worker pid=\d+ started="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d" connected=true queued_rows=0 queued_bytes=0 sent_rows=\d+ /m,
    'a worker line with the module\'s own counters');
like($out, qr/^\s+total .*sent_rows=300 .*dropped_rows=0/m, 'the sum of sent rows is what the database holds');
unlike($out, qr/total .*\bpid=|total .*started=/, 'identities and times are not summed');

($rc, $out) = $t->trace_ctl('--db', $pg->conninfo, 'status', '--status-url', $url, '--format', 'json');
like($out, qr/"sent_rows":\s*300/, 'JSON carries the totals too');

$t->done;
