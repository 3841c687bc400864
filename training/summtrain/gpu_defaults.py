"""Faster settings on a CUDA GPU, applied where the user has not chosen (torch back ends).

Upstream's defaults train in fp32 with plain batches in random order from one process.
Where a CUDA device is used and `--gpu_defaults` is on (the default), summtrain sets, for
every flag the user did not give (on the command line, in the run file, or for precision
through `accelerate launch`, whose mixed precision -- flag, config or its default `no` -- reaches
the process as ACCELERATE_MIXED_PRECISION and always counts as a choice):

- `--bf16 true` where the GPU supports bf16 (never fp16: T5 overflows in it);
- `--tf32 true` on GPUs with TF32 (Ampere and newer);
- `--optim adamw_torch_fused`;
- `--train_sampling_strategy group_by_length`;
- `--dataloader_pin_memory true` and `--dataloader_num_workers N` from the CPUs per process;
- no `torch.compile` (see `COMPILE_NOTE`).

Each is one log line naming the flag that turns it off; `--gpu_defaults false` (or
`--no_gpu_defaults`) turns them all off. What counts is the flags the user gave
(`TrainArgs.given`), never whether a value equals a default. Without CUDA nothing changes,
except that memory is not pinned (there is no device to pin it for).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from typing import Any, NamedTuple, Optional

from transformers.trainer_pt_utils import LengthGroupedSampler

from summtrain.errors import UsageError

log = logging.getLogger("summtrain")
MAX_WORKERS = 4
PRECISION_FLAGS = ("fp16", "bf16")
COMPILE_FLAGS = ("torch_compile", "torch_compile_backend", "torch_compile_mode")
ORDER_FLAGS = ("train_sampling_strategy", "sortish_sampler")
LOOP_ORDERS = ("random", "group_by_length")  # what the accelerate loop's loader can do
# How close the loss curve with the defaults stays to the fp32 run's (tests/training/test_gpu_defaults.py on
# the CPU, benchmarks/gpu_throughput.py on a GPU): twice the spread between two fp32 runs of the tiny T5 that
# differ only in --seed (data order), measured at 6.4% for a 10-step window and 2.6% for the mean of the
# second half of 200 steps. bf16 keeps 8 significant bits (relative 2^-8 = 0.4% per rounding), well inside
# that noise; length grouping changes the order, so windows are compared, not single steps.
LOSS_WINDOW_TOLERANCE, LOSS_SECOND_HALF_TOLERANCE = 0.12, 0.05
COMPILE_NOTE = ("not measured to pay for T5 training yet: batch shapes change with every padded batch, "
                "so the compiled step recompiles or runs with dynamic shapes")


class Device(NamedTuple):
    """What the defaults depend on: the device this process trains on and its CPUs."""

    cuda: bool
    bf16: bool = False
    tf32: bool = False
    cpus_per_process: int = 1


class Default(NamedTuple):
    """One chosen setting: the flag, its value and the log line (with the flag that undoes it)."""

    flag: str
    value: Any
    line: str


def detect(use_cpu: bool) -> Device:
    """The facts of this machine (a CUDA GPU is used unless --use_cpu)."""
    import torch

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    per_process = max(cpus // max(int(os.environ.get("LOCAL_WORLD_SIZE", "1")), 1), 1)
    if use_cpu or not torch.cuda.is_available():
        return Device(cuda=False, cpus_per_process=per_process)
    from transformers.utils import is_torch_tf32_available

    return Device(cuda=True, bf16=torch.cuda.is_bf16_supported(including_emulation=False),
                  tf32=is_torch_tf32_available(), cpus_per_process=per_process)


def _precision_chosen(given: Mapping[str, Any], env: Mapping[str, str]) -> bool:
    return any(k in given for k in PRECISION_FLAGS) or "ACCELERATE_MIXED_PRECISION" in env


def _precision(device: Device) -> Default:
    if device.bf16:
        return Default("bf16", True, "bf16 autocast (the GPU supports it); off: --bf16 false")
    return Default("bf16", False, "fp32, this GPU has no bf16 (T5 overflows in fp16; --fp16 true for other models)")


def _workers(device: Device) -> Optional[Default]:
    workers = min(MAX_WORKERS, device.cpus_per_process - 1)
    if workers < 1:
        return None
    return Default("dataloader_num_workers", workers,
                   f"{workers} data-loading worker(s) ({device.cpus_per_process} CPUs per process); "
                   "off: --dataloader_num_workers 0")


def choose(given: Mapping[str, Any], device: Device, env: Mapping[str, str] = os.environ) -> list[Default]:
    """The defaults for flags the user did not give, on this device (pure)."""
    if not device.cuda:
        return [] if "dataloader_pin_memory" in given else [Default("dataloader_pin_memory", False, "")]
    picks: list[Optional[Default]] = []
    if not _precision_chosen(given, env):
        picks.append(_precision(device))
    if device.tf32 and "tf32" not in given:
        picks.append(Default("tf32", True, "TF32 matmuls; off: --tf32 false"))
    if "optim" not in given:
        picks.append(Default("optim", "adamw_torch_fused", "fused AdamW (--optim adamw_torch_fused); "
                                                           "off: --optim adamw_torch"))
    if not any(k in given for k in ORDER_FLAGS):
        picks.append(Default("train_sampling_strategy", "group_by_length",
                             "length-grouped batches (--train_sampling_strategy group_by_length); "
                             "off: --train_sampling_strategy random"))
    if "dataloader_pin_memory" not in given:
        picks.append(Default("dataloader_pin_memory", True, "pinned memory for data loading; "
                                                            "off: --dataloader_pin_memory false"))
    if "dataloader_num_workers" not in given:
        picks.append(_workers(device))
    return [p for p in picks if p is not None]


def _compile_line(given: Mapping[str, Any], backend: str) -> Optional[str]:
    if any(k in given for k in COMPILE_FLAGS):
        return None
    how = "accelerate launch --dynamo_backend inductor" if backend == "accelerate" else "--torch_compile true"
    return f"no torch.compile ({COMPILE_NOTE}); on: {how}"


def apply(args: Any, backend: str = "trainer", device: Optional[Device] = None) -> None:
    """Set the defaults on `args.training` (a new Seq2SeqTrainingArguments), one log line each;
    `device` defaults to this machine's (`detect`)."""
    t = args.training
    if backend == "accelerate":
        check_loop_order(t)
    device = device or detect(bool(t.use_cpu))
    if device.cuda and not args.summtrain.gpu_defaults:
        log.info("GPU defaults off (--gpu_defaults false): transformers' own settings")
        return
    picks = choose(args.given, device)
    for pick in picks:
        if pick.line:
            log.info("GPU default: %s", pick.line)
    compile_line = _compile_line(args.given, backend) if device.cuda else None
    if compile_line:
        log.info("GPU default: %s", compile_line)
    changes = {p.flag: p.value for p in picks if getattr(t, p.flag) != p.value}
    if changes:  # replace() runs __post_init__ again, as parsing would have with these flags
        args.training = dataclasses.replace(t, **changes)


def check_loop_order(training_args: Any) -> None:
    strategy = str(training_args.train_sampling_strategy)
    if strategy not in LOOP_ORDERS:
        raise UsageError(f"--train_sampling_strategy {strategy} is not supported by the accelerate back end: "
                         f"use {' or '.join(LOOP_ORDERS)}, or --backend trainer")


def length_sampler(dataset: Any, training_args: Any):
    """The accelerate loop's sampler for `--train_sampling_strategy`: None (shuffle) or length-grouped."""
    check_loop_order(training_args)
    if str(training_args.train_sampling_strategy) == "random":
        return None
    import pyarrow.compute as pc

    lengths = pc.list_value_length(dataset.with_format("arrow")["input_ids"]).to_pylist()
    batch = training_args.per_device_train_batch_size * training_args.gradient_accumulation_steps
    return EpochLengthGroupedSampler(batch, lengths, training_args.seed)


class EpochLengthGroupedSampler(LengthGroupedSampler):
    """transformers' LengthGroupedSampler with an order fixed by (seed, epoch): every process
    draws the same order, and a resumed run skips the batches the first run trained on."""

    def __init__(self, batch_size: int, lengths: list[int], seed: int):
        import torch

        super().__init__(batch_size, lengths=lengths, generator=torch.Generator())
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        self.generator.manual_seed(self.seed + self.epoch)
        return super().__iter__()


def loss_agreement(reference: list[float], other: list[float]) -> tuple[float, float]:
    """(worst relative gap of a logged loss window, relative gap of the second half's mean) of two
    curves logged at the same steps."""
    if len(reference) != len(other) or len(reference) < 2:
        raise ValueError(f"loss curves of different or too short lengths: {len(reference)}, {len(other)}")
    worst = max(abs(b - a) / a for a, b in zip(reference, other))
    half = len(reference) // 2
    second = abs(sum(other[half:]) - sum(reference[half:])) / sum(reference[half:])
    return worst, second
