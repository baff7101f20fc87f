#!/usr/bin/env bash
# How fast a freshly started service reaches its steady cost per decrypt.
#
#   bash bench/warmup.sh                                        # ~5 minutes with the defaults
#   VARIANTS=";DOTNET_TC_CallCountingDelayMs=100" bash bench/warmup.sh
#
# For each round and variant: a fresh database and a fresh service process (SQLite in a
# temporary directory), LoadGen's credential and keypairs, then PARTS back-to-back parts of PART
# seconds at concurrency 16 (OAEP, 4 keypairs) with no warm-up at all. For each part: decrypts/s
# and the service's CPU per decrypt in ms of a core, split into its RSA threads (`lkm-rsa-*`) and
# the rest of the service (where the JIT's work and slow not-yet-optimised code show). Writes
# bench/results/<date>-warmup.md.
#
# Settings (environment variables):
#   VARIANTS=""     semicolon-separated environment settings, one per variant, given to the
#                   service as they are ("" = as shipped; e.g. "DOTNET_TieredPGO=0")
#   ROUNDS=2        rounds; the variants alternate within them
#   PART=15         seconds per part
#   PARTS=3         parts per run
#   OUT=bench/results/<yyyy-mm-dd>-warmup.md
#   NOTE=           a line put at the top of the results
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
VARIANTS=${VARIANTS-}
ROUNDS=${ROUNDS:-2}
PART=${PART:-15}
PARTS=${PARTS:-3}
NOTE=${NOTE:-}
DATE=$(date +%F)
OUT=${OUT:-$BENCH/results/$DATE-warmup.md}

log() { printf '%s warmup.sh: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "$*"; exit 1; }
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"
bench_workdir
trap 'bench_stop_all; rm -rf "$WORK"' EXIT
bench_build LoadGen
LOADGEN=$BENCH/LoadGen/bin/Release/net10.0/lkm-loadgen.dll

# CPU ticks (user + system) of a process or thread directory under /proc.
ticks_of() { local f; read -r -a f <<<"$(sed 's/^.*) //' "$1/stat")"; echo $((f[11] + f[12])); }
rsa_ticks() {
  local t sum=0
  for t in /proc/"$1"/task/*; do
    [[ $(cat "$t/comm" 2>/dev/null) == lkm-rsa-* ]] && sum=$((sum + $(ticks_of "$t")))
  done
  echo "$sum"
}
ms() { awk -v t="$1" -v n="$2" -v d="$PART" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.2f", t * 1000 / hz / (n * d); else printf "n/a" }'; }

IFS=';' read -r -a VARIANT_LIST <<<"$VARIANTS"
(( ${#VARIANT_LIST[@]} )) || VARIANT_LIST=("")
[[ $VARIANTS == *';' ]] && VARIANT_LIST+=("")
ROWS=()
levels=$(printf '16,%.0s' $(seq 1 "$PARTS")); levels=${levels%,}
for round in $(seq 1 "$ROUNDS"); do
  for variant in "${VARIANT_LIST[@]}"; do
    RUN=$WORK/run-$round-${#ROWS[@]}; mkdir -p "$RUN"
    key=$(bench_admin_key)
    # shellcheck disable=SC2086 # the variant is a list of assignments
    bench_start "$RUN/lkm.log" env $variant dotnet "$APP/lkm.dll"
    pid=$STARTED_PID
    err=$RUN/loadgen.err
    log "round $round: ${variant:-as shipped} (pid $pid)"
    LKM_BENCH_ADMIN_KEY=$key dotnet "$LOADGEN" --url "$STARTED_URL" --admin-id bench-admin --genesys-id "bench-warmup-$round" \
      --keypairs 4 --duration "$PART" --warmup 0 --start-warmup 0.01 --concurrency "$levels" --rate 0 --soak 0 \
      --keygen-seconds 0 --list-keys 0 --list-seconds 0 --server-pid "$pid" --side-by-side 0 \
      --out "$RUN/loadgen.md" --summary "$RUN/loadgen.txt" >/dev/null 2>"$err" &
    loadgen=$!
    # LoadGen says when its (0.01 s) start-up warm-up begins, after its keypairs exist, and logs
    # each part as it ends: the service's CPU is read at those moments.
    cells=() started=0 done_parts=0
    while (( done_parts < PARTS )); do
      running=1; kill -0 "$loadgen" 2>/dev/null || running=0
      if (( !started )) && grep -q "start-up warm-up" "$err"; then
        t0=$(ticks_of /proc/$pid); r0=$(rsa_ticks "$pid"); started=1
      fi
      if (( started )) && (( $(grep -c "c=16:" "$err" || true) > done_parts )); then
        t1=$(ticks_of /proc/$pid); r1=$(rsa_ticks "$pid"); done_parts=$((done_parts + 1))
        rate=$(grep "c=16:" "$err" | sed -n "${done_parts}p" | sed 's/.*c=16: \([0-9.]*\) decrypts.*/\1/')
        cells+=("$rate | $(ms $((r1 - r0)) "$rate") / $(ms $((t1 - t0 - r1 + r0)) "$rate")")
        t0=$t1; r0=$r1
        continue
      fi
      (( running )) || break
      sleep 0.02
    done
    wait "$loadgen" || { cat "$err" >&2; die "LoadGen failed"; }
    (( done_parts == PARTS )) || die "LoadGen reported $done_parts of $PARTS parts"
    rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/$pid/status)
    joined=$(printf ' | %s' "${cells[@]}")
    ROWS+=("| $round | ${variant:-as shipped}$joined | $rss |")
    log "${ROWS[-1]}"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done

{
  echo "# A fresh service's first $((PART * PARTS)) s under load, $DATE"
  echo
  [[ -n $NOTE ]] && { echo "> **$NOTE**"; echo; }
  echo "Made by \`bench/warmup.sh\`; see \`bench/README.md\`."
  echo
  echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(nproc) logical cores; $(uname -sr); .NET SDK $(dotnet --version)"
  echo "- commit $COMMIT$( [[ $DIRTY != 0 ]] && echo " with $DIRTY uncommitted change(s) under src/")"
  echo "- each row: a fresh service (SQLite, synchronous=FULL), then $PARTS parts of $PART s at concurrency 16 (OAEP, 4 keypairs), no warm-up"
  echo "- each part: decrypts/s | CPU per decrypt in ms of a core, the service's RSA threads / the rest of the service"
  echo
  header="| round | variant |"; rule="|---:|---|"
  for p in $(seq 1 "$PARTS"); do
    header+=" $(( (p - 1) * PART ))-$(( p * PART )) s: decrypts/s | RSA / rest, ms |"; rule+="---:|---:|"
  done
  echo "$header RSS after, MiB |"
  echo "$rule---:|"
  printf '%s\n' "${ROWS[@]}"
} >"$OUT"
log "wrote $OUT"
cat "$OUT"
