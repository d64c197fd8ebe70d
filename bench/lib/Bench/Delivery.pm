package Bench::Delivery;

# The rows of the module's runs, counted: per run, the requests served, the rows
# stored once the module held none in memory or spool, the rows it says it
# dropped (trace_status's dropped_rows) and the rows missing (served - stored).
# Missing rows the module did not count as dropped are a bug, and are said so
# loudly; so is anything that makes a run's count unsure.

use strict;
use warnings;

use List::Util qw(sum0);

# The runs that recorded with the module: those with a trace_status reading.
sub module_runs {
    my ($bench) = @_;
    return grep { exists $_->{dropped} } @{ $bench->{runs} };
}

# What is wrong with a run's count, as sentences; none when it is sound.
sub problems {
    my ($r) = @_;
    my @p;
    if (!defined $r->{held_at_end}) {
        push @p, 'trace_status did not answer at the end: dropped rows unknown';
    } elsif ($r->{held_at_end} > 0) {
        push @p, "not drained (the wait ended: $r->{gave_up}): the module still held "
            . "queued rows or spool bytes ($r->{held_at_end})";
    } elsif ($r->{missing} != ($r->{dropped} // 0)) {
        push @p, sprintf '%d missing but %d dropped: rows %s without being counted (a bug)',
            $r->{missing}, $r->{dropped} // 0, $r->{missing} > 0 ? 'lost' : 'added';
    }
    push @p, "$r->{spool_files_before} file(s) in $r->{spool_dir} before the run "
        . '(another nginx recording with the defaults?): its rows may count as this run\'s'
        if $r->{spool_files_before};
    push @p, "the worker could not write its spool ($r->{spool_dir}): spool_usable false"
        if defined $r->{held_at_end} && !$r->{spool_usable};
    return @p;
}

sub summary {
    my ($bench) = @_;
    my @runs = module_runs($bench);
    my @flagged = grep { problems($_) } @runs;
    return {
        runs => scalar @runs,
        dropped => sum0(map { $_->{dropped} // 0 } @runs),
        missing => sum0(map { $_->{missing} } @runs),
        flagged => scalar @flagged,
        met => (@runs && !grep { $_->{dropped} // 1 } @runs) ? 1 : 0,
    };
}

sub text {
    my ($bench) = @_;
    my @runs = module_runs($bench) or return '';
    my $s = summary($bench);
    my $fmt = "  %5s %-6s %-6s %-7s %9s %9s %8s %8s %8s %8s\n";
    my $out = "\nrows of every module run (stored: in PostgreSQL once the module held none in "
        . "memory or spool;\ndropped: as the module counts them; missing = served - stored)\n";
    $out .= sprintf $fmt, qw(round view url variant served stored dropped missing spooled),
        'replayed';
    my @loud;
    for my $r (@runs) {
        my $ts = $r->{trace_status} // {};
        $out .= sprintf $fmt, $r->{round}, $r->{view}, $r->{url}, $r->{variant}, $r->{served},
            $r->{rows}, $r->{dropped} // '?', $r->{missing}, $ts->{spooled_rows} // '?',
            $ts->{replayed_rows} // '?';
        push @loud, map { "!!! round $r->{round} $r->{view} $r->{url} $r->{variant}: $_\n" }
            problems($r);
    }
    $out .= sprintf "rows dropped: %d in %d runs (target 0): %s\n", $s->{dropped}, $s->{runs},
        $s->{met} ? 'met' : 'missed';
    $out .= join '', @loud;
    return $out;
}

1;
