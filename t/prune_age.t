# trace-ctl prune by age, beside the counts: max_age_days (--max-age) deletes
# trace.requests rows whose ts is older, max_audit_age_days (--max-audit-age)
# trace.audit rows; rows replayed late from a spool (old ts, new id) go too;
# with a count as well, both limits hold.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
my $dir = $t->base;

sub config {
    my (%keys) = @_;
    my $text = sprintf(qq{database = "%s"\n}, $pg->conninfo(user => 'trace_ops'));
    $text .= "$_ = $keys{$_}\n" for sort keys %keys;
    Trace::Test::spew("$dir/trace.toml", $text);
}
sub prune { $t->trace_ctl('--config', "$dir/trace.toml", 'prune', @_) }
sub value { $pg->value(@_) }

# One request every 6 hours for 60 days, oldest first, each mid-way between two
# whole days (so that no row sits on a limit); then 20 rows "replayed
# from a spool": inserted last (highest ids) but 45 days old. Audit: one event a
# day for 60 days. Blocks as the module writes them: one for every 4
# consecutive ids, from its rows' times (block 29 is the last one older than 30
# days, block 52 holds ids 209 to 212).
sub fill {
    $pg->sql('TRUNCATE trace.requests, trace.audit, trace.request_blocks');
    $pg->sql(q{INSERT INTO trace.requests (ts, host, path, status)
        SELECT now() - make_interval(hours => 6 * g - 3), 'web', '/in-order', 200
        FROM generate_series(240, 1, -1) g});
    $pg->sql(q{INSERT INTO trace.requests (ts, host, path, status)
        SELECT now() - make_interval(days => 45, secs => g), 'web', '/replayed', 200
        FROM generate_series(1, 20) g});
    $pg->sql(q{INSERT INTO trace.audit (ts, host, action, user_name)
        SELECT now() - make_interval(days => g, hours => -12), 'web', 'login', 'u' || g
        FROM generate_series(60, 1, -1) g});
    $pg->sql(q{INSERT INTO trace.request_blocks (host, batch_id, block, first_ts, last_ts, row_count, keys, grams)
        SELECT 'web', 'fill', (id - m) / 4, min(ts), max(ts), count(*), '\x00'::bytea, '\x00'::bytea
        FROM trace.requests, (SELECT min(id) AS m FROM trace.requests) f GROUP BY (id - m) / 4});
}
sub blocks { value('SELECT count(*) FROM trace.request_blocks') }
sub blocks_left {
    $pg->dbh->selectcol_arrayref('SELECT block FROM trace.request_blocks ORDER BY block');
}
# Rows left that no block left covers: there must never be one.
sub uncovered {
    value(q{SELECT count(*) FROM trace.requests r WHERE NOT EXISTS (SELECT FROM trace.request_blocks b
        WHERE r.ts BETWEEN b.first_ts AND b.last_ts)});
}
sub older_than { value("SELECT count(*) FROM trace.$_[0] WHERE ts < now() - make_interval(days => $_[1])") }

# --- max_age_days ---------------------------------------------------------------------
fill();
config(max_age_days => 30);
my $old = older_than('requests', 30);
is($old, 120 + 20, 'the table holds 140 rows older than 30 days, 20 of them replayed late');
my ($rc, $out, $err) = prune('--dry-run');
is($rc, 0, 'dry run: exit 0') or diag($err);
like($out, qr/^trace\.requests: would delete 140 rows older than \S+ \S+ \(30 days\)$/m,
    'dry run says how many rows are older and than when') or diag($out);
is(value('SELECT count(*) FROM trace.requests'), 260, '... and deletes nothing');

($rc, $out, $err) = prune('--batch-size', 7);
is($rc, 0, 'prune with max_age_days = 30: exit 0') or diag($err);
like($out, qr/^trace\.requests: deleted 140 rows older than \S+ \S+ \(30 days\) \([\d.]+ s\)$/m,
    'it says what it deleted') or diag($out);
is(older_than('requests', 30), 0, 'no row older than 30 days is left');
is(value(q{SELECT count(*) FROM trace.requests WHERE path = '/replayed'}), 0,
    '... the late-replayed rows included');
is(value('SELECT count(*) FROM trace.requests'), 120, 'every younger row is kept');
like($out, qr/^trace\.request_blocks: deleted 35 blocks that end before the oldest request left \(\S+ \S+\) \([\d.]+ s\)$/m,
    'the 30 blocks of those rows and the 5 of the replayed ones are deleted') or diag($out);
is_deeply(blocks_left(), [30 .. 59], '... the blocks of the rows kept stay');
is(uncovered(), 0, '... and each row left is in one');
like($out, qr/^trace\.audit: every row kept \(neither max_audit_count nor max_audit_age_days is set\)$/m,
    'trace.audit is not touched by max_age_days');
is(value('SELECT count(*) FROM trace.audit'), 60, '... and keeps its 60 rows');

($rc, $out) = prune();
like($out, qr/^trace\.requests: no row older than \S+ \S+ \(30 days\)$/m, 'a second run finds nothing to delete');

# --- the flags override the file; the audit table by its own age ------------------------
fill();
($rc, $out, $err) = prune('--max-age', '10d', '--max-audit-age', '7');
is($rc, 0, '--max-age 10d --max-audit-age 7: exit 0') or diag($err);
is(older_than('requests', 10), 0, '--max-age 10d overrides max_age_days = 30');
is(value('SELECT count(*) FROM trace.requests'), 40, '... keeping the 40 rows of the last 10 days');
is(older_than('audit', 7), 0, '--max-audit-age 7 deletes older audit rows');
is(value('SELECT count(*) FROM trace.audit'), 7, '... keeping a week of them');

# --- both limits: a count and an age -------------------------------------------------------
fill();
config(max_age_days => 30, max_log_count => 50, max_audit_count => 40, max_audit_age_days => 20);
($rc, $out, $err) = prune();
is($rc, 0, 'count and age together: exit 0') or diag($err);
# The count keeps the 50 latest requests by time: the late-replayed rows are 45
# days old and none of them; the age then finds nothing older among the 50.
is(value('SELECT count(*) FROM trace.requests'), 50, 'the count keeps the 50 latest requests');
is(older_than('requests', 30), 0, '... and no row is older than the age');
is(value(q{SELECT count(*) FROM trace.requests WHERE path = '/in-order'}), 50,
    '... the 50 newest in-order rows, none replayed');
is(value('SELECT count(*) FROM trace.audit'), 20, 'audit: the age bounds it (20 < 40)');
# The in-order rows 191 to 240 are left: block 47 (189 to 192) holds two of them
# and stays.
is_deeply(blocks_left(), [47 .. 59], 'blocks: those of the rows left stay, one half gone included');
is(uncovered(), 0, '... and each row left is in one');

fill();
config(max_age_days => 30, max_log_count => 1000);
prune();
is(value('SELECT count(*) FROM trace.requests'), 120, 'a generous count: the age decides');

# --- bad values -------------------------------------------------------------------------
for my $bad ('0', '-3', '30h', 'x', '36501') {
    ($rc, $out, $err) = prune('--max-age', $bad);
    is($rc, 2, "--max-age $bad: exit 2");
    like($err, qr/^--max-age: "\Q$bad\E" is not a number of days from 1 to 36500 \(30, or 30d\)$/m,
        '... with one clear line') or diag($err);
}
config(max_age_days => '"30d"');
($rc, $out, $err) = prune();
is($rc, 2, 'max_age_days = "30d" in the file: exit 2');
like($err, qr/trace\.toml.*max_age_days/, '... naming the file and the key') or diag($err);

$t->done;
