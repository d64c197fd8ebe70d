package Trace::Test::HeldCommit;

# A commit whose outcome the module cannot know, for the exactly-once tests
# (t/delivery_unknown_outcome.t, t/citus/delivery_unknown_outcome.t): servers
# whose commits wait for a synchronous standby that does not exist, and an
# nginx that gives up on an answer after 1 s (trace_db_timeout) and sends the
# batch again.
#
#     my $held = Trace::Test::HeldCommit->start_nginx($t);
#     Trace::Test::HeldCommit::hold(@servers);      # commits wait from now on
#     Trace::Test::HeldCommit::release(@servers);   # the waiting ones complete

use strict;
use warnings;

# The recording nginx with one worker, a 1 s answer deadline and trace_status at /status.
sub start_nginx {
    my ($class, $t) = @_;
    $t->start_recording_nginx(workers => 1,
        trace_db => '%%TRACE_DB%% connect_timeout=2',
        trace_db_timeout => '1s',
        trace_flush_interval => '300ms',
        access_log => 'off',
        status => '/status');
}

sub hold {
    for my $pg (@_) {
        $pg->superuser_sql(q{ALTER SYSTEM SET synchronous_standby_names = 'nobody'});
        $pg->superuser_sql('SELECT pg_reload_conf()');
    }
}

sub release {
    for my $pg (@_) {
        $pg->superuser_sql('ALTER SYSTEM RESET synchronous_standby_names');
        $pg->superuser_sql('SELECT pg_reload_conf()');
    }
}

1;
