"""`summlaunch run --docker`: the built image, run locally with the command the cluster pods get.

The host's output directory and Hugging Face cache are mounted where the pods
have their volume (/workspace/outputs, /workspace/hf-cache); the HF token is
taken from the host environment by name and handed to the engine in the API
request (never in any command line); the container's logs stream live, Ctrl-C
stops it (SIGTERM through the container's init, SIGKILL after 10 s) and its exit code is returned.
"""

from __future__ import annotations

import argparse

from summlaunch.errors import SummlaunchError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `run --docker`; flags the parser already has (e.g. --framework) are shared."""
    group = parser.add_argument_group("container (--docker)")
    known = set(parser._option_string_actions)  # flags `run` itself already defines

    def add(*names, **kwargs):
        if not known.intersection(names):
            group.add_argument(*names, **kwargs)

    add("--docker", action="store_true", help="run in the built training image instead of this Python")
    add("--image", metavar="REF", help="image to run (default: the tag `summlaunch build` gives these pins)")
    add("--framework", metavar="F", help="torch (default) | accelerate | tf | xla: the summtrain back end "
        "(and the default --stack)")
    add("--stack", metavar="STACK", help="image stack: torch-cuda, torch-cpu, tf, xla (default: the framework's)")
    add("--pin", action="append", default=[], metavar="NAME==VERSION", help="pins the image was built with")
    add("--base-image", metavar="IMAGE", help="base image the image was built on")
    add("--gpus", metavar="all|N", help="GPUs handed to the container (docker run --gpus)")
    add("--output-dir", metavar="DIR",
        help="host directory mounted as the job's output dir (default: ./outputs/<name>)")
    add("--hf-cache", metavar="DIR", help="host Hugging Face cache mounted at /workspace/hf-cache "
        "(default: $HF_HOME or ~/.cache/huggingface)")
    add("--name", metavar="NAME", help="job name (output sub-directory); default summlaunch-run")


_CONTAINER_ONLY = ("image", "pin", "base_image", "gpus", "hf_cache", "stack")


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
    import shlex
    import sys
    from pathlib import Path

    from summlaunch.images import engine as docker_engine
    from summlaunch.images.docker_job import TOKEN_VARIABLES, plan, stack_choice

    job = plan(args, train_argv)
    if getattr(args, "dry_run", False):
        mounts = " ".join(f"-v {host}:{inside}" for host, inside in job.mounts.items())
        gpus = f" --gpus {job.gpus}" if job.gpus else ""
        names = " ".join(f"-e {k}" if k in TOKEN_VARIABLES else f"-e {k}={v}" for k, v in job.env.items())
        print(f"docker run --rm --init --user {job.user}{gpus} {mounts} {names} {job.image} {shlex.join(job.command)}")
        return 0
    engine = docker_engine.connect()
    if engine.image_attrs(job.image) is None:
        raise SummlaunchError(
            f"image {job.image} is not on this engine; build it first with "
            f"`summlaunch build --stack {stack_choice(args)[1]}` (same --pin/--base-image) "
            "or pass --image REF")
    for host in job.mounts:
        Path(host).mkdir(parents=True, exist_ok=True)
    print(f"summlaunch run --docker: {job.image}: {' '.join(job.command)}", file=sys.stderr)
    code = engine.run(job.image, list(job.command), env=job.env, mounts=job.mounts, gpus=job.gpus,
                      user=job.user, on_line=lambda line: print(line, flush=True))
    print(f"summlaunch run --docker: outputs in {job.host_output_dir} (exit code {code})", file=sys.stderr)
    return code
