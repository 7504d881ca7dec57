#!/usr/bin/env bash
# What the bench/ scripts that drive the harness's backend share; sourced after the harness's lib.sh ($BENCH_DIR,
# $BENCH_WORK, $BENCH_CERTS, $BENCH_PIDS, die).
#   build_openloop   sets OPENLOOP to the harness's open-loop generator, (re)built into $BENCH_WORK/bin when missing
#                    or older than its source
#   read_token       sets TOKEN to the bench's JWT (certs.sh makes the bench PKI first when there is none)
#   ensure_backend   starts the harness's backend (nginx) unless the one its pid file names is alive, and sets
#                    STARTED_BACKEND=1 when it did
#   stop_started_backend  stops the backend if ensure_backend started it (a backend found running is left running)
#   start_target     (re)starts the hook folder BENCH_TARGET (default bench/sidecar; bench/floor is Armeria alone) with
#                    the caller's environment, sets TARGET to the folder and PIDS to its pid file, and on exit stops
#                    it and the backend this script started
#   h2load_through N sends N requests with the bench's token through the target's outbound listener, with h2load and
#                    the caller's FLAGS array (e.g. --h1 -c 64)

build_openloop() {
  OPENLOOP="$BENCH_WORK/bin/openloop"
  mkdir -p "$BENCH_WORK/bin"
  if [[ ! -x $OPENLOOP || $BENCH_DIR/loadgen/openloop.c -nt $OPENLOOP ]]; then
    gcc -O2 -o "$OPENLOOP" "$BENCH_DIR/loadgen/openloop.c" || die "cannot build openloop"
  fi
}

read_token() {
  [[ -s $BENCH_CERTS/token.jwt ]] || "$BENCH_DIR/certs.sh" >/dev/null
  TOKEN="$(cat "$BENCH_CERTS/token.jwt")"
}

# The pid file can outlive its processes (a machine restart, a killed run): every pid in it must be alive.
backend_alive() {
  [[ -s $BENCH_PIDS/backend.pids ]] || return 1
  local pid
  for pid in $(awk '{print $NF}' "$BENCH_PIDS/backend.pids"); do kill -0 "$pid" 2>/dev/null || return 1; done
}

STARTED_BACKEND=0
ensure_backend() {
  backend_alive && return 0
  rm -f "$BENCH_PIDS/backend.pids"
  # The backend outlives a script that leaves it running: it must not inherit a descriptor of the caller's
  # `flock /tmp/bench.lock` (nginx would hold the lock for good), so descriptors 3-9 are closed for it.
  "$BENCH_DIR/backend/start.sh" >/dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
  STARTED_BACKEND=1
}

stop_started_backend() {
  if ((STARTED_BACKEND)); then "$BENCH_DIR/backend/stop.sh" >/dev/null 2>&1 || true; fi
}

start_target() {
  TARGET="$(cd "${BENCH_TARGET:-$ROOT/bench/sidecar}" && pwd)"
  PIDS="$BENCH_PIDS/$(basename "$TARGET").pids"
  "$TARGET/stop.sh" >/dev/null 2>&1 || true
  "$TARGET/start.sh" >/dev/null
  trap '"$TARGET/stop.sh" >/dev/null 2>&1; stop_started_backend' EXIT
}

h2load_through() {
  timeout 300 h2load "${FLAGS[@]}" -t 1 -n "$1" -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$OUTBOUND_PORT/api/bench"
}
