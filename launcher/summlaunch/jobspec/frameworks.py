"""Framework facts, one table: each --framework's summtrain back end, default and allowed job
kinds, and the image stack it runs in. Everything else (spec, kinds, run, build) reads this."""

from __future__ import annotations

from typing import NamedTuple


class Framework(NamedTuple):
    name: str
    backend: str  # summtrain --backend
    default_kind: str  # --kind auto
    kinds: tuple[str, ...]  # the kinds that can run it
    stack: str  # images/versions.toml stack of its image
    launcher: str  # how several processes start on one node: torchrun | accelerate | none


TABLE: dict[str, Framework] = {f.name: f for f in (
    Framework("torch", "trainer", "pytorchjob", ("pytorchjob", "trainjob", "job"), "torch-cuda", "torchrun"),
    Framework("accelerate", "accelerate", "pytorchjob", ("pytorchjob", "trainjob", "job"), "torch-cuda",
              "accelerate"),
    Framework("tf", "tf", "tfjob", ("tfjob", "job"), "tf", "none"),
    Framework("xla", "xla", "jobset", ("jobset",), "xla", "none"),
)}
NAMES: tuple[str, ...] = tuple(TABLE)
BACKENDS: tuple[str, ...] = tuple(f.backend for f in TABLE.values())


def get(name: str) -> Framework:
    return TABLE[name]


def for_stack(stack: str) -> str:
    """The framework an image stack runs by default (torch-cpu and torch-cuda: torch)."""
    for framework in TABLE.values():
        if framework.stack == stack:
            return framework.name
    return "torch" if stack.startswith("torch") else stack


def framework_and_stack(framework: str | None, stack: str | None) -> tuple[str, str]:
    """(framework, image stack) from `--framework` and `--stack` (either may be missing).

    The stack defaults to the framework's, the framework to the stack's. A stack name given
    as --framework (the old spelling, e.g. `build --framework torch-cpu`) is still taken as
    --stack, silently (scripts and one-line error tests rely on a clean stderr).
    """
    from summlaunch.images.stacks import stack_name

    if framework is not None and framework not in TABLE:
        if stack is not None:
            raise ValueError(f"--framework {framework!r}: choose one of {', '.join(NAMES)}")
        framework, stack = None, framework
    stack = stack_name(stack or TABLE[framework or "torch"].stack)
    return framework or for_stack(stack), stack
