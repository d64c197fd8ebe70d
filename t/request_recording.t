# The heart of it: every traced request becomes one row in trace.requests,
# with the directives inherited as nginx users expect.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use MIME::Base64 ();

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

my $key = $t->base . '/session.key';
Trace::Test::spew($key, "0123456789abcdef0123456789abcdef\n", 0600);

$t->nginx(<<EOF);
http {
    trace_db "%%TRACE_DB%%";
    trace_flush_interval 100ms;
    trace_session_key $key;
    trace on;
    trace_only_authenticated off;

    upstream app { server 127.0.0.1:%%PORT_APP%%; }

    server {
        listen 127.0.0.1:%%PORT_APP%%;
        trace off;
        location / {
            add_header X-User "from-app";
            return 200 "app\\n";
        }
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name traced.example;
        trace_session \$cookie_sessionid;

        location / { return 200 "root\\n"; }
        location /off/ { trace off; return 200 "off\\n"; }
        location /static/ {
            trace_exclude ^/static/skip/ \\.map\$;
            return 200 "static\\n";
        }
        location /private/ {
            trace_only_authenticated on;
            auth_basic "private";
            auth_basic_user_file %%PREFIX%%/htpasswd;
            return 200 "private\\n";
        }
        location /app/ {
            trace_only_authenticated on;
            trace_user \$upstream_http_x_user;
            proxy_pass http://app;
        }
        location /redirect {
            error_page 404 = /fallback;
            return 404;
        }
        location = /fallback { return 200 "fallback\\n"; }
        location /files/ {
            root %%PREFIX%%/html;
            try_files \$uri /files/index.html;
        }
        location /guarded/ {
            log_subrequest on;
            auth_request /auth;
            mirror /mirror;
            root %%PREFIX%%/html;
        }
        location = /auth { log_subrequest on; return 204; }
        location = /mirror { log_subrequest on; return 204; }
        location /with-id/ {
            add_header X-Request-ID \$request_id;
            return 200 "id\n";
        }
        location /mine/ {
            trace_redact mine;
            return 200 "mine\\n";
        }
    }
}
EOF
Trace::Test::spew($t->nginx_prefix . '/htpasswd', "alice:{PLAIN}wonderland\n", 0644);
Trace::Test::spew($t->nginx_prefix . '/html/files/index.html', "files\n", 0644);
Trace::Test::spew($t->nginx_prefix . '/html/guarded/page', "guarded\n", 0644);
chmod 0755, $t->nginx_prefix . '/html/files', $t->nginx_prefix . '/html/guarded';

sub rows_for {
    my ($where, @bind) = @_;
    return $pg->sql("SELECT path, query, status, user_name, session, method, host, server_name,
        host(client_addr), bytes_sent, user_agent, request_id, ts, duration
        FROM trace.requests WHERE $where ORDER BY id", @bind);
}

sub wait_rows {
    my ($n) = @_;
    return $t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') >= $n }, 10);
}

my $total = 0;
sub req { my $r = $t->get(@_); $total++; $r }

# --- basic fields ------------------------------------------------------------
my $r = req('/hello?x=1', 'User-Agent' => 'test-agent/1.0', 'Host' => 'traced.example');
is($r->{status}, 200, 'request answered');
ok(wait_rows(1), 'a row arrived');
my ($row) = @{ rows_for(q{path = '/hello'}) };
is($row->[1], 'x=1', 'query recorded');
is($row->[2], 200, 'status');
is($row->[5], 'GET', 'method');
is($row->[6], `hostname` =~ s/\s+$//r, 'host defaults to the machine name');
is($row->[7], 'traced.example', 'server_name is the Host the client asked for');
is($row->[8], '127.0.0.1', 'client address');
ok($row->[9] > 0, 'bytes sent');
is($row->[10], 'test-agent/1.0', 'user agent');
like($row->[11], qr/^[0-9a-f]{32}$/, 'request id is $request_id');
like($row->[12], qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?\+00$/, 'ts is a timestamp');
like($row->[13], qr/^00:00:00(\.\d+)?$/, 'duration is an interval');
ok(!defined $row->[3], 'anonymous: user is NULL');

# --- inheritance ---------------------------------------------------------------
req('/off/x');
req('/static/a.css');
req('/static/skip/b.css');
req('/static/c.js.map');
req('/x/static/skip/not-excluded');
req('/private/anon');
req('/private/alice', Authorization => 'Basic ' . MIME::Base64::encode_base64('alice:wonderland', ''));
req('/app/page');
my $marker = req('/marker');
ok(wait_rows(6), 'rows arrived');
$t->wait_for(sub { @{ rows_for(q{path = '/marker'}) } }, 10);

ok(!@{ rows_for(q{path LIKE '/off/%'}) }, 'trace off in a location wins over http');
is(scalar @{ rows_for(q{path = '/static/a.css'}) }, 1, 'not excluded: recorded');
ok(!@{ rows_for(q{path = '/static/skip/b.css'}) }, 'excluded by ^/static/skip/');
ok(!@{ rows_for(q{path = '/static/c.js.map'}) }, 'excluded by \.map$');
is(scalar @{ rows_for(q{path = '/x/static/skip/not-excluded'}) }, 1, 'anchored pattern does not exclude elsewhere');
ok(!@{ rows_for(q{path = '/private/anon'}) }, 'only authenticated: anonymous not recorded');
my ($alice) = @{ rows_for(q{path = '/private/alice'}) };
is($alice->[3], 'alice', 'basic-auth user recorded');
my ($app) = @{ rows_for(q{path = '/app/page'}) };
is($app->[3], 'from-app', 'user from an upstream response header');

# --- one record for error_page and try_files ---------------------------------------
req('/guarded/page');
req('/redirect?a=b');
req('/files/missing.html');
req('/marker2');
$t->wait_for(sub { @{ rows_for(q{path = '/marker2'}) } }, 10);
my $redir = rows_for(q{path = '/redirect'});
is(scalar @$redir, 1, 'error_page: one record');
is($redir->[0][2], 200, '... with the final status');
ok(!@{ rows_for(q{path = '/fallback'}) }, '... under the path the client asked for');
is(scalar @{ rows_for(q{path = '/files/missing.html'}) }, 1, 'try_files: one record under the original path');
is(scalar @{ rows_for(q{path = '/guarded/page'}) }, 1, 'auth_request and mirror with log_subrequest on: one record');
ok(!@{ rows_for(q{path IN ('/auth', '/mirror')}) }, '... the subrequests are not recorded on their own');

# --- sessions ----------------------------------------------------------------------
req('/s1', Cookie => 'sessionid=TOPSECRET-abc; other=1');
req('/s2', Cookie => 'sessionid=TOPSECRET-abc');
req('/s3', Cookie => 'sessionid=another');
req('/s4');
$t->wait_for(sub { @{ rows_for(q{path = '/s4'}) } }, 10);
my %s = map { $_->[0] => $_->[4] } @{ rows_for(q{path IN ('/s1', '/s2', '/s3', '/s4')}) };
like($s{'/s1'}, qr/^[0-9a-f]{32}$/, 'session stored as a hash');
isnt($s{'/s1'}, 'TOPSECRET-abc', 'session is not the raw cookie');
is($s{'/s1'}, $s{'/s2'}, 'same cookie, same hash');
isnt($s{'/s1'}, $s{'/s3'}, 'other cookie, other hash');
ok(!defined $s{'/s4'}, 'no cookie: NULL');
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE session LIKE '%TOPSECRET%'
    OR query LIKE '%TOPSECRET%' OR path LIKE '%TOPSECRET%'}), 0, 'the token is nowhere');

# --- request ids --------------------------------------------------------------------
my $with_id = req('/with-id/x');
my $given = $with_id->{headers}{'x-request-id'};
like($given, qr/^[0-9a-f]{32}$/, 'nginx gave the response a $request_id');
req('/marker-id');
$t->wait_for(sub { @{ rows_for(q{path = '/marker-id'}) } }, 10);
is(rows_for(q{path = '/with-id/x'})->[0][11], $given,
    'the row carries the same id when the request used $request_id');

# --- redaction ---------------------------------------------------------------------
req('/login?user=bob&password=hunter2&Pass%77ord=hunter3&api_key=K3Y&next=/home');
req('/mine/?mine=SEKRIT&password=visible-here');
req('/marker3');
$t->wait_for(sub { @{ rows_for(q{path = '/marker3'}) } }, 10);
my ($login) = @{ rows_for(q{path = '/login'}) };
is($login->[1], 'user=bob&password=[REDACTED]&Pass%77ord=[REDACTED]&api_key=[REDACTED]&next=/home',
    'secret parameters redacted, others kept');
my ($mine) = @{ rows_for(q{path = '/mine/'}) };
is($mine->[1], 'mine=[REDACTED]&password=visible-here', 'trace_redact replaces the list in its location');
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE query ~ 'hunter|K3Y|SEKRIT'}), 0,
    'redacted values never reach the database');

# every request so far that was not excluded/off/anonymous-private is there exactly once
is($pg->value('SELECT count(*) FROM trace.requests'), $total - 4,
    'each traced request recorded once (4 were excluded, off, or anonymous)');
is($pg->value('SELECT count(DISTINCT request_id) FROM trace.requests'), $total - 4, 'request ids unique');

$t->done;
