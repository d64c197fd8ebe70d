#!/usr/bin/perl
# Lists every extern "C" entry of the core (ngx_module/core/*.cpp) with the
# guard it runs through, and fails when one of them does not end in a
# trace::guarded(...) call, or when a function trace_core.h declares has no
# such entry. What an entry does before its guard is printed, to be read: it
# must be code that cannot throw.
# Usage: scripts/core-guards.pl   (exit 1 when an entry is unguarded)

use strict;
use warnings;

my %declared;
open my $h, '<', 'ngx_module/trace_core.h' or die "run from the repository's root\n";
my $header = do { local $/; <$h> };
$declared{$1} = 1 while $header =~ /^TRACE_API\b[^(]*?\b(trace_\w+)\(/mg;

my ($bad, %defined) = (0);
for my $file (sort glob('ngx_module/core/*.cpp')) {
    open my $fh, '<', $file or die "$file: $!\n";
    my $text = do { local $/; <$fh> };
    while ($text =~ /^extern "C" [^(]*?\b(trace_\w+)\((.*?)^\}$/msg) {
        my ($name, $rest) = ($1, $2);
        $defined{$name} = 1;
        my ($before, $guard) = $rest =~ /\)\s*\{\n(.*?)^\s*(?:return )?trace::guarded\(([^,]+),/ms;
        if (!defined $guard || $rest !~ /\}\);\n\z/) {
            print "UNGUARDED $name ($file)\n";
            $bad++;
            next;
        }
        $guard =~ s/^trace:://;
        $guard =~ s/\{.*//;
        $before =~ s/^\s*(?:\/\/.*)?\n//mg;
        $before =~ s/\s+/ /g;
        printf "%-28s %-14s %s%s\n", $name, $guard, $file =~ s{.*/}{}r,
            $before =~ /\S/ ? "   before the guard: $before" : '';
    }
}
for my $name (sort keys %declared) {
    next if $defined{$name};
    print "DECLARED BUT NOT FOUND $name\n";
    $bad++;
}
printf "%d entries, %s\n", scalar(keys %defined), $bad ? "$bad problems" : 'all guarded';
exit($bad ? 1 : 0);
