# Listings through block summaries over rows of every origin at once: rows
# from before 0006 (summarised by migrate's backfill), rows real nginx writes
# (with their blocks, from a module that knows 0006), and rows an older module
# writes after the backfill (no block: read through requests_unsummarised_idx),
# their times interleaved. For filters on what clients choose (the path, the
# user of Basic credentials, hostile bytes included), on status, method, client
# and host, `trace-ctl requests --format json` is exactly the plain SQL answer.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Blocks;
use MIME::Base64 qw(encode_base64);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
$pg->sql('CREATE ROLE reader LOGIN IN ROLE trace_reader');
my $same = Trace::Test::Blocks->new($t, $pg, '--db', $pg->conninfo(user => 'reader'));

# Rows of an older module, over the last ten minutes (INTERVAL_AGO: where the
# newest sits).
sub insert_old_module_rows {
    my ($from, $to, $newest_ago) = @_;
    $pg->sql(<<"EOF");
INSERT INTO trace.requests (ts, host, method, path, status, user_name, client_addr)
SELECT now() - interval '$newest_ago seconds' - ($to - g) * interval '150 ms',
       'old-' || (g % 2), (ARRAY['GET','POST','PUT'])[1 + g % 3], '/old/' || (g % 40) || '/x',
       (ARRAY[200, 200, 404, 503, 301])[1 + g % 5], 'user' || (g % 9),
       ('127.0.' || (g % 3) || '.' || (g % 200 + 1))::inet
FROM generate_series(${from}::bigint, $to) AS g
EOF
}

insert_old_module_rows(1, 3000, 120);
my ($rc, $out, $err) = $t->trace_ctl('--db', $pg->conninfo, 'migrate');
like($out, qr/^summarised 3000 rows in 12 blocks/m, 'migrate summarises the rows before it')
    or diag("$out$err");

$t->nginx(<<'EOF');
http {
    trace_db "%%TRACE_DB%%";
    trace_spool %%PREFIX%%/spool;
    trace_flush_interval 300ms;
    trace_batch_size 64k;
    large_client_header_buffers 4 16k;
    server {
        listen 127.0.0.1:%%PORT%%;
        trace on;
        trace_only_authenticated off;
        location /missing/ { return 404; }
        location /broken/ { return 503; }
        location / { return 200 "ok\n"; }
    }
}
EOF

my $n = 1200;
is($t->load($n, concurrency => 4, path => sub { "/item/$_[0]?page=" . ($_[0] % 7) }), $n,
    "$n requests answered");
my @users = ("quote'single", 'back\\slash', "tab\there", "\\N", "\xff\xfe", 'user3');
my @paths = (q{/h/quote'single"double}, '/h/back\\slash\\\\', '/h/tab%09here',
    '/h/' . ('a' x 8000), '/missing/page', '/broken/page');
my $sent = $n;
for my $k (0 .. $#users) {
    for my $p (@paths) {
        my $r = $t->get("$p?k=$k", Authorization => 'Basic ' . encode_base64("$users[$k]:pw", ''),
            -method => $k % 2 ? 'POST' : 'GET', -body => $k % 2 ? 'x=1' : undef);
        $sent++ if $r->{status};
    }
}
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') >= 3000 + $sent }, 30),
    "every row nginx wrote arrived ($sent)");
my $summarised = $pg->value('SELECT count(*) FROM trace.requests WHERE summarised');
if (-e Trace::Test::root() . '/ngx_module/core/request_blocks.cpp') {
    is($summarised, $sent, 'the module summarised every row it wrote');
} else {
    is($summarised, 0, 'this module knows nothing of blocks: its rows are read uncovered');
}
# Rows of an older module meanwhile, within the minutes nginx wrote in.
insert_old_module_rows(3001, 3600, -5);
$pg->sql('ANALYZE trace.requests');

my $plain_user = $Trace::Test::Blocks::PLAIN_USER;
$same->same_ok([], '', []);
for my $k (0 .. $#users) {
    # The user as the module stored it: escaped where PostgreSQL could not
    # hold it, which trace-ctl's filter works out from the bytes alone.
    my ($stored, $escaped) = @{ $pg->sql(q{SELECT user_name, coalesce('user_name' = ANY(escaped),
        false) FROM trace.requests WHERE path = '/missing/page' AND query = ?}, "k=$k")->[0] };
    $same->same_ok(['--user', $users[$k]],
        $escaped ? $Trace::Test::Blocks::ESCAPED_USER : $plain_user, [$stored],
        pages => [[50, 1], [3, 2]]);
}

$same->same_ok(['--user', 'user3'], $plain_user, ['user3']);
$same->same_ok(['--status', '404'], 'status = 404', []);
$same->same_ok(['--status', '5xx'], 'status BETWEEN 500 AND 599', []);
$same->same_ok(['--status', '2xx,3xx'], 'status BETWEEN 200 AND 399', []);
$same->same_ok(['--method', 'POST'], q{method = 'POST'}, []);
$same->same_ok(['--method', 'put,post'], q{method IN ('PUT', 'POST')}, []);
$same->same_ok(['--client', '127.0.0.1'], q{client_addr = '127.0.0.1'}, []);
$same->same_ok(['--client', '127.0.1.0/24'], q{client_addr <<= '127.0.1.0/24'}, []);
$same->same_ok(['--client', '127.0.0.0/8'], q{client_addr <<= '127.0.0.0/8'}, []);
my $nginx_host = $pg->value(q{SELECT host FROM trace.requests WHERE path LIKE '/item/%' LIMIT 1});
$same->same_ok(['--host', $nginx_host], 'host = ?', [$nginx_host]);
$same->same_ok(['--host', 'old-1'], 'host = ?', ['old-1']);
$same->same_ok(['--path', '^/item/11'], 'path ~ ?', ['^/item/11']);
$same->same_ok(['--path', '^/old/3/'], 'path ~ ?', ['^/old/3/']);
$same->same_ok(['--path', q{quote'single"}], 'path ~ ?', [q{quote'single"}], pages => [[50, 1]]);
$same->same_ok(['--path', 'back\\\\slash'], 'path ~ ?', ['back\\\\slash'], pages => [[50, 1]]);
$same->same_ok(['--path', 'a{200}'], 'path ~ ?', ['a{200}'], pages => [[50, 1]]);
$same->same_ok(['--user', 'user3', '--status', '5xx', '--method', 'POST'],
    "$plain_user AND status BETWEEN 500 AND 599 AND method = 'POST'", ['user3']);
$same->same_ok(['--path', '^/broken/', '--client', '127.0.0.1'],
    q{path ~ '^/broken/' AND client_addr = '127.0.0.1'}, [], pages => [[50, 1]]);

$t->done;
