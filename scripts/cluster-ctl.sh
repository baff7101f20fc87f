#!/usr/bin/env bash
# Controls the topology scripts/cluster-test.sh built (the fault checks in tests/cluster call it);
# needs the environment cluster-test.sh exports (LKM_CLUSTER_DIR, database and master key).
#   start N | kill N | pid N     an instance (kill is SIGKILL and returns once it is gone)
#   pg-down | pg-up              PostgreSQL stops at once / starts again on the same port
#   pg-freeze | pg-thaw          PostgreSQL hangs (SIGSTOP: it accepts connections, never answers) / goes on
#   psql SQL                     one query on the service database, unaligned output
#   lkm ARGS...                  the command line, as an operator on the same host runs it
set -euo pipefail
cd "$(dirname "$0")/.."
W=${LKM_CLUSTER_DIR:?run through scripts/cluster-test.sh}
LKM="dotnet $PWD/src/Api/bin/Release/net10.0/lkm.dll"
case "${1:?command}" in
  start)
    (cd "$W" && exec $LKM --urls "http://127.0.0.1:$(cat "$W/instance-$2.port")") >>"$W/instance-$2.log" 2>&1 &
    echo $! > "$W/instance-$2.pid" ;;
  kill)   # SIGKILL, and back only once the process is gone (dead or a zombie)
    pid=$(cat "$W/instance-$2.pid"); kill -9 "$pid"
    while [ -e "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; do sleep 0.005; done ;;
  pid) cat "$W/instance-$2.pid" ;;
  pg-down) bash scripts/postgres-cluster.sh down "$W/pg" ;;
  pg-up) bash scripts/postgres-cluster.sh up "$W/pg" ;;
  pg-freeze|pg-thaw)   # SIGSTOP/SIGCONT the server and all its processes: connections are accepted, nothing answers
    pm=$(head -n1 "$W/pg/data/postmaster.pid")
    kill -s "$([ "$1" = pg-freeze ] && echo STOP || echo CONT)" "$pm" $(pgrep -P "$pm") ;;
  psql) exec psql -h 127.0.0.1 -p "$(cat "$W/pg/port")" -U postgres -d lkm -qAt -c "$2" ;;
  lkm) shift; cd "$W"; exec $LKM "$@" ;;
  *) echo "usage: $0 start|kill|pid N | pg-down | pg-up | psql SQL | lkm ARGS" >&2; exit 2 ;;
esac
