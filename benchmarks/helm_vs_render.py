"""`helm template` vs `summlaunch render` of the same 2-node case, cold process, side by side.

    python benchmarks/helm_vs_render.py [--runs 21] [--json]

The case is tests/cases/torch-multi-node.yaml (8 GPUs over 2 nodes, a PyTorchJob). The helm
values are what `summlaunch render --helm-values` prints for it, written once to a file. Each
run is a fresh process, timed wall-clock from spawn to exit; the commands take turns run by run
(so a busy machine slows them alike). Rows:
- summlaunch render, cold: a fresh, empty SUMMLAUNCH_CACHE per run; Python's bytecode present
  (as after `pip install`, which compiles it; in a checkout the untimed first run writes it).
  Jinja2 renders the templates (its bytecode cache, under the fresh cache folder, is empty);
- helm template with helm v4 and helm v3.19 (the real binaries from the PyPI wheels,
  tests/support/tools.py), empty HELM_*_HOME folders.
Prints median / min wall time, median CPU time (user+sys of the child), and each median as a
ratio to the cold render, for information (issue 13: the launcher keeps Jinja2 and PyYAML;
benchmarks/render_latency.py holds the CPU target).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _case_argv() -> list[str]:
    import yaml

    case = yaml.safe_load((ROOT / "tests" / "cases" / "torch-multi-node.yaml").read_text())
    return ["render", *case["args"], "--", *case.get("train", [])]


def _launcher() -> list[str]:
    script = Path(sys.executable).with_name("summlaunch")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "summlaunch"]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_once(argv: list[str], env: dict) -> tuple[float, float]:
    cpu_before, started = _cpu(), time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return wall, _cpu() - cpu_before


def _commands(work: Path) -> dict:
    """{row name: (argv, function giving the env of one run)}."""
    from support.tools import helm_path

    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    base["NO_COLOR"] = "1"
    render = [*_launcher(), *_case_argv()]
    values = work / "values.yaml"
    values.write_text(subprocess.run([*_launcher(), *_with_helm_values(_case_argv())], capture_output=True,
                                     text=True, check=True, env=base).stdout)
    chart = str(ROOT / "charts" / "summlaunch")
    counter = iter(range(1 << 30))

    def cold_env():
        return {**base, "SUMMLAUNCH_CACHE": str(work / f"cache-{next(counter)}")}

    def helm_env():
        home = work / f"helm-{next(counter)}"
        return {**base, **{f"HELM_{k}_HOME": str(home / k.lower()) for k in ("CONFIG", "CACHE", "DATA")}}

    commands = {
        "summlaunch render, cold (empty cache)": (render, cold_env),
    }
    for major in (4, 3):
        commands[f"helm template (helm {major})"] = ([helm_path(major), "template", "bench", chart, "-f", str(values)],
                                                     helm_env)
    return commands


def _with_helm_values(args: list[str]) -> list[str]:
    at = args.index("--")
    return [*args[:at], "--helm-values", *args[at:]]


def measure(runs: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="helm-vs-render-") as tmp:
        commands = _commands(Path(tmp))
        walls = {name: [] for name in commands}
        cpus = {name: [] for name in commands}
        for name, (argv, env) in commands.items():  # one untimed run each (binaries into the page cache)
            _run_once(argv, env())
        for _ in range(runs):
            for name, (argv, env) in commands.items():
                wall, cpu = _run_once(argv, env())
                walls[name].append(wall)
                cpus[name].append(cpu)
    reference = statistics.median(walls["summlaunch render, cold (empty cache)"])
    return [{"command": name, "median_s": statistics.median(walls[name]), "min_s": min(walls[name]),
             "median_cpu_s": statistics.median(cpus[name]),
             "x_render_cold": statistics.median(walls[name]) / reference, "runs": runs} for name in walls]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = measure(args.runs)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'command':44} {'median wall':>12} {'min wall':>10} {'median CPU':>11} {'x render cold':>14}")
        for row in rows:
            print(f"{row['command']:44} {row['median_s']:11.3f}s {row['min_s']:9.3f}s {row['median_cpu_s']:10.3f}s "
                  f"{row['x_render_cold']:14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
