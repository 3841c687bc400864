"""`summlaunch run --docker`: the built image, run locally with the command the cluster pods get.

The host's output directory and Hugging Face cache are mounted where the pods
have their volume (/workspace/outputs, /workspace/hf-cache); the HF token is
taken from the host environment by name and handed to the engine in the API
request (never in any command line); the container's logs stream live, Ctrl-C
stops it (SIGTERM, then SIGKILL after 10 s) and its exit code is returned.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from summlaunch.errors import SummlaunchError

WORKSPACE = "/workspace"
CONTAINER_OUTPUTS = f"{WORKSPACE}/outputs"
CONTAINER_HF_HOME = f"{WORKSPACE}/hf-cache"
TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
IMAGE_UID = 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `run --docker`; flags the parser already has (e.g. --framework) are shared."""
    group = parser.add_argument_group("container (--docker)")
    known = set(parser._option_string_actions)  # flags `run` itself already defines

    def add(*names, **kwargs):
        if not known.intersection(names):
            group.add_argument(*names, **kwargs)

    add("--docker", action="store_true", help="run in the built training image instead of this Python")
    add("--image", metavar="REF", help="image to run (default: the tag `summlaunch build` gives these pins)")
    add("--framework", default="torch", metavar="STACK",
        help="image stack: torch-cuda (torch), torch-cpu, tf, xla (default: torch)")
    add("--pin", action="append", default=[], metavar="NAME==VERSION", help="pins the image was built with")
    add("--base-image", metavar="IMAGE", help="base image the image was built on")
    add("--gpus", metavar="all|N", help="GPUs handed to the container (docker run --gpus)")
    add("--output-dir", metavar="DIR",
        help="host directory mounted as the job's output dir (default: ./outputs/<name>)")
    add("--hf-cache", metavar="DIR", help="host Hugging Face cache mounted at /workspace/hf-cache "
        "(default: $HF_HOME or ~/.cache/huggingface)")
    add("--name", metavar="NAME", help="job name (output sub-directory); default summlaunch-run")


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
    """The single-node command the pods run: summtrain, or torchrun with one process per GPU."""
    from summlaunch.images import stack_name

    several = gpus == "all" or (gpus is not None and gpus.isdigit() and int(gpus) > 1)
    if several and stack_name(framework).startswith("torch"):
        per_node = "gpu" if gpus == "all" else gpus
        return ["torchrun", "--standalone", f"--nproc_per_node={per_node}", "-m", "summtrain", *train_argv]
    return ["summtrain", *train_argv]


def plan(args: argparse.Namespace, train_argv: list[str]) -> DockerRun:
    """Resolve image, mounts, environment and command (no engine calls)."""
    from summlaunch.images import image_ref

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
    framework = getattr(args, "framework", None) or "torch"
    image = getattr(args, "image", None) or image_ref(framework, getattr(args, "pin", None) or (),
                                                      base_image=getattr(args, "base_image", None))
    return DockerRun(
        image=image, command=tuple(container_command(framework, gpus, argv)),
        mounts={str(host_out): inside_out, str(hf_cache): CONTAINER_HF_HOME},
        env=env, gpus=gpus, user=f"{uid}:{gid}", host_output_dir=host_out,
    )


_CONTAINER_ONLY = ("image", "pin", "base_image", "gpus", "hf_cache")


def wanted(args: argparse.Namespace) -> bool:
    """True for `run --docker`; container-only flags without --docker are an error."""
    if getattr(args, "docker", False):
        return True
    given = [n for n in _CONTAINER_ONLY if getattr(args, n, None)]
    if given:
        flag = "--" + given[0].replace("_", "-")
        raise SummlaunchError(f"{flag} applies to containers; add --docker (summlaunch run --docker {flag} ...)")
    return False


def run(args: argparse.Namespace, train_argv: list[str]) -> int:
    """Run the job in its image; return the container's exit code."""
    from summlaunch import docker_engine

    job = plan(args, train_argv)
    if getattr(args, "dry_run", False):
        mounts = " ".join(f"-v {host}:{inside}" for host, inside in job.mounts.items())
        gpus = f" --gpus {job.gpus}" if job.gpus else ""
        names = " ".join(f"-e {k}" for k in job.env)
        print(f"docker run --rm --user {job.user}{gpus} {mounts} {names} {job.image} {shlex.join(job.command)}")
        return 0
    engine = docker_engine.connect()
    if engine.image_attrs(job.image) is None:
        raise SummlaunchError(
            f"image {job.image} is not on this engine; build it first with "
            f"`summlaunch build --framework {getattr(args, 'framework', 'torch')}` (same --pin/--base-image) "
            "or pass --image REF")
    for host in job.mounts:
        Path(host).mkdir(parents=True, exist_ok=True)
    print(f"summlaunch run --docker: {job.image}: {' '.join(job.command)}", file=sys.stderr)
    code = engine.run(job.image, list(job.command), env=job.env, mounts=job.mounts, gpus=job.gpus,
                      user=job.user, on_line=lambda line: print(line, flush=True))
    print(f"summlaunch run --docker: outputs in {job.host_output_dir} (exit code {code})", file=sys.stderr)
    return code
