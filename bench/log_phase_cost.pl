#!/usr/bin/perl
# What the log phase costs per request, in instructions: nginx under callgrind
# (one process, master_process off), collecting only inside the module's
# log-phase handler (--toggle-collect), PostgreSQL up so that batches go out as
# in production. Instruction counts do not depend on how busy the machine is,
# unlike times. Each case sends the same requests (10 headers, a query, a
# Referer); the report gives, per request, the whole handler and its parts:
# the shim's, with the variables nginx evaluates for it (trace_field's,
# $remote_user, the upstream columns); the row added in the core
# (trace_exporter_add_request), of which its encoding
# (RowEncoder::append_request), of which trace_field's JSON
# (append_copy_fields).
#
# Usage: bench/log_phase_cost.pl [BUILD_DIR]     (needs valgrind)
#   COST_REQUESTS   requests per case (2000)
#   COST_CASES      which cases, comma-separated (all): base (trace on, no
#                   trace_field), fields2, fields8 (2 or 8 trace_field of header
#                   variables), fields8cv (the same 8 as complex values,
#                   "${name}"), proxy (proxied: the upstream columns),
#                   proxy_logged (the access log also logs $upstream_*)
#   TRACE_KEEP=1    keep the callgrind files (in the test directory)

use strict;
use warnings;

use Cwd qw(abs_path);
use FindBin;
BEGIN { $ENV{TRACE_BUILD} //= abs_path($ARGV[0] // "$FindBin::Bin/../build") }
use lib "$FindBin::Bin/../t/lib";

use POSIX ();
use Time::HiRes qw(sleep);
use Trace::Test;
use Trace::Test::Ports qw(wait_port);

my $requests = $ENV{COST_REQUESTS} // 2000;
my %fields = (
    0 => '',
    2 => "trace_field xff \$http_x_forwarded_for;\n        trace_field country \$http_x_country;\n",
    8 => join('', map { "trace_field f$_ \$http_x_f$_;\n        " } 1 .. 6)
        . "trace_field xff \$http_x_forwarded_for;\n        trace_field country \$http_x_country;\n",
);
# The same 8 as complex values ("${name}"), for what reading a value that is
# one variable through its index saves.
$fields{'8cv'} = $fields{8} =~ s/\$(\w+);/"\${$1}";/gr;
my %cases = (
    base         => { fields => 0, path => '/' },
    fields2      => { fields => 2, path => '/' },
    fields8      => { fields => 8, path => '/' },
    fields8cv    => { fields => '8cv', path => '/' },
    proxy        => { fields => 0, path => '/app/' },
    proxy_logged => { fields => 0, path => '/app/', log => 1 },
);
my @order = $ENV{COST_CASES} ? split(/,/, $ENV{COST_CASES})
                             : qw(base fields2 fields8 fields8cv proxy proxy_logged);

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

my $headers = join '', "X-Forwarded-For: 192.0.2.10, 10.1.2.3\r\n", "X-Country: DE\r\n",
    map { "X-F$_: value-$_\r\n" } 1 .. 6;
my $raw_path;

sub run_case {
    my ($name) = @_;
    my $c = $cases{$name} or die "no case $name\n";
    my $log = $c->{log}
        ? "log_format up '\$upstream_addr \$upstream_status \$upstream_response_time';\n"
          . "    access_log %%PREFIX%%/logs/up.log up;"
        : 'access_log off;';
    $t->write_nginx_conf(<<EOF);
master_process off;
daemon off;
http {
    trace_db "%%TRACE_DB%%";
    trace_flush_interval 100ms;
    $log
    upstream app { server 127.0.0.1:%%PORT_APP%%; keepalive 4; }
    server {
        listen 127.0.0.1:%%PORT_APP%%;
        location / { return 200 "app\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT%%;
        trace on;
        trace_only_authenticated off;
        $fields{$c->{fields}}
        location / { return 200 "ok\\n"; }
        location /app/ {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    my $out = $t->base . "/callgrind.$name";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', $t->base . "/valgrind.$name.log" or die;
        open STDERR, '>&', \*STDOUT or die;
        exec 'valgrind', '--tool=callgrind', "--callgrind-out-file=$out",
            '--toggle-collect=ngx_http_trace_log_handler', '/usr/sbin/nginx', '-p',
            $t->nginx_prefix, '-c', $t->nginx_prefix . '/nginx.conf'
            or POSIX::_exit(127);
    }
    wait_port($t->port, 60) or die "nginx under valgrind does not listen\n";
    # the app server answers from the same process: one warm-up request
    my $before = $pg->value('SELECT count(*) FROM trace.requests');
    Trace::Test::http_request($t->port, "GET $c->{path}warm HTTP/1.0\r\nHost: localhost\r\n$headers\r\n");
    for my $i (1 .. $requests) {
        my $r = Trace::Test::http_request($t->port,
            "GET $c->{path}$i?q=$i HTTP/1.0\r\nHost: localhost\r\nUser-Agent: cost/1.0\r\n"
            . "Referer: https://example.org/from/$i\r\n$headers\r\n");
        die "request $i: status $r->{status}\n" unless $r->{status} == 200;
    }
    $t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') >= $before + $requests + 1 }, 60)
        or die "rows did not arrive\n";
    kill 'QUIT', $pid;
    waitpid $pid, 0;
    return $out;
}

# Inclusive instructions of some functions, from callgrind_annotate.
sub inclusive {
    my ($file) = @_;
    my $text = `callgrind_annotate --inclusive=yes --threshold=100 $file 2>/dev/null`;
    my ($total) = $text =~ /^\s*([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/m;
    my %fn;
    for my $line (split /\n/, $text) {
        next unless $line =~ /^\s*([\d,]+) \([\d.]+%\)\s+\S*?:(\S+)/;
        my ($ir, $name) = ($1, $2);
        $ir =~ tr/,//d;
        $fn{$name} //= $ir;
    }
    $total =~ tr/,//d if defined $total;
    return ($total, \%fn);
}

sub find_fn {
    my ($fn, $re) = @_;
    my ($k) = grep { /$re/ } sort keys %$fn;
    return defined $k ? $fn->{$k} : 0;
}

printf "%-13s %10s %10s %10s %10s %10s\n", 'case', 'handler', 'shim', 'add row', 'encode', 'fields';
printf "%-13s %10s %10s %10s %10s %10s\n", '', 'Ir/req', '+ nginx', '(core)', 'row', 'JSON';
for my $name (@order) {
    my $file = run_case($name);
    my ($total, $fn) = inclusive($file);
    my $n = $requests + 1;
    my $add = find_fn($fn, qr/^trace_exporter_add_request$/);
    printf "%-13s %10.0f %10.0f %10.0f %10.0f %10.0f\n", $name,
        ($total // 0) / $n,
        (($total // 0) - $add) / $n,
        $add / $n,
        find_fn($fn, qr/RowEncoder::append_request/) / $n,
        find_fn($fn, qr/append_copy_fields/) / $n;
}

$t->stop_all;
