package Bench::Report;

# Turns the runs of bench/run.pl into medians, a table per view for people and
# a summary for the JSON file, and reads them against the targets of issues 8
# and 17. Targets are reported, never asserted: a benchmark on a shared machine
# is not a test.

use strict;
use warnings;

use List::Util qw(max min sum);

use Bench::Delivery;

# Issue 17: C's req/s over A's, per URL.
my %RATIO_TARGET = (static => 0.95, proxy => 0.90);

my %VIEW_TITLE = (
    shared => 'every process on every CPU',
    pinned => 'PostgreSQL pinned to its own CPU',
);

sub median {
    my @v = sort { $a <=> $b } grep { defined } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub cpu_per_10k {
    my ($r, $name) = @_;
    return undef unless $r->{served} > 0;
    my $cpu = $name ? $r->{cpu_s}{$name} // 0
        : sum(map { $r->{cpu_s}{$_} // 0 } qw(nginx pg rsyslog));
    return $cpu / $r->{served} * 10_000;
}

sub ms { defined $_[0] ? sprintf('%.2f ms', $_[0]) : '-' }
sub pct { defined $_[0] ? sprintf('%.1f%%', 100 * $_[0]) : '-' }

# One line per run, printed while the benchmark goes.
sub run_line {
    my ($r) = @_;
    my $line = sprintf 'round %d %-6s %-6s %s: %.0f req/s, p99 %s, served %d', $r->{round},
        $r->{view} // 'shared', $r->{url}, $r->{variant}, $r->{rps}, ms($r->{p99_ms}),
        $r->{served};
    $line .= sprintf ', in PG at 2 s %d, %s', $r->{at_2s},
        defined $r->{all_after_s} ? sprintf('all after %.1f s', $r->{all_after_s})
                                   : "$r->{missing} missing ($r->{gave_up})"
        if exists $r->{rows};
    $line .= sprintf ', stored %d, dropped %s', $r->{rows}, $r->{dropped} // '?'
        if exists $r->{dropped};
    $line .= ", UDP drops $r->{udp_drops}" if defined $r->{udp_drops};
    $line .= ", $r->{errors} errors" if $r->{errors};
    $line .= sprintf ', CPU %.2f s/10k (others %.1f s)', cpu_per_10k($r) // 0,
        $r->{cpu_s}{other_processes};
    $line .= "\n!!! $_" for exists $r->{dropped} ? Bench::Delivery::problems($r) : ();
    $line .= "\n!!! pinning: $_" for $r->{pinning} ? @{ $r->{pinning}{problems} } : ();
    return $line;
}

sub new {
    my ($class, $bench) = @_;
    return bless { bench => $bench }, $class;
}

sub views { @{ $_[0]{bench}{views} // ['shared'] } }

sub runs {
    my ($self, $variant, $url, $view) = @_;
    return grep {
        $_->{variant} eq $variant && $_->{url} eq $url && ($_->{view} // 'shared') eq $view
    } @{ $self->{bench}{runs} };
}

# Per round, variant's req/s over the reference's in the same view: paired
# ratios are steadier than a ratio of medians when the machine's speed drifts
# between rounds.
sub paired_ratios {
    my ($self, $variant, $reference, $url, $view) = @_;
    my %ref = map { $_->{round} => $_->{rps} } $self->runs($reference, $url, $view);
    return map { $ref{ $_->{round} } ? $_->{rps} / $ref{ $_->{round} } : () }
        $self->runs($variant, $url, $view);
}

# The medians of variant $v on $url in $view (undef when it did not run).
sub variant_medians {
    my ($self, $v, $url, $view) = @_;
    my @runs = $self->runs($v, $url, $view) or return undef;
    my @ratios = $self->paired_ratios($v, 'A', $url, $view);
    my %m = (
        runs => scalar @runs,
        rps => median(map { $_->{rps} } @runs),
        rps_min => min(map { $_->{rps} } @runs),
        rps_max => max(map { $_->{rps} } @runs),
        ratio_to_a => median(@ratios),
        ratio_to_a_min => min(@ratios),
        ratio_to_a_max => max(@ratios),
        p50_ms => median(map { $_->{p50_ms} } @runs),
        p99_ms => median(map { $_->{p99_ms} } @runs),
        cpu_per_10k => median(map { cpu_per_10k($_) } @runs),
        errors => sum(map { $_->{errors} } @runs),
        rss_max_kib => median(map { $_->{rss_kib}{max} } @runs),
        other_processes_cpu_s => median(map { $_->{cpu_s}{other_processes} } @runs),
        steal_s => median(map { $_->{cpu_s}{steal} } @runs),
    );
    for my $name (qw(nginx pg rsyslog)) {
        next unless grep { defined $_->{cpu_s}{$name} } @runs;
        $m{"cpu_per_10k_$name"} = median(map { cpu_per_10k($_, $name) } @runs);
    }
    if (exists $runs[0]{rows}) {
        my @share = map { $_->{served} ? $_->{at_2s} / $_->{served} : 0 } @runs;
        my @complete = grep { defined $_->{all_after_s} } @runs;
        $m{in_pg_at_2s} = median(@share);
        $m{in_pg_at_2s_min} = min(@share);
        $m{all_in_pg_after_s} = @complete == @runs
            ? median(map { $_->{all_after_s} } @runs) : undef;
        $m{all_in_pg_after_s_max} = @complete == @runs
            ? max(map { $_->{all_after_s} } @runs) : undef;
        $m{runs_incomplete} = @runs - @complete;
        $m{missing_total} = sum(map { $_->{missing} } @runs);
        $m{missing_max} = max(map { $_->{missing} } @runs);
        $m{udp_drops_total} = sum(map { $_->{udp_drops} // 0 } @runs)
            if grep { defined $_->{udp_drops} } @runs;
        $m{dropped_total} = sum(map { $_->{dropped} // 0 } @runs)
            if exists $runs[0]{dropped};
    }
    return \%m;
}

sub summary {
    my ($self) = @_;
    return $self->{summary} if $self->{summary};
    my $b = $self->{bench};
    my %s;
    for my $view ($self->views) {
        for my $url (@{ $b->{options}{urls} }) {
            for my $v (@{ $b->{options}{variants} }) {
                my $m = $self->variant_medians($v, $url, $view) or next;
                $s{$view}{$url}{$v} = $m;
            }
        }
    }
    $self->{summary} = {
        medians => \%s,
        ratio_targets => $self->ratio_targets(\%s),
        rows => Bench::Delivery::summary($b),
        targets => $self->targets($s{shared}),
    };
    return $self->{summary};
}

# C/A per view and URL against issue 17's targets.
sub ratio_targets {
    my ($self, $s) = @_;
    my @t;
    for my $view ($self->views) {
        for my $url (@{ $self->{bench}{options}{urls} }) {
            my $c = $s->{$view}{$url}{C} or next;
            next unless $s->{$view}{$url}{A} && defined $c->{ratio_to_a};
            my $target = $RATIO_TARGET{$url};
            push @t, {
                view => $view, url => $url, target => $target, value => $c->{ratio_to_a},
                min => $c->{ratio_to_a_min}, max => $c->{ratio_to_a_max},
                met => $c->{ratio_to_a} >= $target ? 1 : 0,
            };
        }
    }
    return \@t;
}

# Each target of issue 8 with the figures it is read from and "met" or "missed",
# in the shared view (C/A is in ratio_targets, for both views).
sub targets {
    my ($self, $s) = @_;
    my $b = $self->{bench};
    my @t;
    for my $url (@{ $b->{options}{urls} }) {
        my $c = $s->{$url}{C} or next;
        if ($s->{$url}{B}) {
            my @r = $self->paired_ratios('C', 'B', $url, 'shared');
            my $m = median(@r);
            push @t, {
                target => "C no fewer req/s than B ($url)",
                value => $m,
                text => sprintf('C/B %.3f (rounds: %.3f..%.3f)', $m, min(@r), max(@r)),
                met => $m >= 1 ? 1 : 0,
            };
        }
        push @t, {
            target => "100% of C's rows in PG 2 s after the load ($url)",
            value => $c->{in_pg_at_2s_min},
            text => sprintf('worst run %s, all after %s s at most', pct($c->{in_pg_at_2s_min}),
                defined $c->{all_in_pg_after_s_max}
                    ? sprintf('%.1f', $c->{all_in_pg_after_s_max}) : 'never'),
            met => $c->{in_pg_at_2s_min} >= 1 ? 1 : 0,
        };
        if (my $d = $s->{$url}{D}) {
            push @t, {
                target => "C less CPU per request than D ($url)",
                value => $c->{cpu_per_10k} / $d->{cpu_per_10k},
                text => sprintf('%.2f vs %.2f CPU s per 10k requests', $c->{cpu_per_10k},
                    $d->{cpu_per_10k}),
                met => $c->{cpu_per_10k} < $d->{cpu_per_10k} ? 1 : 0,
            };
            push @t, {
                target => "C loses nothing; D's losses ($url)",
                value => $c->{missing_total},
                text => sprintf('C lost %d, D lost %d (UDP drops %d)', $c->{missing_total},
                    $d->{missing_total}, $d->{udp_drops_total} // 0),
                met => $c->{missing_total} == 0 ? 1 : 0,
            };
        }
    }
    if (my $o = $b->{outage}) {
        return \@t if $o->{error};
        my @thirds = @{ $o->{thirds} };
        my $growth = max(map { $_->{rss_max_kib} } @thirds[1 .. $#thirds])
            - $thirds[0]{rss_max_kib};
        push @t, {
            target => 'worker RSS under an outage within trace_buffer_size',
            value => $growth,
            text => sprintf('%+.1f MiB over the first third (bound %.0f MiB)', $growth / 1024,
                $o->{buffer_bound_kib} / 1024),
            met => $growth <= $o->{buffer_bound_kib} ? 1 : 0,
        };
        push @t, {
            target => 'after the outage every row arrives, once',
            value => $o->{rows},
            text => sprintf('%d of %d served, %d distinct request ids, %s', $o->{rows},
                $o->{served}, $o->{distinct_request_ids},
                defined $o->{all_after_restart_s}
                    ? sprintf('all %.1f s after the restart', $o->{all_after_restart_s})
                    : 'not all'),
            met => $o->{rows} == $o->{served} && $o->{distinct_request_ids} == $o->{rows} ? 1 : 0,
        };
    }
    return \@t;
}

# What recording adds per request, from the CPU medians: nginx's time over A's,
# and the time of PostgreSQL and rsyslog (1 CPU s per 10k requests is 100 us).
sub cost_over_a {
    my ($self, $url, $view) = @_;
    my $m = $self->summary->{medians}{$view}{$url};
    my $a = $m->{A} or return '';
    my $out = '';
    for my $v (grep { $_ ne 'A' } @{ $self->{bench}{options}{variants} }) {
        my $x = $m->{$v} or next;
        $out .= sprintf "  %s per request: nginx %+.1f us over A", $v,
            100 * ($x->{cpu_per_10k_nginx} - $a->{cpu_per_10k_nginx});
        $out .= sprintf ', PostgreSQL %.1f us', 100 * $x->{cpu_per_10k_pg}
            if exists $x->{in_pg_at_2s};
        $out .= sprintf ', rsyslog %.1f us', 100 * $x->{cpu_per_10k_rsyslog}
            if defined $x->{cpu_per_10k_rsyslog};
        $out .= "\n";
    }
    return $out;
}

sub mib { defined $_[0] ? sprintf('%.1f', $_[0] / 1024) : '-' }

# The medians of every variant on $url in $view, one line each, and what
# recording adds per request.
sub table {
    my ($self, $url, $view) = @_;
    my $b = $self->{bench};
    my $o = $b->{options};
    my $m = $self->summary->{medians}{$view}{$url};
    my @cols = ('variant', 'req/s', 'vs A', 'p50', 'p99', 'in PG@2s', 'all in PG', 'dropped',
        'CPU s/10k', 'nginx', 'PG', 'rsyslog', 'RSS MiB');
    my $fmt = "%-22s %7s %6s %9s %9s %8s %-16s %7s %9s %6s %6s %7s %7s\n";
    my $out = sprintf "\n%s, %s: GET %s, medians of %d rounds\n", $url, $VIEW_TITLE{$view},
        $b->{urls}{$url}, $o->{rounds};
    $out .= sprintf $fmt, @cols;
    for my $v (@{ $o->{variants} }) {
        my $x = $m->{$v} or next;
        my $all = '-';
        if (exists $x->{in_pg_at_2s}) {
            $all = defined $x->{all_in_pg_after_s}
                ? sprintf('%.1f s', $x->{all_in_pg_after_s})
                : $x->{runs_incomplete} == $x->{runs}
                ? sprintf('never: %d lost', $x->{missing_max})
                : sprintf('%d/%d: %d lost', $x->{runs_incomplete}, $x->{runs},
                    $x->{missing_max});
        }
        my @cpu = map {
            defined $x->{"cpu_per_10k_$_"} ? sprintf('%.2f', $x->{"cpu_per_10k_$_"}) : '-'
        } qw(nginx pg rsyslog);
        $out .= sprintf $fmt, $b->{variants}{$v}{label}, sprintf('%.0f', $x->{rps}),
            defined $x->{ratio_to_a} ? sprintf('%.3f', $x->{ratio_to_a}) : '-',
            ms($x->{p50_ms}), ms($x->{p99_ms}), pct($x->{in_pg_at_2s}), $all,
            $x->{dropped_total} // '-',
            sprintf('%.2f', $x->{cpu_per_10k} // 0), @cpu, mib($x->{rss_max_kib});
    }
    $out .= $self->cost_over_a($url, $view);
    my @noisy = map { $m->{$_}{other_processes_cpu_s} // 0 } @{ $o->{variants} };
    $out .= sprintf "(CPU s of other processes during a run, median per variant: %s; "
        . "client errors: %d)\n", join(' / ', map { sprintf '%.1f', $_ } @noisy),
        sum(map { $m->{$_}{errors} // 0 } @{ $o->{variants} });
    return $out;
}

sub text {
    my ($self) = @_;
    my $b = $self->{bench};
    my $s = $self->summary;
    my $o = $b->{options};
    my $m = $b->{machine};
    my $pg = $b->{postgresql};
    my $out = '';
    $out .= sprintf "\nnginx-trace benchmark, %s: %d rounds, %d s per run, %s\n",
        $b->{started}, $o->{rounds}, $o->{seconds}, $o->{wrk};
    $out .= sprintf "machine: %d x %s, %.1f GiB, Linux %s; nginx %s (1 worker), "
        . "PostgreSQL %s, rsyslog %s, wrk %s\n", $m->{nproc}, $m->{cpu_model},
        $m->{memory_gib}, $m->{kernel}, $m->{nginx}, $pg->{version}, $m->{rsyslog}, $m->{wrk};
    $out .= sprintf "PostgreSQL: fsync=%s synchronous_commit=%s wal_sync_method=%s "
        . "full_page_writes=%s shared_buffers=%s max_wal_size=%s autovacuum=%s\n",
        @{$pg}{qw(fsync synchronous_commit wal_sync_method full_page_writes shared_buffers
            max_wal_size autovacuum)};

    my $pin = $b->{pinning} // {};
    $out .= $pin->{skipped} ? "pinned view: skipped, $pin->{skipped}\n"
        : sprintf("views: shared (every process on CPUs %s); pinned (PostgreSQL on CPU %s; "
            . "nginx, its backend, wrk and rsyslogd on CPU %s)\n", $pin->{cpus}, $pin->{pg_cpu},
            $pin->{load_cpu});
    $out .= "C records with the module's defaults: no trace_spool line, so its spool is "
        . "$b->{spool_dir}\n" if $b->{spool_dir};

    for my $view ($self->views) {
        $out .= $self->table($_, $view) for @{ $o->{urls} };
    }
    $out .= $self->pinning_text;
    $out .= Bench::Delivery::text($b);

    my $x = $b->{outage};
    if ($x && $x->{error}) {
        $out .= "\noutage run failed: $x->{error}";
    } elsif ($x) {
        $out .= sprintf "\noutage: C with trace_spool, static file, %d s; PostgreSQL stopped "
            . "at %.1f s, accepting again at %.1f s\n", $x->{seconds}, $x->{pg_stopped_at_s},
            $x->{pg_restarted_at_s};
        my @names = ('before:', 'PG down:', 'after:');
        for my $i (0 .. $#{ $x->{thirds} }) {
            my $th = $x->{thirds}[$i];
            $out .= sprintf "  third %d, %-8s %7.0f req/s, worker RSS max %s MiB, "
                . "slowest status answer %.0f ms\n", $i + 1, $names[$i], $th->{rps},
                mib($th->{rss_max_kib}), $th->{status_probe_max_ms};
        }
        my $ts = $x->{trace_status} // {};
        $out .= sprintf "  served %d; in PG %d (%d distinct), %s; spooled %d, replayed %d, "
            . "dropped %d\n", $x->{served}, $x->{rows}, $x->{distinct_request_ids},
            defined $x->{all_after_s}
                ? sprintf('all %.1f s after the load, %.1f s after the restart',
                    $x->{all_after_s}, $x->{all_after_restart_s})
                : "$x->{missing} missing",
            $ts->{spooled_rows} // 0, $ts->{replayed_rows} // 0, $ts->{dropped_rows} // 0;
    }

    $out .= "\ntargets (issue 17): C/A req/s, paired per round (median, rounds' range)\n";
    for my $t (@{ $s->{ratio_targets} }) {
        $out .= sprintf "  C/A %-6s %-6s %.3f (rounds: %.3f..%.3f)  target >= %.2f: %s\n",
            $t->{url}, $t->{view}, $t->{value}, $t->{min}, $t->{max}, $t->{target},
            $t->{met} ? 'met' : 'missed';
    }
    my $rows = $s->{rows};
    $out .= sprintf "  rows dropped: %d in %d runs (target 0): %s\n", $rows->{dropped},
        $rows->{runs}, $rows->{met} ? 'met' : 'missed'
        if $rows->{runs};
    $out .= "\ntargets (issue 8, shared view):\n";
    for my $t (@{ $s->{targets} }) {
        $out .= sprintf "  %-6s %-52s %s\n", $t->{met} ? 'met' : 'missed', $t->{target},
            $t->{text};
    }
    return $out;
}

# Whether every run's processes ran where its view put them (bench/run.pl
# reads every thread's affinity back with taskset -p, during the load and
# after the drain).
sub pinning_text {
    my ($self) = @_;
    my $out = '';
    for my $view ($self->views) {
        my @runs = grep { ($_->{view} // 'shared') eq $view && $_->{pinning} }
            @{ $self->{bench}{runs} } or next;
        my @bad = grep { @{ $_->{pinning}{problems} } } @runs;
        my $cpus = $runs[0]{pinning}{cpus};
        $out .= sprintf "%s view: PostgreSQL on CPU %s, the load on CPU %s: held in %d of %d "
            . "runs%s (PostgreSQL processes: %d..%d, the writing backend among them in %d runs; "
            . "load processes: %d..%d)\n", $view, $cpus->{pg}, $cpus->{load}, @runs - @bad,
            scalar @runs, @bad ? sprintf(', NOT in %d', scalar @bad) : '',
            min(map { $_->{pinning}{pg_processes} // 0 } @runs),
            max(map { $_->{pinning}{pg_processes} // 0 } @runs),
            scalar(grep { $_->{pinning}{writer_backends} } @runs),
            min(map { $_->{pinning}{load_processes} // 0 } @runs),
            max(map { $_->{pinning}{load_processes} // 0 } @runs);
        for my $r (@bad) {
            $out .= "!!! round $r->{round} $view $r->{url} $r->{variant}: $_\n"
                for @{ $r->{pinning}{problems} };
        }
    }
    return $out && "\nCPU affinity, read back with taskset -p:\n$out";
}

1;
