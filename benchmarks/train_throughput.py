"""Training throughput: summtrain (trainer back end) vs a plain hand-written Seq2SeqTrainer script.

Both train the embedded tiny T5 on the bundled data with the same hyperparameters, in
separate processes, alternating (ROUNDS each), with `Trainer.train` timed the same way
(`_train_timer.py`). Printed: the ratio of the medians of train samples per second
(summtrain / plain), by wall time and by CPU time (the CPU figure does not depend on
other load on the machine). Target: >= 0.95.

    python benchmarks/train_throughput.py [--steps 200] [--batch 16] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _timed(command: list[str], result: Path) -> dict:
    subprocess.run([sys.executable, str(HERE / "_train_timer.py"), str(result), *command], check=True,
                   capture_output=True, text=True)
    timing = json.loads(result.read_text())
    return {"wall": timing["samples"] / timing["wall_s"], "cpu": timing["samples"] / timing["cpu_s"]}


def summtrain_run(out: Path, steps: int, batch: int) -> dict:
    from summtrain import assets

    argv = ["-m", "summtrain", "--model_name_or_path", str(assets.MODEL_DIR), "--train_file",
            str(assets.data_file("train")), "--text_column", "article", "--summary_column", "summary",
            "--do_train", "--max_steps", str(steps), "--per_device_train_batch_size", str(batch),
            "--max_source_length", "96", "--max_target_length", "24", "--learning_rate", "3e-3",
            "--save_strategy", "no", "--report_to", "none", "--disable_tqdm", "true", "--logging_steps", "50",
            "--seed", "42", "--output_dir", str(out), "--overwrite_output_dir"]
    return _timed(argv, out.with_suffix(".json"))


def plain_run(out: Path, steps: int, batch: int) -> dict:
    return _timed([str(HERE / "plain_seq2seq.py"), str(out), str(steps), str(batch)], out.with_suffix(".json"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ours, plain = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            plain.append(plain_run(Path(tmp) / f"plain-{i}", args.steps, args.batch))
            ours.append(summtrain_run(Path(tmp) / f"summtrain-{i}", args.steps, args.batch))
            print(f"round {i + 1}: samples/s wall plain {plain[-1]['wall']:.1f} summtrain {ours[-1]['wall']:.1f}; "
                  f"per CPU-second plain {plain[-1]['cpu']:.1f} summtrain {ours[-1]['cpu']:.1f}", flush=True)
    for kind, label in (("wall", "train samples/s (wall)"), ("cpu", "train samples per CPU-second")):
        a, b = statistics.median(r[kind] for r in ours), statistics.median(r[kind] for r in plain)
        print(f"{label}: summtrain {a:.1f}, plain {b:.1f}, ratio summtrain/plain {a / b:.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()
