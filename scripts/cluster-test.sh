#!/usr/bin/env bash
# Several instances behind HAProxy on one PostgreSQL (issue 7, first part): a throwaway cluster,
# the schema applied once, two instances on their own loopback ports sharing the master key, and
# HAProxy in front; then tests/cluster/checks.mjs (the @hapi/hawk client) checks consistency across
# instances, and `audit verify` checks that both instances built one request-log chain.
# scripts/test.sh (and so .ci/run) runs it after the .NET suites; it also runs on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d /tmp/lkm-cluster.XXXXXX); chmod 755 "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; bash scripts/postgres-cluster.sh stop "$WORK/pg" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
log() { printf '== %s\n' "$*" >&2; }
free_port() { for _ in $(seq 1 100); do p=$((20000 + RANDOM % 40000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }

command -v haproxy >/dev/null 2>&1 || { log "installing haproxy"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }
(cd tests/hawk-e2e && [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error >/dev/null)
ln -sfn ../hawk-e2e/node_modules tests/cluster/node_modules

log "building"
dotnet build src/Api -c Release --nologo -v quiet >/dev/null
LKM="dotnet $PWD/src/Api/bin/Release/net10.0/lkm.dll"

log "PostgreSQL"
cs=$(bash scripts/postgres-cluster.sh start "$WORK/pg")
pgport=$(printf '%s' "$cs" | sed -E 's/.*Port=([0-9]+).*/\1/')
psql -h 127.0.0.1 -p "$pgport" -U postgres -qc "CREATE DATABASE lkm" >/dev/null
export Database__Provider=Postgres
export ConnectionStrings__KeyManager="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=lkm"
export KeyProtection__Local__Keys__1; KeyProtection__Local__Keys__1=$(head -c 32 /dev/urandom | base64)
export ForwardedHeaders__KnownProxies__0=127.0.0.1
(cd "$WORK" && $LKM migrate >/dev/null)
admin=$(cd "$WORK" && $LKM credentials create --id admin-cluster --role admin 2>/dev/null)

ports=(); urls=()
for i in 1 2; do
  p=$(free_port); ports+=("$p"); urls+=("http://127.0.0.1:$p")
  (cd "$WORK" && exec $LKM --urls "http://127.0.0.1:$p") >"$WORK/instance-$i.log" 2>&1 &
  PIDS+=("$!")
done
lb=$(free_port)
cat > "$WORK/haproxy.cfg" <<CFG
global
    maxconn 1000
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend lkm
    bind 127.0.0.1:$lb
    http-request set-header X-Forwarded-Host %[req.hdr(host)]
    http-request set-header X-Forwarded-Proto http
    default_backend lkm
backend lkm
    balance roundrobin
    option httpchk GET /health/ready
    server i1 127.0.0.1:${ports[0]} check inter 1s
    server i2 127.0.0.1:${ports[1]} check inter 1s
CFG
haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
PIDS+=("$!")
for u in "${urls[@]}"; do for _ in $(seq 1 60); do curl -fs "$u/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done; done
sleep 2   # HAProxy's first health checks

log "checks across instances"
LKM_LB="http://127.0.0.1:$lb" LKM_INSTANCES="$(IFS=,; echo "${urls[*]}")" \
LKM_ADMIN_ID=admin-cluster LKM_ADMIN_KEY=$(printf '%s' "$admin" | sed -E 's/.*"authKey":"([^"]+)".*/\1/') \
  node tests/cluster/checks.mjs

log "one request-log chain across both instances"
(cd "$WORK" && $LKM audit verify)
