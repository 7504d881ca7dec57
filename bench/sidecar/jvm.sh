#!/usr/bin/env bash
# The JVM every bench hop runs in (bench/sidecar/start.sh, bench/floor/start.sh), sourced by both so that a sidecar
# and the framework's floor are measured with the same flags. They are quoted in the benchmark notes: a small fixed
# heap, serial GC (no GC threads competing with the event loops on 2 cores), one event loop per JVM (two JVMs, the load
# tool and the app share 2 cores; Armeria's default of two per core measured 26-52% more CPU per request,
# docs/performance.md "How many event loops"). A sidecar's is its config's eventLoops default. The floor, a plain
# Armeria server, runs on Armeria's common group, hence numCommonWorkers=1; in a sidecar that group carries only
# Armeria's housekeeping timers (one thread), and the image does not set the flag. Then Netty's pooled allocator
# (~7% less CPU per request than 4.2's default adaptive one in bench/cpu-per-request.sh). The memory
# flags are the image's (examples/pom.xml, measured with bench/memory.sh in docs/performance.md#memory): a 48 MiB heap
# with a 16 MiB young generation, one Netty arena of 1 MiB chunks, free C heap given back every 10 s, 2 malloc arenas.
# TRUSTLINE_JVM_FLAGS replaces the flags, TRUSTLINE_JVM_EXTRA_FLAGS adds to them (NMT, GC logs, bench/profile.sh's
# -XX:+DebugNonSafepoints); MALLOC_ARENA_MAX from the environment wins (empty: glibc's default).
# Sets JVM_FLAGS and exports MALLOC_ARENA_MAX.
# shellcheck disable=SC2206  # the flags are split on spaces on purpose
JVM_FLAGS=(${TRUSTLINE_JVM_FLAGS:--Xms48m -Xmx48m -Xmn16m -XX:+UseSerialGC -Xss512k -XX:ReservedCodeCacheSize=64m
  -XX:MaxMetaspaceSize=128m -XX:TrimNativeHeapInterval=10000 -Dcom.linecorp.armeria.numCommonWorkers=1
  -Dio.netty.allocator.type=pooled -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1
  -Dio.netty.allocator.maxOrder=7}
  ${TRUSTLINE_JVM_EXTRA_FLAGS:-})
if [[ ${MALLOC_ARENA_MAX-unset} == unset ]]; then export MALLOC_ARENA_MAX=2; fi
[[ -n $MALLOC_ARENA_MAX ]] || unset MALLOC_ARENA_MAX
