# The audit trail: logins, logouts and failed logins of a real application
# behind nginx, learnt from rules on form posts, from the application's audit
# header, and from basic auth failures.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use MIME::Base64 qw(encode_base64);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
my $key = $t->base . '/session.key';
Trace::Test::spew($key, "audit-test-key-0123456789abcdef\n", 0600);

my $app_port = $t->port('app');
my $app = fork // die;
if ($app == 0) {
    { exec '/usr/bin/python3', Trace::Test::root() . '/t/lib/login_app.py', $app_port; }
    POSIX::_exit(127);
}
END { kill 'TERM', $app if $app }
Trace::Test::wait_port($app_port, 10) or die 'the test application did not start';

$t->nginx(<<EOF);
http {
    trace_db "%%TRACE_DB%%";
    trace_flush_interval 100ms;
    trace_session_key $key;
    trace_session_zone 1m;

    upstream app { server 127.0.0.1:$app_port; }

    server {
        listen 127.0.0.1:%%PORT%%;

        trace on;
        trace_only_authenticated off;
        trace_session \$cookie_sessionid;

        trace_audit on;
        trace_audit_event login ^/accounts/login/\$ method=POST status=302 user=\$trace_form_username;
        trace_audit_event login_failed ^/accounts/login/\$ method=POST status=200,401,403 user=\$trace_form_username;
        trace_audit_event logout ^/accounts/logout/\$;
        trace_audit_header X-Trace-Audit;

        location / { proxy_pass http://app; }

        location /big/ {
            client_body_buffer_size 1k;
            trace_audit_event login ^/big/accounts/login/\$ method=POST status=302 user=\$trace_form_username;
            proxy_pass http://app/;
        }

        location /members/ {
            trace_only_authenticated on;
            proxy_pass http://app/page;
        }

        location /quiet/ {
            trace_exclude .;
            trace_only_authenticated on;
            proxy_pass http://app/report;
        }

        location /basic/ {
            auth_basic "basic";
            auth_basic_user_file %%PREFIX%%/htpasswd;
            proxy_pass http://app/page;
        }

        location /basic-off/ {
            trace_audit_basic_auth off;
            auth_basic "basic";
            auth_basic_user_file %%PREFIX%%/htpasswd;
            proxy_pass http://app/page;
        }

        location /untraced/ {
            trace off;
            proxy_pass http://app/report;
        }
    }
}
EOF
Trace::Test::spew($t->nginx_prefix . '/htpasswd', "bob:{PLAIN}builder\n", 0644);

sub post_form {
    my ($path, $body, %headers) = @_;
    return $t->get($path, -method => 'POST', -body => $body,
        'Content-Type' => 'application/x-www-form-urlencoded', %headers);
}
sub hash_of {
    my ($token) = @_;
    # HMAC-SHA256(key, token) cut to 128 bits, as the module and trace-ctl compute it
    require Digest::SHA;
    return substr(Digest::SHA::hmac_sha256_hex($token, 'audit-test-key-0123456789abcdef'), 0, 32);
}
sub audit_rows {
    return $pg->sql('SELECT action, user_name, session, source, status, method, path
        FROM trace.audit ORDER BY id');
}
sub wait_audit {
    my ($n) = @_;
    return $t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.audit') >= $n }, 10);
}

# --- a form login, a failed one, a logout -------------------------------------------
is($t->get('/accounts/login/')->{status}, 200, 'the login form');
my $r = post_form('/accounts/login/', 'username=alice&password=wrong', Cookie => 'sessionid=anon-1');
is($r->{status}, 200, 'wrong password: the form again');
$r = post_form('/accounts/login/', 'username=alice&password=wonderland&next=%2F',
    Cookie => 'sessionid=anon-1');
is($r->{status}, 302, 'right password: redirected');
my ($token) = ($r->{headers}{'set-cookie'} // '') =~ /sessionid=([0-9a-f]+)/;
ok($token, 'a new session cookie');
is($t->get('/page', Cookie => "sessionid=$token")->{status}, 200, 'a page in the session');
is($t->get('/members/in', Cookie => "sessionid=$token")->{status}, 200, 'a members page in the session');
is($t->get('/members/anon', Cookie => 'sessionid=anon-1')->{status}, 200, 'a members page, anonymous');
is($t->get('/accounts/logout/', Cookie => "sessionid=$token")->{status}, 302, 'logout');
is($t->get('/members/after', Cookie => "sessionid=$token")->{status}, 200, 'a members page after the logout');

ok(wait_audit(3), 'three audit rows');
my $rows = audit_rows();
is(scalar @$rows, 3, 'exactly three');
my %by = map { $_->[0] => $_ } @$rows;
is($by{login_failed}[1], 'alice', 'login_failed: the user from the posted form');
is($by{login_failed}[2], hash_of('anon-1'), 'login_failed: the session the request carried');
is($by{login_failed}[3], 'rule', 'login_failed: learnt from a rule');
is($by{login}[1], 'alice', 'login: the user from the posted form');
is($by{login}[2], hash_of($token), 'login: the session the response set');
is($by{login}[4], 302, 'login: status');
is($by{login}[5], 'POST', 'login: method');
is($by{login}[6], '/accounts/login/', 'login: path');
is($by{logout}[2], hash_of($token), 'logout: the session the request carried');
is($by{logout}[1], 'alice', 'logout: the user who logged in to that session (trace_session_zone)');
ok($t->wait_for(sub { $pg->value(q{SELECT count(*) FROM trace.requests WHERE path LIKE '/members/%'}) }, 10),
    'members pages traced');
is_deeply($pg->sql(q{SELECT path, user_name FROM trace.requests WHERE path LIKE '/members/%' ORDER BY id}),
    [ [ '/members/in', 'alice' ] ],
    'trace_only_authenticated: the session of a login counts as signed in, until its logout');
is($pg->value(q{SELECT user_name FROM trace.requests WHERE path = '/page'}), 'alice',
    'requests of the session carry the user who logged in');
ok($t->wait_for(sub { $pg->value(q{SELECT count(*) FROM trace.requests WHERE path = '/page'}) }, 10),
    'the page request was traced');
is($pg->value(q{SELECT session FROM trace.requests WHERE path = '/page'}), $by{login}[2],
    "the login's session hash equals the session of the requests that follow it");
is($pg->value(q{SELECT count(*) FROM trace.audit WHERE session LIKE '%' || $1 || '%'}, $token), 0,
    'the raw session token is stored nowhere');
is($pg->value(q{SELECT count(*) FROM trace.requests WHERE query LIKE '%wonderland%'}), 0,
    'the password never reaches the database');

# --- a form body nginx did not keep in memory -----------------------------------------
$pg->sql('TRUNCATE trace.audit');
my $pad = 'x' x 4096;
$r = post_form('/big/accounts/login/', "username=alice&password=wonderland&pad=$pad");
is($r->{status}, 302, 'a login whose body went to a temporary file still works: nothing was changed');
ok(wait_audit(1), 'its login event arrived');
is_deeply($pg->sql('SELECT action, user_name FROM trace.audit'), [ [ 'login', undef ] ],
    '$trace_form_username is empty when the body is not in memory');

# --- the audit header ---------------------------------------------------------------
$pg->sql('TRUNCATE trace.audit');
$r = $t->get('/report?event=login&user=bob');
is($r->{status}, 200, 'header route: answered');
ok(!exists $r->{headers}{'x-trace-audit'}, 'header route: the client never sees the header');
$r = $t->get('/report?event=logout&user=bob', -method => 'HEAD');
ok(!exists $r->{headers}{'x-trace-audit'}, 'header route: nor on HEAD');
$r = $t->get('/report-304', 'If-None-Match' => '"v1"');
is($r->{status}, 304, 'header route: a 304');
ok(!exists $r->{headers}{'x-trace-audit'}, 'header route: nor on 304');
$r = $t->get('/report?event=login_failed&user=m%20allory%27s');
$r = $t->get('/report?event=login_failed&user=%FF%00%09%5C%22x');
$r = $t->get('/quiet/?event=login&user=dave');
is($r->{status}, 200, 'excluded and anonymous location answered');
$r = $t->get('/untraced/?event=login&user=erin');
$r = $t->get('/report?event=bogus&user=x');
ok(!exists $r->{headers}{'x-trace-audit'}, 'an invalid header value is removed too');
ok(wait_audit(7), 'header events arrived');
$rows = audit_rows();
my @header = map { "$_->[0] " . ($_->[1] // '') . " $_->[3] $_->[4]" } @$rows;
is_deeply(\@header, [
    'login bob header 200', 'logout bob header 200', 'login carol header 304',
    # stored escaped (README, "Escaped values"): the bytes as \xHH, the backslash doubled
    "login_failed m allory's header 200", "login_failed \\xff\\x00\t\\\\\"x header 200",
    'login dave header 200', 'login erin header 200',
], 'each reported event recorded once, user decoded; trace_exclude, the user rule and trace off hide none');
like(Trace::Test::slurp($t->error_log), qr/\[warn\].*ignored "X-Trace-Audit: bogus x"/,
    'an invalid audit header is logged');

# --- basic auth -------------------------------------------------------------------
$pg->sql('TRUNCATE trace.audit');
my $auth = sub { 'Basic ' . encode_base64("$_[0]:$_[1]", '') };
is($t->get('/basic/', Authorization => $auth->('bob', 'wrong'))->{status}, 401, 'basic auth: wrong password');
is($t->get('/basic/', Authorization => $auth->('bob', 'builder'))->{status}, 200, 'basic auth: right password');
is($t->get('/basic/')->{status}, 401, 'basic auth: no credentials');
is($t->get('/basic-off/', Authorization => $auth->('bob', 'wrong'))->{status}, 401, 'basic auth off: wrong password');
is($t->get('/basic/', Authorization => $auth->("eve\t\"quote\\back'\xff", 'x'))->{status}, 401, 'basic auth: odd user');
ok(wait_audit(2), 'basic auth events arrived');
sleep 1;
$rows = audit_rows();
is(scalar @$rows, 2, 'one login_failed per wrong password, none without credentials or when off');
is_deeply([ map { [ @$_[0, 1, 3, 4] ] } @$rows ],
    [ [ 'login_failed', 'bob', 'basic_auth', 401 ], [ 'login_failed', "eve\t\"quote\\\\back'\\xff", 'basic_auth', 401 ] ],
    'login_failed with the attempted user name');

$t->done;
