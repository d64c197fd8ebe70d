# trace_field NAME VALUE: values of the site's choosing in trace.requests.fields
# (jsonb). Inherited as nginx's arrays are (a level with its own lines takes
# none of the outer ones); empty values left out; any bytes a client can send
# make valid JSON that PostgreSQL accepts, in the same batch as ordinary rows;
# long values cut with a mark; trace-ctl shows them as JSON and filters with
# --field NAME=VALUE.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Reading qw(decode_json_output parse_csv);
use MIME::Base64 qw(encode_base64);
use JSON::PP ();

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
my @db = ('--db', $pg->conninfo);

$t->nginx(<<'EOF');
http {
    trace_db "%%TRACE_DB%%";
    trace_flush_interval 2s;            # everything below lands in one batch
    trace on;
    trace_only_authenticated off;
    large_client_header_buffers 4 16k;

    trace_field from_http $http_x_a;

    server {
        listen 127.0.0.1:%%PORT_INHERIT%%;
        location / { return 200 "ok\n"; }
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        trace_field srv $http_x_a;
        trace_field xff $http_x_forwarded_for;
        trace_field both "$http_x_a/$http_x_b";

        location / { return 200 "ok\n"; }
        location /loc/ {
            trace_field here fixed;
            trace_field a $http_x_a;
            return 200 "ok\n";
        }
        location /hostile/ {
            trace_field user $remote_user;
            trace_field plain $http_x_plain;
            return 200 "ok\n";
        }
        location /empty/ {
            trace_field nothing $http_x_nothing;
            return 200 "ok\n";
        }
        location /long/ {
            trace_field long $http_x_long;
            return 200 "ok\n";
        }
    }
}
EOF

sub get_on {
    my ($port, $path, %headers) = @_;
    my $raw = "GET $path HTTP/1.0\r\nHost: localhost\r\n";
    $raw .= "$_: $headers{$_}\r\n" for sort keys %headers;
    return Trace::Test::http_request($port, "$raw\r\n");
}

# The fields of the row of a path: a hash of name => value (bytes), and the
# row's escaped column.
sub fields_of {
    my ($path) = @_;
    my $rows = $pg->dbh->selectall_arrayref(q{SELECT f.key, convert_to(f.value, 'UTF8')
        FROM trace.requests r, jsonb_each_text(r.fields) f WHERE r.path = ?}, undef, $path);
    return { map { $_->[0] => $_->[1] } @$rows };
}

my $total = 0;
sub req { $total++; return get_on(@_) }

# --- inheritance ----------------------------------------------------------------------
req($t->port('inherit'), '/inherit', 'X-A' => 'alpha');
req($t->port, '/srv', 'X-A' => 'alpha', 'X-B' => 'beta', 'X-Forwarded-For' => '192.0.2.1, 10.0.0.1');
req($t->port, '/srv-none');
req($t->port, '/loc/x', 'X-A' => 'alpha', 'X-Forwarded-For' => '192.0.2.1');
req($t->port, '/empty/x');

# --- hostile values -------------------------------------------------------------------
# $remote_user is the Basic credentials' user, decoded from base64: any bytes but ':'.
my @users = (
    'plain',
    q{quote"double'single},
    'back\\slash\\\\',
    "tab\tnew\nline\rcr",
    "ctl\x01\x1b[31m\x1f\x7f",
    "utf8 caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8",
    '\\u0000 and \\x00, as text',
    '{"json"=["inside"]}',
    '\\N',
    "nul\x00byte",
    "latin1 caf\xe9",
    "surrogate \xed\xa0\x80",
    "\xff\xfe\xfd",
    "\x00",
    "c1 \xc2\x9b2J \xc2\x85",
);
# What the database holds for a value: exactly the bytes, unless it has a byte
# PostgreSQL cannot hold; then it is escaped: those bytes as \xHH, backslashes
# doubled (sql/0003), and the row's escaped column names it as fields.NAME.
sub holdable {
    my ($bytes) = @_;
    return $bytes =~ /\A(?:[\x01-\x7f]|[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2})*\z/;
}
sub escaped {
    my ($bytes) = @_;
    my $out = '';
    while (length $bytes) {
        if ($bytes =~ s/^(\\)//) {
            $out .= '\\\\';
        } elsif ($bytes =~ s/^([\x01-\x7f]|[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2})//) {
            $out .= $1;
        } else {
            $bytes =~ s/^(.)//s;
            $out .= sprintf('\\x%02x', ord $1);
        }
    }
    return $out;
}
my $plain = 'a\\b "c"';
for my $i (0 .. $#users) {
    my $r = req($t->port, "/hostile/$i", Authorization => 'Basic ' . encode_base64("$users[$i]:pw", ''),
        'X-Plain' => $plain);
    is($r->{status}, 200, "hostile $i answered");
}

# --- long values: cut at 512 bytes, between characters, with a mark ----------------------
req($t->port, '/long/ascii', 'X-Long' => 'a' x 600);
req($t->port, '/long/exact', 'X-Long' => 'b' x 512);
req($t->port, '/long/straddle', 'X-Long' => ('c' x 511) . "\xc3\xa9" . ('d' x 10));
req($t->port, '/long/escaped', 'X-Long' => ('e' x 500) . "\xff" . ('f' x 100));

ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') >= $total }, 15),
    'every row arrived');
is($pg->value('SELECT count(*) FROM trace.requests'), $total, 'one row per request');
is($pg->value('SELECT count(*) FROM trace.rejected'), 0, 'no row was refused');
is($pg->value('SELECT count(*) FROM trace.batches'), 1, 'all of them in one batch');

is_deeply(fields_of('/inherit'), { from_http => 'alpha' }, 'a server without trace_field inherits http\'s');
is_deeply(fields_of('/srv'), { srv => 'alpha', xff => '192.0.2.1, 10.0.0.1', both => 'alpha/beta' },
    'a server with its own: those, and none of http\'s');
is_deeply(fields_of('/srv-none'), { both => '/' }, 'empty values are left out (a complex value with text is kept)');
is_deeply(fields_of('/loc/x'), { here => 'fixed', a => 'alpha' },
    'a location with its own: only those');
ok(!defined $pg->value(q{SELECT fields FROM trace.requests WHERE path = '/empty/x'})
        && $pg->value(q{SELECT count(*) FROM trace.requests WHERE path = '/empty/x'}) == 1,
    'no field with a value: fields is NULL');

for my $i (0 .. $#users) {
    my $f = fields_of("/hostile/$i");
    my $esc = $pg->value('SELECT escaped FROM trace.requests WHERE path = ?', "/hostile/$i");
    is($f->{plain}, $plain, "hostile $i: the other value is stored exactly, whatever this one holds");
    if (holdable($users[$i])) {
        is($f->{user}, $users[$i], "hostile $i: stored exactly");
        ok(!defined $esc, "hostile $i: ... and nothing is marked escaped");
    } else {
        is($f->{user}, escaped($users[$i]), "hostile $i: stored escaped");
        # $remote_user is the row's user too, stored by the same scheme
        is_deeply($esc, ['user_name', 'fields.user'], "hostile $i: ... and escaped names it");
    }
}

is(fields_of('/long/ascii')->{long}, ('a' x 512) . "\xe2\x80\xa6", 'a value longer than 512 bytes is cut, with a mark');
is(fields_of('/long/exact')->{long}, 'b' x 512, 'a value of 512 bytes is whole');
is(fields_of('/long/straddle')->{long}, ('c' x 511) . "\xe2\x80\xa6", 'a character across the cut is left out whole');
is(fields_of('/long/escaped')->{long}, ('e' x 500) . '\\xff' . ('f' x 11) . "\xe2\x80\xa6",
    'escaped and cut: 512 bytes of the value, escaped');
is_deeply($pg->value(q{SELECT escaped FROM trace.requests WHERE path = '/long/escaped'}), ['fields.long'],
    '... and named');

# --- trace-ctl ----------------------------------------------------------------------------
my ($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--format', 'json', '--limit', '1000');
is($rc, 0, 'trace-ctl requests --format json') or diag($err);
my $rows = eval { decode_json_output($out) };
ok($rows, 'the JSON is valid, hostile values and all') or diag($@);
my %by_path = map { $_->{path} => $_ } @{ $rows // [] };
is_deeply($by_path{'/srv'}{fields}, { srv => 'alpha', xff => '192.0.2.1, 10.0.0.1', both => 'alpha/beta' },
    'JSON: fields is an object');
is($by_path{'/empty/x'}{fields}, undef, 'JSON: no fields is null');
is($by_path{'/hostile/1'}{fields}{user}, $users[1], 'JSON: quotes read back');
is($by_path{'/hostile/3'}{fields}{user}, $users[3], 'JSON: tabs, newlines read back');
is($by_path{'/hostile/4'}{fields}{user}, $users[4], 'JSON: control bytes read back');
is($by_path{'/hostile/9'}{fields}{user}, 'nul\\x00byte', 'JSON: a NUL, escaped');
is_deeply($by_path{'/hostile/9'}{escaped}, ['user_name', 'fields.user'], 'JSON: ... and the row says so');

($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--format', 'csv', '--limit', '1000');
my $csv = parse_csv($out);
my @header = @{ shift @$csv };
my %col = map { $header[$_] => $_ } 0 .. $#header;
ok(exists $col{fields}, 'CSV has fields');
my ($loc) = grep { $_->[ $col{path} ] eq '/loc/x' } @$csv;
is_deeply(JSON::PP->new->decode($loc->[ $col{fields} ]), { here => 'fixed', a => 'alpha' },
    'CSV: fields as JSON text');
# jsonb's text keeps DEL and C1 controls as they are; CSV writes them as \u
# escapes, the same JSON value, so that no field drives a terminal
my $raw_controls = () = $out =~ /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]/g;
is($raw_controls, 0, 'CSV: no raw control byte (C0, DEL, C1) from a field reaches the output');
for my $i (4, $#users) {
    my ($row) = grep { $_->[ $col{path} ] eq "/hostile/$i" } @$csv;
    my $user = JSON::PP->new->utf8->decode($row->[ $col{fields} ] // 'null')->{user};
    utf8::encode($user);
    is($user, $users[$i],
        "CSV: fields of hostile $i read back exactly");
}

sub listed {
    my (@args) = @_;
    my ($code, $stdout, $stderr) = $t->trace_ctl(@db, 'requests', '--format', 'json', '--limit', '1000', @args);
    is($code, 0, "trace-ctl requests @args") or diag($stderr);
    return [ sort map { $_->{path} } @{ decode_json_output($stdout) } ];
}
is_deeply(listed('--field', 'srv=alpha'), ['/srv'], '--field NAME=VALUE');
is_deeply(listed('--field', 'a=alpha', '--field', 'here=fixed'), ['/loc/x'], 'two --field: both hold');
is_deeply(listed('--field', 'a=alpha', '--field', 'here=other'), [], '... not just one');
is_deeply(listed('--field', 'xff=192.0.2.1, 10.0.0.1'), ['/srv'], 'the whole value');
is_deeply(listed('--field', 'xff=192.0.2.1'), [], '... not a part of it');
is_deeply(listed('--field', 'user=' . $users[1]), ['/hostile/1'], 'a value with quotes');
is_deeply(listed('--field', 'user=' . $users[2]), ['/hostile/2'], 'a value with backslashes');
is_deeply(listed('--field', 'user=nul\\x00byte'), ['/hostile/9'], 'an escaped value, as stored');
is(scalar @{ listed('--field', "plain=$plain") }, scalar @users,
    'a value matches as sent in every row, also where another value of the row is escaped');
is_deeply(listed('--field', 'long=' . ('a' x 512) . "\xe2\x80\xa6"), ['/long/ascii'], 'a cut value, as stored');
is_deeply(listed('--field', 'here=fixed', '--path', '^/loc/'), ['/loc/x'], 'with other filters');

for my $bad (['Srv=alpha', qr/--field: "Srv" is not a trace_field name/],
             ['srv', qr/--field: "srv" is not NAME=VALUE/],
             ['srv=', qr/has no value/],
             [('x' x 65) . '=1', qr/is not a trace_field name/])
{
    ($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--field', $bad->[0]);
    is($rc, 2, "--field $bad->[0]: exit 2");
    like($err, $bad->[1], '... saying why');
}
($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--field', 'a=1', '--field', 'a=2');
is($rc, 2, 'the same name twice: exit 2');
like($err, qr/"a" is given twice/, '... saying why');

($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--field', 'here=fixed', '--explain');
is($rc, 0, '--field --explain');
like($out, qr/fields \@> /, '... the containment a GIN index could serve');

$t->done;
