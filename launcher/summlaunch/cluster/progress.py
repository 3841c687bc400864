"""Training progress parsed from summtrain / Hugging Face Trainer log lines.

Understands the shapes those logs take: tqdm bars (`40/200 [00:10<00:40, 4.0it/s]`),
Trainer metric dicts (`{'loss': 2.31, 'epoch': 0.5}`, quoted values too), JSON lines,
and `key=value` pairs (`step=40 loss=2.31`). Pure: feed lines, read the summary.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

_TQDM = re.compile(r"(?<![\d.])(\d+)/(\d+) \[(\d+(?::\d+)+)<(\d+(?::\d+)+|\?)")
_STEP_OF = re.compile(r"\bstep[ =:]+(\d+)\s*/\s*(\d+)", re.IGNORECASE)
_KV = re.compile(r"\b([A-Za-z_][\w/]*)\s*[=:]\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\b")
_DICT = re.compile(r"\{[^{}]*\}")
ROUGE_KEYS = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def _seconds(clock: str) -> float | None:
    if clock == "?":
        return None
    total = 0.0
    for part in clock.split(":"):
        total = total * 60 + float(part)
    return total


def _metrics(text: str) -> dict[str, float]:
    """Numbers from a dict / JSON / key=value line."""
    found: dict[str, float] = {}
    for blob in _DICT.findall(text):
        for loader in (json.loads, ast.literal_eval):
            try:
                data = loader(blob)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if isinstance(data, dict):
                for k, v in data.items():
                    try:
                        found[str(k)] = float(v)
                    except (TypeError, ValueError):
                        pass
                break
    if not found:
        for k, v in _KV.findall(text):
            found[k] = float(v)
    return found


@dataclass
class Progress:
    step: int | None = None
    max_steps: int | None = None
    epoch: float | None = None
    loss: float | None = None
    eval_loss: float | None = None
    rouge: dict[str, float] = field(default_factory=dict)
    elapsed_s: float | None = None
    eta_s: float | None = None
    _first_ts: str | None = None
    _last_ts: str | None = None

    def feed(self, text: str, ts: str | None = None) -> None:
        """One log line (ts: sortable timestamp key from logs.split_timestamp, optional)."""
        if ts:
            self._first_ts = self._first_ts or ts
            self._last_ts = ts
        if "\r" in text:  # a tqdm bar redrawn in place: every redraw is one update
            for part in text.split("\r"):
                self.feed(part)
            return
        m = _TQDM.search(text)
        if m:
            self.step, self.max_steps = int(m.group(1)), int(m.group(2))
            self.elapsed_s, self.eta_s = _seconds(m.group(3)), _seconds(m.group(4))
            if "{" in text:  # Trainer prints its metrics dict right after the bar
                self._take(_metrics(text))
            return
        m = _STEP_OF.search(text)
        if m:
            self.step, self.max_steps = int(m.group(1)), int(m.group(2))
        self._take(_metrics(text))

    def _take(self, metrics: dict[str, float]) -> None:
        for key, value in metrics.items():
            bare = key.split("_", 1)[1] if key.startswith(("eval_", "predict_", "test_")) else key
            if key in ("loss", "train_loss"):
                self.loss = value
            elif key == "eval_loss":
                self.eval_loss = value
            elif bare in ROUGE_KEYS:
                self.rouge[bare] = value
            elif key in ("epoch",):
                self.epoch = value
            elif key in ("step", "global_step"):
                self.step = int(value)
            elif key in ("max_steps", "total_steps"):
                self.max_steps = int(value)

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        if self._first_ts and self._last_ts and self.elapsed_s is None:
            self.elapsed_s = (_parse(self._last_ts) - _parse(self._first_ts)).total_seconds()
            out["elapsed_s"] = self.elapsed_s
        if out["eta_s"] is None and self.step and self.max_steps and self.elapsed_s:
            out["eta_s"] = self.elapsed_s / self.step * max(self.max_steps - self.step, 0)
        return out


def _parse(key: str) -> datetime:
    return datetime.strptime(key[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def describe(summary: dict[str, Any]) -> str:
    """`step 40/200 (20%)  loss 2.310  rouge1 0.231  elapsed 0m10s  ETA 0m40s`, or `-`."""
    parts = []
    if summary.get("step") is not None:
        total = summary.get("max_steps")
        pct = f" ({100 * summary['step'] / total:.0f}%)" if total else ""
        parts.append(f"step {summary['step']}" + (f"/{total}" if total else "") + pct)
    if summary.get("epoch") is not None:
        parts.append(f"epoch {summary['epoch']:.2f}")
    for key in ("loss", "eval_loss"):
        if summary.get(key) is not None:
            parts.append(f"{key.replace('_', ' ')} {summary[key]:.4f}")
    parts += [f"{k} {v:.4f}" for k, v in (summary.get("rouge") or {}).items()]
    if summary.get("elapsed_s") is not None:
        parts.append(f"elapsed {fmt_duration(summary['elapsed_s'])}")
    if summary.get("eta_s") is not None:
        parts.append(f"ETA {fmt_duration(summary['eta_s'])}")
    return "  ".join(parts) or "-"
