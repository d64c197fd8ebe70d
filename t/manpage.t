# trace-ctl(1) (packaging/trace-ctl.1, written by hand) describes every command
# and every option that trace-ctl's own --help lists, and nothing it does not
# have: an option added to trace-ctl without a word in the man page fails here.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Trace::Test;

my $page = Trace::Test::root() . '/packaging/trace-ctl.1';
my $ctl = Trace::Test::build() . '/trace-ctl';

# The roff source as plain text, split into its sections: .SH NAME and, for
# the commands, .SS NAME. Escapes are reduced to the characters they print.
my (%section, $current);
for my $line (split /\n/, Trace::Test::slurp($page)) {
    next if $line =~ /^\.\\"/;
    $line =~ s/\\f[BIRP]//g;
    $line =~ s/\\-/-/g;
    $line =~ s/\\&//g;
    $line =~ s/\\\(aq/'/g;
    $line =~ s/\\\(dq/"/g;
    if ($line =~ /^\.S[HS]\s+"?([^"]+?)"?\s*$/) {
        $current = $1;
        $section{$current} //= '';
        next;
    }
    $line =~ s/^\.\w+\s*//;    # a macro's arguments are text
    $line =~ s/"//g;
    $section{$current} .= "$line\n" if defined $current;
}

# Options of one --help: long names and short letters.
sub help_options {
    my (@args) = @_;
    my ($rc, $out, $err) = Trace::Test::run($ctl, @args, '--help');
    is($rc, 0, "trace-ctl @args --help answers") or diag($err);
    my @opts;
    for (split /\n/, $out) {
        next unless /^\s{2}(?:(-\w),)?(--[a-z][\w-]*)/;
        next if $2 eq '--help';
        push @opts, grep { defined } $1, $2;
    }
    return ($out, @opts);
}

sub mentions {
    my ($text, $opt) = @_;
    return ($text // '') =~ /(?<![\w-])\Q$opt\E(?![\w-])/;
}

my ($top, @global) = help_options();
ok(@global >= 4, 'trace-ctl --help lists the global options') or diag($top);
for my $opt (@global) {
    ok(mentions($section{OPTIONS}, $opt), "OPTIONS describes $opt");
}
ok(mentions($section{OPTIONS}, '--help'), 'OPTIONS describes --help');

my ($commands) = $top =~ /^Subcommands:\n(.*?)(?:\n\n|\z)/ms;
my @commands = ($commands // '') =~ /^  (\w[\w-]*)/mg;
ok(@commands >= 6, 'trace-ctl --help lists the commands') or diag($top);
for my $cmd (@commands) {
    ok(exists $section{$cmd}, "COMMANDS has a section for $cmd") or next;
    my (undef, @opts) = help_options($cmd);
    ok(mentions($section{$cmd}, $_), "$cmd: the man page describes $_") for @opts;
}

# ... and no section for a command that does not exist.
my %known = map { $_ => 1 } @commands;
my @sections = grep { /^[a-z][\w-]*$/ } sort keys %section;
is_deeply([grep { !$known{$_} } @sections], [], 'every command section names a command');

# The man page renders without a warning, where man-db is installed.
SKIP: {
    my $man = -x '/usr/bin/man' ? '/usr/bin/man' : undef;
    skip 'man-db is not installed', 1 unless $man;
    my ($rc, $out, $err) = Trace::Test::run({ env => { LC_ALL => 'C.UTF-8', MANWIDTH => 80 } },
        $man, '--warnings', '-E', 'UTF-8', '-l', $page);
    is("rc=$rc $err", 'rc=0 ', 'man --warnings renders it silently');
}

done_testing();
