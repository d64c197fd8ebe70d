# The module writes block summaries (sql/0006): each transaction of requests
# copies its rows marked summarised and inserts one row of trace.request_blocks
# per block of up to 256 of them, with the block's time range. Every row is
# then summarised and lies within a block of its batch, hostile values too,
# and each part of a batch split around a refused row has blocks of its own. A
# database before 0006 gets its rows as before, without error; trace-ctl
# migrate run while nginx runs is seen within the sender's recheck (30 s); and
# a schema that loses the blocks under the module costs a retry, never a row.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep time);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

# Batches of about 320 rows (64k): a flush interval long enough that the batch
# size seals them, small enough that the last one does not keep the test
# waiting.
sub conf {
    my ($db, $spool) = @_;
    return <<"EOF";
http {
    trace_db "$db";
    trace_spool %%PREFIX%%/$spool;
    trace_flush_interval 1s;
    trace_batch_size 64k;
    large_client_header_buffers 4 16k;
    server {
        listen 127.0.0.1:%%PORT%%;
        trace on;
        trace_only_authenticated off;
        location / { return 200 "ok\\n"; }
    }
}
EOF
}
$t->nginx(conf('%%TRACE_DB%%', 'spool'));

sub wait_count {
    my ($db, $n, $timeout) = @_;
    my $dbh = $pg->dbh(dbname => $db);
    return $t->wait_for(sub {
        $dbh->selectrow_array('SELECT count(*) FROM trace.requests') >= $n }, $timeout // 20);
}

# --- a migrated database: every row is summarised and covered ------------------
my $n = 900;
is($t->load($n, concurrency => 4, path => sub { "/item/$_[0]?page=" . ($_[0] % 7) }), $n,
    "$n requests answered");

# Values a client chooses, through the path and the user ($remote_user, from
# Basic credentials, which may carry any byte).
my @paths = (q{/h/quote'single"double}, '/h/back\\slash\\\\', '/h/tab%09here', '/h/nul%00byte',
    '/h/' . ('a' x 8192));
my @users = ("quote'single", 'back\\slash', "tab\there", "nul\x00byte", "\\N", "\xff\xfe");
# nginx refuses a %00 in the path (400), and records the request all the same.
is($t->get($_)->{status}, /%00/ ? 400 : 200, 'hostile path answered: ' . substr($_, 0, 24))
    for @paths;
for my $k (0 .. $#users) {
    is($t->get("/u/$k", Authorization => 'Basic ' . encode_base64("$users[$k]:pw", ''))->{status},
        200, "hostile user $k answered");
}
my $total = $n + @paths + @users;
ok(wait_count('trace', $total), 'every row arrived');
is($pg->value('SELECT count(*) FROM trace.requests'), $total, 'exactly one row per request');
is($pg->value('SELECT count(*) FROM trace.rejected'), 0, 'nothing was refused');

is($pg->value('SELECT count(*) FROM trace.requests WHERE NOT summarised'), 0,
    'every row the module wrote is summarised');
is($pg->value('SELECT sum(row_count) FROM trace.request_blocks'), $total,
    "the blocks' row counts add up to the rows");
my $batches = $pg->value('SELECT count(*) FROM trace.batches');
ok($batches >= 3, "several batches ($batches)");
# The committed batches (the ledger) whose blocks do not hold their rows, or
# that have none; a row kept in trace.rejected has no blocks, and needs none.
my $batches_without_their_blocks = q{
        SELECT b.batch_id, b.row_count, k.rows
        FROM trace.batches b
        LEFT JOIN (SELECT host, batch_id, sum(row_count) AS rows
                   FROM trace.request_blocks GROUP BY host, batch_id) k USING (host, batch_id)
        WHERE k.rows IS DISTINCT FROM b.row_count
          AND NOT EXISTS (SELECT 1 FROM trace.rejected r
                          WHERE r.host = b.host AND r.batch_id = b.batch_id)};
my $misnumbered = q{
        SELECT host, batch_id, min(block), max(block), count(*) FROM trace.request_blocks
        GROUP BY host, batch_id HAVING min(block) <> 0 OR max(block) <> count(*) - 1};
is_deeply($pg->sql($batches_without_their_blocks), [],
    'each batch has blocks, and they hold its rows');
is_deeply($pg->sql($misnumbered), [], 'the blocks of a batch are numbered 0 .. k-1');
ok($pg->value('SELECT max(block) FROM trace.request_blocks') >= 1,
    'a batch of more than 256 rows has more than one block');
is($pg->value('SELECT count(*) FROM trace.request_blocks WHERE row_count NOT BETWEEN 1 AND 256'),
    0, 'a block holds 1 to 256 rows');
is($pg->value(q{SELECT count(*) FROM trace.request_blocks
        WHERE length(keys) NOT BETWEEN 1 AND 8192 OR length(grams) NOT BETWEEN 1 AND 8192}), 0,
    'key and trigram filters are not empty and at most 8192 bytes');
is($pg->value('SELECT count(*) FROM trace.request_blocks WHERE first_ts > last_ts'), 0,
    'a block ends no sooner than it starts');
my $uncovered = q{
        SELECT count(*) FROM trace.requests r
        WHERE summarised AND NOT EXISTS (
            SELECT 1 FROM trace.request_blocks k
            WHERE k.host = r.host AND r.ts BETWEEN k.first_ts AND k.last_ts)};
is($pg->value($uncovered), 0, "every row's time lies within a block");

my $dbh = $pg->dbh;
for my $p (@paths) {
    my $row = $dbh->selectrow_arrayref(q{
        SELECT summarised, EXISTS (
            SELECT 1 FROM trace.request_blocks k
            WHERE k.host = r.host AND r.ts BETWEEN k.first_ts AND k.last_ts)
        FROM trace.requests r WHERE path = ?}, undef, $p);
    ok($row && $row->[0] && $row->[1],
        'hostile path stored as sent, summarised and within a block: ' . substr($p, 0, 24));
}
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE path LIKE '/u/%' AND summarised}),
    scalar @users, 'rows of hostile users are summarised');
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE user_name LIKE '%\\\\x00%'}), 1,
    'the NUL in a user name is stored escaped');

# --- a batch split around a row the server refuses: each part that commits
# has blocks of its own, numbered from 0 under its own id -------------------
$pg->sql(q{ALTER TABLE trace.requests ADD CONSTRAINT no_poison CHECK (path NOT LIKE '/poison%')});
my $split = 300;
is($t->load($split, concurrency => 1,
        path => sub { $_[0] == 200 ? "/poison/$_[0]" : "/split/$_[0]" }), $split,
    "$split more requests answered, one of them refused by the server");
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.rejected') == 1 }, 20),
    'the refused row is in trace.rejected');
$total += $split - 1;
ok(wait_count('trace', $total), 'the others arrived');
is($pg->value('SELECT count(*) FROM trace.requests WHERE NOT summarised'), 0,
    'every one of them summarised');
is($pg->value('SELECT sum(row_count) FROM trace.request_blocks'), $total,
    "the blocks' row counts still add up to the rows");
is_deeply($pg->sql($batches_without_their_blocks), [],
    'each committed part of the split batch has blocks that hold its rows');
is_deeply($pg->sql($misnumbered), [], '... numbered 0 .. k-1 under its own id');
ok($pg->value(q{SELECT count(*) FROM trace.request_blocks WHERE batch_id LIKE '%.%'}) >= 2,
    'the parts are summarised under their own ids');
is($pg->value(q{SELECT count(*) FROM trace.request_blocks k JOIN trace.rejected r
        ON r.host = k.host AND (r.batch_id = k.batch_id OR r.batch_id LIKE k.batch_id || '.%')}),
    0, 'neither the refused row nor a batch it was part of has blocks');
is($pg->value($uncovered), 0, "every row's time still lies within a block");
$pg->sql('ALTER TABLE trace.requests DROP CONSTRAINT no_poison');

# The batch key (sql/0008): a batch's ledger row, blocks and refused row carry
# one value, each batch its own, and every row one of a committed batch's.
is($pg->value(q{SELECT count(*) FROM trace.request_blocks k JOIN trace.batches b USING (host, batch_id)
        WHERE k.batch_key <> b.batch_key}), 0, "each block has its batch's key");
is($pg->value(q{SELECT count(*) FROM trace.rejected r JOIN trace.batches b USING (host, batch_id)
        WHERE r.batch_key <> b.batch_key}), 0, '... and the refused row its own batch\'s');
is($pg->value(q{SELECT count(*) FROM trace.batches GROUP BY batch_key HAVING count(*) > 1 LIMIT 1}) // 0,
    0, 'no two batches share a key');
is($pg->value(q{SELECT count(*) FROM trace.requests r WHERE NOT EXISTS
        (SELECT FROM trace.batches b WHERE b.batch_key = r.batch_key AND b.host = r.host)}), 0,
    "every row has the key of one of its host's batches");
cmp_ok($pg->value('SELECT count(DISTINCT batch_key) FROM trace.requests'), '>', 2,
    '... and the rows spread over several');

# --- the schema loses the blocks under the module (a database replaced by one
# before 0006): the statement fails for its columns, not for its rows; it is
# retried as the older schema takes it, and nothing is refused ----------------
$pg->sql('DROP TABLE trace.request_blocks');
$pg->sql('ALTER TABLE trace.requests DROP COLUMN summarised');
is($t->load(40, path => sub { "/gone/$_[0]" }), 40, 'requests answered after the blocks went');
ok(wait_count('trace', $total + 40), 'their rows arrived');
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE path LIKE '/gone/%'}), 40,
    'each once');
is($pg->value('SELECT count(*) FROM trace.rejected'), 1, 'nothing more was refused or split away');
like(Trace::Test::slurp($t->error_log), qr/\[error\].*"summarised"/,
    'the undefined column was logged as a failure to write');

# --- a database at 0005, then migrated to 0006 while nginx runs ----------------
$pg->superuser_sql('CREATE DATABASE trace_old');
my $old = $pg->conninfo(dbname => 'trace_old');
my ($rc, $out, $err) = $t->trace_ctl('--db', $old, 'migrate', '--to', '5');
is($rc, 0, 'trace-ctl migrate --to 5') or diag("$out$err");
my $old_dbh = $pg->dbh(dbname => 'trace_old');
my $old_value = sub { $old_dbh->selectrow_array(@_) };
ok(!$old_value->(q{SELECT to_regclass('trace.request_blocks') IS NOT NULL}),
    'the old database has no trace.request_blocks');

my $log_before = length Trace::Test::slurp($t->error_log);
$t->write_nginx_conf(conf($pg->conninfo(user => 'nginx_module', dbname => 'trace_old'),
    'spool_old'));
$t->reload_nginx;
is($t->load(50, path => sub { "/old/$_[0]" }), 50, 'requests answered');
ok(wait_count('trace_old', 50), 'rows reach the database before 0006');
is($old_value->('SELECT count(*) FROM trace.requests'), 50, 'each once');
is($old_value->('SELECT count(*) FROM trace.rejected'), 0, 'nothing refused');
my $since = sub { substr(Trace::Test::slurp($t->error_log), $log_before) };
unlike($since->(), qr/\[(error|alert|crit)\]/, 'and no error is logged');

($rc, $out, $err) = $t->trace_ctl('--db', $old, 'migrate');
is($rc, 0, 'trace-ctl migrate to 0006 while nginx runs') or diag("$out$err");
my $migrated = time;
my $sent = 0;
my $summarised = $t->wait_for(sub {
    $t->get('/new/' . $sent++);
    $old_value->('SELECT count(*) FROM trace.requests WHERE summarised') > 0;
}, 40);
my $took = time - $migrated;
ok($summarised, sprintf('rows are summarised again %.1f s after the migration', $took));
ok($took < 36, 'within the 30 s recheck and a flush interval');
ok(wait_count('trace_old', 50 + $sent), 'every row of the migrated database arrived');
is($old_value->('SELECT count(*) FROM trace.rejected'), 0, 'nothing refused');
is($old_value->("SELECT sum(row_count) FROM trace.request_blocks WHERE host <> 'trace-ctl'"),
    $old_value->('SELECT count(*) FROM trace.requests WHERE summarised'),
    "the module's blocks hold the summarised rows");
# migrate wrote the blocks of the rows from before it (its backfill, host
# trace-ctl): every one of them is covered.
is($old_value->("SELECT count(*) FROM trace.requests WHERE NOT summarised AND path LIKE '/old/%' "
        . 'AND id > (SELECT through_id FROM trace.request_blocks_backfill)'), 0,
    "migrate's backfill covers the rows written before 0006");
is($old_value->($uncovered), 0, "every summarised row's time lies within a block");
like($since->(), qr/\[notice\].*the database has trace\.request_blocks now/,
    'the change of schema is noticed in the log');
unlike($since->(), qr/\[(error|alert|crit)\]/, 'no error was logged');

$t->done;
