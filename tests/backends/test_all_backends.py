"""One schema, four back ends: the same bundled data file and the same flags through
`summtrain --backend trainer|accelerate|tf|xla`, the same result files and keys, and a falling loss.

trainer and accelerate run in this interpreter's venv (the torch stack); tf in the TF venv
($SUMMLAUNCH_TF_VENV or ./.venv-tf, tests/setup/tf_venv.sh); xla in the XLA venv
($SUMMLAUNCH_XLA_VENV or ./.venv-xla, tests/setup/xla_venv.sh) on the CPU PJRT device. A missing
venv is a failure that names the set-up script, not a skip. Runs need every stack, so CI runs this
module after the TF and XLA set-ups (see tests/run_all.sh).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loop_helpers as h  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.tf, pytest.mark.xla]
SAME_FLAGS = ["--do_train", "--do_eval", "--do_predict", "--predict_with_generate", "--max_steps", "8",
              "--per_device_train_batch_size", "8", "--logging_steps", "1", "--lr_scheduler_type", "constant",
              "--save_strategy", "no"]


def venv_python(backend: str) -> tuple[str, dict[str, str]]:
    if backend in ("trainer", "accelerate"):
        return sys.executable, {}
    var, folder, script = {"tf": ("SUMMLAUNCH_TF_VENV", ".venv-tf", "tf_venv.sh"),
                           "xla": ("SUMMLAUNCH_XLA_VENV", ".venv-xla", "xla_venv.sh")}[backend]
    python = Path(os.environ.get(var) or h.ROOT / folder) / "bin" / "python"
    if not python.exists():
        pytest.fail(f"the {backend} stack is not installed at {python.parents[1]}: run tests/setup/{script}")
    return str(python), ({"PJRT_DEVICE": "CPU", "CPU_NUM_DEVICES": "1"} if backend == "xla" else {})


def test_every_backend_trains_on_the_same_file_with_the_same_outputs(tmp_path):
    keys, files = {}, {}
    for backend in ("trainer", "accelerate", "tf", "xla"):
        python, extra = venv_python(backend)
        out = tmp_path / backend
        done = h.ok(h.summtrain(["--backend", backend, *h.data_flags(64, 16, 8), *h.FAST, *SAME_FLAGS,
                                 "--output_dir", str(out)], tmp_path, python=python, timeout=1200, **extra))
        assert_progress_records(done.stdout, backend)
        keys[backend] = set(h.results(out))
        files[backend] = {name for name in h.RESULT_FILES if (out / name).is_file()}
        losses = h.losses(out)
        assert len(losses) == 8 and losses[-1] < losses[0], (backend, losses)
        assert json.loads((out / "train_results.json").read_text())["train_samples"] == 64
        assert len((out / "generated_predictions.txt").read_text().splitlines()) == 8
    for backend in keys:
        assert h.RESULT_KEYS <= keys[backend], (backend, sorted(h.RESULT_KEYS - keys[backend]))
        assert files[backend] == set(h.RESULT_FILES), (backend, sorted(set(h.RESULT_FILES) - files[backend]))


def assert_progress_records(stdout: str, backend: str) -> None:
    """One structured record per logging step (all 8, --logging_steps 1) and one for the final evaluation."""
    from summtrain.progress_record import parse_record

    records = [r for r in map(parse_record, stdout.splitlines()) if r]
    train = [r for r in records if r["event"] == "train"]
    assert [r["step"] for r in train] == list(range(1, 9)), (backend, records)
    assert all(r["max_steps"] == 8 and "loss" in r and "learning_rate" in r for r in train), (backend, train)
    assert any("samples_per_second" in r for r in train), (backend, train)
    evals = [r for r in records if r["event"] == "eval"]
    assert evals and "eval_rouge1" in evals[-1]["metrics"], (backend, records)
