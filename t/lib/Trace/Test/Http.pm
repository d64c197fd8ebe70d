package Trace::Test::Http;

# A raw HTTP client, so that tests can send any bytes: one request per
# connection (http_request, and $t->get on the test's nginx), or one on a
# keep-alive connection (keepalive_request, for load).

use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);

use Exporter qw(import);
our @EXPORT_OK = qw(http_request keepalive_request);

# Sends $raw (an HTTP/1.0 request) to the port and reads until the server
# closes. Returns a hash with status, headers (lower-case names), body and raw.
sub http_request {
    my ($port, $raw, %args) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
        Proto => 'tcp', Timeout => $args{timeout} // 10)
        or return { status => 0, error => "connect: $!" };
    binmode $s;
    print $s $raw;
    my $resp = '';
    my $sel = IO::Select->new($s);
    my $until = time + ($args{timeout} // 10);
    while (time < $until && $sel->can_read($until - time)) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $resp .= $buf;
    }
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $resp, 2;
    my ($status) = ($head // '') =~ m{^HTTP/\d\.\d (\d+)};
    my %headers;
    for my $line (split /\r\n/, $head // '') {
        $headers{ lc $1 } = $2 if $line =~ /^([^:]+):\s*(.*)$/;
    }
    return { status => $status // 0, headers => \%headers, body => $body // '',
        raw => $resp };
}

# One request on a keep-alive socket; returns the status, or undef when the
# connection broke (the caller reconnects).
sub keepalive_request {
    my ($s, $raw) = @_;
    print $s $raw or return undef;
    my $head = '';
    while ($head !~ /\r\n\r\n/) {
        my $n = sysread($s, $head, 4096, length $head);
        return undef unless $n;
    }
    my ($h, $rest) = split /\r\n\r\n/, $head, 2;
    my ($status) = $h =~ m{^HTTP/1\.\d (\d+)} or return undef;
    my ($len) = $h =~ /\r\ncontent-length:\s*(\d+)/i;
    $len //= 0;
    while (length($rest) < $len) {
        my $n = sysread($s, $rest, $len - length $rest, length $rest);
        return undef unless $n;
    }
    return $status;
}

# A method of the test object (Trace::Test inherits it): a request to the
# test's nginx, GET unless -method, with -body and headers (Host: localhost
# unless given); returns the http_request hash.
sub get {
    my ($self, $path, %headers) = @_;
    my $method = delete $headers{-method} // 'GET';
    my $body = delete $headers{-body};
    my $raw = "$method $path HTTP/1.0\r\n";
    $raw .= "Host: localhost\r\n" unless grep { lc eq 'host' } keys %headers;
    $raw .= "$_: $headers{$_}\r\n" for sort keys %headers;
    $raw .= "Content-Length: " . length($body) . "\r\n" if defined $body;
    $raw .= "\r\n";
    $raw .= $body if defined $body;
    return http_request($self->port('http'), $raw);
}

1;
