"""The PyTorch/XLA back end: TPU VMs and GKE TPU pods through PJRT, SPMD data parallel.

One process per host drives every local chip: `xr.use_spmd()`, a 1-D "data" mesh over all
devices of the job, the model replicated and each batch sharded along that axis, so XLA inserts
the gradient all-reduce. Across hosts (a multi-host slice, e.g. the pods of a GKE JobSet, where
the TPU runtime finds its peers from TPU_WORKER_ID / TPU_WORKER_HOSTNAMES) each host loads its
own shard of the data and the same program runs on all of them.

- Static shapes: `--pad_to_max_length` is forced on and the last partial batch is dropped, so XLA
  compiles the training step once instead of once per batch shape.
- `--num_cores N` (upstream `xla_spawn.py`) is accepted: one process uses all local devices
  anyway, and the log says how N maps onto them. (On the CPU PJRT device, tests set the number
  of devices with CPU_NUM_DEVICES.)
- Checkpoints are moved to CPU and written in the Trainer's layout (safetensors + config), which
  every back end loads.
- SIGTERM (Kubernetes evicting a TPU pod): the current update finishes, a checkpoint is saved
  and the process exits 143; the same command resumes from it (`_loop.Preemption`, as in the
  Accelerate back end). On a multi-host slice each host acts on its own SIGTERM (Kubernetes
  sends one to every pod of the JobSet); the hosts do not yet agree on the stop step.
- Evaluation and generation for ROUGE run on a CPU copy of the weights: autoregressive decoding
  changes shape every token, which on XLA would compile a graph per step.

Multi-process collectives (`torch_xla.launch`, `xmp.spawn`) cannot run on XLA:CPU (upstream
pytorch/xla#5005), so CPU tests cover single-device and SPMD over several CPU devices.
"""

from __future__ import annotations

import itertools
import logging
import time
from pathlib import Path
from typing import Optional

from summtrain.backends import PREEMPTED_EXIT_CODE, _evaluate, _loop, _runner
from summtrain.progress import Progress
from summtrain.errors import UsageError

log = logging.getLogger("summtrain.xla")
FUSED_OPTIMIZERS = {"adamw_torch_fused": "adamw_torch"}


def before_parse(given: dict) -> None:
    """Refuse flags the loop cannot honour, then SPMD mode before anything (TrainingArguments'
    device set-up) starts the XLA runtime."""
    _loop.reject_unsupported("xla", given)
    import torch_xla.runtime as xr

    xr.use_spmd()


def check_num_cores(num_cores: Optional[int]) -> None:
    if num_cores is not None and num_cores < 1:
        raise UsageError(f"--num_cores {num_cores}: expected a positive number of cores")


def force_static_shapes(data_args) -> None:
    if not data_args.pad_to_max_length:
        data_args.pad_to_max_length = True
        log.info("xla: --pad_to_max_length forced on (static shapes: XLA compiles the step once)")


def init_runtime(num_cores: Optional[int]):
    """SPMD runtime and the data mesh; returns (device, mesh, local device count)."""
    import numpy as np
    import torch_xla
    import torch_xla.distributed.spmd as xs
    import torch_xla.runtime as xr

    xr.use_spmd()
    total, local = xr.global_runtime_device_count(), xr.addressable_runtime_device_count()
    mesh = xs.Mesh(np.arange(total), (total,), ("data",))
    xs.set_global_mesh(mesh)
    log.info("xla: %s, %d device(s) on this host, %d in the job, host %d of %d (one process per host)",
             xr.device_type(), local, total, xr.process_index() + 1, xr.process_count())
    if num_cores is not None:
        log.info("xla: --num_cores %d: one process drives all %d local device(s) with SPMD instead of "
                 "xla_spawn.py's process per core%s", num_cores, local,
                 "" if num_cores == local else f" (this host has {local}, not {num_cores})")
    return torch_xla.device(), mesh, local


class _Skip:
    """A loader that starts `skip` batches into its epoch (resume), keeping len()."""

    def __init__(self, loader, skip: int):
        self.loader, self.skip = loader, skip

    def __iter__(self):
        return itertools.islice(iter(self.loader), self.skip, None)

    def __len__(self):
        return len(self.loader) - self.skip


def host_loader(dataset, collator, batch_size: int, seed: int, num_workers: int):
    """This host's shard of the data, shuffled per epoch, full batches only (static shapes)."""
    import torch_xla.runtime as xr
    from torch.utils.data import DataLoader, DistributedSampler

    sampler = DistributedSampler(dataset, num_replicas=xr.process_count(), rank=xr.process_index(),
                                 shuffle=True, seed=seed, drop_last=True)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler, collate_fn=collator,
                        drop_last=True, num_workers=num_workers)
    if len(loader) == 0:
        raise UsageError(f"xla: {len(dataset)} training samples make no full batch of {batch_size} "
                         f"on this host: lower --per_device_train_batch_size or add data")
    return loader


def cpu_state_dict(model) -> dict:
    """The weights on the host (one transfer; what every back end can load)."""
    import torch_xla

    torch_xla.sync()
    return _loop.to_cpu(model.state_dict())


def without_tied_copies(model, weights: dict) -> dict:
    """Drops the second and later names of a tied parameter (T5's shared/embed/lm_head): on the
    host they are separate tensors, so save_pretrained would keep every name and the strict
    resume load (safetensors.load_model) would reject the extra ones."""
    seen, kept = set(), {}
    for name, tensor in model.state_dict(keep_vars=True).items():
        if id(tensor) not in seen and name in weights:
            seen.add(id(tensor))
            kept[name] = weights[name]
    return kept


def save_checkpoint(model, tokenizer, optimizer, scheduler, state: dict, training_args) -> Path:
    """A Trainer-layout checkpoint from the XLA device, written by the first host."""
    import torch
    import torch_xla.runtime as xr

    ckpt = Path(training_args.output_dir) / f"checkpoint-{state['global_step']}"
    weights = without_tied_copies(model, cpu_state_dict(model))
    optim_state = _loop.to_cpu(optimizer.state_dict())
    if xr.process_index() == 0:
        ckpt.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(ckpt, state_dict=weights, safe_serialization=True)
        if tokenizer is not None:
            tokenizer.save_pretrained(ckpt)
        torch.save(optim_state, ckpt / _loop.OPTIMIZER_FILE)
        torch.save(scheduler.state_dict(), ckpt / _loop.SCHEDULER_FILE)
        _loop.write_trainer_state(ckpt, training_args=training_args, **state)
        _loop.rotate_checkpoints(training_args.output_dir, training_args.save_total_limit)
        log.info("saved checkpoint %s", ckpt)
    return ckpt


class XlaLoop:
    """The training loop on the XLA device; the loss is read back only when logging."""

    def __init__(self, model, tokenizer, train_set, collator, training_args, *, device, mesh,
                 local_devices: int, checkpointing=None):
        import torch_xla.distributed.parallel_loader as pl
        import torch_xla.distributed.spmd as xs

        self.args, self.tokenizer, self.checkpointing = training_args, tokenizer, checkpointing
        self.num_train_samples = len(train_set)
        self.model = model.to(device)
        self.model.tie_weights()  # moving to XLA replaces each parameter: tied ones would train apart
        optim = FUSED_OPTIMIZERS.get(getattr(training_args.optim, "value", training_args.optim))
        if optim:
            log.info("xla: --optim %s has no XLA kernel; using %s", getattr(training_args.optim, "value", training_args.optim), optim)
        self.optimizer = _loop.make_optimizer(self.model, training_args, optim=optim)
        batch = training_args.per_device_train_batch_size * local_devices
        self.cpu_loader = host_loader(train_set, collator, batch, training_args.seed,
                                      training_args.dataloader_num_workers)
        self.sharding = xs.ShardingSpec(mesh, ("data", None))
        self.device, self.pl = device, pl
        self.plan = _loop.plan_steps(training_args, len(self.cpu_loader))
        self.scheduler = _loop.make_scheduler(self.optimizer, training_args, self.plan.max_steps)
        self.global_step, self.log_history, self.meter = 0, [], _loop.LossMeter()
        self.smoother = _loop.label_smoother(training_args)
        self.preemption = _loop.Preemption()

    def batches(self, epoch: int, skip: int):
        self.cpu_loader.sampler.set_epoch(epoch)
        source = _Skip(self.cpu_loader, skip) if skip else self.cpu_loader
        return self.pl.MpDeviceLoader(source, self.device, input_sharding=self.sharding)

    def resume(self, ckpt: Optional[Path]) -> int:
        import torch

        if ckpt is None:
            return 0
        if (ckpt / _loop.OPTIMIZER_FILE).is_file():
            state = torch.load(ckpt / _loop.OPTIMIZER_FILE, map_location="cpu", weights_only=True)
            self.optimizer.load_state_dict(state)  # moves the state to the parameters' device
        if (ckpt / _loop.SCHEDULER_FILE).is_file():
            self.scheduler.load_state_dict(torch.load(ckpt / _loop.SCHEDULER_FILE, weights_only=True))
        state = _loop.read_trainer_state(ckpt)
        self.global_step = int(state.get("global_step", 0))
        self.log_history = list(state.get("log_history", []))
        log.info("resuming from %s at update %d", ckpt, self.global_step)
        return (self.global_step % self.plan.updates_per_epoch) * self.args.gradient_accumulation_steps

    def update(self) -> None:
        import torch

        if self.args.max_grad_norm:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.args.max_grad_norm)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        self.global_step += 1

    def after_update(self, epoch: float, end_of_epoch: bool) -> None:
        if _loop.log_due(self.args, self.global_step, end_of_epoch):
            loss = self.meter.flush()
            entry = {"loss": round(loss, 4), "learning_rate": self.scheduler.get_last_lr()[0],
                     "epoch": round(epoch, 4), "step": self.global_step}
            self.log_history.append(entry)
            log.info("%s", entry)
            self.progress.entry(entry)
        stop = self.preemption.requested
        if _loop.checkpoint_due(self.checkpointing, self.global_step, end_of_epoch) or stop:
            save_checkpoint(self.model, self.tokenizer, self.optimizer, self.scheduler,
                            {"global_step": self.global_step, "epoch": epoch,
                             "max_steps": self.plan.max_steps, "log_history": self.log_history}, self.args)
        if stop:
            self.preemption.stopped_at = self.global_step

    def run_epoch(self, epoch_index: int, skip: int) -> tuple[float, int]:
        accum, plan, seen, epoch = self.args.gradient_accumulation_steps, self.plan, 0, float(epoch_index)
        for i, batch in enumerate(self.batches(epoch_index, skip), start=skip):
            loss = _loop.compute_loss(self.model, batch, self.smoother)
            (loss / accum).backward()
            self.meter.add(loss)
            seen += self.cpu_loader.batch_size  # this host's samples
            last = i + 1 == plan.batches_per_epoch
            if (i + 1) % accum and not last:
                continue
            self.update()
            epoch = epoch_index + (i + 1) / plan.batches_per_epoch
            self.after_update(epoch, end_of_epoch=last)
            if self.global_step >= plan.max_steps or self.preemption.stopped_at is not None:
                break
        return epoch, seen

    def run(self, resume_from: Optional[Path]) -> dict:
        import torch_xla.runtime as xr

        skip = self.resume(resume_from)
        self.model.train()
        start, epoch, seen = time.perf_counter(), self.global_step / self.plan.updates_per_epoch, 0
        self.progress = Progress(self.plan.max_steps, self.cpu_loader.batch_size * xr.process_count()
                                 * self.args.gradient_accumulation_steps, xr.process_index() == 0, self.global_step)
        for epoch_index in range(self.global_step // self.plan.updates_per_epoch, self.plan.num_epochs):
            epoch, n = self.run_epoch(epoch_index, skip)
            seen, skip = seen + n, 0
            if self.global_step >= self.plan.max_steps or self.preemption.stopped_at is not None:
                break
        loss = self.meter.mean()
        runtime = time.perf_counter() - start
        self.progress.end(self.global_step, epoch)
        return _loop.train_metrics(loss=loss, runtime=runtime, global_step=self.global_step, epoch=epoch,
                                   samples_seen=seen * xr.process_count(),
                                   num_train_samples=self.num_train_samples)


def cpu_split(model, tokenizer, dataset, collator, prefix: str, args):
    """Loss, generation and ROUGE of one split on the host CPU."""
    from torch.utils.data import DataLoader

    t = args.training
    loader = DataLoader(dataset, batch_size=t.per_device_eval_batch_size, collate_fn=collator)
    return _evaluate.run_split(model, tokenizer, loader, prefix, gen_kwargs=_evaluate.generation_kwargs(t, args.data),
                               generate=t.predict_with_generate)


def evaluate_and_predict(model, tokenizer, prepared, collator, args):
    t, after = args.training, None
    if t.do_eval or t.do_predict:
        log.info("xla: evaluation and generation run on the host CPU (decoding on XLA recompiles per token)")
    if t.do_eval:
        metrics, _ = cpu_split(model, tokenizer, prepared.eval, collator, "eval", args)
        after = _runner.write_results(args, "eval", metrics, len(prepared.eval))
    if t.do_predict:
        metrics, texts = cpu_split(model, tokenizer, prepared.predict, collator, "predict", args)
        _runner.write_results(args, "predict", metrics, len(prepared.predict), texts)
    return after


def train(model, tokenizer, prepared, collator, args, plan, checkpointing):
    """Train on the XLA device; returns the model moved back to the CPU, or None when SIGTERM
    stopped training after a checkpoint."""
    import torch_xla.runtime as xr

    device, mesh, local = init_runtime(args.summtrain.num_cores)
    loop = XlaLoop(model, tokenizer, prepared.train, collator, args.training, device=device, mesh=mesh,
                   local_devices=local, checkpointing=checkpointing)
    with loop.preemption.installed():
        metrics = loop.run(Path(plan.resume_from) if plan.resume_from else None)
    if loop.preemption.stopped_at is not None:
        log.warning("SIGTERM: saved checkpoint-%d in %s; run the same command again to resume",
                    loop.preemption.stopped_at, args.training.output_dir)
        return None
    weights = cpu_state_dict(loop.model)
    _loop.trace_final(xr.process_index(), xr.global_runtime_device_count(), weights)
    model = loop.model.to("cpu")
    if xr.process_index() == 0:
        _runner.save_final(model, None, tokenizer, args.training.output_dir, loop.log_history, loop.global_step,
                           metrics["epoch"], loop.plan.max_steps, args.training)
        _runner.write_results(args, "train", metrics, loop.num_train_samples)
    return model


def run(args, plan) -> int:
    """The `--backend xla` entry point (see summtrain.backends for the contract)."""
    from transformers import set_seed

    from summtrain import data as data_mod
    from summtrain import outputs
    from summtrain.credentials import take_token

    t = args.training
    _loop.reject_unsupported("xla", args.given)
    checkpointing = _loop.checkpointing_spec(t, args.summtrain.checkpointing_steps)
    force_static_shapes(args.data)
    check_num_cores(args.summtrain.num_cores)
    import torch_xla.runtime as xr

    main = xr.process_index() == 0
    set_seed(t.seed)
    tokenizer, model, prepared = _runner.load_model_and_data(args, plan.resume_from, take_token(args))
    collator = data_mod.make_collator(tokenizer, model, args.data)
    if main:
        outputs.write_run_marker(plan.output_dir, plan.identity)
    before = None
    if main and _runner.want_before(args, plan.resume_from):
        before, _ = cpu_split(model, tokenizer, prepared.eval, collator, "eval", args)
    if t.do_train:
        model = train(model, tokenizer, prepared, collator, args, plan, checkpointing)
        if model is None:
            return PREEMPTED_EXIT_CODE
    if main:
        after = evaluate_and_predict(model, tokenizer, prepared, collator, args)
        _runner.finish(args, "xla", before, after, prepared)
    return 0
