package Trace::Test::Console;

# For the console_*.t tests: nginx with the module recording requests and
# audit events, hostile ones among them, `trace-ctl serve` on the same
# PostgreSQL, and pages fetched from it.

use strict;
use warnings;

use Digest::SHA qw(hmac_sha256_hex);
use Exporter qw(import);
use HTTP::Tiny;
use Time::HiRes qw(sleep time);

use Trace::Test ();
use Trace::Test::Ports ();
use Trace::Test::Reading qw(start_background background_output wait_for_output stop_background);

our @EXPORT_OK = qw(record_traffic start_console stop_console fetch html_unescape
    session_hash browser_console %HOSTILE);

my $KEY = 'console-test-key-0123456789abcdef';

# What the traffic carries that a page must show as text and never obey.
our %HOSTILE = (
    script_path => "/<script>document.title='x'</script>",
    img_path => q{/"><img/src=x/onerror=alert(1)>},
    user => q{o'brien"<b>},
    agent => "evil\x1b[31m\xe2\x80\xae-agent",
    formula_agent => q{=cmd|' /C calc'!A0},
    long_agent => 'L' x 8000,
    bad_path => "/bad\xff\\x",
);

sub session_hash { substr(hmac_sha256_hex($_[0], $KEY), 0, 32) }

# nginx that records every request (the user from X-User) and audit events
# from rules (/login, /logout, /failed), then a known set of requests. Returns
# how many requests and audit events were recorded.
sub record_traffic {
    my ($t) = @_;
    my $pg = $t->postgres_migrated;
    my $key = $t->base . '/session.key';
    Trace::Test::spew($key, "$KEY\n", 0600);
    $t->nginx(<<EOF);
http {
    trace_db "%%TRACE_DB%%";
    trace_flush_interval 100ms;
    trace_session_key $key;

    server {
        listen 127.0.0.1:%%PORT%%;
        trace on;
        trace_only_authenticated off;
        trace_user \$http_x_user;
        trace_session \$cookie_sessionid;
        trace_audit on;
        trace_audit_event login ^/login\$ user=\$http_x_user;
        trace_audit_event logout ^/logout\$ user=\$http_x_user;
        trace_audit_event login_failed ^/failed\$ user=\$http_x_user;

        location / { return 200 "ok\\n"; }
        location /missing { return 404; }
        location /boom { return 500; }
    }
}
EOF
    my @requests = (
        ['/login', 'X-User' => 'alice', Cookie => 'sessionid=tok-alice'],
        ['/page/1', 'X-User' => 'alice', Cookie => 'sessionid=tok-alice'],
        ['/page/2?x=1', 'X-User' => 'alice', Cookie => 'sessionid=tok-alice'],
        ['/missing/thing', 'X-User' => 'alice', Cookie => 'sessionid=tok-alice'],
        ['/logout', 'X-User' => 'alice', Cookie => 'sessionid=tok-alice'],
        ['/failed', 'X-User' => 'mallory'],
        ['/failed', 'X-User' => 'mallory'],
        ['/login', 'X-User' => $HOSTILE{user}, Cookie => 'sessionid=tok-hostile'],
        [$HOSTILE{script_path}, 'X-User' => $HOSTILE{user}, Cookie => 'sessionid=tok-hostile',
            'User-Agent' => $HOSTILE{agent}],
        [$HOSTILE{img_path}, 'User-Agent' => $HOSTILE{formula_agent}],
        [$HOSTILE{bad_path}, 'User-Agent' => $HOSTILE{long_agent}],
        ['/boom'],
        ['/missing/other'],
    );
    for my $r (@requests) {
        my ($path, %headers) = @$r;
        my $res = $t->get($path, %headers);
        die "nginx did not answer $path: $res->{status}\n" unless $res->{status};
        # One after the other: the audit rows' order is the requests' order.
        sleep 0.02;
    }
    my $want_requests = scalar @requests;
    $t->wait_for(sub {
        $pg->value('SELECT count(*) FROM trace.requests') >= $want_requests
            && $pg->value('SELECT count(*) FROM trace.audit') >= 5 }, 15)
        or die "the traffic was not recorded\n";
    return { requests => $want_requests, audit => 5 };
}

# trace-ctl serve on a free port, as the role `reader` (trace_reader); the
# extra arguments go to serve. Returns the handle, with {port}.
sub start_console {
    my ($t, @args) = @_;
    my $pg = $t->postgres;
    $pg->sql(q{DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reader') THEN }
        . q{CREATE ROLE reader LOGIN IN ROLE trace_reader; END IF; END $$});
    my $port = Trace::Test::Ports::free_port();
    my $bg = start_background(Trace::Test::build() . '/trace-ctl', '--db',
        $pg->conninfo(user => 'reader'), 'serve', '--listen', "127.0.0.1:$port", @args);
    my $out = wait_for_output($bg, sub { $_[0] =~ /listening on/ }, 10);
    die "trace-ctl serve did not start: " . join('', background_output($bg)) . "\n"
        unless $out =~ /listening on/;
    $bg->{port} = $port;
    return $bg;
}

# What a test in a real browser starts with: Debian's chromium (the test is
# skipped without it), the recorded traffic and a console over it. Returns
# {chromium} (its path), {recorded} (record_traffic's counts), {console} and
# {base} (the console's URL).
sub browser_console {
    my ($t) = @_;
    my $chromium = '/usr/bin/chromium';
    Test::More::plan(skip_all => 'chromium is not installed (scripts/deps.sh installs it)')
        unless -x $chromium;
    my $recorded = record_traffic($t);
    my $console = start_console($t);
    return { chromium => $chromium, recorded => $recorded, console => $console,
        base => "http://127.0.0.1:$console->{port}" };
}

# SIGTERM; returns (wait status, seconds it took, stdout, stderr).
sub stop_console {
    my ($bg) = @_;
    my $started = time;
    my $status = stop_background($bg);
    return ($status, time - $started, background_output($bg));
}

# GET (or another method) of a path on the console: HTTP::Tiny's response.
sub fetch {
    my ($bg, $path, %opt) = @_;
    my $method = delete $opt{method} // 'GET';
    my $http = HTTP::Tiny->new(timeout => 20, max_redirect => 0);
    return $http->request($method, "http://127.0.0.1:$bg->{port}$path", { headers => \%opt });
}

# An attribute value as a browser reads it (the character references the
# console writes).
sub html_unescape {
    my ($s) = @_;
    $s =~ s/&quot;/"/g;
    $s =~ s/&#39;/'/g;
    $s =~ s/&lt;/</g;
    $s =~ s/&gt;/>/g;
    $s =~ s/&amp;/&/g;
    return $s;
}

1;
