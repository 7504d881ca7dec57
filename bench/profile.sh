#!/usr/bin/env bash
# CPU profile of both bench sidecars under h2load load: starts them (bench/sidecar/start.sh, the bench's JVM flags plus
# -XX:+DebugNonSafepoints), warms them up, attaches async-profiler to each (jcmd JVMTI.agent_load, event itimer: perf
# events are not available in this sandbox), sends REQUESTS through the two hops, and writes per sidecar into OUTDIR
# LABEL.collapsed (collapsed stacks) and LABEL.html (flame graph), then prints bench/profile-summary.py for each.
# Profiling starts after the warm-up (PROFILE_WARMUP requests, default REQUESTS), so that most JIT compilation is over.
#   bench/profile.sh OUTDIR [REQUESTS] [h2load flags...]     e.g. bench/profile.sh /tmp/prof 200000 --h1 -c 64
# BENCH_TARGET=bench/floor profiles Armeria alone (bench/floor/BareHop.java) the same way.
# async-profiler's agent comes from Maven Central (tools.profiler:async-profiler:4.6:jar:linux-x64); ASYNC_PROFILER
# names the libasyncProfiler.so to use, else it is fetched once into $BENCH_WORK/async-profiler. On a shared machine
# wrap load runs in `flock -o /tmp/bench.lock` (-o: nothing the run starts keeps the lock).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BENCH_DIR="${BENCH_HARNESS:-$ROOT/../shared/bench}"
# shellcheck source=/dev/null
source "$BENCH_DIR/lib.sh"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
OUT="${1:?usage: bench/profile.sh OUTDIR [REQUESTS] [h2load flags...]}"; shift
N="${1:-200000}"; shift || true
FLAGS=("$@"); ((${#FLAGS[@]})) || FLAGS=(--h1 -c 64)
INTERVAL="${PROFILE_INTERVAL:-1ms}"
# PROFILE_EVENT=alloc profiles heap allocation instead (async-profiler's TLAB sampling, every 512 KiB by default); the
# collapsed stacks then weigh bytes allocated, not samples, and the per-layer summary reads as shares of the bytes.
EVENT="${PROFILE_EVENT:-itimer}"
if [[ $EVENT == alloc ]]; then START_OPTS="event=alloc"; DUMP_OPTS="collapsed,total"; else
  START_OPTS="event=$EVENT,interval=$INTERVAL"; DUMP_OPTS="collapsed"; fi
# Requests before the profiler starts: C2 keeps compiling for a while, and its threads' samples are not the
# request path's cost (they show up as the "JIT compiler" layer).
WARMUP="${PROFILE_WARMUP:-$N}"
mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"

AP_VERSION=4.6
LIB="${ASYNC_PROFILER:-$BENCH_WORK/async-profiler/linux-x64/libasyncProfiler.so}"
if [[ ! -s $LIB ]]; then
  mkdir -p "$BENCH_WORK/async-profiler"
  (cd "$ROOT" && ./mvnw -B -q dependency:copy -Dartifact="tools.profiler:async-profiler:$AP_VERSION:jar:linux-x64" \
    -DoutputDirectory="$BENCH_WORK/async-profiler")
  (cd "$BENCH_WORK/async-profiler" && unzip -q -o "async-profiler-$AP_VERSION-linux-x64.jar" 'linux-x64/*')
fi
[[ -s $LIB ]] || die "no async-profiler agent at $LIB"

read_token
ensure_backend
# Samples between safepoints are attributed to the right inlined frame only with DebugNonSafepoints.
TRUSTLINE_JVM_EXTRA_FLAGS="-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints" start_target
# The quotes keep jcmd's own parser from splitting the agent's options at '='.
agent() {
  local out
  out=$(jcmd "$1" JVMTI.agent_load "$LIB" "\"$2\"" 2>&1) || die "async-profiler $2: $out"
  if grep -q ERROR <<< "$out"; then die "async-profiler $2: $out"; fi
}

started=$(cat "$PIDS")
h2load_through "$WARMUP" >/dev/null 2>&1   # warm-up: JIT, pools, caches
# Attach only to the JVMs this script started (the pid file is shared by everything that uses the harness).
[[ $(cat "$PIDS" 2>/dev/null) == "$started" ]] || { trap - EXIT; die "$PIDS changed: another load run is active?"; }
while read -r label pid; do agent "$pid" "start,$START_OPTS"; done < "$PIDS"
h2load_through "$N" 2>&1 | grep -E "finished in|requests:|status codes:"
while read -r label pid; do
  agent "$pid" "dump,file=$OUT/$label.collapsed,$DUMP_OPTS"   # the load is over: nothing more to sample
  agent "$pid" "stop,file=$OUT/$label.html,flamegraph"
done < "$PIDS"
while read -r label pid; do
  echo; echo "=== $label $(basename "$TARGET") ($OUT/$label.collapsed, $OUT/$label.html)"
  python3 "$ROOT/bench/profile-summary.py" "$OUT/$label.collapsed"
done < "$PIDS"
