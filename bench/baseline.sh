#!/usr/bin/env bash
# The service against its floor: LKM (SQLite, synchronous=FULL) and bench/Baseline (Kestrel and
# RSA only: no Hawk check, no replay record, no request log, no database) driven by the same
# LoadGen, in alternating rounds, each round measured side by side with `openssl speed`.
#
#   bash bench/baseline.sh                     # ~6 minutes with the defaults below
#   ROUNDS=2 DURATION=5 bash bench/baseline.sh
#
# What it answers: how close HTTP plus RSA alone gets to OpenSSL's private-key rate on this
# machine, and how much of the gap between that and LKM is the service's own work (Hawk, the
# durable request log, replay records, MVC, validation, telemetry). Each row also gives the CPU per
# decrypt of the server's RSA threads (lkm-rsa-*; LKM only), the rest of the server and LoadGen.
#
# Settings (environment variables):
#   ROUNDS=3          rounds; each runs Baseline, then LKM (or the other way round on even rounds)
#   DURATION=10       measured seconds at concurrency 16, right after `openssl speed`
#   WARMUP=2          unmeasured seconds before each measured part
#   START_WARMUP=45   unmeasured seconds at concurrency 16 the first time each server is driven (the
#                     service's tiered compilation settles in 30-45 s of load: bench/warmup.sh)
#   OPENSSL_SECONDS=5 per `openssl speed -multi <cores> rsa3072`
#   OUT=bench/results/<yyyy-mm-dd>-baseline.md
#   NOTE=             a line put at the top of the results
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
START_WARMUP=${START_WARMUP:-45}
OPENSSL_SECONDS=${OPENSSL_SECONDS:-5}
NOTE=${NOTE:-}
DATE=$(date +%F)
OUT=${OUT:-$BENCH/results/$DATE-baseline.md}

log() { printf '%s baseline.sh: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "$*"; exit 1; }
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"
bench_workdir
cleanup() {
  local status=$?
  bench_stop_all
  if [[ $status != 0 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

bench_build Baseline LoadGen
LOADGEN=$BENCH/LoadGen/bin/Release/net10.0/lkm-loadgen.dll
BASELINE=$BENCH/Baseline/bin/Release/net10.0/lkm-baseline.dll

ADMIN_KEY=$(bench_admin_key)
bench_start "$RUN/lkm.log" dotnet "$APP/lkm.dll"; LKM_PID=$STARTED_PID; LKM_URL=$STARTED_URL
bench_start "$RUN/baseline.log" dotnet "$BASELINE"; BASE_PID=$STARTED_PID; BASE_URL=$STARTED_URL
log "LKM pid $LKM_PID at $LKM_URL; Baseline pid $BASE_PID at $BASE_URL"

ROWS=()
declare -A WARMED=()
for round in $(seq 1 "$ROUNDS"); do
  order=(baseline lkm)
  (( round % 2 == 0 )) && order=(lkm baseline)
  for target in "${order[@]}"; do
    if [[ $target == lkm ]]; then url=$LKM_URL; pid=$LKM_PID; else url=$BASE_URL; pid=$BASE_PID; fi
    warm=0; [[ -z ${WARMED[$target]:-} ]] && warm=$START_WARMUP; WARMED[$target]=1
    summary=$WORK/$round-$target.txt
    log "round $round: $target"
    LKM_BENCH_ADMIN_KEY=$ADMIN_KEY dotnet "$LOADGEN" --url "$url" --admin-id bench-admin --genesys-id "bench-$target-$round" \
      --keypairs 4 --duration "$DURATION" --warmup "$WARMUP" --start-warmup "$warm" --concurrency 16 --rate 0 --soak 0 \
      --keygen-seconds 0 --list-keys 0 --list-seconds 0 --server-pid "$pid" --side-by-side 1 --openssl-seconds "$OPENSSL_SECONDS" \
      --out "$WORK/$round-$target.md" --summary "$summary" >/dev/null 2>"$WORK/$round-$target.err" \
      || { cat "$WORK/$round-$target.err" >&2; die "LoadGen failed against $target"; }
    value() { sed -n "s/^$1=//p" "$summary" | head -n1; }
    ms() { local v; v=$(value "$1"); [[ -n $v ]] && printf '%.2f' "$v" || printf '—'; }
    ROWS+=("| $round | $target | $(value pair_1_openssl_per_s) | $(value pair_1_c16_per_s) | $(value pair_1_errors) | $(awk -v a="$(value pair_1_c16_per_s)" -v b="$(value pair_1_openssl_per_s)" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }') | $(ms pair_1_openssl_ms) | $(ms pair_1_rsa_ms) / $(ms pair_1_rest_ms) / $(ms pair_1_loadgen_ms) |")
    log "${ROWS[-1]}"
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio_of() { printf '%s\n' "${ROWS[@]}" | awk -F'|' -v t=" $1 " '$3 == t { gsub(/ /, "", $7); print $7 }' | median; }
{
  echo "# LKM against its floor (HTTP and RSA only), $DATE"
  echo
  [[ -n $NOTE ]] && { echo "> **$NOTE**"; echo; }
  echo "Made by \`bench/baseline.sh\`; see \`bench/README.md\`."
  echo
  echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(nproc) logical cores; $(uname -sr); .NET SDK $(dotnet --version); $(openssl version)"
  echo "- commit $COMMIT$( [[ $DIRTY != 0 ]] && echo " with $DIRTY uncommitted change(s) under src/")"
  echo "- LKM: SQLite (synchronous=FULL) in a temporary directory, Hawk sha256, replay records and request log on, defaults otherwise"
  echo "- Baseline (\`bench/Baseline\`): the same JSON over Kestrel, RSA inline with one parsed key per thread, nothing else"
  echo "- each row: \`openssl speed -seconds $OPENSSL_SECONDS -multi $(nproc) rsa3072\` with both servers idle, then ${WARMUP} s warm-up and ${DURATION} s at concurrency 16 (OAEP, 4 keypairs); the first run against each server starts with ${START_WARMUP} s at concurrency 16"
  echo
  echo "- CPU per decrypt: CPU time during the measured seconds over the decrypts answered in them, in ms of a core: the service's RSA threads (\`lkm-rsa-*\`; Baseline has none, so all of its CPU is under \"rest\"), the rest of the server, and LoadGen; OpenSSL's CPU per private op is its cores over its rate"
  echo
  echo "| round | server | OpenSSL private ops/s | decrypts/s | errors | ratio | OpenSSL CPU per op, ms | CPU per decrypt, ms: RSA threads / rest of the server / LoadGen |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Median ratio: Baseline **$(ratio_of baseline)**, LKM **$(ratio_of lkm)**."
} >"$OUT"
log "wrote $OUT"
cat "$OUT"
