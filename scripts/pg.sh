# Shell helpers for a private PostgreSQL cluster (sourced by run-demo.sh).
# initdb refuses to run as root, so as root the server runs as `postgres`.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# pg_init DIR: creates the cluster under DIR/data unless it exists.
pg_init() {
  local dir=$1
  [ -f "$dir/data/PG_VERSION" ] && return 0
  mkdir -p "$dir/sock"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres:postgres "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      echo "the postgres user cannot reach $dir; move the checkout somewhere it can (e.g. /srv)" >&2
      return 1
    fi
  fi
  chmod 700 "$dir"
  as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
}

# pg_start DIR PORT: starts the cluster (if it is not running) on 127.0.0.1:PORT
# and a socket in DIR/sock. setsid keeps Ctrl-C away from it: it is stopped
# explicitly, after nginx.
pg_start() {
  local dir=$1 port=$2
  if as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    return 0
  fi
  as_postgres setsid "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock" start >/dev/null ||
    { tail -n 20 "$dir/server.log" >&2; return 1; }
}

pg_stop() {
  local dir=$1
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

# free_port: a TCP port nothing listens on, on 127.0.0.1.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}
