package Trace::Test::Nginx;

# /usr/sbin/nginx with the freshly built module, in the test's directory:
# nginx.conf from a template, nginx -t, start, reload, stop, and the pids of
# the master and its workers.
#
# Methods of the test object (Trace::Test inherits them). In a template,
# %%PORT%% is the test's HTTP port, %%PORT_NAME%% its port NAME (both from
# $t->port), %%PREFIX%% nginx's directory, %%TRACE_DB%% a conninfo for the
# module's role when PostgreSQL runs; the load_module line, pid, error_log,
# worker_processes and events block are added. A server that records
# (trace_db) and names no trace_spool gets one in its own directory, the
# module's default behaviour without sharing /var/lib/nginx/trace between
# tests; `default_spool => 1` leaves the module's default in place.

use strict;
use warnings;

use File::Path qw(make_path);
use Test::More ();
use Time::HiRes qw(sleep time);

use Trace::Test ();
use Trace::Test::Ports qw(wait_port);

# Writes nginx.conf from $conf and starts nginx (unless no_start). Options:
# workers (default 1), log_level (default notice), no_start.
sub nginx {
    my ($self, $conf, %args) = @_;
    $self->write_nginx_conf($conf, %args);
    $self->start_nginx unless $args{no_start};
    return $self;
}

sub write_nginx_conf {
    my ($self, $conf, %args) = @_;
    my $prefix = "$self->{base}/nginx";
    make_path("$prefix/logs", "$prefix/html");
    chmod 0755, $prefix, "$prefix/html";
    $conf =~ s/%%PORT%%/$self->port('http')/ge;
    $conf =~ s/%%PORT_(\w+)%%/$self->port(lc $1)/ge;
    $conf =~ s/%%PREFIX%%/$prefix/g;
    if ($conf =~ /%%TRACE_DB%%/) {
        my $db = $self->{pg} ? $self->{pg}->conninfo(user => 'nginx_module')
                             : 'host=127.0.0.1 port=1 dbname=trace';
        $conf =~ s/%%TRACE_DB%%/$db/g;
    }
    if ($conf =~ /^\s*trace_db\s/m && $conf !~ /^\s*trace_spool\s/m && !$args{default_spool}) {
        # on the same line, so that errors keep their line numbers
        $conf =~ s/^(\s*http\s*\{)/$1 trace_spool $prefix\/spool;/m;
    }
    my $workers = $args{workers} // 1;
    my $module = Trace::Test::build() . '/ngx_http_trace_module.so';
    my $head = <<"EOF";
load_module $module;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log @{[ $args{log_level} // 'notice' ]};
worker_processes $workers;
worker_shutdown_timeout 10s;
events { worker_connections 1024; }
EOF
    $self->{nginx_prefix} = $prefix;
    $self->{nginx_conf} = "$prefix/nginx.conf";
    Trace::Test::spew($self->{nginx_conf}, $head . $conf);
    return $self->{nginx_conf};
}

sub nginx_prefix { $_[0]{nginx_prefix} }
sub error_log { "$_[0]{nginx_prefix}/logs/error.log" }

# Runs /usr/sbin/nginx with @args (in the sanitizer's environment when there
# is one); returns (exit code, stdout, stderr).
sub run_nginx {
    my ($self, @args) = @_;
    my $server = !grep { $_ eq '-t' || $_ eq '-s' } @args;
    return Trace::Test::run({ env => $self->nginx_env($server) }, '/usr/sbin/nginx', @args);
}

# nginx -t on a configuration body; returns (exit code, output).
sub nginx_test {
    my ($self, $conf, %args) = @_;
    my $file = $self->write_nginx_conf($conf, %args);
    my ($rc, $out, $err) = $self->run_nginx('-t', '-q', '-p', $self->{nginx_prefix},
        '-c', $file);
    return ($rc, $out . $err);
}

sub start_nginx {
    my ($self) = @_;
    my ($rc, $out, $err) = $self->run_nginx('-p', $self->{nginx_prefix}, '-c',
        $self->{nginx_conf});
    die "nginx did not start: $out$err" if $rc;
    $self->{nginx_running} = 1;
    wait_port($self->port('http'), 10) or die "nginx does not listen on " . $self->port('http');
    return $self;
}

sub nginx_pid {
    my ($self) = @_;
    my $pid = Trace::Test::slurp("$self->{nginx_prefix}/nginx.pid");
    chomp $pid;
    return $pid;
}

sub worker_pids {
    my ($self) = @_;
    my $master = $self->nginx_pid or return ();
    my @pids = map { /^\s*(\d+)/ ? $1 : () } `ps -o pid= --ppid $master`;
    return @pids;
}

# Sends a signal through `nginx -s` and waits for the command to return.
sub nginx_signal {
    my ($self, $signal) = @_;
    my $started = time;
    my ($rc, $out, $err) = $self->run_nginx('-p', $self->{nginx_prefix}, '-c',
        $self->{nginx_conf}, '-s', $signal);
    die "nginx -s $signal failed: $out$err" if $rc;
    return time - $started;
}

# Reload and wait until the old workers are gone (or the timeout passes);
# returns the seconds it took.
sub reload_nginx {
    my ($self, $timeout) = @_;
    my @old = $self->worker_pids;
    my $started = time;
    $self->nginx_signal('reload');
    my $until = time + ($timeout // 20);
    while (time < $until) {
        last unless grep { kill 0, $_ } @old;
        sleep 0.05;
    }
    return time - $started;
}

# Graceful stop (fast with $how 'fast'): waits for the master to exit;
# returns the seconds it took.
sub stop_nginx {
    my ($self, $how, $timeout) = @_;
    return 0 unless $self->{nginx_running};
    my $pid = $self->nginx_pid;
    my $started = time;
    kill($how && $how eq 'fast' ? 'TERM' : 'QUIT', $pid) if $pid;
    my $until = time + ($timeout // 30);
    while ($pid && kill(0, $pid) && time < $until) {
        sleep 0.05;
    }
    if ($pid && kill 0, $pid) {
        kill 'KILL', $pid, $self->worker_pids;
        Test::More::diag("nginx did not stop in time; killed");
    }
    $self->{nginx_running} = 0;
    return time - $started;
}

1;
