"""`summlaunch run` in local mode: flags checked before anything starts, passthrough and `--` forms."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import QUICK, TINY_MODEL, summtrain_env

SUMMLAUNCH = str(Path(sys.executable).with_name("summlaunch"))


def summlaunch(argv: list[str], tmp: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([SUMMLAUNCH, *argv], cwd=tmp, env=summtrain_env(tmp), capture_output=True, text=True,
                          timeout=timeout)


def test_bad_training_flag_fails_before_anything_runs(tmp_path):
    result = summlaunch(["run", "--model_name_or_path", "t5-small", "--learnig_rate", "1e-3"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("summlaunch run: error: unknown training flag --learnig_rate (did you mean "
                                     "--learning_rate?): see `summtrain --help` for the flags")


def test_dry_run_shows_the_local_command_with_translated_flags_kept(tmp_path):
    result = summlaunch(["run", "--dry-run", "--fp16", "true", "--", "--output_dir", "D"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1:] == ["-m", "summtrain", "--backend", "trainer", "--fp16", "true", "--output_dir", "D"]


@pytest.mark.slow
def test_passthrough_flags_and_flags_after_dashes_train_locally(tmp_path, data_files):
    out = tmp_path / "out"
    result = summlaunch(["run", "--model_name_or_path", TINY_MODEL, "--train_file", str(data_files["train"]),
                         "--validation_file", str(data_files["validation"]), *QUICK, "--",
                         "--output_dir", str(out), "--do_train", "--do_eval", "--predict_with_generate"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((out / "all_results.json").read_text())["train_samples"] == 48
    assert "ROUGE on 16 validation samples" in result.stdout
