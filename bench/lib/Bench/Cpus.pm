package Bench::Cpus;

# CPU affinity for the benchmark's pinned view, through util-linux's taskset:
# which CPUs this process may use, pinning a process (every thread of it) to a
# list of CPUs, and reading back where each thread of a process may run, so
# that a run can show its pinning held rather than assume it.

use strict;
use warnings;

use Exporter qw(import);
our @EXPORT_OK = qw(allowed_cpus cpu_list pin affinity);

# "0-2,5" -> (0, 1, 2, 5)
sub parse_list {
    my ($list) = @_;
    my @cpus;
    for my $part (split /,/, $list // '') {
        my ($from, $to) = $part =~ /^\s*(\d+)(?:-(\d+))?\s*$/ or next;
        push @cpus, $from .. ($to // $from);
    }
    return @cpus;
}

# (0, 1, 2, 5) -> "0,1,2,5": taskset's -c takes it as it is
sub cpu_list { join ',', @_ }

# The CPUs this process may run on (its own affinity, not the machine's count:
# under a cpuset that is what the benchmark has).
sub allowed_cpus {
    open my $fh, '<', '/proc/self/status' or return ();
    while (my $line = <$fh>) {
        return parse_list($1) if $line =~ /^Cpus_allowed_list:\s*(\S+)/;
    }
    return ();
}

sub taskset {
    my (@args) = @_;
    my $out = qx{taskset @args 2>&1};
    return ($?, $out);
}

# Pins every thread of each process in @pids to the CPUs in $cpus (an array);
# a process that is gone meanwhile is skipped. Dies on any other failure, since
# a run that believes it is pinned and is not measures the wrong thing.
sub pin {
    my ($cpus, @pids) = @_;
    my $list = cpu_list(@$cpus);
    for my $pid (grep { kill 0, $_ } @pids) {
        my ($rc, $out) = taskset('-a', '-p', '-c', $list, $pid);
        die "taskset -a -p -c $list $pid: $out" if $rc && kill 0, $pid;
    }
}

# { tid => "1" } for every thread of $pid, as `taskset -a -p -c` reports it
# ("pid 42's current affinity list: 1"); empty when the process is gone.
sub affinity {
    my ($pid) = @_;
    my ($rc, $out) = taskset('-a', '-p', '-c', $pid);
    return {} if $rc;
    my %tids;
    while ($out =~ /^pid (\d+)'s current affinity list: (\S+)$/mg) {
        $tids{$1} = cpu_list(parse_list($2));
    }
    return \%tids;
}

1;
