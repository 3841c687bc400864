"""Training throughput: summtrain (trainer back end) vs a plain hand-written Seq2SeqTrainer script.

Both train the embedded tiny T5 on the bundled data with the same hyperparameters, in
separate processes, alternating (ROUNDS each); the figure is the ratio of the medians of
train samples per second (summtrain / plain). Target: >= 0.95.

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


def summtrain_run(out: Path, steps: int, batch: int) -> float:
    from summtrain import assets

    argv = [sys.executable, "-m", "summtrain", "--model_name_or_path", str(assets.MODEL_DIR), "--train_file",
            str(assets.data_file("train")), "--text_column", "article", "--summary_column", "summary",
            "--do_train", "--max_steps", str(steps), "--per_device_train_batch_size", str(batch),
            "--max_source_length", "96", "--max_target_length", "24", "--learning_rate", "3e-3",
            "--save_strategy", "no", "--report_to", "none", "--disable_tqdm", "true", "--logging_steps", "50",
            "--seed", "42", "--output_dir", str(out), "--overwrite_output_dir"]
    subprocess.run(argv, check=True, capture_output=True, text=True)
    return json.loads((out / "train_results.json").read_text())["train_samples_per_second"]


def plain_run(out: Path, steps: int, batch: int) -> float:
    result = subprocess.run([sys.executable, str(HERE / "plain_seq2seq.py"), str(out), str(steps), str(batch)],
                            check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])["train_samples_per_second"]


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
            print(f"round {i + 1}: plain {plain[-1]:.1f} samples/s, summtrain {ours[-1]:.1f} samples/s", flush=True)
    ratio = statistics.median(ours) / statistics.median(plain)
    print(f"median train samples/s: summtrain {statistics.median(ours):.1f}, plain {statistics.median(plain):.1f}")
    print(f"ratio summtrain/plain: {ratio:.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()
