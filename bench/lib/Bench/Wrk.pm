package Bench::Wrk;

# wrk as a child process: start it, poll whether it is done, read its report
# (requests/s, latency percentiles from --latency, errors). Killed by
# Bench::Wrk::stop_all from the benchmark's END block and signal handlers.

use strict;
use warnings;

use POSIX qw(:sys_wait_h);

my %live;    # pid => object

sub start {
    my ($class, %args) = @_;
    my $out = $args{output};
    my @cmd = ('wrk', "-t$args{threads}", "-c$args{connections}", "-d$args{seconds}s",
        '--latency', $args{url});
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT;
        exec @cmd or POSIX::_exit(127);
    }
    my $self = bless { pid => $pid, output => $out, cmd => join(' ', @cmd) }, $class;
    $live{$pid} = $self;
    return $self;
}

sub command { $_[0]{cmd} }

# wrk's pid while it runs (undef once it was reaped)
sub pid { $_[0]{pid} }

# True once wrk has exited (and was reaped).
sub done {
    my ($self) = @_;
    return 1 unless $self->{pid};
    return 0 if waitpid($self->{pid}, WNOHANG) != $self->{pid};
    $self->{status} = $?;
    delete $live{ delete $self->{pid} };
    return 1;
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    delete $live{$pid};
    kill 'TERM', $pid;
    waitpid $pid, 0;
}

sub stop_all { $_->stop for values %live }

my %UNIT = (us => 1e-3, ms => 1, s => 1e3, m => 60e3, h => 3600e3);

sub millis {
    my ($value, $unit) = @_;
    return $value * $UNIT{$unit};
}

# { rps, requests, p50_ms, p99_ms, errors, raw }; dies when wrk failed.
sub report {
    my ($self) = @_;
    my $text = Trace::Test::slurp($self->{output});
    my ($rps) = $text =~ /^Requests\/sec:\s+([\d.]+)/m;
    die "wrk failed (" . ($self->{status} // '?') . "): $text\n" unless defined $rps;
    my %pct;
    while ($text =~ /^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$/mg) {
        $pct{$1} = millis($2, $3);
    }
    my ($requests) = $text =~ /^\s+(\d+) requests in/m;
    my $errors = 0;
    $errors += $1 if $text =~ /Non-2xx or 3xx responses:\s+(\d+)/;
    if ($text =~ /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/) {
        $errors += $1 + $2 + $3 + $4;
    }
    return {
        rps => $rps + 0,
        requests => ($requests // 0) + 0,
        p50_ms => $pct{50},
        p99_ms => $pct{99},
        errors => $errors,
        raw => $text,
    };
}

1;
