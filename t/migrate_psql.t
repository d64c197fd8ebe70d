# The migration files read and run without trace-ctl: each applies with plain
# `psql -1 -f`, in order, on an empty database; trace-ctl then finds them all
# applied (it records the last one, which records the others) and the schema
# is the one trace-ctl makes. And a database that an earlier trace-ctl
# migrated to 0004 (the ledger its own, no 0000) upgrades to the same schema.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Digest::SHA qw(sha256_hex);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres;
my $bin = Trace::Test::Pg->bin_dir;
my @files = sort glob(Trace::Test::root() . '/sql/*.sql');
my @names = map { m{/(\d+_\w+)\.sql$} ? $1 : die "odd name $_" } @files;
my ($newest) = $names[-1] =~ /^0*(\d+)_/;

sub psql_file {
    my ($db, $file) = @_;
    return Trace::Test::run("$bin/psql", '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1',
        '-d', $pg->conninfo(dbname => $db), '-f', $file);
}

# The trace schema's definition, as pg_dump writes it (without the random key
# of its \restrict lines, which differs on every run).
sub schema_of {
    my ($db) = @_;
    my ($rc, $out, $err) = Trace::Test::run("$bin/pg_dump", '--schema-only', '-n', 'trace',
        '-d', $pg->conninfo(dbname => $db));
    die "pg_dump $db: $err" if $rc;
    $out =~ s/^\\(un)?restrict .*\n//mg;
    return $out;
}

sub ledger {
    my ($db) = @_;
    return $pg->dbh(dbname => $db)->selectall_arrayref(
        'SELECT version, name, checksum FROM trace.schema_migrations ORDER BY version');
}

$pg->superuser_sql("CREATE DATABASE $_") for qw(by_psql by_trace_ctl at_0004);

# Every file with psql -1 -f, in order.
for my $i (0 .. $#files) {
    my ($rc, $out, $err) = psql_file('by_psql', $files[$i]);
    is($rc, 0, "psql -1 -f $names[$i] applies on its own") or diag($err);
}
my @want_ledger = map {
    my ($v, $n) = $names[$_] =~ /^(\d+)_(\w+)$/;
    [$v + 0, $n, sha256_hex(Trace::Test::slurp($files[$_]))]
} 0 .. $#files;

my ($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(dbname => 'by_psql'), 'migrate');
is($rc, 0, 'trace-ctl migrate after psql') or diag($err);
is_deeply([$out =~ /^applied (\S+)/mg], [$names[-1]],
    '... records the last file, which recorded the others, and applies nothing else')
    or diag($out);
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(dbname => 'by_psql'), 'migrate');
like($out, qr/^schema is up to date \(version $newest\); nothing to do$/m, '... then has nothing to do');
is_deeply(ledger('by_psql'), \@want_ledger, '... and the ledger has every file with its checksum');

($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(dbname => 'by_trace_ctl'), 'migrate');
is($rc, 0, 'trace-ctl migrate on an empty database') or diag($err);
is_deeply([$out =~ /^applied (\S+)/mg], \@names, '... applies every file, 0000 first');
is_deeply(ledger('by_trace_ctl'), \@want_ledger, '... and records each');
my $reference = schema_of('by_trace_ctl');
like($reference, qr/CREATE TABLE trace\.requests/, 'pg_dump shows the schema');
is(schema_of('by_psql'), $reference, 'the schema psql made is the one trace-ctl makes');

# Upgrading a database an earlier trace-ctl migrated to 0004: it created the
# ledger itself (the statement it carried, the same table as 0000) and
# recorded 0001 to 0004. Written here as that trace-ctl did it.
my $at4 = $pg->dbh(dbname => 'at_0004');
$at4->do(q{CREATE SCHEMA IF NOT EXISTS trace;
    CREATE TABLE IF NOT EXISTS trace.schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())});
for my $i (grep { $names[$_] =~ /^000[1-4]_/ } 0 .. $#files) {
    ($rc, $out, $err) = psql_file('at_0004', $files[$i]);
    is($rc, 0, "0004's database: $names[$i]") or diag($err);
    $at4->do('INSERT INTO trace.schema_migrations (version, name, checksum) VALUES (?, ?, ?)',
        undef, @{ $want_ledger[$i] });
}
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(dbname => 'at_0004'), 'migrate', '--status');
like($out, qr/^pending\s+0000_schema_migrations$/m, 'status at 0004: 0000 pending');
unlike($err, qr/never applied/, '... and not a gap in the history');
($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo(dbname => 'at_0004'), 'migrate');
is($rc, 0, 'trace-ctl migrate upgrades from 0004') or diag($err);
is_deeply([$out =~ /^applied (\S+)/mg], [grep { !/^000[1-4]_/ } @names],
    '... applying 0000 and what came after 0004');
is_deeply(ledger('at_0004'), \@want_ledger, '... the ledger then has every file');
is(schema_of('at_0004'), $reference, '... and the schema is the one trace-ctl makes');

$t->done;
