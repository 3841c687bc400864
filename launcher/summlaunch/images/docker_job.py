"""The plan of one `run --docker`: image, command, mounts and environment (no engine calls)."""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass
from pathlib import Path

from summlaunch.errors import SummlaunchError

WORKSPACE = "/workspace"
CONTAINER_OUTPUTS = f"{WORKSPACE}/outputs"
CONTAINER_HF_HOME = f"{WORKSPACE}/hf-cache"
TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
IMAGE_UID = 1000


@dataclass(frozen=True)
class DockerRun:
    """Everything one `run --docker` needs, resolved from flags and the host environment."""

    image: str
    command: tuple[str, ...]
    mounts: dict
    env: dict
    gpus: str | None
    user: str
    host_output_dir: Path


def _flag_value(argv: list[str], flag: str) -> tuple[int, str] | None:
    for i, item in enumerate(argv):
        if item == flag and i + 1 < len(argv):
            return i, argv[i + 1]
        if item.startswith(flag + "="):
            return i, item.split("=", 1)[1]
    return None


def _without_flag(argv: list[str], flag: str) -> list[str]:
    found = _flag_value(argv, flag)
    if found is None:
        return list(argv)
    i, _ = found
    width = 1 if argv[i].startswith(flag + "=") else 2
    return argv[:i] + argv[i + width:]


def _check_gpus(gpus: str | None) -> str | None:
    if gpus is None or gpus == "all" or re.fullmatch(r"\d+", gpus):
        return gpus
    raise SummlaunchError(f"--gpus {gpus!r}: expected 'all' or a number of GPUs")


def container_command(framework: str, gpus: str | None, train_argv: list[str]) -> list[str]:
    """The single-node command of the image: the one container command builder (summlaunch.container)
    with one process per GPU (torchrun / accelerate launch) where the framework starts several."""
    from summlaunch import container

    per_node = "gpu" if gpus == "all" else int(gpus) if gpus and gpus.isdigit() and int(gpus) > 1 else 1
    where = container.Where(procs_per_node=per_node, gpus=bool(gpus and gpus != "0"), cluster=False)
    return container.launch(framework, train_argv, where).argv()


def stack_choice(args: argparse.Namespace) -> tuple[str, str]:
    """(framework, image stack) of `--framework` / `--stack` (see summlaunch.jobspec.frameworks)."""
    from summlaunch.jobspec.frameworks import framework_and_stack

    try:
        return framework_and_stack(getattr(args, "framework", None), getattr(args, "stack", None))
    except ValueError as e:
        raise SummlaunchError(str(e)) from None


def plan(args: argparse.Namespace, train_argv: list[str]) -> DockerRun:
    """Resolve image, mounts, environment and command (no engine calls)."""
    from summlaunch.images.stacks import image_ref

    gpus = _check_gpus(getattr(args, "gpus", None))
    name = getattr(args, "name", None) or "summlaunch-run"
    argv = list(train_argv)
    given = _flag_value(argv, "--output_dir")
    host_out = Path(getattr(args, "output_dir", None) or (given[1] if given else Path("outputs") / name))
    if given and given[1].startswith(WORKSPACE + "/"):
        raise SummlaunchError(f"--output_dir {given[1]}: give a host directory; it is mounted under {CONTAINER_OUTPUTS}")
    host_out = host_out.expanduser().resolve()
    inside_out = f"{CONTAINER_OUTPUTS}/{host_out.name}"
    argv = _without_flag(argv, "--output_dir") + ["--output_dir", inside_out]
    hf_cache = Path(getattr(args, "hf_cache", None) or os.environ.get("HF_HOME")
                    or Path.home() / ".cache" / "huggingface").expanduser().resolve()
    env = {k: os.environ[k] for k in TOKEN_VARIABLES if os.environ.get(k)}
    uid, gid = os.getuid(), os.getgid()
    if uid != IMAGE_UID:
        env["HOME"] = "/tmp"  # the image's home belongs to uid 1000
    framework, stack = stack_choice(args)
    image = getattr(args, "image", None) or image_ref(stack, getattr(args, "pin", None) or (),
                                                      base_image=getattr(args, "base_image", None))
    return DockerRun(
        image=image, command=tuple(container_command(framework, gpus, argv)),
        mounts={str(host_out): inside_out, str(hf_cache): CONTAINER_HF_HOME},
        env=env, gpus=gpus, user=f"{uid}:{gid}", host_output_dir=host_out,
    )
