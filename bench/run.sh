#!/usr/bin/env bash
# End-to-end benchmark of the Local Key Manager on this machine.
#
#   bash bench/run.sh                          # ~8 minutes with the defaults below
#   DURATION=3 WARMUP=1 CONCURRENCY=1,4,16 SOAK=0 SIDE_BY_SIDE=1 NOTE="short smoke run" bash bench/run.sh
#
# Builds the service (dotnet publish, Release) and bench/LoadGen, measures OpenSSL's RSA-3072
# private-key rate on all cores, starts the service on a fresh database (SQLite in a temporary
# directory, or PostgreSQL) on a free loopback port, bootstraps an admin credential with the service's own
# command line, runs LoadGen against it, and writes bench/results/<date>-<provider>.md.
#
# Settings (environment variables):
#   PROVIDER=sqlite        sqlite (synchronous=FULL) | postgres: LKM_BENCH_POSTGRES (a connection
#                          string whose user may create databases) or else a throwaway cluster from
#                          scripts/postgres-cluster.sh, started with fsync on for a fair comparison
#   DURATION=10            measured seconds per load level
#   WARMUP=2               unmeasured seconds before each level
#   START_WARMUP=45        unmeasured seconds at concurrency 16 before the first level: .NET's tiered
#                          compilation goes on for 30-45 s of load after the first requests (the
#                          perf map grows from 22,000 to 30,000 methods, then stays flat; the cost
#                          per decrypt falls until then: bench/warmup.sh), and that is not the
#                          steady state a long-running service is in
#   CONCURRENCY=1,4,16,64  closed-loop levels
#   PADDING=oaep           oaep | pkcs1 | both (both runs every level twice)
#   RATE=auto:0.5          open-loop rate: a number (requests/s), auto (0.7 x the concurrency-16
#                          rate, or the best closed-loop rate without a 16 level), auto:F (F x
#                          it), or 0 for no open-loop run; the default is the "50% load" of issue 6
#   OPEN_WARMUP=10         seconds at the open-loop rate before it is measured (it follows the
#                          concurrency-64 overload; latency at 50% load means a steady state)
#   SOAK=150000            then this many decrypts at concurrency 16 in three parts, with the
#                          service's RSS after each (0: skip)
#   KEYPAIRS=4             keypairs the decrypts are spread over
#   KEYGEN_SECONDS=5       sequential POST /keypair for this long (0: skip)
#   LIST_KEYS=10000        keypairs that must exist before GET /keypair is timed
#   LIST_FILL=clone        clone: before the service starts, one real RSA-3072 key is imported
#                          with `lkm keys import` and its row copied in SQL under fresh ids up to
#                          LIST_KEYS (the listing's cost depends on rows, not on distinct keys;
#                          never decrypt with a copy's id). generate: POST /keypair until LIST_KEYS
#                          exist (RSA-3072 generation is slow: 10000 take on the order of an hour)
#   LIST_SECONDS=3         seconds of GET /keypair and of GET /keypair/{id} (0: skip both)
#   PAYLOAD_HASH=0         1: sign the body hash too
#   OPENSSL_SECONDS=5      per operation of `openssl speed`
#   SIDE_BY_SIDE=3         after the soak, this many pairs of `openssl speed` (service idle) and
#                          then a concurrency-16 level, one right after the other; the headline
#                          gives their median ratio (0: skip). On a noisy machine the single
#                          OpenSSL figure taken before the service starts can be minutes and a
#                          machine mood away from the concurrency-16 level it is divided into
#   OUT=bench/results/<yyyy-mm-dd>-<provider>.md
#   NOTE=                  a line put at the top of the results (e.g. "short smoke run")
#   KEEP=0                 1: keep the temporary directory (database, server log)
#   LOADGEN_ARGS=          extra arguments passed to LoadGen as they are
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
PROVIDER=${PROVIDER:-sqlite}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
START_WARMUP=${START_WARMUP:-45}
CONCURRENCY=${CONCURRENCY:-1,4,16,64}
PADDING=${PADDING:-oaep}
RATE=${RATE:-auto:0.5}
SOAK=${SOAK:-150000}
OPEN_WARMUP=${OPEN_WARMUP:-10}
KEYPAIRS=${KEYPAIRS:-4}
KEYGEN_SECONDS=${KEYGEN_SECONDS:-5}
LIST_KEYS=${LIST_KEYS:-10000}
LIST_FILL=${LIST_FILL:-clone}
LIST_SECONDS=${LIST_SECONDS:-3}
PAYLOAD_HASH=${PAYLOAD_HASH:-0}
OPENSSL_SECONDS=${OPENSSL_SECONDS:-5}
SIDE_BY_SIDE=${SIDE_BY_SIDE:-3}
NOTE=${NOTE:-}
KEEP=${KEEP:-0}
LOADGEN_ARGS=${LOADGEN_ARGS:-}
DATE=$(date +%F)
OUT=${OUT:-$BENCH/results/$DATE-$PROVIDER.md}

log() { printf '%s run.sh: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "$*"; exit 1; }
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

case $PROVIDER in
  sqlite) ;;
  postgres) command -v psql >/dev/null || die "psql is not on PATH (apt-get install postgresql)" ;;
  *) die "PROVIDER must be sqlite or postgres, not '$PROVIDER'" ;;
esac

bench_workdir
PG_DIR=
cleanup() {
  local status=$?
  bench_stop_all
  [[ -n $PG_DIR ]] && bash "$ROOT/scripts/postgres-cluster.sh" stop "$PG_DIR" >/dev/null 2>&1
  if [[ $KEEP == 1 || $status != 0 ]]; then
    log "kept $WORK (server log: $RUN/server.log)"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# --- build -----------------------------------------------------------------------------------
bench_build LoadGen
LOADGEN=$BENCH/LoadGen/bin/Release/net10.0/lkm-loadgen.dll

# --- OpenSSL baseline, before the service runs so nothing competes --------------------------
CORES=$(nproc)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_BEFORE%% *}" -v c="$CORES" 'BEGIN { exit !(l > c / 2) }'; then
  log "warning: load average $LOAD_BEFORE on $CORES cores: something else is running, the numbers will be low and noisy"
fi
log "openssl speed -seconds $OPENSSL_SECONDS -multi $CORES rsa3072"
OPENSSL_OUT=$(openssl speed -seconds "$OPENSSL_SECONDS" -multi "$CORES" rsa3072 2>/dev/null)
# The header names the columns ("sign verify sign/s verify/s", more in OpenSSL >= 3.2); the data
# line starts with "rsa 3072 bits", so column i of the header is field i+3 of the data line.
OPENSSL_SIGN=$(awk '/sign\/s/ { for (i = 1; i <= NF; i++) if ($i == "sign/s") col = i }
                   /^rsa 3072 bits/ && col { print $(col + 3) }' <<<"$OPENSSL_OUT" | tail -n1)
[[ -n $OPENSSL_SIGN ]] || { printf '%s\n' "$OPENSSL_OUT" >&2; die "could not read the rsa 3072 sign/s rate"; }
log "openssl: $OPENSSL_SIGN RSA-3072 private ops/s on $CORES cores"

# --- database -------------------------------------------------------------------------------
DB_NOTE="SQLite in the run directory, synchronous=FULL"
if [[ $PROVIDER == postgres ]]; then
  if [[ -n ${LKM_BENCH_POSTGRES:-} ]]; then
    PG_CS=$LKM_BENCH_POSTGRES
    DB_NOTE="PostgreSQL from LKM_BENCH_POSTGRES"
  else
    log "starting a throwaway PostgreSQL cluster (fsync on)"
    PG_DIR=$WORK/pg; chmod 755 "$WORK"   # the cluster belongs to the postgres user
    PG_CS=$(LKM_PG_FSYNC=on bash "$ROOT/scripts/postgres-cluster.sh" start "$PG_DIR")
    DB_NOTE="PostgreSQL $(psql --version | awk '{ print $3 }'), throwaway cluster on loopback, fsync on"
  fi
  pg_field() { sed -n "s/.*\(^\|;\)$1=\([^;]*\).*/\2/Ip" <<<"$PG_CS"; }
  export PGHOST=$(pg_field Host) PGPORT=$(pg_field Port) PGUSER=$(pg_field Username) PGPASSWORD=$(pg_field Password)
  PG_DB=lkm_bench_$(date +%s)
  psql -d postgres -qc "CREATE DATABASE $PG_DB" >/dev/null
  export Database__Provider=Postgres ConnectionStrings__KeyManager="Host=$PGHOST;Port=$PGPORT;Username=$PGUSER;Password=$PGPASSWORD;Database=$PG_DB"
  export KeyProtection__Local__Keys__1; KeyProtection__Local__Keys__1=$(openssl rand -base64 32)
  (cd "$RUN" && dotnet "$APP/lkm.dll" migrate >/dev/null 2>"$WORK/migrate.err") || { cat "$WORK/migrate.err" >&2; die "lkm migrate failed"; }
fi

# --- service --------------------------------------------------------------------------------
log "bootstrapping admin credential in $RUN"
ADMIN_KEY=$(bench_admin_key)

# Port 0: Kestrel takes a free loopback port and logs it; no race with a port picked beforehand.
if [[ $LIST_FILL == clone && $LIST_KEYS -gt 1 && $LIST_SECONDS != 0 ]]; then
  log "listing fixture: one imported RSA-3072 key copied to $LIST_KEYS rows"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$WORK/list-key.pem" 2>/dev/null
  (cd "$RUN" && dotnet "$APP/lkm.dll" keys import --file "$WORK/list-key.pem" >/dev/null 2>"$WORK/import.err") \
    || { cat "$WORK/import.err" >&2; die "lkm keys import failed"; }
  rm -f "$WORK/list-key.pem"
  copies=$((LIST_KEYS - 1))
  if [[ $PROVIDER == postgres ]]; then
    psql -d "$PG_DB" -qc "INSERT INTO keypairs (id, public_key, wrapped_private_key, kek_id, created_at, state)
      SELECT gen_random_uuid(), k.public_key, k.wrapped_private_key, k.kek_id, k.created_at, k.state
      FROM (SELECT * FROM keypairs LIMIT 1) k, generate_series(1, $copies)" >/dev/null
  else
    python3 - "$RUN/lkm.db" "$copies" <<'PY'
import sqlite3, sys, uuid
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT public_key, wrapped_private_key, kek_id, created_at, state FROM keypairs LIMIT 1").fetchone()
db.executemany("INSERT INTO keypairs (id, public_key, wrapped_private_key, kek_id, created_at, state) VALUES (?, ?, ?, ?, ?, ?)",
               ((str(uuid.uuid4()).upper(), *row) for _ in range(int(sys.argv[2]))))
db.commit()
PY
  fi
fi

log "starting the service ($DB_NOTE)"
bench_start "$RUN/server.log" dotnet "$APP/lkm.dll"
SERVER_PID=$STARTED_PID URL=$STARTED_URL PORT=${STARTED_URL##*:}
health() {
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && head -n1 <&3) 2>/dev/null | grep -q ' 200'
}
for _ in $(seq 1 100); do health && break; sleep 0.1; done
health || { cat "$RUN/server.log" >&2; die "GET /health did not answer 200"; }
log "service pid $SERVER_PID listening on $URL"

rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }
RSS_BEFORE=$(rss_kb "$SERVER_PID" VmRSS)
CPU_BEFORE=$(cpu_seconds "$SERVER_PID")

# --- load -----------------------------------------------------------------------------------
LOADGEN_MD=$WORK/loadgen.md
SUMMARY=$WORK/summary.txt
HASH_ARG=()
[[ $PAYLOAD_HASH == 1 ]] && HASH_ARG=(--payload-hash)
log "running LoadGen"
LOADGEN_START=$(date +%s)
# shellcheck disable=SC2086 # LOADGEN_ARGS is split on purpose
LKM_BENCH_ADMIN_KEY=$ADMIN_KEY dotnet "$LOADGEN" --url "$URL" --admin-id bench-admin \
  --keypairs "$KEYPAIRS" --duration "$DURATION" --warmup "$WARMUP" --start-warmup "$START_WARMUP" --concurrency "$CONCURRENCY" \
  --rate "$RATE" --open-warmup "$OPEN_WARMUP" --soak "$SOAK" --padding "$PADDING" --keygen-seconds "$KEYGEN_SECONDS" \
  --list-keys "$LIST_KEYS" --list-seconds "$LIST_SECONDS" "${HASH_ARG[@]}" --server-pid "$SERVER_PID" \
  --side-by-side "$SIDE_BY_SIDE" --openssl-seconds "$OPENSSL_SECONDS" \
  --out "$LOADGEN_MD" --summary "$SUMMARY" $LOADGEN_ARGS >/dev/null
LOADGEN_SECONDS=$(( $(date +%s) - LOADGEN_START ))

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
RSS_AFTER=$(rss_kb "$SERVER_PID" VmRSS)
RSS_PEAK=$(rss_kb "$SERVER_PID" VmHWM)
CPU_AFTER=$(cpu_seconds "$SERVER_PID")
if [[ $PROVIDER == postgres ]]; then
  DB_BYTES=$(psql -d "$PG_DB" -Atc "SELECT pg_database_size(current_database())")
  DB_LABEL="PostgreSQL database size after the run"
else
  DB_BYTES=$(du -cb "$RUN"/lkm.db* 2>/dev/null | tail -n1 | cut -f1)
  DB_LABEL="SQLite files after the run (db + wal + shm)"
fi

value() { sed -n "s/^$1=//p" "$SUMMARY" | head -n1; }
C16_KEY=$( [[ $PADDING == pkcs1 ]] && echo decrypt_pkcs1_c16_per_s || echo decrypt_oaep_c16_per_s )
C16=$(value "$C16_KEY")
if [[ -n $C16 ]]; then
  RATIO=$(awk -v a="$C16" -v b="$OPENSSL_SIGN" 'BEGIN { printf "%.2f", a / b }')
else
  RATIO="n/a (no concurrency-16 level in CONCURRENCY=$CONCURRENCY)"
fi

# --- report ---------------------------------------------------------------------------------
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
{
  echo "# LKM benchmark: $PROVIDER, $DATE"
  echo
  [[ -n $NOTE ]] && { echo "> **$NOTE**"; echo; }
  echo "Made by \`bench/run.sh\`; see \`bench/README.md\` for what each number means."
  echo
  echo "## Machine and build"
  echo
  echo "- CPU: $CPU_MODEL, $CORES logical cores; memory $MEM_TOTAL; $(uname -sr)"
  echo "- .NET SDK $(dotnet --version); $(openssl version)"
  echo "- commit $COMMIT$( [[ $DIRTY != 0 ]] && echo " with $DIRTY uncommitted change(s) under src/")"
  echo "- database: $DB_NOTE"
  echo "- service and LoadGen on the same machine, over loopback (they share the $CORES cores)"
  echo "- load average (1, 5, 15 min) before openssl: $LOAD_BEFORE; after the load: $LOAD_AFTER (it counts runnable threads, including PostgreSQL's and those in fsync: a saturated run pushes it above the $CORES cores by itself, so it shows competition only when it is far above the other runs)"
  echo "- settings: DURATION=$DURATION WARMUP=$WARMUP START_WARMUP=$START_WARMUP CONCURRENCY=$CONCURRENCY PADDING=$PADDING RATE=$RATE KEYPAIRS=$KEYPAIRS KEYGEN_SECONDS=$KEYGEN_SECONDS LIST_KEYS=$LIST_KEYS LIST_FILL=$LIST_FILL LIST_SECONDS=$LIST_SECONDS PAYLOAD_HASH=$PAYLOAD_HASH SOAK=$SOAK OPEN_WARMUP=$OPEN_WARMUP SIDE_BY_SIDE=$SIDE_BY_SIDE"
  echo
  echo "## Headline"
  echo
  echo "| measure | value |"
  echo "|---|---:|"
  echo "| OpenSSL RSA-3072 private ops/s, all $CORES cores (\`openssl speed -seconds $OPENSSL_SECONDS -multi $CORES rsa3072\`, sign/s) | $OPENSSL_SIGN |"
  echo "| LKM decrypts/s at concurrency 16 (${C16_KEY#decrypt_}) | ${C16:-n/a} |"
  echo "| ratio LKM / OpenSSL | $RATIO |"
  MEDIAN=$(value pairs_median_ratio)
  if [[ -n $MEDIAN ]]; then
    echo "| ratio, side by side: median of $SIDE_BY_SIDE pair(s) of OpenSSL then concurrency 16, at the end of the load (see below) | $MEDIAN |"
  fi
  echo "| service RSS after start-up, idle | $(mb "$RSS_BEFORE") |"
  echo "| service RSS after the load | $(mb "$RSS_AFTER") |"
  for i in 1 2 3; do
    n=$(value "soak_${i}_decrypts"); r=$(value "soak_${i}_rss_mib")
    if [[ -n $n && -n $r ]]; then echo "| service RSS after $n more decrypts at concurrency 16 (soak) | $r MiB |"; fi
  done
  echo "| service peak RSS (VmHWM) | $(mb "$RSS_PEAK") |"
  echo "| service CPU time during the load (user+sys) | $(awk -v a="$CPU_AFTER" -v b="$CPU_BEFORE" 'BEGIN { printf "%.1f s", a - b }') in ${LOADGEN_SECONDS} s wall |"
  echo "| $DB_LABEL | $(awk -v b="${DB_BYTES:-0}" 'BEGIN { printf "%.1f MiB", b / 1048576 }') |"
  echo
  sed 's/^## LoadGen$/## LoadGen results/' "$LOADGEN_MD"
} >"$OUT"
log "wrote $OUT"
cat "$OUT"
