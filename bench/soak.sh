#!/usr/bin/env bash
# Soak: the two-hop path (load -> outbound sidecar -> mTLS -> inbound sidecar -> app) at a steady, modest arrival
# rate for a long time, to show what a latency benchmark cannot: whether memory, threads or file descriptors of the
# sidecars creep up, and whether errors appear over time. Uses the shared harness's open-loop generator
# (loadgen/openloop.c, constant arrival rate, no coordinated omission) and the bench sidecars (bench/sidecar/start.sh).
#   bench/soak.sh                      SOAK_MINUTES=30 SOAK_RATE=200 SOAK_CONNS=16 SAMPLE_SECONDS=10
# Every SAMPLE_SECONDS it records, per sidecar process, RSS (kB), threads, open FDs and CPU ticks to samples.tsv;
# at the end it prints a summary (start/end/max of each, and the generator's counts incl. errors and non-2xx).
# Output goes to $BENCH_WORK/results/soak-<timestamp>/ (samples.tsv, openloop.txt, summary.txt).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BENCH_DIR="${BENCH_HARNESS:-$ROOT/../shared/bench}"
# shellcheck source=/dev/null
source "$BENCH_DIR/lib.sh"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
MINUTES="${SOAK_MINUTES:-30}"
RATE="${SOAK_RATE:-200}"
CONNS="${SOAK_CONNS:-16}"
EVERY="${SAMPLE_SECONDS:-10}"
OUT="${RESULTS:-$BENCH_WORK/results/soak-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT" "$BENCH_WORK/bin"

build_openloop
read_token

ensure_backend
"$ROOT/bench/sidecar/stop.sh" >/dev/null 2>&1 || true
"$ROOT/bench/sidecar/start.sh" >/dev/null
LOAD_PID=""
cleanup() {
  [[ -n $LOAD_PID ]] && kill "$LOAD_PID" 2>/dev/null || true
  "$ROOT/bench/sidecar/stop.sh" >/dev/null 2>&1 || true
  stop_started_backend
}
trap cleanup EXIT

sample() { # label pid -> one TSV row
  local label=$1 pid=$2
  [[ -r /proc/$pid/status ]] || return 0
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%s)" "$label" \
    "$(awk '$1=="VmRSS:"{print $2}' "/proc/$pid/status")" \
    "$(awk '$1=="Threads:"{print $2}' "/proc/$pid/status")" \
    "$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" \
    "$(cpu_ticks "$pid")"
}

SECONDS_TOTAL=$((MINUTES * 60))
log "soak: ${RATE} req/s over ${CONNS} connections for ${MINUTES} min, sampling every ${EVERY}s into $OUT"
printf 'epoch\tprocess\trss_kb\tthreads\tfds\tcpu_ticks\n' > "$OUT/samples.tsv"
while read -r label pid; do sample "$label" "$pid" >> "$OUT/samples.tsv"; done < "$BENCH_PIDS/sidecar.pids"
# -T 10: requests still in flight at the end get 10 s to finish before they count as timed out.
timeout $((SECONDS_TOTAL + 120)) "$OPENLOOP" -a "127.0.0.1:$OUTBOUND_PORT" -p /api/bench -r "$RATE" \
  -d "$SECONDS_TOTAL" -w 0 -c "$CONNS" -T 10 -H "Authorization: Bearer $TOKEN" > "$OUT/openloop.txt" 2>&1 &
LOAD_PID=$!
while kill -0 "$LOAD_PID" 2>/dev/null; do
  sleep "$EVERY"
  while read -r label pid; do sample "$label" "$pid" >> "$OUT/samples.tsv"; done < "$BENCH_PIDS/sidecar.pids"
done
wait "$LOAD_PID" || log "openloop exited with status $?"
LOAD_PID=""

{
  echo "soak: ${RATE} req/s, ${CONNS} connections, ${MINUTES} min, samples every ${EVERY}s ($(date -u +%FT%TZ))"
  echo "machine: $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  grep -E '^(requests|connections closed|latency|service)' "$OUT/openloop.txt" || cat "$OUT/openloop.txt"
  awk -F'\t' 'NR > 1 {
      p = $2; n[p]++
      if (n[p] == 1) { r0[p] = $3; t0[p] = $4; f0[p] = $5; c0[p] = $6; e0[p] = $1 }
      r1[p] = $3; t1[p] = $4; f1[p] = $5; c1[p] = $6; e1[p] = $1
      if ($3 > rm[p]) rm[p] = $3; if ($4 > tm[p]) tm[p] = $4; if ($5 > fm[p]) fm[p] = $5
    }
    END {
      printf "%-9s %8s %25s %20s %20s %10s\n", "process", "samples", "RSS MB start/end/max", "threads s/e/max", "FDs s/e/max", "CPU %"
      for (p in n) printf "%-9s %8d %9.0f/%.0f/%.0f %14d/%d/%d %14d/%d/%d %10.1f\n", p, n[p],
        r0[p] / 1024, r1[p] / 1024, rm[p] / 1024, t0[p], t1[p], tm[p], f0[p], f1[p], fm[p],
        (e1[p] > e0[p]) ? 100 * (c1[p] - c0[p]) / ticks / (e1[p] - e0[p]) : 0
    }' ticks="$CLK_TCK" "$OUT/samples.tsv"
} | tee "$OUT/summary.txt"
