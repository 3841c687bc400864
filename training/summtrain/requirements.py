"""The version ranges summtrain declares for each training stack (the extras of pyproject.toml), as data.

`requirements.json` holds, per stack (`torch`, `tf`, `xla`), each package's range: the extra's
range, or, where the extra pins an exact pair that must move together (xla: torch and torch-xla),
the range that pin sits in; a test keeps the two consistent. The launcher reads it through
`declared_ranges(stack)` to refuse an image pin outside them before any engine call. Only the
standard library is imported.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

PATH = Path(__file__).resolve().parent / "requirements.json"
STACK_OF_IMAGE = {"torch-cuda": "torch", "torch-cpu": "torch", "torch": "torch", "tf": "tf", "xla": "xla"}


@functools.cache
def load() -> dict[str, dict[str, str]]:
    return json.loads(PATH.read_text())["stacks"]


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_ranges(stack: str) -> dict[str, str]:
    """{normalized package name: range such as '>=4.44,<5'} for a stack (an extra or an image stack name)."""
    extra = STACK_OF_IMAGE.get(stack, stack)
    return {normalize(k): v for k, v in load().get(extra, {}).items()}
