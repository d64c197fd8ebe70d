package Trace::Test::Smtp;

# An SMTP sink for one test: aiosmtpd on a free port, storing each message it
# accepts as a file in a maildir under the test's directory. $t->smtp starts
# one.

use strict;
use warnings;

use File::Path qw(make_path);
use POSIX ();

use Trace::Test ();
use Trace::Test::Ports qw(free_port wait_port);

sub start {
    my ($class, $harness) = @_;
    my $base = $harness->base;
    my $dir = "$base/mail";
    # aiosmtpd's Mailbox creates tmp/, new/ and cur/ only in a directory that
    # does not exist yet; without them every message is refused.
    make_path(map { "$dir/$_" } qw(tmp new cur));
    my $port = free_port();
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$base/smtp.log";
        open STDERR, '>&', \*STDOUT;
        { exec '/usr/bin/python3', '-m', 'aiosmtpd', '-n', '-l', "127.0.0.1:$port", '-c',
            'aiosmtpd.handlers.Mailbox', $dir; }
        POSIX::_exit(127);
    }
    wait_port($port, 15) or die "SMTP sink did not start: " . Trace::Test::slurp("$base/smtp.log");
    return bless { port => $port, pid => $pid, dir => $dir }, $class;
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'TERM', $self->{pid};
    waitpid $self->{pid}, 0;
    delete $self->{pid};
}

sub port { $_[0]{port} }

# Every message received so far, as raw text, oldest first. Maildir names start
# with the delivery time, "SECONDS.MMICROSECONDS...": sorted on those numbers,
# since a file's mtime is too coarse to order messages of the same second.
sub messages {
    my ($self) = @_;
    my @files = map { $_->[0] }
        sort { $a->[1] <=> $b->[1] || $a->[2] <=> $b->[2] || $a->[0] cmp $b->[0] }
        map { [$_, m{/(\d+)\.M(\d+)P[^/]*$} ? ($1, $2) : ((stat $_)[9], 0)] }
        glob("$self->{dir}/new/*");
    return map { Trace::Test::slurp($_) } @files;
}

1;
