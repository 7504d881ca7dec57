#!/usr/bin/env bash
# Where the latency tail of the two bench sidecars comes from: an open-loop run (the harness's openloop, HTTP/1.1,
# constant arrival rate) with every request's latency kept, set against what each sidecar did in the same half
# second: young-GC pause time (-Xlog:gc), code made not entrant and compiled (-XX:+PrintCompilation), and the CPU of
# its event loop, its C2 and C1 compiler threads and the rest (/proc/PID/task/*/schedstat, sampled every 100 ms).
#   bench/tail.sh [OUTDIR]   TAIL_RATE=5000 TAIL_SECONDS=30 TAIL_WARMUP=15 TAIL_CONNS=64 TAIL_SCRAPE_EVERY= TAIL_PROBE_EVERY=
# TAIL_SCRAPE_EVERY=N also scrapes both sidecars' /metrics every N s from the start of the warm-up (a Prometheus
# server's load); TAIL_PROBE_EVERY=N asks both for /readyz every N s from before they start (kubelet's probes, which
# put the admin server's types into the JIT's profiles early); TRUSTLINE_JAR runs another build. Prints the run's percentiles and one line per half second:
#   t, requests over 2 ms, their worst, then per sidecar (in/out) GC pause ms, methods made not entrant, C2 CPU ms,
#   event-loop CPU ms, and the ms the event loop was runnable but waiting for a core. The sidecars' logs in
#   $BENCH_LOGS are emptied first (they receive PrintCompilation's lines).
# Raw files in OUTDIR (default $BENCH_WORK/results/tail-<timestamp>): dump.tsv (due ms, status, latency us, service
# us), gc-<pid>.txt, compile-<label>.log, threads.tsv, scrapes.txt. Wrap it in `flock -o /tmp/bench.lock` on a shared
# machine. Stops the sidecars it started, and the harness's backend if it started it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BENCH_DIR="${BENCH_HARNESS:-$ROOT/../shared/bench}"
# shellcheck source=/dev/null
source "$BENCH_DIR/lib.sh"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
RATE="${TAIL_RATE:-5000}"
SECS="${TAIL_SECONDS:-30}"
WARMUP="${TAIL_WARMUP:-15}"
CONNS="${TAIL_CONNS:-64}"
SCRAPE="${TAIL_SCRAPE_EVERY:-}"
PROBE="${TAIL_PROBE_EVERY:-}"
OUT="${1:-$BENCH_WORK/results/tail-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT" "$BENCH_WORK/bin"; OUT="$(cd "$OUT" && pwd)"
build_openloop
read_token

SAMPLER=""
SCRAPER=""
PROBER=""
cleanup() {
  [[ -z $SAMPLER ]] || kill "$SAMPLER" 2>/dev/null || true
  [[ -z $SCRAPER ]] || kill "$SCRAPER" 2>/dev/null || true
  [[ -z $PROBER ]] || kill "$PROBER" 2>/dev/null || true
  "$ROOT/bench/sidecar/stop.sh" >/dev/null 2>&1 || true
  stop_started_backend
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ensure_backend

"$ROOT/bench/sidecar/stop.sh" >/dev/null 2>&1 || true
for label in inbound outbound; do : > "$BENCH_LOGS/trustline-$label.log"; done
ADMIN_PORTS="15000 15100"   # the two sidecars' admin listeners (bench/sidecar/start.sh)
poll_admin() { # every-seconds path: GET the path on both admin ports every N s; a line per request: time, port, s
  while true; do
    for port in $ADMIN_PORTS; do
      echo "$(date +%s.%N) $port $(curl -s -o /dev/null -w '%{time_total}' "127.0.0.1:$port$2")"
    done
    sleep "$1"
  done
}
if [[ -n $PROBE ]]; then
  poll_admin "$PROBE" /readyz >/dev/null 2>&1 &
  PROBER=$!
fi
TRUSTLINE_JVM_EXTRA_FLAGS="${TRUSTLINE_JVM_EXTRA_FLAGS:-} -XX:+PrintCompilation \
-Xlog:gc:file=$OUT/gc-%p.txt:time,uptime" "$ROOT/bench/sidecar/start.sh" 2> "$OUT/start.txt"
cp "$BENCH_PIDS/sidecar.pids" "$OUT/"

if [[ -n $SCRAPE ]]; then
  poll_admin "$SCRAPE" /metrics > "$OUT/scrapes.txt" 2>/dev/null &
  SCRAPER=$!
fi
load() { # warm-up seconds, measured seconds, extra openloop args...
  local w=$1 d=$2; shift 2
  "$OPENLOOP" -a "127.0.0.1:$OUTBOUND_PORT" -p /api/bench -r "$RATE" -w "$w" -d "$d" -c "$CONNS" \
    -H "Authorization: Bearer $TOKEN" "$@"
}
load 0 "$WARMUP" > "$OUT/warmup.txt" 2>&1
python3 "$ROOT/bench/tail-threads.py" sample "$BENCH_PIDS/sidecar.pids" "$OUT/threads.tsv" &
SAMPLER=$!
# The measured run opens its own connections; its first 2 s are its warm-up (new connections), not counted.
date +%s.%N > "$OUT/t0"
load 2 "$SECS" -o "$OUT/dump.tsv" > "$OUT/load.txt" 2>&1
kill "$SAMPLER" 2>/dev/null || true; SAMPLER=""
for label in inbound outbound; do cp "$BENCH_LOGS/trustline-$label.log" "$OUT/compile-$label.log"; done
grep RESULT "$OUT/load.txt" || die "no result from openloop (see $OUT/load.txt)"
python3 "$ROOT/bench/tail-threads.py" report "$OUT"
