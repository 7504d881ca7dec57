#!/usr/bin/env bash
# Hook for ../shared/bench (run.sh / verify.sh): starts two Trustline sidecars as two JVMs, as in a mesh:
#   outbound 127.0.0.1:15001 (plaintext from the load tool) --mTLS h2--> inbound 127.0.0.1:15006 --> app :18080
# Identities come from the harness's PKI ($BENCH_CERTS, files mode); the inbound's policy checks the JWT from
# jwks.json (iss/aud as in certs.sh), allows only sa/client to GET /api/*, and limits each caller to
# $BENCH_RATE_LIMIT requests per 10 s. Access logging is off. JVM flags are fixed and stated below.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=/dev/null
source "$BENCH_DIR/lib.sh"
# The harness reads a target's pids from <its hook folder>.pids: a copy of this hook under another folder name (an A/B
# target such as v-head) sets BENCH_PID_NAME to that name, and passes it to stop.sh too, or the harness counts the
# sidecars' CPU as another process's and calls every run noisy.
NAME="${BENCH_PID_NAME:-sidecar}"
# TRUSTLINE_ROUTE_EXTRA adds keys to the outbound route (e.g. ', retries: {attempts: 1}' for an A/B of the retrying
# client). TRUSTLINE_JAR runs another build (A/B runs of two builds copied aside, each jar with its lib/ beside it).
JAR="${TRUSTLINE_JAR:-$ROOT/sidecar/target/trustline-sidecar.jar}"
[[ -s $JAR ]] || die "build the sidecar first: (cd $ROOT && ./mvnw -B -q -DskipTests package)"
[[ -s $BENCH_CERTS/client.pem ]] || "$BENCH_DIR/certs.sh"
[[ -s $BENCH_PIDS/$NAME.pids ]] && die "$NAME already running? ($BENCH_PIDS/$NAME.pids exists; run stop.sh)"
for p in $OUTBOUND_PORT $INBOUND_PORT; do port_free "$p" || die "port $p already in use"; done

RATE="${BENCH_RATE_LIMIT:-1000000}"
WORK="$BENCH_WORK/trustline"
rm -rf "$WORK"; mkdir -p "$WORK/policies"
C="$BENCH_CERTS"
# shellcheck source=/dev/null
source "$C/claims.env"

# The JVM flags (quoted in the benchmark notes, shared with bench/floor/start.sh) and TRUSTLINE_JVM_FLAGS,
# TRUSTLINE_JVM_EXTRA_FLAGS and MALLOC_ARENA_MAX: bench/sidecar/jvm.sh. TRUSTLINE_JAVA picks the java binary (default:
# java on the PATH).
# shellcheck source=bench/sidecar/jvm.sh
source "$HERE/jvm.sh"

cat > "$WORK/inbound.yaml" <<YAML
service: server
namespace: default
trustDomain: bench.local
identity: {certFile: $C/server.crt, keyFile: $C/server.key, bundleFile: $C/ca.crt}
inbound:
  listen: 127.0.0.1:$INBOUND_PORT
  app: 127.0.0.1:$APP_PORT
policy: {dir: $WORK/policies}
accessLog: {sink: off}
admin: {listen: 127.0.0.1:15000}
YAML

# The same rules as the HAProxy peer: JWT (RS256 from jwks.json; iss/aud as certs.sh writes them), only sa/client,
# only GET /api/*, and a per-identity limit of $RATE requests per 10 s (a token bucket: burst $RATE, refill $RATE/10s).
cat > "$WORK/policies/bench.yaml" <<YAML
apiVersion: trustline.io/v1
kind: Policy
metadata: {name: bench-inbound}
spec:
  service: server
  jwt:
    - issuer: $JWT_ISS
      audiences: ["$JWT_AUD"]
      algorithms: [RS256, ES256]
      jwksFile: $C/jwks.json
      required: true              # a call without a token is 401, as the HAProxy peer answers
  rules:
    - name: client-reads-api
      action: allow
      from:
        principals: ["$CLIENT_ID"]
        requestPrincipals: ["$JWT_ISS/*"]
      to:
        methods: [GET]
        paths: ["/api/*"]
  rateLimits:
    - {name: per-caller, key: principal, rate: $((RATE * 6))/m, burst: $RATE}
YAML

cat > "$WORK/outbound.yaml" <<YAML
service: client
namespace: default
trustDomain: bench.local
identity: {certFile: $C/client.crt, keyFile: $C/client.key, bundleFile: $C/ca.crt}
inbound:
  listen: 127.0.0.1:15106
  app: 127.0.0.1:18099
outbound:
  listen: 127.0.0.1:$OUTBOUND_PORT
  routes:
    # The load tool calls http://127.0.0.1:15001/..., so its Host header is the route name.
    127.0.0.1: {address: 127.0.0.1:$INBOUND_PORT, identity: spiffe://bench.local/ns/default/sa/server${TRUSTLINE_ROUTE_EXTRA:-}}
accessLog: {sink: off}
admin: {listen: 127.0.0.1:15100}
YAML

launch() { # label config
  nohup "${TRUSTLINE_JAVA:-java}" "${JVM_FLAGS[@]}" -jar "$JAR" --config "$2" >> "$BENCH_LOGS/trustline-$1.log" 2>&1 < /dev/null &
  record_pid "$NAME" "$1" $!
}
launch inbound "$WORK/inbound.yaml"
launch outbound "$WORK/outbound.yaml"
if ! wait_port "$INBOUND_PORT" 30 || ! wait_port "$OUTBOUND_PORT" 30; then
  "$HERE/stop.sh"
  die "trustline sidecars did not come up (see $BENCH_LOGS/trustline-*.log)"
fi
log "trustline sidecars up (rate limit ${RATE}/10s, flags: ${JVM_FLAGS[*]}, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-default}): $(tr '\n' ' ' < "$BENCH_PIDS/$NAME.pids")"
