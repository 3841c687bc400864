"""Checkpoints of the Accelerate back end, in either of the two layouts users arrive with.

- Trainer layout (`--save_strategy/--save_steps`): `checkpoint-N/` with the model and tokenizer,
  `optimizer.pt`, `scheduler.pt` and `trainer_state.json`, as every torch back end writes it.
- run_summarization_no_trainer.py layout (`--checkpointing_steps N|epoch`, upstream's form):
  `step_N/` (N optimizer updates done) or `epoch_E/` (epoch E, counted from 0, done), written by
  `accelerator.save_state` as upstream does (model, optimizer, RNG and sampler states), plus
  `scheduler.pt` and `trainer_state.json` so the step and the log history survive a resume.

`load` resumes from either, and from a folder upstream's script wrote (its step comes from the
folder's name, as upstream reads it).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Optional

from summtrain.backends import _loop

log = logging.getLogger("summtrain.accelerate")
UPSTREAM_NAME = re.compile(r"^(step|epoch)_(\d+)$")


def folder_name(upstream: bool, spec: Optional[str], global_step: int, epoch_index: int, end_of_epoch: bool) -> str:
    """`checkpoint-N`, or upstream's `epoch_E` / `step_N`."""
    if not upstream:
        return f"checkpoint-{global_step}"
    if spec == "epoch" and end_of_epoch:
        return f"epoch_{epoch_index}"
    return f"step_{global_step}"


def save(accelerator, model, tokenizer, optimizer, scheduler, state: dict, training_args, name: str) -> Path:
    """Write one checkpoint folder (every process takes part; the main process writes the files)."""
    import torch

    ckpt = Path(training_args.output_dir) / name
    accelerator.wait_for_everyone()
    if UPSTREAM_NAME.match(name):
        accelerator.save_state(str(ckpt))
    else:
        weights = accelerator.get_state_dict(model)
        if accelerator.is_main_process:
            ckpt.mkdir(parents=True, exist_ok=True)
            accelerator.unwrap_model(model).save_pretrained(ckpt, state_dict=weights, safe_serialization=True)
            if tokenizer is not None:
                tokenizer.save_pretrained(ckpt)
            torch.save(optimizer.state_dict(), ckpt / _loop.OPTIMIZER_FILE)
    if accelerator.is_main_process:
        torch.save(scheduler.state_dict(), ckpt / _loop.SCHEDULER_FILE)
        _loop.write_trainer_state(ckpt, training_args=training_args, **state)
        _loop.rotate_checkpoints(training_args.output_dir, training_args.save_total_limit)
        log.info("saved checkpoint %s", ckpt)
    accelerator.wait_for_everyone()
    return ckpt


def is_accelerate_state(ckpt: Path) -> bool:
    """A folder `accelerator.save_state` wrote (ours or upstream's script's)."""
    return (ckpt / "optimizer.bin").is_file() or any(ckpt.glob("random_states_*.pkl"))


def load(accelerator, ckpt: Path, optimizer, scheduler, updates_per_epoch: int) -> dict:
    """Restore optimizer (and, for save_state folders, model and RNG) and schedule; the trainer state."""
    import torch

    if is_accelerate_state(ckpt):
        accelerator.load_state(str(ckpt))
    elif (ckpt / _loop.OPTIMIZER_FILE).is_file():
        optimizer.load_state_dict(torch.load(ckpt / _loop.OPTIMIZER_FILE, map_location="cpu", weights_only=True))
    state = _loop.read_trainer_state(ckpt) if (ckpt / _loop.TRAINER_STATE).is_file() else {}
    if "global_step" not in state:
        state["global_step"] = step_from_name(ckpt, updates_per_epoch)
    if (ckpt / _loop.SCHEDULER_FILE).is_file():
        scheduler.load_state_dict(torch.load(ckpt / _loop.SCHEDULER_FILE, weights_only=True))
    else:  # a folder from upstream's script: its schedule is where its step count says
        for _ in range(state["global_step"]):
            scheduler.step()
    return state


def step_from_name(ckpt: Path, updates_per_epoch: int) -> int:
    """Upstream's reading of a folder name: `step_N` -> N updates, `epoch_E` -> E + 1 epochs."""
    match = UPSTREAM_NAME.match(ckpt.name) or re.match(r"^(checkpoint)-(\d+)$", ckpt.name)
    if match is None:
        from summtrain.errors import UsageError

        raise UsageError(f"--resume_from_checkpoint {ckpt}: no trainer_state.json and no step in its name: "
                         "pass a checkpoint-N, step_N or epoch_N folder")
    kind, number = match.group(1), int(match.group(2))
    return (number + 1) * updates_per_epoch if kind == "epoch" else number
