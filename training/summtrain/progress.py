"""The writer side of the structured progress records (`progress_record`): one line on stdout per
logging step and per evaluation, on the main process of every back end.

Each back end already keeps the Trainer's `log_history` entries (`{"loss", "learning_rate", "epoch",
"step"}` for a logging step, `{"eval_...", "epoch", "step"}` for an evaluation); `Progress.entry`
turns one such entry into a record, adding the total steps, samples/s and the elapsed time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any

from summtrain.progress_record import format_record


class Progress:
    """Records of one training run. `samples_per_update`: samples in one optimizer update, all processes."""

    def __init__(self, max_steps: int, samples_per_update: int, enabled: bool = True, start_step: int = 0) -> None:
        self.max_steps, self.samples_per_update, self.enabled = max_steps, samples_per_update, enabled
        self.start, self.start_step = time.monotonic(), start_step

    def _timing(self, step: int) -> dict[str, float]:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = (step - self.start_step) * self.samples_per_update / elapsed if step > self.start_step else None
        return {"elapsed_s": round(elapsed, 3), "samples_per_second": None if rate is None else round(rate, 3)}

    def entry(self, entry: Mapping[str, Any]) -> None:
        """A log_history entry: an evaluation when it holds `eval_` keys, else a logging step."""
        if not self.enabled:
            return
        step = int(entry.get("step", 0))
        metrics = {k: v for k, v in entry.items() if k.startswith("eval_")}
        common = {"step": step, "max_steps": self.max_steps, "epoch": entry.get("epoch"), **self._timing(step)}
        if metrics:
            emit("eval", metrics=metrics, **common)
        elif "loss" in entry:
            emit("train", loss=entry["loss"], learning_rate=entry.get("learning_rate"), **common)

    def end(self, step: int, epoch: float | None = None) -> None:
        if self.enabled:
            emit("end", step=step, max_steps=self.max_steps, epoch=epoch, **self._timing(step))


def emit(event: str, **fields: Any) -> None:
    print(format_record(event, **fields), file=sys.stdout, flush=True)
