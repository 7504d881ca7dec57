#!/usr/bin/env bash
# Structure check, after a build (./mvnw -B -q -DskipTests package): prints the package cycles inside each module
# (jdeps on <module>/target/classes; each cycle with the class dependencies that close it), each use of another
# module's `internal` packages, and the main source files over 600 lines. Exit 0: none found; 1: some found; 2: a
# module is not built. Needs a JDK 17+ (jdeps). The sidecar's PackageCyclesTest finds cycles with the same class.
#   bench/check-structure.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec java "$ROOT/bench/structure/io/trustline/structure/CheckStructure.java" "$ROOT"
