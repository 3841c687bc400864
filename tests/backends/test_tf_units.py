"""TF back end, fast parts (TF venv): flag coverage, rejected flags, TF_CONFIG placement,
PyTorch-checkpoint loading and export, transformers-5 tokenizer folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from summtrain import assets, flagschema
from summtrain.backends import tf_args, tf_strategy, tf_weights
from summtrain.errors import UsageError

pytestmark = pytest.mark.tf


def test_every_schema_flag_is_supported_or_rejected_by_the_tf_back_end():
    flags = set(flagschema.load_schema()["flags"])
    supported = tf_args.supported_flags()
    rejected = set(flagschema.load_rules()["unsupported"]["tf"])
    assert supported | rejected == flags
    assert not supported & rejected
    assert supported <= flags


@pytest.mark.parametrize("argv, words", [
    (["--deepspeed", "ds.json"], "--deepspeed is not supported by the tf back end"),
    (["--gradient_accumulation_steps", "4"], "--gradient_accumulation_steps"),
    (["--lr_scheduler_type", "cosine"], "--lr_scheduler_type cosine"),
    (["--optim", "adafactor"], "--optim adafactor"),
    (["--label_smoothing_factor", "0.1"], "--label_smoothing_factor"),
    (["--report_to", "wandb"], "--report_to wandb"),
    (["--lerning_rate", "1e-3"], "did you mean --learning_rate"),
])
def test_flags_the_tf_back_end_cannot_honour_are_rejected(argv, words):
    with pytest.raises(UsageError, match=words.replace("-", r"\-").replace(".", r"\.")):
        tf_args.parse_tf_args(["--backend", "tf", "--output_dir", "/nonexistent/out", *argv])


def test_rejection_is_one_line_and_exit_code_2(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "summtrain", "--backend", "tf", "--output_dir", str(tmp_path / "o"),
                           "--fsdp", "full_shard"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("summtrain: error: training flag --fsdp")
    assert "Traceback" not in done.stderr and not (tmp_path / "o").exists()


def test_same_flags_as_the_other_back_ends_parse_into_the_shared_groups():
    args = tf_args.parse_tf_args(["--backend", "tf", "--output_dir", "/x/out", "--evaluation_strategy", "epoch",
                                  "--tpu", "my-tpu", "--num_train_epochs", "2", "--source_prefix", "summarize: "])
    assert args.training.eval_strategy == "epoch"  # legacy flag translated as for every back end
    assert args.summtrain.tpu == "my-tpu" and args.summtrain.backend == "tf"
    assert args.training.num_train_epochs == 2.0 and args.data.source_prefix == "summarize: "
    assert args.training.per_device_train_batch_size == 16  # the embedded default's hyperparameters


def _tf_config(cluster: dict, task_type: str, index: int) -> dict[str, str]:
    return {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})}


def test_tf_config_placement_chief_and_workers():
    cluster = {"chief": ["c:1"], "worker": ["w0:1", "w1:1"]}
    chief = tf_strategy.placement_from_tf_config(tf_strategy.read_tf_config(_tf_config(cluster, "chief", 0)))
    worker = tf_strategy.placement_from_tf_config(tf_strategy.read_tf_config(_tf_config(cluster, "worker", 1)))
    assert (chief.num_workers, chief.worker_index, chief.is_chief) == (3, 0, True)
    assert (worker.worker_index, worker.is_chief, worker.task) == (2, False, "worker:1")
    single = {"worker": ["w0:1"]}
    assert tf_strategy.placement_from_tf_config(tf_strategy.read_tf_config(_tf_config(single, "worker", 0))) is None


@pytest.mark.parametrize("cluster, task, words", [
    ({"worker": ["a:1"], "ps": ["p:1"]}, ("worker", 0), "ps tasks"),
    ({"worker": ["a:1", "b:1"]}, ("worker", 2), "not in its cluster"),
])
def test_unsupported_tf_config_is_rejected(cluster, task, words):
    with pytest.raises(UsageError, match=words):
        tf_strategy.read_tf_config(_tf_config(cluster, *task))


def test_bundled_pytorch_checkpoint_loads_and_exports_bit_identically():
    model = tf_weights.load_tf_model(assets.MODEL_DIR)
    original = tf_weights.read_pt_state_dict(assets.MODEL_DIR)
    exported = tf_weights.pt_state_dict(model)
    assert exported.keys() == original.keys()
    for name, value in original.items():
        assert exported[name].shape == value.shape and np.array_equal(exported[name], value), name


def test_tokenizer_folder_saved_by_transformers_5_loads(tmp_path: Path):
    folder = tmp_path / "tok"
    shutil.copytree(assets.MODEL_DIR, folder)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["extra_special_tokens"] = []  # what transformers 5 writes; 4.x fails on it as is
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    tokenizer = tf_weights.load_tokenizer(str(folder))
    reference = tf_weights.load_tokenizer(str(assets.MODEL_DIR))
    text = "Carlow will replace four roads , Ben Brooks says ."
    assert tokenizer(text).input_ids == reference(text).input_ids


def test_folder_without_loadable_weights_is_a_usage_error(tmp_path: Path):
    shutil.copy(assets.MODEL_DIR / "config.json", tmp_path / "config.json")
    (tmp_path / "pytorch_model.bin").write_bytes(b"x")
    with pytest.raises(UsageError, match="no weights the TF back end can load"):
        tf_weights.load_tf_model(tmp_path)


@pytest.mark.parametrize("value, strategy, steps", [("3", "steps", 3), ("epoch", "epoch", None)])
def test_checkpointing_steps_sets_the_tf_save_schedule(tmp_path, value, strategy, steps):
    """The tf back end saves by --save_strategy/--save_steps (_loop.checkpointing_spec), so the flag maps there."""
    from summtrain.backends import _loop

    targs = tf_args.parse_tf_args(["--output_dir", str(tmp_path), "--save_strategy", "no",
                                   "--checkpointing_steps", value])
    assert targs.training.save_strategy == strategy
    if steps:
        assert targs.training.save_steps == steps
    assert _loop.checkpointing_spec(targs.training, None) == value
    assert "checkpointing_steps" not in flagschema.load_rules()["unsupported"]["tf"]
