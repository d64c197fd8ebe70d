package Trace::Test::Load;

# Load on the test's nginx, and what the delivery tests check after it: each
# answered request in trace.requests exactly once, and the module's
# trace_status counters.
#
# Methods of the test object (Trace::Test inherits them). Load runs in forked
# clients, which write what they saw to files in the test's directory.

use strict;
use warnings;

use IO::Socket::INET;
use POSIX ();
use Test::More ();
use Time::HiRes qw(sleep);

use Trace::Test ();
use Trace::Test::Http qw(http_request keepalive_request);

# $count GET requests, $args{concurrency} keep-alive connections at once
# (default 4), request i asks for $args{path}->(i), with $args{headers}.
# Returns how many were answered with the expected status (default 200).
sub load {
    my ($self, $count, %args) = @_;
    my $conc = $args{concurrency} // 4;
    my $path = $args{path} // sub { "/?id=$_[0]" };
    my $want = $args{status} // 200;
    my $extra = join '', map { "$_: $args{headers}{$_}\r\n" } sort keys %{ $args{headers} // {} };
    my $port = $self->port('http');
    my $dir = $self->{base};
    my @pids;
    for my $k (0 .. $conc - 1) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $ok = 0;
            my $s;
            for (my $i = $k; $i < $count; $i += $conc) {
                for my $attempt (1 .. 3) {
                    $s //= IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                        Proto => 'tcp', Timeout => 10);
                    next unless $s;
                    my $p = $path->($i);
                    my $status = keepalive_request($s,
                        "GET $p HTTP/1.1\r\nHost: localhost\r\n$extra\r\n");
                    if (!defined $status) { undef $s; next }
                    $ok++ if $status == $want;
                    last;
                }
            }
            Trace::Test::spew("$dir/load.$k", $ok);
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    waitpid $_, 0 for @pids;
    my $total = 0;
    $total += Trace::Test::slurp("$dir/load.$_") || 0 for 0 .. $conc - 1;
    return $total;
}

# Steady background load until stop_background_load: $args{clients}
# processes (default 2) each send GET PATH?id=<client>-<n> (PATH is
# $args{path}, default /load) on fresh connections, with a pause of
# $args{pause} seconds (default 0.002) between requests, and write down every
# id that was answered 200.
sub start_background_load {
    my ($self, %args) = @_;
    my $clients = $args{clients} // 2;
    my $pause = $args{pause} // 0.002;
    my $path = $args{path} // '/load';
    my $port = $self->port('http');
    my $dir = $self->{base};
    my @pids;
    for my $c (1 .. $clients) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $stop = 0;
            $SIG{TERM} = sub { $stop = 1 };
            open my $log, '>', "$dir/answered.$c" or die;
            $log->autoflush(1);
            for (my $n = 1; !$stop; $n++) {
                my $r = http_request($port, "GET $path?id=$c-$n HTTP/1.0\r\nHost: localhost\r\n\r\n",
                    timeout => 10);
                print $log "$c-$n\n" if $r->{status} == 200;
                sleep $pause if $pause;
            }
            close $log;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    $self->{background} = { pids => \@pids, clients => $clients };
    return $self;
}

# Stops the background load; returns the ids that were answered 200.
sub stop_background_load {
    my ($self) = @_;
    my $bg = delete $self->{background} or return ();
    kill 'TERM', @{ $bg->{pids} };
    waitpid $_, 0 for @{ $bg->{pids} };
    my @ids;
    for my $c (1 .. $bg->{clients}) {
        push @ids, split /\n/, Trace::Test::slurp("$self->{base}/answered.$c");
    }
    return @ids;
}

# The check every delivery test ends with: each answered id is in
# trace.requests exactly once, and no row is there twice. Three assertions.
sub check_exactly_once {
    my ($self, $ids, $path, $timeout) = @_;
    $path //= '/load';
    my $pg = $self->{pg};
    my %want = map { ("id=$_" => 1) } @$ids;
    my $count = sub { $pg->value('SELECT count(*) FROM trace.requests WHERE path = $1', $path) };
    $self->wait_for(sub { $count->() >= @$ids }, $timeout // 30);
    my $rows = $pg->sql('SELECT query, count(*) FROM trace.requests WHERE path = $1 GROUP BY query',
        $path);
    my %got = map { $_->[0] => $_->[1] } @$rows;
    my @missing = grep { !$got{$_} } sort keys %want;
    my @doubled = grep { $got{$_} > 1 } sort keys %got;
    my @unknown = grep { !$want{$_} } sort keys %got;
    Test::More::ok(@$ids > 0, scalar(@$ids) . ' requests were answered');
    Test::More::is(scalar @missing, 0, 'no answered request is missing')
        or Test::More::diag("missing: @missing[0 .. ($#missing < 9 ? $#missing : 9)]");
    Test::More::is(scalar @doubled, 0, 'no request is recorded twice')
        or Test::More::diag("doubled: @doubled[0 .. ($#doubled < 9 ? $#doubled : 9)]");
    # A request whose answer was cut off (the client saw no 200) may still
    # have been served and recorded; it must still be a request that was sent.
    Test::More::diag(scalar(@unknown) . ' rows of requests whose answer the client did not see')
        if @unknown;
}

# The workers of the trace_status JSON at $status_path, decoded: one hash each.
sub status_workers {
    my ($self, $status_path) = @_;
    require JSON::PP;
    return JSON::PP->new->decode($self->get($status_path)->{body})->{workers};
}

# The sum of a counter over every worker in the trace_status JSON at
# $status_path.
sub status_sum {
    my ($self, $status_path, $key) = @_;
    my $body = $self->get($status_path)->{body};
    my $sum = 0;
    $sum += $1 while $body =~ /"\Q$key\E":(\d+)/g;
    return $sum;
}

1;
