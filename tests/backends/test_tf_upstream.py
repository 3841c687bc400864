"""The upstream TF summarization example test (`examples/tensorflow/test_tensorflow_examples.py::
test_run_summarization`), with its own argument list, in the TF stack's venv.

Unchanged except the model (the embedded tiny T5), the data (the ten-sample fixture at upstream's
path) and `--backend tf`: it exits 0 and writes upstream TF's unprefixed `rouge1`, ... into
all_results.json (evaluation generates, as upstream's TF script does). A memorisation run on the
same fixture clears upstream's thresholds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_tf import summtrain  # noqa: E402
from test_upstream_examples import SAMPLE, THRESHOLDS, h, upstream_args  # noqa: E402

pytestmark = [pytest.mark.tf, pytest.mark.slow]

RUN_SUMMARIZATION_TF = """
    --model_name_or_path google-t5/t5-small
    --train_file tests/fixtures/tests_samples/xsum/sample.json
    --validation_file tests/fixtures/tests_samples/xsum/sample.json
    --output_dir {tmp_dir}
    --overwrite_output_dir
    --max_steps=50
    --warmup_steps=8
    --do_train
    --do_eval
    --learning_rate=2e-4
    --per_device_train_batch_size=2
    --per_device_eval_batch_size=1
"""


def test_run_summarization_tf(tmp_path):
    out = tmp_path / "out"
    summtrain(["--backend", "tf", *upstream_args(RUN_SUMMARIZATION_TF, out)], tmp_path)
    result = json.loads((out / "all_results.json").read_text())
    for key in THRESHOLDS:
        assert isinstance(result[key], float) and result[key] == result[f"eval_{key}"], result


def test_memorisation_clears_upstreams_thresholds_tf(tmp_path):
    out = tmp_path / "out"
    summtrain(["--backend", "tf", "--train_file", str(SAMPLE), "--validation_file", str(SAMPLE),
               "--model_name_or_path", str(h.TINY_MODEL), "--output_dir", str(out), "--do_train", "--do_eval",
               "--learning_rate", "1e-2", "--per_device_train_batch_size", "2", "--per_device_eval_batch_size", "10",
               "--max_target_length", "24", "--num_train_epochs", "20", "--warmup_steps", "8", "--seed", "7",
               "--save_strategy", "no", "--disable_tqdm", "true"], tmp_path)
    result = json.loads((out / "all_results.json").read_text())
    for key, floor in THRESHOLDS.items():
        assert result[key] >= floor, (key, result)
