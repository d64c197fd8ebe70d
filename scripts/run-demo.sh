#!/usr/bin/env bash
# `make run`: a private PostgreSQL under ./var, migrated, and nginx in the
# foreground with the module and a small demo site. Ctrl-C stops both; a second
# run reuses ./var (its database, ports and key).
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
ROOT=$(pwd)
. "$ROOT/scripts/pg.sh"

# As root, PostgreSQL runs as `postgres` and nginx's workers as `nobody`, and
# both must reach the demo's files. A checkout inside a private directory (under
# /root, or made by mktemp -d) is out of their reach; the demo's state then lives
# in /var/lib/nginx-trace-demo/, one directory per checkout, and ./var is a
# symlink to it. Every path the servers see is the resolved one.
if [ "$(id -u)" -eq 0 ] && [ ! -L "$ROOT/var" ] && ! runuser -u nobody -- test -x "$ROOT"; then
  outside=/var/lib/nginx-trace-demo/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)
  mkdir -p /var/lib/nginx-trace-demo
  chmod 755 /var/lib/nginx-trace-demo
  if [ -d "$ROOT/var" ]; then
    if [ -e "$outside" ]; then
      echo "both $ROOT/var and $outside exist; remove the one you do not need" >&2
      exit 1
    fi
    mv -T "$ROOT/var" "$outside"      # an earlier run's ./var
  else
    mkdir -p "$outside"
  fi
  ln -s "$outside" "$ROOT/var"
  echo "$ROOT is not reachable for the postgres and nobody users;"
  echo "the demo keeps its state in $outside (./var points there)"
fi
VAR=$ROOT/var
[ -L "$VAR" ] && VAR=$(readlink -f "$VAR")

mkdir -p "$VAR/nginx/logs" "$VAR/nginx/html/private" "$VAR/nginx/tmp"
chmod 755 "$VAR" "$VAR/nginx" "$VAR/nginx/html" "$VAR/nginx/html/private"

# Ports are chosen once and remembered, so that URLs stay the same across runs.
[ -s "$VAR/pg.port" ] || free_port >"$VAR/pg.port"
[ -s "$VAR/http.port" ] || free_port >"$VAR/http.port"
PG_PORT=$(cat "$VAR/pg.port")
HTTP_PORT=$(cat "$VAR/http.port")

pg_init "$VAR/pg"
pg_start "$VAR/pg" "$PG_PORT"

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping PostgreSQL"
  pg_stop "$VAR/pg"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

ADMIN_DB="host=$VAR/pg/sock port=$PG_PORT dbname=trace user=postgres"
psql_admin() { as_postgres psql -X -q -h "$VAR/pg/sock" -p "$PG_PORT" -U postgres "$@"; }

if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'trace'")" != 1 ]; then
  psql_admin -d postgres -c 'CREATE DATABASE trace'
fi
"$BUILD/trace-ctl" --db "$ADMIN_DB" migrate
psql_admin -d trace -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nginx_trace') THEN
    CREATE ROLE nginx_trace LOGIN IN ROLE trace_writer;
  END IF;
END \$\$"

# The key that turns session cookies into hashes; the module and trace-ctl share it.
if [ ! -s "$VAR/session.key" ]; then
  (umask 077 && openssl rand -hex 32 >"$VAR/session.key")
fi

cat >"$VAR/trace.toml" <<EOF
# trace-ctl's configuration for the demo (see README.md for every key).
database = "$ADMIN_DB"
session_key_file = "$VAR/session.key"
max_log_count = 10000
status_url = "http://127.0.0.1:$HTTP_PORT/trace_status"
EOF

# The demo site: a public page, and a private area behind basic auth
# (user demo, password demo).
cat >"$VAR/nginx/html/index.html" <<'EOF'
<!doctype html>
<title>nginx-trace demo</title>
<h1>nginx-trace demo</h1>
<p>This page is public: anonymous requests are not recorded
(<code>trace_only_authenticated</code> is on by default).</p>
<p><a href="/private/">The private area</a> asks for a password (demo / demo);
everything you do there is recorded.</p>
EOF
cat >"$VAR/nginx/html/private/index.html" <<'EOF'
<!doctype html>
<title>private</title>
<h1>Signed in</h1>
<p>This request was recorded with your user name.</p>
EOF
printf 'demo:{PLAIN}demo\n' >"$VAR/nginx/htpasswd"
chmod 644 "$VAR/nginx/htpasswd" "$VAR/nginx/html/index.html" "$VAR/nginx/html/private/index.html"

user_line=
[ "$(id -u)" -eq 0 ] && user_line='user nobody nogroup;'

cat >"$VAR/nginx/nginx.conf" <<EOF
# Written by make run; edit freely, it is rewritten on the next run.
load_module $BUILD/ngx_http_trace_module.so;
$user_line
worker_processes 2;
error_log $VAR/nginx/logs/error.log notice;
pid $VAR/nginx/nginx.pid;
events { worker_connections 256; }

http {
    access_log $VAR/nginx/logs/access.log;
    client_body_temp_path $VAR/nginx/tmp/body;
    proxy_temp_path $VAR/nginx/tmp/proxy;
    fastcgi_temp_path $VAR/nginx/tmp/fastcgi;
    uwsgi_temp_path $VAR/nginx/tmp/uwsgi;
    scgi_temp_path $VAR/nginx/tmp/scgi;

    trace_db "host=127.0.0.1 port=$PG_PORT dbname=trace user=nginx_trace";
    trace_session_key $VAR/session.key;
    trace_flush_interval 500ms;
    trace_spool $VAR/nginx/spool;
    trace_session_zone 1m;

    server {
        listen 127.0.0.1:$HTTP_PORT;
        root $VAR/nginx/html;

        trace on;
        trace_session \$cookie_demo_session;
        trace_audit on;                 # wrong basic-auth passwords are login_failed

        location = /trace_status {
            trace_status;
            allow 127.0.0.1;
            deny all;
        }

        location /private/ {
            auth_basic "nginx-trace demo";
            auth_basic_user_file $VAR/nginx/htpasswd;
        }
    }
}
EOF

/usr/sbin/nginx -t -q -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf"

cat <<EOF

nginx-trace demo: nginx with the module on http://127.0.0.1:$HTTP_PORT/
PostgreSQL (private, under ./var) on 127.0.0.1:$PG_PORT, database "trace".

Send requests:
  curl http://127.0.0.1:$HTTP_PORT/                         anonymous: not recorded
  curl -u demo:demo http://127.0.0.1:$HTTP_PORT/private/    recorded as user "demo"
  curl -u demo:demo -b demo_session=s3cr3t 'http://127.0.0.1:$HTTP_PORT/private/?q=1&password=x'
                                    the session is stored as a hash, the password redacted
  curl -u demo:wrong http://127.0.0.1:$HTTP_PORT/private/   a failed login in trace.audit

See the records (trace-ctl reads var/trace.toml):
  $BUILD/trace-ctl -c var/trace.toml requests
  $BUILD/trace-ctl -c var/trace.toml requests --user demo --follow
  $BUILD/trace-ctl -c var/trace.toml audit --summary
  $BUILD/trace-ctl -c var/trace.toml status        tables, schema, the module's counters
  psql "$ADMIN_DB"
                                    the tables themselves (schema trace)

Logs: var/nginx/logs/error.log. Ctrl-C stops nginx and PostgreSQL.
EOF

# In the foreground, so that Ctrl-C reaches nginx (it stops at once on SIGINT);
# PostgreSQL is stopped by the EXIT trap afterwards.
/usr/sbin/nginx -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" -g 'daemon off;' || true
