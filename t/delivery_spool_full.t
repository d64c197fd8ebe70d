# A spool that is full or cannot be written: nginx keeps answering every
# request; what cannot be kept is counted as dropped, reported by trace_status
# and logged at a limited rate; everything else still arrives.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

# The nginx of every part below; the spool is given with it.
sub start_nginx_with_spool {
    my ($spool) = @_;
    $t->start_recording_nginx(
        trace_db => '%%TRACE_DB%% connect_timeout=2',
        trace_flush_interval => '100ms',
        trace_buffer_size => '64k',
        trace_batch_size => '8k',
        trace_spool => $spool,
        access_log => 'off',
        status => '/status');
}

sub run_outage {
    my ($label, $count) = @_;
    $pg->stop;
    my $pad = 'p' x 150;
    my $served = $t->load($count, concurrency => 2, path => sub { "/$label?id=$_[0]&pad=$pad" });
    is($served, $count, "$label: every request answered");
    sleep 1;
    my $dropped = $t->status_sum('/status', 'dropped_rows');
    $pg->start;
    $t->wait_for(sub { $t->status_sum('/status', 'spool_bytes') == 0
        && $t->status_sum('/status', 'queued_rows') == 0 }, 30);
    sleep 0.5;
    my $stored = $pg->value('SELECT count(*) FROM trace.requests WHERE path = $1', "/$label");
    return ($dropped, $stored);
}

# --- full: 1 MB of spool, far more rows than fit -------------------------------------
start_nginx_with_spool('%%PREFIX%%/spool max_size=1m');
my ($dropped, $stored) = run_outage('full', 12000);
ok($dropped > 0, "full: rows beyond the spool were dropped and counted ($dropped)");
ok($stored > 0, "full: what the spool held arrived ($stored)");
is($stored + $dropped, 12000, 'full: every request is either stored or counted as dropped');
is($pg->value(q{SELECT count(*) - count(DISTINCT query) FROM trace.requests WHERE path = '/full'}), 0,
    'full: none twice');
my @warnings = grep { /the spool is full/ } split /\n/, Trace::Test::slurp($t->error_log);
ok(@warnings >= 1, 'full: the error log says the spool is full');
cmp_ok(scalar @warnings, '<=', 12, 'full: ... at a limited rate (' . scalar(@warnings) . ' lines)');

# --- unwritable: the directory is read-only for the workers --------------------------
$t->stop_nginx;
start_nginx_with_spool('%%PREFIX%%/spool max_size=1m');
my $spool = $t->nginx_prefix . '/spool';
chmod 0500, $spool;
($dropped, $stored) = run_outage('readonly', 3000);
chmod 0700, $spool;
ok($dropped > 0, "read-only: rows were dropped and counted ($dropped)");
is($stored + $dropped, 3000, 'read-only: every request is either stored or counted as dropped');
like(Trace::Test::slurp($t->error_log), qr/\[warn\].*cannot create spool file .*Permission denied/,
    'read-only: the error log says why');

# --- a real full disk: the spool on a 512 KB file system, max_size far above it ------
my $small = $t->base . '/small-fs';
my $mounted;
END { system('umount', $small) if $mounted }   # also when the test dies
SKIP: {
    mkdir $small;
    skip 'mounting a tmpfs needs root', 4
        unless $> == 0 && system("mount -t tmpfs -o size=512k tmpfs $small 2>/dev/null") == 0;
    $mounted = 1;
    chmod 0755, $small;
    $t->stop_nginx;
    start_nginx_with_spool("$small/spool max_size=1g");
    ($dropped, $stored) = run_outage('disk', 12000);
    $t->stop_nginx;
    system('umount', $small) == 0 and $mounted = 0;
    ok($dropped > 0, "full disk: rows were dropped and counted ($dropped)");
    ok($stored > 0, "full disk: what the disk held arrived ($stored)");
    is($stored + $dropped, 12000, 'full disk: every request is either stored or counted as dropped');
    like(Trace::Test::slurp($t->error_log), qr/\[warn\].*cannot write spool file .*No space left on device/,
        'full disk: the error log says why');
}

$t->done;
