#!/bin/sh
# Starts (or stops) a throwaway PostgreSQL 15 cluster on 127.0.0.1 for the REST job-store
# tests: initdb + pg_ctl as user postgres, data and socket under /tmp/cuttle-env/postgres,
# port CUTTLE_PG_PORT (default 55432), trust authentication on loopback only.
# `start` is idempotent, waits until the server accepts connections (bounded), and prints
# the export lines the tests read; everything else goes to stderr.
# CUTTLE_PG_STATE (default /tmp/cuttle-env/postgres) lets a test that stops or kills its
# server run its OWN cluster beside the shared one: own directory, own CUTTLE_PG_PORT.
# `kill` stops the server as a crash would (immediate mode: no shutdown checkpoint; the
# next `start` recovers).
# Usage: eval "$(tests/env/postgres.sh start)"; tests/env/postgres.sh stop|kill
set -eu
STATE=${CUTTLE_PG_STATE:-/tmp/cuttle-env/postgres}
PORT=${CUTTLE_PG_PORT:-55432}
BIN=${CUTTLE_PG_BIN:-/usr/lib/postgresql/15/bin}
DB=cuttle

log() { echo "postgres.sh: $*" >&2; }

as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  else
    runuser -u postgres -- "$@"
  fi
}

ready() {
  as_postgres "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" >/dev/null 2>&1
}

# True when something listens on 127.0.0.1:$1.
port_busy() {
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

start() {
  [ -x "$BIN/initdb" ] || { log "no PostgreSQL binaries in $BIN (install postgresql)"; exit 1; }
  id postgres >/dev/null 2>&1 || { log "no user postgres (install postgresql)"; exit 1; }
  mkdir -p "$STATE"
  chown postgres "$STATE"
  chmod 700 "$STATE"
  if [ ! -s "$STATE/data/PG_VERSION" ]; then
    log "initdb in $STATE/data"
    as_postgres "$BIN/initdb" -D "$STATE/data" -U postgres -A trust --no-sync -E UTF8 >&2
  fi
  if [ -s "$STATE/port" ] && [ -z "${CUTTLE_PG_PORT:-}" ]; then PORT=$(cat "$STATE/port"); fi
  if ! ready; then
    # Something else (a stale or foreign server) may hold the port: take the next free one.
    tries=0
    while port_busy "$PORT"; do
      tries=$((tries + 1))
      [ $tries -le 20 ] || { log "no free port from ${CUTTLE_PG_PORT:-55432} up"; exit 1; }
      log "port $PORT is busy; trying $((PORT + 1))"
      PORT=$((PORT + 1))
    done
    echo "$PORT" > "$STATE/port"
    as_postgres "$BIN/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $STATE -c fsync=off" start >&2 ||
      { log "server did not start; see $STATE/server.log"; tail -20 "$STATE/server.log" >&2; exit 1; }
  fi
  i=0
  until ready; do
    i=$((i + 1))
    [ $i -lt 100 ] || { log "server not ready after 20s"; exit 1; }
    sleep 0.2
  done
  if ! as_postgres "$BIN/../bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$DB'" 2>/dev/null | grep -q 1; then
    as_postgres "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB" >&2
  fi
  log "ready on 127.0.0.1:$PORT"
  echo "export CUTTLE_PG_HOST=127.0.0.1"
  echo "export CUTTLE_PG_PORT=$PORT"
  echo "export CUTTLE_PG_USER=postgres"
  echo "export CUTTLE_PG_DATABASE=$DB"
  echo "export CUTTLE_PG_CONNECTION='host=127.0.0.1 port=$PORT user=postgres dbname=$DB'"
}

stop() {
  if [ -s "$STATE/data/postmaster.pid" ]; then
    as_postgres "$BIN/pg_ctl" -D "$STATE/data" -m fast -w -t 30 stop >&2 || true
  fi
}

kill_server() {
  if [ -s "$STATE/data/postmaster.pid" ]; then
    as_postgres "$BIN/pg_ctl" -D "$STATE/data" -m immediate -w -t 30 stop >&2 || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  kill) kill_server ;;
  *) echo "usage: $0 start|stop|kill" >&2; exit 2 ;;
esac
