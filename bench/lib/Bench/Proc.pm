package Bench::Proc;

# What the benchmark reads from /proc: CPU time of a process and its children,
# a process's resident memory, the machine's CPU counters, the drops of a UDP
# socket, and a description of the machine.

use strict;
use warnings;

use POSIX ();

use Exporter qw(import);
our @EXPORT_OK = qw(tree_cpu rss_kib machine_cpu udp_drops machine_info children);

my $TICKS = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;

sub read_file {
    my ($file) = @_;
    open my $fh, '<', $file or return undef;
    local $/;
    return scalar <$fh>;
}

# (ppid, utime, stime, cutime, cstime) in ticks, or () when the process is gone.
sub stat_times {
    my ($pid) = @_;
    my $stat = read_file("/proc/$pid/stat") // return ();
    # the command name, in parentheses, may hold spaces: split after the last ')'
    my ($rest) = $stat =~ /\)\s(.*)$/s or return ();
    my @f = split ' ', $rest;    # $f[0] is field 3 (state)
    return @f[1, 11, 12, 13, 14];
}

sub children {
    my ($pid) = @_;
    my @kids;
    for my $task (glob "/proc/$pid/task/*/children") {
        push @kids, split ' ', (read_file($task) // '');
    }
    return @kids if -e "/proc/$pid/task/$pid/children";
    # kernels without CONFIG_PROC_CHILDREN: scan every process
    for my $dir (glob '/proc/[0-9]*') {
        my ($child) = $dir =~ m{(\d+)$};
        my ($ppid) = stat_times($child);
        push @kids, $child if defined $ppid && $ppid == $pid;
    }
    return @kids;
}

# CPU seconds used by a process tree so far: the root's own time, the time of
# children it has already reaped (cutime, cstime), and the time of its live
# children. A child that exits between two readings moves from the third term
# to the second, so deltas stay right (nginx's master and workers, PostgreSQL's
# postmaster and its backends).
sub tree_cpu {
    my ($root) = @_;
    my (undef, @t) = stat_times($root) or return undef;
    my $ticks = $t[0] + $t[1] + $t[2] + $t[3];
    for my $child (children($root)) {
        my (undef, $u, $s) = stat_times($child) or next;
        $ticks += $u + $s;
    }
    return $ticks / $TICKS;
}

# VmRSS of a process in KiB (undef when it is gone).
sub rss_kib {
    my ($pid) = @_;
    my $status = read_file("/proc/$pid/status") // return undef;
    return $status =~ /^VmRSS:\s+(\d+)\s+kB/m ? $1 + 0 : undef;
}

# The machine's CPU seconds so far: busy (all but idle and iowait), of which
# softirq, and steal.
sub machine_cpu {
    my $stat = read_file('/proc/stat') // return { busy => 0, softirq => 0, steal => 0 };
    my ($user, $nice, $system, $idle, $iowait, $irq, $softirq, $steal) =
        $stat =~ /^cpu\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m;
    return {
        busy => ($user + $nice + $system + $irq + $softirq) / $TICKS,
        softirq => $softirq / $TICKS,
        steal => ($steal // 0) / $TICKS,
    };
}

# Datagrams the kernel dropped at the UDP socket bound to 127.0.0.1:$port
# (receive buffer full), from /proc/net/udp.
sub udp_drops {
    my ($port) = @_;
    my $want = sprintf '0100007F:%04X', $port;
    my $table = read_file('/proc/net/udp') // return undef;
    for my $line (split /\n/, $table) {
        my @f = split ' ', $line;
        return $f[-1] if @f > 12 && $f[1] eq $want;
    }
    return undef;
}

sub first_line {
    my ($cmd) = @_;
    my $out = `$cmd 2>&1` // '';
    my ($line) = split /\n/, $out;
    return $line // '';
}

sub machine_info {
    my $cpuinfo = read_file('/proc/cpuinfo') // '';
    my ($model) = $cpuinfo =~ /^model name\s*:\s*(.*)$/m;
    my ($mem_kib) = (read_file('/proc/meminfo') // '') =~ /^MemTotal:\s+(\d+)/m;
    my ($nginx) = first_line('/usr/sbin/nginx -v') =~ m{nginx/(\S+)};
    my ($rsyslog) = first_line('rsyslogd -v') =~ /rsyslogd\s+(\S+)/;
    my ($wrk) = first_line('wrk -v') =~ /wrk\s+(\S+)/;
    chomp(my $nproc = `nproc` // '');
    chomp(my $kernel = `uname -r` // '');
    return {
        nproc => $nproc + 0,
        cpu_model => $model // 'unknown',
        memory_gib => sprintf('%.1f', ($mem_kib // 0) / 1024 / 1024) + 0,
        kernel => $kernel,
        nginx => $nginx // 'unknown',
        rsyslog => $rsyslog // 'unknown',
        wrk => $wrk // 'unknown',
    };
}

1;
