#!/usr/bin/perl
# Runs every test, unit (GoogleTest) and integration (t/*.t, TAP), and ends
# with one line: "N passed, M failed". Each assertion counts once; a test file
# that dies or times out counts as one more failure.
# Usage: run-tests.pl [--no-unit] BUILD_DIR [t/file.t ...]
# --no-unit: the integration tests named only (make test-citus).

use strict;
use warnings;
use Time::HiRes qw(time);

my $unit = !(@ARGV && $ARGV[0] eq '--no-unit' && shift @ARGV);
my ($build, @files) = @ARGV;
$build //= 'build';
@files = sort glob('t/*.t') unless @files;
my $file_timeout = $ENV{TRACE_TEST_TIMEOUT} // 900;
$ENV{TRACE_BUILD} = Cwd::abs_path($build) if eval { require Cwd; 1 };

my ($passed, $failed) = (0, 0);
my @failures;
print "sanitizers: $ENV{TRACE_SANITIZE} (nginx preloads $ENV{TRACE_NGINX_PRELOAD})\n"
    if $ENV{TRACE_SANITIZE};

# --- unit tests ----------------------------------------------------------------
if ($unit) {
    my $started = time;
    my $out = `$build/unit-tests --gtest_color=no 2>&1`;
    my $rc = $? >> 8;
    my ($ok) = $out =~ /\[  PASSED  \] (\d+) test/;
    my ($bad) = $out =~ /\[  FAILED  \] (\d+) test/;
    $ok //= 0;
    $bad //= 0;
    $bad = 1 if $rc && !$bad;
    $passed += $ok;
    $failed += $bad;
    printf "%-32s %s (%d passed, %.1fs)\n", 'unit tests', $bad ? 'FAILED' : 'ok', $ok,
        time - $started;
    if ($bad) {
        print map { "    $_\n" } grep { /FAILED|Failure|error/i } split /\n/, $out;
        push @failures, 'unit tests';
    }
}

# --- integration tests ---------------------------------------------------------
for my $file (@files) {
    my $started = time;
    my @tap = `timeout --kill-after=10 $file_timeout perl -I t/lib $file 2>&1`;
    my $rc = $? >> 8;
    my ($ok, $bad, $planned, $ran) = (0, 0, undef, 0);
    my @notes;
    for (@tap) {
        if (/^ok \d+/) { $ok++; $ran++ }
        elsif (/^not ok \d+/) {
            if (/# TODO/) { $ok++ } else { $bad++; push @notes, $_ }
            $ran++;
        }
        elsif (/^1\.\.(\d+)/) { $planned = $1 }
        elsif (/^#/ && $bad) { push @notes, $_ }
    }
    my $problem = '';
    if ($rc == 124 || $rc == 137) { $problem = "timed out after ${file_timeout}s" }
    elsif (!defined $planned) { $problem = 'no plan: the test died early' }
    elsif ($planned != $ran) { $problem = "planned $planned, ran $ran" }
    elsif ($rc && !$bad) { $problem = "exited with $rc" }
    if ($problem) {
        $bad++;
        push @notes, "$problem\n", grep { !/^(ok|not ok) / } @tap[($#tap < 20 ? 0 : -20) .. -1];
    }
    $passed += $ok;
    $failed += $bad;
    printf "%-32s %s (%d passed, %.1fs)\n", $file, $bad ? 'FAILED' : 'ok', $ok, time - $started;
    if ($bad) {
        print map { "    $_" } grep { defined } @notes;
        push @failures, $file;
    }
}

print "failed: @failures\n" if @failures;
print "$passed passed, $failed failed\n";
exit($failed ? 1 : 0);
