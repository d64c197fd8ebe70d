package Trace::Test::DevTools;

# Headless chromium driven over the DevTools protocol on a pipe
# (--remote-debugging-pipe: chromium reads commands on fd 3 and writes answers
# and events on fd 4, each a JSON message ended by a NUL byte), so that a test
# can change the database while a page stays open and ask the page what it
# shows. A pipe needs no WebSocket client and no port.

use strict;
use warnings;

use IO::Handle;
use IO::Select;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time);

# Starts chromium; `profile` is its user data directory, `home` its HOME.
sub start {
    my ($class, %opt) = @_;
    pipe(my $commands_r, my $commands_w) or die "pipe: $!";
    pipe(my $answers_r, my $answers_w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        # Copies first: a pipe's own descriptor may be 3 or 4, and dup2's
        # copy is the one kept open across exec.
        my ($read, $write) = (POSIX::dup(fileno $commands_r), POSIX::dup(fileno $answers_w));
        POSIX::dup2($read, 3) // POSIX::_exit(126);
        POSIX::dup2($write, 4) // POSIX::_exit(126);
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', $opt{log} // '/dev/null';
        $ENV{HOME} = $opt{home};
        exec $opt{chromium}, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
            '--disable-extensions', "--user-data-dir=$opt{profile}", '--remote-debugging-pipe',
            'about:blank';
        POSIX::_exit(127);
    }
    close $commands_r;
    close $answers_w;
    $commands_w->autoflush(1);
    return bless { pid => $pid, out => $commands_w, in => $answers_r, buffer => '', id => 0,
        json => JSON::PP->new->utf8->canonical }, $class;
}

# One command; its result, or dies with the error or after `timeout` seconds.
sub call {
    my ($self, $method, $params, %opt) = @_;
    my $id = ++$self->{id};
    my %message = (id => $id, method => $method, params => $params // {});
    $message{sessionId} = $opt{session} if $opt{session};
    print { $self->{out} } $self->{json}->encode(\%message), "\0";
    my $until = time + ($opt{timeout} // 20);
    my $select = IO::Select->new($self->{in});
    while (1) {
        while ($self->{buffer} =~ s/\A([^\0]*)\0//) {
            my $answer = $self->{json}->decode($1);
            next unless ($answer->{id} // 0) == $id;
            die "$method: $answer->{error}{message}\n" if $answer->{error};
            return $answer->{result};
        }
        my $left = $until - time;
        die "$method: no answer in time\n" if $left <= 0;
        next unless $select->can_read($left);
        sysread($self->{in}, $self->{buffer}, 65536, length $self->{buffer})
            or die "$method: chromium closed the pipe\n";
    }
}

# A new tab on `url`; returns the session of the tab for evaluate.
sub open_tab {
    my ($self, $url) = @_;
    my $target = $self->call('Target.createTarget', { url => $url })->{targetId};
    return $self->call('Target.attachToTarget', { targetId => $target, flatten => JSON::PP::true })
        ->{sessionId};
}

# The value of a JavaScript expression in the tab.
sub evaluate {
    my ($self, $session, $expression) = @_;
    my $r = $self->call('Runtime.evaluate', { expression => $expression, returnByValue => JSON::PP::true },
        session => $session);
    die "evaluate: $r->{exceptionDetails}{text}\n" if $r->{exceptionDetails};
    return $r->{result}{value};
}

# Closes the browser (and waits for it); returns its wait status.
sub stop {
    my ($self) = @_;
    eval { $self->call('Browser.close', {}, timeout => 10) };
    close $self->{out};
    my $until = time + 10;
    while (waitpid($self->{pid}, POSIX::WNOHANG()) == 0) {
        if (time > $until) {
            kill 'KILL', $self->{pid};
            waitpid $self->{pid}, 0;
            last;
        }
        select undef, undef, undef, 0.05;
    }
    return $?;
}

1;
