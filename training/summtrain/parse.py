"""Parsed flags -> `TrainArgs`: the embedded default, environment fixes, no_trainer spellings.

argv is parsed once, by `summtrain.flagschema.parse_argv` (legacy flags translated, names and values
checked against flags.json, no ML import); `train_args` puts the embedded default's flags in front
(the user's own flags win), this machine's fixes after, and builds the typed groups with the real
`HfArgumentParser.parse_dict` (the dataclasses' own checks run; argv is not parsed again).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from summtrain import assets, flagschema
from summtrain.args import TrainArgs, build_parser
from summtrain.errors import UsageError

log = logging.getLogger("summtrain")
DEFAULT_OUTPUT_DIR = "summtrain-output"
DATA_FLAGS = ("dataset_name", "train_file", "validation_file", "test_file")
DO_FLAGS = ("do_train", "do_eval", "do_predict")

# The embedded default: tiny T5 on the bundled data, sized to finish in minutes on 2 CPU cores.
EMBEDDED_HYPERPARAMETERS: dict[str, Any] = {
    "learning_rate": 3e-3, "num_train_epochs": 3, "per_device_train_batch_size": 16,
    "per_device_eval_batch_size": 100, "max_source_length": 96, "max_target_length": 24,
    "warmup_steps": 30, "logging_steps": 50, "save_strategy": "no", "eval_strategy": "no",
    "seed": 42, "report_to": "none", "eval_before_train": True, "predict_with_generate": True,
}


def bundled_data_flags() -> dict[str, Any]:
    return {"train_file": str(assets.data_file("train")), "validation_file": str(assets.data_file("validation")),
            "test_file": str(assets.data_file("test")), "text_column": assets.TEXT_COLUMN,
            "summary_column": assets.SUMMARY_COLUMN}


def default_flags(given: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Flags to put in front of the user's: ({name: value}, is_embedded_default)."""
    has_model = given.get("model_name_or_path") is not None or given.get("model_type") is not None
    if given.get("model_type") is not None and given.get("model_name_or_path") is None \
            and not given.get("tokenizer_name"):
        raise UsageError("--model_type trains a fresh model, whose tokenizer must come from somewhere: pass "
                         "--tokenizer_name (a Hub id or a local folder)")
    has_data = any(given.get(k) is not None for k in DATA_FLAGS)
    flags: dict[str, Any] = {}
    if not has_data:
        flags.update(bundled_data_flags())
    if not has_model and has_data:
        raise UsageError("your own data needs a model: pass --model_name_or_path (a Hub id such as t5-small "
                         "or a local folder); the embedded tiny model only knows the bundled data's words")
    embedded = not has_model and not has_data
    if embedded:
        flags["model_name_or_path"] = str(assets.MODEL_DIR)
        flags.update(EMBEDDED_HYPERPARAMETERS)
        if "output_dir" not in given:
            flags["overwrite_output_dir"] = True  # rerunning the demo starts it again
    if not any(k in given for k in DO_FLAGS):
        flags.update(dict.fromkeys(DO_FLAGS, True) if embedded else {"do_train": True, "do_eval": True})
    if "output_dir" not in given:
        flags["output_dir"] = DEFAULT_OUTPUT_DIR
    return flags, embedded


def _environment_flags(given: dict[str, Any]) -> dict[str, Any]:
    """Fixes for this machine: gloo and use_cpu for multi-process CPU runs; fp16 only where CUDA is."""
    import torch

    flags: dict[str, Any] = {}
    multi_cpu = int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available()
    if multi_cpu and "ddp_backend" not in given:
        flags["ddp_backend"] = "gloo"
    if multi_cpu and "use_cpu" not in given and not os.environ.get("PJRT_DEVICE"):
        # without it transformers sees no device and each process trains its own copy (no DDP)
        flags["use_cpu"] = True
    if given.get("fp16") and not torch.cuda.is_available():
        log.warning("--fp16 needs a CUDA device and none is here: training in fp32 (pass --bf16 for mixed "
                    "precision on CPU or TPU)")
        flags["fp16"] = False
    return flags


def checkpointing_flags(given: dict[str, Any], backend: str) -> dict[str, Any]:
    """The trainer/tf back ends' form of `--checkpointing_steps N|epoch` (the torch loops read it themselves)."""
    value = given.get("checkpointing_steps")
    if not value or backend not in ("trainer", "tf"):
        return {}
    value = str(value).strip().lower()
    if value == "epoch":
        flags: dict[str, Any] = {"save_strategy": "epoch"}
    elif value.isdigit() and int(value) > 0:
        flags = {"save_strategy": "steps", "save_steps": int(value)}
    else:
        raise UsageError(f"--checkpointing_steps {value}: expected a positive number of steps or 'epoch'")
    replaced = "".join(f" (instead of --{k} {given[k]})" for k in ("save_strategy", "save_steps") if k in given)
    log.info("--checkpointing_steps %s: the %s back end saves with %s%s", value, backend, " ".join(_to_argv(flags)),
             replaced)  # as the accelerate/xla loops do, it wins over --save_strategy/--save_steps
    return flags


# run_summarization_no_trainer.py's spelling -> (the Trainer flag, how the value maps)
NO_TRAINER_SPELLINGS = {"max_train_steps": "max_steps", "num_warmup_steps": "warmup_steps",
                        "use_slow_tokenizer": "use_fast_tokenizer"}


def no_trainer_flags(given: dict[str, Any]) -> dict[str, Any]:
    """The Trainer form of the no_trainer script's own flags (one log line each)."""
    flags: dict[str, Any] = {}
    for name, to in NO_TRAINER_SPELLINGS.items():
        if given.get(name) in (None, False):
            continue
        value = not given[name] if to == "use_fast_tokenizer" else given[name]
        if to in given and given[to] != value:
            raise UsageError(f"--{name} {given[name]} and --{to} {given[to]} disagree: pass one of them")
        flags[to] = value
        log.info("--%s %s (run_summarization_no_trainer.py): using --%s %s", name, given[name], to, value)
    if given.get("with_tracking") and "report_to" not in given:
        flags["report_to"] = "all"  # the no_trainer script's default
        log.info("--with_tracking: reporting to every installed tracker (--report_to all)")
    if given.get("max_length") is not None:
        log.info("--max_length %s is accepted as run_summarization_no_trainer.py accepts it, and unused as "
                 "there: --max_source_length sets the input length", given["max_length"])
    return flags


def _to_argv(flags: dict[str, Any]) -> list[str]:
    argv: list[str] = []
    for name, value in flags.items():
        if isinstance(value, list):
            argv += [f"--{name}", *map(str, value)]
        else:
            argv += [f"--{name}", str(value)]
    return argv


def parse_train_args(argv: Sequence[str]) -> TrainArgs:
    """argv (or one run file) -> TrainArgs (for callers that have not parsed it yet)."""
    return train_args(*flagschema.parse_argv(argv))


def train_args(given: dict[str, Any], tr: flagschema.Translation) -> TrainArgs:
    """The flags parsed once by `flagschema.parse_argv` -> the typed groups, with the embedded default in
    front (the user's flags win) and this machine's fixes after (they win over the user's)."""
    for note in tr.notes:
        log.warning(note)
    os.environ.update(tr.env)
    front, embedded = default_flags(given)
    # Fixes for this machine and --checkpointing_steps win over what the user gave; defaults do not.
    forced = {**_environment_flags(given), **checkpointing_flags(given, given.get("backend", "trainer")),
              **no_trainer_flags(given)}
    parser = build_parser()
    try:
        groups = parser.parse_dict({**front, **given, **forced})
    except (ValueError, TypeError) as e:
        raise UsageError(f"invalid training flags: {str(e).strip().splitlines()[0]}") from None
    model, data, training, summtrain = groups[:4]
    return TrainArgs(model, data, training, summtrain, given, embedded)
