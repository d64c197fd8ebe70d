# trace-ctl requests/audit --follow: prints the newest rows, then every row
# written after it started, once, as tail -f does; only rows that match its
# filters; and a row whose transaction commits after a newer id became visible
# (two nginx workers committing concurrently) is not skipped.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Reading qw(insert_rows write_module_batch decode_json_output start_background wait_for_output
    stop_background);
use Time::HiRes qw(time sleep);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
$pg->sql('CREATE ROLE reader LOGIN IN ROLE trace_reader');
my @trace_ctl = (Trace::Test::build() . '/trace-ctl', '--db', $pg->conninfo(user => 'reader'));

sub request_row {
    my ($user, $path, $ts) = @_;
    return { ts => $ts // time, host => 'web-1', method => 'GET', path => $path, status => 200,
        user_name => $user };
}

sub json_lines {
    my ($out) = @_;
    return map { decode_json_output($_) } grep { length } split /\n/, $out;
}

insert_rows($pg, 'requests', map { request_row('alice', "/old/$_", time - 100 + $_) } 1 .. 5);
insert_rows($pg, 'requests', request_row('bob', '/old/bob'));

# --- JSON lines, filtered ---------------------------------------------------------
my $bg = start_background(@trace_ctl, 'requests', '--follow', '--format', 'json',
    '--interval', '0.2', '--limit', 3, '--user', 'alice');
my $out = wait_for_output($bg, sub { ($_[0] =~ tr/\n//) >= 3 });
my @backlog = json_lines($out);
is_deeply([map { $_->{path} } @backlog], ['/old/3', '/old/4', '/old/5'],
    'starts with the newest --limit rows, oldest first, one JSON object per line');

my ($bob_id) = insert_rows($pg, 'requests', request_row('bob', '/new/bob'));
my ($new_id) = insert_rows($pg, 'requests', request_row('alice', '/new/1'));
$out = wait_for_output($bg, sub { $_[0] =~ m{"/new/1"} });
like($out, qr{"path":"/new/1"}, 'a row written after it started is printed');
ok(!grep({ $_->{id} == $bob_id } json_lines($out)), "another user's row is not");

# Worker A's transaction takes an id and commits late; worker B's newer id is
# visible first. Both must be printed, each once.
my $worker_a = DBI->connect('dbi:Pg:dbname=trace;host=127.0.0.1;port=' . $pg->port, 'postgres',
    '', { RaiseError => 1, AutoCommit => 0 });
my ($late_id) = $worker_a->selectrow_array(q{INSERT INTO trace.requests
    (ts, host, method, path, status, user_name) VALUES (now(), 'web-2', 'GET', '/late', 200,
    'alice') RETURNING id});
my ($early_id) = insert_rows($pg, 'requests', request_row('alice', '/early'));
ok($late_id < $early_id, 'the late row has the lower id');
$out = wait_for_output($bg, sub { $_[0] =~ m{"/early"} });
like($out, qr{"/early"}, 'the newer id is printed while the older one is not committed');
sleep 1;   # a few polls go by with the gap below /early
$worker_a->commit;
$worker_a->disconnect;
$out = wait_for_output($bg, sub { $_[0] =~ m{"/late"} }, 5);
like($out, qr{"/late"}, 'the row committed late, below a printed id, is printed too');

my @printed = json_lines($out);
my %times;
$times{ $_->{id} }++ for @printed;
ok(!grep({ $_ > 1 } values %times), 'no row is printed twice') or diag($out);
is(scalar(@printed), 6, 'backlog 3 + /new/1 + /early + /late');

my $status = stop_background($bg);
is($status & 127, 15, 'it runs until stopped (SIGTERM)');
my (undef, $err) = Trace::Test::Reading::background_output($bg);
is($err, '', 'nothing on stderr');

# --- rows as the module writes them: summarised, with their blocks -------------------------
# trace.requests has no index on id (sql/0007): --follow finds these through
# the ledger entries committed since it last looked and their blocks' times.
# A batch is one transaction (Trace::Test::Reading::write_module_batch).
my $batch_n = 0;
sub module_batch {
    my ($dbh, @rows) = @_;
    write_module_batch($dbh, 'web-3', 'follow-' . ++$batch_n, @rows);
}
my $module = sub {
    DBI->connect('dbi:Pg:dbname=trace;host=127.0.0.1;port=' . $pg->port, 'postgres', '',
        { RaiseError => 1, AutoCommit => 0, PrintWarn => 0 });
};
my $writer = $module->();
$bg = start_background(@trace_ctl, 'requests', '--follow', '--format', 'json',
    '--interval', '0.2', '--limit', 1, '--user', 'alice');
wait_for_output($bg, sub { ($_[0] =~ tr/\n//) >= 1 });
module_batch($writer, map({ { ts => time, path => "/batch/$_", user => 'alice' } } 1 .. 3),
    { ts => time, path => '/batch/bob', user => 'bob' });
$writer->commit;
$out = wait_for_output($bg, sub { $_[0] =~ m{"/batch/3"} });
like($out, qr{"/batch/1".*"/batch/2".*"/batch/3"}s, 'a batch with blocks: its rows are printed');
unlike($out, qr{/batch/bob}, "... but not another user's");

# A batch that takes its ids first and commits late, after a newer batch is printed.
my $late = $module->();
module_batch($late, { ts => time, path => '/batch/late', user => 'alice' });
module_batch($writer, { ts => time, path => '/batch/early', user => 'alice' });
$writer->commit;
$out = wait_for_output($bg, sub { $_[0] =~ m{"/batch/early"} });
like($out, qr{"/batch/early"}, 'the newer batch is printed while the older one is not committed');
sleep 1;
$late->commit;
$late->disconnect;
# Replayed from a spool a day later: old times, new ids, a block a day old.
module_batch($writer, { ts => time - 86400, path => '/batch/replayed', user => 'alice' });
$writer->commit;
# And one row as a module before 0006 writes it: not summarised, no block.
insert_rows($pg, 'requests', request_row('alice', '/batch/unsummarised'));
$out = wait_for_output($bg, sub { $_[0] =~ m{"/batch/late"} && $_[0] =~ m{"/batch/replayed"}
    && $_[0] =~ m{"/batch/unsummarised"} }, 5);
like($out, qr{"/batch/late"}, 'the batch committed late, below a printed id, is printed');
like($out, qr{"/batch/replayed"}, 'a batch replayed with a day-old time is printed');
like($out, qr{"/batch/unsummarised"}, 'a row no block covers is printed');
sleep 1;    # a few more polls: nothing comes twice
($out) = Trace::Test::Reading::background_output($bg);
my @shown = grep { $_->{path} =~ m{^/batch/} } json_lines($out);
is_deeply([sort map { $_->{path} } @shown],
    [sort map({ "/batch/$_" } 1 .. 3), qw(/batch/early /batch/late /batch/replayed /batch/unsummarised)],
    'each row once');
stop_background($bg);
$writer->disconnect;

# --- text and CSV keep their layout as rows come in ------------------------------------
$bg = start_background({ env => { COLUMNS => 120 } }, @trace_ctl, 'requests', '--follow',
    '--interval', '0.2', '--limit', 1);
wait_for_output($bg, sub { ($_[0] =~ tr/\n//) >= 2 });
insert_rows($pg, 'requests', request_row('carol', '/text/' . ('y' x 300)));
$out = wait_for_output($bg, sub { $_[0] =~ m{/text/} });
my @lines = split /\n/, $out;
like($lines[0], qr/^TIME\s+HOST\s+METHOD/, 'text: one header, then rows');
like($lines[-1], qr{carol\s.*/text/y+\xe2\x80\xa6$}, 'text: the new row, cut to the width');
ok(!grep({ length($_) > 120 + 2 } @lines), 'text: within COLUMNS (ellipsis aside)');
stop_background($bg);

$bg = start_background(@trace_ctl, 'requests', '--follow', '--format', 'csv',
    '--interval', '0.2', '--limit', 1);
wait_for_output($bg, sub { ($_[0] =~ tr/\n//) >= 2 });
insert_rows($pg, 'requests', request_row('dave', '/csv,"quoted"'));
$out = wait_for_output($bg, sub { $_[0] =~ /dave/ });
like($out, qr/^id,ts,host,/, 'csv: the header once');
like($out, qr{,"/csv,""quoted""",}, 'csv: the new row, quoted');
stop_background($bg);

# --- audit --follow ------------------------------------------------------------------------------
$bg = start_background(@trace_ctl, 'audit', '--follow', '--format', 'json', '--interval', '0.2',
    '--failed-only');
sleep 0.5;
insert_rows($pg, 'audit', { ts => time, host => 'web-1', action => 'login', user_name => 'erin' },
    { ts => time, host => 'web-1', action => 'login_failed', user_name => 'mallory' });
$out = wait_for_output($bg, sub { $_[0] =~ /mallory/ });
my @events = json_lines($out);
is_deeply([map { "$_->{action} $_->{user_name}" } @events], ['login_failed mallory'],
    'audit --follow --failed-only prints the failed login, and only it');
stop_background($bg);

# --- the database goes away and comes back ---------------------------------------------------------
$bg = start_background(@trace_ctl, 'requests', '--follow', '--format', 'json', '--interval',
    '0.2', '--limit', 1);
wait_for_output($bg, sub { ($_[0] =~ tr/\n//) >= 1 });
$pg->stop('fast');
sleep 0.6;
$pg->start;
insert_rows($pg, 'requests', request_row('frank', '/after-restart'));
$out = wait_for_output($bg, sub { $_[0] =~ /after-restart/ }, 15);
like($out, qr{/after-restart}, 'after a database restart it reconnects and goes on');
stop_background($bg);
(undef, $err) = Trace::Test::Reading::background_output($bg);
like($err, qr/lost the database connection .* retrying every 0\.2 s\n.*connected again/s,
    'it said so on stderr');

# --- bad combinations ----------------------------------------------------------------------------
my ($rc, undef, $e) = $t->trace_ctl('--db', $pg->conninfo, 'requests', '--follow', '--until', '1h');
is($rc, 2, '--follow with --until: exit 2');
($rc, undef, $e) = $t->trace_ctl('--db', $pg->conninfo, 'audit', '--follow', '--summary');
is($rc, 2, '--follow with --summary: exit 2');

$t->done;
