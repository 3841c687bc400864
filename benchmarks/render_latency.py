"""Cold-process CPU time of `summlaunch render` (the 2-node case) and `summlaunch --help`.

    python benchmarks/render_latency.py [--runs 21] [--json]

Each run is a fresh process (the console script next to this interpreter, else
`python -m summlaunch`). The case is tests/cases/torch-multi-node.yaml (8 GPUs over 2 nodes,
a PyTorchJob). Bytecode is present, as after `pip install`: Python's (the untimed first run
writes it in a checkout) and Jinja2's (the templates' bytecode cache in SUMMLAUNCH_CACHE,
written by the same first run). Targets (CPU time, user+sys of the child, median of the runs):
render <= 0.2 s, --help <= 0.1 s; exit 1 when one is missed. For information only: the
ratio to `helm template` of the same case (values from `render --helm-values`), when the
helm binary of tests/support/tools.py is already in its cache.
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
TARGETS_S = {"summlaunch --help": 0.1, "summlaunch render (2-node case)": 0.2}


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


def _run(argv: list[str], env: dict) -> tuple[float, float]:
    cpu_before, started = _cpu(), time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return wall, _cpu() - cpu_before


def _helm() -> str | None:
    """helm from tests/support/tools.py's cache; None when it is not there (nothing is downloaded)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from support import tools

    path = tools._layer_dir(4) / "helm"
    return str(path) if path.is_file() else None


def _commands(work: Path, env: dict) -> dict[str, list[str]]:
    launcher, case = _launcher(), _case_argv()
    commands = {"python -c pass": [sys.executable, "-c", "pass"], "summlaunch --help": [*launcher, "--help"],
                "summlaunch render (2-node case)": [*launcher, *case]}
    helm = _helm()
    if helm:
        at = case.index("--")
        values = work / "values.yaml"
        values.write_text(subprocess.run([*launcher, *case[:at], "--helm-values", *case[at:]], env=env,
                                         capture_output=True, text=True, check=True).stdout)
        commands["helm template (same case)"] = [helm, "template", "bench", str(ROOT / "charts" / "summlaunch"),
                                                 "-f", str(values)]
    return commands


def measure(runs: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="render-latency-") as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
        env |= {"NO_COLOR": "1", "SUMMLAUNCH_CACHE": str(Path(tmp) / "cache")}
        env |= {f"HELM_{k}_HOME": str(Path(tmp) / "helm" / k.lower()) for k in ("CONFIG", "CACHE", "DATA")}
        commands = _commands(Path(tmp), env)
        for argv in commands.values():  # untimed: writes Python's and Jinja2's bytecode
            _run(argv, env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):  # the commands take turns, so machine noise hits them alike
            for name, argv in commands.items():
                wall, cpu = _run(argv, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    return {name: {"median_s": statistics.median(walls[name]), "min_s": min(walls[name]),
                   "cpu_median_s": statistics.median(cpus[name])} for name in commands}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    rows = measure(args.runs)
    ok = all(rows[name]["cpu_median_s"] <= limit for name, limit in TARGETS_S.items())
    helm = rows.get("helm template (same case)")
    ratio = (rows["summlaunch render (2-node case)"]["cpu_median_s"] / helm["cpu_median_s"]) if helm else None
    if args.json:
        print(json.dumps({"runs": args.runs, "targets_cpu_s": TARGETS_S, "ok": ok, "results": rows,
                          "render_cpu_x_helm": ratio}, indent=2))
        return 0 if ok else 1
    print(f"{'command':34} {'median wall':>12} {'min wall':>9} {'median CPU':>11}   ({args.runs} cold runs each)")
    for name, row in rows.items():
        print(f"{name:34} {row['median_s']:11.3f}s {row['min_s']:8.3f}s {row['cpu_median_s']:10.3f}s")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print("render / helm template (CPU, information only): "
          + (f"{ratio:.2f}" if ratio is not None else "helm not in the tools cache"))
    print("targets (median CPU): " + ", ".join(f"{n} <= {t} s" for n, t in TARGETS_S.items())
          + f": {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
