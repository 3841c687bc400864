"""Progress as data: the torch back ends write one structured record (summtrain.progress_record) per
logging step and per evaluation on stdout (every back end: test_all_backends.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loop_helpers as h  # noqa: E402
from test_all_backends import SAME_FLAGS, assert_progress_records  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", ["trainer", "accelerate"])
def test_a_record_per_logging_step_and_evaluation(tmp_path, backend):
    done = h.ok(h.summtrain(["--backend", backend, *h.data_flags(64, 16, 8), *h.FAST, *SAME_FLAGS,
                             "--output_dir", str(tmp_path / "out")], tmp_path))
    assert_progress_records(done.stdout, backend)
