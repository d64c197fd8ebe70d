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
# The summary candidates keep, besides the rows, one row per block of 256
# rows of a batch (its time range, a Bloom filter of its users, sessions,
# clients, paths, statuses, methods and hosts, and one of its paths'
# trigrams), which the writer computes and sends in the batch's transaction.
# A listing asks the summaries which blocks may hold a match, newest first,
# and reads only those blocks' time ranges of the table.
#
# Reading: BENCH_READ_ROWS rows (default 1,000,000) of distinct batches, with a
# few rare rows in the middle, in the shipped schema and in the summary
# candidate with a b-tree on ts; the first page (50 rows, newest first) of
# each filter, median of 5, in milliseconds, and whether both found the same
# rows. The summary candidate's listing is this script's (summary_page), a
# model of what trace-ctl would do. BENCH_READ_ROWS=0 skips it.
#
# Usage: bench/ingest.pl [BUILD_DIR]   (after `make`; BENCH_ROWS per round,
# default 200000; BENCH_ROUNDS, default 3)

use strict;
use warnings;

use Cwd qw(abs_path);
use FindBin;
BEGIN { $ENV{TRACE_BUILD} //= abs_path($ARGV[0] // "$FindBin::Bin/../build") }
use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";

use List::Util qw(max min);
use Time::HiRes qw(time);

use Trace::Test;
use Bench::Proc qw(tree_cpu machine_info);
use Bench::IngestRows qw(copy_columns make_rows batch_text batch_summary bloom_positions regex_trigrams);

my $ROWS = $ENV{BENCH_ROWS} // 200_000;
my $ROUNDS = $ENV{BENCH_ROUNDS} // 3;
my $READ_ROWS = $ENV{BENCH_READ_ROWS} // 1_000_000;
my $BATCH = 1000;     # about trace_batch_size's default (256k) of these rows
my $BLOCK = 256;      # rows a block summary covers
my $BASE = 1795766400;    # 2026-11-27 08:00:00 UTC
my %SITE = (users => 3000, clients => 4000, paths => 5000);

my $BRIN = 'USING brin (%s) WITH (pages_per_range = 32)';
my @CANDIDATES = (
    { name => 'shipped (0001-0004)', like => 'INCLUDING ALL' },
    { name => 'primary key only', indexes => ['PRIMARY KEY'] },
    { name => 'heap only', indexes => [] },
    { name => 'b-tree on ts', indexes => ['(ts)'] },
    { name => 'ts + block summaries', indexes => ['(ts)'], summaries => 1 },
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
    # One row per block of a batch: its time range, a Bloom filter of its keys
    # and one of its paths' trigrams. Uncompressed (a Bloom filter does not
    # compress) and small enough to stay in the row: no TOAST to read.
    $dbh->do("CREATE TABLE ${table}_blocks (host text NOT NULL, batch_id text NOT NULL, "
        . 'first_ts timestamptz NOT NULL, last_ts timestamptz NOT NULL, row_count integer NOT NULL, '
        . 'keys bytea NOT NULL, grams bytea NOT NULL)');
    $dbh->do("ALTER TABLE ${table}_blocks ALTER keys SET STORAGE MAIN, ALTER grams SET STORAGE MAIN");
    $dbh->do("CREATE INDEX ON ${table}_blocks (last_ts)");
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
    $dbh->do("COPY $table ($COLUMNS) FROM STDIN");
    $dbh->pg_putcopydata($text);
    $dbh->pg_putcopyend;
    if ($c->{summaries}) {
        my (@values, @params);
        for my $b (@$blocks) {
            my ($offset, $bloom, $grams) = @$b;
            my $last = min($offset + $BLOCK, scalar @$rows) - 1;
            push @values, '(?, ?, to_timestamp(?), to_timestamp(?), ?, ?, ?)';
            push @params, 'bench-host', "$label-$n", us_to_ts($first_us + 15 * $offset),
                us_to_ts($first_us + 15 * $last), $last - $offset + 1, $bloom, $grams;
        }
        my $sth = $dbh->prepare_cached("INSERT INTO ${table}_blocks VALUES " . join(', ', @values));
        my $k = 0;
        for my $p (@params) {
            $k++;
            $sth->bind_param($k, $p, ($k - 1) % 7 >= 5 ? { pg_type => DBD::Pg::PG_BYTEA() } : undef);
        }
        $sth->execute;
    }
    $dbh->commit;
}

# Work an index put off (BRIN summarises ranges later) is part of its cost.
sub finish_deferred {
    my ($c, $table) = @_;
    return unless $c->{brin};
    $dbh->do("SELECT brin_summarize_new_values(indexrelid) FROM pg_index WHERE indrelid = '$table'::regclass");
}

# --- writing ---------------------------------------------------------------------------

# Every candidate in batches of $BATCH rows; the b-tree on ts and the summary
# candidate also in batches 4 and 16 times larger (trace_batch_size 1m and
# 4m), for what a transaction costs apart from its rows.
my @RUNS = ((map { [ $_, $BATCH ] } @CANDIDATES),
    map { ([ $CANDIDATES[3], $_ ], [ $CANDIDATES[4], $_ ]) } $BATCH * 4, $BATCH * 16);
my %rowsets;
for my $size (map { $_->[1] } @RUNS) {
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

my %READ = (shipped => $CANDIDATES[0], summaries => $CANDIDATES[4]);
my $batches = int($READ_ROWS / $BATCH);
printf "\nreading: %d rows in %d batches a candidate (loading...)\n", $batches * $BATCH, $batches;
create_candidate($READ{$_}, "bench_read_$_") for sort keys %READ;
for my $n (0 .. $batches - 1) {
    my $rows = make_rows(%SITE, count => $BATCH, seed => 1000 + $n);
    rare_rows($rows) if $n == int($batches / 2);
    my $blocks = block_summaries($rows);
    send_batch("bench_read_$_", $READ{$_}, $rows, $blocks, $n, "r$_") for sort keys %READ;
}
$dbh->do("VACUUM ANALYZE bench_read_$_") for sort keys %READ;
$dbh->do('VACUUM ANALYZE bench_read_summaries_blocks');

# filter => [the row condition, the keys a block must hold, a path regex]
my @FILTERS = (
    [ 'none' => '', [], undef ],
    [ 'user (frequent)' => "user_name = 'user7'", ['u:user7'], undef ],
    [ 'user (rare)' => "user_name = 'rare-user'", ['u:rare-user'], undef ],
    [ 'session (rare)' => "session = 'feedfacefeedfacefeedfacefeedface'",
        ['s:feedfacefeedfacefeedfacefeedface'], undef ],
    [ 'client (rare)' => "client_addr = '192.0.2.77'", ['c:192.0.2.77'], undef ],
    [ 'status 500' => 'status = 500', ['t:500'], undef ],
    [ 'status 503 (rare)' => 'status = 503', ['t:503'], undef ],
    [ 'method POST' => "method = 'POST'", ['m:POST'], undef ],
    [ 'path ~ ^/api/v1/orders/1' => "path ~ '^/api/v1/orders/1'", [], '^/api/v1/orders/1' ],
    [ 'path ~ rare' => "path ~ '^/rare/'", [], '^/rare/' ],
    [ 'path ~ no match' => "path ~ 'nowhere'", [], 'nowhere' ],
    [ 'since 10m' => "ts >= to_timestamp($BASE) + interval '1 second' * "
        . int($batches * $BATCH * 15 / 1e6 - 600), [], undef ],
);
my $LIMIT = 50;
my $SELECT = 'SELECT id, ts, user_name, session, client_addr, method, path, status';

sub shipped_page {
    my ($f) = @_;
    my $where = $f->[1] ? "WHERE $f->[1]" : '';
    return $dbh->selectall_arrayref("$SELECT FROM bench_read_shipped $where "
        . "ORDER BY ts DESC, id DESC LIMIT $LIMIT");
}

# The newest matching rows of some blocks' time ranges: one index range scan
# a block (a nested loop over the ranges), not one scan of everything from
# the newest row on, which a single OR of the ranges may get.
sub ranges_query {
    my ($blocks, $row_where) = @_;
    my $array = sub { 'ARRAY[' . join(', ', map { "'$_'" } @_) . ']::timestamptz[]' };
    return "SELECT DISTINCT ON (x.ts, x.id) x.* FROM unnest("
        . $array->(map { $_->[0] } @$blocks) . ', ' . $array->(map { $_->[1] } @$blocks)
        . ") AS r(first_ts, last_ts) CROSS JOIN LATERAL ($SELECT, extract(epoch FROM ts) "
        . "FROM bench_read_summaries WHERE ts BETWEEN r.first_ts AND r.last_ts $row_where "
        . "ORDER BY ts DESC, id DESC LIMIT $LIMIT) x ORDER BY x.ts DESC, x.id DESC LIMIT $LIMIT";
}

# The summary candidate's listing: the blocks that may hold a match, newest
# first, a growing number at a time (16, 64, 256, ...), and the matching rows
# of their time ranges. Complete once 50 rows are newer than the newest block
# not yet read: any match newer than that block is in a block read.
sub summary_page {
    my ($f) = @_;
    my ($cond, $keys, $regex) = @$f[ 1 .. 3 ];
    my $row_where = $cond ? "AND $cond" : '';
    if (!@$keys && !defined $regex) {
        return $dbh->selectall_arrayref("$SELECT FROM bench_read_summaries WHERE true $row_where "
            . "ORDER BY ts DESC, id DESC LIMIT $LIMIT");
    }
    my @tests;
    my $holds = sub {
        my ($column, $key) = @_;
        return map { "get_bit($column, ($_ % (octet_length($column) * 8))::integer) = 1" }
            bloom_positions($key, 2**32);
    };
    push @tests, $holds->('keys', $_) for @$keys;
    push @tests, $holds->('grams', $_) for defined $regex ? regex_trigrams($regex) : ();
    my $block_where = join(' AND ', @tests) || 'true';
    my (%found, @queue);
    my $before = 'infinity';
    my $exhausted = 0;
    for (my $k = 16;; $k *= 4) {
        # enough candidates for this step, and one more: the bound of completeness
        while (!$exhausted && @queue <= $k) {
            my $more = $dbh->selectall_arrayref('SELECT first_ts, last_ts, extract(epoch FROM last_ts) '
                . "FROM bench_read_summaries_blocks WHERE $block_where AND last_ts < '$before' "
                . 'ORDER BY last_ts DESC LIMIT ' . (4 * $k));
            $exhausted = @$more < 4 * $k;
            push @queue, @$more;
            $before = $more->[-1][1] if @$more;
        }
        my @step = splice @queue, 0, $k;
        if (@step) {
            my $rows = $dbh->selectall_arrayref(ranges_query(\@step, $row_where));
            $found{ $_->[0] } = $_ for @$rows;
        }
        my @rows = sort { $b->[-1] <=> $a->[-1] || $b->[0] <=> $a->[0] } values %found;
        my $bound = @queue ? $queue[0][2] : undef;
        my @sure = grep { !defined $bound || $_->[-1] > $bound } @rows;
        if (@sure >= $LIMIT || !@queue) {
            splice @sure, $LIMIT if @sure > $LIMIT;
            return [ map { [ @$_[ 0 .. $#$_ - 1 ] ] } @sure ];
        }
    }
}

printf "%-26s %12s %12s %8s\n", 'first page of', 'shipped ms', 'summary ms', 'rows';
for my $f (@FILTERS) {
    my (%ms, %found);
    for my $try (1 .. 5) {
        for my $way ([ shipped => \&shipped_page ], [ summaries => \&summary_page ]) {
            my $t0 = time;
            my $rows = $way->[1]->($f);
            push @{ $ms{ $way->[0] } }, 1e3 * (time - $t0);
            $found{ $way->[0] } = join ',', map { $_->[0] } @$rows;
            $found{"n$way->[0]"} = @$rows;
        }
    }
    # the same rows, or the candidate is wrong
    my $same = $found{shipped} eq $found{summaries} ? '' : '  DIFFERENT ROWS';
    printf "%-26s %12.1f %12.1f %8d%s\n", $f->[0], median(@{ $ms{shipped} }),
        median(@{ $ms{summaries} }), $found{nshipped}, $same;
}
