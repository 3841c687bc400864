"""Training throughput of every back end against the Trainer back end: same data, same flags.

    python benchmarks/backend_throughput.py [--repeats 3] [--samples 800] [--json]

Each back end trains the embedded tiny T5 for one epoch on the same slice of the bundled data
file (`summtrain --backend B --do_train ...`, a fresh process per run) and reports the
`train_samples_per_second` it writes to train_results.json (the same formula in every back end:
samples trained / training wall time, model loading and tokenization excluded). Runs of the back
ends are interleaved, `--repeats` times, so a busy machine slows them alike; the table shows the
best and the median of the repeats and their ratio to the Trainer's.

- trainer, accelerate: this interpreter's venv (the torch stack);
- xla: $SUMMLAUNCH_XLA_VENV or ./.venv-xla with PJRT_DEVICE=CPU (one CPU device); its time
  includes XLA compilation, and it pads every sample to --max_source_length (static shapes);
- tf: $SUMMLAUNCH_TF_VENV or ./.venv-tf.
A stack whose venv is missing is reported as such. Target: accelerate >= 0.9 x trainer (best of
the repeats, one process); exit code 1 when it is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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


def one_run(backend: str, python: Path, extra_env: dict[str, str], samples: int) -> float:
    with tempfile.TemporaryDirectory(prefix=f"bench-{backend}-") as tmp:
        out = Path(tmp) / "out"
        env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
                   HF_DATASETS_CACHE=str(Path(tmp) / "ds"), **extra_env)
        result = subprocess.run([str(python), "-m", "summtrain", "--backend", backend, *flags(samples, out)],
                                cwd=tmp, env=env, capture_output=True, text=True, timeout=3600)
        if result.returncode != 0:
            raise RuntimeError(f"{backend} failed ({result.returncode}): {result.stderr[-1500:]}")
        return float(json.loads((out / "train_results.json").read_text())["train_samples_per_second"])


def measure(repeats: int, samples: int, only: list[str]) -> dict[str, dict]:
    table = {name: {"runs": [], "python": str(py), "env": env} for name, (py, env) in stacks().items()
             if name in only}
    for name, row in table.items():
        if not Path(row["python"]).exists():
            row["missing"] = f"no venv at {Path(row['python']).parents[1]}"
    for _ in range(repeats):
        for name, row in table.items():
            if "missing" not in row:
                row["runs"].append(one_run(name, Path(row["python"]), row["env"], samples))
                print(f"  {name}: {row['runs'][-1]:.1f} samples/s", file=sys.stderr, flush=True)
    return table


def render(table: dict[str, dict]) -> str:
    ref = table.get("trainer", {}).get("runs") or [float("nan")]
    best_ref, med_ref = max(ref), statistics.median(ref)
    lines = ["| back end | best samples/s | median samples/s | best / trainer | median / trainer | runs |",
             "|---|---|---|---|---|---|"]
    for name, row in table.items():
        if "missing" in row:
            lines.append(f"| {name} | - | - | - | - | {row['missing']} |")
            continue
        best, med = max(row["runs"]), statistics.median(row["runs"])
        lines.append(f"| {name} | {best:.1f} | {med:.1f} | {best / best_ref:.2f} | {med / med_ref:.2f} | "
                     f"{len(row['runs'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=800)
    parser.add_argument("--backends", default="trainer,accelerate,xla,tf")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    only = [b.strip() for b in args.backends.split(",") if b.strip()]
    table = measure(args.repeats, args.samples, only)
    print(json.dumps(table, indent=1) if args.json else render(table))
    if "trainer" in table and "accelerate" in table:
        ratio = max(table["accelerate"]["runs"]) / max(table["trainer"]["runs"])
        print(f"accelerate / trainer (best): {ratio:.2f} (target >= {TARGET})", file=sys.stderr)
        return 0 if ratio >= TARGET else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
