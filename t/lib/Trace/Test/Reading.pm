package Trace::Test::Reading;

# Helpers for the tests of trace-ctl's reading commands (requests, audit,
# status): rows inserted directly, output decoded, CSV read back, trace-ctl run
# in the background for --follow, and query plans walked.

use strict;
use warnings;

use Exporter qw(import);
use File::Temp;
use JSON::PP;
use POSIX qw(:sys_wait_h strftime);
use Time::HiRes qw(sleep time);

use Trace::Test ();

our @EXPORT_OK = qw(insert_rows write_module_batch decode_json_output listed parse_csv utc_iso
    start_background background_output wait_for_output stop_background
    plan_nodes plan_examined_rows);

# Inserts hashes into trace.TABLE (columns from the first row's keys plus any
# other row's), as the superuser; returns the ids in order.
sub insert_rows {
    my ($pg, $table, @rows) = @_;
    my %seen;
    my @columns = grep { !$seen{$_}++ } map { sort keys %$_ } @rows;
    my $sql = "INSERT INTO trace.$table (" . join(', ', @columns) . ') VALUES ('
        . join(', ', map { $_ eq 'ts' ? 'to_timestamp(?)' : '?' } @columns) . ') RETURNING id';
    my $sth = $pg->dbh->prepare($sql);
    my @ids;
    for my $row (@rows) {
        $sth->execute(map { $row->{$_} } @columns);
        push @ids, $sth->fetchrow_array;
        $row->{id} = $ids[-1];
    }
    return @ids;
}

# One batch as the module writes it, in $dbh's open transaction (the caller
# commits): its ledger row, its rows marked summarised, and one block over
# their times whose filters are all ones (it may hold any key). Rows are
# { ts => EPOCH, path => ..., user => ... }.
sub write_module_batch {
    my ($dbh, $host, $batch_id, @rows) = @_;
    $dbh->do(q{INSERT INTO trace.batches (host, batch_id, row_count) VALUES (?, ?, ?)},
        undef, $host, $batch_id, scalar @rows);
    my $sth = $dbh->prepare(q{INSERT INTO trace.requests (ts, host, method, path, status,
        user_name, summarised) VALUES (to_timestamp(?), ?, 'GET', ?, 200, ?, true)});
    $sth->execute($_->{ts}, $host, $_->{path}, $_->{user}) for @rows;
    my ($first, $last) = (sort { $a <=> $b } map { $_->{ts} } @rows)[0, -1];
    $dbh->do(q{INSERT INTO trace.request_blocks (host, batch_id, block, first_ts, last_ts,
        row_count, keys, grams) VALUES (?, ?, 0, to_timestamp(?), to_timestamp(?), ?,
        '\xffffffffffffffff'::bytea, '\xffffffffffffffff'::bytea)}, undef, $host, $batch_id,
        $first, $last, scalar @rows);
}

# trace-ctl writes UTF-8. Decoding it as characters (not ->utf8) gives back
# each byte as one character: the same byte strings the tests inserted, which
# keeps comparisons byte-exact, invalid sequences included.
sub decode_json_output {
    my ($text) = @_;
    return JSON::PP->new->decode($text);
}

# What trace-ctl lists: `trace-ctl --db CONNINFO COMMAND --format json ARGS`
# on the test's PostgreSQL, decoded; dies when trace-ctl fails.
sub listed {
    my ($t, $command, @args) = @_;
    my ($rc, $out, $err) = $t->trace_ctl('--db', $t->postgres->conninfo, $command,
        '--format', 'json', @args);
    die "trace-ctl $command: $err" if $rc;
    return decode_json_output($out);
}

# RFC 4180: fields separated by commas, records by CRLF; a quoted field may hold
# commas, CR, LF and doubled quotes. An empty unquoted field is undef (NULL), an
# empty quoted one "".
sub parse_csv {
    my ($text) = @_;
    my @records;
    my @fields;
    my $pos = 0;
    my $len = length $text;
    while ($pos < $len) {
        my $field;
        if (substr($text, $pos, 1) eq '"') {
            $pos++;
            $field = '';
            while (1) {
                die "unterminated quoted field at $pos\n" if $pos >= $len;
                my $c = substr($text, $pos, 1);
                if ($c eq '"') {
                    if (substr($text, $pos + 1, 1) eq '"') { $field .= '"'; $pos += 2; next }
                    $pos++;
                    last;
                }
                $field .= $c;
                $pos++;
            }
        } else {
            my ($raw) = substr($text, $pos) =~ /\A([^,\r\n"]*)/;
            $pos += length $raw;
            $field = length $raw ? $raw : undef;
        }
        push @fields, $field;
        my $sep = substr($text, $pos, 2);
        if (substr($sep, 0, 1) eq ',') {
            $pos++;
        } elsif ($sep eq "\r\n") {
            $pos += 2;
            push @records, [@fields];
            @fields = ();
        } else {
            die "expected , or CRLF at byte $pos, found " . ($sep eq '' ? 'the end' : "'$sep'") . "\n";
        }
    }
    die "the last record does not end in CRLF\n" if @fields;
    return \@records;
}

sub utc_iso {
    my ($epoch) = @_;
    return strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $epoch);
}

# Starts a command with stdout and stderr in files; returns a handle.
sub start_background {
    my (@cmd) = @_;
    my $opts = ref $cmd[0] eq 'HASH' ? shift @cmd : {};
    my $out = File::Temp->new;
    my $err = File::Temp->new;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$out" or die;
        open STDERR, '>', "$err" or die;
        open STDIN, '<', '/dev/null' or die;
        %ENV = (%ENV, %{ $opts->{env} // {} });
        exec @cmd or POSIX::_exit(127);
    }
    return { pid => $pid, out => $out, err => $err };
}

sub background_output {
    my ($bg) = @_;
    return (Trace::Test::slurp("$bg->{out}"), Trace::Test::slurp("$bg->{err}"));
}

# Waits until the output satisfies $test (a code ref given the output), or the
# timeout passes; returns the output.
sub wait_for_output {
    my ($bg, $test, $timeout) = @_;
    my $until = time + ($timeout // 10);
    my $out;
    while (1) {
        ($out) = background_output($bg);
        return $out if $test->($out) || time >= $until;
        sleep 0.05;
    }
}

# Stops it (SIGTERM, as Ctrl-C would) and returns how it ended.
sub stop_background {
    my ($bg) = @_;
    kill 'TERM', $bg->{pid};
    my $until = time + 5;
    while (time < $until) {
        return $? if waitpid($bg->{pid}, WNOHANG) > 0;
        sleep 0.05;
    }
    kill 'KILL', $bg->{pid};
    waitpid $bg->{pid}, 0;
    return $?;
}

# Every node of an EXPLAIN (FORMAT JSON) plan.
sub plan_nodes {
    my ($plan) = @_;
    my @nodes;
    my @todo = ($plan->[0]{Plan});
    while (my $n = shift @todo) {
        push @nodes, $n;
        push @todo, @{ $n->{Plans} // [] };
    }
    return @nodes;
}

# Rows the scans of a plan looked at: returned, removed by a filter or by a
# recheck, times their loops. A measure of work that, unlike time, does not
# depend on how busy the machine is.
sub plan_examined_rows {
    my ($plan) = @_;
    my $rows = 0;
    for my $n (plan_nodes($plan)) {
        next unless $n->{'Node Type'} =~ /Scan/;
        $rows += (($n->{'Actual Rows'} // 0) + ($n->{'Rows Removed by Filter'} // 0)
            + ($n->{'Rows Removed by Index Recheck'} // 0)) * ($n->{'Actual Loops'} // 1);
    }
    return $rows;
}

1;
