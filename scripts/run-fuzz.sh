#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS from its corpus in t/fuzz/NAME/, then
# merges the inputs it found interesting (new coverage only: -merge=1) back into
# t/fuzz/NAME/, so that the committed corpus grows and stays minimal.
#
# A crash, a broken invariant, a sanitizer report, a leak or a slow input
# (-timeout) fails the run; libFuzzer keeps the input that caused it in
# BUILD/artifacts/NAME/ (replay: BUILD/fuzz-NAME FILE).
#
# Usage: run-fuzz.sh BUILD SECONDS NAME...
set -uo pipefail

build=$1 seconds=$2
shift 2
failed=()

for target in "$@"; do
  bin=$build/fuzz-$target
  corpus=t/fuzz/$target
  work=$build/corpus/$target          # what this machine found, kept between runs
  artifacts=$build/artifacts/$target/
  log=$build/$target.log
  mkdir -p "$corpus" "$work" "$artifacts"
  dict=()
  [ -f "t/fuzz/$target.dict" ] && dict=(-dict="t/fuzz/$target.dict")
  before=$(find "$corpus" -type f | wc -l)

  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts" "${dict[@]}" "$work" "$corpus" >"$log" 2>&1; then
    echo "$target: FAILED (log: $log; reproducer: $(ls -t "$artifacts" | head -1 | sed "s|^|$artifacts|"))"
    grep -E 'ERROR|invariant|SUMMARY|^#[0-9]+ ' "$log" | tail -15 | sed 's/^/    /'
    failed+=("$target")
    continue
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  if ! "$bin" -merge=1 "${dict[@]}" "$corpus" "$work" >"$build/$target.merge.log" 2>&1; then
    echo "$target: merging the corpus failed (log: $build/$target.merge.log)"
    failed+=("$target")
    continue
  fi
  after=$(find "$corpus" -type f | wc -l)
  printf '%-16s ok: %s runs in %ss; corpus %s: %d -> %d inputs\n' \
    "$target" "$execs" "$seconds" "$corpus" "$before" "$after"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: $# targets, no crash"
