# trace-ctl check-resources measures memory, disk space and inodes, prints a
# Nagios status line, and mails warning_emails through a real SMTP sink: once
# when a resource crosses its threshold, not again within the quiet period,
# again after it, once "resolved" when it is back under; never a quiet period
# when the mail failed; one mail when two runs start at once. Thresholds of 0
# and 100 make real measurements cross or stay under them. (Swap, the trend and
# --textfile: t/check_resources_trend.t.)

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP ();
use POSIX ();
use IO::Socket::INET;
use Socket qw(getaddrinfo AI_CANONNAME);
use Sys::Hostname ();
use Time::HiRes qw(sleep time);
use Trace::Test;

my $t = Trace::Test->new;
my $dir = $t->base;
my $smtp = $t->smtp;
my $started;
my @to = ('ops@example.org', 'root@example.org');

# --- helpers -------------------------------------------------------------------------

sub toml_value {
    my ($v) = @_;
    return '[' . join(', ', map { toml_value($_) } @$v) . ']' if ref $v eq 'ARRAY';
    return $v if $v =~ /^-?\d+(\.\d+)?$/;
    (my $s = $v) =~ s/(["\\])/\\$1/g;
    return qq{"$s"};
}

# A configuration file whose state file is $name/state.json, everything under
# 100% unless overridden; mail to the plain sink without TLS. Returns its path.
my $configs = 0;
sub config {
    my ($name, %k) = @_;
    my %smtp = (host => '127.0.0.1', port => $smtp->port, tls => 'none',
        timeout_seconds => 5, %{ delete $k{smtp} // {} });
    my %c = (warning_emails => \@to, memory_threshold => 100, disk_threshold => 100,
        swap_threshold => 100, disk_paths => [$dir], state_file => "$dir/$name/state.json", %k);
    my $text = join '', map { "$_ = " . toml_value($c{$_}) . "\n" } grep { defined $c{$_} } sort keys %c;
    $text .= "[smtp]\n" . join '', map { "$_ = " . toml_value($smtp{$_}) . "\n" } sort keys %smtp;
    my $file = "$dir/$name." . ++$configs . '.toml';
    Trace::Test::spew($file, $text);
    return $file;
}

sub check {
    my ($conf, @args) = @_;
    return $t->trace_ctl('--config', $conf, 'check-resources', @args);
}

# Messages the sink received since the last call.
my $seen = 0;
sub new_mail {
    my @all = $smtp->messages;
    my @new = @all[$seen .. $#all];
    $seen = @all;
    return @new;
}

# (headers as [name, value] pairs, unfolded; body)
sub parse_mail {
    my ($raw) = @_;
    my ($head, $body) = split /\r?\n\r?\n/, $raw, 2;
    $head =~ s/\r?\n[ \t]+/ /g;
    my @headers = map { /^([^:]+):\s*(.*)$/ ? [lc $1, $2] : () } split /\r?\n/, $head;
    return (\@headers, $body);
}

sub header {
    my ($headers, $name) = @_;
    my @v = map { $_->[1] } grep { $_->[0] eq lc $name } @$headers;
    return wantarray ? @v : $v[0];
}

sub state_of {
    my ($name) = @_;
    my $text = Trace::Test::slurp("$dir/$name/state.json");
    return $text eq '' ? undef : JSON::PP::decode_json($text);
}

# Moves every quiet period of a state file back by $seconds.
sub age_state {
    my ($name, $seconds) = @_;
    my $state = state_of($name);
    $_->{alerted_at} -= $seconds for values %{ $state->{alerts} };
    Trace::Test::spew("$dir/$name/state.json", JSON::PP::encode_json($state), 0600);
}

sub memory_in { $_[0] =~ /memory (\d+\.\d)%/ ? $1 : undef }

# --- help ------------------------------------------------------------------------------
my ($rc, $out, $err) = $t->trace_ctl('check-resources', '--help');
is($rc, 0, '--help exits 0');
for my $opt (qw(--dry-run --no-mail --state --host --path --memory-threshold --disk-threshold
    --inode-threshold))
{
    like($out, qr/\Q$opt\E/, "--help names $opt");
}
like($out, qr/Nagios plugin convention\): 0 OK; 1 WARNING.*2 CRITICAL.*3 UNKNOWN/s,
    '--help explains the Nagios exit codes');

# --- pure monitoring: --no-mail ---------------------------------------------------------
my $under = config('under', database => 'host=127.0.0.1 port=1 dbname=none');
($rc, $out, $err) = check($under, '--no-mail');
is($rc, 0, 'all under 100%: exit 0 (OK), without any database') or diag($out, $err);
my $path = qr/\Q$dir\E/;
like($out, qr/^RESOURCES OK - memory \d+\.\d%, (?:swap \d+\.\d%, )?$path \d+\.\d%, $path inodes \d+\.\d% \| 'memory'=\d+\.\d%;100;100;0;100 (?:'swap'=\d+\.\d%;100;100;0;100 )?'$path'=\d+\.\d%;100;100;0;100 '$path inodes'=\d+\.\d%;100;100;0;100\n\z/,
    'one Nagios status line with perfdata for memory, space and inodes');
ok(!-e "$dir/under", '--no-mail neither reads nor creates the state file');
is(scalar(new_mail()), 0, '--no-mail sends nothing');

# The numbers are the kernel's: memory as 1 - MemAvailable/MemTotal, space and
# inodes as df computes them.
my %meminfo = map { /^(\w+):\s+(\d+)/ ? ($1 => $2) : () } split /\n/, Trace::Test::slurp('/proc/meminfo');
my $memory = 100 * (1 - $meminfo{MemAvailable} / $meminfo{MemTotal});
cmp_ok(abs(memory_in($out) - $memory), '<', 2, "memory is 1 - MemAvailable/MemTotal (~$memory%)");
my ($blocks, $free, $avail, $files, $ffree) = split ' ', `stat -f -c '%b %f %a %c %d' $dir`;
my ($space) = $out =~ /$path (\d+\.\d)%/;
my ($inodes) = $out =~ /$path inodes (\d+\.\d)%/;
cmp_ok(abs($space - 100 * ($blocks - $free) / ($blocks - $free + $avail)), '<', 0.5,
    'disk space is used / (used + available), as df says');
cmp_ok(abs($inodes - 100 * ($files - $ffree) / $files), '<', 0.5, 'inodes used as df -i says');

($rc, $out, $err) = check($under, '--no-mail', '--memory-threshold', 0);
is($rc, 2, 'memory over a threshold of 0: exit 2 (CRITICAL)');
like($out, qr/^RESOURCES CRITICAL - memory \d+\.\d% > 0%, (?:swap \d+\.\d%, )?$path /, 'the line starts with what is over');
like($out, qr/'memory'=\d+\.\d%;0;0;0;100/, 'perfdata carries the threshold');

# Every real filesystem when no path is configured: at least "/" or a container's root.
($rc, $out, $err) = $t->trace_ctl('check-resources', '--no-mail');
like($out, qr/^RESOURCES OK - .*'\/'=\d+\.\d%;85;85;0;100/, 'without disk_paths: every real filesystem, "/" among them')
    or diag($out, $err);
unlike($out, qr{'/proc'|'/sys'|'/dev/pts'}, '... and no pseudo filesystem');

# Inside a chroot "/" is not a mount point in /proc/self/mounts, yet it is what
# fills up: it is measured anyway. trace-ctl and its libraries in a directory of
# their own, /proc mounted there in a private mount namespace.
SKIP: {
    skip 'needs root and unshare for a chroot', 5 unless $> == 0 && -x '/usr/bin/unshare';
    # Already in one (make test-fresh): the test above was that case.
    skip 'already inside a chroot', 5 unless Trace::Test::slurp('/proc/self/mounts') =~ m{^\S+ / }m;
    my $jail = $t->base . '/jail';
    my @files = (Trace::Test::build() . '/trace-ctl',
        map { m{(/\S+)} ? $1 : () } split /\n/, `ldd ${\ Trace::Test::build()}/trace-ctl`);
    for my $file (@files) {
        my $to = $file =~ /trace-ctl$/ ? "$jail/trace-ctl" : "$jail$file";
        Trace::Test::spew($to, Trace::Test::slurp($file), 0755);
    }
    mkdir "$jail/proc";
    mkdir "$jail/cache";
    mkdir $t->base . '/cache';
    my $in_jail = sub {
        my ($mounts) = @_;
        Trace::Test::run('unshare', '--mount', '--propagation', 'private', 'sh', '-c',
            "mount -t proc proc $jail/proc && $mounts chroot $jail /trace-ctl check-resources --no-mail");
    };
    ($rc, $out, $err) = $in_jail->('');
    unlike(Trace::Test::slurp('/proc/self/mounts'), qr{ \Q$jail\E/proc }, 'the chroot\'s /proc stays private');
    is($rc, 0, 'in a chroot, without disk_paths: exit 0') or diag($out, $err);
    like($out, qr/^RESOURCES OK - memory \d+\.\d%, (?:swap \d+\.\d%, )?\/ \d+\.\d%.*'\/'=\d+\.\d%;85;85;0;100/,
        '... and "/" is measured although /proc/self/mounts does not list it') or diag($out, $err);
    # A directory of the same filesystem bound into the chroot (as make test-fresh
    # binds the package cache): the filesystem once, named "/".
    ($rc, $out, $err) = $in_jail->("mount --bind ${\ $t->base}/cache $jail/cache &&");
    like($out, qr/^RESOURCES OK - memory \d+\.\d%, (?:swap \d+\.\d%, )?\/ \d+\.\d%.*'\/'=/,
        'with a bind mount of the same filesystem: "/" is measured') or diag($out, $err);
    unlike($out, qr{/cache}, '... once, not again under the bind mount') or diag($out, $err);
}

($rc, $out, $err) = check(config('missing', disk_paths => ['/nonexistent/disk']), '--no-mail');
is($rc, 3, 'a path that cannot be measured: exit 3 (UNKNOWN)');
like($out, qr{^RESOURCES UNKNOWN - /nonexistent/disk: No such file or directory, memory },
    '... saying which and why');

# --- over threshold: one mail per address, then quiet ------------------------------------
my $host = 'web-1.example.org';
my $over = config('over', memory_threshold => 0, host => $host);
($rc, $out, $err) = check($over);
is($rc, 2, 'memory over its threshold: exit 2') or diag($err);
my $measured = memory_in($out);
my @mail = new_mail();
is(scalar(@mail), 1, 'one message');
my ($headers, $body) = parse_mail($mail[0] // '');
for my $address (@to) {
    is(scalar(grep { (header((parse_mail($_))[0], 'X-RcptTo') // '') =~ /(^|, )\Q$address\E(,|$)/ } @mail), 1,
        "exactly one mail to $address");
}
is(header($headers, 'To'), join(', ', @to), 'To: names every address');
is(header($headers, 'From'), "nginx-trace\@$host", 'From: nginx-trace@host');
is(header($headers, 'Subject'), "[nginx-trace] $host: memory at $measured% (threshold 0%)",
    'Subject: host, resource, measured value and threshold');
like(header($headers, 'Date'), qr/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/,
    'Date: in RFC 5322 form');
like(header($headers, 'Message-ID'), qr/^<[^<>@\s]+\@\Q$host\E>$/, 'Message-ID: unique@host');
is(scalar(my @ids = header($headers, 'Message-ID')), 1, 'exactly one Message-ID');
is(scalar(my @dates = header($headers, 'Date')), 1, 'exactly one Date');
is(header($headers, 'MIME-Version'), '1.0', 'MIME-Version: 1.0');
is(header($headers, 'Content-Type'), 'text/plain; charset=utf-8', 'Content-Type: text/plain; utf-8');
like($body, qr/^Host: \Q$host\E$/m, 'the body names the host');
like($body, qr/^Over threshold:\n  memory: \Q$measured\E% used, threshold 0%$/m,
    'the body names the resource, the value and the threshold');

my $state = state_of('over');
ok($state && $state->{alerts}{memory}{open}, 'the state file records the warning');
is((stat "$dir/over/state.json")[2] & 07777, 0600, 'the state file is 0600');
is((stat "$dir/over")[2] & 07777, 0750, 'its directory was created 0750');
is((stat "$dir/over/state.json.lock")[2] & 07777, 0600, 'the lock file is 0600');

($rc, $out, $err) = check($over);
is($rc, 2, 'second run: still exit 2');
is(scalar(new_mail()), 0, 'second run within the quiet period: no mail');

age_state('over', 2 * 86400);
($rc, $out, $err) = check($over);
@mail = new_mail();
is(scalar(@mail), 1, 'after the quiet period: one mail again');
like((parse_mail($mail[0] // ''))[1], qr/still over since /, '... saying it is still over');
($rc, $out, $err) = check($over);
is(scalar(new_mail()), 0, '... and then quiet again');

# --- back under: one "resolved" mail --------------------------------------------------
my $back = config('over', memory_threshold => 100, host => $host);
($rc, $out, $err) = check($back);
is($rc, 0, 'back under the threshold: exit 0') or diag($out, $err);
@mail = new_mail();
is(scalar(@mail), 1, 'one resolved mail');
($headers, $body) = parse_mail($mail[0] // '');
my $now_measured = memory_in($out);
is(header($headers, 'Subject'), "[nginx-trace] $host: resolved: memory at $now_measured% (threshold 100%)",
    'its subject says resolved, with the value and the threshold');
like($body, qr/^Back under threshold:\n  memory: /m, 'its body lists the resource as back under');
($rc, $out, $err) = check($back);
is(scalar(new_mail()), 0, 'still under: no more mail');

# A resource that crosses again within the quiet period of its last warning
# does not make a mail every run; after the quiet period it does.
($rc, $out, $err) = check($over);
is($rc, 2, 'over again: exit 2');
is(scalar(new_mail()), 0, '... but within the quiet period of the last warning: no mail');
age_state('over', 2 * 86400);
($rc, $out, $err) = check($over);
is(scalar(new_mail()), 1, '... and one mail once the quiet period has passed');

# --- dry run --------------------------------------------------------------------------
($rc, $out, $err) = check(config('dry', memory_threshold => 0, host => $host), '--dry-run');
is($rc, 2, 'dry run: the exit code of the measurement');
like($out, qr/^dry run: would mail ops\@example\.org, root\@example\.org: \[nginx-trace\] \Q$host\E: memory at /m,
    'dry run: says which mail it would send');
is(scalar(new_mail()), 0, 'dry run: sends nothing');
ok(!-e "$dir/dry", 'dry run: creates no state');

# --- the host name -----------------------------------------------------------------------
my $detected = Sys::Hostname::hostname();
my ($gai_err, @ai) = getaddrinfo($detected, undef, { flags => AI_CANONNAME });
$detected = $ai[0]{canonname} if !$gai_err && @ai && ($ai[0]{canonname} // '') =~ /\./;
($rc, $out, $err) = check(config('detected', memory_threshold => 0));
@mail = new_mail();
like(header((parse_mail($mail[0] // ''))[0], 'Subject'), qr/^\[nginx-trace\] \Q$detected\E: memory at /,
    "without host, the mail names this machine ($detected)");
my $configured = 'configured-host.example.net';
($rc, $out, $err) = check(config('configured', memory_threshold => 0, host => $configured));
@mail = new_mail();
($headers, $body) = parse_mail($mail[0] // '');
like(header($headers, 'Subject'), qr/^\[nginx-trace\] \Q$configured\E: /, '`host` in the config replaces it');
unlike($body, qr/\Q$detected\E/, '... everywhere in the mail') if index($configured, $detected) < 0;
($rc, $out, $err) = check(config('cli-host', memory_threshold => 0, host => $configured),
    '--host', 'cli.example.com');
like(header((parse_mail((new_mail())[0] // ''))[0], 'Subject'), qr/^\[nginx-trace\] cli\.example\.com: /,
    '--host overrides both');

my $elsewhere = "$dir/elsewhere/s.json";
($rc, $out, $err) = check(config('cli-state', memory_threshold => 0), '--state', $elsewhere);
new_mail();
ok(-s $elsewhere && !-e "$dir/cli-state/state.json", '--state replaces state_file');

# --- SMTP down: error, no quiet period, the next run mails ------------------------------
my $closed = Trace::Test::free_port();
($rc, $out, $err) = check(config('down', memory_threshold => 0, smtp => { port => $closed }));
is($rc, 2, 'SMTP unreachable while over threshold: exit 2');
like($err, qr/^trace-ctl check-resources: cannot send mail via 127\.0\.0\.1:$closed: Connection refused \(no quiet period started; the next run tries again\)$/,
    '... one clear line on stderr');
like($out, qr/^RESOURCES CRITICAL - .*; mail not sent \|/, '... and the status line says the mail was not sent');
ok(!state_of('down') || !%{ state_of('down')->{alerts} }, '... and no quiet period was started');
($rc, $out, $err) = check(config('down', memory_threshold => 0));
is(scalar(new_mail()), 1, 'the next run, with SMTP back, mails');

# A resolved mail that cannot be sent: UNKNOWN, and it is sent later.
($rc, $out, $err) = check(config('down', memory_threshold => 100, smtp => { port => $closed }));
is($rc, 3, 'resources fine but the due resolved mail failed: exit 3 (UNKNOWN)');
like($out, qr/^RESOURCES UNKNOWN - .*; mail not sent/, '... said in the status line');
($rc, $out, $err) = check(config('down', memory_threshold => 100));
@mail = new_mail();
is(scalar(@mail), 1, 'the resolved mail goes out on the next run');
like(header((parse_mail($mail[0] // ''))[0], 'Subject'), qr/resolved: memory/, '... and it is the resolved one');

# A server that never answers (its accept queue is full, or it never greets):
# the attempt gives up after timeout_seconds.
my $deaf = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 0)
    or die "listen: $!";
my @queued = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $deaf->sockport,
    Blocking => 0) } 1 .. 4;
$started = time;
($rc, $out, $err) = check(config('deaf', memory_threshold => 0,
    smtp => { port => $deaf->sockport, timeout_seconds => 1 }));
my $waited = time - $started;
like($err, qr/cannot send mail via 127\.0\.0\.1:\d+: (no connection|the server did not answer) within 1 s/,
    'a server that does not answer: the error says it timed out');
cmp_ok($waited, '<', 5, "... after the 1 s timeout, not the kernel's minutes (${\ sprintf '%.1f', $waited} s)");
close $_ for grep { defined } @queued, $deaf;

# STARTTLS is required by default; the plain sink does not offer it.
($rc, $out, $err) = check(config('notls', memory_threshold => 0, smtp => { tls => 'starttls' }));
is($rc, 2, 'tls = starttls against a server without STARTTLS: exit 2');
like($err, qr/cannot send mail via 127\.0\.0\.1:\d+: the server does not offer STARTTLS, which smtp\.tls = "starttls" requires/,
    '... saying so');
is(scalar(new_mail()), 0, '... no mail was sent in clear');
($rc, $out, $err) = check(config('notls', memory_threshold => 0));
is(scalar(new_mail()), 1, '... and no quiet period started: the next run mails');

# --- two runs at the same moment: one mail ----------------------------------------------
my $race = config('race', memory_threshold => 0);
my $start_at = time + 0.5;
my @pids;
for my $i (1 .. 6) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        sleep($start_at - time) if $start_at > time;
        my ($c) = Trace::Test::run(Trace::Test::build() . '/trace-ctl', '--config', $race,
            'check-resources');
        Trace::Test::spew("$dir/race.$i", $c);
        POSIX::_exit(0);
    }
    push @pids, $pid;
}
waitpid $_, 0 for @pids;
is(join(',', map { Trace::Test::slurp("$dir/race.$_") } 1 .. 6), '2,2,2,2,2,2',
    'six runs at once: all exit 2');
is(scalar(new_mail()), 1, 'six runs at once: one mail');

# --- configurations that cannot work: UNKNOWN ------------------------------------------
($rc, $out, $err) = check(config('implicit', memory_threshold => 0, smtp => { tls => 'tls' }));
is($rc, 3, 'tls = "tls": exit 3');
like($out, qr/^RESOURCES UNKNOWN - .*smtp\.tls = "tls" \(implicit TLS, port 465\) is not supported: libesmtp 1\.1/,
    '... implicit TLS is not supported, and it says why');
like($err, qr/use tls = "starttls"/, '... and what to use instead');

Trace::Test::spew("$dir/open.pass", "hunter2\n", 0644);
($rc, $out, $err) = check(config('openpass', memory_threshold => 0,
    smtp => { tls => 'starttls', user => 'alerts', password_file => "$dir/open.pass" }));
is($rc, 3, 'a password file everyone may read: exit 3');
like($err, qr/open\.pass is accessible to everyone \(mode 0644\); refusing to use it/, '... saying so');
unlike($out . $err, qr/hunter2/, '... without showing the password');

Trace::Test::spew("$dir/ok.pass", "hunter2\n", 0600);
($rc, $out, $err) = check(config('cleartext', memory_threshold => 0,
    smtp => { user => 'alerts', password_file => "$dir/ok.pass" }));
is($rc, 3, 'a password with tls = "none": exit 3');
like($err, qr/never sends a password without TLS/, '... refused');
is(scalar(new_mail()), 0, 'none of these sent mail');

Trace::Test::spew("$dir/bad.toml", "memory_threshold = 150\n");
($rc, $out, $err) = check("$dir/bad.toml", '--no-mail');
is($rc, 3, 'a bad configuration: exit 3, not 2 (which would mean CRITICAL)');
like($out, qr/^RESOURCES UNKNOWN - .*bad\.toml:1: 'memory_threshold' must be a percentage/, '... said on stdout');
like($err, qr/^trace-ctl check-resources: .*bad\.toml:1: /, '... and on stderr');
($rc, $out, $err) = $t->trace_ctl('check-resources', '--no-mail', '--memory-threshold', 200);
is($rc, 3, 'a bad command line: exit 3');
like($out, qr/^RESOURCES UNKNOWN - bad command line/, '... said on stdout');

Trace::Test::spew("$dir/broken/state.json", "{not json", 0600);
($rc, $out, $err) = check(config('broken', memory_threshold => 0));
like($err, qr/ignoring the unreadable state file .*broken\/state\.json/, 'a damaged state file is reported');
is(scalar(new_mail()), 1, '... and does not silence the warning');
ok(state_of('broken')->{alerts}{memory}, '... and is replaced');
Trace::Test::spew("$dir/broken2/state.json", "{not json", 0600);
($rc, $out, $err) = check(config('broken2'));
is(eval { state_of('broken2')->{version} }, 2, '... also when no mail was due');

# --- STARTTLS with a verified certificate, and a login -----------------------------------
my $pki = "$dir/pki";
mkdir $pki;
for my $name (qw(localhost mail.example.org)) {
    my ($c, $o, $e) = Trace::Test::run('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
        '-keyout', "$pki/$name.key", '-out', "$pki/$name.pem", '-days', '2', '-subj', "/CN=$name",
        '-addext', "subjectAltName=DNS:$name");
    die "openssl: $o$e" if $c;
}
Trace::Test::spew("$dir/smtp.pass", "s3cret-pass\n", 0600);
my %tls_sinks;
sub tls_sink {
    my ($cert) = @_;
    my $port = Trace::Test::free_port();
    my $out_dir = "$dir/tls-mail-$cert";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$dir/tls-sink-$cert.log";
        open STDERR, '>&', \*STDOUT;
        { exec '/usr/bin/python3', Trace::Test::root() . '/t/lib/smtp_tls_sink.py', $port,
            $out_dir, "$pki/$cert.pem", "$pki/$cert.key", 'alerts', "$dir/smtp.pass"; }
        POSIX::_exit(127);
    }
    $tls_sinks{$pid} = 1;
    Trace::Test::wait_port($port, 15) or die 'TLS sink did not start: '
        . Trace::Test::slurp("$dir/tls-sink-$cert.log");
    return ($port, $out_dir);
}
END { kill 'TERM', keys %tls_sinks; waitpid $_, 0 for keys %tls_sinks }

my ($tls_port, $tls_dir) = tls_sink('localhost');
my %login = (host => 'localhost', port => $tls_port, tls => 'starttls', user => 'alerts',
    password_file => "$dir/smtp.pass");
($rc, $out, $err) = check(config('untrusted', memory_threshold => 0, smtp => {%login}));
is($rc, 2, 'a self-signed certificate without ca_file: exit 2');
like($err, qr/cannot send mail via localhost:$tls_port: the server's certificate is not trusted: self.signed certificate/,
    '... the certificate is verified against the system store and refused');
ok(!-e "$tls_dir/1.eml", '... and nothing was sent');

($rc, $out, $err) = check(config('trusted', memory_threshold => 0,
    smtp => { %login, ca_file => "$pki/localhost.pem" }));
is($rc, 2, 'with ca_file naming the CA: exit 2 (memory is still over)') or diag($err);
is($err, '', '... and no error');
my $meta = JSON::PP::decode_json(Trace::Test::slurp("$tls_dir/1.json") || '{}');
is($meta->{auth}, 'alerts', 'the mail went out after STARTTLS and a login as smtp.user');
is_deeply($meta->{rcpt_tos}, \@to, '... to every address');
my $wire = Trace::Test::slurp("$tls_dir/1.eml");
ok($wire =~ /\r\n\r\n/ && $wire !~ /(?<!\r)\n/, 'on the wire every line ends in CRLF');
is(scalar(() = $wire =~ /^Message-ID:/mgi), 1, 'libesmtp added no second Message-ID');
is(scalar(() = $wire =~ /^Date:/mgi), 1, '... and no second Date');
unlike($out . $err, qr/s3cret/, 'the password appears nowhere in the output');

($rc, $out, $err) = check(config('refused', memory_threshold => 0,
    warning_emails => ['ops@example.org', 'refused@example.org'],
    smtp => { %login, ca_file => "$pki/localhost.pem" }));
is($rc, 2, 'a recipient the server refuses: exit 2');
like($err, qr/the server refused recipients: refused\@example\.org: 550 5\.1\.1 no such mailbox/,
    '... naming the recipient and the reason');
ok(!state_of('refused') || !%{ state_of('refused')->{alerts} },
    '... and no quiet period started, so that everyone is mailed again');

Trace::Test::spew("$dir/wrong.pass", "not-the-password\n", 0600);
($rc, $out, $err) = check(config('wrongpass', memory_threshold => 0,
    smtp => { %login, ca_file => "$pki/localhost.pem", password_file => "$dir/wrong.pass" }));
is($rc, 2, 'a wrong password: exit 2');
like($err, qr/cannot send mail via localhost:$tls_port: the server refused the login as alerts \(535 .*\); check smtp\.user and smtp\.password_file/,
    '... saying the login was refused');
unlike($out . $err, qr/not-the-password/, '... without showing the password');

my ($other_port) = tls_sink('mail.example.org');
($rc, $out, $err) = check(config('wrongname', memory_threshold => 0,
    smtp => { %login, port => $other_port, ca_file => "$pki/mail.example.org.pem" }));
is($rc, 2, 'a trusted certificate for another host: exit 2');
like($err, qr/the server's certificate is for "mail\.example\.org", not for the configured host/,
    '... refused, naming the certificate');

$t->done;
