package Trace::Test::Recording;

# nginx that records every request it answers, the configuration the
# delivery, load, outage, privilege and trace_status tests start from:
#
#     http {
#         trace_db "%%TRACE_DB%%";
#         ...                          # the test's own http directives, in order
#         server {
#             listen 127.0.0.1:%%PORT%%;
#             trace on;
#             trace_only_authenticated off;
#             location / { return 200 "ok\n"; }
#             location = /status { trace off; trace_status; }    # with status
#         }
#     }
#
# Methods of the test object (Trace::Test inherits them):
#
#     $t->start_recording_nginx(workers => 2,
#         trace_db => '%%TRACE_DB%% connect_timeout=2',
#         trace_flush_interval => '200ms',
#         trace_spool => '%%PREFIX%%/spool',
#         access_log => 'off',
#         status => '/status');
#
# Arguments, as NAME => VALUE pairs:
#   trace_db  the conninfo; default %%TRACE_DB%%, the test's PostgreSQL as the
#             module's role (nginx_module, a trace_writer)
#   status    a path: location = PATH { trace off; trace_status; }
#   body      what location / returns, as nginx reads it in quotes (ok\n)
#   workers   worker_processes (default 1)
#   default_spool  1: no trace_spool of the test's own (the module's default
#             directory; see Trace::Test::Nginx)
#   locations more locations of the server, each "MATCH { ... }", in an array
#             (['= /refused { return 400; }'])
#   any other pair is an http directive "NAME VALUE;", written in the order
#   given, after trace_db (trace_flush_interval, trace_spool, access_log, ...)

use strict;
use warnings;

my %SERVER_ARGS = map { $_ => 1 } qw(trace_db status body workers default_spool locations);

# The nginx.conf body for these arguments (workers aside), for $t->nginx.
sub recording_nginx_conf {
    my ($self, @args) = @_;
    my %opt = (trace_db => '%%TRACE_DB%%', body => 'ok\n');
    my @directives;
    while (my ($name, $value) = splice @args, 0, 2) {
        die "recording_nginx_conf: no value for $name\n" unless defined $value;
        if ($SERVER_ARGS{$name}) { $opt{$name} = $value; next }
        die "recording_nginx_conf: \"$name\" is not an http directive's name\n"
            unless $name =~ /^[a-z][a-z0-9_]*$/;
        push @directives, "    $name $value;\n";
    }
    my $locations = join '', map { "        location $_\n" } @{ $opt{locations} // [] };
    my $status = defined $opt{status}
        ? "        location = $opt{status} { trace off; trace_status; }\n" : '';
    return "http {\n"
        . "    trace_db \"$opt{trace_db}\";\n"
        . join('', @directives)
        . "    server {\n"
        . "        listen 127.0.0.1:%%PORT%%;\n"
        . "        trace on;\n"
        . "        trace_only_authenticated off;\n"
        . "        location / { return 200 \"$opt{body}\"; }\n"
        . $locations
        . $status
        . "    }\n"
        . "}\n";
}

# Writes that nginx.conf and starts nginx.
sub start_recording_nginx {
    my ($self, @args) = @_;
    my %opt = @args;
    return $self->nginx($self->recording_nginx_conf(@args),
        map { defined $opt{$_} ? ($_ => $opt{$_}) : () } qw(workers default_spool));
}

1;
