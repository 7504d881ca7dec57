#!/usr/bin/env bash
# A/B helper for changes on the request path when the machine is not quiet: CPU time per request is far less
# sensitive to other load than req/s. Starts the bench sidecars (bench/sidecar/start.sh), warms them up, sends a
# fixed number of requests through the two hops with h2load and prints, per sidecar process, utime+stime divided by
# the requests, plus the req/s h2load saw (noisy when the machine is busy).
#   bench/cpu-per-request.sh [REQUESTS] [h2load flags...]     e.g. bench/cpu-per-request.sh 200000 --h1 -c 64
# BENCH_TARGET names another harness hook folder to measure the same way, e.g. BENCH_TARGET=bench/floor for Armeria
# alone (bench/floor/BareHop.java); its processes are those in the pid file named after the folder.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BENCH_DIR="${BENCH_HARNESS:-$ROOT/../shared/bench}"
# shellcheck source=/dev/null
source "$BENCH_DIR/lib.sh"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
N="${1:-200000}"; shift || true
FLAGS=("$@"); ((${#FLAGS[@]})) || FLAGS=(--h1 -c 64)
read_token
ensure_backend
start_target
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
h2load_through $((N / 2)) >/dev/null 2>&1   # warm-up: JIT, pools, caches
declare -A before
while read -r label pid; do before[$label]=$(ticks "$pid"); done < "$PIDS"
started=$(cat "$PIDS")
out=$(h2load_through "$N" 2>&1)
hz=$(getconf CLK_TCK)
echo "$out" | grep -E "finished in|requests:|status codes:"
# The pid file is shared by everything that uses the harness: a run that replaced our processes measured nothing.
[[ $(cat "$PIDS" 2>/dev/null) == "$started" ]] || { trap - EXIT; die "$PIDS changed during the run: not measured"; }
while read -r label pid; do
  [[ -r /proc/$pid/stat ]] || die "$label pid $pid is gone"
  t=$(( $(ticks "$pid") - ${before[$label]} ))
  awk -v l="$label" -v t="$t" -v hz="$hz" -v n="$N" -v rss="$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")" \
    'BEGIN { printf "%-9s %6.1f us CPU/request  RSS %d MB\n", l, t / hz * 1e6 / n, rss / 1024 }'
done < "$PIDS"
