"""TF/Keras back end, in the TF stack's venv (tests/setup/tf_venv.sh; no torch there).

Real runs of `python -m summtrain --backend tf` on the tiny embedded T5 and the bundled
data, on CPU: one device (loss falls, result files and keys), explicit and automatic
resume (bit-identical to the uninterrupted run), MirroredStrategy over 2 logical CPU
devices and a 2-worker MultiWorkerMirroredStrategy job on localhost (both training the
same model as one device with the same global batch).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.tf

# 128 samples, global batch 16 -> 8 steps per epoch; checkpoints at 4 and 8.
TRAIN = ["--backend", "tf", "--do_train", "--do_eval", "--do_predict", "--max_steps", "8",
         "--max_train_samples", "128", "--max_eval_samples", "16", "--max_predict_samples", "8",
         "--per_device_eval_batch_size", "16", "--max_source_length", "64", "--max_target_length", "16",
         "--learning_rate", "3e-3", "--warmup_steps", "0", "--logging_steps", "2",
         "--save_strategy", "steps", "--save_steps", "4", "--eval_before_train", "false",
         "--disable_tqdm", "true", "--seed", "7"]
RESULT_KEYS = {"train_loss", "train_runtime", "train_samples", "train_samples_per_second", "epoch",
               "eval_loss", "eval_rouge1", "eval_rouge2", "eval_rougeL", "eval_rougeLsum", "eval_gen_len",
               "eval_samples", "predict_loss", "predict_rouge1", "predict_rouge2", "predict_rougeL",
               "predict_rougeLsum", "predict_gen_len", "predict_samples"}


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CONFIG", "HF_TOKEN")}
    env.update({"HF_DATASETS_CACHE": str(tmp / "ds-cache"), "TOKENIZERS_PARALLELISM": "false",
                "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}, **extra)
    return env


def summtrain(argv: list[str], tmp: Path, **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "summtrain", *argv], cwd=tmp, env=_env(tmp, **env),
                          capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def weights(folder: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(folder / "model.safetensors"))


def max_difference(a: Path, b: Path) -> float:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    return max(float(np.abs(wa[k] - wb[k]).max()) for k in wa)


def logged_losses(folder: Path) -> list[float]:
    history = json.loads((folder / "trainer_state.json").read_text())["log_history"]
    return [entry["loss"] for entry in history if "loss" in entry]


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    """One device, per-device batch 16."""
    tmp = tmp_path_factory.mktemp("tf-single")
    summtrain([*TRAIN, "--output_dir", str(tmp / "out"), "--per_device_train_batch_size", "16"], tmp)
    return tmp / "out"


def test_single_device_trains_and_writes_the_shared_outputs(single: Path):
    results = json.loads((single / "all_results.json").read_text())
    assert RESULT_KEYS <= results.keys()
    for split in ("train", "eval", "predict"):
        assert (single / f"{split}_results.json").is_file()
    assert results["train_samples"] == 128 and results["eval_samples"] == 16
    assert len((single / "generated_predictions.txt").read_text().splitlines()) == 8
    losses = logged_losses(single)
    assert len(losses) == 4 and losses[-1] < losses[0] - 0.5, losses
    assert results["eval_rouge1"] > 0
    for ckpt in ("checkpoint-4", "checkpoint-8"):
        names = {p.name for p in (single / ckpt).iterdir()}
        assert {"trainer_state.json", "model.safetensors", "config.json", "tokenizer.json", "tf_state"} <= names
    assert {"tf_model.h5", "model.safetensors", "config.json", "tokenizer.json", "README.md"} <= {
        p.name for p in single.iterdir()}


def test_explicit_resume_matches_the_uninterrupted_run(single: Path, tmp_path: Path):
    done = summtrain([*TRAIN, "--output_dir", str(tmp_path / "out"), "--per_device_train_batch_size", "16",
                      "--resume_from_checkpoint", str(single / "checkpoint-4")], tmp_path)
    assert "resumed from" in done.stderr and "at step 4" in done.stderr
    assert max_difference(single, tmp_path / "out") == 0.0
    assert logged_losses(tmp_path / "out") == logged_losses(single)


def test_automatic_resume_from_output_dir(single: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    shutil.copytree(single / "checkpoint-4", out / "checkpoint-4")
    done = summtrain([*TRAIN, "--output_dir", str(out), "--per_device_train_batch_size", "16"], tmp_path)
    assert "at step 4" in done.stderr, done.stderr[-2000:]
    assert max_difference(single, out) == 0.0


def test_mirrored_over_two_logical_cpus_is_the_same_model(single: Path, tmp_path: Path):
    done = summtrain([*TRAIN, "--output_dir", str(tmp_path / "out"), "--per_device_train_batch_size", "8",
                      "--do_predict", "false", "--save_strategy", "no"], tmp_path, SUMMTRAIN_TF_CPU_DEVICES="2")
    assert "mirrored, 2 replica(s)" in done.stderr
    assert max_difference(single, tmp_path / "out") < 1e-5
    assert np.allclose(logged_losses(tmp_path / "out"), logged_losses(single), atol=1e-3)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_train_one_model(single: Path, tmp_path: Path):
    """MultiWorkerMirroredStrategy from TF_CONFIG, as a TFJob sets it: disjoint data shards,
    identical weights on both workers, equal to one device with the same global batch; only
    the chief writes into the shared output_dir."""
    cluster = {"worker": [f"localhost:{p}" for p in _free_ports(2)]}
    trace, out = tmp_path / "trace", tmp_path / "out"
    argv = [sys.executable, "-m", "summtrain", *TRAIN, "--output_dir", str(out),
            "--per_device_train_batch_size", "8", "--do_predict", "false"]
    procs = []
    for index in range(2):
        env = _env(tmp_path, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
                   SUMMTRAIN_TRACE_DIR=str(trace))
        procs.append(subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    try:
        logs = [p.communicate(timeout=420)[1] for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0], "\n\n".join(log[-2000:] for log in logs)
    assert all("multi-worker, 2 replica(s)" in log for log in logs)
    finals = [json.loads((trace / f"final-rank{i}.json").read_text()) for i in range(2)]
    assert finals[0]["weights_sha256"] == finals[1]["weights_sha256"]
    assert {f["world_size"] for f in finals} == {2}
    shards = [(trace / f"samples-rank{i}.txt").read_text().split() for i in range(2)]
    assert len(shards[0]) == len(shards[1]) == 64  # 8 steps x 8 samples each
    assert not set(shards[0]) & set(shards[1])
    assert max_difference(single, out) < 1e-5
    assert "saved" in logs[0] and "saved" not in logs[1]


def test_sigterm_saves_a_checkpoint_and_exits_143(tmp_path: Path):
    """What Kubernetes sends before evicting a pod: finish the step, save, exit 128 + SIGTERM."""
    import signal
    import time

    out = tmp_path / "out"
    argv = [sys.executable, "-m", "summtrain", *TRAIN, "--output_dir", str(out), "--max_steps", "400",
            "--per_device_train_batch_size", "16", "--save_strategy", "no", "--do_eval", "false",
            "--do_predict", "false"]
    log_file = tmp_path / "log.txt"
    with open(log_file, "w") as log:
        proc = subprocess.Popen(argv, cwd=tmp_path, env=_env(tmp_path), stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 300
            while "step 4/400" not in log_file.read_text() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=120) == 143, log_file.read_text()[-2000:]
        finally:
            proc.kill()
    saved = [p for p in out.iterdir() if p.name.startswith("checkpoint-")]
    assert len(saved) == 1 and (saved[0] / "tf_state").is_dir() and (saved[0] / "trainer_state.json").is_file()
    assert int(saved[0].name.split("-")[1]) >= 4
