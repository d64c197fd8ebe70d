# trace-ctl migrate creates the schema once, records what it applied, refuses a
# changed migration, serialises concurrent runs, and the roles it creates hold
# exactly the privileges they should.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres;
my @db = ('--db', $pg->conninfo);
my $migrations = () = glob(Trace::Test::root() . '/sql/*.sql');

my ($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--status');
is($rc, 0, 'status on an empty database');
like($out, qr/^pending\s+0001_init$/m, 'status lists 0001 as pending');

($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--dry-run');
like($out, qr/^would apply 0001_init$/m, 'dry run says what it would apply');
ok(!$pg->value("SELECT to_regclass('trace.requests') IS NOT NULL"), 'dry run changed nothing');

($rc, $out, $err) = $t->trace_ctl(@db, 'migrate');
is($rc, 0, 'first migrate succeeds') or diag($err);
like($out, qr/^applied 0001_init \(\d+ ms\)$/m, 'says what it applied');

for my $table (qw(requests audit batches rejected schema_migrations request_blocks
    request_blocks_backfill)) {
    ok($pg->value("SELECT to_regclass('trace.$table') IS NOT NULL"), "trace.$table exists");
}
# 0006: the block summaries in place of 0002's reading indexes of trace.requests.
my %indexes = map { $_ => 1 } @{ $pg->dbh->selectcol_arrayref(q{SELECT indexname FROM pg_indexes
    WHERE schemaname = 'trace' AND tablename = 'requests'}) };
is_deeply([grep { $indexes{$_} } map { "requests_${_}_idx" }
        qw(user_ts session_ts status_ts method_ts host_ts client_ts path_trgm)], [],
    'trace.requests: the seven reading indexes of 0002 are gone');
is_deeply([grep { !$indexes{$_} } qw(requests_ts_idx requests_unsummarised_idx)], [],
    '... its ts index stays, and the index of the rows not summarised is there');
# 0007: no primary key; the reader may read the identity sequence instead.
is_deeply([sort keys %indexes], [qw(requests_ts_idx requests_unsummarised_idx)],
    '... and they are its only indexes: the primary key is gone');
ok($pg->value(q{SELECT has_sequence_privilege('trace_reader', 'trace.requests_id_seq', 'SELECT')}),
    'trace_reader may read the sequence of the ids of trace.requests');
is($pg->value('SELECT count(*) FROM trace.schema_migrations'), $migrations,
    'every migration recorded');
like($pg->value('SELECT checksum FROM trace.schema_migrations WHERE version = 1'),
    qr/^[0-9a-f]{64}$/, 'checksum recorded');

my $columns = $pg->sql(q{SELECT column_name, data_type FROM information_schema.columns
    WHERE table_schema = 'trace' AND table_name = 'requests'});
my %type = map { $_->[0] => $_->[1] } @$columns;
is($type{client_addr}, 'inet', 'client_addr is inet');
is($type{ts}, 'timestamp with time zone', 'ts is timestamptz');
is($type{status}, 'integer', 'status is an integer');
is($type{duration}, 'interval', 'duration is an interval (microseconds)');

($rc, $out, $err) = $t->trace_ctl(@db, 'migrate');
is($rc, 0, 'second migrate succeeds');
like($out, qr/up to date.*nothing to do/, 'second migrate is a no-op that says so');
is($pg->value('SELECT count(*) FROM trace.schema_migrations'), $migrations,
    'still every migration, once');

($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--status');
like($out, qr/^applied\s+0001_init\s+\d{4}-/m, 'status lists 0001 as applied');
like($out, qr/$migrations applied, 0 pending/, 'status counts');

# The module's role may only insert.
$pg->sql('CREATE ROLE writer LOGIN IN ROLE trace_writer');
my $w = $pg->dbh(user => 'writer');
ok(eval { $w->do(q{INSERT INTO trace.requests (ts, host, path, status)
    VALUES (now(), 'h', '/', 200)}); 1 }, 'trace_writer can INSERT into requests') or diag($@);
ok(eval { $w->do(q{INSERT INTO trace.audit (ts, host, action, user_name)
    VALUES (now(), 'h', 'login', 'alice')}); 1 }, 'trace_writer can INSERT into audit') or diag($@);
ok(eval {
        $w->do(q{COPY trace.requests (ts, host) FROM STDIN});
        $w->pg_putcopydata("2026-01-01 00:00:00+00\th\n");
        $w->pg_putcopyend;
        1
    }, 'trace_writer can COPY into requests') or diag($@);
for my $stmt ('SELECT * FROM trace.requests', 'SELECT * FROM trace.audit',
    'DELETE FROM trace.requests', 'UPDATE trace.audit SET user_name = NULL',
    'TRUNCATE trace.requests', 'SELECT * FROM trace.batches')
{
    ok(!eval { $w->do($stmt); 1 }, "trace_writer is refused: $stmt");
    like($@, qr/permission denied/, "... because of permissions: $stmt");
}

$pg->sql('CREATE ROLE reader LOGIN IN ROLE trace_reader');
my $rd = $pg->dbh(user => 'reader');
is($rd->selectrow_array('SELECT count(*) FROM trace.requests'), 2, 'trace_reader can SELECT');
ok(!eval { $rd->do(q{INSERT INTO trace.audit (ts, host, action) VALUES (now(), 'h', 'login')}); 1 },
    'trace_reader cannot INSERT');
ok(!eval { $rd->do('DELETE FROM trace.requests'); 1 }, 'trace_reader cannot DELETE');

# An applied migration whose file changed is refused, naming it.
$pg->sql(q{UPDATE trace.schema_migrations SET checksum = repeat('0', 64) WHERE version = 1});
($rc, $out, $err) = $t->trace_ctl(@db, 'migrate');
isnt($rc, 0, 'changed migration: non-zero exit');
like($err, qr/migration 0001_init\.sql was applied with checksum 000000000000\.\.\. but the file now has/,
    'changed migration: error names it');

# Two runs at once on a fresh database: exactly one applies.
$pg->superuser_sql('CREATE DATABASE race');
my @pids;
my $dir = $t->base;
for my $i (1, 2) {
    my $pid = fork // die;
    if ($pid == 0) {
        my ($c, $o, $e) = Trace::Test::run(Trace::Test::build() . '/trace-ctl', '--db',
            $pg->conninfo(dbname => 'race'), 'migrate');
        Trace::Test::spew("$dir/race$i", "$c\n$o$e");
        POSIX::_exit(0);
    }
    push @pids, $pid;
}
waitpid $_, 0 for @pids;
my @results = map { Trace::Test::slurp("$dir/race$_") } 1, 2;
is(scalar(grep { /^0\n/ } @results), 2, 'both concurrent runs succeed') or diag(@results);
is(scalar(grep { /applied 0001_init/ } @results), 1, 'exactly one applied the migration');
is(scalar(grep { /nothing to do/ } @results), 1, 'the other found nothing to do');
my $race = $pg->dbh(dbname => 'race');
is($race->selectrow_array('SELECT count(*) FROM trace.schema_migrations'), $migrations,
    'every migration recorded once in the raced database');

# --distribute on plain PostgreSQL: one clear line, exit 1, and nothing
# applied (a fresh database stays empty). The line's advice depends on whether
# this machine has Citus installed (make test-citus installs it).
$pg->superuser_sql('CREATE DATABASE plain');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(dbname => 'plain'), 'migrate',
    '--distribute');
is($rc, 1, '--distribute without Citus: exit 1');
like($err, qr/^trace-ctl migrate: --distribute needs a Citus coordinator, and database "plain" has no citus extension \((Citus is not installed on this PostgreSQL server|CREATE EXTENSION citus there, and on the workers, first)\)\n\z/,
    '... one line that says why')
    or diag($err);
is($out, '', '... nothing on stdout');
ok(!$pg->dbh(dbname => 'plain')->selectrow_array(q{SELECT to_regnamespace('trace') IS NOT NULL}),
    '... and nothing applied');

# A database name that would drive a terminal is shown escaped.
$pg->superuser_sql(qq{CREATE DATABASE "e\e[2Jq'"});
($rc, $out, $err) = $t->trace_ctl('--db', 'host=127.0.0.1 port=' . $pg->port
    . qq{ user=postgres dbname='e\e[2Jq\\''}, 'migrate', '--distribute');
is($rc, 1, '--distribute on a database with ESC in its name: exit 1');
like($err, qr/database "e\\x1b\[2Jq'" has no citus extension/, '... the name shown with ESC escaped')
    or diag($err);
unlike($err, qr/\e/, '... and no ESC byte on stderr');

# --to: only as far as that version; never backwards.
$pg->superuser_sql('CREATE DATABASE staged');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(dbname => 'staged'), 'migrate', '--to', '1');
is($rc, 0, 'migrate --to 1') or diag($err);
like($out, qr/^applied 0001_init .*\nschema is at version 1$/ms, '... applies 0001 and stops');
unlike($out, qr/0002/, '... and nothing after it');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(dbname => 'staged'), 'migrate');
is($rc, 0, 'then migrate') or diag($err);
like($out, qr/^applied 0002_/m, '... applies the rest');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(dbname => 'staged'), 'migrate', '--to', '1');
is($rc, 1, 'migrate --to an older version than the schema: exit 1');
like($err, qr/^trace-ctl migrate: the schema is at version \d+ already, newer than --to 1; migrations are never undone$/,
    '... saying so');

# No database: a clear error and exit 1.
($rc, $out, $err) = $t->trace_ctl('--db', 'host=127.0.0.1 port=1 connect_timeout=2', 'migrate');
is($rc, 1, 'unreachable database: exit 1');
like($err, qr/^trace-ctl migrate: cannot connect to PostgreSQL: /, 'unreachable database: one clear line');
is(scalar(split /\n/, $err), 1, 'unreachable database: exactly one line');

$t->done;
