#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, in a directory of its own on a free loopback port.
#   scripts/pg.sh init DIR      create the cluster and start it; prints its URL
#   scripts/pg.sh start DIR     start it again (same port)
#   scripts/pg.sh stop DIR      stop it (fast)
#   scripts/pg.sh destroy DIR   stop it and delete DIR
# Runs the server as the 'postgres' user when invoked as root (initdb refuses root).
set -euo pipefail
cmd=${1:?usage: pg.sh init|start|stop|destroy DIR}
dir=${2:?usage: pg.sh init|start|stop|destroy DIR}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/pg_ctl" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

case "$cmd" in
  init)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
      chmod a+x "$(dirname "$dir")"  # the postgres user must reach DIR
      chown postgres:postgres "$dir"; chmod 700 "$dir"
    fi
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    echo "$port" >"$dir/port"
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    ;;
  start) as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null ;;
  stop) as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null ;;
  destroy)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
