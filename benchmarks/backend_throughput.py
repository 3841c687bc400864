"""Training throughput of every back end against the Trainer back end: same data, same flags.

    python benchmarks/backend_throughput.py [--repeats 2] [--samples 400] [--json]

Each back end trains the embedded tiny T5 for one epoch on the same slice of the bundled data
file (`summtrain --backend B --do_train ...`, a fresh process per run, OMP_NUM_THREADS=1) and
two figures are taken:

- wall: the `train_samples_per_second` the back end writes to train_results.json (the same
  formula in every back end: samples trained / training wall time);
- CPU: samples per CPU-second of training, from the CPU time (user+sys) of two runs of
  different size (`--samples` and a quarter of it): (n_big - n_small) / (cpu_big - cpu_small),
  which cancels start-up, loading and tokenization. On a shared, busy machine the wall figure
  mostly measures waiting for a core; the CPU figure measures the work and stays comparable.

Runs are interleaved across back ends, `--repeats` times; the best of the repeats is shown with
its ratio to the Trainer's.
- trainer, accelerate: this interpreter's venv (the torch stack);
- xla: $SUMMLAUNCH_XLA_VENV or ./.venv-xla with PJRT_DEVICE=CPU (one CPU device); its time
  includes XLA compilation, and it pads every sample to --max_source_length (static shapes);
- tf: $SUMMLAUNCH_TF_VENV or ./.venv-tf.
A stack whose venv is missing is reported as such. Target: accelerate >= 0.9 x trainer (one
process, CPU figure); exit code 1 when it is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "training" / "summtrain" / "assets" / "data"
MODEL = ROOT / "training" / "summtrain" / "assets" / "tiny-t5"
TARGET = 0.9


def venv_python(env_name: str, default: str) -> Path:
    return Path(os.environ.get(env_name) or ROOT / default) / "bin" / "python"


def stacks() -> dict[str, tuple[Path, dict[str, str]]]:
    here = Path(sys.executable)
    return {"trainer": (here, {}), "accelerate": (here, {}),
            "xla": (venv_python("SUMMLAUNCH_XLA_VENV", ".venv-xla"), {"PJRT_DEVICE": "CPU", "CPU_NUM_DEVICES": "1"}),
            "tf": (venv_python("SUMMLAUNCH_TF_VENV", ".venv-tf"), {})}


def flags(samples: int, out: Path) -> list[str]:
    return ["--model_name_or_path", str(MODEL), "--train_file", str(DATA / "train.jsonl"),
            "--max_train_samples", str(samples), "--do_train", "--num_train_epochs", "1",
            "--per_device_train_batch_size", "8", "--max_source_length", "64", "--max_target_length", "24",
            "--learning_rate", "3e-3", "--logging_steps", "50", "--save_strategy", "no", "--report_to", "none",
            "--disable_tqdm", "true", "--seed", "42", "--output_dir", str(out)]


def one_run(backend: str, python: Path, extra_env: dict[str, str], samples: int) -> tuple[float, float]:
    """(wall samples/s from train_results.json, CPU seconds of the whole process)."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{backend}-") as tmp:
        out = Path(tmp) / "out"
        env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS="1",
                   HF_DATASETS_CACHE=str(Path(tmp) / "ds"), **extra_env)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run([str(python), "-m", "summtrain", "--backend", backend, *flags(samples, out)],
                                cwd=tmp, env=env, capture_output=True, text=True, timeout=3600)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise RuntimeError(f"{backend} failed ({result.returncode}): {result.stderr[-1500:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return float(json.loads((out / "train_results.json").read_text())["train_samples_per_second"]), cpu


def measure(repeats: int, samples: int, only: list[str]) -> dict[str, dict]:
    table = {name: {"wall": [], "cpu": [], "python": str(py), "env": env} for name, (py, env) in stacks().items()
             if name in only}
    for name, row in table.items():
        if not Path(row["python"]).exists():
            row["missing"] = f"no venv at {Path(row['python']).parents[1]}"
    small = max(samples // 4, 8)
    for _ in range(repeats):
        for name, row in table.items():
            if "missing" in row:
                continue
            wall, cpu_big = one_run(name, Path(row["python"]), row["env"], samples)
            _, cpu_small = one_run(name, Path(row["python"]), row["env"], small)
            row["wall"].append(wall)
            row["cpu"].append((samples - small) / max(cpu_big - cpu_small, 1e-9))
            print(f"  {name}: {wall:.1f} samples/s wall, {row['cpu'][-1]:.1f} samples/CPU-s", file=sys.stderr,
                  flush=True)
    return table


def render(table: dict[str, dict]) -> str:
    ref = table.get("trainer", {})
    wall_ref, cpu_ref = max(ref.get("wall") or [float("nan")]), max(ref.get("cpu") or [float("nan")])
    lines = ["| back end | samples/s (wall) | / trainer | samples per CPU-s | / trainer | runs |",
             "|---|---|---|---|---|---|"]
    for name, row in table.items():
        if "missing" in row:
            lines.append(f"| {name} | - | - | - | - | {row['missing']} |")
            continue
        wall, cpu = max(row["wall"]), max(row["cpu"])
        lines.append(f"| {name} | {wall:.1f} | {wall / wall_ref:.2f} | {cpu:.1f} | {cpu / cpu_ref:.2f} | "
                     f"{len(row['wall'])} x 2 |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--backends", default="trainer,accelerate,xla,tf")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    only = [b.strip() for b in args.backends.split(",") if b.strip()]
    table = measure(args.repeats, args.samples, only)
    print(json.dumps(table, indent=1) if args.json else render(table))
    if "trainer" in table and "accelerate" in table:
        ratio = max(table["accelerate"]["cpu"]) / max(table["trainer"]["cpu"])
        print(f"accelerate / trainer (samples per CPU-s, best): {ratio:.2f} (target >= {TARGET})",
              file=sys.stderr)
        return 0 if ratio >= TARGET else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
