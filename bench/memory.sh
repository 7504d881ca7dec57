#!/usr/bin/env bash
# Memory of the two bench sidecars under load: starts them (bench/sidecar/start.sh, with its JVM flags or
# TRUSTLINE_JVM_FLAGS), warms them up, drives the two hops with the harness's open-loop generator
# (loadgen/openloop.c, HTTP/1.1, constant arrival rate) or with h2load (MEM_LOAD=h2c: the h2c-max scenario's
# -c 8 -m 8, closed loop), and prints per sidecar at the end of the load:
#   RSS and peak RSS (VmRSS, VmHWM), PSS (smaps_rollup: RSS with shared pages divided among their users),
#   young and full GCs per second and the share of wall time in GC during the load (jstat -gc deltas),
#   the live set (GC.class_histogram's total, which runs a full GC first),
#   with MEM_NMT=summary (default) the committed MB of every Native Memory Tracking category
#   (jcmd VM.native_memory summary); MEM_NMT=off measures RSS without NMT's own cost (NMT's own category).
#   bench/memory.sh          MEM_RATE=5000 MEM_SECONDS=45 MEM_WARMUP=15 MEM_CONNS=64 MEM_NMT=summary MEM_LOAD=openloop
# Compare flag sets with TRUSTLINE_JVM_FLAGS='...' and MALLOC_ARENA_MAX= (empty: glibc's default), e.g.
#   BENCH_HARNESS=../shared/bench flock -o /tmp/bench.lock bench/memory.sh
# (-o: the harness's backend, started here when none runs, must not inherit the lock and hold it after the run)
# Output: the table on stdout and, in $BENCH_WORK/results/memory-<timestamp>/, the raw NMT, jstat, histogram and
# load-tool outputs. Stops the sidecars it started, and the harness's backend if it started it, also on Ctrl-C.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BENCH_DIR="${BENCH_HARNESS:-$ROOT/../shared/bench}"
# shellcheck source=/dev/null
source "$BENCH_DIR/lib.sh"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
RATE="${MEM_RATE:-5000}"
SECONDS_LOAD="${MEM_SECONDS:-45}"
WARMUP="${MEM_WARMUP:-15}"
CONNS="${MEM_CONNS:-64}"
NMT="${MEM_NMT:-summary}"
LOAD="${MEM_LOAD:-openloop}"
OUT="${RESULTS:-$BENCH_WORK/results/memory-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT" "$BENCH_WORK/bin"
command -v jcmd >/dev/null && command -v jstat >/dev/null || die "jcmd and jstat (a full JDK) are needed"

build_openloop
read_token

cleanup() {
  "$ROOT/bench/sidecar/stop.sh" >/dev/null 2>&1 || true
  stop_started_backend
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ensure_backend

EXTRA="${TRUSTLINE_JVM_EXTRA_FLAGS:-}"
[[ $NMT == off ]] || EXTRA="$EXTRA -XX:NativeMemoryTracking=$NMT"
"$ROOT/bench/sidecar/stop.sh" >/dev/null 2>&1 || true
TRUSTLINE_JVM_EXTRA_FLAGS="$EXTRA" "$ROOT/bench/sidecar/start.sh" 2> "$OUT/start.txt"
cat "$OUT/start.txt" >&2

URL="http://127.0.0.1:$OUTBOUND_PORT/api/bench"
run_load() { # seconds output-file
  case $LOAD in
    openloop) timeout $(($1 + 30)) "$OPENLOOP" -a "127.0.0.1:$OUTBOUND_PORT" -p /api/bench -r "$RATE" -d "$1" -w 0 \
                -c "$CONNS" -H "Authorization: Bearer $TOKEN" > "$2" 2>&1 ;;
    h2c) timeout $(($1 + 30)) h2load -c 8 -m 8 -t 1 -D "$1" -H "Authorization: Bearer $TOKEN" "$URL" > "$2" 2>&1 ;;
    *) die "MEM_LOAD: $LOAD (expected: openloop or h2c)" ;;
  esac
}
run_load "$WARMUP" "$OUT/warmup.txt"   # JIT, pools, caches

declare -A gc0
while read -r label pid; do gc0[$label]=$(jstat -gc "$pid"); done < "$BENCH_PIDS/sidecar.pids"
t0=$(date +%s.%N)
run_load "$SECONDS_LOAD" "$OUT/load.txt"
t1=$(date +%s.%N)

kb() { awk -v f="$1:" '$1==f {print $2}' "$2"; }
mb() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }
# jstat -gc columns (JDK 17): ... YGC YGCT FGC FGCT CGC CGCT GCT; read them by name.
jstat_field() { awk -v f="$2" 'NR==1 { for (i = 1; i <= NF; i++) if ($i == f) c = i } NR==2 { print $c }' <<< "$1"; }
first_pid=$(awk 'NR == 1 {print $2}' "$BENCH_PIDS/sidecar.pids")
ARENAS=$(tr '\0' '\n' < "/proc/$first_pid/environ" | sed -n 's/^MALLOC_ARENA_MAX=//p')   # what start.sh gave them
{
  echo "load: $LOAD $( [[ $LOAD == openloop ]] && echo "$RATE req/s over $CONNS connections" || echo "h2load -c 8 -m 8") for ${SECONDS_LOAD}s after ${WARMUP}s warm-up; NMT $NMT; MALLOC_ARENA_MAX=${ARENAS:-default}"
  grep -E "^(requests:|RESULT|latency)|finished in|^requests:|status codes:" "$OUT/load.txt" || true
  printf '%-9s %7s %7s %8s %7s %8s %8s %6s %11s\n' sidecar "RSS MB" "PSS MB" "peak MB" "live MB" "young/s" "full/s" "GC %" "young/10k r"
} | tee "$OUT/summary.txt"
# Requests answered during the load: GCs per request hold when the machine is too busy to sustain the rate.
case $LOAD in
  openloop) N=$(sed -n 's/^RESULT .*ok=\([0-9]*\).*/\1/p' "$OUT/load.txt") ;;
  h2c) N=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$OUT/load.txt") ;;
esac
while read -r label pid; do
  rss=$(kb VmRSS "/proc/$pid/status"); hwm=$(kb VmHWM "/proc/$pid/status"); pss=$(kb Pss "/proc/$pid/smaps_rollup")
  g0="${gc0[$label]}"; g1=$(jstat -gc "$pid")
  cp "/proc/$pid/smaps" "$OUT/smaps-$label.txt" 2>/dev/null || true   # which mappings the RSS is made of
  [[ $NMT == off ]] || jcmd "$pid" VM.native_memory summary scale=KB > "$OUT/nmt-$label.txt"
  jcmd "$pid" GC.class_histogram > "$OUT/histogram-$label.txt"
  live=$(awk '$1 == "Total" {print $3}' "$OUT/histogram-$label.txt")
  printf '%s\n%s\n' "$g0" "$g1" > "$OUT/jstat-$label.txt"
  awk -v l="$label" -v rss="$(mb "$rss")" -v pss="$(mb "$pss")" -v hwm="$(mb "$hwm")" \
    -v live="$(awk -v b="$live" 'BEGIN { printf "%.1f", b / 1048576 }')" -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
    -v y0="$(jstat_field "$g0" YGC)" -v y1="$(jstat_field "$g1" YGC)" -v f0="$(jstat_field "$g0" FGC)" \
    -v f1="$(jstat_field "$g1" FGC)" -v t0="$(jstat_field "$g0" GCT)" -v t1="$(jstat_field "$g1" GCT)" \
    -v n="${N:-0}" \
    'BEGIN { printf "%-9s %7s %7s %8s %7s %8.1f %8.2f %6.2f %11.1f\n", l, rss, pss, hwm, live, (y1 - y0) / s, (f1 - f0) / s,
             (t1 - t0) / s * 100, n ? (y1 - y0) / n * 10000 : 0 }'
done < "$BENCH_PIDS/sidecar.pids" | tee -a "$OUT/summary.txt"

if [[ $NMT != off ]]; then
  # One row per NMT category (committed MB), one column per sidecar.
  labels=$(awk '{print $1}' "$BENCH_PIDS/sidecar.pids")
  for l in $labels; do
    awk -v l="$l" '
      /^Total: / { match($0, /committed=[0-9]+KB/); print l "\tTotal\t" substr($0, RSTART + 10, RLENGTH - 12) / 1024 }
      /^-  *[A-Z].*\(reserved=[0-9]+KB, committed=[0-9]+KB/ {
        name = $0; sub(/^- */, "", name); sub(/ *\(reserved=.*/, "", name)
        match($0, /committed=[0-9]+KB/); print l "\t" name "\t" substr($0, RSTART + 10, RLENGTH - 12) / 1024 }
      /^ *\(  *Metadata: *$/ { meta = 1 } meta && /committed=/ { match($0, /committed=[0-9]+KB/); print l "\t  (metaspace)\t" substr($0, RSTART + 10, RLENGTH - 12) / 1024; meta = 0 }
      /^ *\(  *Class space: *$/ { cs = 1 } cs && /committed=/ { match($0, /committed=[0-9]+KB/); print l "\t  (class space)\t" substr($0, RSTART + 10, RLENGTH - 12) / 1024; cs = 0 }
    ' "$OUT/nmt-$l.txt"
  done > "$OUT/nmt.tsv"
  {
    printf '%-28s' "NMT committed MB"; for l in $labels; do printf ' %9s' "$l"; done; echo
    awk -F'\t' -v labels="$labels" '!($2 in seen) { seen[$2] = 1; order[++n] = $2 } { v[$2, $1] = $3 }
      END { m = split(labels, ls, /[ \n]+/)
            for (i = 1; i <= n; i++) { printf "%-28s", order[i]; for (j = 1; j <= m; j++) printf " %9.1f", v[order[i], ls[j]]; print "" } }' \
      "$OUT/nmt.tsv"
  } | tee -a "$OUT/summary.txt"
fi
echo "raw outputs: $OUT" >&2
