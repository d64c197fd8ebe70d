#!/usr/bin/perl
# The dependencies between the files of the C shim (ngx_module/*.c, *.h), and
# a check that they have no cycle:
#   includes  FILE -> HEADER, from the #include lines of the sources;
#   calls     FILE.c -> FILE.c, from the compiled objects: a function one
#             object needs (nm: undefined) that another defines. Taking a
#             handler's address (the command table) counts as a call.
# Every file also reads the module object, ngx_http_trace_module (defined in
# ngx_http_trace_module.c), for its configuration and context, as in any
# nginx module; that is data, listed apart, and not part of the call graph.
# Usage: scripts/shim-graph.pl [BUILD_DIR]   (after make; exit 1 on a cycle)

use strict;
use warnings;

my $build = shift // 'build';
my $objs = "$build/nginx/objs/addon/ngx_module";
my $module_object = 'ngx_http_trace_module';

chdir "ngx_module" or die "run from the repository's root\n";
my @files = sort glob('ngx_http_trace_*.c ngx_http_trace_*.h');

# --- includes ---------------------------------------------------------------------
my %includes;
for my $f (@files) {
    open my $fh, '<', $f or die "$f: $!\n";
    while (<$fh>) {
        $includes{$f}{$1} = 1 if /^\s*#\s*include\s+"(ngx_http_trace_[a-z_]+\.h)"/;
    }
}

# --- calls, from the objects ------------------------------------------------------
chdir '..';
my (%defined_in, %needs);
for my $c (grep { /\.c$/ } @files) {
    (my $o = "$objs/$c") =~ s/\.c$/.o/;
    -e $o or die "$o is missing: run make first\n";
    for (`nm -P $o`) {
        my ($name, $type) = split;
        if ($type eq 'U') { $needs{$c}{$name} = 1 }
        elsif ($type =~ /^[TDBRC]$/) { $defined_in{$name} = $c }
    }
}
my (%calls, %readers);
for my $c (sort keys %needs) {
    for my $sym (sort keys %{ $needs{$c} }) {
        my $owner = $defined_in{$sym} or next;
        next if $owner eq $c;
        if ($sym eq $module_object) { $readers{$c} = 1; next }
        push @{ $calls{$c}{$owner} }, $sym;
    }
}

# --- print, and look for cycles ---------------------------------------------------
print "includes (file -> header):\n";
for my $f (@files) {
    print "  $f -> $_\n" for sort keys %{ $includes{$f} || {} };
}
print "calls (file -> file: what it calls):\n";
for my $c (sort keys %calls) {
    for my $to (sort keys %{ $calls{$c} }) {
        print "  $c -> $to: ", join(' ', @{ $calls{$c}{$to} }), "\n";
    }
}
print "read the module object $module_object: ", join(' ', sort keys %readers), "\n";

my $cycles = 0;
for my $graph (['includes', { map { my $f = $_; $f => [sort keys %{ $includes{$f} || {} }] } @files }],
               ['calls', { map { my $f = $_; $f => [sort keys %{ $calls{$f} || {} }] } @files }]) {
    my ($name, $edges) = @$graph;
    my %state;    # 1: on the path, 2: done
    my @path;
    my $visit;
    $visit = sub {
        my ($n) = @_;
        return if ($state{$n} // 0) == 2;
        if (($state{$n} // 0) == 1) {
            my @loop = (@path[(grep { $path[$_] eq $n } 0 .. $#path)[0] .. $#path], $n);
            print "cycle in $name: ", join(' -> ', @loop), "\n";
            $cycles++;
            return;
        }
        $state{$n} = 1;
        push @path, $n;
        $visit->($_) for @{ $edges->{$n} || [] };
        pop @path;
        $state{$n} = 2;
    };
    $visit->($_) for sort keys %$edges;
}
print $cycles ? "$cycles cycles\n" : "no cycle in includes or calls\n";
exit($cycles ? 1 : 0);
