#!/usr/bin/env bash
# Stops the sidecars started by start.sh (by their recorded PIDs only).
set -euo pipefail
# shellcheck source=/dev/null
source "$BENCH_DIR/lib.sh"
kill_pids "${BENCH_PID_NAME:-sidecar}"   # as start.sh
