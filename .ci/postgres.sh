#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster under /tmp (loopback only, trust auth) and print its URL.
#
#   export PHONOFILM_TEST_PG_URL=$(bash .ci/postgres.sh)     # start (installs postgresql if missing)
#   bash .ci/postgres.sh stop                                 # stop it and delete its files
#
# Progress goes to stderr; stdout is only the URL. Safe to call again: a running cluster is reused.
set -euo pipefail

DIR=${PHONOFILM_PG_DIR:-/tmp/phonofilm-pg}
PORT=${PHONOFILM_PG_PORT:-55432}
URL="postgresql://postgres@127.0.0.1:${PORT}/postgres"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_owner() {  # initdb and postgres refuse to run as root
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

BIN=$(find_bin)
if [ "${1:-}" = stop ]; then
    [ -n "$BIN" ] && [ -d "$DIR/data" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >&2 || true
    rm -rf "$DIR"
    exit 0
fi

if [ -z "$BIN" ]; then
    echo "installing postgresql (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    BIN=$(find_bin)
fi
[ -n "$BIN" ] || { echo "postgres.sh: no PostgreSQL binaries found after installing" >&2; exit 1; }

if [ -d "$DIR/data" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    echo "$URL"
    exit 0
fi

rm -rf "$DIR"
mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres: "$DIR"
as_owner "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
# Loopback TCP plus a socket inside $DIR; fsync off: a throwaway cluster need not survive a crash.
as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 start \
    -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >&2
echo "$URL"
