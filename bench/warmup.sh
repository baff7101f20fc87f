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
# the rest of the service (where the JIT's work and slow not-yet-optimised code show), as LoadGen
# measures them over each part (`--server-pid`). Writes
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
    # LoadGen logs each level as it ends, with the service's CPU per decrypt over its seconds.
    LKM_BENCH_ADMIN_KEY=$key dotnet "$LOADGEN" --url "$STARTED_URL" --admin-id bench-admin --genesys-id "bench-warmup-$round" \
      --keypairs 4 --duration "$PART" --warmup 0 --start-warmup 0 --concurrency "$levels" --rate 0 --soak 0 \
      --keygen-seconds 0 --list-keys 0 --list-seconds 0 --server-pid "$pid" --side-by-side 0 \
      --out "$RUN/loadgen.md" --summary "$RUN/loadgen.txt" >/dev/null 2>"$err" || { cat "$err" >&2; die "LoadGen failed"; }
    cells=$(sed -n 's#.* c=16: \([0-9.]*\) decrypts/s.*CPU per decrypt RSA threads \([0-9.]*\) / rest \([0-9.]*\) ms.*# | \1 | \2 / \3#p' "$err" | tr -d '\n')
    (( $(grep -c " c=16: " "$err") == PARTS )) || die "LoadGen reported $(grep -c " c=16: " "$err") of $PARTS parts"
    rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/$pid/status)
    ROWS+=("| $round | ${variant:-as shipped}$cells | $rss |")
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
