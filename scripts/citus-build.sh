#!/usr/bin/env bash
# Builds Citus from its source tarball into a cache outside the checkout, once,
# and installs it into this machine's PostgreSQL when the extension is missing
# there. Citus is not in Debian 12; it is a dependency of make test-citus, built
# as its own README says, never code of this project.
#
# CITUS_TARBALL  the source (default: citus-13.2.2.tar.gz in ../shared/citus/
#                beside the checkout, else in /work/shared/citus/), checked
#                against its SHA-256 below. Without it: exit 3, nothing done.
# CITUS_CACHE    where the built tree is kept (default /var/cache/nginx-trace);
#                a second run finds it there and only installs, if even that.
# Build dependencies come from scripts/deps.sh citus.
set -euo pipefail

checkout=$(cd "$(dirname "$0")/.." && pwd)
version=13.2.2
sha256=dd2453caec20a830e5e63f1def5c5a98cb6f57ae510407cdcd800916fcdab430
tarball=${CITUS_TARBALL:-}
if [ -z "$tarball" ]; then
  for dir in "$checkout/../shared/citus" /work/shared/citus; do
    if [ -r "$dir/citus-$version.tar.gz" ]; then
      tarball=$dir/citus-$version.tar.gz
      break
    fi
  done
fi
cache=${CITUS_CACHE:-/var/cache/nginx-trace}
tree=$cache/citus-$version
pg_config=${PG_CONFIG:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pg_config}

say() { printf 'citus: %s\n' "$*"; }
fail() { printf 'citus: FAILED: %s\n' "$*" >&2; exit 1; }

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

# Installed means both halves PostgreSQL loads: the library and the control file.
installed() {
  [ -e "$("$pg_config" --pkglibdir)/citus.so" ] &&
    [ -e "$("$pg_config" --sharedir)/extension/citus.control" ]
}

if installed; then
  exit 0
fi

if [ ! -e "$tree/.built" ]; then
  if [ ! -r "${tarball:-/nonexistent}" ]; then
    printf 'citus: no Citus %s source (%s); set CITUS_TARBALL\n' "$version" \
      "${tarball:-not in ../shared/citus/ or /work/shared/citus/}" >&2
    exit 3
  fi
  echo "$sha256  $tarball" | sha256sum --check --status ||
    fail "$tarball is not the citus-$version source this project was tested with (SHA-256 differs)"
  "$checkout/scripts/deps.sh" citus
  "${sudo[@]}" mkdir -p "$cache"
  "${sudo[@]}" chown "$(id -u):$(id -g)" "$cache"
  rm -rf "$tree"
  mkdir -p "$tree"
  tar -xzf "$tarball" -C "$tree" --strip-components=1
  say "building Citus $version in $tree (2 to 7 minutes, once; log in $tree/build.log)"
  started=$SECONDS
  # Built where it stays: configure writes the tree's absolute path into its
  # makefiles, which make install needs. .built marks a finished build, so an
  # interrupted one is started again.
  if ! (cd "$tree" && ./configure PG_CONFIG="$pg_config" && make -j"$(nproc)") \
      >"$tree/build.log" 2>&1; then
    tail -n 30 "$tree/build.log" >&2
    fail "the build failed; its log is $tree/build.log"
  fi
  touch "$tree/.built"
  say "built in $((SECONDS - started)) s"
fi

# make install writes into PostgreSQL's own lib/ and share/ (PostgreSQL 15 has
# no extension_control_path). The tree's top Makefile has no uninstall; its
# parts do: make -C $tree/src/backend/distributed uninstall, and .../columnar.
say "installing Citus $version into $("$pg_config" --pkglibdir)"
"${sudo[@]}" make -C "$tree" install >"$tree/install.log" 2>&1 ||
  { cat "$tree/install.log" >&2; fail "make install failed"; }
installed || fail "make install ran but citus.so or citus.control is still missing"
