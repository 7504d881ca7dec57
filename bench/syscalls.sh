#!/usr/bin/env bash
# System calls, futex calls and context switches per request of each sidecar process: counts, not times, so they
# hold on a noisy machine where CPU time does not. Starts the bench sidecars (bench/sidecar/start.sh), warms them
# up, counts with `perf stat` (kernel tracepoints) while h2load sends a fixed number of requests, and divides by it.
#   bench/syscalls.sh [REQUESTS] [h2load flags...]     e.g. bench/syscalls.sh 100000 -c 8 -m 8   (h2c from the app)
# Needs perf (apt-get install linux-perf) and root or kernel.perf_event_paranoid <= -1 for the tracepoints.
# PER_THREAD=1 splits the counts by thread name (which thread makes the futex calls). BENCH_TARGET as in
# bench/cpu-per-request.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BENCH_DIR="${BENCH_HARNESS:-$ROOT/../shared/bench}"
# shellcheck source=/dev/null
source "$BENCH_DIR/lib.sh"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
command -v perf >/dev/null || die "perf missing (apt-get install -y linux-perf)"
N="${1:-100000}"; shift || true
FLAGS=("$@"); ((${#FLAGS[@]})) || FLAGS=(--h1 -c 64)
EVENTS=context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_sendto,syscalls:sys_enter_writev
EVENTS+=,syscalls:sys_enter_recvfrom,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_pwait2
read_token
ensure_backend
start_target
h2load_through $((N / 2)) >/dev/null 2>&1   # warm-up: JIT, pools, caches
out_dir=$(mktemp -d)
perfs=()
while read -r label pid; do
  perf stat ${PER_THREAD:+--per-thread} -x, -e "$EVENTS" -p "$pid" -o "$out_dir/$label" & perfs+=($!)
done < "$PIDS"
sleep 1   # perf attached
h2load_through "$N" 2>&1 | grep -E "finished in|status codes:"
kill -INT "${perfs[@]}"; wait "${perfs[@]}" 2>/dev/null || true
while read -r label pid; do
  echo "== $label, per request"
  if [[ -n ${PER_THREAD:-} ]]; then
    # perf names a thread comm-tid; the comm is cut to 15 characters by the kernel.
    awk -F, -v n="$N" '$2 ~ /^[0-9]+$/ && $2 > 0 { printf "  %-24s %-32s %.3f\n", $1, $4, $2 / n }' \
      "$out_dir/$label" | sort -k3 -nr | head -20
  else
    awk -F, -v n="$N" '$1 ~ /^[0-9]+$/ { printf "  %-32s %.2f\n", $3, $1 / n }' "$out_dir/$label"
  fi
done < "$PIDS"
rm -rf "$out_dir"
