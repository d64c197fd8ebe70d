#!/usr/bin/env bash
# Installs the Debian packages of nginx-trace on this machine and checks them
# as an administrator would use them: Debian's own nginx loads the module from
# modules-enabled, the installed trace-ctl migrates a database, one request
# lands in trace.requests, and remove and purge take away what they should.
#
# Meant for a pristine Debian 12 root (a chroot made with mmdebstrap
# --variant=apt), as root; it changes the system: it installs the packages,
# nginx, postgresql and curl, and removes the two packages again at the end.
# Servers are started by hand on free loopback ports (a private PostgreSQL
# under a temporary directory; nginx with Debian's configuration and the
# default site on :80 set aside) and stopped on exit, also on failure.
#
# Usage: test-package.sh DEB_DIR    (the directory with libnginx-mod-http-trace_*.deb
#                                    and trace-ctl_*.deb, e.g. build/deb of make deb)
# Prints "ok - ..." / "not ok - ..." per check, then
# "package test: N passed, M failed"; exit status 1 on any failure.
set -uo pipefail

deb_dir=${1:-}
if [ -z "$deb_dir" ] || [ ! -d "$deb_dir" ]; then
  echo "usage: $0 DEB_DIR" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test-package: must run as root (it installs packages)" >&2
  exit 2
fi
deb_dir=$(cd "$deb_dir" && pwd)
shopt -s nullglob
module_debs=("$deb_dir"/libnginx-mod-http-trace_*.deb)
ctl_debs=("$deb_dir"/trace-ctl_*.deb)
shopt -u nullglob
if [ ${#module_debs[@]} -ne 1 ] || [ ${#ctl_debs[@]} -ne 1 ]; then
  echo "test-package: need exactly one libnginx-mod-http-trace_*.deb and one trace-ctl_*.deb in $deb_dir" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C.UTF-8
cd /

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: one line for the outcome of COMMAND.
check() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# A command's output, indented, when a check needs explaining.
show() { sed 's/^/    # /' "$@" >&2; }

base=$(mktemp -d /tmp/nginx-trace-package-test.XXXXXX)
chmod 0755 "$base"
log=$base/log
nginx_pid=
pg_data=
pg_ctl=
added_policy=
default_site_moved=
conf=/etc/nginx/conf.d/nginx-trace-package-test.conf
spool=/var/spool/nginx-trace-package-test

cleanup() {
  if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill -TERM "$nginx_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nginx_pid" 2>/dev/null
  fi
  if [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1
  fi
  rm -f "$conf"
  rm -rf "$spool"
  if [ -n "$default_site_moved" ] && [ ! -e /etc/nginx/sites-enabled/default ]; then
    mv "$base/default-site" /etc/nginx/sites-enabled/default 2>/dev/null
  fi
  [ -z "$added_policy" ] || rm -f /usr/sbin/policy-rc.d
  rm -rf "$base"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Installing nginx and postgresql must not start their services (:80, :5432).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  added_policy=1
fi

free_port() {
  perl -MIO::Socket::INET -e '
    for (1 .. 100) {
      my $port = 20000 + int rand 12000;
      my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port,
        Proto => "tcp", Listen => 1) or next;
      print "$port\n"; exit 0;
    }
    exit 1;'
}

# --- installation -------------------------------------------------------------

if { apt-get update -qq &&
     apt-get install -y -q "${module_debs[0]}" "${ctl_debs[0]}" postgresql curl; } >"$log" 2>&1; then
  ok "apt-get installs both packages, postgresql and curl"
else
  not_ok "apt-get installs both packages, postgresql and curl"
  tail -n 30 "$log" | show
  echo "package test: $passed passed, $failed failed"
  exit 1
fi

check "the module depends on Debian's nginx ABI (nginx-abi-*)" \
  bash -c 'dpkg-query -W -f="\${Depends}" libnginx-mod-http-trace | grep -q "nginx-abi-"'
check "Debian's nginx came with it" \
  test "$(dpkg-query -W -f='${Status}' nginx 2>/dev/null)" = "install ok installed"
version=$(dpkg-query -W -f='${Version}' trace-ctl)
check "module in /usr/lib/nginx/modules" test -f /usr/lib/nginx/modules/ngx_http_trace_module.so
check "load_module line in /usr/share/nginx/modules-available/mod-http-trace.conf" \
  grep -qx 'load_module modules/ngx_http_trace_module.so;' \
  /usr/share/nginx/modules-available/mod-http-trace.conf
check "enabled by the symlink /etc/nginx/modules-enabled/50-mod-http-trace.conf" \
  test "$(readlink /etc/nginx/modules-enabled/50-mod-http-trace.conf)" = \
  /usr/share/nginx/modules-available/mod-http-trace.conf
check "/usr/bin/trace-ctl --version says $version" \
  test "$(/usr/bin/trace-ctl --version)" = "trace-ctl $version"
check "man page trace-ctl(1)" test -f /usr/share/man/man1/trace-ctl.1.gz
check "/etc/nginx/trace.toml is mode 0640" test "$(stat -c %a /etc/nginx/trace.toml)" = 640
check "/etc/cron.d/nginx-trace runs /usr/bin/trace-ctl" \
  grep -q '/usr/bin/trace-ctl check-resources' /etc/cron.d/nginx-trace
check "/var/lib/nginx-trace is mode 0750" test "$(stat -c %a /var/lib/nginx-trace)" = 750
conffiles=$(dpkg-query -W -f='${Conffiles}' trace-ctl)
check "trace.toml and the cron file are conffiles" \
  bash -c 'grep -q " /etc/nginx/trace.toml " <<<"$1" && grep -q " /etc/cron.d/nginx-trace " <<<"$1"' _ "$conffiles "

# --- Debian's nginx.conf, untouched, loads the module ------------------------------

stock_md5=$(dpkg-query -W -f='${Conffiles}' nginx-common | awk '$1 == "/etc/nginx/nginx.conf" { print $2 }')
check "/etc/nginx/nginx.conf is Debian's, unedited" \
  test "$(md5sum < /etc/nginx/nginx.conf | cut -d' ' -f1)" = "$stock_md5"
nginx -T >"$base/nginx-T" 2>&1
if grep -q '^# configuration file /etc/nginx/modules-enabled/50-mod-http-trace.conf:' "$base/nginx-T" &&
   grep -q '^load_module modules/ngx_http_trace_module.so;' "$base/nginx-T"; then
  ok "nginx -T shows the load_module line, read from modules-enabled"
else
  not_ok "nginx -T shows the load_module line, read from modules-enabled"
  show "$base/nginx-T"
fi

# --- a private PostgreSQL, migrated with the installed trace-ctl --------------------

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
pg_ctl=$pg_bin/pg_ctl
pg_port=$(free_port)
pg_data=$base/pg/data
mkdir -p "$base/pg/sock"
chown -R postgres:postgres "$base/pg"
chmod 0700 "$base/pg"
(cd "$base/pg" &&
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 --no-sync --no-instructions &&
  runuser -u postgres -- "$pg_ctl" -D "$pg_data" -l "$base/pg/server.log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $pg_port -k $base/pg/sock -c fsync=off" start) \
  >"$log" 2>&1
if [ -f "$pg_data/postmaster.pid" ]; then
  ok "a private PostgreSQL runs on 127.0.0.1:$pg_port"
else
  not_ok "a private PostgreSQL runs on 127.0.0.1:$pg_port"
  show "$log"
fi
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
check "database trace created" psql_ -d postgres -c 'CREATE DATABASE trace'

db="host=127.0.0.1 port=$pg_port dbname=trace user=postgres"
if /usr/bin/trace-ctl --db "$db" migrate >"$log" 2>&1; then
  ok "the installed trace-ctl migrates it (reading the installed /etc/nginx/trace.toml)"
else
  not_ok "the installed trace-ctl migrates it (reading the installed /etc/nginx/trace.toml)"
  show "$log"
fi
check "login role nginx_trace in trace_writer, for the module" \
  psql_ -d trace -c 'CREATE ROLE nginx_trace LOGIN IN ROLE trace_writer'

# --- nginx records a request ---------------------------------------------------------

http_port=$(free_port)
# Debian's default site listens on :80, which belongs to the host's nginx (if
# any); it is set aside while the test's nginx runs.
if [ -L /etc/nginx/sites-enabled/default ] || [ -e /etc/nginx/sites-enabled/default ]; then
  mv /etc/nginx/sites-enabled/default "$base/default-site" && default_site_moved=1
fi
cat >"$conf" <<EOF
# nginx-trace package test (scripts/test-package.sh); removed when it ends.
trace_db "host=127.0.0.1 port=$pg_port dbname=trace user=nginx_trace";
trace_flush_interval 200ms;
trace_spool $spool max_size=16m;

server {
    listen 127.0.0.1:$http_port;
    server_name nginx-trace-package-test;
    trace on;
    trace_only_authenticated off;
    location / {
        return 200 "recorded\n";
    }
}
EOF
if nginx -t >"$log" 2>&1; then
  ok "nginx -t passes with trace_db and a traced server in conf.d"
else
  not_ok "nginx -t passes with trace_db and a traced server in conf.d"
  show "$log"
fi

nginx >"$log" 2>&1
for _ in $(seq 50); do [ -s /run/nginx.pid ] && break; sleep 0.1; done
nginx_pid=$(cat /run/nginx.pid 2>/dev/null)
if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
  ok "nginx starts with Debian's configuration (master pid $nginx_pid)"
else
  not_ok "nginx starts with Debian's configuration"
  show "$log"
  nginx_pid=
fi

path="/package-test/$$-$RANDOM"
body=$(curl -sS --max-time 10 "http://127.0.0.1:$http_port$path" 2>"$log")
check "curl gets an answer from the traced server" test "$body" = recorded

rows=0
for _ in $(seq 100); do    # at most 20 s
  rows=$(psql_ -d trace -tA -c "SELECT count(*) FROM trace.requests WHERE path = '$path'" 2>/dev/null)
  [ "${rows:-0}" -ge 1 ] && break
  sleep 0.2
done
check "the request is in trace.requests" test "${rows:-0}" = 1
/usr/bin/trace-ctl --db "$db" requests --path "^$path\$" --format csv >"$log" 2>&1
if grep -q ",GET,$path," "$log"; then
  ok "trace-ctl requests lists it"
else
  not_ok "trace-ctl requests lists it"
  show "$log"
fi

if [ -n "$nginx_pid" ]; then
  nginx -s quit >/dev/null 2>&1
  for _ in $(seq 100); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
  check "nginx stops" bash -c "! kill -0 $nginx_pid 2>/dev/null"
fi
if grep -E '\[(alert|crit|emerg)\]' /var/log/nginx/error.log >"$log" 2>/dev/null; then
  not_ok "nginx's error log has no alert, crit or emerg"
  show "$log"
else
  ok "nginx's error log has no alert, crit or emerg"
fi

# --- remove and purge -------------------------------------------------------------

check "apt-get remove libnginx-mod-http-trace" \
  bash -c 'apt-get remove -y -q libnginx-mod-http-trace >"$1" 2>&1' _ "$log"
check "the module is gone" test ! -e /usr/lib/nginx/modules/ngx_http_trace_module.so
check "the modules-enabled link is gone" test ! -e /etc/nginx/modules-enabled/50-mod-http-trace.conf \
  -a ! -L /etc/nginx/modules-enabled/50-mod-http-trace.conf
rm -f "$conf"
if nginx -t >"$log" 2>&1; then
  ok "nginx -t passes without the module (and without the test's trace_ directives)"
else
  not_ok "nginx -t passes without the module (and without the test's trace_ directives)"
  show "$log"
fi
# Debian's module packages keep a disabled link, *.removed, until purge, so
# that a reinstall enables the module again only if it was enabled before.
check "apt-get purge libnginx-mod-http-trace" \
  bash -c 'apt-get purge -y -q libnginx-mod-http-trace >"$1" 2>&1' _ "$log"
check "purge leaves nothing in modules-enabled" \
  bash -c '! ls /etc/nginx/modules-enabled/ | grep -q mod-http-trace'

touch /var/lib/nginx-trace/state.json    # as check-resources would leave it
check "apt-get remove trace-ctl" bash -c 'apt-get remove -y -q trace-ctl >"$1" 2>&1' _ "$log"
check "remove keeps the conffiles" test -f /etc/nginx/trace.toml -a -f /etc/cron.d/nginx-trace
# What cron would run now: nothing, and nothing to mail.
cron_out=$(grep -E '^[0-9*]' /etc/cron.d/nginx-trace | awk '{ $1=$2=$3=$4=$5=$6=""; print }' |
  while read -r job; do sh -c "$job" 2>&1; done)
check "the left-over cron lines stay silent without trace-ctl" test -z "$cron_out"
check "apt-get purge trace-ctl" bash -c 'apt-get purge -y -q trace-ctl >"$1" 2>&1' _ "$log"
check "purge removes /etc/nginx/trace.toml" test ! -e /etc/nginx/trace.toml
check "purge removes /etc/cron.d/nginx-trace" test ! -e /etc/cron.d/nginx-trace
check "purge removes /var/lib/nginx-trace" test ! -e /var/lib/nginx-trace
check "/usr/bin/trace-ctl is gone" test ! -e /usr/bin/trace-ctl

# --- stop PostgreSQL -------------------------------------------------------------

if runuser -u postgres -- "$pg_ctl" -D "$pg_data" -m fast -w stop >"$log" 2>&1; then
  ok "PostgreSQL stops"
else
  not_ok "PostgreSQL stops"
  show "$log"
fi

echo "package test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
