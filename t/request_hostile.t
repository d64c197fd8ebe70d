# Anything a client can send is stored without harm: a value with NUL or
# invalid UTF-8 is stored escaped (those bytes as \xHH, its backslashes
# doubled; t/request_escaping.t reads them back), everything else reads back as
# sent, and all of it goes through in one batch with ordinary rows, none of
# which is lost.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use MIME::Base64 qw(encode_base64);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

$t->nginx(<<'EOF');
http {
    trace_db "%%TRACE_DB%%";
    trace_flush_interval 2s;            # everything below lands in one batch
    large_client_header_buffers 4 16k;
    server {
        listen 127.0.0.1:%%PORT%%;
        trace on;
        location / { return 200 "ok\n"; }
        location /anon/ { trace_only_authenticated off; return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_RAW%%;
        trace on;
        trace_only_authenticated off;
        location / { return 200 "ok\n"; }
    }
}
EOF

# What the database should hold for a value: when it has bytes PostgreSQL
# cannot store (NUL, invalid UTF-8), those as the text \xHH and each backslash
# doubled; else the value unchanged.
sub stored {
    my ($bytes) = @_;
    my $plain = qr/[\x01-\x7f]|[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}/;
    return $bytes if $bytes =~ /\A(?:$plain)*\z/;
    my $out = '';
    while (length $bytes) {
        if ($bytes =~ s/^($plain)//) {
            $out .= $1 eq '\\' ? '\\\\' : $1;
        } else {
            $bytes =~ s/^(.)//s;
            $out .= sprintf('\\x%02x', ord $1);
        }
    }
    return $out;
}

my @users = (
    "plain",
    "quote'single",
    'quote"double',
    "back\\slash\\\\",
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    "nul\x00byte",
    "latin1 caf\xe9",
    "overlong \xc0\xaf",
    "surrogate \xed\xa0\x80",
    "utf8 caf\xc3\xa9 \xf0\x9f\x98\x80",
    "escape \x1b[31mred",
    "\\N",
    "\\.",
    "\x00\x00\x00",
    "\xff\xfe\xfd",
    "both \\ and \xff",
);

my $i = 0;
for my $user (@users) {
    my $r = $t->get("/u/$i", Authorization => 'Basic ' . encode_base64("$user:pw", ''));
    is($r->{status}, 200, "request $i answered");
    $i++;
}

# 8 KB URI, 4 KB user agent with tabs and invalid bytes, raw high bytes in the path.
my $long_path = '/anon/' . ('a' x 8192);
is($t->get($long_path)->{status}, 200, '8 KB URI answered');
my $ua = join '', map { ("x" x 60) . "\t\xff" } 1 .. 66;
is($t->get('/anon/ua', 'User-Agent' => $ua)->{status}, 200, '4 KB user agent answered');
is($t->get("/anon/caf\xe9/\xe2\x82\xac?q=\xff")->{status}, 200, 'raw high bytes in the URI answered');
is($t->get(q{/anon/quote"and'back\\slash})->{status}, 200, 'quotes and backslashes in the URI answered');
my $long_user = 'L' x 600;
is($t->get('/u/long', Authorization => 'Basic ' . encode_base64("$long_user:pw", ''))->{status}, 200,
    'long user answered');

my $expected = @users + 5;
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') >= $expected }, 15),
    'every row arrived');
is($pg->value('SELECT count(*) FROM trace.requests'), $expected, 'exactly one row per request');
is($pg->value('SELECT count(*) FROM trace.batches'), 1, 'all of it went in one batch');
is($pg->value('SELECT count(*) FROM trace.rejected'), 0, 'nothing was refused');

my $dbh = $pg->dbh;
my $sth = $dbh->prepare('SELECT convert_to(user_name, \'UTF8\') FROM trace.requests WHERE path = ?');
for my $k (0 .. $#users) {
    $sth->execute("/u/$k");
    my ($got) = $sth->fetchrow_array;
    is($got, stored($users[$k]), "user $k stored as sent (or visibly escaped)");
}

my $bytes = sub {
    my ($col, $where, @bind) = @_;
    return $dbh->selectrow_array("SELECT convert_to($col, 'UTF8') FROM trace.requests WHERE $where",
        undef, @bind);
};
is($bytes->('path', 'length(path) > 8000'), $long_path, '8 KB path stored whole');
is($bytes->('user_agent', q{path = '/anon/ua'}), stored($ua), '4 KB user agent stored');
is($bytes->('path', q{path LIKE '/anon/caf%'}), "/anon/caf\\xe9/\xe2\x82\xac", 'invalid byte in the path escaped, UTF-8 kept');
is($bytes->('query', q{path LIKE '/anon/caf%'}), "q=\\xff", 'invalid byte in the query escaped');
is($bytes->('path', q{path LIKE '/anon/quote%'}), q{/anon/quote"and'back\\slash}, 'quotes and backslashes kept');
is($bytes->('user_name', q{path = '/u/long'}), ('L' x 512) . "\xe2\x80\xa6", 'a user name longer than 512 bytes is cut, visibly');

# Requests nginx refuses before it knows a method or a path are still one
# row each, with what is known, and cost the batch nothing.
$pg->sql('TRUNCATE trace.requests');
my @garbage = (
    "GET /\x00x HTTP/1.0\r\n\r\n",
    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    "GET / HTTP/1.0\r\nHost: a\x00b\r\n\r\n",
    "GARBAGE\r\n\r\n",
    "GET / HTTP/9.9\r\n\r\n",
    "GET /" . ('x' x 20000) . " HTTP/1.0\r\n\r\n",
    "GET /anon/ok HTTP/1.0\r\nAuthorization: Basic !!!\r\nUser-Agent: \xff\xfe\r\n\r\n",
);
my @statuses = map { Trace::Test::http_request($t->port('raw'), $_, timeout => 5)->{status} } @garbage;
is_deeply(\@statuses, [ 400, 400, 400, 400, 505, 414, 200 ], 'refused requests are answered as nginx answers them');
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') >= 7 }, 10), 'rows arrived');
my $g = $pg->sql(q{SELECT status, method IS NULL, path IS NULL FROM trace.requests ORDER BY id});
is_deeply([ map { $_->[0] } @$g ], [ 400, 400, 400, 400, 505, 414, 200 ],
    'one row per refused request too')
    or diag explain $g;

$t->done;
