"""Benchmark `summlaunch logs -f`: many replicas writing fast, through the fake API server.

A 64-replica PyTorchJob runs in the test API server (tests/fake_apiserver); each pod writes
200 lines/s for 30 s, every line carrying its replica, sequence number and write time. The
follower is the real CLI in a subprocess (`summlaunch logs NAME -f`); this script reads its
stdout and reports lines lost, duplicates, the delay from write to print (p50/p99/max) and the
follower's peak RSS. Targets: 0 lost, 0 duplicates, p99 < 1 s, peak RSS < 200 MB.

    python benchmarks/logs_follow.py [--replicas 64] [--rate 200] [--seconds 30] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

LINE = re.compile(r"^\[(?P<replica>[\w-]+)\]\s+r(?P<r>\S+) s(?P<seq>\d+) t(?P<t>\d+)")


def writer(rate: float, seconds: float, start_at: float, flush_hz: float):
    """Kubelet script: `rate` lines/s for `seconds`, paced by the wall clock, each stamped with its write time.

    Lines due by each tick (flush_hz ticks a second) are written together, as a process
    flushing its stdout buffer does; each still carries the time it was written.
    """
    count = int(rate * seconds)

    def lines(ctx):
        replica = ctx.name.rsplit("-", 2)
        rid = f"{replica[-2]}{replica[-1]}"
        i = 0
        while i < count:
            wait = start_at + i / rate - time.time()
            if wait > 0:
                yield wait
            due = min(count, max(i + 1, int((time.time() - start_at) * rate) + 1))
            now = time.time_ns()
            yield "\n".join(f"r{rid} s{j} t{now} " + "x" * 60 for j in range(i, due))
            i = due
            if flush_hz:
                yield 1.0 / flush_hz
    return lines


def run(replicas: int, rate: float, seconds: float, flush_hz: float = 20.0) -> dict:
    from fake_apiserver.cluster import FakeCluster
    from summlaunch.cluster.client import Cluster
    from summlaunch.objects.render import render
    from summlaunch.jobspec.build import build_spec

    with FakeCluster() as fake:
        start_at = time.time() + 3.0  # every pod starts writing at the same moment
        fake.kubelet.script("bench-*", lines=writer(rate, seconds, start_at, flush_hz))
        env = {**os.environ, "KUBECONFIG": fake.kubeconfig, "NO_COLOR": "1"}
        follower = subprocess.Popen([sys.executable, "-m", "summlaunch", "logs", "bench", "-f"], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        cluster = Cluster.connect(fake.kubeconfig)
        time.sleep(0.5)
        for obj in render(build_spec({"name": "bench", "image": "img:1", "nodes": replicas}, [])):
            cluster.create(obj, "default")
        seen: dict[tuple[str, int], int] = {}
        delays: list[float] = []
        rss_peak = [0]
        stderr: list[str] = []

        def read_stdout():
            for line in follower.stdout:
                now = time.time_ns()
                m = LINE.match(line)
                if not m:
                    continue
                key = (m["replica"], int(m["seq"]))
                seen[key] = seen.get(key, 0) + 1
                delays.append((now - int(m["t"])) / 1e9)

        def watch_rss():
            while follower.poll() is None:
                try:
                    for row in Path(f"/proc/{follower.pid}/status").read_text().splitlines():
                        if row.startswith("VmHWM:"):
                            rss_peak[0] = max(rss_peak[0], int(row.split()[1]))
                except OSError:
                    pass
                time.sleep(0.5)

        threads = [threading.Thread(target=read_stdout), threading.Thread(target=watch_rss, daemon=True),
                   threading.Thread(target=lambda: stderr.extend(follower.stderr), daemon=True)]
        for t in threads:
            t.start()
        code = follower.wait(timeout=seconds + 120)
        threads[0].join()
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        children_peak = child.ru_maxrss
        own = resource.getrusage(resource.RUSAGE_SELF)
    expected = replicas * int(rate * seconds)
    delays.sort()

    def pct(p):
        return round(delays[min(len(delays) - 1, int(p * len(delays)))], 3) if delays else None
    return {
        "replicas": replicas, "rate_per_replica": rate, "seconds": seconds, "writer_flush_hz": flush_hz,
        "exit_code": code,
        "expected_lines": expected, "received_unique": len(seen),
        "lost": expected - len(seen), "duplicates": sum(n - 1 for n in seen.values()),
        "delay_p50_s": pct(0.50), "delay_p99_s": pct(0.99), "delay_max_s": round(delays[-1], 3) if delays else None,
        "follower_peak_rss_mb": round(max(rss_peak[0], children_peak) / 1024, 1),
        "follower_cpu_s": round(child.ru_utime + child.ru_stime, 1),
        "server_and_writers_cpu_s": round(own.ru_utime + own.ru_stime, 1),
        "stderr_tail": [ln.rstrip() for ln in stderr[-3:]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=64)
    parser.add_argument("--rate", type=float, default=200.0, help="lines per second per replica")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--flush-hz", type=float, default=20.0,
                        help="writer stdout flushes per second (0: one write per line)")
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON")
    args = parser.parse_args()
    result = run(args.replicas, args.rate, args.seconds, args.flush_hz)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"logs -f: {result['replicas']} replicas x {result['rate_per_replica']:.0f} lines/s x "
              f"{result['seconds']:.0f} s = {result['expected_lines']} lines")
        print(f"  lost {result['lost']} (target 0), duplicates {result['duplicates']} (target 0)")
        print(f"  write->print delay p50 {result['delay_p50_s']} s, p99 {result['delay_p99_s']} s (target < 1 s), "
              f"max {result['delay_max_s']} s")
        print(f"  follower peak RSS {result['follower_peak_rss_mb']} MB (target < 200 MB); exit {result['exit_code']}")
    ok = (result["lost"] == 0 and result["duplicates"] == 0 and (result["delay_p99_s"] or 99) < 1.0
          and result["follower_peak_rss_mb"] < 200 and result["exit_code"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
