"""The upstream summarization example tests, run with their own argument lists.

transformers' `examples/pytorch/test_pytorch_examples.py::test_run_summarization` (Trainer) and
`examples/pytorch/test_accelerate_examples.py::test_run_summarization_no_trainer` (Accelerate),
unchanged except the model (the embedded tiny T5) and the data (a ten-sample fixture in upstream's
`document`/`summary` format at upstream's path). Each run exits 0 and writes every key and folder its
upstream test reads. Upstream's ROUGE thresholds hold for t5-small; the tiny T5 starts from random
weights, so a memorisation run on the same fixture (more epochs, a higher learning rate) checks them.
The TF one is in test_tf_upstream.py (it runs in the TF stack).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loop_helpers as h  # noqa: E402

pytestmark = pytest.mark.slow
SAMPLE = h.ROOT / "tests" / "fixtures" / "tests_samples" / "xsum" / "sample.json"
ROUGE_KEYS = ("eval_rouge1", "eval_rouge2", "eval_rougeL", "eval_rougeLsum")
THRESHOLDS = {"rouge1": 10, "rouge2": 2, "rougeL": 7, "rougeLsum": 7}  # upstream's


def upstream_args(text: str, tmp_dir: Path) -> list[str]:
    """An upstream test's argument list: its model swapped for the tiny T5, its data path made absolute."""
    args = text.replace("{tmp_dir}", str(tmp_dir)).split()
    args = [str(h.TINY_MODEL) if a == "google-t5/t5-small" else a for a in args]
    return [str(SAMPLE) if a == "tests/fixtures/tests_samples/xsum/sample.json" else a for a in args]


RUN_SUMMARIZATION = """
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
    --predict_with_generate
"""

RUN_SUMMARIZATION_NO_TRAINER = """
    --model_name_or_path google-t5/t5-small
    --train_file tests/fixtures/tests_samples/xsum/sample.json
    --validation_file tests/fixtures/tests_samples/xsum/sample.json
    --output_dir {tmp_dir}
    --max_train_steps=50
    --num_warmup_steps=8
    --learning_rate=2e-4
    --per_device_train_batch_size=2
    --per_device_eval_batch_size=1
    --checkpointing_steps epoch
    --with_tracking
"""


def get_results(output_dir: Path) -> dict:
    return json.loads((output_dir / "all_results.json").read_text())


def test_the_fixture_is_upstreams_format():
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    assert len(rows) == 10 and all({"document", "summary"} <= set(r) for r in rows)
    assert list(rows[0])[:2] == ["document", "summary"]  # upstream picks the first two columns


def test_run_summarization(tmp_path):
    out = tmp_path / "out"
    h.ok(h.summtrain(upstream_args(RUN_SUMMARIZATION, out), tmp_path))
    result = get_results(out)
    assert all(isinstance(result[k], float) for k in ROUGE_KEYS), result


def test_run_summarization_no_trainer(tmp_path):
    out = tmp_path / "out"
    h.ok(h.summtrain(["--backend", "accelerate", *upstream_args(RUN_SUMMARIZATION_NO_TRAINER, out)], tmp_path))
    result = get_results(out)
    assert all(isinstance(result[k], float) for k in ROUGE_KEYS), result
    assert (out / "epoch_0").is_dir()
    assert list((out / "summarization_no_trainer").glob("events.out.tfevents.*"))  # --with_tracking: tensorboard
    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == 50


# Memorisation: the same fixture for training and evaluation, many passes, a high learning rate.
MEMORISE = ["--train_file", str(SAMPLE), "--validation_file", str(SAMPLE), "--model_name_or_path",
            str(h.TINY_MODEL), "--learning_rate", "1e-2", "--per_device_train_batch_size", "2",
            "--per_device_eval_batch_size", "10", "--max_target_length", "24", "--seed", "7"]


@pytest.mark.parametrize("backend, flags", [
    ("trainer", ["--do_train", "--do_eval", "--predict_with_generate", "--num_train_epochs", "20",
                 "--warmup_steps", "8", "--save_strategy", "no", "--report_to", "none", "--disable_tqdm", "true"]),
    ("accelerate", ["--num_train_epochs", "20", "--num_warmup_steps", "8"]),
])
def test_memorisation_clears_upstreams_thresholds(tmp_path, backend, flags):
    out = tmp_path / "out"
    h.ok(h.summtrain(["--backend", backend, *MEMORISE, "--output_dir", str(out), *flags], tmp_path))
    result = get_results(out)
    for key, floor in THRESHOLDS.items():
        assert result[f"eval_{key}"] >= floor, (key, result)
