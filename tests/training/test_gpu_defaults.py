"""summtrain.gpu_defaults: what is chosen on a CUDA GPU, that the user's flags win, that a CPU run
is unchanged, and that the chosen settings keep the loss curve of the fp32 run (on CPU).

The decision takes the device's facts (`Device`) as data, so the GPU branch is tested here with
the facts of a bf16/TF32 GPU; the numbers a GPU produces are in benchmarks/gpu_throughput.py.
"""

from __future__ import annotations

import json
import logging
import shlex

import pytest

from summtrain import gpu_defaults
from summtrain.errors import UsageError
from summtrain.flagschema import parse_flag_tokens
from summtrain.gpu_defaults import Device
from summtrain.parse import parse_train_args

from .conftest import TINY_MODEL

AMPERE = Device(cuda=True, bf16=True, tf32=True, cpus_per_process=8)
TURING = Device(cuda=True, bf16=False, tf32=False, cpus_per_process=2)
CPU = Device(cuda=False, cpus_per_process=2)


def chosen(argv: str, device: Device = AMPERE, env: dict | None = None) -> dict:
    return {d.flag: d.value for d in gpu_defaults.choose(parse_flag_tokens(shlex.split(argv)), device, env or {})}


def test_all_defaults_on_a_bf16_tf32_gpu():
    assert chosen("--model_name_or_path t5-small") == {
        "bf16": True, "tf32": True, "optim": "adamw_torch_fused", "train_sampling_strategy": "group_by_length",
        "dataloader_pin_memory": True, "dataloader_num_workers": gpu_defaults.MAX_WORKERS}


@pytest.mark.parametrize("argv, flag", [
    ("--bf16 false", "bf16"),  # equal to the default value, still the user's choice
    ("--fp16", "bf16"),
    ("--tf32 false", "tf32"),
    ("--optim adamw_torch", "optim"),
    ("--train_sampling_strategy random", "train_sampling_strategy"),
    ("--sortish_sampler", "train_sampling_strategy"),
    ("--dataloader_pin_memory false", "dataloader_pin_memory"),
    ("--dataloader_num_workers 0", "dataloader_num_workers"),
])
def test_a_flag_the_user_gave_is_never_overridden(argv, flag):
    assert flag not in chosen(argv)
    assert len(chosen(argv)) == len(chosen("")) - 1


def test_accelerate_mixed_precision_from_launch_or_config_counts_as_a_choice():
    assert "bf16" not in chosen("", env={"ACCELERATE_MIXED_PRECISION": "no"})


def test_gpu_without_bf16_stays_fp32_never_fp16_and_no_tf32():
    got = chosen("", TURING)
    assert got["bf16"] is False and "fp16" not in got and "tf32" not in got
    assert got["dataloader_num_workers"] == 1  # 2 CPUs: one for the training process


def test_on_cpu_only_pinning_is_turned_off():
    assert chosen("", CPU) == {"dataloader_pin_memory": False}
    assert chosen("--dataloader_pin_memory true", CPU) == {}


def _args(argv: str):
    return parse_train_args(shlex.split(argv) + ["--output_dir", "/tmp/summtrain-gpu-defaults-test"])


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("GPU default")]


def test_apply_sets_the_flags_one_log_line_each_naming_the_off_switch(caplog):
    args = _args("--use_cpu")  # the facts of a GPU below; TF32 cannot be switched on without one
    gpu = Device(cuda=True, bf16=True, tf32=False, cpus_per_process=3)
    with caplog.at_level(logging.INFO, logger="summtrain"):
        gpu_defaults.apply(args, "trainer", device=gpu)
    t = args.training
    assert (t.bf16, str(t.optim.value), t.train_sampling_strategy) == (True, "adamw_torch_fused", "group_by_length")
    assert (t.dataloader_num_workers, t.torch_compile) == (2, False)  # (--use_cpu unpins, whatever is asked)
    assert t.mixed_precision == "bf16"  # __post_init__ ran again: the Trainer's Accelerator sees bf16
    lines = _lines(caplog)
    assert len(lines) == len(gpu_defaults.choose({}, gpu)) + 1  # + the torch.compile line
    assert all(" off: --" in line or " on: --torch_compile true" in line for line in lines)


def test_gpu_defaults_false_changes_nothing_with_one_line(caplog):
    args = _args("--use_cpu --no_gpu_defaults")
    before = args.training
    with caplog.at_level(logging.INFO, logger="summtrain"):
        gpu_defaults.apply(args, "trainer", device=AMPERE)
    assert args.training is before
    assert _lines(caplog) == ["GPU defaults off (--gpu_defaults false): transformers' own settings"]


def test_cpu_run_is_unchanged_except_pinning(caplog):
    args = _args("")
    before = args.training.to_dict()
    with caplog.at_level(logging.INFO, logger="summtrain"):
        gpu_defaults.apply(args, "trainer")  # this machine: no CUDA
    after = args.training.to_dict()
    assert {k for k in before if before[k] != after[k]} == {"dataloader_pin_memory"}
    assert after["dataloader_pin_memory"] is False and _lines(caplog) == []


def test_accelerate_sampler_groups_by_length_same_order_per_seed_and_epoch():
    import datasets

    lengths = [(i * 37) % 97 + 3 for i in range(400)]
    ds = datasets.Dataset.from_dict({"input_ids": [[1] * n for n in lengths]})
    t = _args("--use_cpu --train_sampling_strategy group_by_length --per_device_train_batch_size 8").training
    a, b = gpu_defaults.length_sampler(ds, t), gpu_defaults.length_sampler(ds, t)
    assert list(a) == list(b) and sorted(a) == list(range(400))
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    a.set_epoch(0)
    assert list(a) == first

    def spread(order):  # mean (longest - shortest) within a batch of 8
        batches = [order[i:i + 8] for i in range(0, len(order), 8)]
        return sum(max(lengths[j] for j in bt) - min(lengths[j] for j in bt) for bt in batches) / len(batches)

    assert spread(first) < spread(list(range(400))) / 4
    assert gpu_defaults.length_sampler(ds, _args("--use_cpu").training) is None  # random: the loader shuffles


def test_accelerate_refuses_orders_its_loop_cannot_draw():
    args = _args("--use_cpu --backend accelerate --train_sampling_strategy batch_rebalance")
    with pytest.raises(UsageError) as info:
        gpu_defaults.apply(args, "accelerate")
    assert "--train_sampling_strategy batch_rebalance is not supported by the accelerate back end" in str(info.value)


# ----------------------------------------------------------------------------- loss on CPU

LOSS_STEPS = 200
LOSS_RUN = (f"--model_name_or_path {TINY_MODEL} --max_steps {LOSS_STEPS} --per_device_train_batch_size 8 "
            "--max_source_length 64 --max_target_length 16 --learning_rate 3e-3 --warmup_steps 20 --logging_steps 10 "
            "--save_strategy no --report_to none --disable_tqdm true --seed 42 --do_train --use_cpu")


def _losses(tmp_path, name: str, extra: list[str]) -> list[float]:
    """One real summtrain run in this process (no second interpreter start-up: the test stays short)."""
    import torch

    from summtrain import cli

    out, threads = tmp_path / name, torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        code = cli.main([*shlex.split(LOSS_RUN), "--output_dir", str(out), "--cache_dir", str(tmp_path / "cache"),
                         *extra])
    finally:
        torch.set_num_threads(threads)
    assert code == 0
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    return [e["loss"] for e in history if "loss" in e]


def test_gpu_default_numerics_keep_the_fp32_loss_curve_on_cpu(tmp_path):
    """bf16 autocast + fused AdamW + length-grouped batches (what the defaults choose, minus what
    only a GPU has) against fp32 + plain AdamW + random order, 200 steps of the tiny T5."""
    picks = {d.flag: d.value for d in gpu_defaults.choose({}, Device(cuda=True, bf16=True))}
    fast = [f"--{k}={v}" for k, v in picks.items() if k in ("bf16", "optim", "train_sampling_strategy")]
    assert len(fast) == 3
    base = _losses(tmp_path, "fp32", ["--no_gpu_defaults", "--optim", "adamw_torch"])
    ours = _losses(tmp_path, "defaults", fast)
    assert len(base) == len(ours) == LOSS_STEPS // 10
    worst, second = gpu_defaults.loss_agreement(base, ours)
    assert worst <= gpu_defaults.LOSS_WINDOW_TOLERANCE, (worst, base, ours)
    assert second <= gpu_defaults.LOSS_SECOND_HALF_TOLERANCE, (second, base, ours)
    assert ours[-1] < 0.4 * ours[0]  # and it learned


# ----------------------------------------------------------------------------- accelerate loop, real runs

def _loop_helpers():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
    import loop_helpers

    return loop_helpers


GROUPED = ["--backend", "accelerate", "--train_sampling_strategy", "group_by_length", "--per_device_train_batch_size",
           "8", "--do_train", "--logging_steps", "1"]


@pytest.mark.slow
def test_accelerate_length_grouped_two_processes_share_one_job(tmp_path):
    import sys
    from pathlib import Path

    h = _loop_helpers()
    out, trace = tmp_path / "out", tmp_path / "trace"
    torchrun = [str(Path(sys.executable).parent / "torchrun"), "--nproc_per_node", "2", "--master_port",
                str(h.free_port())]
    h.ok(h.run([*torchrun, "-m", "summtrain", *GROUPED, *h.data_flags(64), *h.FAST, "--num_train_epochs", "1",
                "--output_dir", str(out)], tmp_path, SUMMTRAIN_TRACE_DIR=str(trace)))
    finals = [json.loads((trace / f"final-rank{r}.json").read_text()) for r in (0, 1)]
    assert finals[0]["weights_sha256"] == finals[1]["weights_sha256"]
    shards = [(trace / f"samples-rank{r}.txt").read_text().split() for r in (0, 1)]
    assert [len(s) for s in shards] == [32, 32] and not set(shards[0]) & set(shards[1])
    assert len(set(shards[0]) | set(shards[1])) == 64  # the same grouped order on both processes


@pytest.mark.slow
def test_accelerate_length_grouped_resume_continues_the_same_order(tmp_path):
    h = _loop_helpers()

    def run(out, steps):
        return h.ok(h.summtrain([*GROUPED, *h.data_flags(64), *h.FAST, "--max_steps", str(steps),
                                 "--lr_scheduler_type", "constant", "--checkpointing_steps", "3",
                                 "--output_dir", str(out)], tmp_path))

    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    run(straight, 11)  # 8 batches per epoch: the resume point (6) is mid-epoch, the end is in epoch 2
    run(resumed, 6)
    run(resumed, 11)
    assert h.losses(resumed) == pytest.approx(h.losses(straight), rel=1e-4)
