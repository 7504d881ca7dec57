#!/usr/bin/env python3
"""bench/tail.sh's two helpers.

  tail-threads.py sample PIDS_FILE OUT.tsv   every 100 ms until killed: wall time, then per sidecar the CPU ns of its
                                             event loop (EL), C2 and C1 compiler threads, VM thread and the rest, and
                                             the event loop's time runnable but waiting for a core (ELwait)
                                             (/proc/PID/task/*/schedstat: on-CPU ns, run-queue ns)
  tail-threads.py report OUTDIR              the run's requests per half second against each sidecar's GC pauses,
                                             code made not entrant, C2 and event-loop CPU, and the event loop's
                                             run-queue wait in the same half second
"""
import bisect
import collections
import datetime
import os
import re
import sys
import time

BUCKET = 0.5  # seconds
KINDS = ("EL", "C2", "C1", "VM", "other")


def kind(comm, own_loops):
    # Thread names are cut to 15 characters. "trustline-loop-" is the sidecar's event loop (eventLoops, one in the
    # bench). Builds before 2026-12-08 ran on Armeria's common group, "armeria-common-", a name its blocking executor
    # shares (only the admin port's token-guarded calls use it); in later builds that prefix is Armeria's idle
    # housekeeping and blocking threads, counted with the rest.
    if comm.startswith("trustline-loop-"):
        return "EL"
    if comm.startswith("armeria-common-") and not own_loops:
        return "EL"
    if comm.startswith("C2 "):
        return "C2"
    if comm.startswith("C1 "):
        return "C1"
    return "VM" if comm == "VM Thread" else "other"


def sample(pids_file, out_path):
    sidecars = [line.split() for line in open(pids_file) if line.strip()]
    with open(out_path, "w") as out:
        while True:
            row = [f"{time.time():.3f}"]
            for label, pid in sidecars:
                ns = dict.fromkeys(KINDS + ("ELwait",), 0)
                try:
                    tids = os.listdir(f"/proc/{pid}/task")
                except OSError:
                    return
                comms = {}
                for tid in tids:
                    try:
                        with open(f"/proc/{pid}/task/{tid}/comm") as f:
                            comms[tid] = f.read().strip()
                    except OSError:
                        pass  # a thread that ended between the listing and the read
                own_loops = any(c.startswith("trustline-loop-") for c in comms.values())
                for tid, comm in comms.items():
                    try:
                        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                            on_cpu, waited = f.read().split()[:2]
                        k = kind(comm, own_loops)
                        ns[k] += int(on_cpu)
                        if k == "EL":
                            ns["ELwait"] += int(waited)
                    except OSError:
                        pass
                row += [f"{label}.{k}={v}" for k, v in ns.items()]
            out.write(" ".join(row) + "\n")
            out.flush()
            time.sleep(0.1)


def wall(stamp):
    return datetime.datetime.strptime(stamp[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def report(d):
    t0 = float(open(f"{d}/t0").read()) + 0.05  # openloop's own t0 is 50 ms after its start
    sidecars = [line.split() for line in open(f"{d}/sidecar.pids") if line.strip()]
    lat = collections.defaultdict(list)
    for line in open(f"{d}/dump.tsv"):
        due_ms, _status, latency_us = line.split()[:3]
        lat[int(float(due_ms) / 1000 / BUCKET)].append(int(latency_us))
    per = {}  # (label, metric) -> bucket -> value
    for label, pid in sidecars:
        gc, ne, start = collections.Counter(), collections.Counter(), None
        for line in open(f"{d}/gc-{pid}.txt"):
            m = re.match(r"\[(\S+?)\]\[([\d.]+)s\].*Pause Young.* ([\d.]+)ms", line)
            if m:
                if start is None:
                    start = wall(m.group(1)) - float(m.group(2))
                gc[int((wall(m.group(1)) - t0) / BUCKET)] += float(m.group(3))
        if start is not None:
            for line in open(f"{d}/compile-{label}.log", errors="replace"):
                fields = line.split()
                if fields and fields[0].isdigit() and "made not entrant" in line:
                    ne[int((start + int(fields[0]) / 1000 - t0) / BUCKET)] += 1
        per[(label, "gc")], per[(label, "ne")] = gc, ne
        for k in ("C2", "EL", "ELwait"):
            per[(label, k)] = collections.Counter()
    rows = []
    for line in open(f"{d}/threads.tsv"):
        fields = line.split()
        rows.append((float(fields[0]) - t0, {k: int(v) for k, v in (f.split("=") for f in fields[1:])}))
    for (t1, a), (_t2, b) in zip(rows, rows[1:]):
        for label, _pid in sidecars:
            for k in ("C2", "EL", "ELwait"):
                per[(label, k)][int(t1 / BUCKET)] += (b.get(f"{label}.{k}", 0) - a.get(f"{label}.{k}", 0)) / 1e6
    scrapes = []
    if os.path.exists(f"{d}/scrapes.txt"):
        scrapes = sorted(float(line.split()[0]) - t0 for line in open(f"{d}/scrapes.txt") if line.strip())

    everything = sorted(v for b in lat for v in lat[b])
    q = lambda v, p: v[min(len(v) - 1, int(len(v) * p))]  # noqa: E731
    print(f"requests {len(everything)}: p50 {q(everything, .5)} us, p90 {q(everything, .9)}, p99 {q(everything, .99)},"
          f" p99.9 {q(everything, .999)}, max {everything[-1]}")
    labels = [label for label, _ in sidecars]
    head = " ".join(f"{lab[:3]}:gc-ms deopt C2-ms EL-ms wait" for lab in labels)
    print(f"{'t s':>5} {'>2ms':>5} {'worst':>6}  {head}{'  scrape' if scrapes else ''}")
    for b in sorted(lat):
        v = lat[b]
        cells = " ".join(
            f"{per[(lab, 'gc')][b]:9.1f} {per[(lab, 'ne')][b]:5d} {per[(lab, 'C2')][b]:5.0f} {per[(lab, 'EL')][b]:5.0f}"
            f" {per[(lab, 'ELwait')][b]:4.0f}"
            for lab in labels)
        i = bisect.bisect_left(scrapes, b * BUCKET)
        scraped = "  *" if i < len(scrapes) and scrapes[i] < (b + 1) * BUCKET else ""
        print(f"{b * BUCKET:5.1f} {sum(x > 2000 for x in v):5d} {max(v) / 1000:5.1f}ms {cells}{scraped}")
    # How much of the tail sits in the half seconds where a sidecar was compiling or collecting.
    slow = [(b, sum(x > 2000 for x in lat[b])) for b in lat]
    busy_jit = {b for b in lat if any(per[(lab, "C2")][b] > 20 or per[(lab, "ne")][b] >= 10 for lab in labels)}
    total = sum(n for _, n in slow) or 1
    print(f"requests over 2 ms: {total}; in the {len(busy_jit)} of {len(lat)} half seconds with C2 over 20 ms of CPU "
          f"or 10+ methods made not entrant in a sidecar: {sum(n for b, n in slow if b in busy_jit) * 100 / total:.0f}%")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sample":
        sample(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)
