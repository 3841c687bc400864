"""Shared helpers for summtrain tests: small data files, the tiny model, running summtrain.

Runs are real (tiny T5, CPU) and kept short with max_steps and sample limits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from summtrain import assets

PYTHON = sys.executable
TINY_MODEL = str(assets.MODEL_DIR)
# Small, fast settings appended to training runs in tests.
QUICK = ["--max_steps", "6", "--max_train_samples", "48", "--max_eval_samples", "16", "--max_predict_samples", "16",
         "--per_device_train_batch_size", "8", "--per_device_eval_batch_size", "16", "--max_source_length", "64",
         "--max_target_length", "16", "--report_to", "none", "--save_strategy", "no", "--logging_steps", "2",
         "--disable_tqdm", "true"]


def summtrain_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("HF_TOKEN", None)
    env.update({"HF_DATASETS_CACHE": str(tmp / "ds-cache"), "TOKENIZERS_PARALLELISM": "false",
                "OMP_NUM_THREADS": "2", "NO_COLOR": "1"}, **extra)
    return env


def run_summtrain(argv: list[str], tmp: Path, timeout: float = 600, env: dict | None = None,
                  module: str = "summtrain") -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", module, *argv], cwd=tmp, env=env or summtrain_env(tmp),
                          capture_output=True, text=True, timeout=timeout)


def write_rows(path: Path, rows: list[dict], fmt: str | None = None) -> Path:
    fmt = fmt or path.suffix[1:]
    if fmt == "csv":
        import csv

        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def bundled_rows(split: str, n: int) -> list[dict]:
    lines = assets.data_file(split).read_text().splitlines()[:n]
    return [json.loads(line) for line in lines]


@pytest.fixture
def data_files(tmp_path: Path) -> dict[str, Path]:
    """Small CSV copies of the bundled data, with the upstream-style column names `text`/`summary`."""
    out = {}
    for split, n in (("train", 48), ("validation", 16), ("test", 16)):
        rows = [{"text": r["article"], "summary": r["summary"]} for r in bundled_rows(split, n)]
        out[split] = write_rows(tmp_path / f"{split}.csv", rows)
    return out
