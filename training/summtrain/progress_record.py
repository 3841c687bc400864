"""Structured progress records: one JSON line per logging step and per evaluation.

summtrain writes them (every back end, on the main process only) to stdout, so that
`summlaunch status` and `summlaunch logs` read progress as data, not by matching human
log text. This module is the one definition of the line's shape; it imports only the
standard library, so the launcher can import it without any ML stack.

A line is ``PREFIX`` followed by one JSON object::

    summtrain.progress {"event": "train", "step": 40, "max_steps": 200, "epoch": 0.5,
                        "loss": 2.31, "learning_rate": 4.6e-05, "samples_per_second": 12.5,
                        "elapsed_s": 10.2, "time": "2026-12-04T04:05:06.123456Z"}
    summtrain.progress {"event": "eval", "step": 200, "max_steps": 200, "epoch": 1.0,
                        "metrics": {"eval_loss": 1.9, "eval_rouge1": 23.1}, ...}

``event`` is ``"train"`` (a logging step), ``"eval"`` (an evaluation) or ``"end"`` (training
finished). Every other key is optional; readers ignore keys they do not know.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

PREFIX = "summtrain.progress "
EVENTS = ("train", "eval", "end")
NUMBER_KEYS = ("epoch", "loss", "learning_rate", "samples_per_second", "elapsed_s")
INT_KEYS = ("step", "max_steps")


def _clean(value: Any) -> Any:
    """JSON-safe numbers: NaN/inf become None (strict JSON has no spelling for them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    return value


def format_record(event: str, **fields: Any) -> str:
    """The line for one record (no trailing newline). Unknown events are a programming error."""
    if event not in EVENTS:
        raise ValueError(f"progress event must be one of {EVENTS}, not {event!r}")
    record: dict[str, Any] = {"event": event}
    record.update({k: _clean(v) for k, v in fields.items() if v is not None})
    record.setdefault("time", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    return PREFIX + json.dumps(record, separators=(",", ":"), sort_keys=True)


def parse_record(line: str) -> dict[str, Any] | None:
    """The record on a log line, or None when the line is not one (or is damaged).

    The prefix may follow other text on the line (a container runtime's timestamp, a
    replica prefix); only well-formed records with a known event are returned.
    """
    at = line.find(PREFIX)
    if at < 0:
        return None
    try:
        record = json.loads(line[at + len(PREFIX):])
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("event") not in EVENTS:
        return None
    for key in INT_KEYS:
        if key in record and not (isinstance(record[key], int) and not isinstance(record[key], bool)):
            record.pop(key)
    for key in NUMBER_KEYS:
        value = record.get(key)
        if key in record and (isinstance(value, bool) or not isinstance(value, (int, float))):
            record.pop(key)
    if not isinstance(record.get("metrics", {}), dict):
        record.pop("metrics")
    return record
