# The shape the code keeps: no include or call cycle among the shim's files,
# every C entry of the core behind the one guard, and trace-ctl built from
# cli/ and common/ only, never from the module's shim or core.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

my $t = Trace::Test->new;
my $root = Trace::Test::root();

my ($rc, $out, $err) = Trace::Test::run({ env => {} }, 'sh', '-c',
    "cd $root && perl scripts/shim-graph.pl " . Trace::Test::build());
is($rc, 0, 'scripts/shim-graph.pl: exit 0') or diag($out, $err);
like($out, qr/^no cycle in includes or calls$/m, '... no cycle among the shim\'s files');
like($out, qr/ngx_http_trace_log\.c\s+->\s+ngx_http_trace_rows\.c/, '... and it read the call edges');

($rc, $out, $err) = Trace::Test::run('sh', '-c', "cd $root && perl scripts/core-guards.pl");
is($rc, 0, 'scripts/core-guards.pl: exit 0') or diag($out, $err);
like($out, qr/^(\d+) entries, all guarded$/m, '... every extern "C" entry of the core is guarded');
my ($entries) = $out =~ /^(\d+) entries/m;
cmp_ok($entries // 0, '>=', 20, '... of all of them');

my @reaching;
for my $file (split /\n/, `cd $root && find cli -name '*.[ch]pp'`) {
    for (split /\n/, Trace::Test::slurp("$root/$file")) {
        next unless /^\s*#\s*include\s+"([^"]+)"/;
        push @reaching, "$file: $1"
            if -e "$root/ngx_module/$1" || -e "$root/ngx_module/core/$1" || $1 =~ m{^(ngx_module|core)/};
    }
}
is_deeply(\@reaching, [], 'no file of cli/ includes a header of ngx_module/');
my $nm = `nm -C ${\ Trace::Test::build()}/trace-ctl 2>&1`;
like($nm, qr/\btrace::session_hash\b/, 'trace-ctl has common/\'s session hash');
unlike($nm, qr/\b(trace_session_hash|trace_session_key_read|trace_conninfo_check|trace_exporter_\w+|trace::Exporter)\b/,
    '... and none of the core, not even its C entries over common/');

$t->done;
