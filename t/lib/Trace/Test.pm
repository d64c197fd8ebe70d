package Trace::Test;

# The integration test harness: a private PostgreSQL, nginx with the freshly
# built module, and an SMTP sink, each on a free loopback port in a temporary
# directory, all stopped when the test ends (also when it dies). nginx's error
# log is checked for [alert], [crit] and [emerg] at the end of every test.
#
# Sanitizer builds (make test SANITIZE=address,undefined): TRACE_SANITIZE is
# set, and TRACE_NGINX_PRELOAD names the sanitizer runtimes. /usr/sbin/nginx is
# not built with them, so they are preloaded into every nginx the harness
# starts; every report (nginx's, trace-ctl's) goes to a file under the test's
# directory, and a test that leaves one fails.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Select;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use Test::More;

use Exporter qw(import);
our @EXPORT_OK = qw(http_request);

my $ROOT = abs_path(dirname(__FILE__) . '/../../..');
my $BUILD = $ENV{TRACE_BUILD} // "$ROOT/build";
my $PG_BIN = $ENV{PG_BIN} // do {
    my ($dir) = reverse sort glob('/usr/lib/postgresql/*/bin');
    $dir;
};

my @live;    # harness objects whose servers END must stop

sub root { $ROOT }
sub build { $BUILD }

sub new {
    my ($class, %args) = @_;
    my $base = tempdir('nginx-trace-XXXXXX', TMPDIR => 1,
        CLEANUP => !$ENV{TRACE_KEEP});
    # postgres and nginx's workers (nobody) must traverse it
    chmod 0755, $base;
    my $self = bless { base => $base, expected_errors => [], %args }, $class;
    push @live, $self;
    $self->setup_sanitizer_reports if $ENV{TRACE_SANITIZE};
    diag("test files kept in $base") if $ENV{TRACE_KEEP};
    return $self;
}

sub base { $_[0]{base} }

# --- helpers ---------------------------------------------------------------------

# Ports are taken below the kernel's ephemeral range: a server restarted on
# its port (PostgreSQL in the outage tests) must not find it taken as the
# source port of some client's connection ("Address already in use").
my ($EPHEMERAL_LOW) = (slurp('/proc/sys/net/ipv4/ip_local_port_range') =~ /(\d+)/);
$EPHEMERAL_LOW = 32768 unless $EPHEMERAL_LOW && $EPHEMERAL_LOW > 12000;

sub free_port {
    for (1 .. 50) {
        my $port = 10000 + int(rand($EPHEMERAL_LOW - 10000));
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
            Proto => 'tcp', ReuseAddr => 0, Listen => 1) or next;
        close $s;
        return $port;
    }
    die "no free port found\n";
}

sub wait_port {
    my ($port, $timeout) = @_;
    my $until = time + ($timeout // 10);
    while (time < $until) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
            Proto => 'tcp', Timeout => 1);
        if ($s) { close $s; return 1 }
        sleep 0.05;
    }
    return 0;
}

# Runs a command, returns (exit code, stdout, stderr).
sub run {
    my (@cmd) = @_;
    my $opts = ref $cmd[0] eq 'HASH' ? shift @cmd : {};
    my $out = File::Temp->new;
    my $err = File::Temp->new;
    # A real file: an in-memory one has no descriptor for exec to pass on.
    my $in = File::Temp->new;
    print $in $opts->{stdin} // '';
    close $in;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>&', $out or die;
        open STDERR, '>&', $err or die;
        open STDIN, '<', "$in" or die;
        %ENV = (%ENV, %{ $opts->{env} // {} });
        exec @cmd or do { print STDERR "exec $cmd[0]: $!\n"; POSIX::_exit(127) };
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    $rc = 128 + ($? & 127) if $? & 127;
    return ($rc, slurp("$out"), slurp("$err"));
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<:raw', $file or return '';
    local $/;
    my $data = <$fh>;
    return $data // '';
}

sub spew {
    my ($file, $data, $mode) = @_;
    make_path(dirname($file));
    open my $fh, '>:raw', $file or die "cannot write $file: $!";
    print $fh $data;
    close $fh;
    chmod $mode, $file if defined $mode;
}

# Runs a code block as the given user (a forked child), for PostgreSQL.
sub as_user_cmd {
    my ($user, @cmd) = @_;
    return @cmd if $> != 0;
    return ('runuser', '-u', $user, '--', @cmd);
}

# --- PostgreSQL -------------------------------------------------------------------

sub postgres {
    my ($self) = @_;
    return $self->{pg} if $self->{pg};
    my $dir = "$self->{base}/pg";
    make_path("$dir/sock");
    if ($> == 0) {
        my (undef, undef, $uid, $gid) = getpwnam('postgres') or die "no postgres user\n";
        system('chown', '-R', 'postgres:postgres', $dir) == 0 or die "chown $dir\n";
    }
    chmod 0700, $dir;
    chmod 0755, "$dir/sock";
    my ($rc, $out, $err) = run({ env => { LC_ALL => 'C.UTF-8' } },
        as_user_cmd('postgres', "$PG_BIN/initdb", '-D', "$dir/data", '-U', 'postgres',
            '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync',
            '--no-instructions'));
    die "initdb failed: $out$err" if $rc;
    my $pg = bless { dir => $dir, sock => "$dir/sock", harness => $self }, 'Trace::Test::Pg';
    $self->{pg} = $pg;
    $pg->start;
    $pg->superuser_sql('CREATE DATABASE trace');
    return $pg;
}

# Creates the schema with the built trace-ctl and a login role for the module.
sub postgres_migrated {
    my ($self) = @_;
    my $pg = $self->postgres;
    return $pg if $pg->{migrated}++;
    my ($rc, $out, $err) = $self->trace_ctl('--db', $pg->conninfo, 'migrate');
    die "migrate failed: $out$err" if $rc;
    $pg->sql(q{DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nginx_module') THEN
            CREATE ROLE nginx_module LOGIN IN ROLE trace_writer; END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'trace_ops') THEN
            CREATE ROLE trace_ops LOGIN IN ROLE trace_maintainer; END IF;
        END $$});
    return $pg;
}

# --- trace-ctl --------------------------------------------------------------------

sub trace_ctl {
    my ($self, @args) = @_;
    my $opts = ref $args[0] eq 'HASH' ? shift @args : {};
    return run($opts, "$BUILD/trace-ctl", @args);
}

# --- nginx ------------------------------------------------------------------------

# Writes nginx.conf from a template and starts nginx. In the template,
# %%PORT%% is the HTTP port, %%PREFIX%% the test directory, %%TRACE_DB%% a
# conninfo for the module's role (when PostgreSQL runs); the load_module line,
# pid, error_log and events block are added.
sub nginx {
    my ($self, $conf, %args) = @_;
    $self->write_nginx_conf($conf, %args);
    $self->start_nginx unless $args{no_start};
    return $self;
}

sub port {
    my ($self, $name) = @_;
    $name //= 'http';
    return $self->{ports}{$name} //= free_port();
}

sub write_nginx_conf {
    my ($self, $conf, %args) = @_;
    my $prefix = "$self->{base}/nginx";
    make_path("$prefix/logs", "$prefix/html");
    chmod 0755, $prefix, "$prefix/html";
    $conf =~ s/%%PORT%%/$self->port('http')/ge;
    $conf =~ s/%%PORT_(\w+)%%/$self->port(lc $1)/ge;
    $conf =~ s/%%PREFIX%%/$prefix/g;
    if ($conf =~ /%%TRACE_DB%%/) {
        my $db = $self->{pg} ? $self->{pg}->conninfo(user => 'nginx_module')
                             : 'host=127.0.0.1 port=1 dbname=trace';
        $conf =~ s/%%TRACE_DB%%/$db/g;
    }
    my $workers = $args{workers} // 1;
    my $head = <<"EOF";
load_module $BUILD/ngx_http_trace_module.so;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log @{[ $args{log_level} // 'notice' ]};
worker_processes $workers;
worker_shutdown_timeout 10s;
events { worker_connections 1024; }
EOF
    $self->{nginx_prefix} = $prefix;
    $self->{nginx_conf} = "$prefix/nginx.conf";
    spew($self->{nginx_conf}, $head . $conf);
    return $self->{nginx_conf};
}

sub nginx_prefix { $_[0]{nginx_prefix} }
sub error_log { "$_[0]{nginx_prefix}/logs/error.log" }

# --- sanitizer builds -----------------------------------------------------------

sub sanitizer_dir { "$_[0]{base}/sanitizer" }

# Reports go to files named after their process (log_path appends the pid);
# the directory is writable by nginx's workers and by trace-ctl run as nobody.
sub setup_sanitizer_reports {
    my ($self) = @_;
    my $dir = $self->sanitizer_dir;
    make_path($dir);
    chmod 01777, $dir;
    # For trace-ctl and the other instrumented programs a test runs: leaks too.
    $ENV{ASAN_OPTIONS} = "log_path=$dir/asan:detect_leaks=1:abort_on_error=0";
    $ENV{UBSAN_OPTIONS} = "log_path=$dir/ubsan:print_stacktrace=1:halt_on_error=1";
}

# The environment nginx runs in. nginx never frees what it allocated for its
# last configuration: leaks are not looked for here, but by
# scripts/leakcheck.pl (TRACE_NGINX_LEAK_OPTIONS), which tells nginx's from
# the module's, in the server only (not in `nginx -t` or `nginx -s`).
sub nginx_env {
    my ($self, $server) = @_;
    return {} unless $ENV{TRACE_SANITIZE} && $ENV{TRACE_NGINX_PRELOAD};
    my $dir = $self->sanitizer_dir;
    my $leaks = $server && $ENV{TRACE_NGINX_LEAK_OPTIONS} || 'detect_leaks=0';
    return {
        LD_PRELOAD => $ENV{TRACE_NGINX_PRELOAD},
        ASAN_OPTIONS => "log_path=$dir/nginx-asan:$leaks:abort_on_error=0",
        UBSAN_OPTIONS => "log_path=$dir/nginx-ubsan:print_stacktrace=1:halt_on_error=1",
    };
}

# Runs /usr/sbin/nginx with @args (in the sanitizer's environment when there
# is one); returns (exit code, stdout, stderr).
sub run_nginx {
    my ($self, @args) = @_;
    my $server = !grep { $_ eq '-t' || $_ eq '-s' } @args;
    return run({ env => $self->nginx_env($server) }, '/usr/sbin/nginx', @args);
}

# Sanitizer reports written so far, as "file:\ncontent".
sub sanitizer_reports {
    my ($self) = @_;
    return () unless $ENV{TRACE_SANITIZE};
    return map { "$_:\n" . slurp($_) } grep { -s } sort glob($self->sanitizer_dir . '/*');
}

# nginx -t on a configuration body; returns (exit code, output).
sub nginx_test {
    my ($self, $conf, %args) = @_;
    my $file = $self->write_nginx_conf($conf, %args);
    my ($rc, $out, $err) = $self->run_nginx('-t', '-q', '-p', $self->{nginx_prefix},
        '-c', $file);
    return ($rc, $out . $err);
}

sub start_nginx {
    my ($self) = @_;
    my ($rc, $out, $err) = $self->run_nginx('-p', $self->{nginx_prefix}, '-c',
        $self->{nginx_conf});
    die "nginx did not start: $out$err" if $rc;
    $self->{nginx_running} = 1;
    wait_port($self->port('http'), 10) or die "nginx does not listen on " . $self->port('http');
    return $self;
}

sub nginx_pid {
    my ($self) = @_;
    my $pid = slurp("$self->{nginx_prefix}/nginx.pid");
    chomp $pid;
    return $pid;
}

sub worker_pids {
    my ($self) = @_;
    my $master = $self->nginx_pid or return ();
    my @pids = map { /^\s*(\d+)/ ? $1 : () } `ps -o pid= --ppid $master`;
    return @pids;
}

# Sends a signal through `nginx -s` and waits for the command to return.
sub nginx_signal {
    my ($self, $signal) = @_;
    my $started = time;
    my ($rc, $out, $err) = $self->run_nginx('-p', $self->{nginx_prefix}, '-c',
        $self->{nginx_conf}, '-s', $signal);
    die "nginx -s $signal failed: $out$err" if $rc;
    return time - $started;
}

# Reload and wait until the old workers are gone (or the timeout passes);
# returns the seconds it took.
sub reload_nginx {
    my ($self, $timeout) = @_;
    my @old = $self->worker_pids;
    my $started = time;
    $self->nginx_signal('reload');
    my $until = time + ($timeout // 20);
    while (time < $until) {
        last unless grep { kill 0, $_ } @old;
        sleep 0.05;
    }
    return time - $started;
}

# Graceful stop: waits for the master to exit; returns the seconds it took.
sub stop_nginx {
    my ($self, $how, $timeout) = @_;
    return 0 unless $self->{nginx_running};
    my $pid = $self->nginx_pid;
    my $started = time;
    kill($how && $how eq 'fast' ? 'TERM' : 'QUIT', $pid) if $pid;
    my $until = time + ($timeout // 30);
    while ($pid && kill(0, $pid) && time < $until) {
        sleep 0.05;
    }
    if ($pid && kill 0, $pid) {
        kill 'KILL', $pid, $self->worker_pids;
        diag("nginx did not stop in time; killed");
    }
    $self->{nginx_running} = 0;
    return time - $started;
}

# Lines of the error log at [alert], [crit] or [emerg] that no test expected.
sub unexpected_errors {
    my ($self) = @_;
    return () unless $self->{nginx_prefix};
    my @lines = grep { /\[(alert|crit|emerg)\]/ } split /\n/, slurp($self->error_log);
    for my $re (@{ $self->{expected_errors} }) {
        @lines = grep { $_ !~ $re } @lines;
    }
    return @lines;
}

sub expect_errors {
    my ($self, @res) = @_;
    push @{ $self->{expected_errors} }, @res;
}

# Waits until $code returns true, polling; returns its last value.
sub wait_for {
    my ($self, $code, $timeout) = @_;
    my $until = time + ($timeout // 10);
    my $v;
    while (1) {
        $v = $code->();
        return $v if $v || time >= $until;
        sleep 0.1;
    }
}

# --- HTTP -------------------------------------------------------------------------

# A raw HTTP/1.0 request, so that tests can send any bytes. Returns a hash with
# status, headers (lower-case names), body and raw.
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

# GET with optional headers; returns the http_request hash.
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

# Load: $count GET requests, $args{concurrency} keep-alive connections at once
# (default 4), request i asks for $args{path}->(i). Returns how many were
# answered with the expected status (default 200).
sub load {
    my ($self, $count, %args) = @_;
    my $conc = $args{concurrency} // 4;
    my $path = $args{path} // sub { "/?id=$_[0]" };
    my $want = $args{status} // 200;
    my $extra = join '', map { "$_: $args{headers}{$_}\r\n" } sort keys %{ $args{headers} // {} };
    my $port = $self->port('http');
    my $dir = $self->{base};
    my @pids;
    for my $k (0 .. $conc - 1) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $ok = 0;
            my $s;
            for (my $i = $k; $i < $count; $i += $conc) {
                for my $attempt (1 .. 3) {
                    $s //= IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                        Proto => 'tcp', Timeout => 10);
                    next unless $s;
                    my $p = $path->($i);
                    my $status = keepalive_request($s,
                        "GET $p HTTP/1.1\r\nHost: localhost\r\n$extra\r\n");
                    if (!defined $status) { undef $s; next }
                    $ok++ if $status == $want;
                    last;
                }
            }
            spew("$dir/load.$k", $ok);
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    waitpid $_, 0 for @pids;
    my $total = 0;
    $total += slurp("$dir/load.$_") || 0 for 0 .. $conc - 1;
    return $total;
}

# Steady background load until stop_background_load: $args{clients}
# processes (default 2) each send GET /load?id=<client>-<n> on fresh
# connections, with a pause of $args{pause} seconds (default 0.002) between
# requests, and write down every id that was answered 200.
sub start_background_load {
    my ($self, %args) = @_;
    my $clients = $args{clients} // 2;
    my $pause = $args{pause} // 0.002;
    my $path = $args{path} // '/load';
    my $port = $self->port('http');
    my $dir = $self->{base};
    my @pids;
    for my $c (1 .. $clients) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $stop = 0;
            $SIG{TERM} = sub { $stop = 1 };
            open my $log, '>', "$dir/answered.$c" or die;
            $log->autoflush(1);
            for (my $n = 1; !$stop; $n++) {
                my $r = http_request($port, "GET $path?id=$c-$n HTTP/1.0\r\nHost: localhost\r\n\r\n",
                    timeout => 10);
                print $log "$c-$n\n" if $r->{status} == 200;
                sleep $pause if $pause;
            }
            close $log;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    $self->{background} = { pids => \@pids, clients => $clients };
    return $self;
}

# Stops the background load; returns the ids that were answered 200.
sub stop_background_load {
    my ($self) = @_;
    my $bg = delete $self->{background} or return ();
    kill 'TERM', @{ $bg->{pids} };
    waitpid $_, 0 for @{ $bg->{pids} };
    my @ids;
    for my $c (1 .. $bg->{clients}) {
        push @ids, split /\n/, slurp("$self->{base}/answered.$c");
    }
    return @ids;
}

# The check every delivery test ends with: each answered id is in
# trace.requests exactly once, and no row is there twice.
sub check_exactly_once {
    my ($self, $ids, $path, $timeout) = @_;
    $path //= '/load';
    my $pg = $self->{pg};
    my %want = map { ("id=$_" => 1) } @$ids;
    my $count = sub { $pg->value('SELECT count(*) FROM trace.requests WHERE path = $1', $path) };
    $self->wait_for(sub { $count->() >= @$ids }, $timeout // 30);
    my $rows = $pg->sql('SELECT query, count(*) FROM trace.requests WHERE path = $1 GROUP BY query',
        $path);
    my %got = map { $_->[0] => $_->[1] } @$rows;
    my @missing = grep { !$got{$_} } sort keys %want;
    my @doubled = grep { $got{$_} > 1 } sort keys %got;
    my @unknown = grep { !$want{$_} } sort keys %got;
    Test::More::ok(@$ids > 0, scalar(@$ids) . ' requests were answered');
    Test::More::is(scalar @missing, 0, 'no answered request is missing')
        or Test::More::diag("missing: @missing[0 .. ($#missing < 9 ? $#missing : 9)]");
    Test::More::is(scalar @doubled, 0, 'no request is recorded twice')
        or Test::More::diag("doubled: @doubled[0 .. ($#doubled < 9 ? $#doubled : 9)]");
    # A request whose answer was cut off (the client saw no 200) may still
    # have been served and recorded; it must still be a request that was sent.
    Test::More::diag(scalar(@unknown) . ' rows of requests whose answer the client did not see')
        if @unknown;
}

# The sum of a counter over every worker in the trace_status JSON at $path.
sub status_sum {
    my ($self, $status_path, $key) = @_;
    my $body = $self->get($status_path)->{body};
    my $sum = 0;
    $sum += $1 while $body =~ /"\Q$key\E":(\d+)/g;
    return $sum;
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

# --- SMTP sink --------------------------------------------------------------------

sub smtp {
    my ($self) = @_;
    return $self->{smtp} if $self->{smtp};
    my $dir = "$self->{base}/mail";
    # aiosmtpd's Mailbox creates tmp/, new/ and cur/ only in a directory that
    # does not exist yet; without them every message is refused.
    make_path(map { "$dir/$_" } qw(tmp new cur));
    my $port = free_port();
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$self->{base}/smtp.log";
        open STDERR, '>&', \*STDOUT;
        { exec '/usr/bin/python3', '-m', 'aiosmtpd', '-n', '-l', "127.0.0.1:$port", '-c',
            'aiosmtpd.handlers.Mailbox', $dir; }
        POSIX::_exit(127);
    }
    wait_port($port, 15) or die "SMTP sink did not start: " . slurp("$self->{base}/smtp.log");
    $self->{smtp} = bless { port => $port, pid => $pid, dir => $dir }, 'Trace::Test::Smtp';
    return $self->{smtp};
}

# --- teardown -----------------------------------------------------------------------

sub stop_all {
    my ($self) = @_;
    return if $self->{stopped}++;
    $self->stop_nginx('fast', 15) if $self->{nginx_running};
    if (my $smtp = $self->{smtp}) {
        kill 'TERM', $smtp->{pid};
        waitpid $smtp->{pid}, 0;
    }
    $self->{pg}->stop if $self->{pg};
}

# Called by each test file after its own assertions.
sub done {
    my ($self) = @_;
    $self->stop_all;
    my @errors = $self->unexpected_errors;
    ok(!@errors, 'error log has no unexpected alert, crit or emerg')
        or diag(join "\n", @errors);
    if ($ENV{TRACE_SANITIZE}) {
        my @reports = $self->sanitizer_reports;
        ok(!@reports, 'no AddressSanitizer or UndefinedBehaviorSanitizer report')
            or diag(join "\n", @reports);
    }
    done_testing();
}

END {
    my $status = $?;
    $_->stop_all for @live;
    $? = $status;
}

for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} = sub { $_->stop_all for @live; exit 1 };
}

package Trace::Test::Pg;

use strict;
use warnings;
use DBI;
use Time::HiRes qw(sleep time);

sub port { $_[0]{port} }

sub start {
    my ($self) = @_;
    $self->{port} //= Trace::Test::free_port();
    # Tests run without fsync; Trace::Test->new(pg_settings => {fsync => 'on', ...})
    # overrides (later -c options win), e.g. for the benchmark.
    my $settings = $self->{harness}{pg_settings} // {};
    my $extra = join '', map { " -c $_=$settings->{$_}" } sort keys %$settings;
    my ($rc, $out, $err) = Trace::Test::run(
        Trace::Test::as_user_cmd('postgres', "$PG_BIN/pg_ctl", '-D', "$self->{dir}/data",
            '-l', "$self->{dir}/server.log", '-w', '-t', '30', '-o',
            "-c listen_addresses=127.0.0.1 -p $self->{port} -k $self->{sock} "
            . "-c fsync=off -c max_connections=200$extra", 'start'));
    die "PostgreSQL did not start: $out$err" . Trace::Test::slurp("$self->{dir}/server.log")
        if $rc;
    $self->{running} = 1;
}

sub stop {
    my ($self, $mode) = @_;
    return unless $self->{running};
    delete $self->{dbh};
    Trace::Test::run(Trace::Test::as_user_cmd('postgres', "$PG_BIN/pg_ctl", '-D',
        "$self->{dir}/data", '-m', $mode // 'fast', '-w', '-t', '30', 'stop'));
    $self->{running} = 0;
}

sub conninfo {
    my ($self, %args) = @_;
    my $user = $args{user} // 'postgres';
    my $db = $args{dbname} // 'trace';
    return "host=127.0.0.1 port=$self->{port} dbname=$db user=$user";
}

sub dbh {
    my ($self, %args) = @_;
    my $user = $args{user} // 'postgres';
    my $db = $args{dbname} // 'trace';
    my $key = "$user/$db";
    return $self->{dbh}{$key} if $self->{dbh}{$key} && $self->{dbh}{$key}->ping;
    $self->{dbh}{$key} = DBI->connect("dbi:Pg:dbname=$db;host=127.0.0.1;port=$self->{port}",
        $user, '', { RaiseError => 1, PrintError => 0, AutoCommit => 1, pg_enable_utf8 => 0 });
    return $self->{dbh}{$key};
}

# Runs SQL on the trace database as the superuser; returns rows as arrayrefs.
sub sql {
    my ($self, $sql, @bind) = @_;
    my $sth = $self->dbh->prepare($sql);
    $sth->execute(@bind);
    return $sth->{NUM_OF_FIELDS} ? $sth->fetchall_arrayref : [];
}

sub value {
    my ($self, $sql, @bind) = @_;
    my $rows = $self->sql($sql, @bind);
    return @$rows ? $rows->[0][0] : undef;
}

sub superuser_sql {
    my ($self, $sql) = @_;
    my $dbh = $self->dbh(dbname => 'postgres');
    $dbh->do($sql);
}

package Trace::Test::Smtp;

sub port { $_[0]{port} }

# Every message received so far, as raw text, oldest first. Maildir names start
# with the delivery time, "SECONDS.MMICROSECONDS...": sorted on those numbers,
# since a file's mtime is too coarse to order messages of the same second.
sub messages {
    my ($self) = @_;
    my @files = map { $_->[0] }
        sort { $a->[1] <=> $b->[1] || $a->[2] <=> $b->[2] || $a->[0] cmp $b->[0] }
        map { [$_, m{/(\d+)\.M(\d+)P[^/]*$} ? ($1, $2) : ((stat $_)[9], 0)] }
        glob("$self->{dir}/new/*");
    return map { Trace::Test::slurp($_) } @files;
}

1;
