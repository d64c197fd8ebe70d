# trace-ctl status: the pending migrations of a fresh and of a migrated
# database, row counts that match SELECT count(*), the age of the newest row
# (a stalled pipeline), the module's counters from its status location (served
# here by nginx itself, as the module's handler will), and what it says and
# returns when the database or the status location is unreachable.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Reading qw(insert_rows decode_json_output);
use Time::HiRes qw(time);

my $t = Trace::Test->new;
my $pg = $t->postgres;

my @migrations = map { s/\.sql$//r } map { (split m{/})[-1] } sort glob(Trace::Test::root() . '/sql/*.sql');
ok(scalar(@migrations) >= 2, 'there are migrations to count');

sub status {
    my (@args) = @_;
    my $opts = ref $args[0] eq 'HASH' ? shift @args : {};
    return $t->trace_ctl($opts, @args, 'status');
}

# --- a database without the schema --------------------------------------------------------
my ($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo, 'status');
is($rc, 1, 'fresh database: exit 1, something needs doing');
like($out, qr/^database\s+reachable: PostgreSQL \d+/m, 'fresh database: reachable');
like($out, qr/^schema\s+not created, ${\ scalar @migrations} pending migrations \(trace-ctl migrate applies them\)$/m,
    'fresh database: every migration pending');
like($out, qr/^trace\.requests\s+missing$/m, 'fresh database: the tables are missing');
($rc, $out) = $t->trace_ctl('--db', $pg->conninfo, 'status', '--format', 'json');
my $json = decode_json_output($out);
is_deeply($json->{schema}{pending}, \@migrations, 'JSON: the pending migrations by name');
ok(!$json->{ok}, 'JSON: not ok');
ok(exists $json->{summaries} && !defined $json->{summaries}, 'JSON: no block summaries without the schema');
ok(exists $json->{rollups} && !defined $json->{rollups}, 'JSON: no rollups without the schema');

# --- migrated, filled, read by trace_reader ---------------------------------------------------
$t->postgres_migrated;
$pg->sql('CREATE ROLE reader LOGIN IN ROLE trace_reader');
my @db = ('--db', $pg->conninfo(user => 'reader'));

my $now = time;
insert_rows($pg, 'requests', map { +{ ts => $now - 7200 - $_, host => 'web-1', path => "/$_",
    status => 200 } } 1 .. 137);
insert_rows($pg, 'audit', map { +{ ts => $now - 86400 * 3 - $_, host => 'web-1',
    action => 'login', user_name => "u$_" } } 1 .. 12);

($rc, $out, $err) = $t->trace_ctl(@db, 'status');
is($rc, 0, 'migrated and filled: exit 0') or diag($out, $err);
like($out, qr/^database\s+reachable: PostgreSQL \S+.*, database trace as reader$/m,
    'says who it is connected as');
my ($version) = $migrations[-1] =~ /^0*(\d+)_/;    # the newest file's number
like($out, qr/^schema\s+version $version \(\w+\), 0 pending migrations$/m, '0 pending migrations');
for my $table (qw(requests audit batches rejected)) {
    my $count = $pg->value("SELECT count(*) FROM trace.$table");
    like($out, qr/^trace\.$table\s+$count rows\b/m, "trace.$table: $count rows, as count(*) says");
}
like($out, qr/^trace\.requests\s+137 rows, oldest \S+ \S+ \(2 h ago\), newest \S+ \S+ \(2 h ago\)$/m,
    'requests: oldest and newest with their age: two hours, a stalled pipeline shows');
like($out, qr/^trace\.audit\s+12 rows, .*newest \S+ \S+ \(3 d ago\)$/m, 'audit: newest 3 days ago');

($rc, $out) = $t->trace_ctl(@db, 'status', '--format', 'json');
$json = decode_json_output($out);
ok($json->{ok}, 'JSON: ok');
my ($requests) = grep { $_->{name} eq 'trace.requests' } @{ $json->{tables} };
is($requests->{rows}, $pg->value('SELECT count(*) FROM trace.requests'), 'JSON rows = count(*)');
ok($requests->{rows_exact}, 'JSON: the count is exact');
is($requests->{max_id}, $pg->value('SELECT max(id) FROM trace.requests'), 'JSON max_id');
ok(abs($requests->{newest_age_seconds} - (time - $now + 7201)) < 30, 'JSON newest age in seconds');
like($requests->{newest}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'JSON newest in RFC 3339');
is_deeply($json->{schema}{pending}, [], 'JSON: nothing pending');
is($json->{module}, undef, 'JSON: no module configured');

# --- rows that no block covers (sql/0006) ---------------------------------------------------
# Every row above was inserted as an older module does: not summarised, and no
# backfill has run.
($rc, $out) = $t->trace_ctl(@db, 'status');
is($rc, 0, 'rows no block covers are no fault: exit 0');
like($out, qr/^summaries\s+137 request rows that no block covers \(run trace-ctl migrate to summarise them\)$/m,
    'summaries: the rows no block covers, and what to do') or diag($out);
is($json->{summaries}{uncovered_rows}, 137, 'JSON: uncovered_rows');
is($json->{summaries}{through_id}, undef, 'JSON: no backfill yet');
is($json->{summaries}{hint}, 'run trace-ctl migrate to summarise them', 'JSON: the hint');
ok($json->{ok}, 'JSON: ok all the same');

# The backfill has reached the 100th row, and 10 rows after it came from a
# module that writes blocks: 27 left.
my @ids = @{ $pg->dbh->selectcol_arrayref('SELECT id FROM trace.requests ORDER BY id') };
$pg->sql('INSERT INTO trace.request_blocks_backfill (through_id) VALUES ($1)', $ids[99]);
$pg->sql('UPDATE trace.requests SET summarised = true WHERE id > $1 AND id <= $2', $ids[99], $ids[109]);
($rc, $out) = $t->trace_ctl(@db, 'status');
like($out, qr/^summaries\s+27 request rows that no block covers \(run trace-ctl migrate to summarise them\)$/m,
    'after a backfill and a summarising module: the rest') or diag($out);
($rc, $out) = $t->trace_ctl(@db, 'status', '--format', 'json');
$json = decode_json_output($out);
is_deeply($json->{summaries}, { uncovered_rows => 27, through_id => $ids[99],
    hint => 'run trace-ctl migrate to summarise them' }, 'JSON: the count and how far the backfill came');

# One row: singular. None: said so, and no hint.
$pg->sql('UPDATE trace.request_blocks_backfill SET through_id = $1', $ids[-2]);
($rc, $out) = $t->trace_ctl(@db, 'status');
like($out, qr/^summaries\s+1 request row that no block covers \(run trace-ctl migrate to summarise it\)$/m,
    'one row no block covers') or diag($out);
$pg->sql('UPDATE trace.request_blocks_backfill SET through_id = $1', $ids[-1]);
($rc, $out) = $t->trace_ctl(@db, 'status');
like($out, qr/^summaries\s+every request row is covered by a block$/m, 'every row covered') or diag($out);
unlike($out, qr/run trace-ctl migrate/, '... and no hint');
($rc, $out) = $t->trace_ctl(@db, 'status', '--format', 'json');
$json = decode_json_output($out);
is_deeply($json->{summaries}, { uncovered_rows => 0, through_id => $ids[-1], hint => undef },
    'JSON: none, and no hint');
$pg->sql('TRUNCATE trace.request_blocks_backfill');

$pg->sql('ANALYZE trace.requests');
($rc, $out) = $t->trace_ctl(@db, 'status', '--estimate');
like($out, qr/^trace\.requests\s+about 137 rows/m, '--estimate: from the statistics');

# A row that just arrived: the newest age is small.
insert_rows($pg, 'requests', { ts => time, host => 'web-1', path => '/now', status => 200 });
($rc, $out) = $t->trace_ctl(@db, 'status');
like($out, qr/^trace\.requests\s+138 rows, .*newest \S+ \S+ \((just now|\d+ s ago)\)$/m,
    'a fresh row: newest just now');

# --- the module's counters ---------------------------------------------------------------------
my $counters = '{"workers":['
    . '{"pid":101,"queued":2,"sent":10,"spooled":0,"replayed":0,"rejected":0,"dropped":0,'
    . '"spool_bytes":0,"last_error":""},'
    . '{"pid":102,"queued":1,"sent":5,"spooled":3,"replayed":3,"rejected":1,"dropped":0,'
    . '"spool_bytes":4096,"last_error":"db down \\u001b[2J"}]}';
$t->nginx(<<"EOF");
http {
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /trace_status {
            default_type application/json;
            return 200 '$counters';
        }
        location = /broken { return 200 'not json'; }
    }
}
EOF
my $url = 'http://127.0.0.1:' . $t->port . '/trace_status';
($rc, $out, $err) = $t->trace_ctl(@db, 'status', '--status-url', $url);
is($rc, 0, 'with the module: exit 0') or diag($out, $err);
like($out, qr/^module\s+\Q$url\E: 2 workers$/m, 'module: reachable, two workers');
like($out, qr/^\s+worker pid=101 queued=2 sent=10 spooled=0 replayed=0 rejected=0 dropped=0 spool_bytes=0 last_error=""$/m,
    'module: every counter of a worker');
like($out, qr/last_error="db down \\x1b\[2J"/, 'module: an error text, escaped');
like($out, qr/^\s+total queued=3 sent=15 spooled=3 replayed=3 rejected=1 dropped=0 spool_bytes=4096$/m,
    'module: the sums');
unlike($out, qr/\e/, 'module: no ESC reaches the terminal');

Trace::Test::spew($t->base . '/status.toml', "status_url = \"$url\"\n");
($rc, $out) = $t->trace_ctl('--config', $t->base . '/status.toml', @db, 'status', '--format', 'json');
$json = decode_json_output($out);
is($json->{module}{totals}{sent}, 15, 'status_url from the configuration; JSON totals');
is($json->{module}{workers}[1]{spool_bytes}, 4096, 'JSON: the workers as the module said');

($rc, $out) = $t->trace_ctl(@db, 'status', '--status-url',
    'http://127.0.0.1:' . $t->port . '/broken');
is($rc, 1, 'a status location that does not answer JSON: exit 1');
like($out, qr/UNREACHABLE: the answer is not JSON/, '... and says so');

my $closed = Trace::Test::free_port();
my $started = time;
($rc, $out, $err) = $t->trace_ctl(@db, 'status', '--status-url', "http://127.0.0.1:$closed/s");
is($rc, 1, 'module unreachable: exit 1');
like($out, qr/^module\s+http:\S+: UNREACHABLE: cannot connect to 127\.0\.0\.1:$closed: Connection refused$/m,
    'module unreachable: says so');
like($out, qr/^trace\.requests\s+138 rows/m, 'module unreachable: the database part is still there');

($rc, $out, $err) = $t->trace_ctl(@db, 'status', '--status-url', 'https://x/s');
is($rc, 2, 'a status URL that is not http://: exit 2');
like($err, qr/only http:\/\/ is supported/, '... and why');

# --- the database unreachable --------------------------------------------------------------
($rc, $out, $err) = $t->trace_ctl('--db', 'host=127.0.0.1 port=1 connect_timeout=2', 'status',
    '--status-url', $url);
is($rc, 1, 'database unreachable: exit 1');
like($out, qr/^database\s+UNREACHABLE: cannot connect to PostgreSQL: /m, '... says so');
like($out, qr/^module\s+\Q$url\E: 2 workers$/m, '... and still shows the module');
($rc, $out) = $t->trace_ctl('--db', 'host=127.0.0.1 port=1 connect_timeout=2', 'status',
    '--format', 'json');
$json = decode_json_output($out);
ok(!$json->{database}{reachable} && $json->{database}{error} =~ /cannot connect/,
    'JSON: database unreachable, with the error');

$pg->sql('CREATE ROLE outsider LOGIN');
($rc, $out) = $t->trace_ctl('--db', $pg->conninfo(user => 'outsider'), 'status');
is($rc, 1, 'a role without trace_reader: exit 1');
like($out, qr/^database\s+reachable, but: permission denied for schema trace \(the role needs trace_reader\)$/m,
    '... saying why and what to do');

# --- a large table: the uncovered rows are counted through their index ---------------------
# 100,000 rows a module that writes blocks wrote, and the few that no block
# covers: status reads those through requests_unsummarised_idx, not the table.
$pg->sql(q{INSERT INTO trace.requests (ts, host, path, status, summarised)
    SELECT now(), 'web-2', '/s', 200, true FROM generate_series(1, 100000)});
$pg->sql('ANALYZE trace.requests');
my $index_scans = sub {
    $pg->sql('SELECT pg_stat_clear_snapshot()');
    $pg->value(q{SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'requests_unsummarised_idx'});
};
my $scans = $index_scans->();
($rc, $out) = $t->trace_ctl(@db, 'status');
like($out, qr/^summaries\s+128 request rows that no block covers /m, 'a large table: the 128 rows not covered')
    or diag($out);
ok($t->wait_for(sub { $index_scans->() > $scans }, 5), '... counted through requests_unsummarised_idx');

($rc, $out) = $t->trace_ctl('status', '--help');
for my $option (qw(--status-url --timeout --estimate --format)) {
    like($out, qr/\Q$option\E\b/, "status --help explains $option");
}
like($out, qr/Exit status 0 when all is well, 1 when anything needs attention/,
    'status --help explains its exit status');

$t->done;
