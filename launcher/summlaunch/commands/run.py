"""`summlaunch run`: train on this machine (no flags: the embedded default, tiny T5 on bundled data).

Training flags are the upstream `run_summarization.py` flags, given directly
(`summlaunch run --model_name_or_path t5-small ...`) or after `--`. They are checked here
with `summtrain.flagschema` (no ML import) before anything starts, then summtrain runs
in a child process with the same Python. Structure: `main` checks and dispatches, each
mode (today: local) is one function taking the checked training argv.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence

HELP = "train locally; with no flags, the embedded default (tiny T5 on bundled data, CPU, minutes)"
DESCRIPTION = (
    "Run summtrain on this machine. Training flags (the upstream run_summarization.py flags) go "
    "directly or after `--`; with none, the embedded default trains a tiny T5 on bundled data."
)
PASSTHROUGH = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="print the command that would run, and exit")
    from summlaunch.images import docker_run  # light: the engine is imported only when a container runs

    docker_run.add_arguments(parser)


def check_train_flags(train_argv: Sequence[str]) -> dict:
    """Validate the training flags (raises summtrain's UsageError: one line, exit 2)."""
    from summtrain.flagschema import parse_train_flags

    return parse_train_flags(train_argv)


def local_command(train_argv: Sequence[str], framework: str | None = None) -> list[str]:
    """This Python running summtrain with the container command's flags (summlaunch.container);
    a `--backend` among the training flags stands when no --framework is given."""
    from summlaunch import container
    from summlaunch.errors import SummlaunchError

    given = check_train_flags(train_argv).get("backend")
    if given is not None and framework is None:
        return [sys.executable, "-m", "summtrain", *train_argv]
    args = container.summtrain_args(framework or "torch", train_argv)
    if given is not None and given != args[1]:
        raise SummlaunchError(f"--backend {given}: --framework {framework} runs the {args[1]} back end; drop one")
    return [sys.executable, "-m", "summtrain", *(train_argv if given else args)]


def run_local(train_argv: Sequence[str], dry_run: bool = False, framework: str | None = None) -> int:
    import subprocess

    command = local_command(train_argv, framework)
    if dry_run:
        print(shlex.join(command))
        return 0
    return subprocess.run(command, check=False).returncode


def main(args: argparse.Namespace, train_argv: list[str]) -> int:
    check_train_flags(train_argv)
    from summlaunch.images import docker_run

    if docker_run.wanted(args):  # `--docker`: the same run in the built image
        return docker_run.run(args, train_argv)
    return run_local(train_argv, dry_run=args.dry_run, framework=getattr(args, "framework", None))
