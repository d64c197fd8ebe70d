#!/usr/bin/perl
# What a row of trace.requests costs PostgreSQL, candidate schema by candidate
# schema, and what each candidate's listings then cost to read.
#
# Writing: the module's way (one transaction per batch: the ledger row, the
# COPY of the batch, and for the summary candidate its block summaries) into
# copies of trace.requests that keep some indexes, on the same private
# PostgreSQL as `make bench` (fsync on). The candidates take turns, round after
# round, so that a noisy machine hurts them alike. Reported: CPU microseconds
# per stored row of the whole server (postmaster, backends, autovacuum, WAL
# writer, checkpointer; work an index defers, like BRIN summarisation, is done
# and counted before the clock stops), median and range over the rounds, and
# rows/s.
#
# The shipped schema (sql/0006, 0007) keeps, besides the rows, one row per block
# of 256 rows of a batch in trace.request_blocks (its time range, a Bloom
# filter of its users, sessions, clients, statuses, methods and hosts, and one
# of its paths' 3- and 6-grams: the module's keys, Bench::IngestRows), which
# the writer computes and sends in the batch's transaction; the candidates
# with "block summ." do the same.
#
# Reading: BENCH_READ_ROWS rows (default 1,000,000) of distinct batches, with a
# few rare rows in the middle, in a copy of trace.requests with the indexes it
# had before 0006 (listed by the plain query of then) and in trace.requests
# itself, its blocks written by `trace-ctl migrate` (listed by `trace-ctl
# requests`); the first page (50 rows, newest first) of each filter, median of
# 5, in milliseconds of PostgreSQL's time (EXPLAIN ANALYZE's execution time of
# every statement, from trace-ctl's own --explain), and whether both found the
# same rows. BENCH_READ_ROWS=0 skips it. BENCH_CANDIDATES=REGEX runs only the
# writing runs whose "name batch" matches.
#
# Usage: bench/ingest.pl [BUILD_DIR]   (after `make`; BENCH_ROWS per round,
# default 200000; BENCH_ROUNDS, default 3)

use strict;
use warnings;

use Cwd qw(abs_path);
use FindBin;
BEGIN { $ENV{TRACE_BUILD} //= abs_path($ARGV[0] // "$FindBin::Bin/../build") }
use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";

use JSON::PP ();
use List::Util qw(max min);
use POSIX qw(strftime);
use Time::HiRes qw(time);

use Trace::Test;
use Bench::Proc qw(tree_cpu machine_info);
use Bench::IngestRows qw(copy_columns make_rows batch_text batch_summary);

my $ROWS = $ENV{BENCH_ROWS} // 200_000;
my $ROUNDS = $ENV{BENCH_ROUNDS} // 3;
my $READ_ROWS = $ENV{BENCH_READ_ROWS} // 1_000_000;
my $BATCH = 1000;     # about trace_batch_size's default (256k) of these rows
my $BLOCK = 256;      # rows a block summary covers
my $BASE = 1795766400;    # 2026-11-27 08:00:00 UTC
my %SITE = (users => 3000, clients => 4000, paths => 5000);

my $BRIN = 'USING brin (%s) WITH (pages_per_range = 32)';
# The indexes of trace.requests before sql/0006: the primary key, ts, and the
# seven reading indexes of 0002.
my @BEFORE_0006 = ('PRIMARY KEY', '(ts)', '(user_name, ts DESC)',
    '(session, ts DESC) WHERE session IS NOT NULL', '(status, ts DESC)', '(method, ts DESC)',
    '(host, ts DESC)', '(client_addr, ts DESC)', 'USING gin (path trace.gin_trgm_ops)');
my @CANDIDATES = (
    # trace.requests as migrated (requests_ts_idx, the partial index of rows
    # not summarised; no primary key since 0007; batch_key since 0008) and
    # trace.request_blocks, the rows marked summarised as the module writes them
    { name => 'shipped (0001-0008)', like => 'INCLUDING ALL', summaries => 1, summarised => 1 },
    { name => 'before 0006', indexes => \@BEFORE_0006 },
    # 0006 as released: the same with the primary key (id, host) that 0007 drops
    { name => '0006 (primary key)', like => 'INCLUDING ALL', summaries => 1, summarised => 1,
        indexes => ['PRIMARY KEY'] },
    # what --follow could read instead of the ledger and the blocks
    { name => 'shipped + BRIN id', like => 'INCLUDING ALL', summaries => 1, summarised => 1,
        indexes => [sprintf($BRIN, 'id')], brin => 1 },
    { name => 'shipped + b-tree id', like => 'INCLUDING ALL', summaries => 1, summarised => 1,
        indexes => ['(id)'] },
    { name => 'primary key only', indexes => ['PRIMARY KEY'] },
    { name => 'heap only', indexes => [] },
    { name => 'b-tree on ts', indexes => ['(ts)'] },
    { name => 'BRIN ts + block summ.', indexes => [sprintf($BRIN, 'ts')], summaries => 1,
        brin => 1 },
    { name => 'BRIN ts + 4 bloom', indexes => [
        sprintf($BRIN, 'ts'),
        (map { sprintf $BRIN, "$_ text_bloom_ops(n_distinct_per_range = 1000)" }
            qw(user_name session path)),
        sprintf($BRIN, 'client_addr inet_bloom_ops(n_distinct_per_range = 1000)'),
    ], brin => 1 },
);

my $t = Trace::Test->new(pg_settings => { fsync => 'on', synchronous_commit => 'on' });
my $pg = $t->postgres_migrated;
my $dbh = $pg->dbh;
$dbh->{PrintWarn} = 0;
$dbh->do('SET jit = off');
my $postmaster = Trace::Test::slurp("$pg->{dir}/data/postmaster.pid") =~ /^(\d+)/ ? $1 : die;
my $COLUMNS = copy_columns();

my $m = machine_info();
my ($pg_version) = $dbh->selectrow_array('SHOW server_version');
printf "machine: %d CPUs, %s, %.1f GiB, Linux %s; PostgreSQL %s, fsync on\n",
    @$m{qw(nproc cpu_model memory_gib kernel)}, $pg_version;

# --- the candidates' tables ------------------------------------------------------------

sub create_candidate {
    my ($c, $table) = @_;
    $dbh->do("DROP TABLE IF EXISTS $table, ${table}_blocks");
    $dbh->do("CREATE TABLE $table (LIKE trace.requests "
        . ($c->{like} // 'INCLUDING DEFAULTS INCLUDING IDENTITY') . ')');
    for my $index (@{ $c->{indexes} // [] }) {
        $dbh->do($index eq 'PRIMARY KEY' ? "ALTER TABLE $table ADD PRIMARY KEY (id, host)"
            : "CREATE INDEX ON $table $index");
    }
    return unless $c->{summaries};
    # One row per block of a batch, as trace.request_blocks (sql/0006): its
    # time range, a Bloom filter of its keys and one of its paths' trigrams.
    $dbh->do("CREATE TABLE ${table}_blocks (LIKE trace.request_blocks INCLUDING ALL)");
    # LIKE copies no storage parameters (0006's toast_tuple_target)
    my ($options) = $dbh->selectrow_array(
        "SELECT array_to_string(reloptions, ', ') FROM pg_class WHERE oid = 'trace.request_blocks'::regclass");
    $dbh->do("ALTER TABLE ${table}_blocks SET ($options)") if $options;
}

# The summaries of a row set, block by block: [offset, bloom, paths].
sub block_summaries {
    my ($rows) = @_;
    my @blocks;
    for (my $i = 0; $i < @$rows; $i += $BLOCK) {
        my @part = @$rows[ $i .. min($i + $BLOCK, scalar @$rows) - 1 ];
        push @blocks, [ $i, batch_summary(\@part) ];
    }
    return \@blocks;
}

sub us_to_ts { my ($us) = @_; return sprintf '%.6f', $us / 1e6 }

# One batch in one transaction, as the module sends it.
sub send_batch {
    my ($table, $c, $rows, $blocks, $n, $label) = @_;
    my ($text, $first_us) = batch_text($rows, $n, $BASE);
    $dbh->begin_work;
    $dbh->do('INSERT INTO trace.batches (host, batch_id, row_count) VALUES (?, ?, ?)',
        undef, 'bench-host', "$label-$n", scalar @$rows);
    if ($c->{summarised}) {
        $dbh->do("COPY $table ($COLUMNS, summarised) FROM STDIN");
        $text =~ s/\n/\tt\n/g;
    } else {
        $dbh->do("COPY $table ($COLUMNS) FROM STDIN");
    }
    $dbh->pg_putcopydata($text);
    $dbh->pg_putcopyend;
    if ($c->{summaries}) {
        my (@values, @params);
        for my $b (@$blocks) {
            my ($offset, $bloom, $grams) = @$b;
            my $last = min($offset + $BLOCK, scalar @$rows) - 1;
            push @values, '(?, ?, ?, to_timestamp(?), to_timestamp(?), ?, ?, ?)';
            push @params, 'bench-host', "$label-$n", $offset / $BLOCK, us_to_ts($first_us + 15 * $offset),
                us_to_ts($first_us + 15 * $last), $last - $offset + 1, $bloom, $grams;
        }
        my $sth = $dbh->prepare_cached("INSERT INTO ${table}_blocks VALUES " . join(', ', @values));
        my $k = 0;
        for my $p (@params) {
            $k++;
            $sth->bind_param($k, $p, ($k - 1) % 8 >= 6 ? { pg_type => DBD::Pg::PG_BYTEA() } : undef);
        }
        $sth->execute;
    }
    $dbh->commit;
}

# Work an index put off (BRIN summarises ranges later) is part of its cost.
sub finish_deferred {
    my ($c, $table) = @_;
    return unless $c->{brin};
    $dbh->do("SELECT brin_summarize_new_values(i.indexrelid) FROM pg_index i"
        . " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
        . " WHERE i.indrelid = '$table'::regclass AND a.amname = 'brin'");
}

# --- writing ---------------------------------------------------------------------------

# Every candidate in batches of $BATCH rows; the b-tree on ts, shipped and
# 0006 also in batches 4 and 16 times larger (trace_batch_size 1m and 4m), for
# what a transaction costs apart from its rows, and the id indexes at 1m.
my @RUNS = ((map { [ $_, $BATCH ] } @CANDIDATES),
    (map { [ $CANDIDATES[$_], $BATCH * 4 ] } 7, 0, 2, 3, 4),
    (map { [ $CANDIDATES[$_], $BATCH * 16 ] } 7, 0, 2));
# BENCH_CANDIDATES=REGEX: only the runs whose "name batch" matches it.
if (defined(my $only = $ENV{BENCH_CANDIDATES})) {
    @RUNS = grep { "$_->[0]{name} $_->[1]" =~ /$only/ } @RUNS;
}
my %rowsets;
for my $size ($BATCH, map { $_->[1] } @RUNS) {
    $rowsets{$size} //= [ map {
        my $rows = make_rows(%SITE, count => $size, seed => $_);
        [ $rows, block_summaries($rows) ];
    } 1 .. 8 ];
}
my $copy_bytes = length((batch_text($rowsets{$BATCH}[0][0], 0, $BASE))[0]);
my (%cpu, %rate);
for my $round (1 .. $ROUNDS) {
    for my $run (@RUNS) {
        my ($c, $size) = @$run;
        create_candidate($c, 'bench_ingest');
        $dbh->do('CHECKPOINT');
        my $cpu0 = tree_cpu($postmaster);
        my $t0 = time;
        my $sent = 0;
        for (my $n = 0; $sent < $ROWS; $n++) {
            send_batch('bench_ingest', $c, @{ $rowsets{$size}[ $n % 8 ] }, $n, "w$round");
            $sent += $size;
        }
        finish_deferred($c, 'bench_ingest');
        my $elapsed = time - $t0;
        push @{ $cpu{"$c->{name}\0$size"} }, 1e6 * (tree_cpu($postmaster) - $cpu0) / $sent;
        push @{ $rate{"$c->{name}\0$size"} }, $sent / $elapsed;
        $dbh->do('TRUNCATE trace.batches');
    }
}
$dbh->do('DROP TABLE IF EXISTS bench_ingest, bench_ingest_blocks');

sub median { my @s = sort { $a <=> $b } @_; return $s[ int($#s / 2) ] }

printf "\nwriting: %d rounds of %d rows a candidate; a batch of %d rows is %d KB of COPY text\n",
    $ROUNDS, $ROWS, $BATCH, $copy_bytes / 1024;
printf "%-24s %10s %14s %16s %10s\n", 'candidate', 'batch', 'CPU us/row', '(min-max)', 'rows/s';
for my $run (@RUNS) {
    my ($c, $size) = @$run;
    my @v = @{ $cpu{"$c->{name}\0$size"} };
    printf "%-24s %10d %14.1f %16s %10.0f\n", $c->{name}, $size, median(@v),
        sprintf('(%.1f-%.1f)', min(@v), max(@v)), median(@{ $rate{"$c->{name}\0$size"} });
}
exit 0 unless $READ_ROWS;

# --- reading ---------------------------------------------------------------------------

# Rows nobody else has, in one batch in the middle: what a rare filter finds.
sub rare_rows {
    my ($rows) = @_;
    for my $i (100, 500, 900) {
        @{ $rows->[$i] }{qw(user_name session client_addr path status)} =
            ('rare-user', 'feedfacefeedfacefeedfacefeedface', '192.0.2.77', '/rare/path', 503);
    }
    return $rows;
}

# Before 0006: a copy of trace.requests with its indexes then, listed by the
# plain query trace-ctl ran then. Shipped: trace.requests itself, the same
# rows copied in as an older module writes them (not summarised), then
# `trace-ctl migrate`, whose backfill writes their blocks as the module would
# have (common/block_summary), and the listings of trace-ctl itself.
my $before = $CANDIDATES[1];
my $batches = int($READ_ROWS / $BATCH);
printf "\nreading: %d rows in %d batches (loading...)\n", $batches * $BATCH, $batches;
create_candidate($before, 'bench_read_before');
$dbh->do('TRUNCATE trace.requests, trace.request_blocks, trace.request_blocks_backfill');
for my $n (0 .. $batches - 1) {
    my $rows = make_rows(%SITE, count => $BATCH, seed => 1000 + $n);
    rare_rows($rows) if $n == int($batches / 2);
    send_batch('bench_read_before', $before, $rows, [], $n, 'rb');
    send_batch('trace.requests', $before, $rows, [], $n, 'rs');
}
$dbh->do('TRUNCATE trace.batches');
my $t_migrate = time;
my ($rc, $out, $err) = $t->trace_ctl('migrate', '--db', $pg->conninfo);
die "trace-ctl migrate: $err" if $rc;
printf "trace-ctl migrate (backfill): %.1f s\n%s", time - $t_migrate, $out;
$dbh->do("VACUUM ANALYZE $_") for qw(bench_read_before trace.requests trace.request_blocks);

my $last_us = $BASE * 1_000_000 + $batches * $BATCH * 15;
my $ten_min_ago = strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(int($last_us / 1e6) - 600));
# filter => [the condition of the plain query, trace-ctl's options]
my @FILTERS = (
    [ 'none' => '', [] ],
    [ 'user (frequent)' => "user_name = 'user7'", [ '--user', 'user7' ] ],
    [ 'user (rare)' => "user_name = 'rare-user'", [ '--user', 'rare-user' ] ],
    [ 'session (rare)' => "session = 'feedfacefeedfacefeedfacefeedface'",
        [ '--session', 'feedfacefeedfacefeedfacefeedface' ] ],
    [ 'session prefix (rare)' => "session LIKE 'feedface%'", [ '--session', 'feedface' ] ],
    [ 'client (rare)' => "client_addr = '192.0.2.77'", [ '--client', '192.0.2.77' ] ],
    [ 'client /24 (rare)' => "client_addr <<= '192.0.2.0/24'", [ '--client', '192.0.2.0/24' ] ],
    [ 'status 500' => 'status = 500', [ '--status', '500' ] ],
    [ 'status 5xx' => 'status BETWEEN 500 AND 599', [ '--status', '5xx' ] ],
    [ 'status 503 (rare)' => 'status = 503', [ '--status', '503' ] ],
    [ 'method POST' => "method = 'POST'", [ '--method', 'POST' ] ],
    [ 'path ~ ^/api/v1/orders/1' => "path ~ '^/api/v1/orders/1'", [ '--path', '^/api/v1/orders/1' ] ],
    [ 'path ~ rare' => "path ~ '^/rare/'", [ '--path', '^/rare/' ] ],
    [ 'path ~ no match' => "path ~ 'nowhere'", [ '--path', 'nowhere' ] ],
    [ 'user + status 5xx' => "user_name = 'user7' AND status BETWEEN 500 AND 599",
        [ '--user', 'user7', '--status', '5xx' ] ],
    [ 'since 10m' => "ts >= '$ten_min_ago'", [ '--since', $ten_min_ago ] ],
);
my $LIMIT = 50;

# Each listing's time in PostgreSQL (EXPLAIN ANALYZE's execution time of its
# statements, summed), and its rows.
sub before_page {
    my ($f) = @_;
    my $where = $f->[1] ? "WHERE $f->[1]" : '';
    my $sql = "SELECT id FROM bench_read_before $where ORDER BY ts DESC, id DESC LIMIT $LIMIT";
    my ($plan) = $dbh->selectrow_array("EXPLAIN (ANALYZE, FORMAT JSON) $sql");
    my $ms = JSON::PP::decode_json($plan)->[0]{'Execution Time'};
    return ($ms, [ map { $_->[0] } @{ $dbh->selectall_arrayref($sql) } ]);
}

# trace-ctl itself: its --explain gives the plan of every statement it runs.
sub shipped_page {
    my ($f) = @_;
    my @args = ('requests', '--db', $pg->conninfo, '--format', 'json', '--limit', $LIMIT, @{ $f->[2] });
    my ($rc, $out, $err) = $t->trace_ctl(@args, '--explain');
    die "trace-ctl @args --explain: $err" if $rc;
    my $plans = JSON::PP::decode_json($out);
    $plans = [$plans] if ref $plans eq 'HASH';
    my $ms = 0;
    $ms += $_->{'Execution Time'} // 0 for map { ref $_ eq 'ARRAY' ? @$_ : $_ } @$plans;
    ($rc, $out, $err) = $t->trace_ctl(@args);
    die "trace-ctl @args: $err" if $rc;
    return ($ms, [ map { $_->{id} } @{ JSON::PP::decode_json($out) } ]);
}

# The ids of both tables are their own; the rows are compared by what they hold.
sub row_keys {
    my ($table, $ids) = @_;
    return '' unless @$ids;
    my $list = join ',', @$ids;
    my $r = $dbh->selectcol_arrayref("SELECT ts::text || ' ' || coalesce(user_name, '') || ' ' || "
        . "coalesce(path, '') FROM $table WHERE id IN ($list) ORDER BY ts DESC, id DESC");
    return join "\n", @$r;
}

printf "%-26s %12s %12s %8s\n", 'first page of', 'before ms', 'shipped ms', 'rows';
for my $f (@FILTERS) {
    my (%ms, %ids);
    for my $try (1 .. 5) {
        for my $way ([ before => \&before_page ], [ shipped => \&shipped_page ]) {
            my ($ms, $ids) = $way->[1]->($f);
            push @{ $ms{ $way->[0] } }, $ms;
            $ids{ $way->[0] } = $ids;
        }
    }
    # the same rows, or the listing is wrong
    my $same = row_keys('bench_read_before', $ids{before}) eq row_keys('trace.requests', $ids{shipped})
        ? '' : '  DIFFERENT ROWS';
    printf "%-26s %12.1f %12.1f %8d%s\n", $f->[0], median(@{ $ms{before} }),
        median(@{ $ms{shipped} }), scalar @{ $ids{before} }, $same;
}
$dbh->do('DROP TABLE IF EXISTS bench_read_before');
