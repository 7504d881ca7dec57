#!/usr/bin/env bash
# Hook for ../shared/bench (run.sh): the framework's floor, two BareHop JVMs (Armeria alone: the transport of a
# Trustline sidecar and no pipeline), with the sidecar's JVM flags and classpath, on the harness's ports:
#   outbound 127.0.0.1:15001 (h1/h2c) --mTLS h2--> inbound 127.0.0.1:15006 (client certificate required) --> app :18080
# It checks no token and no rule, so it is not a sidecar and verify.sh does not pass against it: it shows what a
# sidecar on Armeria cannot go below. Measured against HAProxy: `SIDECAR_DIR=$PWD/bench/floor ../shared/bench/run.sh
# haproxy sidecar` (the harness names the row "sidecar"); against the sidecar, CPU per request:
# `BENCH_TARGET=bench/floor bench/cpu-per-request.sh`. (The harness takes a folder path as a target too, but then
# writes its raw files under a name with the path's slashes in it, which fails; docs/performance.md says how the
# three-way run was made.)
# The JVM flags are the sidecar's (bench/sidecar/jvm.sh, with TRUSTLINE_JVM_FLAGS and TRUSTLINE_JVM_EXTRA_FLAGS as
# there); the class is compiled into $BENCH_WORK/floor-classes when missing or older than its source, before the
# JVMs start, so no measured run compiles it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=/dev/null
source "$BENCH_DIR/lib.sh"
NAME=floor
LIB="$ROOT/sidecar/target/lib"
# The sidecar's jar only for its FlushBatching (transport settings the floor shares with the sidecar).
JAR="$ROOT/sidecar/target/trustline-sidecar.jar"
[[ -d $LIB && -s $JAR ]] || die "build the sidecar first: (cd $ROOT && ./mvnw -B -q -DskipTests package)"
[[ -s $BENCH_CERTS/client.pem ]] || "$BENCH_DIR/certs.sh"
[[ -s $BENCH_PIDS/$NAME.pids ]] && die "$NAME already running? ($BENCH_PIDS/$NAME.pids exists; run stop.sh)"
for p in $OUTBOUND_PORT $INBOUND_PORT; do port_free "$p" || die "port $p already in use"; done

CLASSES="$BENCH_WORK/floor-classes"
if [[ ! -s $CLASSES/BareHop.class || $HERE/BareHop.java -nt $CLASSES/BareHop.class ]]; then
  mkdir -p "$CLASSES"
  javac -d "$CLASSES" -cp "$JAR:$LIB/*" "$HERE/BareHop.java"
fi
# shellcheck source=bench/sidecar/jvm.sh
source "$ROOT/bench/sidecar/jvm.sh"

C="$BENCH_CERTS"
launch() { # label upstream-port cert key
  nohup "${TRUSTLINE_JAVA:-java}" "${JVM_FLAGS[@]}" -cp "$CLASSES:$JAR:$LIB/*" BareHop "$1" "$2" "$3" "$4" "$5" "$C/ca.crt" \
    >> "$BENCH_LOGS/floor-$1.log" 2>&1 < /dev/null &
  record_pid "$NAME" "$1" $!
}
launch inbound "$INBOUND_PORT" "$APP_PORT" "$C/server.crt" "$C/server.key"
launch outbound "$OUTBOUND_PORT" "$INBOUND_PORT" "$C/client.crt" "$C/client.key"
if ! wait_port "$INBOUND_PORT" 30 || ! wait_port "$OUTBOUND_PORT" 30; then
  "$HERE/stop.sh"
  die "floor hops did not come up (see $BENCH_LOGS/floor-*.log)"
fi
log "floor hops up (flags: ${JVM_FLAGS[*]}, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-default}): $(tr '\n' ' ' < "$BENCH_PIDS/$NAME.pids")"
