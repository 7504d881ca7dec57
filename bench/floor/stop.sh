#!/usr/bin/env bash
# Stops the hops started by start.sh (by their recorded PIDs only).
set -euo pipefail
# shellcheck source=/dev/null
source "$BENCH_DIR/lib.sh"
kill_pids floor
