# The contract between the module, trace-ctl and sql/: common/trace_contract.h
# names the columns the module's rows fill and the audit actions; a database
# migrated from sql/ must have exactly those, and trace-ctl must show every
# column of both tables. A migration that adds a column, or a rename on one
# side only, fails here before it fails in production.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Reading qw(insert_rows decode_json_output);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

# --- what trace_contract.h says ----------------------------------------------------
my $header = Trace::Test::slurp(Trace::Test::root() . '/common/trace_contract.h');
sub macro_string {
    my ($name) = @_;
    my ($body) = $header =~ /^#define $name\b((?:.*\\\n)*.*)$/m or die "no $name in trace_contract.h";
    return join '', $body =~ /"([^"]*)"/g;
}
my %contract = (
    requests => [split /,\s*/, macro_string('TRACE_REQUEST_COLUMNS')],
    audit => [split /,\s*/, macro_string('TRACE_AUDIT_COLUMNS')],
);
my @actions = map { macro_string("TRACE_ACTION_$_") } qw(LOGIN LOGOUT LOGIN_FAILED);
is_deeply(\@actions, [qw(login logout login_failed)], 'trace_contract.h names the three actions');
like($header, qr/#define TRACE_ACTIONS\s+\{ TRACE_ACTION_LOGIN, TRACE_ACTION_LOGOUT, TRACE_ACTION_LOGIN_FAILED \}/,
    '... and TRACE_ACTIONS lists all three');

# --- what the migrated database has --------------------------------------------------
sub db_columns {
    my ($table) = @_;
    my $rows = $pg->dbh->selectcol_arrayref(
        "SELECT column_name FROM information_schema.columns
         WHERE table_schema = 'trace' AND table_name = ? ORDER BY ordinal_position", undef, $table);
    return @$rows;
}
# summarised (sql/0006) is not a request's data but whether blocks cover the
# row: the module appends it to the contract's columns where the database has
# blocks, and an older module leaves it to its default.
# batch_key (sql/0008) is the batch's distribution value: every column takes
# it from the transaction's setting, and no module names it.
my %bookkeeping = (requests => ['summarised', 'batch_key'], audit => ['batch_key']);
for my $table (qw(requests audit)) {
    my %aside = map { $_ => 1 } 'id', @{ $bookkeeping{$table} };
    my @db = db_columns($table);
    is_deeply([sort grep { !$aside{$_} } @db], [sort @{ $contract{$table} }],
        "trace.$table: the columns the module fills are every column but "
        . join(' and ', sort keys %aside));
    my %seen;
    is_deeply([grep { $seen{$_}++ } @{ $contract{$table} }], [], '... each named once');
}
is_deeply($pg->sql(q{SELECT data_type, is_nullable, column_default FROM information_schema.columns
    WHERE table_schema = 'trace' AND table_name = 'requests' AND column_name = 'summarised'}),
    [['boolean', 'NO', 'false']],
    'trace.requests.summarised: a boolean, false unless the module says otherwise');
ok(!grep({ $_ eq 'summarised' } @{ $contract{requests} }),
    '... and not one of the columns every module fills');
for my $table (qw(requests audit batches rejected request_blocks)) {
    is_deeply($pg->sql(q{SELECT data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_schema = 'trace' AND table_name = ? AND column_name = 'batch_key'}, $table),
        [['integer', 'NO',
          q{COALESCE((NULLIF(current_setting('trace.batch_key'::text, true), ''::text))::integer, 0)}]],
        "trace.$table.batch_key: an integer, the transaction's trace.batch_key, else 0");
}
my $check = $pg->value(q{SELECT pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = 'trace.audit'::regclass AND contype = 'c'
      AND pg_get_constraintdef(oid) LIKE '%action%'});
is_deeply([sort $check =~ /'([a-z_]+)'::text/g], [sort @actions],
    'trace.audit.action allows exactly the actions of trace_contract.h') or diag($check);

# --- what trace-ctl shows ------------------------------------------------------------
insert_rows($pg, 'requests', { ts => time, host => 'h', status => 200, path => '/' });
insert_rows($pg, 'audit', { ts => time, host => 'h', action => 'login', user_name => 'u' });
for my $command (qw(requests audit)) {
    my ($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo, $command, '--format', 'json');
    is($rc, 0, "trace-ctl $command --format json") or diag($err);
    my ($row) = @{ decode_json_output($out) };
    my %aside = map { $_ => 1 } @{ $bookkeeping{$command} };
    is_deeply([sort keys %{ $row // {} }], [sort grep { !$aside{$_} } db_columns($command)],
        "... shows every column of trace.$command, and only those ("
        . (%aside ? 'but ' . join(', ', sort keys %aside) : 'all') . ')');
}

$t->done;
