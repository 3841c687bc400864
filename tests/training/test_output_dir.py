"""output_dir between runs: --overwrite_output_dir replaces (no stale checkpoint survives to be resumed
from), and an evaluation- or prediction-only run may use an earlier run's folder ("train, then predict")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import QUICK, TINY_MODEL, run_summtrain

pytestmark = pytest.mark.slow


def _train(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return ["--model_name_or_path", TINY_MODEL, "--train_file", str(files["train"]), "--validation_file",
            str(files["validation"]), "--output_dir", str(out), "--do_train", *QUICK, *extra]


def _ok(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _global_step(out: Path) -> int:
    return json.loads((out / "trainer_state.json").read_text())["global_step"]


def test_overwrite_output_dir_removes_earlier_checkpoints_before_training(tmp_path, data_files):
    out = tmp_path / "out"
    _ok(run_summtrain(_train(data_files, out, "--save_strategy", "steps", "--save_steps", "2"), tmp_path))
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4", "checkpoint-6"]
    again = _ok(run_summtrain(_train(data_files, out, "--overwrite_output_dir", "--max_steps", "2"), tmp_path))
    lines = [ln for ln in again.stderr.splitlines() if "--overwrite_output_dir: removed" in ln]
    assert len(lines) == 1 and "3 earlier checkpoint(s)" in lines[0], again.stderr[-3000:]
    assert not list(out.glob("checkpoint-*")) and _global_step(out) == 2
    # A later plain rerun has nothing stale to resume from: it trains its own steps.
    rerun = _ok(run_summtrain(_train(data_files, out, "--max_steps", "4"), tmp_path))
    assert "resuming from" not in rerun.stderr and _global_step(out) == 4


def test_predict_only_run_into_the_training_runs_folder(tmp_path, data_files):
    out = tmp_path / "out"
    _ok(run_summtrain(_train(data_files, out), tmp_path))
    marker = (out / "summtrain_run.json").read_text()
    _ok(run_summtrain(["--model_name_or_path", str(out), "--do_predict", "--test_file", str(data_files["test"]),
                       "--output_dir", str(out), "--predict_with_generate", *QUICK], tmp_path))
    assert json.loads((out / "predict_results.json").read_text())["predict_samples"] == 16
    assert (out / "summtrain_run.json").read_text() == marker  # the folder still belongs to the training run
