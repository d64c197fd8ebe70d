# trace-ctl's command line and configuration file: help that answers, errors
# that name the file, line and key, exit codes that mean something.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

my $t = Trace::Test->new;
my $dir = $t->base;

my ($rc, $out, $err) = $t->trace_ctl('--help');
is($rc, 0, '--help exits 0');
like($out, qr/--config/, '--help names --config');
like($out, qr/--db/, '--help names --db');
like($out, qr/migrate/, '--help lists migrate');
like($out, qr/Exit status/, '--help explains exit codes');

($rc, $out, $err) = $t->trace_ctl('migrate', '--help');
is($rc, 0, 'migrate --help exits 0');
like($out, qr/--status/, 'migrate --help names --status');
like($out, qr/--dry-run/, 'migrate --help names --dry-run');

($rc, $out, $err) = $t->trace_ctl();
is($rc, 2, 'no command: exit 2');

($rc, $out, $err) = $t->trace_ctl('frobnicate');
is($rc, 2, 'unknown command: exit 2');

($rc, $out, $err) = $t->trace_ctl('--version');
like($out, qr/^trace-ctl \S+$/m, '--version');

Trace::Test::spew("$dir/bad-key.toml", qq{database = "dbname=x"\nmax_log_cuont = 5\n});
($rc, $out, $err) = $t->trace_ctl('--config', "$dir/bad-key.toml", 'migrate', '--status');
is($rc, 2, 'unknown key: exit 2');
is($err, "trace-ctl migrate: $dir/bad-key.toml:2: 'max_log_cuont' is not a known setting\n",
    'unknown key: one line naming file, line and key');

Trace::Test::spew("$dir/bad-type.toml", qq{\n[smtp]\nport = "twenty-five"\n});
($rc, $out, $err) = $t->trace_ctl('--config', "$dir/bad-type.toml", 'migrate');
is($rc, 2, 'wrong type: exit 2');
is($err, "trace-ctl migrate: $dir/bad-type.toml:3: 'smtp.port' must be an integer\n",
    'wrong type: one line naming file, line and key');

($rc, $out, $err) = $t->trace_ctl('--config', "$dir/missing.toml", 'migrate');
is($rc, 2, 'missing file: exit 2');
like($err, qr{^trace-ctl migrate: cannot read \Q$dir\E/missing\.toml: No such file or directory$},
    'missing file: one clear line');

Trace::Test::spew("$dir/syntax.toml", qq{database = "unterminated\n});
($rc, $out, $err) = $t->trace_ctl('--config', "$dir/syntax.toml", 'migrate');
is($rc, 2, 'TOML syntax error: exit 2');
like($err, qr{^trace-ctl migrate: \Q$dir\E/syntax\.toml:1:\d+: }, 'TOML syntax error: file:line:column');

# Permission errors: root reads any file, so check as nobody where we are root.
Trace::Test::spew("$dir/secret.toml", "host = \"x\"\n", 0000);
# (a copy of trace-ctl, since nobody may not reach the checkout)
my @as_nobody = $> == 0 ? ('runuser', '-u', 'nobody', '--') : ();
system('cp', Trace::Test::build() . '/trace-ctl', "$dir/trace-ctl") == 0 or die;
($rc, $out, $err) = Trace::Test::run(@as_nobody, "$dir/trace-ctl",
    '--config', "$dir/secret.toml", 'migrate');
is($rc, 2, 'unreadable file: exit 2');
like($err, qr/cannot read .*secret\.toml: Permission denied/, 'unreadable file: says why');

# The configuration's database is used when --db is absent; --db wins.
my $pg = $t->postgres;
Trace::Test::spew("$dir/ok.toml", "database = \"" . $pg->conninfo . "\"\n");
($rc, $out, $err) = $t->trace_ctl('--config', "$dir/ok.toml", 'migrate', '--status');
is($rc, 0, 'database from the configuration file') or diag($err);
($rc, $out, $err) = $t->trace_ctl('--config', "$dir/ok.toml", '--db',
    'host=127.0.0.1 port=1 connect_timeout=2', 'migrate', '--status');
is($rc, 1, '--db overrides the file');

# libpq's environment is used when neither is given.
Trace::Test::spew("$dir/empty.toml", "");
($rc, $out, $err) = $t->trace_ctl({ env => { PGHOST => '127.0.0.1', PGPORT => $pg->port,
    PGDATABASE => 'trace', PGUSER => 'postgres' } }, '--config', "$dir/empty.toml",
    'migrate', '--status');
is($rc, 0, 'PG* environment when no database is configured') or diag($err);

($rc, $out, $err) = $t->trace_ctl('--db', 'host=x password=hunter2', 'migrate');
is($rc, 1, 'password on the command line: refused');
like($err, qr/passfile/, '... pointing at the passfile');
unlike($err, qr/hunter2/, '... without echoing the password');

$t->done;
