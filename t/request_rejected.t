# Requests that nginx rejects while it reads the request line or the header
# (400 for /a%00b, /../x or a control byte; 414; 494) are recorded with what
# the client sent: the target raw, the method when nginx had read it, the
# status nginx answered, and malformed true; and only these are so marked.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP ();
use Trace::Test qw(http_request);
use Trace::Test::Reading qw(listed);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

# Lines up to 1 KB: a longer request line is 414, a longer header line 494.
$t->start_recording_nginx(
    trace_flush_interval => '100ms',
    client_header_buffer_size => '1k',
    large_client_header_buffers => '2 1k',
    locations => ['= /refused { return 400; }']);

my $long = '/long/' . ('x' x 3000);
my %sent = (
    nul         => "GET /a%00b HTTP/1.1\r\nHost: localhost\r\n\r\n",
    traversal   => "GET /../../etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n",
    control     => "GET /a\x01b?q=1 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    secret      => "POST /../x?password=hunter2&id=7 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    banner      => "SSH-2.0-OpenSSH_9.2p1\r\n",
    long_uri    => "GET $long HTTP/1.1\r\nHost: localhost\r\n\r\n",
    long_header => "GET /big?a=b HTTP/1.1\r\nHost: localhost\r\nX-Big: " . ('y' x 3000) . "\r\n\r\n",
    version     => "GET /v HTTP/9.9\r\nHost: localhost\r\n\r\n",
    fine        => "GET /fine?a=b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    refused     => "GET /refused HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    no_host     => "GET /no-host HTTP/1.1\r\n\r\n",
);
my %answered;
for my $name (sort keys %sent) {
    $answered{$name} = http_request($t->port, $sent{$name}, timeout => 5)->{status};
}
is($answered{nul}, 400, '/a%00b: nginx answers 400');
is($answered{long_uri}, 414, 'a 3 KB target: 414');
is($answered{long_header}, 400, 'a 3 KB header: 494, which nginx answers as 400');
is($answered{fine}, 200, 'an ordinary request');

my $want = keys %sent;
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') >= $want }, 10),
    "all $want requests recorded");

my %row;
for my $row (@{ listed($t, 'requests', '-n', 100) }) {
    my $key = join ' ', $row->{method} // '-', $row->{path} // '-';
    $row{$key} = $row;
}

sub row_is {
    my ($key, $expected, $name) = @_;
    my $row = $row{$key};
    ok($row, "$name: a row with method and path $key") or return diag(explain [sort keys %row]);
    is_deeply({ map { $_ => $row->{$_} } keys %$expected }, $expected, "$name: its columns")
        or diag(explain $row);
}

my $json_true = JSON::PP::true;
row_is('GET /a%00b', { status => 400, malformed => $json_true, query => undef }, 'NUL in the target');
row_is('GET /../../etc/passwd', { status => 400, malformed => $json_true }, 'above the root');
row_is("GET /a\x01b", { status => 400, malformed => $json_true, query => 'q=1' },
    'a control byte: nginx stops at it, the target is all the line holds');
row_is('POST /../x', { status => 400, malformed => $json_true, query => 'password=[REDACTED]&id=7' },
    'a rejected query is redacted as any other');
row_is('- SSH-2.0-OpenSSH_9.2p1', { status => 400, malformed => $json_true },
    'no method nginx can read: the whole line, no method');
row_is('GET /big', { status => 400, malformed => $json_true, query => 'a=b' },
    'a header too large (494): the target nginx had parsed');
row_is('GET /v', { status => 505, malformed => $json_true }, 'an unknown HTTP version: 505');
row_is('GET /no-host', { status => 400, malformed => $json_true },
    'HTTP/1.1 without Host: nginx rejects it before any location');
row_is('GET /fine', { status => 200, malformed => undef, query => 'a=b' },
    'an accepted request is not marked');
row_is('GET /refused', { status => 400, malformed => undef },
    'nor is a 400 that a location answers');

# The 414: the line never ended within nginx's 1 KB; the row holds what nginx
# had of the target and ends in the cut mark.
my ($cut) = grep { ($_->{path} // '') =~ m{^/long/} } values %row;
ok($cut, '414: recorded') or diag(explain [sort keys %row]);
if ($cut) {
    is($cut->{method}, 'GET', '414: the method');
    is($cut->{status}, 414, '414: the status');
    is($cut->{malformed}, $json_true, '414: malformed');
    like($cut->{path}, qr{^/long/x{900,1020}\xe2\x80\xa6$}, '414: the start of the target, then the cut mark')
        or diag(length $cut->{path});
}

# Bounded: a 2 KB limit even when nginx holds more of the line.
$t->stop_nginx;
$t->start_recording_nginx(trace_flush_interval => '100ms',
    large_client_header_buffers => '2 16k');
is(http_request($t->port, "GET /huge/" . ('z' x 10000) . "%00 HTTP/1.1\r\nHost: localhost\r\n\r\n")->{status},
    400, 'a 10 KB target with %00: 400');
ok($t->wait_for(sub { $pg->value(q{SELECT count(*) FROM trace.requests WHERE path LIKE '/huge/%'}) == 1 }, 10),
    'recorded');
my $huge = $pg->value(q{SELECT path FROM trace.requests WHERE path LIKE '/huge/%'});
is(length($huge), 2048 + 3, 'stored cut to 2 KB and the mark (3 bytes of UTF-8)');
like($huge, qr{z\xe2\x80\xa6$}, '... ending in the mark');

$t->done;
