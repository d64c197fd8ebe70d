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
