"""Live display of the engine's build, pull and push streams (rich).

The current build step and the layers being downloaded, extracted or pushed show
as progress bars; the output of each step (pip's log, the engine's messages)
scrolls above them as it arrives. On a terminal without colour (NO_COLOR) or
with no terminal at all, the same lines are printed plainly.
"""

from __future__ import annotations

import re
import sys
from collections import deque
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.filesize import decimal
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")


class EngineDisplay:
    """Feed it engine events (`on_event`); use as a context manager around the stream."""

    def __init__(self, title: str, *, console: Console | None = None, quiet: bool = False):
        self.console = console or Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[amount]}"),
            TimeElapsedColumn(), console=self.console, transient=True,
            disable=quiet or not self.console.is_terminal,
        )
        self._step_task = self.progress.add_task(title, total=None, amount="")
        self._layers: dict[str, Any] = {}
        self._tail: deque[str] = deque(maxlen=40)  # shown on failure when quiet

    def __enter__(self) -> "EngineDisplay":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def print(self, text: str, style: str | None = None) -> None:
        if not self.quiet:
            self.console.print(escape(text), style=style, soft_wrap=True)

    def on_event(self, event: dict) -> None:
        if "stream" in event:
            self._on_stream(event["stream"])
        elif "status" in event:
            self._on_status(event)
        elif "error" in event:
            if self.quiet:
                for line in self._tail:
                    self.console.print(escape(line), soft_wrap=True)
            self.console.print(escape(event["error"].rstrip()), style="bold red", soft_wrap=True)

    def _on_stream(self, text: str) -> None:
        for line in text.rstrip("\n").split("\n"):
            m = _STEP.match(line)
            if m:
                done, total, what = int(m.group(1)), int(m.group(2)), m.group(3)
                self.progress.update(self._step_task, description=f"step {done}/{total}: {what[:60]}",
                                     total=total, completed=done - 1, amount=f"{done}/{total}")
                self.print(line, style="bold")
            elif line.strip():
                self._tail.append(line)
                self.print(line, style="dim" if line.startswith(" ---> ") else None)

    def _on_status(self, event: dict) -> None:
        layer, status = event.get("id"), event.get("status", "")
        detail = event.get("progressDetail") or {}
        if not layer or not detail.get("total"):
            if layer and layer in self._layers and status in ("Pull complete", "Pushed", "Layer already exists"):
                self.progress.remove_task(self._layers.pop(layer))
            elif not layer:
                self.print(status)
            return
        key = f"{layer}"
        if key not in self._layers:
            self._layers[key] = self.progress.add_task(f"{status.lower()} {layer}", total=detail["total"], amount="")
        current = detail.get("current", 0)
        self.progress.update(self._layers[key], description=f"{status.lower()} {layer}", completed=current,
                             total=detail["total"], amount=f"{decimal(current)}/{decimal(detail['total'])}")


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
