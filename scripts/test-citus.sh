#!/usr/bin/env bash
# make test-citus: the integration tests on a Citus cluster (t/citus/*.t). Citus
# is built from its source once and installed into this machine's PostgreSQL
# when missing (scripts/citus-build.sh); each test starts its own coordinator
# and two workers on free loopback ports (t/lib/Trace/Test/Citus.pm) and stops
# them when it ends, also on failure. make test leaves these tests out: it only
# globs t/*.t, and a test here skips itself where Citus is not installed.
# Usage: test-citus.sh BUILD_DIR [t/citus/file.t ...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
started=$SECONDS
rc=0
scripts/citus-build.sh || rc=$?
if [ "$rc" -eq 3 ]; then
  # No source to build Citus from, and none installed: said loudly, not failed,
  # so that a machine without the tarball still runs the other checks.
  echo "test-citus: SKIPPED: Citus is not installed and its source is not here"
  exit 0
fi
[ "$rc" -eq 0 ] || exit "$rc"
[ $# -gt 0 ] || set -- t/citus/*.t
# Here a test that finds no Citus fails instead of skipping.
TRACE_CITUS_REQUIRED=1 scripts/run-tests.pl --no-unit "$build" "$@"
echo "test-citus: $((SECONDS - started)) s"
