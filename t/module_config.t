# The module loads into Debian's nginx, and nginx -t catches every mistake in
# its directives with the file and line.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

my $t = Trace::Test->new;

my ($rc, $out) = $t->nginx_test(<<'EOF');
http {
    trace_db "host=127.0.0.1 port=1 dbname=trace";
    server {
        listen 127.0.0.1:%%PORT%%;
        trace on;
        location /off { trace off; }
    }
}
EOF
is($rc, 0, 'nginx -t passes with the module loaded') or diag($out);

sub fails_with {
    my ($conf, $re, $name) = @_;
    my ($code, $output) = $t->nginx_test($conf);
    isnt($code, 0, "$name: nginx -t fails");
    like($output, $re, "$name: message says what and where");
}

# The harness adds 6 lines before the body, so body line N is nginx.conf:N+6.
fails_with(<<'EOF', qr/invalid value "maybe" in "trace" directive.*nginx\.conf:12/, 'bad trace argument');
http {
    trace_db "dbname=trace";
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            trace maybe;
        }
    }
}
EOF

fails_with(<<'EOF', qr/"trace_db" is not set, but "trace on" in \S+nginx\.conf:10 needs it/, 'trace without trace_db');
http {
    server {
        listen 127.0.0.1:%%PORT%%;
        trace on;
    }
}
EOF

fails_with(<<'EOF', qr/invalid "trace_db": .*password.*passfile.*nginx\.conf:8/, 'password in trace_db');
http {
    trace_db "host=db password=hunter2";
}
EOF

fails_with(<<'EOF', qr/invalid "trace_db": invalid connection option "colour".*nginx\.conf:8/, 'unknown conninfo option');
http {
    trace_db "host=db colour=blue";
}
EOF

fails_with(<<'EOF', qr/"trace_db" directive is duplicate.*nginx\.conf:9/, 'duplicate trace_db');
http {
    trace_db "host=db";
    trace_db "host=db2";
}
EOF

fails_with(<<'EOF', qr/"trace_db" directive is not allowed here.*nginx\.conf:8/, 'trace_db outside http');
http {
    server { trace_db "host=db"; }
}
EOF

fails_with(<<'EOF', qr/invalid regex "\(unclosed" in "trace_exclude": missing closing parenthesis at offset 9.*nginx\.conf:10/, 'bad trace_exclude regex');
http {
    trace_db "dbname=trace";
    server {
        trace_exclude ^/ok/ (unclosed;
    }
}
EOF

fails_with(<<'EOF', qr/"trace_session_key" is not set, but "trace_session" in \S+nginx\.conf:10 needs it/, 'trace_session without a key');
http {
    trace_db "dbname=trace";
    server {
        trace_session $cookie_sessionid;
    }
}
EOF

my $key = $t->base . '/key';
Trace::Test::spew($key, "0123456789abcdef0123\n", 0644);
fails_with(<<"EOF", qr/invalid "trace_session_key": \S+key: the session key must not be readable by others.*nginx\.conf:8/, 'world-readable session key');
http {
    trace_session_key $key;
}
EOF

Trace::Test::spew($key, "short\n", 0600);
fails_with(<<"EOF", qr/the session key is shorter than 16 bytes.*nginx\.conf:8/, 'short session key');
http {
    trace_session_key $key;
}
EOF

fails_with(<<'EOF', qr/"trace_batch_size" \(1048576\) must be at least 1k and at most half of "trace_buffer_size" \(1048576\)/, 'batch larger than the memory bound');
http {
    trace_buffer_size 1m;
    trace_batch_size 1m;
}
EOF

# The default batch (1m) is never more than half of the buffer: a small
# trace_buffer_size alone is a valid configuration.
($rc, $out) = $t->nginx_test(<<'EOF');
http {
    trace_buffer_size 1m;
}
EOF
is($rc, 0, 'trace_buffer_size 1m alone passes nginx -t (the default batch follows it)') or diag($out);

fails_with(<<'EOF', qr/"trace_buffer_size" directive invalid value.*nginx\.conf:8/, 'bad size');
http {
    trace_buffer_size lots;
}
EOF

fails_with(<<'EOF', qr/"trace_flush_interval" directive invalid value.*nginx\.conf:8/, 'bad time');
http {
    trace_flush_interval soon;
}
EOF

fails_with(<<'EOF', qr/invalid "trace_host" "web 1": no spaces or control characters.*nginx\.conf:8/, 'bad trace_host');
http {
    trace_host "web 1";
}
EOF

fails_with(<<'EOF', qr/"trace_redact" directive is duplicate.*nginx\.conf:9/, 'duplicate trace_redact');
http {
    trace_redact password;
    trace_redact token;
}
EOF

fails_with(<<'EOF', qr/"trace_user" directive is duplicate.*nginx\.conf:9/, 'duplicate trace_user');
http {
    trace_user $remote_user;
    trace_user $http_x_user;
}
EOF

fails_with(<<'EOF', qr/invalid value "sometimes" in "trace_only_authenticated" directive.*nginx\.conf:8/, 'bad trace_only_authenticated');
http {
    trace_only_authenticated sometimes;
}
EOF

fails_with(<<'EOF', qr/unknown audit event "signin" in "trace_audit_event": login, logout or login_failed.*nginx\.conf:9/, 'unknown audit event');
http {
    trace_db "dbname=trace";
    trace_audit_event signin ^/login$;
}
EOF

fails_with(<<'EOF', qr/invalid regex "\^\/login\(" in "trace_audit_event".*nginx\.conf:9/, 'bad audit regex');
http {
    trace_db "dbname=trace";
    trace_audit_event login ^/login( method=POST;
}
EOF

fails_with(<<'EOF', qr/invalid "status=6xx" in "trace_audit_event".*nginx\.conf:9/, 'bad audit status class');
http {
    trace_db "dbname=trace";
    trace_audit_event login ^/login$ status=6xx;
}
EOF

fails_with(<<'EOF', qr/invalid "status=302,abc" in "trace_audit_event".*nginx\.conf:9/, 'bad audit status');
http {
    trace_db "dbname=trace";
    trace_audit_event login ^/login$ status=302,abc;
}
EOF

fails_with(<<'EOF', qr/invalid "method=post" in "trace_audit_event".*nginx\.conf:9/, 'bad audit method');
http {
    trace_db "dbname=trace";
    trace_audit_event login ^/login$ method=post;
}
EOF

fails_with(<<'EOF', qr/invalid parameter "when=now" in "trace_audit_event".*nginx\.conf:9/, 'unknown audit parameter');
http {
    trace_db "dbname=trace";
    trace_audit_event login ^/login$ when=now;
}
EOF

fails_with(<<'EOF', qr/"trace_db" is not set, but "trace_audit on" in \S+nginx\.conf:8 needs it/, 'trace_audit without trace_db');
http {
    trace_audit on;
}
EOF

fails_with(<<'EOF', qr/invalid header name "X Audit" in "trace_audit_header".*nginx\.conf:8/, 'bad audit header name');
http {
    trace_audit_header "X Audit";
}
EOF

fails_with(<<'EOF', qr/"trace_session_zone" needs "trace_session_key"/, 'session zone without key');
http {
    trace_session_zone 1m;
}
EOF

fails_with(<<'EOF', qr/invalid size "1k" in "trace_session_zone".*nginx\.conf:8/, 'session zone too small');
http {
    trace_session_zone 1k;
}
EOF

fails_with(<<'EOF', qr/invalid parameter "max_size=1" in "trace_spool".*nginx\.conf:8|invalid "max_size" "1" in "trace_spool".*nginx\.conf:8/, 'bad spool size');
http {
    trace_spool /tmp/spool max_size=1;
}
EOF

fails_with(<<'EOF', qr/invalid field name "Country" in "trace_field": 1 to 64 characters of a-z, 0-9 and _.*nginx\.conf:10/, 'trace_field: a capital letter');
http {
    server {
        location / {
            trace_field Country $http_x_country;
        }
    }
}
EOF

fails_with(<<'EOF', qr/invalid field name "x-forwarded" in "trace_field".*nginx\.conf:9/, 'trace_field: a dash');
http {
    server {
        trace_field x-forwarded $http_x_forwarded_for;
    }
}
EOF

fails_with(<<'EOF', qr/invalid field name "" in "trace_field".*nginx\.conf:8/, 'trace_field: an empty name');
http {
    trace_field "" $http_x_a;
}
EOF

my $long = 'n' x 65;
fails_with(<<"EOF", qr/invalid field name "$long" in "trace_field".*nginx\.conf:8/, 'trace_field: a name of 65 bytes');
http {
    trace_field $long \$http_x_a;
}
EOF

fails_with(<<'EOF', qr/duplicate field "xff" in "trace_field".*nginx\.conf:10/, 'trace_field: a name twice at one level');
http {
    trace_field xff $http_x_forwarded_for;
    trace_field country $http_x_country;
    trace_field xff $remote_addr;
}
EOF

my $fields16 = join '', map { "    trace_field f$_ \$http_x_$_;\n" } 1 .. 16;
fails_with(<<"EOF", qr/too many "trace_field" directives at one level: at most 16.*nginx\.conf:24/, 'trace_field: 17 at one level');
http {
$fields16    trace_field f17 \$http_x_17;
}
EOF

fails_with(<<'EOF', qr/invalid number of arguments in "trace_field" directive.*nginx\.conf:8/, 'trace_field: no value');
http {
    trace_field country;
}
EOF

fails_with(<<'EOF', qr/unknown "no_such_variable" variable/, 'trace_field: an unknown variable');
http {
    trace_field country $no_such_variable;
}
EOF

($rc, $out) = $t->nginx_test(<<"EOF");
http {
    trace_db "dbname=trace";
$fields16    server {
        listen 127.0.0.1:%%PORT%%;
$fields16        location / {
$fields16        }
    }
}
EOF
is($rc, 0, 'trace_field: 16 at each of three levels, the same names at each, pass nginx -t') or diag($out);

Trace::Test::spew($key, "0123456789abcdef0123\n", 0600);
($rc, $out) = $t->nginx_test(<<"EOF");
http {
    trace_db "dbname=trace";
    trace_host web-1.example.org;
    trace_session_key $key;
    trace_buffer_size 16m;
    trace_batch_size 512k;
    trace_flush_interval 250ms;
    trace_db_timeout 5s;
    trace_drain_timeout 2s;
    trace on;
    trace_only_authenticated off;
    trace_user \$http_x_user;
    trace_session \$cookie_sessionid;
    trace_request_id \$http_x_request_id;
    trace_redact password *token* "api key";
    trace_session_zone 1m timeout=1d;
    trace_spool %%PREFIX%%/spool max_size=10m;
    trace_audit on;
    trace_audit_event login ^/accounts/login/\$ method=POST status=302 user=\$trace_form_username;
    trace_audit_event login_failed ^/accounts/login/\$ method=POST,PUT status=200,4xx;
    trace_audit_event logout ^/logout;
    trace_audit_header X-Trace-Audit;
    trace_audit_basic_auth off;
    trace_audit_login_session \$upstream_cookie_sessionid;
    trace_field country \$http_x_country;
    trace_field xff \$http_x_forwarded_for;
    server {
        listen 127.0.0.1:%%PORT%%;
        trace_exclude ^/static/ \\.ico\$;
        trace_exclude ^/health\$;
        location /a/ { trace_redact off; }
        location = /status { trace_status; }
    }
}
EOF
is($rc, 0, 'every directive together passes nginx -t') or diag($out);

# A running nginx with the module and no reachable database serves as usual.
$t->nginx(<<'EOF');
http {
    trace_db "host=127.0.0.1 port=1 dbname=trace connect_timeout=1";
    server {
        listen 127.0.0.1:%%PORT%%;
        location / { trace on; return 200 "hello\n"; }
    }
}
EOF
my $r = $t->get('/');
is($r->{status}, 200, 'nginx with the module answers');
is($r->{body}, "hello\n", 'body unchanged');

$t->done;
