# make install lays out the module as Debian's libnginx-mod-* packages do, puts
# trace-ctl on the PATH, and never overwrites an operator's configuration.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

my $t = Trace::Test->new;
my $dest = $t->base . '/root';
my $root = Trace::Test::root();

my ($rc, $out, $err) = Trace::Test::run('make', '-s', '-C', $root,
    'BUILD=' . Trace::Test::build(), "DESTDIR=$dest", 'install');
is($rc, 0, 'make install succeeds') or diag("$out$err");

ok(-f "$dest/usr/lib/nginx/modules/ngx_http_trace_module.so", 'module in Debian\'s module directory');
is(Trace::Test::slurp("$dest/usr/share/nginx/modules-available/mod-http-trace.conf"),
    "load_module modules/ngx_http_trace_module.so;\n", 'modules-available snippet');
is(readlink("$dest/etc/nginx/modules-enabled/50-mod-http-trace.conf"),
    '/usr/share/nginx/modules-available/mod-http-trace.conf', 'enabled by a symlink');
ok(-x "$dest/usr/local/bin/trace-ctl", 'trace-ctl on the PATH');
is((stat "$dest/etc/nginx/trace.toml")[2] & 07777, 0640, 'trace.toml is mode 0640');
like(Trace::Test::slurp("$dest/etc/cron.d/nginx-trace"), qr{/usr/local/bin/trace-ctl check-resources},
    'cron file names the installed trace-ctl');
ok(-f "$dest/usr/local/share/man/man1/trace-ctl.1", 'man page trace-ctl(1)');
is((stat "$dest/var/lib/nginx-trace")[2] & 07777, 0750, 'state directory is mode 0750');

# The example configuration parses with the installed trace-ctl.
($rc, $out, $err) = Trace::Test::run("$dest/usr/local/bin/trace-ctl", '--config',
    "$dest/etc/nginx/trace.toml", '--db', 'host=127.0.0.1 port=1 connect_timeout=1',
    'migrate', '--status');
is($rc, 1, 'installed trace-ctl reads the example configuration, then fails to connect');
like($err, qr/cannot connect to PostgreSQL/, '... and says so');

Trace::Test::spew("$dest/etc/nginx/trace.toml", "# mine\n", 0600);
($rc, $out, $err) = Trace::Test::run('make', '-s', '-C', $root,
    'BUILD=' . Trace::Test::build(), "DESTDIR=$dest", 'install');
is($rc, 0, 'second make install succeeds');
is(Trace::Test::slurp("$dest/etc/nginx/trace.toml"), "# mine\n", 'existing trace.toml kept');
is((stat "$dest/etc/nginx/trace.toml")[2] & 07777, 0600, '... with its mode');

# The Debian packages ship what make install installs, and nothing else:
# debian/rules installs trace-ctl's half with `make install-ctl` (dh_missing
# fails the package build on anything left over), the module's .so comes
# from nginx's build, and dh_nginx installs the load_module snippet named in
# debian/*.nginx and enables it with the priority given there (50 by default).
my $deb_dest = $t->base . '/deb-root';
($rc, $out, $err) = Trace::Test::run('make', '-s', '-C', $root,
    'BUILD=' . Trace::Test::build(), "DESTDIR=$deb_dest", 'PREFIX=/usr', 'install');
is($rc, 0, 'make install PREFIX=/usr succeeds') or diag("$out$err");
my @installed;
my $walk;
$walk = sub {
    my ($rel) = @_;
    opendir my $dh, "$deb_dest/$rel" or die "$deb_dest/$rel: $!";
    my @entries = grep { !/^\.\.?$/ } readdir $dh;
    push @installed, $rel if !@entries && $rel ne '';    # an empty directory
    for my $e (@entries) {
        my $path = $rel eq '' ? $e : "$rel/$e";
        if (-d "$deb_dest/$path" && !-l "$deb_dest/$path") { $walk->($path) }
        else { push @installed, $path }
    }
};
$walk->('');
my @packaged;
for my $file (glob("$root/debian/*.install")) {
    push @packaged, map { s{^/}{}r } grep { /\S/ && !/^#/ } split /\n/, Trace::Test::slurp($file);
}
for my $file (glob("$root/debian/*.nginx")) {
    for (grep { /\S/ && !/^#/ } split /\n/, Trace::Test::slurp($file)) {
        my (undef, $src, $prio) = split ' ';
        (my $name = $src) =~ s{.*/}{};
        push @packaged, "usr/share/nginx/modules-available/$name",
            'etc/nginx/modules-enabled/' . ($prio // 50) . "-$name";
    }
}
is_deeply([sort @packaged], [sort @installed],
    'debian/*.install and debian/*.nginx name exactly the files make install installs');

$t->done;
