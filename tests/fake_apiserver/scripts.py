"""PodScript: how a fake pod behaves (log lines, exit code, a real process, scheduling and pull faults)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Callable, Iterable

DEFAULT_LINES = ("starting", "step 1 loss 2.000", "step 2 loss 1.500", "done")


@dataclass
class RunContext:
    """What a script callable gets: the pod (as created), its restart count, the container's env."""
    pod: dict
    restart_count: int
    env: dict

    @property
    def name(self) -> str:
        return self.pod["metadata"]["name"]


@dataclass
class PodScript:
    """Behaviour of the pods whose name matches `pattern` (a glob; "ns/name" globs match the namespace too).

    lines: items written to the main container's log: a str is a line, a number sleeps that many seconds,
      a (delay, line) pair sleeps then writes. Or a callable(RunContext) returning such an iterable; a
      generator may `return` an exit code. Default: a few training-like lines.
    process: run a real subprocess as the container: True runs the container's command+args, a list runs
      that argv. Its stdout and stderr become the log; its exit code the container's (SIGKILL -> 137).
      `env` is added on top of the container's env; `path_map` rewrites path prefixes (e.g.
      {"/workspace": tmpdir}) in argv and env; MASTER_ADDR/PET_MASTER_ADDR become 127.0.0.1 and their
      ports a free loopback port shared by the job.
    hold: after the lines, keep running until killed (kubelet.kill) or deleted.
    unschedulable / image_pull_error: the pod stays Pending with FailedScheduling events / ErrImagePull
      then ImagePullBackOff, until `release()` clears the fault.
    """
    pattern: str = "*"
    lines: Iterable | Callable | None = DEFAULT_LINES
    line_delay: float = 0.0
    exit_code: int = 0
    process: bool | list | None = None
    env: dict = field(default_factory=dict)
    cwd: str | None = None
    path_map: dict = field(default_factory=dict)
    hold: bool = False
    unschedulable: str | None = None
    image_pull_error: str | None = None
    schedule_delay: float = 0.02
    start_delay: float = 0.02
    exit_codes: list = field(default_factory=list)  # per attempt (restart count); falls back to exit_code

    def matches(self, namespace: str, name: str) -> bool:
        target = f"{namespace}/{name}" if "/" in self.pattern else name
        return fnmatch.fnmatchcase(target, self.pattern)

    def exit_for(self, restart_count: int) -> int:
        if restart_count < len(self.exit_codes):
            return self.exit_codes[restart_count]
        return self.exit_code

    def release(self) -> None:
        """Let pods held Pending by `unschedulable` or `image_pull_error` go on."""
        self.unschedulable = None
        self.image_pull_error = None
