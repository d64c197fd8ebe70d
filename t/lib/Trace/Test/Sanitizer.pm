package Trace::Test::Sanitizer;

# Sanitizer builds (make test SANITIZE=address,undefined): TRACE_SANITIZE is
# set, and TRACE_NGINX_PRELOAD names the sanitizer runtimes. /usr/sbin/nginx is
# not built with them, so they are preloaded into every nginx the harness
# starts; every report (nginx's, trace-ctl's) goes to a file under the test's
# directory, and a test that leaves one fails (Trace::Test::done).
#
# Methods of the test object (Trace::Test inherits them).

use strict;
use warnings;

use File::Path qw(make_path);

use Trace::Test ();

sub sanitizer_dir { "$_[0]{base}/sanitizer" }

# Reports go to files named after their process (log_path appends the pid);
# the directory is writable by nginx's workers and by trace-ctl run as nobody.
sub setup_sanitizer_reports {
    my ($self) = @_;
    my $dir = $self->sanitizer_dir;
    make_path($dir);
    chmod 01777, $dir;
    # For trace-ctl and the other instrumented programs a test runs: leaks too.
    $ENV{ASAN_OPTIONS} = "log_path=$dir/asan:detect_leaks=1:abort_on_error=0";
    $ENV{UBSAN_OPTIONS} = "log_path=$dir/ubsan:print_stacktrace=1:halt_on_error=1";
}

# The environment nginx runs in. nginx never frees what it allocated for its
# last configuration: leaks are not looked for here, but by
# scripts/leakcheck.pl (TRACE_NGINX_LEAK_OPTIONS), which tells nginx's from
# the module's, in the server only (not in `nginx -t` or `nginx -s`).
sub nginx_env {
    my ($self, $server) = @_;
    return {} unless $ENV{TRACE_SANITIZE} && $ENV{TRACE_NGINX_PRELOAD};
    my $dir = $self->sanitizer_dir;
    my $leaks = $server && $ENV{TRACE_NGINX_LEAK_OPTIONS} || 'detect_leaks=0';
    return {
        LD_PRELOAD => $ENV{TRACE_NGINX_PRELOAD},
        ASAN_OPTIONS => "log_path=$dir/nginx-asan:$leaks:abort_on_error=0",
        UBSAN_OPTIONS => "log_path=$dir/nginx-ubsan:print_stacktrace=1:halt_on_error=1",
    };
}

# Sanitizer reports written so far, as "file:\ncontent".
sub sanitizer_reports {
    my ($self) = @_;
    return () unless $ENV{TRACE_SANITIZE};
    return map { "$_:\n" . Trace::Test::slurp($_) } grep { -s } sort glob($self->sanitizer_dir . '/*');
}

1;
