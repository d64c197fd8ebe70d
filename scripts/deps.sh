#!/usr/bin/env bash
# Installs the Debian packages that building, testing and running nginx-trace need,
# and only those that are missing. Quiet when everything is already there.
# Usage: deps.sh [--only] [SET...]: the base set, plus the named extra sets: `fuzz`
# (clang and its runtimes, for make fuzz), `bench` (rsyslog and its PostgreSQL
# output, for make bench's syslog variant), `fresh` (mmdebstrap, for make
# test-fresh), `deb` (dpkg-buildpackage, debhelper and lintian, for make deb;
# the libraries of debian/control's Build-Depends are in the base set, and
# dh-sequence-nginx comes with nginx-dev), `citus` (what building Citus from its
# source needs, for make test-citus). The base set is what make test needs;
# prometheus is there for its promtool, which checks the Prometheus text that
# trace_status and check-resources --textfile write; curl for the HTTP/2 and
# TLS requests of t/request_upstream.t; libcpp-httplib-dev and libcrypt-dev for
# trace-ctl serve (its HTTP server, and crypt_r for --htpasswd); chromium for the
# console's tests in a real browser (t/console_browser.t); libxxhash-dev for the
# hash of the block summaries (header-only: nothing of it is needed at run time);
# faketime runs trace-ctl check-resources at a clock the test chooses, so that
# t/check_resources_trend.t's rates and times to full are exact.
#
# Installing nginx or postgresql must not start or restart system services on a
# machine where they already run (or would grab :80 and :5432): a temporary
# policy-rc.d forbids service starts for the duration of the install.
set -euo pipefail

packages=(
  nginx nginx-dev libpcre2-dev libpq-dev libesmtp-dev libcli11-dev libcurl4-openssl-dev
  postgresql libtomlplusplus-dev nlohmann-json3-dev libgtest-dev libssl-dev zlib1g-dev
  libdbd-pg-perl libnet-server-mail-perl python3-aiosmtpd wrk g++ make pkg-config
  openssl procps prometheus curl libcpp-httplib-dev libcrypt-dev chromium libxxhash-dev faketime
)
bench_packages=(rsyslog rsyslog-pgsql)
deb_packages=(build-essential debhelper dpkg-dev lintian git)
# Citus's configure and build (scripts/citus-build.sh); libkrb5-dev for
# gssapi/gssapi.h, which its build includes whatever is configured.
citus_packages=(
  postgresql-server-dev-15 build-essential autoconf libcurl4-openssl-dev liblz4-dev libkrb5-dev
  libssl-dev libzstd-dev libicu-dev libxml2-dev
)

# --only SET...: just those sets, without the base set (make test-fresh needs
# nothing of the project's on the machine it runs on).
if [ "${1:-}" = --only ]; then
  packages=()
  shift
fi
for set in "$@"; do
  case "$set" in
    fuzz) packages+=(clang libclang-rt-dev) ;;  # make fuzz: libFuzzer and clang's sanitizers
    bench) packages+=("${bench_packages[@]}") ;;
    fresh) packages+=(mmdebstrap curl) ;;       # make test-fresh: a pristine root, a request to its demo
    deb) packages+=("${deb_packages[@]}") ;;
    citus) packages+=("${citus_packages[@]}") ;;
    *) echo "deps: unknown package set '$set'" >&2; exit 2 ;;
  esac
done

# One dpkg-query for all packages keeps a no-op run fast. It exits 1 when it
# has never heard of one of them (a machine that never saw the package), so
# its status is ignored: what it prints about the others is what counts.
installed=" $({ dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${packages[@]}" 2>/dev/null || true; } |
  awk '$1 == "installed" { printf "%s ", $2 }') "
missing=()
for p in "${packages[@]}"; do
  case "$installed" in *" $p "*) ;; *) missing+=("$p") ;; esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

# postgresql-server-dev-15 at exactly the installed server's version: a newer
# 15.x of it would make apt upgrade the server, libpq5 and the client with it.
# A machine without the server yet gets both from the same apt run, and so
# from the same source version.
server_version=$({ dpkg-query -W -f='${db:Status-Status} ${Version}\n' postgresql-15 2>/dev/null || true; } |
  awk '$1 == "installed" { print $2 }')
for i in "${!missing[@]}"; do
  if [ "${missing[$i]}" = postgresql-server-dev-15 ] && [ -n "$server_version" ]; then
    missing[$i]=postgresql-server-dev-15=$server_version
  fi
done

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "deps: missing packages (${missing[*]}) and not root; install them as root" >&2
    exit 1
  fi
fi

echo "deps: installing ${missing[*]}" >&2
# POLICY_RC_D: only for t/deps.t, which must not touch the real one.
policy=${POLICY_RC_D:-/usr/sbin/policy-rc.d}
added_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  added_policy=1
fi
cleanup() { [ -z "$added_policy" ] || "${sudo[@]}" rm -f "$policy"; }
trap cleanup EXIT

# rsyslog-pgsql's postinst would offer (dbconfig-common) to create a database
# for a system rsyslog; the benchmark brings its own.
case " ${missing[*]} " in
  *" rsyslog-pgsql "*)
    echo "rsyslog-pgsql rsyslog-pgsql/dbconfig-install boolean false" |
      "${sudo[@]}" debconf-set-selections ;;
esac

log=$(mktemp)
if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
       "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
         --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "deps: apt-get failed" >&2
  exit 1
fi
rm -f "$log"
