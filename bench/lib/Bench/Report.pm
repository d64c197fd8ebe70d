package Bench::Report;

# Turns the runs of bench/run.pl into medians, a table for people and a summary
# for the JSON file, and reads them against the targets of issue 8. Targets are
# reported, never asserted: a benchmark on a shared machine is not a test.

use strict;
use warnings;

use List::Util qw(max min sum);

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
    my $line = sprintf 'round %d %-6s %s: %.0f req/s, p99 %s, served %d', $r->{round}, $r->{url},
        $r->{variant}, $r->{rps}, ms($r->{p99_ms}), $r->{served};
    $line .= sprintf ', in PG at 2 s %d, %s', $r->{at_2s},
        defined $r->{all_after_s} ? sprintf('all after %.1f s', $r->{all_after_s})
                                   : "$r->{missing} missing ($r->{gave_up})"
        if exists $r->{rows};
    $line .= ", UDP drops $r->{udp_drops}" if defined $r->{udp_drops};
    $line .= ", $r->{errors} errors" if $r->{errors};
    $line .= sprintf ', CPU %.2f s/10k (others %.1f s)', cpu_per_10k($r) // 0,
        $r->{cpu_s}{other_processes};
    return $line;
}

sub new {
    my ($class, $bench) = @_;
    return bless { bench => $bench }, $class;
}

sub runs {
    my ($self, $variant, $url) = @_;
    return grep { $_->{variant} eq $variant && $_->{url} eq $url } @{ $self->{bench}{runs} };
}

# Per round, variant's req/s over the reference's: paired ratios are steadier
# than a ratio of medians when the machine's speed drifts between rounds.
sub paired_ratios {
    my ($self, $variant, $reference, $url) = @_;
    my %ref = map { $_->{round} => $_->{rps} } $self->runs($reference, $url);
    return map { $ref{ $_->{round} } ? $_->{rps} / $ref{ $_->{round} } : () }
        $self->runs($variant, $url);
}

sub summary {
    my ($self) = @_;
    return $self->{summary} if $self->{summary};
    my $b = $self->{bench};
    my %s;
    for my $url (@{ $b->{options}{urls} }) {
        for my $v (@{ $b->{options}{variants} }) {
            my @runs = $self->runs($v, $url) or next;
            my @ratios = $self->paired_ratios($v, 'A', $url);
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
            }
            $s{$url}{$v} = \%m;
        }
    }
    $self->{summary} = { medians => \%s, targets => $self->targets(\%s) };
    return $self->{summary};
}

# Each target of issue 8 with the figures it is read from and "met" or "missed".
sub targets {
    my ($self, $s) = @_;
    my $b = $self->{bench};
    my @t;
    for my $url (@{ $b->{options}{urls} }) {
        my $c = $s->{$url}{C} or next;
        if ($s->{$url}{A}) {
            push @t, {
                target => "C >= 95% of A's req/s ($url)",
                value => $c->{ratio_to_a},
                text => sprintf('%.3f of A (rounds: %.3f..%.3f)', $c->{ratio_to_a},
                    $c->{ratio_to_a_min}, $c->{ratio_to_a_max}),
                met => $c->{ratio_to_a} >= 0.95 ? 1 : 0,
            };
        }
        if ($s->{$url}{B}) {
            my @r = $self->paired_ratios('C', 'B', $url);
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
    my ($self, $url) = @_;
    my $m = $self->summary->{medians}{$url};
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

    my @cols = ('variant', 'req/s', 'vs A', 'p50', 'p99', 'in PG@2s', 'all in PG',
        'CPU s/10k', 'nginx', 'PG', 'rsyslog', 'RSS MiB');
    my $fmt = "%-22s %7s %6s %9s %9s %8s %-16s %9s %6s %6s %7s %7s\n";
    for my $url (@{ $o->{urls} }) {
        $out .= sprintf "\n%s: GET %s, medians of %d rounds\n", $url, $b->{urls}{$url},
            $o->{rounds};
        $out .= sprintf $fmt, @cols;
        for my $v (@{ $o->{variants} }) {
            my $x = $s->{medians}{$url}{$v} or next;
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
                sprintf('%.2f', $x->{cpu_per_10k} // 0), @cpu, mib($x->{rss_max_kib});
        }
        $out .= $self->cost_over_a($url);
        my @noisy = map { $s->{medians}{$url}{$_}{other_processes_cpu_s} // 0 }
            @{ $o->{variants} };
        $out .= sprintf "(CPU s of other processes during a run, median per variant: %s; "
            . "client errors: %d)\n", join(' / ', map { sprintf '%.1f', $_ } @noisy),
            sum(map { $s->{medians}{$url}{$_}{errors} // 0 } @{ $o->{variants} });
    }

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

    $out .= "\ntargets (issue 8):\n";
    for my $t (@{ $s->{targets} }) {
        $out .= sprintf "  %-6s %-52s %s\n", $t->{met} ? 'met' : 'MISSED', $t->{target},
            $t->{text};
    }
    return $out;
}

1;
