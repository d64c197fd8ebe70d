# Least privilege, shown rather than claimed: the module's database role can
# add rows and do nothing else; trace-ctl's reading role cannot write; the
# spool is the worker's alone; and a password that is really used (password
# authentication over TCP, from a passfile) never shows in ps, in nginx's error
# log or in trace-ctl's output.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use DBI;
use Time::HiRes qw(sleep);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
my $base = $t->base;

# --- database roles ------------------------------------------------------------------
my @tables = map { $_->[0] } @{ $pg->sql(q{SELECT tablename FROM pg_tables
    WHERE schemaname = 'trace' ORDER BY tablename}) };
my %have = map { $_ => 1 } @tables;
is(scalar(grep { $have{$_} } qw(audit batches rejected requests schema_migrations)), 5,
    "every trace table is checked: @tables");
$pg->sql('CREATE ROLE reader LOGIN IN ROLE trace_reader');

# Every statement must fail for want of privileges, not for any other reason.
sub refused {
    my ($dbh, $sql, $who) = @_;
    my $ok = eval { $dbh->do($sql); 1 };
    ok(!$ok && $@ =~ /permission denied/, "$who is refused: $sql")
        or diag($ok ? 'it succeeded' : $@);
}

my $writer = $pg->dbh(user => 'nginx_module');    # the module's login role (trace_writer)
my $reader = $pg->dbh(user => 'reader');
for my $table (@tables) {
    # (a column that may be set to itself: not a GENERATED ALWAYS identity)
    my $column = $pg->value(q{SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass
        AND attnum > 0 AND NOT attisdropped AND attidentity = '' ORDER BY attnum LIMIT 1},
        "trace.$table");
    for my $sql ("SELECT * FROM trace.$table", "SELECT count(*) FROM trace.$table",
        "COPY trace.$table TO STDOUT", "UPDATE trace.$table SET $column = $column",
        "DELETE FROM trace.$table", "TRUNCATE trace.$table")
    {
        refused($writer, $sql, 'the module');
    }
    for my $sql ("INSERT INTO trace.$table DEFAULT VALUES",
        "UPDATE trace.$table SET $column = $column", "DELETE FROM trace.$table",
        "TRUNCATE trace.$table")
    {
        refused($reader, $sql, 'trace_reader');
    }
}
refused($writer, q{INSERT INTO trace.schema_migrations (version, name, checksum)
    VALUES (999, 'x', 'x')}, 'the module');
ok(eval { $reader->do('SELECT count(*) FROM trace.requests'); 1 }, 'trace_reader can read');

# --- the block summaries of 0006 ------------------------------------------------------
# Every privilege a table can grant, as each role holds it (inherited ones
# included: trace_maintainer is a member of trace_reader).
my @privileges = qw(SELECT INSERT UPDATE DELETE TRUNCATE REFERENCES TRIGGER);
sub held {
    my ($role, $table) = @_;
    return [grep { $pg->value('SELECT has_table_privilege($1, $2, $3)', $role, $table, $_) }
        @privileges];
}
my %expected = (
    'trace.request_blocks' => { trace_writer => ['INSERT'], trace_reader => ['SELECT'],
        trace_maintainer => [qw(SELECT DELETE)] },
    'trace.request_blocks_backfill' => { trace_writer => [], trace_reader => ['SELECT'],
        trace_maintainer => ['SELECT'] },
);
for my $table (sort keys %expected) {
    for my $role (qw(trace_writer trace_reader trace_maintainer)) {
        is_deeply(held($role, $table), $expected{$table}{$role},
            "$role on $table: " . (join(', ', @{ $expected{$table}{$role} }) || 'nothing'));
    }
}
# And in use: the module adds a block, a reader reads it, prune's role deletes it.
my $insert_block = q{INSERT INTO trace.request_blocks (host, batch_id, block, first_ts, last_ts,
    row_count, keys, grams) VALUES ('h''q\\', 'b', 0, now(), now(), 1, '\x00', '\x00')};
ok(eval { $writer->do($insert_block); 1 }, 'the module can add a block') or diag($@);
refused($writer, 'INSERT INTO trace.request_blocks_backfill (through_id) VALUES (1)', 'the module');
refused($writer, 'UPDATE trace.requests SET summarised = true', 'the module');
is($reader->selectrow_array(q{SELECT host FROM trace.request_blocks}), "h'q\\",
    'trace_reader reads the block');
ok(eval { $reader->do('SELECT count(*) FROM trace.request_blocks_backfill'); 1 },
    'trace_reader reads the backfill mark') or diag($@);
my $maintainer = $pg->dbh(user => 'trace_ops');
refused($maintainer, 'INSERT INTO trace.request_blocks_backfill (through_id) VALUES (1)',
    'trace_maintainer');
is($maintainer->do('DELETE FROM trace.request_blocks'), 1, 'trace_maintainer deletes the block');

# --- a password that is really needed ------------------------------------------------
# The harness's PostgreSQL trusts everyone; these two roles must give a
# password over TCP (scram-sha-256), which only their passfiles hold.
my $password = 'Pw-' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 20) . '-zz';
my $wrong = 'Wrong-' . join('', map { ('a' .. 'z', 0 .. 9)[rand 36] } 1 .. 20) . '-qq';
$pg->sql("CREATE ROLE nginx_pw LOGIN PASSWORD '$password' IN ROLE trace_writer");
$pg->sql("CREATE ROLE ctl_pw LOGIN PASSWORD '$password' IN ROLE trace_reader");
my $hba = "$pg->{dir}/data/pg_hba.conf";
my $rules = Trace::Test::slurp($hba);
open my $fh, '>', $hba or die "cannot write $hba: $!";    # keeps its owner
print $fh "host trace nginx_pw,ctl_pw 127.0.0.1/32 scram-sha-256\n$rules";
close $fh;
$pg->superuser_sql('SELECT pg_reload_conf()');

my $port = $pg->port;
my $nobody_uid = $> == 0 ? (getpwnam('nobody'))[2] : $>;
sub passfile {
    my ($file, $user, $secret, $uid) = @_;
    Trace::Test::spew($file, "127.0.0.1:$port:trace:$user:$secret\n", 0600);
    chown $uid, -1, $file if defined $uid;
    return $file;
}
my $ctl_pass = passfile("$base/ctl.pgpass", 'ctl_pw', $password);
my $ctl_wrong = passfile("$base/ctl-wrong.pgpass", 'ctl_pw', $wrong);
my $nginx_pass = passfile("$base/nginx.pgpass", 'nginx_pw', $password, $nobody_uid);
my $ctl_db = "host=127.0.0.1 port=$port dbname=trace user=ctl_pw";

ok(!eval { DBI->connect("dbi:Pg:dbname=trace;host=127.0.0.1;port=$port", 'ctl_pw', '',
    { RaiseError => 1, PrintError => 0 }); 1 }, 'without its password the role cannot connect')
    and like($@, qr/password/, '... because a password is required');

# Everything each step printed, to look for the password in at the end.
my @seen;
sub seen { push @seen, [@_] }

my ($rc, $out, $err) = $t->trace_ctl('--verbose', '--db', "$ctl_db passfile=$ctl_pass",
    'migrate', '--status');
is($rc, 0, 'trace-ctl connects with the password from its passfile') or diag($err);
like($out, qr/applied\s+0001_init/, '... and reads the schema');
seen("trace-ctl --verbose migrate --status", "$out$err");

($rc, $out, $err) = $t->trace_ctl('--verbose', '--db', "$ctl_db passfile=$ctl_wrong",
    'migrate', '--status');
is($rc, 1, 'a wrong password in the passfile: exit 1');
like($err, qr/password authentication failed/, '... saying why');
seen('trace-ctl with a wrong password', "$out$err");

my ($trc, $tout) = $t->nginx_test(<<"EOF");
http { trace_db "host=127.0.0.1 port=$port dbname=trace user=nginx_pw password=$password"; }
EOF
isnt($trc, 0, 'nginx -t refuses a password in trace_db');
seen('nginx -t with a password in trace_db', $tout);

# --- nginx with the passfile, its spool, and ps -----------------------------------------
$t->start_recording_nginx(workers => 2,
    trace_db => "host=127.0.0.1 port=$port dbname=trace user=nginx_pw passfile=$nginx_pass connect_timeout=2",
    trace_flush_interval => '100ms',
    trace_spool => '%%PREFIX%%/spool',
    access_log => 'off');
is($t->load(20, path => sub { "/privileges?n=$_[0]" }), 20, 'requests answered');
ok($t->wait_for(sub { $pg->value(q{SELECT count(*) FROM trace.requests
    WHERE path = '/privileges'}) == 20 }, 15), 'the module logs in with its passfile: rows arrive');

# trace-ctl waits for the migration lock that this test holds, so that ps
# sees it running (and nginx's master and workers) with their whole command lines.
my $locker = $pg->dbh(dbname => 'trace');
$locker->do(q{SELECT pg_advisory_lock(x'6e67782d74726163'::bigint)});   # cmd_migrate.cpp's key
my $ctl_pid = fork // die;
if ($ctl_pid == 0) {
    my ($c, $o, $e) = $t->trace_ctl('--verbose', '--db', "$ctl_db passfile=$ctl_pass",
        'migrate', '--dry-run', '--lock-timeout', '30');
    Trace::Test::spew("$base/ctl-waiting.out", "$c\n$o$e");
    POSIX::_exit(0);
}
my $ps = '';
$t->wait_for(sub {
    $ps = `ps -eww -o pid,user,args`;
    $ps =~ /trace-ctl .*migrate --dry-run/;
}, 10);
like($ps, qr/trace-ctl .*migrate --dry-run/, 'ps shows trace-ctl at work');
like($ps, qr/nginx: worker process/, 'ps shows nginx\'s workers');
seen('ps', $ps);
my @cmdlines = map { Trace::Test::slurp($_) } glob('/proc/[0-9]*/cmdline');
seen('/proc/*/cmdline', join "\n", @cmdlines);
$locker->do('SELECT pg_advisory_unlock_all()');
waitpid $ctl_pid, 0;
like(Trace::Test::slurp("$base/ctl-waiting.out"), qr/^0\n/, 'trace-ctl finished once the lock was free');
seen('trace-ctl --verbose migrate --dry-run', Trace::Test::slurp("$base/ctl-waiting.out"));

# --- the spool: the worker's alone ------------------------------------------------------
SKIP: {
    skip 'checking other users needs root', 7 unless $> == 0;
    $pg->stop;
    $t->load(20, path => sub { "/spooled?n=$_[0]" });
    my $spool = $t->nginx_prefix . '/spool';
    my @files;
    $t->wait_for(sub { @files = glob("$spool/trace-*.spool") }, 15);
    ok(@files > 0, 'with PostgreSQL down, rows went to the spool (' . scalar(@files) . ' files)');
    my @dir = stat $spool;
    is(sprintf('%04o', $dir[2] & 07777), '0700', 'the spool directory is mode 0700');
    is((getpwuid $dir[4])[0], 'nobody', '... owned by the worker user');
    is(join(',', map { sprintf '%04o', (stat $_)[2] & 07777 } @files),
        join(',', map { '0600' } @files), 'spool files are mode 0600');
    my ($rc1) = Trace::Test::run('runuser', '-u', 'daemon', '--', 'ls', $spool);
    isnt($rc1, 0, 'another user (daemon) cannot list the spool directory');
    my ($rc2) = Trace::Test::run('runuser', '-u', 'daemon', '--', 'cat', $files[0] // '/x');
    isnt($rc2, 0, 'another user (daemon) cannot read a spool file');
    my ($rc3) = Trace::Test::run('runuser', '-u', 'daemon', '--', 'cat', $nginx_pass);
    isnt($rc3, 0, 'another user (daemon) cannot read the module\'s passfile');
    $pg->start;
}

$t->stop_nginx;
seen('nginx error log', Trace::Test::slurp($t->error_log));

# --- the password is nowhere ------------------------------------------------------------
ok(scalar(@seen) >= 7, 'every place was looked at (' . scalar(@seen) . ')');
for my $where (@seen) {
    my ($what, $text) = @$where;
    unlike($text, qr/\Q$password\E/, "the password is not in: $what");
    unlike($text, qr/\Q$wrong\E/, "the wrong password is not in: $what");
}

$t->done;
