# A spool directory that the workers cannot write is found when they start,
# not at the next outage: nginx -t and the start pass (they run as root, who
# can write anywhere), then each worker, as its user, tries a file there, logs
# one message naming the directory and the user, and trace_status shows
# "spool_usable": false. A usable spool shows true; trace_spool off, null.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP ();
use Trace::Test;

plan skip_all => 'needs root, to run the workers as nobody' if $> != 0;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
my $base = $t->base;

# Only root may enter the parent; nginx's master (root) still creates the
# spool directory in it, for the worker's user, at the start.
mkdir "$base/locked", 0700 or die "mkdir: $!";
chmod 0700, "$base/locked";
my $spool = "$base/locked/spool";

my @conf = (workers => 2, trace_flush_interval => '100ms', status => '/status');
my $conf = $t->recording_nginx_conf(@conf, trace_spool => $spool);
my ($rc, $out) = $t->nginx_test($conf);
is($rc, 0, 'nginx -t passes: it runs as root') or diag($out);

$t->start_recording_nginx(@conf, trace_spool => $spool);
my $message = qr{\[error\] \d+#\d+: trace: the spool directory \Q$spool\E cannot be written by the worker's user nobody \(uid \d+\): cannot create a file in \Q$spool\E: Permission denied; rows that cannot be sent wait in memory only};
my @lines;
ok($t->wait_for(sub { @lines = Trace::Test::slurp($t->error_log) =~ /$message/g; @lines == 2 }, 10),
    'one message per worker, naming the directory and the user')
    or diag(Trace::Test::slurp($t->error_log));

# "spool_usable" of each worker, once there are two and they show $want (a
# worker's entry is there a moment before its exporter has checked).
sub usable {
    my ($want) = @_;
    my $json = sub { my ($v) = @_;
        !defined $v ? 'null' : JSON::PP::is_bool($v) ? ($v ? 'true' : 'false') : "\"$v\"" };
    my $text = sub { join ',', map { $json->($_->{spool_usable}) } @{ $_[0] } };
    my $got;
    $t->wait_for(sub {
        $got = [map { { spool_usable => $_->{spool_usable} } } @{ $t->status_workers('/status') }];
        $text->($got) eq $want
    }, 5);
    return $text->($got);
}

is(usable('false,false'), 'false,false', 'trace_status: "spool_usable": false in each worker');

# Recording itself goes on: the database is up.
is($t->get('/while-unusable')->{status}, 200, 'requests are answered');
ok($t->wait_for(sub { $pg->value(q{SELECT count(*) FROM trace.requests WHERE path = '/while-unusable'}) == 1 }, 10),
    'and recorded');

# trace-ctl status shows it per worker.
my $url = 'http://127.0.0.1:' . $t->port . '/status';
($rc, $out) = $t->trace_ctl('--db', $pg->conninfo, 'status', '--status-url', $url);
like($out, qr/worker pid=\d+ .*spool_usable=false/, 'trace-ctl status: spool_usable=false') or diag($out);

# The same spool where the worker can reach it: usable; and with trace_spool off, null.
$t->stop_nginx;
chmod 0755, "$base/locked";
$t->start_recording_nginx(@conf, trace_spool => $spool);
is(usable('true,true'), 'true,true', 'a spool the workers can write: true');
$t->stop_nginx;
$t->start_recording_nginx(@conf, trace_spool => 'off');
is(usable('null,null'), 'null,null', 'trace_spool off: null');
is(scalar(() = Trace::Test::slurp($t->error_log) =~ /$message/g), 2,
    'no further message once the directory is usable');
opendir my $dh, $spool or die;
is_deeply([grep { !/^\.\.?$/ } readdir $dh], [], 'the check leaves no file behind');

$t->done;
