# Three web servers on one Citus cluster: three nginx, each with its own
# trace_host (web1, web2, web3) and its own spool, write to the coordinator at
# once under load while a worker is stopped (fast) and started again on the
# same port and data. Afterwards every request each nginx answered is a row of
# its host exactly once, nothing was refused or dropped, the rows are spread
# over both workers (distributed by batch_key), and every reading command, the
# console and prune answer on the coordinator as SQL does. The spread of the
# rows over the workers and hosts is printed (README, Citus: "Measured").

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP ();
use List::Util qw(sum0);
use Time::HiRes qw(sleep time);
use Trace::Test;
use Trace::Test::Console qw(start_console stop_console fetch);
use Trace::Test::Hosts qw(start_hosts stop_hosts);

Trace::Test::Citus->skip_unless_installed;

my $began = time;
my $t = Trace::Test->new;
my $citus = $t->citus;
my $pg = $citus->coordinator;
my @db = ('--db', $pg->conninfo);
my ($rc, $out, $err) = $t->trace_ctl(@db, 'migrate', '--distribute');
is($rc, 0, 'the schema is migrated and distributed') or diag($err);
$pg->migrate;    # the module's login role

my @hosts = qw(web1 web2 web3);
my $LOGINS = 3;      # per host: GET /login?u=NAME, an audit event each
my $MISSING = 30;    # per host: GET /missing?id=..., answered 404
my $CLIENTS = 2;     # per host: the background load's clients

# Each nginx sends a batch every 200 ms and gives up on a step after 2 s; the
# load's first client is alice, the second bob; /login?u=NAME is a login.
my %web = start_hosts($t, \@hosts,
    http => q{trace_flush_interval 200ms; trace_db_timeout 2s;
    map $arg_id $load_user { ~^1- alice; default bob; }},
    server => q{trace_user $load_user; trace_audit on;
        trace_audit_event login ^/login$ user=$arg_u;
        location /missing { return 404; }});

# The worker to stop: either holds shards of every host, since the tables are
# distributed by batch_key (sql/0008), a value of each batch: a host's batches
# spread over the shards.
my ($down) = sort { $a->port <=> $b->port } $citus->workers;
my $down_port = $down->port;

my $load_started = time;
$_->start_background_load(clients => $CLIENTS, pause => 0.001) for values %web;
sleep 4;
$down->stop('fast');
my $stopped = time;
diag(sprintf 'worker %d stopped %.1f s into the load', $down_port, $stopped - $load_started);
sleep 7;
$down->start;
diag(sprintf 'worker %d started again after %.1f s, on the same port', $down_port, time - $stopped);
sleep 5;
my %answered = map { $_ => [$web{$_}->stop_background_load] } @hosts;
my $load_seconds = time - $load_started;

my %served;
for my $host (@hosts) {
    my $w = $web{$host};
    my $missing = $w->load($MISSING, path => sub { "/missing?id=m$_[0]" }, status => 404);
    my $logins = $w->load($LOGINS, path => sub { "/login?u=$host-user$_[0]" });
    is($missing + $logins, $MISSING + $LOGINS, "$host: the 404s and logins were answered");
    $served{$host} = @{ $answered{$host} } + $missing + $logins;
}
my $total = sum0(values %served);
diag(sprintf '%d requests answered in %.1f s of load (%s)', $total, $load_seconds,
    join(', ', map { "$_ $served{$_}" } @hosts));

# --- every request once -------------------------------------------------------------
my $rows_of = sub { $pg->value('SELECT count(*) FROM trace.requests WHERE host = $1', $_[0]) };
my $held = sub {    # rows the host's nginx still holds in memory or spool
    my ($host) = @_;
    my $w = $web{$host};
    return $w->status_sum('/status', 'queued_rows') + $w->status_sum('/status', 'spool_bytes');
};
for my $host (@hosts) {
    $t->wait_for(sub { $rows_of->($host) >= $served{$host} && !$held->($host) }, 60);
}
# A client stopped mid-request may not count an answer nginx gave (and
# recorded): at most one a client, of /load.
for my $host (@hosts) {
    my $want = $served{$host};
    my $rows = $rows_of->($host);
    ok($rows >= $want && $rows <= $want + $CLIENTS,
        "$host: $want requests answered, $rows rows (at most $CLIENTS more, in flight at the end)");
    is($pg->value('SELECT count(DISTINCT query) FROM trace.requests WHERE host = $1', $host),
        $rows, "$host: each once");
    $served{$host} = $rows;
    my %got = map { $_->[0] => 1 } @{ $pg->sql(
        q{SELECT query FROM trace.requests WHERE host = $1 AND path = '/load'}, $host) };
    my @lost = grep { !$got{"id=$_"} } @{ $answered{$host} };
    is(scalar @lost, 0, "$host: no answered request is missing") or diag("missing: @lost[0 .. 9]");
    my $w = $web{$host};
    is($w->status_sum('/status', 'dropped_rows'), 0, "$host: the module dropped no row");
    is($w->status_sum('/status', 'rejected_rows'), 0, "$host: ... and set none aside");
}
is($pg->value('SELECT count(*) FROM trace.rejected'), 0, 'trace.rejected is empty');
my @felt = @hosts;    # a batch for the stopped worker holds the ones behind it
my $spooled = sum0(map { $web{$_}->status_sum('/status', 'spooled_rows') } @felt);
ok($spooled > 0, "the stopped worker's hosts (@felt) spooled rows while it was down")
    or diag(join "\n", map { $web{$_}->get('/status')->{body} } @felt);
$total = sum0(values %served);
is($pg->value('SELECT count(*) FROM trace.requests'), $total, "$total rows in all");
is($pg->value('SELECT count(DISTINCT id) FROM trace.requests'), $total,
    'ids are unique across the shards');

my $spread = $citus->rows_per_worker('requests');
diag('rows per worker: ' . join(', ', map { "$_ $spread->{$_}" } sort keys %$spread));
diag('rows per host: ' . join(', ', map { "$_->[0] $_->[1]" } @{ $pg->sql(
    'SELECT host, count(*) FROM trace.requests GROUP BY host ORDER BY host') }));
is(sum0(values %$spread), $total, 'the workers hold every row');
# Balanced: each worker holds at least a third of the rows (an even spread of
# a few hundred batches over 32 shards, 16 a worker, gives about half).
for my $worker (sort keys %$spread) {
    cmp_ok($spread->{$worker}, '>=', $total / 3, "worker $worker holds a fair share of the rows")
        or diag(explain($spread));
}
my $hosts_on = $pg->sql(q{SELECT count(DISTINCT r.host) FROM trace.requests r
    JOIN pg_dist_shard_placement p ON p.shardid = get_shard_id_for_distribution_column('trace.requests', r.batch_key)
    GROUP BY p.nodeport});
is_deeply([map { $_->[0] } @$hosts_on], [3, 3], '... and rows of all three hosts on each');

# --- the reading commands on the coordinator ------------------------------------------
# The ids a command lists with --format json, sorted.
sub listed_ids {
    my (@args) = @_;
    my ($rc, $out, $err) = $t->trace_ctl(@db, @args, '--format', 'json', '--limit', '100000');
    return "exit $rc: $err" if $rc;
    return [sort { $a <=> $b } map { $_->{id} } @{ JSON::PP->new->decode($out) }];
}
sub sql_ids {
    my ($table, $where, @bind) = @_;
    return [map { $_->[0] } @{ $pg->sql("SELECT id FROM $table WHERE $where ORDER BY id", @bind) }];
}
my @same = (
    [['--host', 'web2'], 'host = $1', 'web2'],
    [['--host', 'web1', '--user', 'alice'], q{host = $1 AND user_name = 'alice'}, 'web1'],
    [['--user', 'bob', '--status', '2xx'], q{user_name = $1 AND status BETWEEN 200 AND 299}, 'bob'],
    [['--status', '404'], 'status = $1', 404],
    [['--path', '^/login', '--host', 'web3'], q{path ~ '^/login' AND host = $1}, 'web3'],
);
for my $case (@same) {
    my ($args, $where, @bind) = @$case;
    my $want = sql_ids('trace.requests', $where, @bind);
    ok(@$want > 0, "requests @$args: SQL finds rows");
    is_deeply(listed_ids('requests', @$args), $want,
        "requests @$args --format json: the rows SQL finds (" . scalar(@$want) . ')');
}
($rc, $out, $err) = $t->trace_ctl(@db, 'requests', '--host', 'web3', '--limit', '5');
is($rc, 0, 'requests --host web3 --limit 5') or diag($err);
like($out, qr/^requests 1-5 \(page 1, newest first\)/m, '... prints a page of five');

is_deeply(listed_ids('audit'), sql_ids('trace.audit', 'true'), 'audit --format json: every event');
is(scalar @{ listed_ids('audit') }, 3 * $LOGINS, '... one per login');
is_deeply(listed_ids('audit', '--host', 'web2'), sql_ids('trace.audit', 'host = $1', 'web2'),
    'audit --host web2: its events');

($rc, $out, $err) = $t->trace_ctl(@db, 'status', '--status-url',
    'http://127.0.0.1:' . $web{web1}->port . '/status');
is($rc, 0, 'status: exit 0') or diag("$out$err");
like($out, qr/^trace\.requests\s+$total rows/m, "status: trace.requests $total rows");
like($out, qr/^trace\.audit\s+${\(3 * $LOGINS)} rows/m, 'status: the audit events');
like($out, qr/^trace\.rejected\s+0 rows/m, 'status: nothing rejected');
like($out, qr/^module\s.*\n(?:\s.*\n)*\s+total .*dropped_rows=0/m, "status: web1's counters");

# --- the console --------------------------------------------------------------------
my $console = start_console($t);
sub page_ok {
    my ($path) = @_;
    my $r = fetch($console, $path);
    is($r->{status}, 200, "console $path: 200") or diag(substr($r->{content}, 0, 2000));
    return $r->{content};
}
my $page;
# The overview: its buckets in one GROUP BY on Citus (a LATERAL over them is
# not pushed down), every panel answered.
$page = page_ok('/');
my $shown_total = $total >= 1e4 ? sprintf('%.1fk', $total / 1e3) : $total;    # as the page rounds
like($page, qr{<span class="total-requests">\Q$shown_total\E</span> requests}, "/: $total requests");
like($page, qr{>${\(3 * $MISSING)} 4xx</a>}, '... the 404s of the three hosts');
like($page, qr{<span class="total-logins">${\(3 * $LOGINS)}</span> logins}, '... and their logins');
like($page, qr{<h2>Top paths</h2><table><tbody><tr><td class="wrap"><a [^>]*>/load</a>},
    '... the loaded path on top of the paths');
$page = page_ok('/requests?host=web2');
like($page, qr/requests 1-50 \(page 1, newest first\)/, '/requests?host=web2: a full page');
is(scalar(() = $page =~ m{<td>web2</td>}g), 50, '... its 50 rows of web2');
unlike($page, qr{<td>web[13]</td>}, '... and none of another host');
$page = page_ok('/audit');
like($page, qr/audit events 1-${\(3 * $LOGINS)} \(page 1, newest first\)/, '/audit: every event');
$page = page_ok('/status');
like($page, qr/\b$total\b/, "/status: $total requests");
stop_console($console);

# --- prune ----------------------------------------------------------------------------
# The newest $keep requests by time stay, and every row that shares the time of
# the $keep-th newest (README, trace-ctl prune).
my $keep = int($total / 3);
my $cutoff = $pg->value('SELECT ts FROM trace.requests ORDER BY ts DESC OFFSET $1 LIMIT 1',
    $keep - 1);
my $left = $pg->value('SELECT count(*) FROM trace.requests WHERE ts >= $1', $cutoff);
($rc, $out, $err) = $t->trace_ctl(@db, 'prune', '--max-count', $keep);
is($rc, 0, "prune --max-count $keep") or diag("$out$err");
my ($deleted, $said) =
    $out =~ /^trace\.requests: deleted (\d+) rows older than (.+?), kept the newest $keep /m;
is($deleted, $total - $left, "... deleted the rows before the $keep-th newest's time")
    or diag($out);
ok(defined $said && $pg->value('SELECT $1::timestamptz = $2::timestamptz', $said, $cutoff),
    "... and names its time ($cutoff)") or diag($out);
is($pg->value('SELECT count(*) FROM trace.requests'), $left,
    "$left rows are left (the newest $keep and their time's)");
ok($left >= $keep, "... at least $keep");
is($pg->value('SELECT min(ts) = $1::timestamptz FROM trace.requests', $cutoff), 1,
    '... none older than the cutoff');
($rc, $out, $err) = $t->trace_ctl(@db, 'status');
like($out, qr/^trace\.requests\s+$left rows/m, "status after prune: $left rows");

my %errors = stop_hosts(\%web);
for my $host (@hosts) {
    ok(!@{ $errors{$host} }, "$host: no alert, crit or emerg in its error log")
        or diag(join "\n", @{ $errors{$host} });
}
diag(sprintf 'scale.t: %.0f s', time - $began);
$t->done;
