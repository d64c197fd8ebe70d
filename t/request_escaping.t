# What a client sends reads back unambiguously, and never drives the terminal
# of whoever reads it: a user agent of the four characters \xff and one of the
# byte 0xff are stored apart and shown apart in text, CSV and JSON; CSV, on a
# terminal (a pty, through script) and through a pipe, holds no raw control
# character, yet every value decodes back to the bytes sent (README, "Escaped
# values"); user names with NUL, invalid UTF-8, <script>, quotes and escape
# sequences likewise, in requests, audit and audit --summary.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;
use Trace::Test::Reading qw(parse_csv);
use JSON::PP;
use MIME::Base64 qw(encode_base64);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;
$t->start_recording_nginx(trace_flush_interval => '100ms', trace_audit => 'on',
    trace_audit_event => 'login ^/login/');
my @db = ('--db', $pg->conninfo);
my $ctl = Trace::Test::build() . '/trace-ctl';

# --- what the clients send, over a raw socket: curl refuses some of these bytes -------

my %agents = (
    forged => '\\xff',                      # four characters
    real => "\xff",                         # one byte
    hostile => "\e]0;owned\a\e[31mred\e[0m \xc2\x9b2J \x9b \x7f tab\there back\\slash \\x1b",
    mixed => "caf\xe9 \\ \xc3\xa9 \e[1m",   # a byte PostgreSQL cannot hold, a backslash, ESC
);
my %users = (
    forged => '\\xff',
    real => "\xff",
    nul => "nul\x00byte",
    latin1 => "caf\xe9 \xc0\xaf",
    script => '<script>alert(1)</script>',
    quotes => q{quote"double'single,comma},
    esc => "esc \e[2J\e]0;owned\a \xc2\x9b",
    backslash => 'back\\slash \\x00',
);

sub send_raw {
    my ($path, %headers) = @_;
    my $raw = "GET $path HTTP/1.0\r\nHost: localhost\r\n";
    $raw .= "$_: $headers{$_}\r\n" for sort keys %headers;
    return Trace::Test::http_request($t->port, "$raw\r\n")->{status};
}

for my $k (sort keys %agents) {
    is(send_raw("/ua/$k", 'User-Agent' => $agents{$k}), 200, "user agent $k answered");
}
for my $k (sort keys %users) {
    is(send_raw("/login/$k", Authorization => 'Basic ' . encode_base64("$users{$k}:pw", '')), 200,
        "user $k answered");
}
my $expected = keys(%agents) + keys(%users);
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') >= $expected
        && $pg->value('SELECT count(*) FROM trace.audit') >= keys %users }, 15), 'every row arrived');

is_deeply($pg->sql(q{SELECT path, escaped FROM trace.requests
        WHERE path IN ('/ua/forged', '/ua/real') ORDER BY path}),
    [['/ua/forged', undef], ['/ua/real', ['user_agent']]],
    'stored: the same text, and only the real byte marked escaped');

# --- the documented scheme, decoded here --------------------------------------------

# \\ is a backslash, \xHH a byte; nothing else is special.
sub unescape {
    my ($s) = @_;
    $s =~ s/\\(?:(\\)|x([0-9a-fA-F]{2}))/defined $1 ? '\\' : chr hex $2/ge;
    return $s;
}

# What each value of a record stands for, given the names it says are escaped.
sub decoded {
    my ($record, @escaped) = @_;
    my %e = map { $_ => 1 } @escaped;
    return { map { $_ => (defined $record->{$_} && $e{$_} ? unescape($record->{$_}) : $record->{$_}) }
        keys %$record };
}

# Raw controls a terminal would act on: C0 but CR and LF (CSV's line end),
# DEL, C1; and whether the bytes are UTF-8 at all (a lone 0x9b is CSI too).
sub raw_controls {
    my ($out) = @_;
    my $chars = $out;
    return 'not UTF-8' unless utf8::decode($chars);
    (my $body = $chars) =~ s/\r\n/\n/g;
    my @found = $body =~ /([\x00-\x09\x0b-\x1f\x7f-\x9f])/g;
    return join ' ', map { sprintf 'U+%04X', ord } @found;
}

sub csv_records {
    my ($out) = @_;
    my $rows = parse_csv($out);
    my @header = @{ shift @$rows };
    return [map { my $r = $_; +{ map { $header[$_] => $r->[$_] } 0 .. $#header } } @$rows];
}

sub csv_decoded {
    my ($record) = @_;
    return decoded($record, split / /, $record->{escaped} // '');
}

sub json_decoded {
    my ($record) = @_;
    my %bytes = map { my $v = $record->{$_}; utf8::encode($v) if defined $v && !ref $v; ($_ => $v) }
        keys %$record;
    return decoded(\%bytes, @{ $record->{escaped} // [] });
}

sub by {
    my ($field, @records) = @_;
    return { map { $_->{$field} => $_ } @records };
}

# --- JSON ------------------------------------------------------------------------------

my ($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--format', 'json', '--limit', 100);
is($rc, 0, 'requests --format json') or diag $err;
is(raw_controls($out), '', 'JSON: no raw control character');
my $json = by('path', @{ JSON::PP->new->utf8->decode($out) });
isnt(JSON::PP->new->canonical->encode($json->{'/ua/forged'}{escaped} // 'none'),
    JSON::PP->new->canonical->encode($json->{'/ua/real'}{escaped} // 'none'),
    'JSON: the forged escape and the real byte are told apart');
is_deeply($json->{'/ua/real'}{escaped}, ['user_agent'], 'JSON: escaped is an array of names');
for my $k (sort keys %agents) {
    is(json_decoded($json->{"/ua/$k"})->{user_agent}, $agents{$k}, "JSON: user agent $k decodes to what was sent");
}
for my $k (sort keys %users) {
    is(json_decoded($json->{"/login/$k"})->{user_name}, $users{$k}, "JSON: user $k decodes to what was sent");
}

# --- CSV, to a file, a pipe and a terminal -------------------------------------------

sub csv_on_a_pty {
    my (@args) = @_;
    my $cmd = join ' ', map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } $ctl, @args;
    my ($code, $shown) = Trace::Test::run('script', '-q', '-e', '-c', $cmd, '/dev/null');
    $shown =~ s/\r\r\n/\r\n/g;   # the terminal's own CR before each LF
    return ($code, $shown);
}

sub csv_through_a_pipe {
    my (@args) = @_;
    open my $fh, '-|', $ctl, @args or die "trace-ctl: $!";
    binmode $fh;
    local $/;
    my $piped = <$fh>;
    close $fh;
    return ($? >> 8, $piped);
}

my @csv_requests = (@db, 'requests', '--format', 'csv', '--limit', 100);
my ($pty_rc, $on_pty) = csv_on_a_pty(@csv_requests);
is($pty_rc, 0, 'requests --format csv on a terminal');
my ($pipe_rc, $piped) = csv_through_a_pipe(@csv_requests);
is($pipe_rc, 0, 'requests --format csv through a pipe');
($rc, $out) = $t->trace_ctl(@csv_requests);
is($piped, $out, 'CSV: the same through a pipe as into a file');
is($on_pty, $out, 'CSV: the same on a terminal');
for ([terminal => $on_pty], [pipe => $piped]) {
    my ($where, $text) = @$_;
    is(raw_controls($text), '', "CSV ($where): no raw ESC, BEL, DEL or C1 byte, and UTF-8 throughout");
    my $csv = by('path', @{ csv_records($text) });
    isnt($csv->{'/ua/forged'}{escaped} // '', $csv->{'/ua/real'}{escaped} // '',
        "CSV ($where): the forged escape and the real byte are told apart");
    for my $k (sort keys %agents) {
        is(csv_decoded($csv->{"/ua/$k"})->{user_agent}, $agents{$k},
            "CSV ($where): user agent $k decodes to what was sent");
    }
    for my $k (sort keys %users) {
        is(csv_decoded($csv->{"/login/$k"})->{user_name}, $users{$k},
            "CSV ($where): user $k decodes to what was sent");
    }
}
my $csv = by('path', @{ csv_records($out) });
is($csv->{'/ua/forged'}{user_agent}, '\\xff', 'CSV: a value that needs nothing is exact');
ok(!defined $csv->{'/ua/forged'}{escaped}, '... and not named');
is($csv->{'/ua/hostile'}{escaped}, 'user_agent', 'CSV: a value with controls is named escaped');
is($csv->{'/login/script'}{user_name}, '<script>alert(1)</script>', 'CSV: <script> is exact');
is($csv->{'/login/quotes'}{user_name}, q{quote"double'single,comma}, 'CSV: quotes and commas are exact');

# --- text ---------------------------------------------------------------------------------

($rc, $out) = $t->trace_ctl(@db, 'requests', '--width', 0, '--limit', 100);
is($rc, 0, 'requests as text');
is(raw_controls($out), '', 'text: no raw control character');
my %line = map { m{ (/(?:ua|login)/\w+)$} ? ($1 => $_) : () } split /\n/, $out;
my ($header) = $out =~ /^(TIME.*)$/m;
like($header, qr/^TIME\s+METHOD\s+ST\s+TOOK\s+USER\s+CLIENT\s+SESSION\s+AGENT\s+PATH$/,
    'text: the user agent has a column');
# Every cell before AGENT is ASCII in these rows: the header's offsets hold.
my ($from, $to) = (index($header, 'AGENT'), index($header, 'PATH'));
my %agent_cell = map { $_ => substr($line{"/ua/$_"}, $from, $to - $from) =~ s/\s+$//r } qw(forged real);
is($agent_cell{forged}, '\\\\xff', 'text: the four characters \xff are shown as \\\\xff');
is($agent_cell{real}, '\\xff', 'text: the byte 0xff is shown as \\xff');
like($line{'/ua/mixed'}, qr/caf\\xe9 \\\\ \xc3\xa9 \\x1b\[1m/, 'text: a stored-escaped value shows the bytes it stands for');
like($line{'/login/nul'}, qr/nul\\x00byte/, 'text: NUL in a user name');
like($line{'/login/latin1'}, qr/caf\\xe9 \\xc0\\xaf/, 'text: invalid UTF-8 in a user name');
like($line{'/login/forged'}, qr/  \\\\xff  /, 'text: the user \\xff');
like($line{'/login/real'}, qr/  \\xff  /, 'text: the user 0xff');

# --- the filter finds the user meant, not the look-alike ------------------------------

for my $k (qw(forged real latin1 backslash)) {   # (no NUL in an argument)
    ($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--format', 'json', '--user', $users{$k});
    is_deeply([map { $_->{path} } @{ JSON::PP->new->utf8->decode($out) }], ["/login/$k"],
        "--user $k: that user's request alone") or diag $err;
}

# --- audit and audit --summary ---------------------------------------------------------

my @csv_audit = (@db, 'audit', '--format', 'csv', '--limit', 100);
($pty_rc, $on_pty) = csv_on_a_pty(@csv_audit);
($pipe_rc, $piped) = csv_through_a_pipe(@csv_audit);
is($pty_rc + $pipe_rc, 0, 'audit --format csv on a terminal and through a pipe');
for ([terminal => $on_pty], [pipe => $piped]) {
    my ($where, $text) = @$_;
    is(raw_controls($text), '', "audit CSV ($where): no raw control character");
    my $audit = by('path', @{ csv_records($text) });
    for my $k (sort keys %users) {
        is(csv_decoded($audit->{"/login/$k"})->{user_name}, $users{$k},
            "audit CSV ($where): user $k decodes to what was sent");
    }
}
($rc, $out) = $t->trace_ctl(@db, 'audit', '--format', 'json', '--limit', 100);
is(raw_controls($out), '', 'audit JSON: no raw control character');
my $audit = by('path', @{ JSON::PP->new->utf8->decode($out) });
for my $k (sort keys %users) {
    is(json_decoded($audit->{"/login/$k"})->{user_name}, $users{$k}, "audit JSON: user $k decodes to what was sent");
}
($rc, $out) = $t->trace_ctl(@db, 'audit', '--width', 0, '--limit', 100);
is(raw_controls($out), '', 'audit text: no raw control character');
like($out, qr/  \\\\xff  /, 'audit text: the user \\xff');
like($out, qr/  \\xff  /, 'audit text: the user 0xff');

($rc, $out) = $t->trace_ctl(@db, 'audit', '--summary', '--format', 'csv');
is(raw_controls($out), '', 'audit --summary CSV: no raw control character');
my @summary = map { csv_decoded($_)->{user_name} } @{ csv_records($out) };
is_deeply([sort @summary], [sort values %users], 'audit --summary: one line per user, \\xff and 0xff apart');
($rc, $out) = $t->trace_ctl(@db, 'audit', '--summary', '--format', 'json');
is_deeply([sort map { json_decoded($_)->{user_name} } @{ JSON::PP->new->utf8->decode($out) }],
    [sort values %users], 'audit --summary JSON: the same users');

$t->done;
