# trace-ctl check-resources beyond the thresholds: swap as a resource of its
# own, the trend warning (a filesystem that will be full within predict_hours
# at its current rate), and --textfile for node_exporter's textfile collector.
#
# The trend is real: a tmpfs of 64 MiB that the test fills 2 MiB at a time,
# measured by statvfs as any filesystem. Only the clock is not waited for:
# trace-ctl runs under faketime (libfaketime, LD_PRELOAD), its wall clock
# frozen at a time the test chooses, 20 minutes later for each run as if cron
# had run it. The state file is left as trace-ctl wrote it, so the rates and
# times to full are exact however long the writes and runs take on a loaded
# machine; moving the state file's times back instead would add the real
# seconds between runs to every interval. A clock that trace-ctl read from
# its environment would be an interface of the product for the tests' sake;
# faketime needs none. The monotonic clock stays real (--exclude-monotonic):
# the state lock's wait and the SMTP timeouts measure real time. (The quiet
# periods of t/check_resources.t are aged in the state file instead: a day
# against runs seconds apart, which real time cannot tip.) Mail goes to a
# real SMTP sink; the textfile is checked with promtool (Debian's prometheus
# package) and read back.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP ();
use Time::HiRes qw(time);
use Time::Local ();
use Trace::Test;

my $t = Trace::Test->new;
my $dir = $t->base;
my $smtp = $t->smtp;
my $host = 'web-1.example.org';
my $MiB = 1 << 20;

# --- helpers ---------------------------------------------------------------------------

sub toml_value {
    my ($v) = @_;
    return '[' . join(', ', map { toml_value($_) } @$v) . ']' if ref $v eq 'ARRAY';
    return $v if $v =~ /^-?\d+(\.\d+)?$/;
    (my $s = $v) =~ s/(["\\])/\\$1/g;
    return qq{"$s"};
}

# A configuration whose state file is $name/state.json, every threshold 100%
# unless overridden, mail to the plain sink. Returns its path.
my $configs = 0;
sub config {
    my ($name, %k) = @_;
    my %c = (warning_emails => ['ops@example.org'], memory_threshold => 100,
        disk_threshold => 100, swap_threshold => 100, disk_paths => [$dir], host => $host,
        state_file => "$dir/$name/state.json", %k);
    my $text = join '', map { "$_ = " . toml_value($c{$_}) . "\n" } grep { defined $c{$_} } sort keys %c;
    $text .= "[smtp]\nhost = \"127.0.0.1\"\nport = ${\ $smtp->port}\ntls = \"none\"\ntimeout_seconds = 5\n";
    my $file = "$dir/$name." . ++$configs . '.toml';
    Trace::Test::spew($file, $text);
    return $file;
}

sub check {
    my ($conf, @args) = @_;
    return $t->trace_ctl('--config', $conf, 'check-resources', @args);
}

my $seen = 0;
sub new_mail {
    my @all = $smtp->messages;
    my @new = @all[$seen .. $#all];
    $seen = @all;
    return @new;
}

# (subject, body, from, date) of a raw message.
sub subject_body {
    my ($raw) = @_;
    my ($head, $body) = split /\r?\n\r?\n/, $raw // '', 2;
    $head =~ s/\r?\n[ \t]+/ /g;
    my ($subject) = $head =~ /^Subject:\s*(.*)$/mi;
    my ($from) = $head =~ /^From:\s*(.*)$/mi;
    my ($date) = $head =~ /^Date:\s*(.*)$/mi;
    $body =~ s/\r\n/\n/g if defined $body;
    return ($subject // '', $body // '', $from // '', $date // '');
}

sub state_of {
    my ($name) = @_;
    my $text = Trace::Test::slurp("$dir/$name/state.json");
    return $text eq '' ? undef : JSON::PP::decode_json($text);
}

# The wall clock of check_at, in seconds since the epoch (2027-01-15 08:00:00
# UTC): trace-ctl's every run under it reads exactly this time.
my $clock = 1_800_000_000;

sub check_at {
    my ($conf, @args) = @_;
    return Trace::Test::run({ env => { FAKETIME_FMT => '%s' } }, 'faketime', '--exclude-monotonic',
        '-f', $clock, Trace::Test::build() . '/trace-ctl', '--config', $conf, 'check-resources', @args);
}

# A Date: header in seconds since the epoch.
my %month = (Jan => 0, Feb => 1, Mar => 2, Apr => 3, May => 4, Jun => 5, Jul => 6, Aug => 7,
    Sep => 8, Oct => 9, Nov => 10, Dec => 11);
sub epoch_of_date {
    my ($date) = @_;
    my ($d, $mon, $y, $h, $mi, $s, $sign, $zh, $zm) =
        ($date // '') =~ /^\w{3}, (\d\d) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/ or return;
    my $offset = ($sign eq '-' ? -1 : 1) * ($zh * 3600 + $zm * 60);
    return Time::Local::timegm($s, $mi, $h, $d, $month{$mon}, $y) - $offset;
}

# The exposition format, read back: { "name{labels}" => value }.
sub metrics_of {
    my ($text) = @_;
    my %m;
    for (split /\n/, $text) {
        next if /^#/;
        /^(\S+) (\S+)$/ or return;
        $m{$1} = $2;
    }
    return \%m;
}

sub promtool_check {
    my ($file) = @_;
    return Trace::Test::run({ stdin => Trace::Test::slurp($file) }, 'promtool', 'check', 'metrics');
}

# The percentages of a status line: { label => value }.
sub percents_of {
    my ($line) = @_;
    my ($perf) = $line =~ / \| (.*)$/ or return {};
    my %p;
    while ($perf =~ /'((?:[^']|'')*)'=([\d.]+)%;([\d.]+);/g) {
        (my $label = $1) =~ s/''/'/g;
        $p{$label} = [$2, $3];
    }
    return \%p;
}

# --- the options -------------------------------------------------------------------------
my ($rc, $out, $err) = $t->trace_ctl('check-resources', '--help');
for my $opt (qw(--swap-threshold --predict-hours --textfile)) {
    like($out, qr/\Q$opt\E/, "--help names $opt");
}
like($out, qr/1 WARNING, nothing is over its\s+threshold but a filesystem will be full within\s+predict_hours/,
    '--help says what WARNING means');
($rc, $out, $err) = check(config('badopt'), '--no-mail', '--predict-hours', -1);
is($rc, 3, '--predict-hours -1: exit 3 (UNKNOWN)');
like($out, qr/^RESOURCES UNKNOWN - bad command line/, '... said on stdout');
Trace::Test::spew("$dir/badhours.toml", "predict_hours = 100000\n");
($rc, $out, $err) = check("$dir/badhours.toml", '--no-mail');
is($rc, 3, 'predict_hours beyond a year in the file: exit 3');
like($out, qr/badhours\.toml:1: 'predict_hours' must be between 0 and 8760/, '... naming the key');

# --- swap: a resource of its own, only where there is swap ---------------------------------
my %meminfo = map { /^(\w+):\s+(\d+)/ ? ($1 => $2) : () } split /\n/, Trace::Test::slurp('/proc/meminfo');
($rc, $out, $err) = check(config('swap', swap_threshold => 70), '--no-mail');
is($rc, 0, 'everything under its threshold: OK') or diag($out, $err);
if (($meminfo{SwapTotal} // 0) == 0) {
    unlike($out, qr/swap/, 'no swap on this machine (SwapTotal 0): none in the status line');
    ($rc, $out, $err) = check(config('swap', swap_threshold => 0), '--no-mail');
    is($rc, 0, '... and a swap threshold of 0 cannot fire') or diag($out);
    pass('(swap used is only measured on a machine with swap)');
} else {
    my $used = 100 * ($meminfo{SwapTotal} - $meminfo{SwapFree}) / $meminfo{SwapTotal};
    like($out, qr/^RESOURCES OK - memory \d+\.\d%, swap \d+\.\d%, /, 'swap follows memory in the status line');
    my $p = percents_of($out)->{swap};
    cmp_ok(abs(($p->[0] // -100) - $used), '<', 2, "swap used is 1 - SwapFree/SwapTotal (~$used%)");
    is($p->[1], 70, '... against swap_threshold');
}

# --- --textfile: what node_exporter reads ---------------------------------------------
my $collector = "$dir/collector";
mkdir $collector;
my $prom = "$collector/nginx_trace_resources.prom";
my $before = int time;
($rc, $out, $err) = check(config('textfile', disk_threshold => 90), '--no-mail', '--textfile', $collector);
my $after = int(time) + 1;
is($rc, 0, '--textfile: exit 0') or diag($out, $err);
ok(-f $prom, "... writes $prom");
is((stat $prom)[2] & 07777, 0644, '... readable by node_exporter (0644)');
is_deeply([grep { $_ ne 'nginx_trace_resources.prom' } map { s{.*/}{}r } glob("$collector/* $collector/.*[!.]*")], [],
    '... and leaves no temporary file behind');
my ($prc, $pout, $perr) = promtool_check($prom);
is($prc, 0, 'promtool check metrics accepts it') or diag($pout, $perr, Trace::Test::slurp($prom));
is("$pout$perr", '', '... without a lint warning');
my $text = Trace::Test::slurp($prom);
like($text, qr/^# HELP nginx_trace_resource_used_ratio .+\n# TYPE nginx_trace_resource_used_ratio gauge\n/m,
    'HELP and TYPE lines');
my $m = metrics_of($text);
ok($m, 'every sample line is "name{labels} value"') or diag($text);
my $percent = percents_of($out);
my $path_label = $dir =~ s/(["\\])/\\$1/gr;
my %want = (
    qq{{resource="memory"}} => $percent->{memory},
    qq{{resource="disk",path="$path_label"}} => $percent->{$dir},
    qq{{resource="inodes",path="$path_label"}} => $percent->{"$dir inodes"},
);
$want{qq{{resource="swap"}}} = $percent->{swap} if $percent->{swap};
for my $labels (sort keys %want) {
    my ($value, $threshold) = @{ $want{$labels} // [] };
    ok(defined $value, "the status line has $labels") or next;
    is(sprintf('%.1f', 100 * ($m->{"nginx_trace_resource_used_ratio$labels"} // -1)), $value,
        "used_ratio$labels matches the status line ($value%)");
    is(100 * ($m->{"nginx_trace_resource_threshold_ratio$labels"} // -1), $threshold,
        "threshold_ratio$labels is the threshold ($threshold%)");
    is($m->{"nginx_trace_resource_over_threshold$labels"}, 0, "over_threshold$labels is 0");
    is($m->{"nginx_trace_resource_measured$labels"}, 1, "measured$labels is 1");
}
is(scalar(grep { /^nginx_trace_resource_used_ratio\{/ } keys %$m), scalar(keys %want),
    'one used_ratio per resource of the status line');
my $checked = $m->{nginx_trace_resources_check_timestamp_seconds} // 0;
ok($checked >= $before && $checked <= $after, 'the time of the check, in seconds since the epoch');
ok(!-e "$dir/textfile/state.json" && !-e "$dir/textfile-state", '--no-mail: no state, so no forecast');
unlike($text, qr/time_to_full|predicted_full/, '... and no forecast metrics');

# Replaced, not rewritten: a reader holding the old file keeps it whole.
my $inode = (stat $prom)[1];
open my $held, '<', $prom or die;
($rc, $out, $err) = check(config('textfile', memory_threshold => 0), '--no-mail', '--textfile', "$collector/");
isnt((stat $prom)[1], $inode, 'the next run renames a new file into place');
is(do { local $/; <$held> }, $text, '... and a reader of the old one still reads it whole');
close $held;
like(Trace::Test::slurp($prom), qr/^nginx_trace_resource_over_threshold\{resource="memory"\} 1$/m,
    'a resource over its threshold: over_threshold 1');

($rc, $out, $err) = check(config('textfile'), '--no-mail', '--textfile', "$dir/no/such/dir");
is($rc, 3, 'a textfile directory that does not exist: exit 3 (UNKNOWN)');
like($out, qr/^RESOURCES UNKNOWN - memory .*; textfile not written \|/, '... said in the status line');
like($err, qr{^trace-ctl check-resources: cannot write \Q$dir\E/no/such/dir/nginx_trace_resources\.prom: No such file or directory$}m,
    '... and why, on stderr');
($rc, $out, $err) = check(config('textfile'), '--dry-run', '--textfile', "$dir/dry-textfile");
like($out, qr{^dry run: would write \Q$dir\E/dry-textfile/nginx_trace_resources\.prom$}m,
    '--dry-run says where it would write');
ok(!-e "$dir/dry-textfile", '... and writes nothing');

# --- the state file of the version before the trend ----------------------------------------
my $now = time;
Trace::Test::spew("$dir/v1/state.json", JSON::PP::encode_json({ version => 1, alerts => {
    memory => { since => int($now) - 7200, alerted_at => int($now) - 60, percent => 90,
        threshold => 0, open => JSON::PP::true } } }), 0600);
($rc, $out, $err) = check(config('v1', memory_threshold => 0));
is($rc, 2, 'a version 1 state file: read (memory is over)') or diag($out, $err);
is($err, '', '... without complaint');
is(scalar(new_mail()), 0, '... and its quiet period holds: no mail');
my $v1 = state_of('v1');
is($v1->{version}, 2, 'it is written back as version 2');
is($v1->{alerts}{memory}{alerted_at}, int($now) - 60, '... with the quiet period as it was');
is($v1->{alerts}{memory}{since}, int($now) - 7200, '... and the start of the episode');
is(ref $v1->{samples}{$dir}{points}, 'ARRAY', '... and the first sample of the trend');

# --- the trend, on a filesystem that fills up ------------------------------------------
SKIP: {
    my $fs = "$dir/fill";
    mkdir $fs;
    our $mounted;
    END { system('umount', "$dir/fill") if $mounted }
    skip 'mounting a tmpfs needs root', 45
        unless $> == 0 && system("mount -t tmpfs -o size=64m tmpfs $fs 2>/dev/null") == 0;
    $mounted = 1;
    my $files = 0;
    my $write = sub {
        my ($mib) = @_;
        open my $fh, '>:raw', "$fs/data." . ++$files or die "$fs: $!";
        print $fh "\0" x ($mib * $MiB) or die "$fs: $!";
        close $fh or die "$fs: $!";
    };
    my $trend = config('trend', disk_paths => [$fs]);
    my $fs_re = qr/\Q$fs\E/;

    # 38 MiB of 64 (59.4%), then 2 MiB every 20 minutes.
    $write->(38);
    ($rc, $out, $err) = check_at($trend, '--textfile', $collector);
    is($rc, 0, 'a first sample: OK') or diag($out, $err);
    unlike($out, qr/full in/, '... and no prediction yet');
    my $state = state_of('trend');
    is($state->{samples}{$fs}{size}, 64 * $MiB, 'the state file keeps the size of the filesystem');
    is_deeply([map { $_->[1] } @{ $state->{samples}{$fs}{points} }], [38 * $MiB],
        '... and a sample of its space used, in bytes');

    for my $run (2, 3) {
        $clock += 1200;
        $write->(2);
        ($rc, $out, $err) = check_at($trend, '-v');
        is($rc, 0, "sample $run: still OK, too few samples to predict") or diag($out, $err);
    }
    like($err, qr/^trend:\Q$fs\E: 3 samples over 0\.7 h, no forecast yet \(needs 4 over 1\.0 h\)$/m,
        '-v says why there is no forecast yet');
    is(scalar(new_mail()), 0, 'no mail so far');

    # The fourth sample, an hour after the first: 44 MiB used (68.8%), 20 MiB
    # available, falling 6 MiB/h: full in 3 h 20 min.
    $clock += 1200;
    $write->(2);
    ($rc, $out, $err) = check_at($trend, '--textfile', $collector);
    is($rc, 1, 'filling up 6 MiB/h with 20 MiB left: exit 1 (WARNING)') or diag($out, $err);
    like($out, qr/^RESOURCES WARNING - $fs_re full in about 3 h, memory \d+\.\d%, (swap \d+\.\d%, )?$fs_re 68\.8%, $fs_re inodes /,
        'the status line names the filesystem and when it will be full');
    like($out, qr/ '$fs_re time to full'=12000s;;;0(\n|$)/, '... and the perfdata the seconds to full');
    my @mail = new_mail();
    is(scalar(@mail), 1, 'one mail');
    my ($subject, $body, $from, $date) = subject_body($mail[0]);
    is(epoch_of_date($date), $clock, "its Date: is trace-ctl's clock ($date)");
    is_deeply([map { $_->[0] } @{ state_of('trend')->{samples}{$fs}{points} }],
        [map { $clock - $_ * 1200 } 3, 2, 1, 0], '... as are the times of the samples, 20 minutes apart');
    is($subject, "[nginx-trace] $host: $fs will be full in about 3 h",
        'its subject names the host, the filesystem and the time left');
    is($from, "nginx-trace\@$host", 'From: names the host');
    like($body, qr/^Host: \Q$host\E$/m, 'the body names the host');
    like($body, qr/^Filling up:\n  $fs_re will be full in about 3 h at its current rate\n    68\.8% used, 20 MiB available; available space falling by 6\.0 MiB\/h over the last 1\.0 h \(4 samples\)$/m,
        '... and how fast it fills') or diag($body);
    ok(state_of('trend')->{alerts}{"trend:$fs"}{open}, 'the state file records the prediction');
    $m = metrics_of(Trace::Test::slurp($prom));
    my $fs_labels = qq{{resource="disk",path="$fs"}};
    is($m->{"nginx_trace_resource_time_to_full_seconds$fs_labels"}, 12000,
        'the textfile has the seconds to full');
    is($m->{"nginx_trace_resource_predicted_full$fs_labels"}, 1, '... and predicted_full 1');
    is(sprintf('%.1f', 100 * $m->{"nginx_trace_resource_used_ratio$fs_labels"}), '68.8',
        '... and the space used of the status line');
    ($prc, $pout, $perr) = promtool_check($prom);
    is($prc . $pout . $perr, '0', 'promtool check metrics accepts it with the forecast');

    ($rc, $out, $err) = check_at($trend, '--dry-run', '--predict-hours', 2);
    is($rc, 0, '--predict-hours 2: 3 h 20 min is beyond it, OK') or diag($out);
    like($out, qr/^dry run: would mail ops\@example\.org: \[nginx-trace\] \Q$host\E: resolved: $fs_re no longer predicted full$/m,
        '... and the prediction would be resolved');

    # Still filling, within the quiet period: no mail.
    for (1, 2) {
        $clock += 1200;
        $write->(2);
        ($rc, $out, $err) = check_at($trend);
        is($rc, 1, "still filling ($_): still WARNING") or diag($out, $err);
    }
    like($out, qr/^RESOURCES WARNING - $fs_re full in about 3 h, /, '... full in about 3 h (2 h 40 min)');
    is(scalar(new_mail()), 0, '... but within the quiet period: no mail');

    # The write-then-clean pattern: a backup is removed, the line no longer falls.
    unlink map { "$fs/data.$_" } 2 .. $files;
    $clock += 1200;
    ($rc, $out, $err) = check_at($trend, '--textfile', $collector);
    is($rc, 0, 'cleaned up: OK again') or diag($out, $err);
    unlike($out, qr/full in/, '... without a prediction');
    @mail = new_mail();
    is(scalar(@mail), 1, 'one resolved mail');
    ($subject, $body) = subject_body($mail[0]);
    is($subject, "[nginx-trace] $host: resolved: $fs no longer predicted full", 'its subject says resolved');
    like($body, qr/^No longer predicted full:\n  $fs_re is no longer predicted to be full within 24 h: 59\.4% used, not over 60% used \(full in about 12 h at the current rate\)$/m,
        '... and its body why') or diag($body);
    is(metrics_of(Trace::Test::slurp($prom))->{"nginx_trace_resource_predicted_full$fs_labels"}, 0,
        'the textfile says predicted_full 0');
    ($rc, $out, $err) = check_at($trend);
    is(scalar(new_mail()), 0, 'no second resolved mail');

    # Filling again at once: the quiet period of the last warning holds.
    for (1 .. 2) {
        $clock += 1200;
        $write->(4);
        ($rc, $out, $err) = check_at($trend);
    }
    is($rc, 1, 'filling again: WARNING') or diag($out);
    is(scalar(new_mail()), 0, '... but no mail within the quiet period of the last warning');

    # predict_hours = 0 switches it off: no prediction, no samples kept.
    ($rc, $out, $err) = check_at(config('trend', disk_paths => [$fs], predict_hours => 0));
    is($rc, 0, 'predict_hours = 0: OK') or diag($out);
    unlike($out, qr/full in|time to full/, '... no prediction');
    $state = state_of('trend');
    is_deeply($state->{samples}, {}, '... and the samples are dropped');
    ok(!exists $state->{alerts}{"trend:$fs"}, '... and the prediction forgotten');
    is(scalar(new_mail()), 0, '... without a mail');

    # A filesystem that is replaced (another size) starts afresh.
    $clock += 1200;
    ($rc, $out, $err) = check_at($trend);
    system('mount', '-o', 'remount,size=128m', $fs) == 0 or die 'remount';
    $clock += 1200;
    ($rc, $out, $err) = check_at($trend, '-v');
    like($err, qr/^trend:\Q$fs\E: 1 samples over 0\.0 h, no forecast yet/m,
        'a filesystem of another size: its samples start afresh');
    is(state_of('trend')->{samples}{$fs}{size}, 128 * $MiB, '... under its new size');

    system('umount', $fs) == 0 and $mounted = 0;
}

$t->done;
