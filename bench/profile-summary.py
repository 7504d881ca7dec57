#!/usr/bin/env python3
"""Summarises an async-profiler collapsed-stacks file (one "frame;frame;...;leaf COUNT" line per stack).

Prints, as shares of all samples:
  - layers: each sample goes to the innermost frame that belongs to a known library (JDK frames are skipped, so a
    HashMap.get called by our code counts as ours; syscall wrappers and TLS native code count on their own); the
    layers add up to 100%;
  - inclusive shares of a few frames worth watching (an exception per request, request log, flushes);
  - our own methods: the innermost io.trustline frame of each sample that has one, with all it called;
  - the callers above each Throwable.fillInStackTrace (who creates exceptions);
  - the hottest leaf frames.

    bench/profile-summary.py FILE.collapsed [TOP]
"""
import re
import sys
from collections import Counter

SYSCALL = re.compile(
    r"^(__GI_)?_*(libc_)?(writev|write|send|sendmsg|sendto|read|readv|recv|recvfrom|recvmsg|epoll_wait|epoll_pwait"
    r"|epoll_ctl|futex|syscall|clock_gettime|__clock_gettime|sched_yield|nanosleep)(64)?(_nocancel)?$")
# Native TLS: netty-tcnative's JNI entry points and the BoringSSL/OpenSSL code below them.
TLS_NATIVE = re.compile(r"tcnative|^(bssl::|SSL_|ssl|EVP_|aes|gcm|CRYPTO_|sha256|SHA256|ChaCha|poly1305|BIO_|ERR_)")

# Java layers, checked in order (the first prefix that matches names the layer).
JAVA_LAYERS = [
    ("io.trustline.", "Trustline code (io.trustline)"),
    ("com.linecorp.armeria.common.logging.", "Armeria request log"),
    ("com.linecorp.armeria.internal.common.logging.", "Armeria request log"),
    ("com.linecorp.armeria.", "Armeria (server, client, HTTP/1 and HTTP/2 glue)"),
    ("io.netty.internal.tcnative.", "TLS: OpenSSL via netty-tcnative (native + JNI)"),
    ("io.netty.util.ResourceLeakDetector", "Netty leak detection (sampled stack traces)"),
    ("io.netty.handler.ssl.", "Netty SslHandler (Java side of TLS)"),
    ("io.netty.handler.codec.http2.", "Netty HTTP/2 codec"),
    ("io.netty.handler.codec.http.", "Netty HTTP/1 codec"),
    ("io.netty.buffer.", "Netty buffers"),
    ("io.netty.channel.", "Netty channel, pipeline, event loop"),
    ("io.netty.", "Netty other"),
    ("io.micrometer.", "Micrometer"),
    ("com.nimbusds.", "Nimbus JOSE (JWT)"),
    ("com.github.benmanes.caffeine.", "Caffeine"),
    ("io.opentelemetry.", "OpenTelemetry"),
    ("ch.qos.logback.", "logging"),
    ("org.slf4j.", "logging"),
]
JDK = ("java.", "javax.", "jdk.", "sun.", "com.sun.")
JIT = re.compile(r"CompileBroker|Compiler|Compile::|C2|C1|PhaseIdealLoop|Matcher::|ciEnv")
GC = re.compile(r"GenCollect|Collected|DefNew|Tenured|SerialHeap|MarkSweep|VM_GC|GCTask|G1|Parallel")


def norm(frame):
    """async-profiler writes Java frames as a/b/C.m (optionally with _[j]/_[i]/_[k] annotations)."""
    frame = re.sub(r"_\[[a-z0-9]\]$", "", frame)
    if "/" in frame and "(" not in frame and " " not in frame:
        frame = frame.replace("/", ".")
    return frame


def java_layer(frame):
    for prefix, layer in JAVA_LAYERS:
        if frame.startswith(prefix):
            return layer
    return None


def layer_of(frames):
    """frames: root first. Returns the layer the sample's CPU time belongs to."""
    leaf = frames[-1]
    if SYSCALL.match(leaf):
        return "syscalls (send/writev/read/epoll, futex)"
    for frame in reversed(frames):
        if TLS_NATIVE.search(frame) and not frame.startswith(JDK):
            return "TLS: OpenSSL via netty-tcnative (native + JNI)"
        layer = java_layer(frame)
        if layer:
            return layer
    joined = ";".join(frames)
    if GC.search(joined):
        return "GC"
    if JIT.search(joined):
        return "JIT compiler"
    if any(f.startswith(JDK) for f in frames):
        return "JDK only (no library frame)"
    return "JVM and native other"


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    stacks = []
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        stacks.append(([norm(f) for f in stack.split(";")], int(count)))
    total = sum(c for _, c in stacks)
    if total == 0:
        print("no samples")
        return
    pct = lambda n: 100.0 * n / total

    layers, ours, leaves, throwers, inclusive = Counter(), Counter(), Counter(), Counter(), Counter()
    watch = {
        "Throwable.fillInStackTrace (exceptions created)": "java.lang.Throwable.fillInStackTrace",
        "any io.trustline frame (inclusive: our code and all it calls)": "io.trustline.",
        "Armeria RequestLog (inclusive)": "com.linecorp.armeria.common.logging.",
        "Micrometer (inclusive)": "io.micrometer.",
        "Netty SslHandler.wrap (TLS encrypt + its write, inclusive)": "io.netty.handler.ssl.SslHandler.wrap",
        "Netty flushes to the socket (inclusive)": "io.netty.channel.AbstractChannel$AbstractUnsafe.flush0",
    }
    # (Everything a request does runs inside the read that decoded it, so inclusive shares of the read side, TLS
    # unwrap or the HTTP/2 decoder, are close to 100% and say nothing.)
    for frames, count in stacks:
        layer = layer_of(frames)
        layers[layer] += count
        leaves[frames[-1]] += count
        own = next((f for f in reversed(frames) if f.startswith("io.trustline.")), None)
        if own:
            ours[own] += count
        for label, prefix in watch.items():
            if any(f.startswith(prefix) for f in frames):
                inclusive[label] += count
        for i, frame in enumerate(frames):
            if frame == "java.lang.Throwable.fillInStackTrace" or frame.endswith(".fillInStackTrace"):
                callers = [f for f in frames[:i] if not f.startswith(JDK) and "Throwable" not in f]
                throwers[";".join(callers[-3:]) or "(JDK only)"] += count
                break

    print(f"{total} samples")
    print("\nlayer (each sample to its innermost library frame)      share")
    for layer, n in layers.most_common():
        print(f"  {layer:<55} {pct(n):5.1f}%")
    print("\ninclusive shares")
    for label in watch:
        print(f"  {label:<62} {pct(inclusive[label]):5.1f}%")
    print(f"\nour methods: each sample with an io.trustline frame to its innermost one, whatever it called, top {top}")
    print("  (SlowClientGuard and TransferCodingCheck are Netty handlers at the head of the pipeline, so the whole")
    print("  request path runs inside them; Upstreams' decorators wrap Armeria's client, its writes included)")
    for frame, n in ours.most_common(top):
        print(f"  {pct(n):5.2f}%  {frame}")
    if throwers:
        print("\nwho fills in stack traces (the three innermost non-JDK callers)")
        for frame, n in throwers.most_common(10):
            print(f"  {pct(n):5.2f}%  {frame}")
    print(f"\nhottest leaf frames, top {top}")
    for frame, n in leaves.most_common(top):
        print(f"  {pct(n):5.2f}%  {frame}")


if __name__ == "__main__":
    main()
