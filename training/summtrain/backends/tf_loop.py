"""The TF training loop's parts: input pipeline, optimizer, checkpoints.

Input: each epoch the tokenized train split is shuffled with `seed + epoch` (the same
order on every worker), split into one shard per worker (`Dataset.shard`, disjoint) and
batched per replica through `distribute_datasets_from_function`, so each replica gets
`--per_device_train_batch_size` samples and the global batch is that times the number
of replicas. A resumed run skips the batches the checkpoint had already trained on.

Checkpoints use the Trainer's layout (`checkpoint-N/` with `trainer_state.json`,
`config.json`, the tokenizer and a PyTorch-layout `model.safetensors` that the torch
back ends load), plus `tf_state/` (a `tf.train.Checkpoint` of model and optimizer,
including the step counter) for an exact TF resume.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from summtrain.backends import _loop, tf_weights
from summtrain.backends.tf_strategy import Placement
from summtrain.errors import UsageError

log = logging.getLogger("summtrain")
TF_STATE = "tf_state"
TF_STATE_PREFIX = "ckpt"


@dataclass(frozen=True)
class Layout:
    """Batch arithmetic for one run."""

    per_replica: int
    replicas: int  # over all workers
    workers: int
    steps_per_epoch: int

    @property
    def global_batch(self) -> int:
        return self.per_replica * self.replicas

    @property
    def per_worker(self) -> int:
        return self.global_batch // self.workers


def make_layout(num_samples: int, per_replica: int, replicas: int, workers: int, drop_last: bool) -> Layout:
    """Several replicas drop the last partial global batch, so every replica steps in lockstep."""
    global_batch = per_replica * replicas
    if replicas > 1 or drop_last:
        steps = num_samples // global_batch
        if num_samples % global_batch:
            log.info("dropping the last %d of %d training samples each epoch (global batch %d over %d replicas)",
                     num_samples % global_batch, num_samples, global_batch, replicas)
    else:
        steps = math.ceil(num_samples / global_batch)
    if steps < 1:
        raise UsageError(f"{num_samples} training samples do not fill one global batch of {global_batch} "
                         f"({per_replica} per device x {replicas} replicas): lower --per_device_train_batch_size")
    return Layout(per_replica, replicas, workers, steps)


def epoch_dataset_fn(model, train, collator, layout: Layout, *, seed: int, epoch: int, skip: int, steps: int,
                     trace_rank: Optional[int] = None, pad_id: int = 0):
    """`dataset_fn(input_context)` for `distribute_datasets_from_function`: this worker's batches."""
    import tensorflow as tf

    def dataset_fn(ctx):
        order = train.shuffle(seed=seed + epoch)
        shard = order.shard(ctx.num_input_pipelines, ctx.input_pipeline_id, contiguous=False)
        per_step = layout.per_worker
        rows = shard.select(range(skip * per_step, min(len(shard), (skip + steps) * per_step)))
        if trace_rank is not None:
            _trace(rows, trace_rank, pad_id)
        ds = model.prepare_tf_dataset(rows, batch_size=layout.per_replica, shuffle=False, collate_fn=collator,
                                      drop_remainder=layout.replicas > 1)
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
        return ds.with_options(options).prefetch(tf.data.AUTOTUNE)

    return dataset_fn


def _trace(rows, rank: int, pad_id: int) -> None:
    where = _loop.trace_dir()
    if where is None:
        return
    where.mkdir(parents=True, exist_ok=True)
    with open(where / f"samples-rank{rank}.txt", "a") as f:
        for ids in rows["input_ids"]:
            f.write(_loop.sample_key(ids, pad_id) + "\n")


def warmup_steps(training_args, max_steps: int) -> int:
    """--warmup_steps: a count, or (below 1) a fraction of the total steps, as the Trainer reads it."""
    value = training_args.warmup_steps or 0
    return int(value) if value >= 1 else math.ceil(value * max_steps)


def make_optimizer(training_args, max_steps: int):
    """AdamW with the Trainer's defaults: linear decay (or constant), warmup, global-norm clipping,
    no weight decay on biases and layer norms."""
    from transformers import create_optimizer

    t = training_args
    constant = t.lr_scheduler_type in ("constant", "constant_with_warmup")
    warmup = 0 if t.lr_scheduler_type == "constant" else warmup_steps(t, max_steps)
    optimizer, _ = create_optimizer(
        init_lr=t.learning_rate, num_train_steps=max(max_steps, 1), num_warmup_steps=warmup,
        min_lr_ratio=1.0 if constant else 0.0, adam_beta1=t.adam_beta1, adam_beta2=t.adam_beta2,
        adam_epsilon=t.adam_epsilon, weight_decay_rate=t.weight_decay,
        adam_global_clipnorm=t.max_grad_norm if t.max_grad_norm and t.max_grad_norm > 0 else None)
    return optimizer


def current_lr(optimizer) -> float:
    lr = optimizer.learning_rate
    if callable(lr) and not hasattr(lr, "numpy"):
        lr = lr(optimizer.iterations)
    return float(lr.numpy() if hasattr(lr, "numpy") else lr)


# --- checkpoints -------------------------------------------------------------------------------

def save_checkpoint(model, optimizer, tokenizer, *, output_dir: str, global_step: int, epoch: float,
                    max_steps: int, log_history: list[dict], training_args, placement: Placement) -> Path:
    """Every worker writes the TF state (the chief into the checkpoint, the others into a scratch
    folder they delete: saving distributed variables is a collective step); the chief alone writes
    the rest."""
    import tensorflow as tf

    ckpt = Path(output_dir) / f"checkpoint-{global_step}"
    state = tf.train.Checkpoint(model=model, optimizer=optimizer)
    if not placement.is_chief and not training_args.save_only_model:
        scratch = Path(tempfile.mkdtemp(prefix=f"summtrain-worker{placement.worker_index}-"))
        state.write(str(scratch / TF_STATE_PREFIX))
        shutil.rmtree(scratch, ignore_errors=True)
    if not placement.is_chief:
        return ckpt
    if not training_args.save_only_model:  # --save_only_model: weights only, no optimizer state
        (ckpt / TF_STATE).mkdir(parents=True, exist_ok=True)
        state.write(str(ckpt / TF_STATE / TF_STATE_PREFIX))
    tf_weights.export_pt_safetensors(model, ckpt)
    model.config.save_pretrained(ckpt)
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.save_pretrained(ckpt)
    tokenizer.save_pretrained(ckpt)
    _loop.write_trainer_state(ckpt, global_step=global_step, epoch=epoch, max_steps=max_steps,
                              log_history=log_history, training_args=training_args)
    _loop.rotate_checkpoints(output_dir, training_args.save_total_limit)
    return ckpt


def restore_checkpoint(ckpt: Path, model, optimizer) -> tuple[int, list[dict]]:
    """(global step, log history) of a checkpoint; model and optimizer restored in place.

    A checkpoint of a torch back end (no `tf_state/`) restores the weights and the step; the
    optimizer's moments start again from zero, which is logged."""
    import tensorflow as tf

    state = _loop.read_trainer_state(ckpt)
    step = int(state.get("global_step", 0))
    if (ckpt / TF_STATE).is_dir():
        tf.train.Checkpoint(model=model, optimizer=optimizer).read(
            str(ckpt / TF_STATE / TF_STATE_PREFIX)).assert_existing_objects_matched()
    else:
        from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

        weights = tf_weights.read_pt_state_dict(ckpt)
        if weights is None:
            raise UsageError(f"checkpoint {ckpt} holds neither {TF_STATE}/ nor {tf_weights.SAFETENSORS}: "
                             "pass a checkpoint-N folder written by summtrain")
        load_pytorch_state_dict_in_tf2_model(model, weights)
        optimizer.iterations.assign(step)
        log.warning("%s has no TF optimizer state (a torch back end's checkpoint, or --save_only_model): "
                    "weights and step restored, the optimizer's moments start from zero", ckpt)
    return step, list(state.get("log_history", []))
