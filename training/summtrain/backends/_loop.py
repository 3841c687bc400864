"""Pieces shared by the two plain PyTorch loops (Accelerate and PyTorch/XLA).

Step plan, optimizer and learning-rate schedule are built exactly as the Trainer
builds them (same flags, same defaults), and checkpoints use the Trainer's layout
(`checkpoint-N/` with `model.safetensors` + `config.json`, tokenizer files,
`optimizer.pt`, `scheduler.pt`, `trainer_state.json`), so every torch back end can
resume from any other's checkpoint and the TF back end can load the weights.

`SUMMTRAIN_TRACE_DIR` (tests only): each process writes the ids of the samples it
trained on and a digest of its final weights there, to prove that processes share
one job (disjoint shards, identical weights).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

from summtrain import flagschema
from summtrain.errors import UsageError

CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")
TRAINER_STATE = "trainer_state.json"
OPTIMIZER_FILE = "optimizer.pt"
SCHEDULER_FILE = "scheduler.pt"
TRACE_ENV = "SUMMTRAIN_TRACE_DIR"


def reject_unsupported(backend: str, given: dict[str, Any]) -> None:
    """One line naming a flag the loop cannot honour and what to do instead (loop_flags.json)."""
    flagschema.reject_loop_flags(backend, given)


@dataclass
class StepPlan:
    """How many optimizer updates to run, and over how many epochs (the Trainer's arithmetic)."""

    batches_per_epoch: int
    updates_per_epoch: int
    max_steps: int
    num_epochs: int


def plan_steps(training_args, batches_per_epoch: int) -> StepPlan:
    accum = training_args.gradient_accumulation_steps
    updates = max(math.ceil(batches_per_epoch / accum), 1)
    if training_args.max_steps > 0:
        max_steps = training_args.max_steps
        epochs = math.ceil(max_steps / updates)
    else:
        max_steps = math.ceil(training_args.num_train_epochs * updates)
        epochs = math.ceil(training_args.num_train_epochs)
    return StepPlan(batches_per_epoch, updates, max_steps, epochs)


def decay_parameter_names(model) -> set[str]:
    """Parameters that get weight decay: not biases, not norms (as the Trainer decides)."""
    from torch import nn
    from transformers.trainer_pt_utils import get_parameter_names

    patterns = [r"bias", r"layernorm", r"rmsnorm", r"(?:^|\.)norm(?:$|\.)", r"_norm(?:$|\.)"]
    return set(get_parameter_names(model, [nn.LayerNorm], patterns))


def make_optimizer(model, training_args, optim: Optional[str] = None):
    """The optimizer `--optim` names, with the Trainer's weight-decay grouping."""
    import dataclasses

    from transformers import Trainer

    if optim is not None and optim != training_args.optim:
        training_args = dataclasses.replace(training_args, optim=optim)
    decay = decay_parameter_names(model)
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in params if n in decay], "weight_decay": training_args.weight_decay},
        {"params": [p for n, p in params if n not in decay], "weight_decay": 0.0},
    ]
    cls, kwargs = Trainer.get_optimizer_cls_and_kwargs(training_args, model)
    return cls(groups, **kwargs)


def make_scheduler(optimizer, training_args, max_steps: int):
    from transformers import get_scheduler

    return get_scheduler(
        training_args.lr_scheduler_type,
        optimizer=optimizer,
        num_warmup_steps=training_args.get_warmup_steps(max_steps),
        num_training_steps=max_steps,
        scheduler_specific_kwargs=training_args.lr_scheduler_kwargs,
    )


def label_smoother(training_args):
    if not training_args.label_smoothing_factor:
        return None
    from transformers.trainer_pt_utils import LabelSmoother

    return LabelSmoother(epsilon=training_args.label_smoothing_factor)


def compute_loss(model, batch, smoother=None):
    """The model's loss, or the Trainer's label-smoothed loss with --label_smoothing_factor."""
    if smoother is None:
        return model(**batch).loss
    outputs = model(**batch)
    return smoother(outputs, batch["labels"], shift_labels=False)


# --- checkpoints -------------------------------------------------------------------------------

def list_checkpoints(output_dir: str | os.PathLike) -> list[Path]:
    """`checkpoint-N` (and `step_N`/`epoch_N`) folders holding a trainer_state.json, oldest first."""
    from summtrain.outputs import checkpoint_folders

    return checkpoint_folders(output_dir)


def checkpoint_due(spec: Optional[str], global_step: int, end_of_epoch: bool) -> bool:
    """`--checkpointing_steps N` saves every N updates, `epoch` at each epoch's end."""
    if not spec:
        return False
    if spec == "epoch":
        return end_of_epoch
    return global_step % int(spec) == 0


def checkpointing_spec(training_args, value: Optional[str]) -> Optional[str]:
    """`--checkpointing_steps` if given, else the Trainer's `--save_strategy/--save_steps`."""
    if value:
        value = str(value).strip().lower()
        if value != "epoch" and not (value.isdigit() and int(value) > 0):
            raise UsageError(f"--checkpointing_steps {value}: expected a positive number of steps or 'epoch'")
        return value
    strategy = str(getattr(training_args.save_strategy, "value", training_args.save_strategy))
    if strategy == "epoch":
        return "epoch"
    if strategy == "steps":
        steps = training_args.save_steps
        return str(int(steps)) if steps >= 1 else None
    return None


def write_trainer_state(ckpt: Path, *, global_step: int, epoch: float, max_steps: int,
                        log_history: list[dict], training_args) -> None:
    from transformers import TrainerState

    state = TrainerState(epoch=epoch, global_step=global_step, max_steps=max_steps,
                         logging_steps=training_args.logging_steps, save_steps=training_args.save_steps,
                         train_batch_size=training_args.per_device_train_batch_size,
                         num_train_epochs=math.ceil(training_args.num_train_epochs))
    state.log_history = list(log_history)
    state.save_to_json(str(ckpt / TRAINER_STATE))


def read_trainer_state(ckpt: Path) -> dict[str, Any]:
    return json.loads((ckpt / TRAINER_STATE).read_text())


def rotate_checkpoints(output_dir: str, save_total_limit: Optional[int]) -> None:
    if not save_total_limit or save_total_limit <= 0:
        return
    found = list_checkpoints(output_dir)
    for old in found[:-save_total_limit]:
        shutil.rmtree(old, ignore_errors=True)


def to_cpu(obj):
    """A (nested) state dict with every tensor copied to CPU memory."""
    import torch

    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_cpu(v) for v in obj)
    return obj


class Preemption:
    """SIGTERM (what Kubernetes sends before it evicts a pod) becomes "checkpoint now and stop"."""

    def __init__(self):
        self.requested = False
        self.stopped_at: Optional[int] = None

    def _handler(self, signum, frame) -> None:
        self.requested = True

    @contextlib.contextmanager
    def installed(self):
        previous = signal.signal(signal.SIGTERM, self._handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGTERM, previous)


# --- loss bookkeeping --------------------------------------------------------------------------

class LossMeter:
    """Sums the loss of each micro-batch on the device; reads it back only when logging (no sync
    per step, which matters on XLA)."""

    def __init__(self):
        self.window = None
        self.window_count = 0
        self.total = 0.0
        self.total_count = 0

    def add(self, loss) -> None:
        loss = loss.detach()
        self.window = loss if self.window is None else self.window + loss
        self.window_count += 1

    def flush(self, reduce=None) -> Optional[float]:
        """Mean loss since the last flush; `reduce` averages a tensor over processes."""
        if self.window is None:
            return None
        window = self.window if reduce is None else reduce(self.window)
        value = float(window.item()) / self.window_count
        self.total += value * self.window_count
        self.total_count += self.window_count
        self.window, self.window_count = None, 0
        return value

    def mean(self, reduce=None) -> float:
        self.flush(reduce)
        return self.total / self.total_count if self.total_count else float("nan")


# --- test tracing ------------------------------------------------------------------------------

def trace_dir() -> Optional[Path]:
    value = os.environ.get(TRACE_ENV)
    return Path(value) if value else None


def sample_key(ids: Iterable[int], pad_id: int) -> str:
    """A short stable id of one tokenized sample (its non-pad input ids)."""
    kept = [int(t) for t in ids if int(t) != pad_id]
    return hashlib.sha1(json.dumps(kept).encode()).hexdigest()[:16]


def trace_batch(rank: int, input_ids, pad_id: int) -> None:
    where = trace_dir()
    if where is None:
        return
    where.mkdir(parents=True, exist_ok=True)
    with open(where / f"samples-rank{rank}.txt", "a") as f:
        for row in input_ids.tolist():
            f.write(sample_key(row, pad_id) + "\n")


def trace_final(rank: int, world_size: int, state_dict: dict) -> None:
    where = trace_dir()
    if where is None:
        return
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        digest.update(name.encode())
        digest.update(state_dict[name].detach().float().cpu().numpy().tobytes())
    where.mkdir(parents=True, exist_ok=True)
    (where / f"final-rank{rank}.json").write_text(json.dumps(
        {"rank": rank, "world_size": world_size, "weights_sha256": digest.hexdigest()}))


# --- logging -----------------------------------------------------------------------------------

def log_due(training_args, global_step: int, end_of_epoch: bool) -> bool:
    strategy = str(getattr(training_args.logging_strategy, "value", training_args.logging_strategy))
    if strategy == "epoch":
        return end_of_epoch
    if strategy != "steps":
        return False
    if global_step == 1 and training_args.logging_first_step:
        return True
    steps = training_args.logging_steps
    every = int(steps) if steps >= 1 else 1
    return global_step % every == 0


def eval_due(training_args, global_step: int, end_of_epoch: bool) -> bool:
    strategy = str(getattr(training_args.eval_strategy, "value", training_args.eval_strategy))
    if strategy == "epoch":
        return end_of_epoch
    if strategy != "steps":
        return False
    steps = training_args.eval_steps or training_args.logging_steps
    return global_step % max(int(steps), 1) == 0


def train_metrics(*, loss: float, runtime: float, global_step: int, epoch: float, samples_seen: int,
                  num_train_samples: int) -> dict[str, float]:
    """The Trainer's train_* keys."""
    runtime = max(runtime, 1e-9)
    return {
        "epoch": round(epoch, 4),
        "train_loss": loss,
        "train_runtime": round(runtime, 4),
        "train_samples": num_train_samples,
        "train_samples_per_second": round(samples_seen / runtime, 3),
        "train_steps_per_second": round(global_step / runtime, 3),
    }
