"""`TrainArgs` for the TF back end, from the same flag schema as every other back end.

The TF stack runs transformers 4.x, whose `Seq2SeqTrainingArguments` differs from the
5.x one the schema is generated from (and clashes with `--overwrite_output_dir`), so
the TF back end does not build the real `HfArgumentParser`. It validates argv (or a
run file) with `summtrain.flagschema` (names, types, "did you mean", legacy flags,
and rejects every flag that tf_flags.json does not list as supported), applies the same
embedded default as `summtrain.parse`, and fills the training group with the
schema's defaults. Values the TF back end cannot honour are rejected here, one line
each, before anything is imported or written.
"""

from __future__ import annotations

import dataclasses
import logging
import json
import os
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from summtrain import flagschema
from summtrain.args import DataTrainingArguments, ModelArguments, SummtrainArguments, TrainArgs
from summtrain.errors import UsageError

log = logging.getLogger("summtrain")

FLAGS_FILE = Path(__file__).with_name("tf_flags.json")
SCHEDULES = ("linear", "constant", "constant_with_warmup")
REPORTERS = ("none", "tensorboard")
ADAMW = ("adamw_torch", "adamw_torch_fused")  # the Trainer's AdamW; Keras' AdamWeightDecay matches it


def supported_flags() -> set[str]:
    """The flags the tf back end honours (tf_flags.json); every other schema flag is rejected."""
    return set(json.loads(FLAGS_FILE.read_text())["supported"])


class TFTrainingArgs(SimpleNamespace):
    """The training group: every `Seq2SeqTrainingArguments` flag of the schema, by attribute."""

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _group_fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _build(cls: type, values: dict[str, Any]):
    return cls(**{k: v for k, v in values.items() if k in _group_fields(cls)})


def parse_tf_args(argv: Sequence[str]) -> TrainArgs:
    """argv (or one run file) -> TrainArgs with a `TFTrainingArgs` training group."""
    return tf_train_args(*flagschema.parse_argv(argv))


def tf_train_args(given: dict[str, Any], tr: flagschema.Translation) -> TrainArgs:
    """Flags parsed once by `flagschema.parse_argv` -> TrainArgs with a `TFTrainingArgs` training group."""
    from summtrain.parse import checkpointing_flags, default_flags, no_trainer_flags

    for note in tr.notes:
        log.warning(note)
    os.environ.update(tr.env)
    given = dict(given)
    given.setdefault("backend", "tf")
    if given["backend"] != "tf":
        raise UsageError(f"--backend {given['backend']} reached the tf back end: run it with summtrain")
    unsupported = sorted(set(given) - supported_flags())
    if unsupported:
        raise UsageError(f"training flag --{unsupported[0]} is not supported by the tf back end: remove it "
                         "(or use --backend trainer)")
    front, embedded = default_flags(given)
    values = {name: spec.get("default") for name, spec in flagschema.load_schema()["flags"].items()}
    values.update(front)
    values.update(given)
    values.update(checkpointing_flags(given, "tf"))
    values.update(no_trainer_flags(given))
    own = _group_fields(ModelArguments) | _group_fields(DataTrainingArguments) | _group_fields(SummtrainArguments)
    training = TFTrainingArgs(**{k: v for k, v in values.items() if k not in own})
    targs = TrainArgs(_build(ModelArguments, values), _build(DataTrainingArguments, values), training,
                      _build(SummtrainArguments, values), given, embedded)
    check_values(targs)
    return targs


def _positive(training: TFTrainingArgs, *names: str) -> None:
    for name in names:
        value = getattr(training, name)
        if value is not None and value <= 0:
            raise UsageError(f"--{name} {value} must be positive")


def check_values(targs: TrainArgs) -> None:
    """Reject settings the TF back end cannot honour (the flag is known, the value is not)."""
    t = targs.training
    if not t.output_dir:
        raise UsageError("--output_dir is required: pass a folder for the checkpoints and results")
    _positive(t, "per_device_train_batch_size", "per_device_eval_batch_size", "learning_rate")
    rules = [  # (cannot honour, "what: how to fix")
        (t.gradient_accumulation_steps != 1, "--gradient_accumulation_steps above 1 (tf-keras optimizers do not "
         "accumulate): raise --per_device_train_batch_size instead"),
        (t.label_smoothing_factor, "--label_smoothing_factor (the TF models compute their own loss): remove it"),
        (t.lr_scheduler_type not in SCHEDULES, f"--lr_scheduler_type {t.lr_scheduler_type}: pick one of "
         f"{', '.join(SCHEDULES)}"),
        (t.optim not in ADAMW, f"--optim {t.optim} (it trains with AdamW): pick {' or '.join(ADAMW)}"),
        (t.save_strategy == "best", "--save_strategy best: use steps or epoch"),
        (t.eval_strategy == "steps" and not (t.eval_steps or t.logging_steps),
         "--eval_strategy steps without --eval_steps: pass --eval_steps N"),
        (t.fp16 and t.bf16, "--fp16 together with --bf16: keep one"),
        (bool(set(_report_to(t)) - set(REPORTERS)), f"--report_to {' '.join(_report_to(t))}: pick one of "
         f"{', '.join(REPORTERS)}"),
        (targs.model.resize_position_embeddings, "--resize_position_embeddings: lower --max_source_length instead"),
    ]
    for failed, what in rules:
        if failed:
            raise UsageError(f"the tf back end does not support {what} (or use --backend trainer)")
    if t.warmup_steps is not None and t.warmup_steps < 0:
        raise UsageError(f"--warmup_steps {t.warmup_steps} must be >= 0")


def _report_to(t: TFTrainingArgs) -> list[str]:
    value = t.report_to
    if value in (None, "", "none", "all"):
        return ["none"] if value != "all" else ["tensorboard"]
    return [value] if isinstance(value, str) else list(value)


def report_to(t: TFTrainingArgs) -> list[str]:
    return [r for r in _report_to(t) if r != "none"]
