#!/usr/bin/env bash
# The load script: the two-hop path (load tool -> outbound sidecar -> mTLS -> inbound sidecar -> app) measured side
# by side with a direct call to the app and with HAProxy 2.6 doing the same two-hop work, in the same run, by the
# workplace's harness (../shared/bench: h2load, wrk and an open-loop generator; CPU seconds and RSS per process).
#
#   bench/run.sh                  verify the security rules, then direct + haproxy + trustline, 3 rounds (~25 min)
#   QUICK=1 bench/run.sh          one short round (~3 min), for a smoke test
#   bench/run.sh --no-verify      skip the functional check
#
# Needs (Debian): nginx haproxy nghttp2-client wrk curl jq openssl xxd gcc. Do not build or test while it runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS="${BENCH_HARNESS:-$ROOT/../shared/bench}"
[[ -x $HARNESS/run.sh ]] || { echo "bench: harness not found at $HARNESS (set BENCH_HARNESS)" >&2; exit 1; }
[[ -s $ROOT/sidecar/target/trustline-sidecar.jar ]] || (cd "$ROOT" && ./mvnw -B -q -DskipTests package)
# A JVM starts fresh for each slot: give the JIT time before measuring (the same for every target).
export WARMUP="${WARMUP:-15}"
export SIDECAR_DIR="$ROOT/bench/sidecar"
cd "$ROOT"
if [[ ${1:-} != --no-verify ]]; then
  "$HARNESS/verify.sh" sidecar
fi
exec "$HARNESS/run.sh" haproxy sidecar
