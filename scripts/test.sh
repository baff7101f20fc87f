#!/usr/bin/env bash
# Runs every test. Installs what the tests need on a fresh Debian machine with the .NET 10 SDK
# (Node.js and npm for the @hapi/hawk reference client, OpenSSL for foreign ciphertexts,
# PostgreSQL for the Postgres runs of the persistence and HTTP suites), then builds and runs the
# whole suite and ends with one line: "N passed, M failed, K skipped", after the failed tests
# (name, message, top of the stack trace) when there are any.
#
# PostgreSQL: LKM_TEST_POSTGRES (a connection string to a server whose user may create
# databases) if set; else a throwaway cluster from Debian's package on a free loopback port,
# stopped afterwards; scripts/cluster-test.sh then runs two instances behind HAProxy on its own
# throwaway cluster (haproxy is installed with apt-get when missing). SQL Server: through Testcontainers when a Docker engine answers; otherwise
# those tests are skipped and say so. PKCS#11: a throwaway SoftHSM2 token (softhsm2 is installed
# with apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }
pg_dir=""; hsm_dir=""
cleanup() {
  [ -n "$pg_dir" ] && bash scripts/postgres-cluster.sh stop "$pg_dir"
  [ -n "$hsm_dir" ] && rm -rf "$hsm_dir"
  return 0
}
trap cleanup EXIT

need_apt=()
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
if ((${#need_apt[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    log "installing ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    log "missing ${need_apt[*]}: install them (or run as root) for the full suite"
  fi
fi

if command -v npm >/dev/null 2>&1; then
  log "installing the Hawk reference client (@hapi/hawk)"
  (cd tests/hawk-e2e && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

if [ -z "${LKM_TEST_POSTGRES:-}" ]; then
  pg_dir=$(mktemp -d /tmp/lkm-test-pg.XXXXXX)
  log "starting a throwaway PostgreSQL cluster"
  LKM_TEST_POSTGRES=$(bash scripts/postgres-cluster.sh start "$pg_dir")
  export LKM_TEST_POSTGRES
fi

hsm_dir=$(mktemp -d /tmp/lkm-test-hsm.XXXXXX)
log "creating a throwaway SoftHSM2 token"
eval "$(bash scripts/softhsm-token.sh "$hsm_dir")"

log "restoring tools and building"
dotnet tool restore >/dev/null
dotnet build LocalKeyManager.sln -c Release -warnaserror --nologo -v quiet >/dev/null

log "running the tests"
out=$(mktemp)
results_dir=$(mktemp -d /tmp/lkm-test-results.XXXXXX)
set +e
dotnet test --solution LocalKeyManager.sln -c Release --no-build \
  --report-xunit-ctrf --results-directory "$results_dir" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
# The tests' own output is long; name the failed ones again where the run ends: the failed
# tests from the reports, and failures outside any test (an assembly fixture's clean-up, such as
# the suite's log scan), which are in no report, from the runner's output.
failures=""
if [ "$status" -ne 0 ]; then
  if command -v node >/dev/null 2>&1; then
    failures=$(node scripts/failed-tests.mjs "$results_dir" 2>&1 || true)
  fi
  failures=$(printf '%s\n%s' "$failures" "$(awk '/^failed \[Test (Assembly|Collection|Class) Cleanup Failure/ { n = 8 } n > 0 && !/^[[:space:]]*\{/ { print; n-- }' "$out")" | sed '/^$/d')
fi
rm -rf "$results_dir"

# The runner prints a summary per test project; add them up.
read -r passed failed skipped < <(awk '
  /^[[:space:]]+failed: [0-9]+/    { f += $2 }
  /^[[:space:]]+succeeded: [0-9]+/ { p += $2 }
  /^[[:space:]]+skipped: [0-9]+/   { s += $2 }
  END { printf "%d %d %d\n", p, f, s }' "$out")
rm -f "$out"
# Several instances behind HAProxy on one PostgreSQL: its checks count like tests.
log "running the multi-instance checks (scripts/cluster-test.sh)"
cluster_out=$(mktemp)
set +e
bash scripts/cluster-test.sh 2>&1 | tee "$cluster_out"
cluster_status=${PIPESTATUS[0]}
set -e
passed=$((passed + $(grep -c '^PASS ' "$cluster_out" || true)))
if [ "$cluster_status" -ne 0 ]; then
  failed=$((failed + 1)); status=1
fi
rm -f "$cluster_out"

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the runner failed without counting a failed test (a build or host error): never report green
fi
[ -n "$failures" ] && printf '== failed tests\n%s\n' "$failures"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
