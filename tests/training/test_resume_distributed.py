"""Preemption and resume, and multi-process runs (torchrun, torch.distributed.launch), for real."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import PYTHON, QUICK, TINY_MODEL, run_summtrain, summtrain_env

pytestmark = pytest.mark.slow
MAX_STEPS = 240
LR = 1e-3


def _argv(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return ["--model_name_or_path", TINY_MODEL, "--train_file", str(files["train"]), "--validation_file",
            str(files["validation"]), "--text_column", "text", "--summary_column", "summary", "--output_dir",
            str(out), "--do_train", "--do_eval", "--predict_with_generate", *QUICK, *extra]


def _start_and_terminate(argv: list[str], tmp: Path) -> tuple[int, float, str]:
    """Start a run, send SIGTERM at a random moment after the first logged step; (rc, seconds to exit, log)."""
    log_path = tmp / "first-run.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([PYTHON, "-m", "summtrain", *argv], cwd=tmp, env=summtrain_env(tmp),
                                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while "'loss'" not in log_path.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(random.uniform(0.0, 1.0))
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=60)
    return rc, time.monotonic() - sent, log_path.read_text()


def test_sigterm_saves_a_checkpoint_and_a_rerun_resumes_with_state_intact(tmp_path, data_files):
    out = tmp_path / "out"
    argv = _argv(data_files, out, "--max_steps", str(MAX_STEPS), "--logging_steps", "1", "--learning_rate",
                 str(LR), "--lr_scheduler_type", "linear", "--warmup_steps", "0")
    rc, seconds, first_log = _start_and_terminate(argv, tmp_path)
    assert rc == 143, first_log[-3000:]
    assert seconds < 25, f"took {seconds:.1f} s to exit after SIGTERM"
    checkpoints = sorted(out.glob("checkpoint-*"))
    assert len(checkpoints) == 1, first_log[-3000:]
    stopped = int(checkpoints[0].name.split("-")[1])
    assert 0 < stopped < MAX_STEPS
    assert {"optimizer.pt", "scheduler.pt", "trainer_state.json", "model.safetensors"} <= {
        p.name for p in checkpoints[0].iterdir()}
    assert f"SIGTERM: saved checkpoint-{stopped}" in first_log

    second = run_summtrain(argv, tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"resuming from {checkpoints[0]}" in second.stderr
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == MAX_STEPS
    steps = [e["step"] for e in state["log_history"] if "loss" in e]
    assert steps == list(range(1, MAX_STEPS + 1))  # no step trained twice, none skipped
    for entry in state["log_history"]:
        if "learning_rate" in entry:  # the scheduler continued where it stopped
            expected = LR * (MAX_STEPS - entry["step"] + 1) / MAX_STEPS  # the rate used by that step
            assert entry["learning_rate"] == pytest.approx(expected, rel=1e-4, abs=1e-9), entry


def test_torchrun_two_processes(tmp_path, data_files):
    out = tmp_path / "out"
    result = subprocess.run([PYTHON, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
                             str(random.randint(20000, 40000)), "-m", "summtrain", *_argv(data_files, out)],
                            cwd=tmp_path, env=summtrain_env(tmp_path, OMP_NUM_THREADS="1"),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 6
    assert json.loads((out / "train_results.json").read_text())["train_samples"] == 48


def test_torchrun_two_cpu_processes_are_one_data_parallel_job(tmp_path, data_files):
    """One epoch of 48 samples at 8 a device: 6 steps alone, 3 steps when two ranks share the data (DDP)."""
    out = tmp_path / "out"
    argv = _argv(data_files, out, "--max_steps", "-1", "--num_train_epochs", "1", "--do_predict", "false")
    result = subprocess.run([PYTHON, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
                             str(random.randint(20000, 40000)), "-m", "summtrain", *argv],
                            cwd=tmp_path, env=summtrain_env(tmp_path, OMP_NUM_THREADS="1"),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "parallel_mode != ParallelMode.DISTRIBUTED" not in result.stderr
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 3, state  # two separate copies would each take 6 steps


def test_torch_distributed_launch_with_local_rank_and_fp16(tmp_path, data_files):
    """The guide's `python -m torch.distributed.launch ... --fp16` form (fp16 falls back on CPU)."""
    out = tmp_path / "out"
    result = subprocess.run([PYTHON, "-m", "torch.distributed.launch", "--nproc_per_node", "2", "--master_port",
                             str(random.randint(20000, 40000)), "--module", "summtrain", "--fp16",
                             *_argv(data_files, out), "--overwrite_output_dir"],
                            cwd=tmp_path, env=summtrain_env(tmp_path, OMP_NUM_THREADS="1"),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "--fp16 needs a CUDA device" in result.stderr
    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == 6
