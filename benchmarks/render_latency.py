"""Cold-process latency of `summlaunch render` (2-node PyTorchJob) and `summlaunch --help`.

    python benchmarks/render_latency.py [--runs 21] [--json]

Each run is a fresh process (the console script next to this interpreter, else
`python -m summlaunch`), timed wall-clock from spawn to exit. Prints the median and
spread per command, the median CPU time (user+sys; what the command costs when the
machine is shared), and the ratio to a bare `python -c pass` start (the reference a
CLI cannot beat). Target: median wall time < 0.3 s for each command. An extra,
informational row renders without --image, so the image tag `build` would produce is
computed (the images module hashes the pins, Dockerfile templates and package files).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.3
RENDER = ["render", "--gpus", "8", "--nodes", "2", "--image", "ghcr.io/example/summtrain:torch-bench",
          "--", "--model_name_or_path", "t5-small", "--do_train", "--do_eval", "--predict_with_generate"]


def _launcher() -> list[str]:
    script = Path(sys.executable).with_name("summlaunch")
    if script.is_file():
        return [str(script)]
    found = shutil.which("summlaunch")
    return [found] if found else [sys.executable, "-m", "summlaunch"]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(argv: list[str], runs: int, cpu: list[float] | None = None) -> list[float]:
    # bytecode as after `pip install`: drop PYTHONDONTWRITEBYTECODE, and one untimed run writes it
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"NO_COLOR": "1"}
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    times = []
    for _ in range(runs):
        cpu_before, started = _cpu(), time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        times.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(_cpu() - cpu_before)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    launcher = _launcher()
    _time(launcher + ["--help"], 2)  # warm the page cache and __pycache__, as a user's second call would be
    commands = {"python -c pass": [sys.executable, "-c", "pass"], "summlaunch --help": launcher + ["--help"],
                "summlaunch render (2-node PyTorchJob)": launcher + RENDER,
                "  same, default image tag (no --image)": launcher + RENDER[:5] + RENDER[7:]}
    results, cpu = {}, {}
    for name, argv in commands.items():
        cpu[name] = []
        results[name] = _time(argv, args.runs, cpu[name])
    reference = statistics.median(results["python -c pass"])
    rows = {name: {"median_s": round(statistics.median(t), 3), "min_s": round(min(t), 3),
                   "max_s": round(max(t), 3), "cpu_median_s": round(statistics.median(cpu[name]), 3),
                   "ratio_to_python": round(statistics.median(t) / reference, 2)}
            for name, t in results.items()}
    ok = all(row["median_s"] < TARGET_S for name, row in rows.items() if name.startswith("summlaunch"))
    # the informational row (indented name) computes the image tag `build` would produce: not in the target
    if args.json:
        print(json.dumps({"runs": args.runs, "target_s": TARGET_S, "ok": ok, "results": rows}, indent=2))
    else:
        print(f"{'command':42} {'median':>8} {'min':>7} {'max':>7} {'cpu':>7} {'x python':>9}"
              f"   ({args.runs} cold runs each; seconds; cpu = user+sys median)")
        for name, row in rows.items():
            print(f"{name:42} {row['median_s']:8.3f} {row['min_s']:7.3f} {row['max_s']:7.3f} "
                  f"{row['cpu_median_s']:7.3f} {row['ratio_to_python']:9.2f}")
        print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        print(f"target: median < {TARGET_S} s for each summlaunch command: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
