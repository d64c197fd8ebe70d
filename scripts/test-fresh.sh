#!/usr/bin/env bash
# make test-fresh: the README's commands on a pristine Debian 12, as someone
# who has just cloned the repository meets them. This machine's own packages
# prove nothing: a root made by mmdebstrap has only apt, make, git and
# ca-certificates.
#
#   1. A pristine bookworm root with the committed HEAD cloned into /src; there,
#      as root: `make test` must end "N passed, 0 failed"; `make run` in the
#      background until it prints its URL, one request to the demo that then
#      shows in `trace-ctl requests`, SIGINT, and nothing it started may still
#      run; then `make deb`.
#   2. A second pristine root: the two packages from step 1 installed with apt
#      and checked by scripts/test-package.sh.
#
# Downloaded .debs are kept in FRESH_CACHE (default /var/cache/nginx-trace-fresh),
# so a second run downloads little. The roots live under FRESH_DIR (default
# /var/tmp) and are always unmounted and removed, on failure and Ctrl-C too;
# FRESH_KEEP=1 keeps them for a look (still unmounted).
# Usage: test-fresh.sh [STEP...]   STEP: test, run, deb, package (default: all).
set -euo pipefail

checkout=$(cd "$(dirname "$0")/.." && pwd)
cache=${FRESH_CACHE:-/var/cache/nginx-trace-fresh}
workdir=${FRESH_DIR:-/var/tmp}
suite=bookworm
steps=" ${*:-test run deb package} "
started=$SECONDS

say() { printf 'test-fresh: %s\n' "$*"; }
fail() { printf 'test-fresh: FAILED: %s\n' "$*" >&2; exit 1; }
elapsed() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
wants() { case "$steps" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

[ "$(id -u)" -eq 0 ] || fail "must run as root (it makes a chroot and mounts /proc, /sys and /dev in it)"
"$checkout/scripts/deps.sh" --only fresh

sources=
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
  [ -s "$f" ] && { sources=$f; break; }
done
[ -n "$sources" ] || fail "no apt sources on this machine (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list)"
[ -z "$(git -C "$checkout" status --porcelain --untracked-files=no)" ] ||
  say "note: uncommitted changes in $checkout are not tested; the root gets the committed HEAD"
mkdir -p "$cache/archives/partial"

# --- roots: made, entered, and always taken down ---------------------------------

roots=()

# Every mount at or below $1, deepest first.
mounts_under() {
  awk -v root="$1" '{ gsub(/\\040/, " ", $5) } $5 == root || index($5, root "/") == 1 { print $5 }' \
    /proc/self/mountinfo | sort -r
}

# Processes whose root directory is inside $1: what a chroot started.
processes_in() {
  local p dir
  for p in /proc/[0-9]*; do
    dir=$(readlink "$p/root" 2>/dev/null) || continue
    case "$dir" in "$1" | "$1"/*) echo "${p#/proc/}" ;; esac
  done
}

teardown() {
  local root=$1 m left
  left=$(processes_in "$root")
  if [ -n "$left" ]; then
    kill -TERM $left 2>/dev/null || true
    sleep 2
    left=$(processes_in "$root")
    [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
  fi
  for m in $(mounts_under "$root"); do
    umount -R -l "$m" 2>/dev/null || true
  done
  if [ -n "$(mounts_under "$root")" ]; then
    echo "test-fresh: $root still has mounts; not removing it" >&2
    return
  fi
  if [ -n "${FRESH_KEEP:-}" ]; then
    say "kept $root"
  else
    rm -rf --one-file-system "$root"
  fi
}

cleanup() {
  local status=$? root
  trap - EXIT INT TERM
  for root in "${roots[@]}"; do
    teardown "$root"
  done
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A pristine root with the machine's own apt sources; /proc, /sys and /dev
# mounted (as slaves, so that nothing done to them inside reaches the host's),
# and the package cache bound to ours. Sets $root (not a subshell's output, so
# that `roots`, which the EXIT trap takes down, knows it).
make_root() {
  local t=$SECONDS
  root=$(mktemp -d "$workdir/nginx-trace-fresh.XXXXXX")
  roots+=("$root")
  chmod 755 "$root"   # "/" of the root: postgres and nobody must traverse it
  mmdebstrap --quiet --variant=apt --include=make,git,ca-certificates \
    --skip=essential/unlink \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
    --setup-hook="sync-in $cache/archives /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives $cache/archives" \
    "$suite" "$root" "$sources" >&2
  # What any installed machine has and mmdebstrap leaves out: name resolution.
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  [ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n' >"$root/etc/hosts"
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
  mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
  mount --bind "$cache/archives" "$root/var/cache/apt/archives"
  say "pristine $suite root in $root ($(elapsed $t))"
}

# Runs a shell command inside $1 as root would on a new machine: a login-like
# environment, nothing of ours.
in_root() {
  local root=$1
  shift
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$*"
}

# --- 1. the README's commands ------------------------------------------------------

make_root
git clone -q "$checkout" "$root/src"
say "cloned $(git -C "$root/src" log -1 --format='%h %s')"

if wants test; then
  t=$SECONDS
  say "make test in the pristine root"
  log=$root/make-test.log
  in_root "$root" 'cd /src && make test' 2>&1 | tee "$log" || true
  summary=$(tail -n 1 "$log")
  [[ $summary =~ ^[0-9]+\ passed,\ 0\ failed$ ]] || fail "make test in the pristine root: '$summary'"
  say "make test in the pristine root: $summary ($(elapsed $t))"
fi

if wants run; then
  t=$SECONDS
  say "make run in the pristine root"
  log=$root/make-run.log
  # Its own process group, so that SIGINT reaches all of it, as Ctrl-C would.
  setsid chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c 'cd /src && exec make run' >"$log" 2>&1 &
  run_pid=$!
  url=
  for _ in $(seq 1 1200); do   # a first run builds and installs: up to 10 minutes
    url=$(sed -n 's|^nginx-trace demo: nginx with the module on \(http://[0-9.:]*/\)$|\1|p' "$log")
    [ -n "$url" ] && break
    kill -0 "$run_pid" 2>/dev/null || { cat "$log"; fail "make run exited before printing its URL"; }
    sleep 0.5
  done
  [ -n "$url" ] || { cat "$log"; fail "make run printed no URL"; }
  # nginx starts right after the URL is printed.
  for _ in $(seq 1 50); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -u demo:demo "${url}private/?fresh=1" || true)
    [ "$code" = 200 ] && break
    sleep 0.2
  done
  [ "$code" = 200 ] || { cat "$log"; fail "curl -u demo:demo ${url}private/ answered '$code'"; }
  say "make run: $url answered 200"
  listing=
  for _ in $(seq 1 50); do
    listing=$(in_root "$root" 'cd /src && build/trace-ctl -c var/trace.toml requests --user demo' || true)
    grep -q '/private/?fresh=1' <<<"$listing" && break
    sleep 0.2
  done
  grep -q '/private/?fresh=1' <<<"$listing" ||
    { echo "$listing"; cat "$log"; fail "the request is not in trace-ctl requests"; }
  printf '%s\n' "$listing" | sed 's/^/    /'
  kill -INT -- "-$run_pid"
  for _ in $(seq 1 100); do
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -0 "$run_pid" 2>/dev/null && fail "make run still runs 20 s after SIGINT"
  sleep 1   # pg_ctl stop -w has returned; let its children go
  left=$(processes_in "$root")
  if [ -n "$left" ]; then
    ps -o pid,user,args -p $left || true
    fail "still running after make run stopped"
  fi
  grep -q '^stopping PostgreSQL' "$log" || { cat "$log"; fail "make run did not stop PostgreSQL"; }
  say "make run: stopped by SIGINT, nothing left running ($(elapsed $t))"
fi

debs=$workdir/nginx-trace-fresh-debs.$$
if wants deb || wants package; then
  t=$SECONDS
  say "make deb in the pristine root"
  log=$root/make-deb.log
  in_root "$root" 'cd /src && make deb' >"$log" 2>&1 || { tail -n 60 "$log"; fail "make deb in the pristine root"; }
  tail -n 5 "$log"
  rm -rf "$debs" && mkdir -p "$debs"
  cp "$root"/src/build/deb/*.deb "$debs"/ 2>/dev/null || fail "make deb left no .deb in build/deb/"
  # The package test as committed, like everything else here.
  cp "$root/src/scripts/test-package.sh" "$debs/"
  say "make deb: $(cd "$debs" && echo *.deb) ($(elapsed $t))"
fi
teardown "$root"
roots=()

# --- 2. the packages on a second pristine machine -----------------------------------

if wants package; then
  t=$SECONDS
  make_root
  # Installing nginx must not start a service that listens on the host's :80.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  mkdir "$root/debs"
  cp "$debs"/* "$root/debs/"
  rm -rf "$debs"
  say "package test in a second pristine root"
  log=$root/package-test.log
  in_root "$root" 'bash /debs/test-package.sh /debs' 2>&1 | tee "$log" || true
  summary=$(tail -n 1 "$log")
  [[ $summary =~ ^package\ test:\ [0-9]+\ passed,\ 0\ failed$ ]] || fail "package test: '$summary'"
  say "$summary ($(elapsed $t))"
fi
rm -rf "$debs"

say "all passed ($(elapsed $started))"
