#!/usr/bin/env bash
# Builds the Debian packages (libnginx-mod-http-trace, trace-ctl) with
# dpkg-buildpackage, from a copy of the checkout under build/deb-build/, so
# that nothing is written outside the checkout (dpkg-buildpackage puts its
# results into the parent directory of the tree it builds) and the checkout's
# own build/ stays out of the package. Runs lintian on the result: any error
# fails. The .deb files, the source package, .buildinfo and .changes end up
# in OUT_DIR (default build/deb).
# Usage: build-deb.sh [OUT_DIR]     (make deb installs the tools first)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/deb}
cd "$root"

version=$(sed -n 's/^#define TRACE_VERSION "\(.*\)"/\1/p' common/trace_version.h)
deb_version=$(dpkg-parsechangelog -S Version)
if [ "${deb_version%-*}" != "$version" ]; then
  echo "deb: debian/changelog is at $deb_version but common/trace_version.h at $version:" >&2
  echo "deb: add a debian/changelog entry for $version (e.g. dch -v $version, from devscripts) and build again" >&2
  exit 1
fi

stage=$root/build/deb-build
tree=$stage/nginx-trace-$version
rm -rf "$stage" "$out"
mkdir -p "$tree" "$out"

# The files of the checkout: what git tracks or would track (build/, build-*/
# and var are ignored), as they are in the work tree. Without git (an
# unpacked tarball), everything but the build trees.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
      # tracked files deleted in the work tree are left out
      if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
    done |
    tar --null --no-recursion -T - -cf - | tar -C "$tree" -xf -
else
  tar --exclude=./build --exclude='./build-*' --exclude=./var --exclude=./.git -cf - . |
    tar -C "$tree" -xf -
fi

# A clean environment for the package build: make's variables of the calling
# `make deb` (MAKEFLAGS carries its command-line overrides and jobserver) must
# not reach debian/rules.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES BUILD
jobs=$(nproc 2>/dev/null || echo 1)

started=$(date +%s)
echo "deb: building nginx-trace $version in $tree (log: $stage/build.log)"
if ! (cd "$tree" && dpkg-buildpackage --no-sign -J"$jobs") >"$stage/build.log" 2>&1; then
  tail -n 40 "$stage/build.log" >&2
  echo "deb: dpkg-buildpackage failed; the whole log is $stage/build.log" >&2
  exit 1
fi
built=$(date +%s)

shopt -s nullglob
results=("$stage"/*.deb "$stage"/*.dsc "$stage"/*.tar.* "$stage"/*.buildinfo "$stage"/*.changes)
mv "${results[@]}" "$out"/
changes=("$out"/*.changes)

# lintian on the .changes checks the source package and every .deb. Any
# error fails; warnings and the rest are shown.
echo "deb: lintian"
set +e
lintian --fail-on error --display-info "${changes[@]}" 2>&1 | tee "$stage/lintian.log"
lint=${PIPESTATUS[0]}
set -e
if [ "$lint" -ne 0 ]; then
  echo "deb: lintian found errors (above; also in $stage/lintian.log)" >&2
  exit 1
fi
grep -q '^[A-Z]: ' "$stage/lintian.log" || echo "deb: lintian: no tags (overrides: debian/*.lintian-overrides)"

echo "deb: built in $((built - started)) s, lintian $(($(date +%s) - built)) s; packages in $out:"
for f in "$out"/*.deb; do echo "  $f"; done
