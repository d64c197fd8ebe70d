package Trace::Test::Ports;

# Loopback ports for the servers a test starts: a free one, and waiting until
# something listens on one.

use strict;
use warnings;

use IO::Socket::INET;
use Time::HiRes qw(sleep time);

use Exporter qw(import);
our @EXPORT_OK = qw(free_port wait_port);

# Ports are taken below the kernel's ephemeral range: a server restarted on
# its port (PostgreSQL in the outage tests) must not find it taken as the
# source port of some client's connection ("Address already in use").
my $EPHEMERAL_LOW = do {
    my $range = '';
    if (open my $fh, '<', '/proc/sys/net/ipv4/ip_local_port_range') { local $/; $range = <$fh> }
    my ($low) = $range =~ /(\d+)/;
    $low && $low > 12000 ? $low : 32768;
};

sub free_port {
    for (1 .. 50) {
        my $port = 10000 + int(rand($EPHEMERAL_LOW - 10000));
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
            Proto => 'tcp', ReuseAddr => 0, Listen => 1) or next;
        close $s;
        return $port;
    }
    die "no free port found\n";
}

# True once a TCP connection to the port succeeds, false after $timeout
# seconds (default 10).
sub wait_port {
    my ($port, $timeout) = @_;
    my $until = time + ($timeout // 10);
    while (time < $until) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
            Proto => 'tcp', Timeout => 1);
        if ($s) { close $s; return 1 }
        sleep 0.05;
    }
    return 0;
}

1;
