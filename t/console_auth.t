# Who may open the console: on loopback anyone on the machine; elsewhere only
# with --htpasswd (nginx's auth_basic_user_file format, hashes checked with
# crypt_r) or --behind-proxy. Without either, a non-loopback --listen is
# refused with one line and exit status 2, as is an htpasswd file with a hash
# crypt(3) does not know.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use MIME::Base64 qw(encode_base64);
use Trace::Test;
use Trace::Test::Console qw(start_console stop_console fetch);
use Trace::Test::Ports ();

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
my $ctl = Trace::Test::build() . '/trace-ctl';

# Hashes as crypt(3) makes them (Perl's crypt is libcrypt's).
my %hash = (
    yescrypt => crypt('yes-pw', '$y$j9T$abcdefghijklmnopqrstu.'),
    bcrypt => crypt('b-pw', '$2b$05$abcdefghijklmnopqrstuu'),
    sha512 => crypt('sha-pw', '$6$saltsalt$'),
);
like($hash{$_}, qr/^\$(y|2b|6)\$/, "a $_ hash to test with") for sort keys %hash;
my $file = $t->base . '/htpasswd';
Trace::Test::spew($file, "# console users\n"
    . "yan:$hash{yescrypt}\n"
    . "bea:$hash{bcrypt}:an Apache comment\n"
    . "sam:$hash{sha512}\r\n");

my $console = start_console($t, '--htpasswd', $file);
my $basic = sub { ('Authorization' => 'Basic ' . encode_base64("$_[0]:$_[1]", '')) };
my $r = fetch($console, '/requests');
is($r->{status}, 401, 'no credentials: 401');
like($r->{headers}{'www-authenticate'} // '', qr/^Basic realm="trace console"/, '... asking for basic authentication');
like($r->{headers}{'content-security-policy'} // '', qr/frame-ancestors 'none'/, '... with the security headers');
unlike($r->{content}, qr/<table>/, '... and no rows');
is(fetch($console, '/requests', $basic->('yan', 'wrong'))->{status}, 401, 'wrong password: 401');
is(fetch($console, '/requests', $basic->('nobody', 'yes-pw'))->{status}, 401, 'unknown user: 401');
is(fetch($console, '/requests', $basic->('sam', 'yes-pw'))->{status}, 401, 'another user\'s password: 401');
is(fetch($console, '/requests', Authorization => 'Basic !!!')->{status}, 401, 'garbage credentials: 401');
is(fetch($console, '/requests', Authorization => 'Bearer abc')->{status}, 401, 'another scheme: 401');
is(fetch($console, '/console.css')->{status}, 401, 'even the style sheet needs credentials');
is(fetch($console, '/requests', method => 'POST', $basic->('yan', 'yes-pw'))->{status}, 405,
    'POST with credentials: still 405');
for my $user (['yan', 'yes-pw', 'yescrypt'], ['bea', 'b-pw', 'bcrypt'], ['sam', 'sha-pw', 'sha512-crypt']) {
    $r = fetch($console, '/requests', $basic->($user->[0], $user->[1]));
    is($r->{status}, 200, "right password ($user->[2]): 200");
    like($r->{content}, qr/No requests match/, "... the page itself");
}
my ($status) = stop_console($console);
is($status, 0, 'stopped');

# --- what is refused at start --------------------------------------------------------
sub serve {
    my (@args) = @_;
    return Trace::Test::run({ env => { PGCONNECT_TIMEOUT => 2 } }, $ctl, '--db', $pg->conninfo, 'serve', @args);
}
my $port = Trace::Test::Ports::free_port();
for my $listen ("0.0.0.0:$port", "192.0.2.1:$port", "[::]:$port") {
    my ($rc, $out, $err) = serve('--listen', $listen);
    is($rc, 2, "--listen $listen alone: exit 2");
    is($err, "trace-ctl serve: --listen $listen is not a loopback address: anyone who reaches it "
        . "could read every record; give --htpasswd FILE, or --behind-proxy when a proxy in "
        . "front authenticates\n", '... in one line that says what to do');
}
for my $listen ('nonsense', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:99999', 'example.com:80') {
    my ($rc, undef, $err) = serve('--listen', $listen);
    is($rc, 2, "--listen $listen: exit 2");
    like($err, qr/^trace-ctl serve: --listen: "\Q$listen\E" /, '... naming it');
}
Trace::Test::spew("$file-apr1", "ann:" . `openssl passwd -apr1 -salt abcdefgh pw`);
my ($rc, undef, $err) = serve('--htpasswd', "$file-apr1");
is($rc, 2, 'an apr1 hash: exit 2');
like($err, qr/^trace-ctl serve: --htpasswd: \Q$file\E-apr1:1: the hash of "ann" is not one this system's crypt\(3\) knows/,
    '... naming the file, line and user');
Trace::Test::spew("$file-plain", "# nobody\n");
($rc, undef, $err) = serve('--htpasswd', "$file-plain");
is($rc, 2, 'a file without users: exit 2');
like($err, qr/names no user/, '... says so');
($rc, undef, $err) = serve('--htpasswd', "$file-missing");
is($rc, 2, 'a missing file: exit 2');
like($err, qr/^trace-ctl serve: --htpasswd: .*missing/, '... naming it');

# --- a non-loopback address with either flag --------------------------------------------
for my $flags (['--behind-proxy'], ['--htpasswd', $file]) {
    my $any = Trace::Test::Ports::free_port();
    my $bg = Trace::Test::Reading::start_background($ctl, '--db', $pg->conninfo, 'serve',
        '--listen', "0.0.0.0:$any", @$flags);
    my $out = Trace::Test::Reading::wait_for_output($bg, sub { $_[0] =~ /listening/ }, 10);
    like($out, qr{listening on http://0\.0\.0\.0:$any/}, "--listen 0.0.0.0 with @$flags[0]: serves");
    my $res = fetch({ port => $any }, '/status', $flags->[0] eq '--htpasswd' ? $basic->('sam', 'sha-pw') : ());
    is($res->{status}, 200, '... and answers');
    is(Trace::Test::Reading::stop_background($bg), 0, '... until stopped');
}

$t->done;
