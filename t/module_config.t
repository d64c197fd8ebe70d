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
    server {
        listen 127.0.0.1:%%PORT%%;
        trace_exclude ^/static/ \\.ico\$;
        trace_exclude ^/health\$;
        location /a/ { trace_redact off; }
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
