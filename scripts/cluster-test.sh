#!/usr/bin/env bash
# Several instances behind HAProxy on one PostgreSQL (issue 7): a throwaway cluster, the schema
# applied once, three instances on their own loopback ports sharing one master key file, and
# HAProxy in front with deploy/haproxy.cfg (only its bind and server lines changed). Then, driven
# by @hapi/hawk clients in tests/cluster:
#   checks.mjs  consistency across instances;
#   faults.mjs  faults under a load of signed decrypts (kill -9, PostgreSQL down for 10 s, kills
#               during keypair creation and master-key rotation, clock skew through the balancer);
#   fuzz.mjs    100,000 hostile requests against one instance;
# and `audit verify` checks that all instances built one intact request-log chain.
# scripts/test.sh (and so .ci/run) runs it after the .NET suites; it also runs on its own.
# Set LKM_CLUSTER_REPORT=FILE to keep the numbers (JSON lines) for docs/reliability.md, and
# LKM_CLUSTER_KEEP_LOGS=DIR to keep the instances' and HAProxy's logs.
# Arguments choose suites (default: checks faults fuzz), e.g. `bash scripts/cluster-test.sh fuzz`.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d /tmp/lkm-cluster.XXXXXX); chmod 755 "$WORK"
export LKM_CLUSTER_DIR=$WORK
cleanup() {
  status=$?; set +e   # clean up everything, whatever fails on the way
  if [ "$status" -ne 0 ]; then   # what the instances logged above Information, for the failure's cause
    for f in "$WORK"/instance-*.log; do [ -f "$f" ] && { log "$f (warnings and errors, last 40)"; grep -E '"(Warning|Error|Critical)"' "$f" | tail -n 40 | cut -c1-2000; }; done
  fi
  [ -n "${LKM_CLUSTER_KEEP_LOGS:-}" ] && { mkdir -p "$LKM_CLUSTER_KEEP_LOGS"; cp "$WORK"/*.log "$LKM_CLUSTER_KEEP_LOGS"/ 2>/dev/null; }
  for f in "$WORK"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
  # A check that failed during the hang fault leaves PostgreSQL stopped (SIGSTOP): wake it to stop it.
  pm=$(head -n1 "$WORK/pg/data/postmaster.pid" 2>/dev/null) && [ -n "$pm" ] && kill -s CONT "$pm" $(pgrep -P "$pm") 2>/dev/null
  bash scripts/postgres-cluster.sh stop "$WORK/pg" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { printf '== %s\n' "$*" >&2; }
# A free loopback port below the ephemeral range (32768+), so that no outgoing connection takes
# it while an instance is down, and not one already handed out.
TAKEN=" "
free_port() {
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % 22000))
    case "$TAKEN" in *" $p "*) continue ;; esac
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { TAKEN+="$p "; echo "$p"; return; }
  done
  echo "no free port" >&2; return 1
}
ctl() { bash scripts/cluster-ctl.sh "$@"; }

command -v haproxy >/dev/null 2>&1 || { log "installing haproxy"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }
(cd tests/hawk-e2e && [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error >/dev/null)
ln -sfn ../hawk-e2e/node_modules tests/cluster/node_modules

log "building"
dotnet build src/Api -c Release --nologo -v quiet >/dev/null

log "PostgreSQL"
cs=$(bash scripts/postgres-cluster.sh start "$WORK/pg")
psql -h 127.0.0.1 -p "$(cat "$WORK/pg/port")" -U postgres -qc "CREATE DATABASE lkm" >/dev/null
export Database__Provider=Postgres
export ConnectionStrings__KeyManager="${cs/Database=postgres/Database=lkm}"
# One master key file shared by every instance (as on a shared volume), so rotation can be tested.
export KeyProtection__Local__KeyFile="$WORK/master-key.json"
(umask 077; printf '{"activeVersion":1,"keys":{"1":"%s"}}' "$(head -c 32 /dev/urandom | base64)" > "$KeyProtection__Local__KeyFile")
export ForwardedHeaders__KnownProxies__0=127.0.0.1
ctl lkm migrate >/dev/null
admin=$(ctl lkm credentials create --id admin-cluster --role admin 2>/dev/null)

instances=3; urls=(); servers=""
for i in $(seq 1 $instances); do
  free_port > "$WORK/instance-$i.port"; p=$(cat "$WORK/instance-$i.port"); TAKEN+="$p "; urls+=("http://127.0.0.1:$p")
  servers+="    server i$i 127.0.0.1:$p"$'\n'
  ctl start "$i"
done
lb=$(free_port); while [[ " ${urls[*]} " == *":$lb "* ]]; do lb=$(free_port); done
# The shipped configuration, on loopback; the test also learns which instance answered.
awk -v bind="    bind 127.0.0.1:$lb" -v servers="$servers" '
  /^    bind / { print bind; next }
  /^    server / { if (!done) { printf "%s", servers; print "    http-response set-header X-LKM-Server %s"; done = 1 } next }
  { print }' deploy/haproxy.cfg > "$WORK/haproxy.cfg"
(haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 & echo $! > "$WORK/haproxy.pid")
for u in "${urls[@]}"; do
  ok=""; for _ in $(seq 1 120); do curl -fs "$u/health/ready" >/dev/null 2>&1 && { ok=1; break; }; sleep 0.5; done
  [ -n "$ok" ] || { log "$u never became ready"; exit 1; }
done
kill -0 "$(cat "$WORK/haproxy.pid")" 2>/dev/null || { cat "$WORK/haproxy.log" >&2; log "HAProxy did not start"; exit 1; }
# The balancer is ready once each instance has answered through it.
seen=""
for _ in $(seq 1 100); do
  s=$(curl -s -o /dev/null -D - "http://127.0.0.1:$lb/health" | tr -d '\r' | sed -n 's/^[Xx]-[Ll][Kk][Mm]-[Ss]erver: //p')
  [ -n "$s" ] && case " $seen " in *" $s "*) ;; *) seen+=" $s" ;; esac
  [ "$(wc -w <<<"$seen")" -eq "$instances" ] && break
  sleep 0.2
done
[ "$(wc -w <<<"$seen")" -eq "$instances" ] || { log "only$seen answered through HAProxy"; exit 1; }

export LKM_LB="http://127.0.0.1:$lb" LKM_INSTANCES; LKM_INSTANCES="$(IFS=,; echo "${urls[*]}")"
export LKM_ADMIN_ID=admin-cluster LKM_ADMIN_KEY; LKM_ADMIN_KEY=$(printf '%s' "$admin" | sed -E 's/.*"authKey":"([^"]+)".*/\1/')

for suite in "${@:-checks faults fuzz}"; do
  for s in $suite; do log "tests/cluster/$s.mjs"; node "tests/cluster/$s.mjs"; done
done

log "one request-log chain across all instances"
ctl lkm audit verify
