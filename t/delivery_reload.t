# Reload and quit never lose or double a row, and never wait longer than the
# drain bound, even when PostgreSQL is down or hangs.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

my @recording = (workers => 2,
    trace_flush_interval => '200ms',
    trace_drain_timeout => '2s',
    trace_db_timeout => '30s',
    trace_spool => '%%PREFIX%%/spool',
    access_log => 'off',
    status => '/status');
sub start_with_db {
    my ($db) = @_;
    $t->start_recording_nginx(trace_db => $db, @recording);
}
my $module_db = '%%TRACE_DB%% connect_timeout=2';

# --- five reloads during load ------------------------------------------------------
start_with_db($module_db);
$t->start_background_load(clients => 2, path => '/reload');
my @took;
for (1 .. 5) {
    sleep 0.7;
    push @took, $t->reload_nginx(20);
}
sleep 1;
my @ids = $t->stop_background_load;
cmp_ok((sort { $b <=> $a } @took)[0], '<', 3, sprintf('each reload done in under 3 s (%s)',
    join ', ', map { sprintf '%.2f', $_ } @took));
$t->check_exactly_once(\@ids, '/reload');

# --- quit while PostgreSQL is down, then start with it up ----------------------------
$t->start_background_load(clients => 2, path => '/quit');
sleep 1;
$pg->stop;
sleep 1.5;
@ids = $t->stop_background_load;
my $quit = $t->stop_nginx;
cmp_ok($quit, '<', 5, sprintf('quit with PostgreSQL down done in %.2f s (drain bound 2 s)', $quit));
my @files = glob($t->nginx_prefix . '/spool/trace-*.spool');
ok(@files >= 1, 'what could not be sent is in the spool (' . scalar(@files) . ' files)');
is((stat $files[0])[2] & 07777, 0600, 'spool files are mode 0600') if @files;
is((getpwuid((stat $files[0])[4]))[0], $> == 0 ? 'nobody' : getpwuid($>), '... owned by the worker user') if @files;
$pg->start;
start_with_db($module_db);
$t->check_exactly_once(\@ids, '/quit');
ok($t->wait_for(sub { !glob($t->nginx_prefix . '/spool/trace-*.spool') }, 20),
    'the spool of the earlier nginx was replayed and removed');
like(Trace::Test::slurp($t->error_log), qr/replaying spool file .* left by an earlier worker/,
    'the error log says an earlier spool was replayed');

# --- a database that accepts connections but never answers ---------------------------
my $hung = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 128,
    Proto => 'tcp', ReuseAddr => 1) or die;
my $hung_port = $hung->sockport;
my $holder = fork // die;
if ($holder == 0) {
    my @held;
    while (my $c = $hung->accept) { push @held, $c }   # accept, never answer
    POSIX::_exit(0);
}
close $hung;
$t->stop_nginx;
start_with_db("host=127.0.0.1 port=$hung_port dbname=trace user=nginx_module");
my $served = $t->load(400, concurrency => 2, path => sub { "/hung?id=h-$_[0]" });
is($served, 400, 'requests answered at once while the database hangs');
sleep 0.5;
my $reload = $t->reload_nginx(30);
cmp_ok($reload, '<', 4.5, sprintf('reload with a hung database done in %.2f s (drain bound 2 s)', $reload));
$t->load(100, concurrency => 2, path => sub { "/hung?id=h-" . (400 + $_[0]) });
sleep 0.5;
my $quit_hung = $t->stop_nginx;
# (nginx's master itself takes about a second to exit after its last worker)
cmp_ok($quit_hung, '<', 5.5, sprintf('quit with a hung database done in %.2f s (drain bound 2 s)', $quit_hung));
kill 'KILL', $holder;
waitpid $holder, 0;
ok(glob($t->nginx_prefix . '/spool/trace-*.spool'), 'the rows are in the spool');
start_with_db($module_db);
$t->check_exactly_once([ map { "h-$_" } 0 .. 499 ], '/hung');

$t->done;
