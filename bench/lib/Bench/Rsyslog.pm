package Bench::Rsyslog;

# A private rsyslogd for variant D: its own configuration (bench/rsyslog-pgsql.conf
# filled in), pid file and work directory, in the foreground as a child of the
# benchmark, listening on a free UDP port of 127.0.0.1. Stopped by stop(), and
# by Bench::Rsyslog::stop_all from the benchmark's END block and signal handlers.

use strict;
use warnings;

use File::Path qw(make_path);
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

use Bench::Proc qw(udp_drops);

my %live;    # pid => object

# A UDP port nobody uses: the kernel picks one, we let it go and take it.
sub free_udp_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
        Proto => 'udp') or die "udp socket: $!\n";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub start {
    my ($class, %args) = @_;
    my $dir = $args{dir};
    make_path($dir);
    my $port = free_udp_port();
    my $conf = Trace::Test::slurp($args{template}) or die "cannot read $args{template}\n";
    $conf =~ s/\@WORKDIR\@/$dir/g;
    $conf =~ s/\@PORT\@/$port/g;
    $conf =~ s/\@CONNINFO\@/$args{conninfo}/g;
    Trace::Test::spew("$dir/rsyslog.conf", $conf);
    unlink "$dir/rsyslogd.pid";

    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$dir/rsyslogd.log";
        open STDERR, '>&', \*STDOUT;
        exec 'rsyslogd', '-n', '-f', "$dir/rsyslog.conf", '-i', "$dir/rsyslogd.pid"
            or POSIX::_exit(127);
    }
    my $self = bless { pid => $pid, port => $port, dir => $dir }, $class;
    $live{$pid} = $self;

    # ready when its socket is bound (imudp) and it wrote its pid file
    my $until = time + 10;
    until (defined udp_drops($port) && -s "$dir/rsyslogd.pid") {
        if (waitpid($pid, WNOHANG) == $pid || time > $until) {
            delete $live{$pid};
            kill 'KILL', $pid;
            die "rsyslogd did not start:\n" . Trace::Test::slurp("$dir/rsyslogd.log");
        }
        sleep 0.05;
    }
    return $self;
}

sub pid { $_[0]{pid} }
sub port { $_[0]{port} }
sub log_text { Trace::Test::slurp("$_[0]{dir}/rsyslogd.log") }

# Datagrams the kernel dropped because rsyslogd did not read them in time.
sub drops { udp_drops($_[0]{port}) // 0 }

# SIGTERM; after $timeout seconds SIGKILL. Messages still in its in-memory
# queue are given up (rsyslog's shutdown does so after its own timeouts).
sub stop {
    my ($self, $timeout) = @_;
    my $pid = delete $self->{pid} or return;
    delete $live{$pid};
    kill 'TERM', $pid;
    my $until = time + ($timeout // 10);
    while (waitpid($pid, WNOHANG) != $pid) {
        if (time > $until) {
            kill 'KILL', $pid;
            waitpid $pid, 0;
            last;
        }
        sleep 0.05;
    }
}

sub stop_all { $_->stop(5) for values %live }

1;
