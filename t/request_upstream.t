# The access log's columns: referer, protocol (HTTP/1.0, 1.1, 2.0, with and
# without TLS), scheme, request_length, and the upstream columns exactly as
# nginx's $upstream_addr, $upstream_status and $upstream_response_time give
# them: one upstream, one that refuses (502), two tried (proxy_next_upstream),
# and an internal redirect to another upstream (" : "). Each is compared with
# nginx's own access log line for the same request, and trace-ctl shows and
# filters them (--referer, --upstream-status).

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Reading qw(decode_json_output parse_csv);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
my @db = ('--db', $pg->conninfo);

# A self-signed certificate for the TLS listener.
my $cert = $t->base . '/cert.pem';
my $key = $t->base . '/key.pem';
my ($rc, $out, $err) = Trace::Test::run('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
    '-subj', '/CN=localhost', '-days', '2', '-keyout', $key, '-out', $cert);
is($rc, 0, 'a self-signed certificate') or diag($err);
chmod 0644, $key;

# Nothing listens on the "down" port: connecting to it is refused at once.
my $down = $t->port('down');

$t->nginx(<<EOF);
http {
    trace_db "%%TRACE_DB%%";
    trace_flush_interval 100ms;
    trace on;
    trace_only_authenticated off;

    log_format up '\$request_uri|\$upstream_addr|\$upstream_status|\$upstream_response_time|'
                  '\$server_protocol|\$scheme|\$request_length';
    access_log %%PREFIX%%/logs/up.log up;

    upstream app   { server 127.0.0.1:%%PORT_APP%%; }
    upstream down  { server 127.0.0.1:$down; }
    # round robin tries the first server first; max_fails=0 keeps it in the
    # rotation whatever happened before
    upstream flaky { server 127.0.0.1:$down max_fails=0; server 127.0.0.1:%%PORT_APP%%; }

    server {
        listen 127.0.0.1:%%PORT_APP%%;
        trace off;
        access_log off;
        location / { return 200 "app\\n"; }
        location /missing/ { return 404; }
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2C%% http2;
        listen 127.0.0.1:%%PORT_TLS%% ssl http2;
        ssl_certificate $cert;
        ssl_certificate_key $key;

        location / { return 200 "ok\\n"; }
        location /app/ { proxy_pass http://app; }
        location /down/ { proxy_pass http://down; }
        location /flaky/ { proxy_pass http://flaky; proxy_next_upstream error; }
        location /redirected/ {
            proxy_pass http://down;
            error_page 502 = \@app;
        }
        location \@app { proxy_pass http://app; }
        location /twice/ {
            proxy_pass http://app/missing/;
            proxy_intercept_errors on;
            error_page 404 = /app/found;
        }
        location /body/ { proxy_pass http://app; }
    }
}
EOF

sub row {
    my ($path) = @_;
    $t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests WHERE path = ?', $path) }, 10);
    my $rows = $pg->dbh->selectall_arrayref(q{SELECT convert_to(referer, 'UTF8') AS referer, protocol, scheme,
        request_length, upstream_addr, upstream_status, upstream_response_time, status
        FROM trace.requests WHERE path = ?}, { Slice => {} }, $path);
    is(scalar @$rows, 1, "$path: one row") or return {};
    return $rows->[0];
}

# nginx's own access log line for a path: what $upstream_* etc. said.
sub logged {
    my ($path) = @_;
    my ($line) = grep { index($_, "$path|") == 0 } split /\n/, Trace::Test::slurp($t->nginx_prefix . '/logs/up.log');
    return {} unless $line;
    my %l;
    @l{qw(uri upstream_addr upstream_status upstream_response_time protocol scheme request_length)}
        = split /\|/, $line, -1;
    $l{$_} = undef for grep { $l{$_} eq '-' } qw(upstream_addr upstream_status upstream_response_time);
    return \%l;
}

sub same_as_access_log {
    my ($path, $row) = @_;
    my $l = logged($path);
    for my $c (qw(upstream_addr upstream_status upstream_response_time protocol scheme request_length)) {
        is($row->{$c}, $l->{$c}, "$path: $c as nginx's access log has it ("
            . ($l->{$c} // 'none') . ')');
    }
}

# --- protocols, scheme, request_length --------------------------------------------
my $raw10 = "GET /p10 HTTP/1.0\r\nHost: localhost\r\nX-Pad: abc\r\n\r\n";
is(Trace::Test::http_request($t->port, $raw10)->{status}, 200, 'HTTP/1.0 answered');
my $raw11 = "GET /p11 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
is(Trace::Test::http_request($t->port, $raw11)->{status}, 200, 'HTTP/1.1 answered');
my $body = 'x' x 1000;
my $post = "POST /body/p HTTP/1.0\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n$body";
is(Trace::Test::http_request($t->port, $post)->{status}, 200, 'a POST with a body answered');

my @curl = ('curl', '-s', '-o', '/dev/null', '-w', '%{http_version} %{http_code}');
($rc, $out) = Trace::Test::run(@curl, '--http2-prior-knowledge', 'http://127.0.0.1:' . $t->port('h2c') . '/h2c');
is($out, '2 200', 'HTTP/2 without TLS (h2c, prior knowledge)');
($rc, $out) = Trace::Test::run(@curl, '-k', '--http2', 'https://127.0.0.1:' . $t->port('tls') . '/h2tls');
is($out, '2 200', 'HTTP/2 over TLS (ALPN)');
($rc, $out) = Trace::Test::run(@curl, '-k', '--http1.1', 'https://127.0.0.1:' . $t->port('tls') . '/h1tls');
is($out, '1.1 200', 'HTTP/1.1 over TLS');

my $r = row('/p10');
is($r->{protocol}, 'HTTP/1.0', 'HTTP/1.0: protocol');
is($r->{scheme}, 'http', '... scheme');
is($r->{request_length}, length $raw10, '... request_length is every byte of the request');
ok(!defined $r->{upstream_addr} && !defined $r->{upstream_status} && !defined $r->{upstream_response_time},
    '... no upstream: the upstream columns are NULL');
ok(!defined $r->{referer}, '... no Referer: NULL');
same_as_access_log('/p10', $r);
$r = row('/p11');
is($r->{protocol}, 'HTTP/1.1', 'HTTP/1.1: protocol');
is($r->{request_length}, length $raw11, '... request_length');
$r = row('/body/p');
is($r->{request_length}, length $post, 'a POST: request_length counts the body');
same_as_access_log('/body/p', $r);
$r = row('/h2c');
is($r->{protocol}, 'HTTP/2.0', 'h2c: protocol as $server_protocol says it');
is($r->{scheme}, 'http', '... scheme http');
same_as_access_log('/h2c', $r);
$r = row('/h2tls');
is($r->{protocol}, 'HTTP/2.0', 'HTTP/2 over TLS: protocol');
is($r->{scheme}, 'https', '... scheme https');
ok($r->{request_length} > 0, '... request_length counted');
same_as_access_log('/h2tls', $r);
$r = row('/h1tls');
is($r->{protocol}, 'HTTP/1.1', 'HTTP/1.1 over TLS: protocol');
is($r->{scheme}, 'https', '... scheme https');
same_as_access_log('/h1tls', $r);

# --- upstreams ---------------------------------------------------------------------
my $app = '127.0.0.1:' . $t->port('app');
my $dead = "127.0.0.1:$down";
is($t->get('/app/one')->{status}, 200, 'proxied to the app');
is($t->get('/down/one')->{status}, 502, 'proxied to an upstream that refuses: 502');
is($t->get('/flaky/one')->{status}, 200, 'proxy_next_upstream: the second server answers');
is($t->get('/redirected/one')->{status}, 200, 'error_page to another upstream answers');
is($t->get('/twice/one')->{status}, 200, 'an intercepted 404, then the app again');

$r = row('/app/one');
is($r->{upstream_addr}, $app, 'one upstream: its address');
is($r->{upstream_status}, '200', '... its status');
like($r->{upstream_response_time}, qr/^\d+\.\d{3}$/, '... its response time, in seconds');
same_as_access_log('/app/one', $r);

$r = row('/down/one');
is($r->{status}, 502, 'refused: the request is a 502');
is($r->{upstream_addr}, $dead, '... the upstream tried');
is($r->{upstream_status}, '502', '... with 502 as nginx logs it');
same_as_access_log('/down/one', $r);

$r = row('/flaky/one');
is($r->{upstream_addr}, "$dead, $app", 'two servers tried: both, as nginx lists them');
is($r->{upstream_status}, '502, 200', '... and both statuses');
like($r->{upstream_response_time}, qr/^\d+\.\d{3}, \d+\.\d{3}$/, '... and both times');
same_as_access_log('/flaky/one', $r);

$r = row('/redirected/one');
is($r->{upstream_addr}, "$dead : $app", 'an internal redirect to another upstream: " : " between them');
is($r->{upstream_status}, '502 : 200', '... in the statuses too');
like($r->{upstream_response_time}, qr/^\d+\.\d{3} : \d+\.\d{3}$/, '... and the times');
same_as_access_log('/redirected/one', $r);

$r = row('/twice/one');
is($r->{upstream_status}, '404 : 200', 'the same upstream twice, across an error_page');
same_as_access_log('/twice/one', $r);

# --- referer: any bytes a client can send in a header ----------------------------------
my @referers = (
    'https://search.example/?q=nginx+trace',
    q{https://x.example/"quoted"/'single'/back\\slash\\\\/},
    "https://x.example/tab\there/\x01\x1f\x7f/",
    "https://x.example/caf\xc3\xa9/\xf0\x9f\x98\x80",
    "https://x.example/latin1-caf\xe9/\xff\xfe",
    '\\N',
    '',
);
# Bytes PostgreSQL cannot hold are stored as \xHH (copy_text.hpp); the rest as sent.
sub stored {
    my ($bytes) = @_;
    my $out = '';
    while (length $bytes) {
        if ($bytes =~ s/^([\x01-\x7f]|[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2})//) {
            $out .= $1;
        } else {
            $bytes =~ s/^(.)//s;
            $out .= sprintf('\\x%02x', ord $1);
        }
    }
    return $out;
}
for my $i (0 .. $#referers) {
    is($t->get("/ref/$i", Referer => $referers[$i])->{status}, 200, "referer $i answered");
}
for my $i (0 .. $#referers) {
    is(row("/ref/$i")->{referer}, stored($referers[$i]), "referer $i stored as sent (or visibly escaped)");
}
is($pg->value('SELECT count(*) FROM trace.rejected'), 0, 'no row was refused');

# --- trace-ctl: shown in JSON and CSV, filtered --------------------------------------------
sub listed {
    my (@args) = @_;
    my ($code, $stdout, $stderr) = $t->trace_ctl(@db, 'requests', '--format', 'json', '--limit', '1000', @args);
    is($code, 0, "trace-ctl requests @args") or diag($stderr);
    return [ sort map { $_->{path} } @{ decode_json_output($stdout) } ];
}

($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--format', 'json', '--limit', '1000');
my %by_path = map { $_->{path} => $_ } @{ decode_json_output($out) };
my $j = $by_path{'/flaky/one'};
is($j->{upstream_addr}, "$dead, $app", 'JSON: upstream_addr');
is($j->{upstream_status}, '502, 200', 'JSON: upstream_status, as text');
is($j->{protocol}, 'HTTP/1.0', 'JSON: protocol');
is($j->{scheme}, 'http', 'JSON: scheme');
ok($j->{request_length} > 0 && $j->{request_length} =~ /^\d+$/, 'JSON: request_length is a number');
is($by_path{'/ref/1'}{referer}, $referers[1], 'JSON: a referer with quotes and backslashes reads back');
is($by_path{'/ref/2'}{referer}, $referers[2], 'JSON: ... and with control bytes');
is($by_path{'/h2tls'}{protocol}, 'HTTP/2.0', 'JSON: HTTP/2.0');

($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--format', 'csv', '--limit', '1000');
my $csv = parse_csv($out);
my @header = @{ shift @$csv };
for my $c (qw(referer protocol scheme request_length upstream_addr upstream_status upstream_response_time)) {
    ok((grep { $_ eq $c } @header), "CSV has $c");
}
my %col = map { $header[$_] => $_ } 0 .. $#header;
my ($flaky) = grep { $_->[ $col{path} ] eq '/flaky/one' } @$csv;
is($flaky->[ $col{upstream_addr} ], "$dead, $app", 'CSV: upstream_addr (quoted: it has a comma)');

($rc, $out) = $t->trace_ctl(@db, 'requests', '--width', '0', '--limit', '1000');
my ($head) = split /\n/, $out;
is($head =~ s/\s+/ /gr, 'TIME METHOD ST TOOK USER CLIENT SESSION AGENT PATH',
    'the text table: none of the access log columns');

is_deeply(listed('--upstream-status', '502'), [qw(/down/one /flaky/one /redirected/one)],
    '--upstream-status 502: any of the upstreams');
is_deeply(listed('--upstream-status', '404,504'), ['/twice/one'], '--upstream-status 404,504');
is_deeply(listed('--upstream-status', '2xx', '--status', '200'),
    [qw(/app/one /body/p /flaky/one /redirected/one /twice/one)], '--upstream-status 2xx');
is_deeply(listed('--referer', '^https://search\.example/'), ['/ref/0'], '--referer REGEX');
is_deeply(listed('--referer', 'back\\\\slash'), ['/ref/1'], '--referer matches a backslash');
is_deeply(listed('--referer', '(?i)CAF'), [qw(/ref/3 /ref/4)], '--referer (?i)');
($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--referer', '(unclosed');
is($rc, 2, 'a bad --referer regex: exit 2');
like($err, qr/--referer: /, '... naming the option');
($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--upstream-status', '50');
is($rc, 2, 'a bad --upstream-status: exit 2');
like($err, qr/--upstream-status: "50" is not a status code/, '... saying why');
($rc, $out, $err) = $t->trace_ctl(@db, 'audit', '--upstream-status', '502');
isnt($rc, 0, 'audit has no --upstream-status');

$t->done;
