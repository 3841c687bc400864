"""The Accelerate back end: a plain PyTorch loop that a user can read and change.

Runs as one process, under `torchrun --nproc_per_node N -m summtrain --backend accelerate ...`
or under `accelerate launch [--multi_gpu] --num_processes N -m summtrain --backend accelerate ...`.
Without a GPU (or with `--use_cpu`) the Accelerator runs on the CPU and several processes join
one group over gloo. Launch forms that would silently run one process or independent copies
stop at start-up (`_launch_check`).

Same flags as the Trainer back end: gradient accumulation, `--checkpointing_steps N|epoch` (else
`--save_strategy/--save_steps`), resume from `--resume_from_checkpoint PATH` or automatically from
the newest checkpoint in `output_dir`, mixed precision from `--fp16/--bf16` or the accelerate
config, `--lr_scheduler_type` + `--warmup_steps`, tracking through `--report_to`.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Optional

from summtrain import gpu_defaults
from summtrain.backends import PREEMPTED_EXIT_CODE, _evaluate, _launch_check, _loop, _runner
from summtrain.backends import accelerate_checkpoints as checkpoints
from summtrain.errors import UsageError
from summtrain.progress import Progress

log = logging.getLogger("summtrain.accelerate")

TRACKERS = {"aim", "tensorboard", "wandb", "trackio", "comet_ml", "mlflow", "clearml", "dvclive", "swanlab"}


def before_parse(given: dict) -> None:
    """Refuse flags the loop cannot honour before the real parser acts on them (--deepspeed
    would import DeepSpeed while parsing)."""
    _loop.reject_unsupported("accelerate", given)


def mixed_precision(training_args) -> Optional[str]:
    """`--fp16/--bf16` win; None lets the Accelerator read the accelerate config / launch flags."""
    if training_args.fp16 and training_args.bf16:
        raise UsageError("--fp16 and --bf16 both given: choose one")
    if training_args.fp16:
        return "fp16"
    if training_args.bf16:
        return "bf16"
    return None


def trackers(training_args) -> Optional[list[str]]:
    wanted = training_args.report_to or []
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    wanted = [w for w in wanted if w not in ("none", None)]
    unknown = sorted(set(wanted) - TRACKERS - {"all"})
    if unknown:
        raise UsageError(f"--report_to {unknown[0]} is not a tracker Accelerate knows: use one of "
                         f"{', '.join(sorted(TRACKERS))}, all or none")
    from accelerate.tracking import get_available_trackers

    available = {str(getattr(t, "value", t)) for t in get_available_trackers()}
    missing = sorted(set(wanted) - available - {"all"})
    if missing:  # Accelerate would drop it silently
        raise UsageError(f"--report_to {missing[0]}: its package is not installed here: pip install it "
                         f"(e.g. pip install {missing[0]}) or pass --report_to none")
    return wanted or None


def make_accelerator(training_args):
    """The Accelerator, on the CPU over gloo when there is no GPU or `--use_cpu` is given."""
    import torch
    from accelerate import Accelerator, DataLoaderConfiguration
    from accelerate.utils import DistributedDataParallelKwargs, InitProcessGroupKwargs, ProjectConfiguration
    from datetime import timedelta

    cpu = bool(training_args.use_cpu) or not torch.cuda.is_available()
    handlers = [InitProcessGroupKwargs(timeout=timedelta(seconds=training_args.ddp_timeout))]
    ddp = {"find_unused_parameters": training_args.ddp_find_unused_parameters,
           "bucket_cap_mb": training_args.ddp_bucket_cap_mb, "broadcast_buffers": training_args.ddp_broadcast_buffers,
           "static_graph": training_args.ddp_static_graph}
    ddp = {k: v for k, v in ddp.items() if v is not None}
    if ddp:
        handlers.append(DistributedDataParallelKwargs(**ddp))
    if training_args.tf32 is not None and torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = bool(training_args.tf32)
    return Accelerator(
        cpu=cpu,
        mixed_precision=mixed_precision(training_args),
        gradient_accumulation_steps=training_args.gradient_accumulation_steps,
        log_with=trackers(training_args),
        project_config=ProjectConfiguration(
            project_dir=training_args.output_dir,
            logging_dir=os.environ.get("TENSORBOARD_LOGGING_DIR") or training_args.output_dir),
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True),
        kwargs_handlers=handlers,
    )


def start(training_args):
    """Launch checks, then the Accelerator; stops with one line on a launch that is not one job."""
    from accelerate.state import AcceleratorState

    world = _launch_check.env_world_size()
    _launch_check.check_requested(world, _launch_check.requested_processes())
    # Parsing Seq2SeqTrainingArguments set up a device state of its own (not on the CPU, no DDP);
    # start from a clean one so the Accelerator's own (cpu=..., mixed precision) is the one used.
    AcceleratorState._reset_state(reset_partial_state=True)
    accelerator = make_accelerator(training_args)
    distributed = str(accelerator.distributed_type) not in ("NO", "DistributedType.NO")
    _launch_check.check_world(world, accelerator.num_processes if distributed else 1)
    log.info("accelerate: %d process(es), device %s, mixed precision %s, distributed type %s",
             accelerator.num_processes, accelerator.device, accelerator.mixed_precision,
             accelerator.distributed_type)
    return accelerator


def train_loader(accelerator, dataset, collator, training_args):
    from torch.utils.data import DataLoader

    sampler = gpu_defaults.length_sampler(dataset, training_args)
    return DataLoader(dataset, batch_size=training_args.per_device_train_batch_size, shuffle=sampler is None,
                      sampler=sampler, collate_fn=collator, drop_last=training_args.dataloader_drop_last,
                      num_workers=training_args.dataloader_num_workers,
                      pin_memory=training_args.dataloader_pin_memory and accelerator.device.type == "cuda")


class Loop:
    """One training run: the prepared objects, the step plan and the bookkeeping."""

    def __init__(self, accelerator, model, tokenizer, train_set, collator, training_args, *,
                 checkpointing=None, evaluate=None, upstream_folders=False):
        self.acc, self.args, self.tokenizer = accelerator, training_args, tokenizer
        self.checkpointing, self.evaluate, self.upstream_folders = checkpointing, evaluate, upstream_folders
        self.num_train_samples = len(train_set)
        optimizer = _loop.make_optimizer(model, training_args)
        loader = train_loader(accelerator, train_set, collator, training_args)
        self.model, self.optimizer, self.loader = accelerator.prepare(model, optimizer, loader)
        self.plan = _loop.plan_steps(training_args, len(self.loader))
        # Not prepared: Accelerate would step it once per process; we step it once per update.
        self.scheduler = _loop.make_scheduler(self.optimizer, training_args, self.plan.max_steps)
        self.smoother = _loop.label_smoother(training_args)
        self.global_step, self.log_history, self.meter = 0, [], _loop.LossMeter()
        self.preemption, self.last_saved = _loop.Preemption(), None
        self.pad_id = tokenizer.pad_token_id if tokenizer is not None else 0

    def resume(self, ckpt: Optional[Path]) -> int:
        """Restore optimizer, schedule and step; the number of batches to skip in the epoch."""
        if ckpt is None:
            return 0
        state = checkpoints.load(self.acc, ckpt, self.optimizer, self.scheduler, self.plan.updates_per_epoch)
        self.global_step = int(state.get("global_step", 0))
        self.log_history = list(state.get("log_history", []))
        done_in_epoch = self.global_step % self.plan.updates_per_epoch
        log.info("resuming from %s at update %d", ckpt, self.global_step)
        return done_in_epoch * self.args.gradient_accumulation_steps

    def state(self, epoch: float) -> dict:
        return {"global_step": self.global_step, "epoch": epoch, "max_steps": self.plan.max_steps,
                "log_history": self.log_history}

    def record(self, epoch: float) -> None:
        loss = self.meter.flush(lambda t: self.acc.reduce(t, reduction="mean"))
        if loss is None:
            return
        entry = {"loss": round(loss, 4), "learning_rate": self.scheduler.get_last_lr()[0],
                 "epoch": round(epoch, 4), "step": self.global_step}
        self.log_history.append(entry)
        self.acc.log({k: v for k, v in entry.items() if k != "step"}, step=self.global_step)
        if self.acc.is_main_process:
            log.info("%s", entry)
        self.progress.entry(entry)

    def after_update(self, epoch: float, end_of_epoch: bool, epoch_index: int) -> None:
        if _loop.log_due(self.args, self.global_step, end_of_epoch):
            self.record(epoch)
        if self.evaluate is not None and _loop.eval_due(self.args, self.global_step, end_of_epoch):
            metrics = self.evaluate(self.model)
            self.log_history.append({**metrics, "epoch": round(epoch, 4), "step": self.global_step})
            self.progress.entry(self.log_history[-1])
        stop = self.stop_requested()  # every process takes part in this decision at every update
        if _loop.checkpoint_due(self.checkpointing, self.global_step, end_of_epoch) or stop:
            name = checkpoints.folder_name(self.upstream_folders, self.checkpointing, self.global_step, epoch_index,
                                           end_of_epoch)
            self.last_saved = checkpoints.save(self.acc, self.model, self.tokenizer, self.optimizer,
                                               self.scheduler, self.state(epoch), self.args, name).name
        if stop:
            self.preemption.stopped_at = self.global_step

    def stop_requested(self) -> bool:
        """SIGTERM on any process stops every process at the same update."""
        if self.acc.num_processes > 1:
            import torch

            flag = torch.tensor([1.0 if self.preemption.requested else 0.0], device=self.acc.device)
            self.preemption.requested = bool(self.acc.reduce(flag, reduction="sum").item() > 0)
        return self.preemption.requested

    def step(self, batch) -> bool:
        """One micro-batch; True when it completed an optimizer update."""
        with self.acc.accumulate(self.model):
            loss = _loop.compute_loss(self.model, batch, self.smoother)
            self.acc.backward(loss)
            if self.acc.sync_gradients and self.args.max_grad_norm:
                self.acc.clip_grad_norm_(self.model.parameters(), self.args.max_grad_norm)
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        self.meter.add(loss)
        if not self.acc.sync_gradients:
            return False
        if not self.acc.optimizer_step_was_skipped:
            self.scheduler.step()
        self.global_step += 1
        return True

    def run(self, resume_from: Optional[Path]) -> dict:
        skip = self.resume(resume_from)
        plan, rank, seen = self.plan, self.acc.process_index, 0
        per_update = self.args.per_device_train_batch_size * self.args.gradient_accumulation_steps
        self.progress = Progress(plan.max_steps, per_update * self.acc.num_processes, self.acc.is_main_process,
                                 self.global_step)
        self.model.train()
        start, epoch = time.perf_counter(), self.global_step / plan.updates_per_epoch
        for epoch_index in range(self.global_step // plan.updates_per_epoch, plan.num_epochs):
            self.loader.set_epoch(epoch_index)
            batches = self.acc.skip_first_batches(self.loader, skip) if skip else self.loader
            for i, batch in enumerate(batches, start=skip):
                _loop.trace_batch(rank, batch["input_ids"], self.pad_id)
                seen += batch["input_ids"].shape[0]
                if not self.step(batch):
                    continue
                epoch = epoch_index + (i + 1) / plan.batches_per_epoch
                end = i + 1 == plan.batches_per_epoch or self.global_step >= plan.max_steps
                self.after_update(epoch, end_of_epoch=end and i + 1 == plan.batches_per_epoch,
                                  epoch_index=epoch_index)
                if self.global_step >= plan.max_steps or self.preemption.stopped_at is not None:
                    break
            skip = 0
            if self.global_step >= plan.max_steps or self.preemption.stopped_at is not None:
                break
        runtime = time.perf_counter() - start
        self.progress.end(self.global_step, epoch)
        return _loop.train_metrics(
            loss=self.meter.mean(lambda t: self.acc.reduce(t, reduction="mean")), runtime=runtime,
            global_step=self.global_step, epoch=epoch, samples_seen=seen * self.acc.num_processes,
            num_train_samples=self.num_train_samples)


def eval_loader(accelerator, dataset, collator, training_args):
    from torch.utils.data import DataLoader

    return accelerator.prepare(DataLoader(dataset, batch_size=training_args.per_device_eval_batch_size,
                                          collate_fn=collator, num_workers=training_args.dataloader_num_workers))


def init_tracking(accelerator, args) -> None:
    if accelerator.log_with:
        config = {k: v for k, v in args.given.items() if isinstance(v, (int, float, str, bool))}
        default = "summarization_no_trainer" if args.summtrain.with_tracking else "summtrain"
        accelerator.init_trackers(args.training.run_name or default, config=config)


def setup(args, plan):
    """Accelerator, tokenizer, model, tokenized splits and collator; the run marker and trackers."""
    import transformers
    from accelerate.utils import set_seed

    from summtrain import outputs
    from summtrain.credentials import take_token

    t = args.training
    transformers.utils.logging.set_verbosity(t.get_process_log_level())
    accelerator = start(t)
    set_seed(t.seed)
    tokenizer, model, prepared = _runner.load_model_and_data(
        args, plan.resume_from, take_token(args), main_process_first=lambda desc: accelerator.main_process_first())
    collator = data_mod_collator(tokenizer, model, args)
    if accelerator.is_main_process:
        outputs.write_run_marker(plan.output_dir, plan.identity)
    init_tracking(accelerator, args)
    return accelerator, tokenizer, model, prepared, collator


def train_and_save(accelerator, model, tokenizer, prepared, collator, args, plan, evaluate):
    """The trained (prepared) model, or None when SIGTERM stopped training after a checkpoint."""
    t = args.training
    loop = Loop(accelerator, model, tokenizer, prepared.train, collator, t,
                checkpointing=_loop.checkpointing_spec(t, args.summtrain.checkpointing_steps), evaluate=evaluate,
                upstream_folders=bool(args.summtrain.checkpointing_steps))
    with loop.preemption.installed():
        metrics = loop.run(Path(plan.resume_from) if plan.resume_from else None)
    if loop.preemption.stopped_at is not None:
        log.warning("SIGTERM: saved %s in %s; run the same command again to resume", loop.last_saved, t.output_dir)
        return None
    save_trained(accelerator, loop, tokenizer, args, metrics)
    return loop.model


def run(args, plan) -> int:
    """The `--backend accelerate` entry point (see summtrain.backends for the contract)."""
    _loop.reject_unsupported("accelerate", args.given)
    gpu_defaults.apply(args, "accelerate")
    t = args.training
    _loop.checkpointing_spec(t, args.summtrain.checkpointing_steps)  # a bad value fails before any work
    accelerator, tokenizer, model, prepared, collator = setup(args, plan)
    gen_kwargs = _evaluate.generation_kwargs(t, args.data)
    loader = eval_loader(accelerator, prepared.eval, collator, t) if t.do_eval else None

    def evaluate(prepared_model):
        # as run_summarization_no_trainer.py: evaluation generates and scores ROUGE
        return _evaluate.run_split(prepared_model, tokenizer, loader, "eval", gen_kwargs=gen_kwargs,
                                   generate=True, accelerator=accelerator)[0]

    before = evaluate(model.to(accelerator.device)) if _runner.want_before(args, plan.resume_from) else None
    if t.do_train:
        model = train_and_save(accelerator, model, tokenizer, prepared, collator, args, plan,
                               evaluate if loader is not None else None)
        if model is None:
            accelerator.end_training()
            return PREEMPTED_EXIT_CODE
    else:
        model = model.to(accelerator.device)
    after = evaluate_and_predict(accelerator, model, tokenizer, prepared, collator, args, gen_kwargs, evaluate)
    if accelerator.is_main_process:
        _runner.finish(args, "accelerate", before, after, prepared)
        if t.push_to_hub:
            from summtrain import hub, outputs

            hub.push_output_dir(t, os.environ.get("HF_TOKEN"), ignore=(outputs.MARKER,))
    accelerator.end_training()
    return 0


def data_mod_collator(tokenizer, model, args):
    from summtrain import data as data_mod

    return data_mod.make_collator(tokenizer, model, args.data, args.training.fp16)


def save_trained(accelerator, loop: Loop, tokenizer, args, metrics: dict) -> None:
    accelerator.wait_for_everyone()
    weights = accelerator.get_state_dict(loop.model)
    _loop.trace_final(accelerator.process_index, accelerator.num_processes, weights)
    if accelerator.is_main_process:
        _runner.save_final(accelerator.unwrap_model(loop.model), weights, tokenizer, args.training.output_dir,
                           loop.log_history, loop.global_step, metrics["epoch"], loop.plan.max_steps,
                           args.training)
        _runner.write_results(args, "train", metrics, len(loop.loader.dataset))
    accelerator.wait_for_everyone()


def evaluate_and_predict(accelerator, model, tokenizer, prepared, collator, args, gen_kwargs, evaluate):
    t, after = args.training, None
    if t.do_eval:
        after = evaluate(model)
        if accelerator.is_main_process:
            after = _runner.write_results(args, "eval", after, len(prepared.eval))
    if t.do_predict:
        loader = eval_loader(accelerator, prepared.predict, collator, t)
        metrics, texts = _evaluate.run_split(model, tokenizer, loader, "predict", gen_kwargs=gen_kwargs,
                                             generate=t.predict_with_generate, accelerator=accelerator)
        if accelerator.is_main_process:
            _runner.write_results(args, "predict", metrics, len(prepared.predict), texts)
    return after
