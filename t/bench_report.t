# The benchmark's report reads its runs right: a module run whose missing rows
# differ from the rows the module counted as dropped is flagged as a bug, a run
# that did not drain or had foreign spool files is flagged as unsure, the
# "rows dropped" line sums every module run, and C/A is read per view against
# each URL's own target (0.95 static, 0.90 proxy). Runs are made up here; what
# is tested is bench/lib's reading of them, which `make bench` itself never
# checks (it measures, it asserts nothing).

use strict;
use warnings;
use lib 't/lib', 'bench/lib';
use Test::More;

use Bench::Delivery;
use Bench::Report;

# One run as bench/run.pl records it (only what the report reads).
sub run {
    my (%r) = @_;
    my $module = $r{variant} =~ /^[CE]$/;
    my $pinned = ($r{view} // '') eq 'pinned';
    my %run = (
        round => 1, view => 'shared', url => 'static', rps => 1000, served => 1000,
        p50_ms => 1, p99_ms => 2, errors => 0, rss_kib => { max => 6000 },
        cpu_s => { nginx => 1, pg => 1, other_processes => 0, steal => 0 },
        pinning => { cpus => $pinned ? { pg => '1', load => '0' } : { pg => '0,1', load => '0,1' },
            problems => [],
            pg_processes => 8, load_processes => 5 },
        $module ? (rows => 1000, at_2s => 1000, all_after_s => 1, missing => 0,
            dropped => 0, held_at_end => 0, spool_usable => 1, spool_files_before => 0,
            spool_dir => '/var/lib/nginx/trace',
            trace_status => { spooled_rows => 0, replayed_rows => 0 }) : (),
        %r,
    );
    return \%run;
}

sub bench {
    my (@runs) = @_;
    return {
        options => { urls => [qw(static proxy)], variants => [qw(A C)], rounds => 1,
            seconds => 3, wrk => 'wrk' },
        views => [qw(shared pinned)],
        urls => { static => '/static.txt', proxy => '/proxy' },
        variants => { A => { label => 'A' }, C => { label => 'C' } },
        machine => {}, postgresql => {}, pinning => { cpus => '0,1', pg_cpu => 1, load_cpu => 0 },
        runs => \@runs,
    };
}

# --- a module run's rows ---------------------------------------------------------------
is_deeply([ Bench::Delivery::problems(run(variant => 'C')) ], [], 'a sound run has no problem');

my @p = Bench::Delivery::problems(run(variant => 'C', rows => 990, missing => 10, dropped => 0));
is(scalar @p, 1, '10 missing, 0 dropped: one problem');
like($p[0], qr/10 missing but 0 dropped: rows lost without being counted \(a bug\)/, '... named a bug');

is_deeply([ Bench::Delivery::problems(run(variant => 'C', rows => 990, missing => 10,
    dropped => 10)) ], [], '10 missing, 10 dropped: counted, no bug');

@p = Bench::Delivery::problems(run(variant => 'C', rows => 1005, missing => -5));
like($p[0], qr/-5 missing but 0 dropped: rows added/, 'more rows than served: rows added');

@p = Bench::Delivery::problems(run(variant => 'C', rows => 900, missing => 100, held_at_end => 4096,
    gave_up => 'time limit'));
is(scalar @p, 1, 'a run that did not drain: one problem, not a bug');
like($p[0], qr/not drained \(the wait ended: time limit\): the module still held .*4096/, '... saying so');

@p = Bench::Delivery::problems(run(variant => 'C', held_at_end => undef, dropped => undef));
like($p[0], qr/trace_status did not answer/, 'no trace_status at the end: dropped unknown');

@p = Bench::Delivery::problems(run(variant => 'C', spool_files_before => 2));
like($p[0], qr{2 file\(s\) in /var/lib/nginx/trace before the run}, 'foreign spool files are named');

@p = Bench::Delivery::problems(run(variant => 'C', spool_usable => 0));
like($p[0], qr/could not write its spool/, 'an unusable default spool is named');

# --- the summary line and the table --------------------------------------------------------
my $b = bench(
    run(variant => 'A'), run(variant => 'C', rps => 960),
    run(variant => 'A', url => 'proxy'), run(variant => 'C', url => 'proxy', rps => 899,
        rows => 980, missing => 20, dropped => 20),
    run(variant => 'A', view => 'pinned'), run(variant => 'C', view => 'pinned', rps => 940),
    run(variant => 'A', view => 'pinned', url => 'proxy'),
    run(variant => 'C', view => 'pinned', url => 'proxy', rps => 900, rows => 997, missing => 3,
        dropped => 0),
);
my $s = Bench::Delivery::summary($b);
is($s->{runs}, 4, 'the summary counts the 4 module runs (A has no rows to count)');
is($s->{dropped}, 20, 'and their dropped rows');
is($s->{flagged}, 1, 'one run flagged (3 missing, 0 dropped)');
is($s->{met}, 0, 'rows dropped: target missed');

my $report = Bench::Report->new($b);
my $text = $report->text;
like($text, qr/^rows dropped: 20 in 4 runs \(target 0\): missed$/m, 'the summary line');
like($text, qr/^!!! round 1 pinned proxy C: 3 missing but 0 dropped/m, 'the flagged run, loudly');
like($text, qr/^\s+1 shared proxy\s+C\s+1000\s+980\s+20\s+20\s/m, 'a run\'s line: served stored dropped missing');

my %ratio = map { ("$_->{view} $_->{url}" => $_) } @{ $report->summary->{ratio_targets} };
is(scalar keys %ratio, 4, 'C/A for each view and URL');
is($ratio{'shared static'}{met}, 1, 'static 0.96 >= 0.95: met');
is($ratio{'pinned static'}{met}, 0, 'static 0.94 < 0.95: missed');
is($ratio{'shared proxy'}{met}, 0, 'proxy 0.899 < 0.90: missed');
is($ratio{'pinned proxy'}{met}, 1, 'proxy 0.90 >= 0.90: met');
like($text, qr/^  C\/A static shared 0\.960 .* target >= 0\.95: met$/m, 'a C/A line with its target');
like($text, qr/^  C\/A proxy  shared 0\.899 .* target >= 0\.90: missed$/m, 'the proxy one with its own');
like($text, qr/^static, PostgreSQL pinned to its own CPU: GET \/static\.txt/m, 'the pinned view has its table');
like($text, qr/^C\s+940\s+0\.940\s/m, 'with C/A in its "vs A" column');

# --- affinity read back ----------------------------------------------------------------------
$b->{runs}[5]{pinning} = { cpus => { pg => '1', load => '0' }, pg_processes => 9,
    load_processes => 5, problems => ['pg process 42 (thread 42) may run on CPU 0,1, not 1'] };
$text = Bench::Report->new($b)->text;
like($text, qr/^pinned view: PostgreSQL on CPU 1, the load on CPU 0: held in 3 of 4 runs, NOT in 1 /m,
    'a pinning that did not hold is reported');
like($text, qr/^!!! round 1 pinned static C: pg process 42/m, '... with the process');

done_testing;
