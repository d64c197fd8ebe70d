package Trace::Test;

# The integration test harness, after nginx's own test suite: each test file
# makes one Trace::Test, which owns a temporary directory and whatever the test
# starts there: a private PostgreSQL, nginx with the freshly built module, an
# SMTP sink, each on a free loopback port. All of it is stopped when the test
# ends (also when it dies), and done() checks nginx's error log for [alert],
# [crit] and [emerg].
#
# This file is the test object: its directory and named ports, running
# commands, files, waiting, trace-ctl, and the end of a test. The rest, each a
# file of its own under Trace/Test/:
#   Pg.pm         the PostgreSQL server ($t->postgres, $t->postgres_migrated)
#   Citus.pm      a Citus coordinator and its workers ($t->citus; t/citus/*.t)
#   Smtp.pm       the SMTP sink ($t->smtp)
#   Nginx.pm      nginx.conf, nginx -t, start, reload, stop, pids  (methods of $t)
#   Recording.pm  the nginx that records every request            (methods of $t)
#   Http.pm       a raw HTTP client, and $t->get                   (a method of $t)
#   Load.pm       load, exactly-once checks, trace_status counters (methods of $t)
#   Sanitizer.pm  sanitizer builds' environment and reports        (methods of $t)
#   HeldCommit.pm commits of unknown outcome, for the exactly-once tests
#   Ports.pm      free ports, waiting for a listener
#   Reading.pm    for the tests of trace-ctl's reading commands (read_*.t)

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes qw(sleep time);
use Test::More;

use parent qw(Trace::Test::Nginx Trace::Test::Recording Trace::Test::Http Trace::Test::Load
    Trace::Test::Sanitizer);
use Trace::Test::Pg;
use Trace::Test::Citus;
use Trace::Test::Smtp;
# Also Trace::Test::free_port, wait_port and http_request, as before the split.
use Trace::Test::Ports qw(free_port wait_port);
use Trace::Test::Http qw(http_request);

use Exporter qw(import);
our @EXPORT_OK = qw(http_request);

my $ROOT = abs_path(dirname(__FILE__) . '/../../..');
my $BUILD = $ENV{TRACE_BUILD} // "$ROOT/build";

my @live;    # harness objects whose servers END must stop

sub root { $ROOT }
sub build { $BUILD }

# Options: base, a directory to use instead of a new temporary one (made when
# missing): for a second nginx of the same test, beside the first one's files
# (Trace::Test->new(base => $t->base . '/web2')); any other pair is kept in the
# object (pg_settings, ...).
sub new {
    my ($class, %args) = @_;
    my $base = delete $args{base};
    if (defined $base) {
        make_path($base);
    } else {
        $base = tempdir('nginx-trace-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{TRACE_KEEP});
    }
    # postgres and nginx's workers (nobody) must traverse it
    chmod 0755, $base;
    my $self = bless { base => $base, expected_errors => [], %args }, $class;
    push @live, $self;
    $self->setup_sanitizer_reports if $ENV{TRACE_SANITIZE};
    diag("test files kept in $base") if $ENV{TRACE_KEEP};
    return $self;
}

sub base { $_[0]{base} }

# The test's port NAME (default http), the same one each time it is asked for.
sub port {
    my ($self, $name) = @_;
    $name //= 'http';
    return $self->{ports}{$name} //= free_port();
}

# --- commands and files -----------------------------------------------------------

# Runs a command, returns (exit code, stdout, stderr). An optional first hash
# gives stdin and env.
sub run {
    my (@cmd) = @_;
    my $opts = ref $cmd[0] eq 'HASH' ? shift @cmd : {};
    my $out = File::Temp->new;
    my $err = File::Temp->new;
    # A real file: an in-memory one has no descriptor for exec to pass on.
    my $in = File::Temp->new;
    print $in $opts->{stdin} // '';
    close $in;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>&', $out or die;
        open STDERR, '>&', $err or die;
        open STDIN, '<', "$in" or die;
        %ENV = (%ENV, %{ $opts->{env} // {} });
        exec @cmd or do { print STDERR "exec $cmd[0]: $!\n"; POSIX::_exit(127) };
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    $rc = 128 + ($? & 127) if $? & 127;
    return ($rc, slurp("$out"), slurp("$err"));
}

# The command, run as the given user when the test runs as root (for PostgreSQL).
sub as_user_cmd {
    my ($user, @cmd) = @_;
    return @cmd if $> != 0;
    return ('runuser', '-u', $user, '--', @cmd);
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<:raw', $file or return '';
    local $/;
    my $data = <$fh>;
    return $data // '';
}

sub spew {
    my ($file, $data, $mode) = @_;
    make_path(dirname($file));
    open my $fh, '>:raw', $file or die "cannot write $file: $!";
    print $fh $data;
    close $fh;
    chmod $mode, $file if defined $mode;
}

# Waits until $code returns true, polling; returns its last value.
sub wait_for {
    my ($self, $code, $timeout) = @_;
    my $until = time + ($timeout // 10);
    my $v;
    while (1) {
        $v = $code->();
        return $v if $v || time >= $until;
        sleep 0.1;
    }
}

# The built trace-ctl; returns (exit code, stdout, stderr) as run does.
sub trace_ctl {
    my ($self, @args) = @_;
    my $opts = ref $args[0] eq 'HASH' ? shift @args : {};
    return run($opts, "$BUILD/trace-ctl", @args);
}

# --- the servers a test starts ------------------------------------------------------

sub postgres {
    my ($self) = @_;
    return $self->{pg} //= Trace::Test::Pg->create($self);
}

# The PostgreSQL with the schema and the module's login role.
sub postgres_migrated {
    my ($self) = @_;
    return $self->postgres->migrate;
}

# A Citus coordinator and two workers (workers => N for another number); the
# coordinator is then $t->{pg}.
sub citus {
    my ($self, %opt) = @_;
    return $self->{citus} // Trace::Test::Citus->create($self, %opt);
}

sub smtp {
    my ($self) = @_;
    return $self->{smtp} //= Trace::Test::Smtp->start($self);
}

# --- the end of a test ----------------------------------------------------------------

# Lines of the error log at [alert], [crit] or [emerg] that no test expected.
sub unexpected_errors {
    my ($self) = @_;
    return () unless $self->{nginx_prefix};
    my @lines = grep { /\[(alert|crit|emerg)\]/ } split /\n/, slurp($self->error_log);
    for my $re (@{ $self->{expected_errors} }) {
        @lines = grep { $_ !~ $re } @lines;
    }
    return @lines;
}

sub expect_errors {
    my ($self, @res) = @_;
    push @{ $self->{expected_errors} }, @res;
}

sub stop_all {
    my ($self) = @_;
    return if $self->{stopped}++;
    $self->stop_nginx('fast', 15) if $self->{nginx_running};
    $self->{smtp}->stop if $self->{smtp};
    $self->{pg}->stop if $self->{pg};
    $self->{citus}->stop if $self->{citus};
}

# Called by each test file after its own assertions.
sub done {
    my ($self) = @_;
    $self->stop_all;
    my @errors = $self->unexpected_errors;
    ok(!@errors, 'error log has no unexpected alert, crit or emerg')
        or diag(join "\n", @errors);
    if ($ENV{TRACE_SANITIZE}) {
        my @reports = $self->sanitizer_reports;
        ok(!@reports, 'no AddressSanitizer or UndefinedBehaviorSanitizer report')
            or diag(join "\n", @reports);
    }
    done_testing();
}

END {
    my $status = $?;
    $_->stop_all for @live;
    $? = $status;
}

for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} = sub { $_->stop_all for @live; exit 1 };
}

1;
