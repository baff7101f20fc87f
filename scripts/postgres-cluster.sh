#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, from Debian's postgresql package.
#   scripts/postgres-cluster.sh start DIR   -> prints a connection string (superuser, trust auth, loopback;
#                                              fsync off unless LKM_PG_FSYNC=on: tests need no durability)
#   scripts/postgres-cluster.sh stop DIR
#   scripts/postgres-cluster.sh down DIR    -> the server stops at once (like a crash); data and port kept
#   scripts/postgres-cluster.sh up DIR      -> the same server starts again on the same port
# initdb refuses to run as root, so the cluster belongs to the postgres user.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
pg_start() {
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $(cat "$dir/port") -k $dir -c fsync=${LKM_PG_FSYNC:-off} -c max_connections=300" start >/dev/null
}
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
  start)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
      echo "installing postgresql" >&2
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    for _ in $(seq 1 100); do   # a free loopback port: nothing answers on it
      port=$((10000 + RANDOM % 22000))   # below the ephemeral range: no client connection takes it while it is down
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    done
    as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
    echo "$port" > "$dir/port"
    pg_start
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    ;;
  down)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null
    ;;
  up)
    pg_start
    ;;
  stop)
    [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop|down|up DIR" >&2; exit 2 ;;
esac
