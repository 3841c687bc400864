"""Checks that run before anything is loaded or written: numbers, data, paths, output_dir, Hub.

Every failure is a `UsageError` (one line: what, where, how to fix; exit code 2), raised
before output_dir is created, so a bad run leaves nothing behind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summtrain import data as data_mod
from summtrain import hub, outputs
from summtrain.args import TrainArgs
from summtrain.errors import UsageError
from summtrain.outputs import inspect_output_dir

log = logging.getLogger("summtrain")
POSITIVE = (("training", "per_device_train_batch_size"), ("training", "per_device_eval_batch_size"),
            ("training", "gradient_accumulation_steps"), ("data", "max_source_length"),
            ("data", "max_target_length"), ("data", "val_max_target_length"), ("data", "num_beams"),
            ("data", "max_train_samples"), ("data", "max_eval_samples"), ("data", "max_predict_samples"))
HUB_NAMED = (("model", "model_name_or_path"), ("model", "config_name"), ("model", "tokenizer_name"))


@dataclass
class RunPlan:
    """What to do with output_dir: resume from a checkpoint or start fresh."""

    output_dir: Path
    resume_from: str | None
    identity: dict[str, Any] | None  # None: an evaluation/prediction-only run in another run's folder
    stale: tuple[Path, ...] = ()  # earlier checkpoints that --overwrite_output_dir removes (`clear_stale`)


def check_numbers(args: TrainArgs) -> None:
    for group, name in POSITIVE:
        value = getattr(getattr(args, group), name)
        if value is not None and value <= 0:
            raise UsageError(f"--{name} must be a positive number, got {value}: pass a value of 1 or more")


def check_splits(args: TrainArgs) -> None:
    d, t = args.data, args.training
    if d.dataset_name is not None:
        return  # the dataset's own splits are checked once it is loaded
    for wanted, flag, split in ((t.do_train, "train_file", "do_train"), (t.do_eval, "validation_file", "do_eval"),
                                (t.do_predict, "test_file", "do_predict")):
        if wanted and getattr(d, flag) is None:
            raise UsageError(f"--{split} needs data: pass --{flag} (CSV or JSON Lines) or --dataset_name")


def check_paths(args: TrainArgs) -> None:
    for group, name in HUB_NAMED:
        value = getattr(getattr(args, group), name)
        if value and hub.looks_like_path(value) and not Path(value).expanduser().exists():
            raise UsageError(f"--{name} {value} does not exist: pass an existing model folder or a Hub model id")
    resume = args.training.resume_from_checkpoint
    if resume and not Path(resume).is_dir():
        raise UsageError(f"--resume_from_checkpoint {resume} is not a checkpoint folder: pass an existing "
                         "checkpoint-N, step_N or epoch_N folder, or omit it to resume from the last one in --output_dir")


def hub_names(args: TrainArgs) -> list[str]:
    """The flags that name something on the Hub (not a local path)."""
    names = [f"--{n} {getattr(getattr(args, g), n)}" for g, n in HUB_NAMED
             if getattr(getattr(args, g), n) and not hub.looks_like_path(getattr(getattr(args, g), n))]
    if args.data.dataset_name and not hub.looks_like_path(args.data.dataset_name):
        names.append(f"--dataset_name {args.data.dataset_name}")
    return names


def check_push(args: TrainArgs, reachable: bool) -> None:
    if args.training.push_to_hub and not reachable:
        raise UsageError("--push_to_hub needs the Hugging Face Hub, which is unreachable from here: drop "
                         "--push_to_hub (the model is saved in --output_dir) or run where the Hub is reachable")


def run_identity(args: TrainArgs) -> dict[str, Any]:
    d = args.data
    files = {k: str(Path(v).resolve()) for k in ("train_file", "validation_file", "test_file") if (v := getattr(d, k))}
    return {"model": args.model.model_name_or_path, "dataset": d.dataset_name, "dataset_config": d.dataset_config_name,
            "files": files, "backend": args.summtrain.backend, "embedded_default": args.embedded_default}


def plan_output_dir(args: TrainArgs) -> RunPlan:
    """Resume, start fresh, or refuse a folder that holds another run's files."""
    out = Path(args.training.output_dir)
    identity = run_identity(args)
    state = inspect_output_dir(out)
    if state.exists and not out.is_dir():
        raise UsageError(f"--output_dir {out} is a file: pass a folder path")
    explicit = args.training.resume_from_checkpoint
    if not args.training.do_train:  # as upstream, only training checks the folder: "train, then predict"
        return RunPlan(out, None, None if state.files else identity)
    if explicit or args.summtrain.overwrite_output_dir or not state.files:
        stale = tuple(outputs.all_checkpoint_folders(out)) if args.summtrain.overwrite_output_dir else ()
        if explicit and any(Path(explicit).resolve() == p.resolve() for p in stale):
            stale = ()  # resuming from one of them: keep them
        return RunPlan(out, explicit, identity, stale)
    same = state.marker is not None and state.marker == identity
    if state.last_checkpoint is not None and (state.marker is None or same):
        log.warning("resuming from %s (pass --overwrite_output_dir to start again)", state.last_checkpoint)
        return RunPlan(out, str(state.last_checkpoint), identity)
    if same:
        log.warning("%s holds an earlier run of the same model and data: starting it again", out)
        return RunPlan(out, None, identity)
    shown = ", ".join(state.files[:5]) + (", ..." if len(state.files) > 5 else "")
    raise UsageError(f"--output_dir {out} already holds another run's files ({shown}): pass "
                     "--overwrite_output_dir to replace them, or choose an empty --output_dir")


def first_process() -> bool:
    """The process that may change output_dir before training (torchrun/accelerate rank 0, the TF chief)."""
    import json
    import os

    if os.environ.get("RANK") is not None:
        return os.environ["RANK"] == "0"
    try:
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    except ValueError:
        return True
    task, cluster = config.get("task", {}), config.get("cluster", {})
    if not task:
        return True
    return task.get("type") == "chief" or ("chief" not in cluster and task.get("index") == 0)


def clear_stale(plan: RunPlan) -> None:
    """--overwrite_output_dir: remove the earlier checkpoints (one log line) so nothing resumes from them."""
    if not plan.stale or not first_process():
        return
    import shutil

    for folder in plan.stale:
        shutil.rmtree(folder, ignore_errors=True)
    names = ", ".join(p.name for p in plan.stale[:5]) + (", ..." if len(plan.stale) > 5 else "")
    log.warning("--overwrite_output_dir: removed %d earlier checkpoint(s) from %s (%s); other files there are "
                "replaced as the run writes them", len(plan.stale), plan.output_dir, names)


def validate(args: TrainArgs, reachable: bool) -> RunPlan:
    check_numbers(args)
    check_splits(args)
    data_mod.check_files(args.data)
    check_paths(args)
    check_push(args, reachable)
    return plan_output_dir(args)
