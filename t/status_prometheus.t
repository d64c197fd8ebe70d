# trace_status in the Prometheus text format (0.0.4), for a scraper that asks
# for it in its Accept header: promtool accepts what it answers; each sample
# is the JSON's counter of the same worker; the sent rows of all the pids add
# up to what PostgreSQL holds; labels are escaped (a trace_host with a quote,
# a backslash, UTF-8 and a byte that is not UTF-8; libpq's error text);
# workers that exit take their series with them. Anything else gets JSON.

use strict;
use warnings;
use lib 't/lib';
use JSON::PP ();
use POSIX ();
use Test::More;
use Trace::Test qw(http_request);

# Debian's prometheus, of make deps's packages: missing is a failure, not a skip.
my $promtool = '/usr/bin/promtool';
-x $promtool or BAIL_OUT("$promtool is missing: make deps installs Debian's prometheus");

my $t = Trace::Test->new;
my $pg = $t->postgres_migrated;

# What Prometheus 2 sends by default.
my $PROMETHEUS = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;'
    . 'version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
my $CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

# Each metric of a worker and its JSON field.
my %json_field = (
    nginx_trace_worker_start_time_seconds => 'started',
    nginx_trace_connected                 => 'connected',
    nginx_trace_queued_rows               => 'queued_rows',
    nginx_trace_queued_bytes              => 'queued_bytes',
    nginx_trace_sent_rows_total           => 'sent_rows',
    nginx_trace_sent_batches_total        => 'sent_batches',
    nginx_trace_duplicate_batches_total   => 'duplicate_batches',
    nginx_trace_spooled_rows_total        => 'spooled_rows',
    nginx_trace_replayed_rows_total       => 'replayed_rows',
    nginx_trace_rejected_rows_total       => 'rejected_rows',
    nginx_trace_dropped_rows_total        => 'dropped_rows',
    nginx_trace_spool_bytes               => 'spool_bytes',
    nginx_trace_last_error_time_seconds   => 'last_error_time',
);
my %families = (
    (map { $_ => /_total$/ ? 'counter' : 'gauge' } keys %json_field),
    nginx_trace_info            => 'gauge',
    nginx_trace_workers         => 'gauge',
    nginx_trace_last_error_info => 'gauge',
);

# A quote, a backslash and an é, in nginx's quoting.
my $host = "web\"1\\a\xc3\xa9";
sub conf {
    my ($trace_host) = @_;
    return $t->recording_nginx_conf(
        trace_db => '%%TRACE_DB%% connect_timeout=2',
        trace_host => $trace_host,
        # memory only: rows held during the outage below show in the queued
        # gauges, not in the spool's
        trace_spool => 'off',
        trace_flush_interval => '100ms',
        status => '/trace_status');
}
$t->nginx(conf("\"web\\\"1\\\\a\xc3\xa9\""), workers => 2);

# --- the text, and what it says -----------------------------------------------------

# The exposition text back: HELP and TYPE per family, and per family its
# samples as [labels, value]; any line that is neither is in {bad}.
sub parse {
    my ($text) = @_;
    my %p = (help => {}, type => {}, samples => {}, bad => []);
    for my $line (split /\n/, $text) {
        if ($line =~ /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/) {
            push @{ $p{bad} }, "second HELP: $line" if exists $p{help}{$1};
            $p{help}{$1} = $2;
        } elsif ($line =~ /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$/) {
            push @{ $p{bad} }, "second TYPE: $line" if exists $p{type}{$1};
            $p{type}{$1} = $2;
        } elsif ($line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\d+)$/) {
            my ($name, $labels, $value) = ($1, $2 // '', $3);
            my %l;
            while ($labels =~ /\G([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(?:,|$)/gc) {
                my ($k, $v) = ($1, $2);
                $v =~ s/\\([\\"n])/$1 eq 'n' ? "\n" : $1/ge;
                $l{$k} = $v;
            }
            push @{ $p{bad} }, "labels: $line" unless (pos($labels) // 0) == length $labels;
            push @{ $p{bad} }, "sample before its TYPE: $line" unless $p{type}{$name};
            push @{ $p{samples}{$name} }, [\%l, $value];
        } else {
            push @{ $p{bad} }, $line;
        }
    }
    return \%p;
}

# The samples of a per-worker family by pid.
sub by_pid {
    my ($p, $name) = @_;
    return { map { ($_->[0]{pid} // 'none') => $_->[1] } @{ $p->{samples}{$name} // [] } };
}

sub scrape {
    my ($accept) = @_;
    return $t->get('/trace_status', Accept => $accept // $PROMETHEUS);
}

sub promtool_ok {
    my ($text, $what) = @_;
    my ($rc, $out, $err) = Trace::Test::run({ stdin => $text }, $promtool, 'check', 'metrics');
    is($rc, 0, "promtool check metrics: $what") or diag("$out$err\n$text");
    is("$out$err", '', '... and it says nothing') or diag("$out$err");
}

sub json_workers {
    my $r = $t->get('/trace_status');
    my $j = JSON::PP->new->decode($r->{body});
    return ($j, { map { $_->{pid} => $_ } @{ $j->{workers} } });
}

# Every metric of every worker is its JSON counter: read at rest, after the
# rows arrived, when nothing changes between the two answers.
sub agrees_with_json {
    my ($p, $json) = @_;
    my @diff;
    for my $name (sort keys %json_field) {
        my $samples = by_pid($p, $name);
        push @diff, "$name: pids " . join(',', sort keys %$samples) . ' vs ' .
            join(',', sort keys %$json) unless join(',', sort keys %$samples) eq join(',', sort keys %$json);
        for my $pid (sort keys %$json) {
            my $want = $json->{$pid}{ $json_field{$name} };
            $want = $want ? 1 : 0 if JSON::PP::is_bool($want);
            push @diff, "$name\{pid=$pid\}: " . ($samples->{$pid} // 'none') . " vs JSON $want"
                unless defined $samples->{$pid} && $samples->{$pid} == $want;
        }
    }
    return @diff;
}

sub sum_of {
    my ($p, $name) = @_;
    my $sum = 0;
    $sum += $_ for values %{ by_pid($p, $name) };
    return $sum;
}

# --- requests recorded, then scraped -----------------------------------------------

is($t->load(200, concurrency => 4, path => sub { "/p?id=$_[0]" }), 200, 'requests answered');
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') == 200
        && $t->status_sum('/trace_status', 'sent_rows') == 200 }, 10),
    'rows arrived, and the workers counted them');

my $r = scrape();
is($r->{status}, 200, 'a scrape with Prometheus\'s Accept: 200');
is($r->{headers}{'content-type'}, $CONTENT_TYPE, '... text/plain; version=0.0.4; charset=utf-8');
is($r->{headers}{vary}, 'Accept', '... Vary: Accept');
is($r->{headers}{'content-length'}, length $r->{body}, '... its length');
like($r->{body}, qr/\n\z/, '... the last line ends too');
promtool_ok($r->{body}, 'after the first requests');

my $p = parse($r->{body});
is_deeply($p->{bad}, [], 'every line is HELP, TYPE or a sample');
for my $name (sort keys %families) {
    is($p->{type}{$name}, $families{$name}, "TYPE $name $families{$name}");
    like($p->{help}{$name} // '', qr/\S/, "... and its HELP");
}
is_deeply([sort grep { !$families{$_} } keys %{ $p->{type} }], [], 'no family beside those');

my @pids = sort { $a <=> $b } $t->worker_pids;
is(scalar @pids, 2, 'two workers');
is_deeply([sort { $a <=> $b } keys %{ by_pid($p, 'nginx_trace_sent_rows_total') }], \@pids,
    '... and one scrape shows both, by pid');
is_deeply($p->{samples}{nginx_trace_workers}, [[{}, 2]], 'nginx_trace_workers 2');
is($p->{samples}{nginx_trace_info}[0][0]{host}, $host,
    'nginx_trace_info: the host label, quote, backslash and é, read back');
like($r->{body}, qr/^nginx_trace_info\{version="[^"]+",host="web\\"1\\\\a\xc3\xa9"\} 1$/m,
    '... escaped as the format says');
my ($json, $workers) = json_workers();
is($p->{samples}{nginx_trace_info}[0][0]{version}, $json->{version}, '... the version, the JSON\'s');
is_deeply([agrees_with_json($p, $workers)], [], 'each sample is the JSON\'s counter for that worker');
is(sum_of($p, 'nginx_trace_sent_rows_total'), $pg->value('SELECT count(*) FROM trace.requests'),
    'the sent rows of all pids add up to the rows in PostgreSQL');
# (a worker that has had nothing to send has not connected yet)
my ($sent, $conn) = (by_pid($p, 'nginx_trace_sent_rows_total'), by_pid($p, 'nginx_trace_connected'));
is_deeply([grep { $sent->{$_} > 0 && $conn->{$_} != 1 } @pids], [], 'each worker that sent rows is connected');
is(sum_of($p, 'nginx_trace_queued_rows'), 0, 'nothing queued');
is_deeply($p->{samples}{nginx_trace_last_error_info}, undef, 'no error: no nginx_trace_last_error_info sample');

# --- more requests: the values move -----------------------------------------------

is($t->load(100, concurrency => 4, path => sub { "/q?id=$_[0]" }), 100, 'more requests answered');
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') == 300
        && $t->status_sum('/trace_status', 'sent_rows') == 300 }, 10), '... and recorded');
$r = scrape();
promtool_ok($r->{body}, 'after more requests');
my $q = parse($r->{body});
($json, $workers) = json_workers();
is_deeply([agrees_with_json($q, $workers)], [], 'each sample is still the JSON\'s');
is(sum_of($q, 'nginx_trace_sent_rows_total'), 300, 'the sent rows add up to 300 now');
cmp_ok(sum_of($q, 'nginx_trace_sent_batches_total'), '>', sum_of($p, 'nginx_trace_sent_batches_total'),
    '... and there are more batches');
my ($before, $after) = (by_pid($p, 'nginx_trace_sent_rows_total'), by_pid($q, 'nginx_trace_sent_rows_total'));
is_deeply([grep { $after->{$_} < $before->{$_} } @pids], [], '... no worker\'s counter went down');

# --- the real Prometheus, with nothing but the location to scrape -----------------

my $prom_port = $t->port('prometheus');
Trace::Test::spew($t->base . '/prometheus.yml', <<"EOF");
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: nginx-trace
    metrics_path: /trace_status
    static_configs:
      - targets: ['127.0.0.1:${\ $t->port}']
EOF
my $prometheus = fork // die "fork: $!";
if ($prometheus == 0) {
    open STDOUT, '>', $t->base . '/prometheus.log' or die;
    open STDERR, '>&', \*STDOUT or die;
    exec '/usr/bin/prometheus', '--config.file=' . $t->base . '/prometheus.yml',
        '--storage.tsdb.path=' . $t->base . '/prometheus-data',
        "--web.listen-address=127.0.0.1:$prom_port" or POSIX::_exit(127);
}
END { if ($prometheus) { kill 'TERM', $prometheus; waitpid $prometheus, 0 } }
sub query {
    my ($expr) = @_;
    (my $q = $expr) =~ s/([^A-Za-z0-9_])/sprintf '%%%02X', ord $1/ge;
    my $r = http_request($prom_port, "GET /api/v1/query?query=$q HTTP/1.0\r\nHost: localhost\r\n\r\n",
        timeout => 5);
    my $j = eval { JSON::PP->new->decode($r->{body}) } or return undef;
    return $j->{data}{result};
}
my $scraped = $t->wait_for(sub {
    my $res = query('sum(nginx_trace_sent_rows_total)') or return undef;
    return @$res && $res->[0]{value}[1] == 300 ? $res : undef;
}, 30);
ok($scraped, 'Prometheus scrapes the location as it is: the sent rows add up to 300')
    or diag(Trace::Test::slurp($t->base . '/prometheus.log'));
my $series = query('count(nginx_trace_queued_rows) by (pid)') // [];
is_deeply([sort { $a <=> $b } map { $_->{metric}{pid} } @$series], \@pids, '... with a series per worker');
my $up = query('up{job="nginx-trace"}') // [];
is($up->[0]{value}[1], 1, '... and the target up');
kill 'TERM', $prometheus;
waitpid $prometheus, 0;
$prometheus = 0;

# --- negotiation --------------------------------------------------------------------

my %answers = (
    '' => 'json',
    '*/*' => 'json',
    'application/json' => 'json',
    'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' => 'json',
    'text/plain' => 'json',
    'text/plain;version=0.0.4' => 'prometheus',
    'text/plain; version="0.0.4"' => 'prometheus',
    'TEXT/PLAIN ; Version=0.0.4 ; q=1.0' => 'prometheus',
    'application/openmetrics-text; version=1.0.0; charset=utf-8' => 'prometheus',
    'text/plain;version=0.0.4;q=0' => 'json',
    'application/json, text/plain;version=0.0.4;q=0.5' => 'json',
    'application/json;q=0.4, text/plain;version=0.0.4;q=0.5' => 'prometheus',
    # Prometheus 3
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8,application/openmetrics-text;'
        . 'version=0.0.1;q=0.75,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.5,'
        . 'text/plain;version=0.0.4;q=0.25,*/*;q=0.1' => 'prometheus',
    # Telegraf, which prefers the protocol-buffer format it is not given
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;'
        . 'q=0.7,text/plain;version=0.0.4;q=0.3' => 'prometheus',
    'text/plain;version=0.0.4;q=0.5,*/*;q=0.1' => 'prometheus',
    'text/plain;version=0.0.4;q=nonsense' => 'json',
    ',;,=;"' => 'json',
);
for my $accept (sort keys %answers) {
    my $a = $accept eq '' ? $t->get('/trace_status') : scrape($accept);
    my $want = $answers{$accept} eq 'json' ? 'application/json' : $CONTENT_TYPE;
    is("$a->{status} $a->{headers}{'content-type'}", "200 $want",
        "Accept: '$accept': $answers{$accept}");
}
my $port = $t->port;
$r = http_request($port, "GET /trace_status HTTP/1.0\r\nHost: localhost\r\nAccept: application/json;q=0.2\r\n"
    . "Accept: text/plain;version=0.0.4;q=0.5\r\n\r\n");
is($r->{headers}{'content-type'}, $CONTENT_TYPE, 'two Accept lines are read together');
$r = $t->get('/trace_status', -method => 'HEAD', Accept => $PROMETHEUS);
is("$r->{status} $r->{headers}{'content-type'} " . length($r->{body}), "200 $CONTENT_TYPE 0",
    'HEAD: the Prometheus headers, no body');
$r = $t->get('/trace_status', -method => 'POST', -body => 'x', Accept => $PROMETHEUS);
is($r->{status}, 405, 'POST: 405, as for JSON');

# --- PostgreSQL away: queued rows, an error with quotes in its label ---------------

$pg->stop;
is($t->load(20, concurrency => 2, path => sub { "/down?id=$_[0]" }), 20, 'requests answered while PostgreSQL is down');
my ($down, $down_text);
ok($t->wait_for(sub {
    $down_text = scrape()->{body};
    $down = parse($down_text);
    # the first error may be the lost connection; libpq's own quotes come
    # with the attempts to connect again
    return sum_of($down, 'nginx_trace_queued_rows') == 20
        && grep { $_->[0]{error} =~ /"/ } @{ $down->{samples}{nginx_trace_last_error_info} // [] };
}, 30), 'the rows wait in memory, and a worker has an error with quotes') or diag($down_text);
promtool_ok($down_text, 'with errors');
is_deeply($down->{bad}, [], '... every line is HELP, TYPE or a sample');
cmp_ok(sum_of($down, 'nginx_trace_queued_bytes'), '>', 0, '... queued bytes too');
my $errors = { map { $_->[0]{pid} => $_->[0]{error} } @{ $down->{samples}{nginx_trace_last_error_info} } };
my $queued = by_pid($down, 'nginx_trace_queued_rows');
my $connected = by_pid($down, 'nginx_trace_connected');
my @waiting = grep { $queued->{$_} > 0 } @pids;
ok(@waiting >= 1, 'a worker holds rows');
is_deeply([grep { $connected->{$_} != 0 || ($errors->{$_} // '') !~ /\S/ } @waiting], [],
    '... each such worker is not connected, and its error text is in the label');
like($down_text, qr/^nginx_trace_last_error_info\{pid="\d+",error="(?:[^"\\\n]|\\[\\"n])*\\"/m,
    '... libpq\'s quotes escaped') or diag($down_text);
# The JSON of the same moment: errors repeat while PostgreSQL stays away, so
# wait for a pair of answers between which nothing changed.
my $same = $t->wait_for(sub {
    my (undef, $w1) = json_workers();
    my $text = scrape()->{body};
    my (undef, $w2) = json_workers();
    my $e = { map { $_->[0]{pid} => $_->[0]{error} } @{ parse($text)->{samples}{nginx_trace_last_error_info} } };
    my @pids = sort keys %$w1;
    return 0 unless join("\0", map { $w1->{$_}{last_error} } @pids) eq join("\0", map { $w2->{$_}{last_error} } @pids);
    return [grep { ($e->{$_} // '') ne $w1->{$_}{last_error} } @pids];
}, 15);
is_deeply($same, [], '... and it is the JSON\'s last_error, read back');

$pg->start;
ok($t->wait_for(sub { $pg->value('SELECT count(*) FROM trace.requests') == 320 }, 30),
    'PostgreSQL back: the waiting rows arrive');
ok($t->wait_for(sub {
    my $p = parse(scrape()->{body});
    sum_of($p, 'nginx_trace_sent_rows_total') == 320 && sum_of($p, 'nginx_trace_queued_rows') == 0;
}, 10), '... and the sent rows of all pids add up to 320');

# --- a reload: the old workers' series go, the new ones start at 0 ------------------

# A trace_host with a byte that is not UTF-8 (nothing is recorded any more).
$t->write_nginx_conf(conf("web-\xff"), workers => 2);
$t->reload_nginx;
my @new = sort { $a <=> $b } $t->worker_pids;
my %old = map { $_ => 1 } @pids;
is(scalar(grep { $old{$_} } @new), 0, 'reloaded: new workers');
my ($reloaded, $reloaded_text);
ok($t->wait_for(sub {
    $reloaded_text = scrape()->{body};
    $reloaded = parse($reloaded_text);
    return join(',', sort { $a <=> $b } keys %{ by_pid($reloaded, 'nginx_trace_sent_rows_total') })
        eq join(',', @new);
}, 10), 'the old workers\' pids are gone from the scrape, the new ones are there')
    or diag($reloaded_text);
promtool_ok($reloaded_text, 'after the reload');
is(sum_of($reloaded, 'nginx_trace_sent_rows_total'), 0, '... their counters start again at 0');
is_deeply($reloaded->{samples}{nginx_trace_last_error_info}, undef, '... and no error yet');
is($reloaded->{type}{nginx_trace_last_error_info}, 'gauge', '... its family still announced');
is($reloaded->{samples}{nginx_trace_info}[0][0]{host}, "web-\xef\xbf\xbd",
    'a byte of trace_host that is not UTF-8 is U+FFFD in the label');
($json, $workers) = json_workers();
is_deeply([agrees_with_json($reloaded, $workers)], [], 'each sample is still the JSON\'s');

$t->done;
