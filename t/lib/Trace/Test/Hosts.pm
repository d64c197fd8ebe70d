package Trace::Test::Hosts;

# Several web servers writing to one database, as a site with many nginx has
# them: an nginx each, with its own trace_host and its own spool, in a
# directory of its own under the test's (NAME/) on a port of its own. Each is a
# test object of its own (Trace::Test->new(base => ...)), so that every method
# of one applies to it: load, start_background_load, status_sum, get,
# unexpected_errors. The database is the test's ($t->{pg}), as the module's
# role nginx_module; the objects leave it alone when they stop.
#
#     my %web = start_hosts($t, [qw(web1 web2 web3)], http => 'trace_flush_interval 200ms;');
#     $web{web2}->load(100);
#     my %errors = stop_hosts(\%web);    # host => its log's alert/crit/emerg lines
#
# Each records every request: location / answers 200 "ok", /status is its
# trace_status. Options: http and server, more directives for those blocks
# (text, written as given).

use strict;
use warnings;

use Exporter qw(import);

use Trace::Test ();

our @EXPORT_OK = qw(start_hosts stop_hosts);

sub conf {
    my ($t, $host, $dir, %opt) = @_;
    my $db = $t->{pg}->conninfo(user => 'nginx_module');
    return <<"EOF";
http {
    trace_db "$db";
    trace_host $host;
    trace_spool $dir/spool;
    access_log off;
    @{[ $opt{http} // '' ]}
    server {
        listen 127.0.0.1:%%PORT%%;
        trace on;
        trace_only_authenticated off;
        @{[ $opt{server} // '' ]}
        location / { return 200 "ok\\n"; }
        location = /status { trace off; trace_status; }
    }
}
EOF
}

# Starts an nginx for each host; returns host => its test object.
sub start_hosts {
    my ($t, $hosts, %opt) = @_;
    my %web;
    for my $host (@$hosts) {
        my $w = Trace::Test->new(base => $t->base . "/$host");
        $w->nginx(conf($t, $host, $w->base, %opt));
        $web{$host} = $w;
    }
    return %web;
}

# Stops them (gracefully: what they hold is sent or spooled); returns host =>
# [the lines at alert, crit or emerg of its error log].
sub stop_hosts {
    my ($web) = @_;
    my %errors;
    for my $host (sort keys %$web) {
        $web->{$host}->stop_nginx;
        $errors{$host} = [$web->{$host}->unexpected_errors];
    }
    return %errors;
}

1;
