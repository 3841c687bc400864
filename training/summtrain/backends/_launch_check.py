"""Start-up checks that `accelerate launch` / `torchrun` really formed one job.

Two launch forms fail silently (measured with accelerate 1.15, see ENV.md):
- `accelerate launch --cpu --num_processes 2` (or `--num_processes 2` without `--multi_gpu` on a
  machine without GPUs) uses the single-process launcher: ONE process trains.
- `--multi_gpu --num_processes 2` on a CPU machine, with an Accelerator that is not told to use the
  CPU, starts two processes that never join a process group: two independent copies.

`requested_processes` reads what the user asked accelerate for (the parent `accelerate launch`
command line, else its config file); `check_world` compares that and the launcher's WORLD_SIZE with
the process group the Accelerator actually formed, and stops with one line saying how to launch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Sequence

from summtrain.errors import UsageError

HOW = ("on CPU use `accelerate launch --multi_gpu --num_processes N -m summtrain --backend accelerate ...` "
       "or `torchrun --nproc_per_node N -m summtrain --backend accelerate ...` (summtrain trains on the CPU "
       "over gloo)")


def parent_argv(pid: Optional[int] = None) -> list[str]:
    """The command line of the parent process ([] where /proc cannot tell)."""
    try:
        raw = Path(f"/proc/{pid or os.getppid()}/cmdline").read_bytes()
    except OSError:
        return []
    return [a for a in raw.decode(errors="replace").split("\0") if a]


def launch_options(argv: Sequence[str]) -> Optional[dict[str, str]]:
    """`accelerate launch` options (before the script) as {name: value}; None if argv is not that."""
    names = [Path(a).name for a in argv[:3]]
    if "accelerate" not in names or "launch" not in argv:
        return None
    opts: dict[str, str] = {}
    rest = list(argv[argv.index("launch") + 1:])
    while rest:
        arg = rest.pop(0)
        if not arg.startswith("--") or arg in ("-m", "--module"):
            break
        key, eq, value = arg[2:].partition("=")
        if not eq:
            value = rest.pop(0) if rest and not rest[0].startswith("-") and key in VALUE_OPTIONS else "true"
        opts[key.replace("-", "_")] = value
    return opts


VALUE_OPTIONS = {"num_processes", "num_machines", "machine_rank", "config_file", "main_process_ip",
                 "main_process_port", "mixed_precision", "gpu_ids", "num_cpu_threads_per_process",
                 "gradient_accumulation_steps", "dynamo_backend", "rdzv_backend"}


def config_num_processes(config_file: Optional[str]) -> Optional[int]:
    """num_processes from the accelerate config file launch used (explicit or default)."""
    if not config_file:
        try:
            from accelerate.commands.config.config_args import default_config_file
        except ImportError:
            return None
        config_file = default_config_file
    path = Path(config_file)
    if not path.is_file():
        return None
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError:
        return None
    value = data.get("num_processes") if isinstance(data, dict) else None
    return int(value) if isinstance(value, int) else None


def requested_processes(argv: Optional[Sequence[str]] = None) -> Optional[int]:
    """How many processes `accelerate launch` was asked for, or None when not under it."""
    opts = launch_options(parent_argv() if argv is None else argv)
    if opts is None:
        return None
    if "num_processes" in opts:
        try:
            return int(opts["num_processes"])
        except ValueError:
            return None
    return config_num_processes(opts.get("config_file"))


def check_requested(world_size: int, requested: Optional[int]) -> None:
    """Before the Accelerator exists: did the launcher start as many processes as asked?"""
    if requested is not None and requested > 1 and world_size != requested:
        raise UsageError(
            f"accelerate launch was asked for {requested} processes but started {world_size} "
            f"(its --cpu / single-process launcher ignores --num_processes): {HOW}")


def check_world(world_size: int, formed: int) -> None:
    """After the Accelerator exists: did the processes join one process group?"""
    if world_size > 1 and formed != world_size:
        raise UsageError(
            f"the launcher started {world_size} processes (WORLD_SIZE={world_size}) but they formed a "
            f"group of {formed}: they would train {world_size} independent copies; {HOW}, "
            "or pass --use_cpu / set ACCELERATE_USE_CPU=true")


def env_world_size() -> int:
    for name in ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        value = os.environ.get(name)
        if value and value.isdigit():
            return int(value)
    return 1
