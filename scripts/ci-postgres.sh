#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store's tests: Debian's binaries, its own data folder, trust auth on
# 127.0.0.1 only. `start` prints the URL to export as TEST_DATABASE_URL; `stop` stops it and removes the folder.
#   PG_DIR (default /tmp/iam-key-monitor-pg; its parent must be one the postgres user can enter)   PG_PORT (default 55432)
set -euo pipefail
PG_DIR="${PG_DIR:-/tmp/iam-key-monitor-pg}"
PG_PORT="${PG_PORT:-55432}"

bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$dir" ]; then
    echo "PostgreSQL is not installed (apt-get install postgresql)" >&2
    exit 1
  fi
  echo "$dir"
}

# initdb and postgres refuse to run as root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
  start)
    bin="$(bindir)"
    mkdir -p "$(dirname "$PG_DIR")"
    rm -rf "$PG_DIR"
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
    as_owner "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
    as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c max_connections=200" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    ;;
  stop)
    if [ -d "$PG_DIR/data" ]; then
      as_owner "$(bindir)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$PG_DIR"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
