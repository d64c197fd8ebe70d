# scripts/deps.sh on a machine that has never seen the packages: dpkg-query
# knows none of them (and exits 1, as the real one does), apt-get is a stub
# that records what it was asked. deps.sh must install every package, say so
# in one line, show apt's own message when apt fails, and stay silent when
# everything is there.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

my $t = Trace::Test->new;
my $stubs = $t->base . '/stubs';
my $apt_log = $t->base . '/apt.log';
mkdir $stubs or die "$stubs: $!";

# dpkg-query -W -f=FORMAT PKG...: a line for each package named in
# FAKE_INSTALLED ("installed NAME", or "installed VERSION" when the format asks
# for the version: FAKE_VERSION), "no packages found" on stderr and exit 1 for
# any other.
Trace::Test::spew("$stubs/dpkg-query", <<'SH', 0755);
#!/bin/sh
format=$2
shift 2
rc=0
for p in "$@"; do
  case " $FAKE_INSTALLED " in
    *" $p "*) case "$format" in
                *Version*) echo "installed $FAKE_VERSION" ;;
                *) echo "installed $p" ;;
              esac ;;
    *) echo "dpkg-query: no packages found matching $p" >&2; rc=1 ;;
  esac
done
exit $rc
SH
Trace::Test::spew("$stubs/apt-get", <<'SH', 0755);
#!/bin/sh
echo "$*" >> "$APT_LOG"
if [ -n "$FAKE_APT_FAIL" ] && [ "$1" != update ]; then
  echo "E: Unable to locate package nginx-dev" >&2
  exit 100
fi
exit 0
SH
# As root, whoever runs the tests: deps.sh then calls apt-get without sudo.
Trace::Test::spew("$stubs/id", "#!/bin/sh\necho 0\n", 0755);

my $deps = Trace::Test::root() . '/scripts/deps.sh';
my @packages = do {
    my $text = Trace::Test::slurp($deps);
    my ($list) = $text =~ /^packages=\(\n(.*?)\n\)/ms or die "no package list in $deps";
    split ' ', $list;
};
cmp_ok(scalar @packages, '>', 10, 'deps.sh names its packages');

sub deps {
    my (%env) = @_;
    unlink $apt_log;
    local $ENV{PATH} = "$stubs:$ENV{PATH}";
    local $ENV{APT_LOG} = $apt_log;
    local $ENV{POLICY_RC_D} = $t->base . '/policy-rc.d';
    local $ENV{FAKE_INSTALLED} = $env{installed} // '';
    local $ENV{FAKE_APT_FAIL} = $env{apt_fail} // '';
    local $ENV{FAKE_VERSION} = $env{version} // '15.18-0+deb12u1';
    my @r = Trace::Test::run($deps, @{ $env{sets} // [] });
    my $calls = -e $apt_log ? Trace::Test::slurp($apt_log) : '';
    return (@r, [split /\n/, $calls]);
}

# A machine that has none of them.
my ($rc, $out, $err, $calls) = deps();
is($rc, 0, 'nothing installed: deps.sh succeeds') or diag($err);
is(scalar @$calls, 2, '... and calls apt-get twice') or diag(explain($calls));
like($calls->[0] // '', qr/^update\b/, '... update first');
my ($install) = grep { /\binstall\b/ } @$calls;
my %asked = map { $_ => 1 } split ' ', ($install // '');
is_deeply([grep { !$asked{$_} } @packages], [], '... then install with every package');
ok($asked{'--no-install-recommends'} && $asked{'-y'}, '... unattended, without recommends');
my @lines = split /\n/, $err;
is(scalar @lines, 1, 'one line on stderr') or diag($err);
like($lines[0] // '', qr/^deps: installing nginx nginx-dev .*procps prometheus curl libcpp-httplib-dev libcrypt-dev chromium libxxhash-dev faketime$/, '... naming what it installs');
is($out, '', 'nothing on stdout');
ok(!-e $t->base . '/policy-rc.d', 'the temporary policy-rc.d is removed again');

# Some of them already there: only the rest is installed.
($rc, $out, $err, $calls) = deps(installed => 'nginx postgresql wrk');
is($rc, 0, 'some installed: succeeds');
($install) = grep { /\binstall\b/ } @$calls;
unlike($install // '', qr/ (nginx|postgresql|wrk)( |$)/, '... and does not ask for those again');
like($install // '', qr/ nginx-dev /, '... but for the others');

# Everything there: silent, no apt-get.
($rc, $out, $err, $calls) = deps(installed => "@packages");
is($rc, 0, 'everything installed: succeeds');
is_deeply($calls, [], '... without calling apt-get');
is("$out$err", '', '... silently');

# apt-get fails: its own message, a line of ours, a non-zero exit.
($rc, $out, $err, $calls) = deps(apt_fail => 1);
isnt($rc, 0, 'apt-get failing: deps.sh fails');
like($err, qr/^E: Unable to locate package nginx-dev$/m, '... showing apt\'s own message');
like($err, qr/^deps: apt-get failed$/m, '... and saying that apt-get failed');
ok(!-e $t->base . '/policy-rc.d', '... and still removes the temporary policy-rc.d');

# Extra sets add their packages; an unknown set is refused before anything runs.
($rc, $out, $err, $calls) = deps(installed => "@packages", sets => ['fuzz']);
is($rc, 0, 'deps.sh fuzz succeeds');
like(join("\n", @$calls), qr/install .*\bclang\b/, '... installing clang');
($rc, $out, $err, $calls) = deps(sets => ['--only', 'fresh']);
is($rc, 0, 'deps.sh --only fresh succeeds');
($install) = grep { /\binstall\b/ } @$calls;
like($install // '', qr/ mmdebstrap curl$/, '... installing only that set, not the base set');
# citus: the server's headers at exactly the installed server's version, so
# that apt does not upgrade the server with them; unpinned when there is no
# server yet (both then come from one apt run).
($rc, $out, $err, $calls) = deps(installed => "@packages postgresql-15", sets => ['citus'],
    version => '15.18-0+deb12u1');
is($rc, 0, 'deps.sh citus succeeds') or diag($err);
($install) = grep { /\binstall\b/ } @$calls;
like($install // '', qr/ postgresql-server-dev-15=15\.18-0\+deb12u1 /,
    '... pinning postgresql-server-dev-15 to the server\'s version');
like($install // '', qr/ libkrb5-dev /, '... with the headers Citus\'s build includes');
like($err, qr/^deps: installing postgresql-server-dev-15=15\.18-0\+deb12u1 /, '... and says so');
($rc, $out, $err, $calls) = deps(installed => "@packages", sets => ['citus']);
($install) = grep { /\binstall\b/ } @$calls;
like($install // '', qr/ postgresql-server-dev-15 /, 'no server installed: the headers unpinned');

($rc, $out, $err, $calls) = deps(sets => ['nonsense']);
is($rc, 2, 'an unknown set: exit 2');
like($err, qr/^deps: unknown package set 'nonsense'$/m, '... with its name');
is_deeply($calls, [], '... and nothing installed');

$t->done;
