# One request, one event per action: a failed login that a rule, the audit
# header and basic auth all see is one row of trace.audit, from the first of
# them in the order rule, header, basic auth.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use MIME::Base64 qw(encode_base64);
use Trace::Test;

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

# The "application" is a second server of the same nginx: it refuses every
# request and reports the failed login in the audit header.
$t->nginx(<<'EOF');
http {
    trace_db "%%TRACE_DB%%";
    trace_flush_interval 100ms;

    server {
        listen 127.0.0.1:%%PORT_APP%%;
        location / {
            add_header X-Trace-Audit "login_failed mallory" always;
            return 401;
        }
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        trace_audit on;
        trace_audit_header X-Trace-Audit;

        # basic auth and a rule on the same failure
        location /rule/ {
            auth_basic "members";
            auth_basic_user_file %%PREFIX%%/htpasswd;
            trace_audit_event login_failed ^/rule/ status=401 user=rule-user;
            trace_audit_event login_failed ^/rule/ status=4xx user=second-rule;
        }

        # basic auth alone
        location /basic/ {
            auth_basic "members";
            auth_basic_user_file %%PREFIX%%/htpasswd;
        }

        # the application's header, basic auth's credentials, and a rule
        location /app-rule/ {
            trace_audit_event login_failed ^/app-rule/ status=401 user=rule-user;
            proxy_pass http://127.0.0.1:%%PORT_APP%%;
        }

        # the application's header and basic auth's credentials
        location /app/ {
            proxy_pass http://127.0.0.1:%%PORT_APP%%;
        }

        # a different action is a different event
        location /logout-too/ {
            auth_basic "members";
            auth_basic_user_file %%PREFIX%%/htpasswd;
            trace_audit_event logout ^/logout-too/;
        }
    }
}
EOF
Trace::Test::spew($t->nginx_prefix . '/htpasswd', "bob:{PLAIN}builder\n", 0644);

my $wrong = 'Basic ' . encode_base64('bob:wrong', '');

sub same_events {
    my ($path, $expected, $name) = @_;
    my $got = events_of($path);
    is_deeply($got, $expected, $name) or diag explain $got;
}

sub events_of {
    my ($path) = @_;
    $pg->sql('TRUNCATE trace.audit');
    my $r = $t->get($path, Authorization => $wrong);
    is($r->{status}, 401, "$path: refused");
    # rows of one request arrive in one batch: one row there means one row
    ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.audit') >= 1 }, 10),
        "$path: its events arrived");
    sleep 0.5;
    return $pg->sql('SELECT action, source, user_name, status FROM trace.audit ORDER BY id');
}

same_events('/rule/x', [ [ 'login_failed', 'rule', 'rule-user', 401 ] ],
    'a rule and basic auth on one 401: one event, from the first rule');
same_events('/basic/x', [ [ 'login_failed', 'basic_auth', 'bob', 401 ] ],
    'basic auth alone: one event, from basic auth');
same_events('/app-rule/x', [ [ 'login_failed', 'rule', 'rule-user', 401 ] ],
    'a rule, the header and basic auth on one 401: one event, from the rule');
same_events('/app/x', [ [ 'login_failed', 'header', 'mallory', 401 ] ],
    'the header and basic auth on one 401: one event, from the header');
same_events('/logout-too/x',
    [ [ 'logout', 'rule', 'bob', 401 ], [ 'login_failed', 'basic_auth', 'bob', 401 ] ],
    'different actions of one request are each recorded');

$t->done;
