# Shared by bench/run.sh and bench/baseline.sh (sourced, not run). They set ROOT, BENCH and OUT,
# and define log and die, before calling these.

# Checks the tools and makes a temporary WORK directory with APP (the published service) and RUN
# (its working directory: database, master key file, logs) in it.
bench_workdir() {
  command -v dotnet >/dev/null || die "dotnet is not on PATH"
  command -v openssl >/dev/null || die "openssl is not on PATH (apt-get install openssl)"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/lkm-bench.XXXXXX")
  APP=$WORK/app
  RUN=$WORK/run
  mkdir -p "$APP" "$RUN" "$(dirname "$OUT")"
}

# Publishes src/Api (Release) to $APP and builds the named bench/ projects (Release).
# Sets COMMIT and DIRTY: the commit and the uncommitted changes under src/ of what is published.
# Intermediate files go to bench/.artifacts, not src/*/obj, so a benchmark does not disturb (or
# get disturbed by) a build of the solution running at the same time.
bench_build() {
  COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  DIRTY=$(GIT_OPTIONAL_LOCKS=0 git -C "$ROOT" status --porcelain --untracked-files=no -- src 2>/dev/null | wc -l)
  log "publishing src/Api (Release) to $APP"
  dotnet publish "$ROOT/src/Api" -c Release -o "$APP" --artifacts-path "$BENCH/.artifacts" -nologo -v q >"$WORK/publish.log" 2>&1 \
    || { cat "$WORK/publish.log" >&2; die "dotnet publish failed"; }
  local project
  for project in "$@"; do
    log "building bench/$project (Release)"
    dotnet build "$BENCH/$project" -c Release -nologo -v q >"$WORK/$project-build.log" 2>&1 \
      || { cat "$WORK/$project-build.log" >&2; die "$project build failed"; }
  done
}

# The service's own command line makes the admin credential in $RUN; prints its authKey.
bench_admin_key() {
  local json key
  json=$(cd "$RUN" && dotnet "$APP/lkm.dll" credentials create --id bench-admin --role admin 2>"$WORK/credentials.err") \
    || { cat "$WORK/credentials.err" >&2; die "lkm credentials create failed"; }
  key=$(sed -n 's/.*"authKey":"\([^"]*\)".*/\1/p' <<<"$json")
  [[ -n $key ]] || die "no authKey in: $json"
  printf '%s\n' "$key"
}

# Every server bench_start started, for bench_stop_all (the scripts' exit trap): also one that
# was interrupted before it announced its port.
BENCH_PIDS=()

# Starts "$@" in $RUN with Kestrel on port 0 (a free loopback port it picks and logs: no race with
# a port chosen beforehand), output to LOGFILE (the first argument). Sets STARTED_PID and
# STARTED_URL once the port is announced.
bench_start() {
  local logfile=$1 port=
  shift
  (cd "$RUN" && exec "$@" --urls "http://127.0.0.1:0") >"$logfile" 2>&1 &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
  for _ in $(seq 1 300); do
    kill -0 "$STARTED_PID" 2>/dev/null || { cat "$logfile" >&2; die "$* exited during start-up"; }
    port=$(sed -n 's#.*Now listening on: http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$logfile" | head -n1)
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { kill "$STARTED_PID" 2>/dev/null; cat "$logfile" >&2; die "$* did not say which port it listens on within 30 s"; }
  STARTED_URL=http://127.0.0.1:$port
}

# Stops every server bench_start started.
bench_stop_all() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
