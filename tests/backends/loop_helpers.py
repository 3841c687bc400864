"""Helpers for the back-end tests: the bundled data, small fast flags, running summtrain.

Every run is real: the embedded tiny T5 on (a slice of) the bundled data file, on the CPU.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "training" / "summtrain" / "assets" / "data"
TINY_MODEL = ROOT / "training" / "summtrain" / "assets" / "tiny-t5"
TRAIN_FILE, VALIDATION_FILE, TEST_FILE = (DATA / f"{s}.jsonl" for s in ("train", "validation", "test"))
RESULT_FILES = ("all_results.json", "train_results.json", "eval_results.json", "predict_results.json",
                "generated_predictions.txt", "config.json", "model.safetensors", "tokenizer.json",
                "trainer_state.json")
TRAIN_KEYS = {"train_loss", "train_runtime", "train_samples", "train_samples_per_second", "epoch"}
GEN_KEYS = {"rouge1", "rouge2", "rougeL", "rougeLsum", "gen_len", "loss", "samples"}
RESULT_KEYS = TRAIN_KEYS | {f"eval_{k}" for k in GEN_KEYS} | {f"predict_{k}" for k in GEN_KEYS}


def data_flags(train: int = 64, evaluate: int = 16, predict: int = 8) -> list[str]:
    return ["--model_name_or_path", str(TINY_MODEL), "--train_file", str(TRAIN_FILE), "--validation_file", str(VALIDATION_FILE), "--test_file",
            str(TEST_FILE), "--max_train_samples", str(train), "--max_eval_samples", str(evaluate),
            "--max_predict_samples", str(predict)]


# Short sequences, a high learning rate (the tiny model learns visibly in a few steps), no tqdm.
FAST = ["--max_source_length", "64", "--max_target_length", "16", "--per_device_eval_batch_size", "16",
        "--learning_rate", "3e-3", "--report_to", "none", "--disable_tqdm", "true", "--seed", "7",
        "--generation_max_length", "16"]


def env(tmp: Path, **extra: str) -> dict[str, str]:
    out = dict(os.environ)
    for name in ("HF_TOKEN", "WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        out.pop(name, None)
    out.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(tmp / "ds-cache"), "OMP_NUM_THREADS": "1",
                "TOKENIZERS_PARALLELISM": "false", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    out.update(extra)
    return out


def run(cmd: list[str], tmp: Path, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=tmp, env=env(tmp, **extra), capture_output=True, text=True, timeout=timeout)


def summtrain(argv: list[str], tmp: Path, python: str = sys.executable, **kw) -> subprocess.CompletedProcess:
    return run([python, "-m", "summtrain", *argv], tmp, **kw)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


def sigterm_after_first_loss(argv: list[str], tmp: Path, env_: dict[str, str], timeout: float) -> tuple[int, str]:
    """Start a training run, send SIGTERM once it has logged a loss, and return its exit code
    and the stderr that followed."""
    proc = subprocess.Popen(argv, cwd=tmp, env=env_, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # the first logged loss: training is under way
        if "'loss'" in line:
            break
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    return proc.wait(timeout=timeout), rest


def results(out: Path) -> dict:
    return json.loads((out / "all_results.json").read_text())


def losses(out: Path) -> list[float]:
    state = json.loads((out / "trainer_state.json").read_text())
    return [e["loss"] for e in state["log_history"] if "loss" in e]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
