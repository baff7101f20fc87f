#!/usr/bin/env bash
# How GET /request-log behaves on a large log: fills a fresh database with ROWS entries (default
# 1,000,000) spread over 30 days, then times the newest page and a one-hour window in the middle,
# through the real service with Hawk. SQLite always; PostgreSQL too when psql and the postgres
# server package are available (a throwaway cluster, as the tests use).
# The filler rows carry random chain hashes: this measures queries, not `audit verify`.
#   bash bench/request-log-scale.sh            # writes bench/results/<date>-request-log.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
QUERIES=${QUERIES:-20}
WORK=$(mktemp -d /tmp/lkm-logscale.XXXXXX)
chmod 755 "$WORK"   # the PostgreSQL cluster below belongs to the postgres user
OUT=${OUT:-bench/results/$(date -u +%F)-request-log.md}
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; bash scripts/postgres-cluster.sh stop "$WORK/pg" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
log() { printf '%s request-log-scale: %s\n' "$(date -u +%T)" "$*" >&2; }

log "publishing the service"
dotnet publish src/Api -c Release -o "$WORK/app" --nologo -v quiet >/dev/null
(cd tests/hawk-e2e && [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error >/dev/null)
port() { for _ in $(seq 1 100); do p=$((20000 + RANDOM % 40000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }

# measure DIR [config args...] -> prints "newest_p50 newest_max window_p50 window_max" (ms)
measure() {
  local dir=$1; shift
  local admin key p pid
  admin=$(cd "$dir" && dotnet "$WORK/app/lkm.dll" credentials create --id bench-log-admin --role admin "$@" 2>/dev/null)
  key=$(printf '%s' "$admin" | sed -E 's/.*"authKey":"([^"]+)".*/\1/')
  p=$(port)
  (cd "$dir" && exec dotnet "$WORK/app/lkm.dll" --urls "http://127.0.0.1:$p" "$@") >"$dir/server.log" 2>&1 &
  pid=$!; PIDS+=("$pid")
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$p/health" >/dev/null 2>&1 && break; sleep 0.5; done
  local base="http://127.0.0.1:$p/key-management/v1/request-log"
  local mid; mid=$(date -u -d '15 days ago' +%Y-%m-%dT%H:00:00Z); local end; end=$(date -u -d '15 days ago + 1 hour' +%Y-%m-%dT%H:00:00Z)
  call() { LKM_ID=bench-log-admin LKM_KEY=$key node tests/hawk-e2e/hawk-call.mjs GET "$1" 2>/dev/null; }
  for _ in $(seq 1 "$QUERIES"); do call "$base?maxEntries=100" >/dev/null; done
  for _ in $(seq 1 "$QUERIES"); do call "$base?maxEntries=1000&earliestTime=$mid&latestTime=$end" >/dev/null; done
  # The service times each request itself and records it in the log (durationMs): read those
  # back, so the figures are the server's, not the client's process start-up.
  call "$base?maxEntries=$((2 * QUERIES))" | python3 -c '
import json, sys
q = int(sys.argv[1])
d = [e["durationMs"] for e in json.load(sys.stdin) if e["requestUri"].endswith("/request-log")]
window, newest = sorted(d[:q]), sorted(d[q:2 * q])
p50 = lambda v: v[(len(v) - 1) // 2]
print(f"{p50(newest):.1f} {newest[-1]:.1f} {p50(window):.1f} {window[-1]:.1f}")' "$QUERIES"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

log "SQLite: creating the schema and $ROWS entries"
mkdir -p "$WORK/sqlite"
(cd "$WORK/sqlite" && dotnet "$WORK/app/lkm.dll" migrate >/dev/null)
sqlite3 "$WORK/sqlite/lkm.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
INSERT INTO request_log (id, timestamp, credential_id, user_id, request_method, request_uri, status, keypair_id, client_address, duration_ms, detail, seq, prev_hash, hash)
SELECT lower(hex(randomblob(16))), (strftime('%s','now') - 30*86400) * 10000000 + i * (30*86400*10000000 / $ROWS),
       'genesys-prod', 'NO-USER-ID', 'POST', '/key-management/v1/decrypt', 200, NULL, '127.0.0.1', 1.5, NULL, i, randomblob(32), randomblob(32) FROM n;
UPDATE request_log_chain SET seq = $ROWS;
SQL
read -r s_new s_new_max s_win s_win_max < <(measure "$WORK/sqlite")
log "SQLite: newest page p50 ${s_new} ms, window p50 ${s_win} ms"

pg_line="| PostgreSQL | not measured (no PostgreSQL server package) | | | |"
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  log "PostgreSQL: throwaway cluster, schema and $ROWS entries"
  cs=$(bash scripts/postgres-cluster.sh start "$WORK/pg")
  pgport=$(printf '%s' "$cs" | sed -E 's/.*Port=([0-9]+).*/\1/')
  psql -h 127.0.0.1 -p "$pgport" -U postgres -qc "CREATE DATABASE lkm" >/dev/null
  dotnet "$WORK/app/lkm.dll" schema-script --provider postgres | psql -h 127.0.0.1 -p "$pgport" -U postgres -d lkm -q >/dev/null
  psql -h 127.0.0.1 -p "$pgport" -U postgres -d lkm -q <<SQL >/dev/null
INSERT INTO request_log (id, timestamp, credential_id, user_id, request_method, request_uri, status, keypair_id, client_address, duration_ms, detail, seq, prev_hash, hash)
SELECT gen_random_uuid(), now() - interval '30 days' + i * (interval '30 days' / $ROWS), 'genesys-prod', 'NO-USER-ID', 'POST',
       '/key-management/v1/decrypt', 200, NULL, '127.0.0.1', 1.5, NULL, i, sha256(i::text::bytea), sha256((i+1)::text::bytea)
FROM generate_series(1, $ROWS) AS i;
UPDATE request_log_chain SET seq = $ROWS;
ANALYZE request_log;
SQL
  mkdir -p "$WORK/postgres"
  read -r p_new p_new_max p_win p_win_max < <(measure "$WORK/postgres" --Database:Provider=Postgres \
    "--ConnectionStrings:KeyManager=Host=127.0.0.1;Port=$pgport;Username=postgres;Database=lkm" \
    "--KeyProtection:Local:Keys:1=$(head -c 32 /dev/urandom | base64)")
  pg_line="| PostgreSQL 15 | $ROWS | $p_new / $p_new_max | $p_win / $p_win_max |"
  log "PostgreSQL: newest page p50 ${p_new} ms, window p50 ${p_win} ms"
fi

mkdir -p "$(dirname "$OUT")"
{
  echo "# GET /request-log on a large log ($(date -u +%F))"
  echo
  echo "- machine: $(nproc) cores; commit $(git rev-parse --short HEAD); $QUERIES sequential queries each, Hawk-signed; times are the service's own (the \`durationMs\` it records for each request: authentication, query and serialisation, up to the audit write; the max is the first, cold query)"
  echo "- newest page: \`maxEntries=100\`; window: \`maxEntries=1000\` over one hour 15 days back (about $((ROWS / 720)) entries in range); both use the index on \`timestamp\`"
  echo
  echo "| database | entries | newest page p50 / max ms | one-hour window p50 / max ms |"
  echo "|---|---:|---:|---:|"
  echo "| SQLite | $ROWS | $s_new / $s_new_max | $s_win / $s_win_max |"
  echo "$pg_line"
} > "$OUT"
log "wrote $OUT"
