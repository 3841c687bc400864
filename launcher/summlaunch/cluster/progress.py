"""Training progress as data: summtrain's structured progress records, and a TrainJob's trainerStatus.

summtrain writes one record per logging step and evaluation (summtrain.progress_record, the
one definition of the line; stdlib only, so importing it pulls in no ML library). `Progress`
reads those lines from a log and ignores every other line: no regular expressions over human
text. Where Kubeflow Trainer sets a TrainJob's `status.trainerStatus` (progress percentage,
remaining seconds, metrics), `take_trainer_status` reads it; the server's figures win.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from summtrain.progress_record import parse_record

ROUGE_KEYS = ("rouge1", "rouge2", "rougeL", "rougeLsum")


@dataclass
class Progress:
    step: int | None = None
    max_steps: int | None = None
    epoch: float | None = None
    loss: float | None = None
    learning_rate: float | None = None
    samples_per_second: float | None = None
    eval_loss: float | None = None
    rouge: dict[str, float] = field(default_factory=dict)
    elapsed_s: float | None = None
    eta_s: float | None = None
    percent: float | None = None
    finished: bool = False

    def feed(self, text: str, ts: str | None = None) -> None:
        """One log line; only a progress record changes anything (`ts` is accepted and unused)."""
        record = parse_record(text)
        if record is not None:
            self.take(record)

    def take(self, record: dict[str, Any]) -> None:
        for key in ("step", "max_steps", "epoch", "elapsed_s"):
            if record.get(key) is not None:
                setattr(self, key, record[key])
        if record["event"] == "train":
            for key in ("loss", "learning_rate", "samples_per_second"):
                if record.get(key) is not None:
                    setattr(self, key, record[key])
        elif record["event"] == "eval":
            self._metrics(record.get("metrics") or {})
        else:
            self.finished = True

    def _metrics(self, metrics: dict[str, Any]) -> None:
        for key, value in metrics.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            bare = key.split("_", 1)[1] if key.startswith(("eval_", "predict_", "test_")) else key
            if key == "eval_loss":
                self.eval_loss = number
            elif key in ("loss", "train_loss"):
                self.loss = number
            elif bare in ROUGE_KEYS:
                self.rouge[bare] = number

    def take_trainer_status(self, status: dict[str, Any] | None) -> None:
        """A TrainJob's `status.trainerStatus` (Kubeflow Trainer, TrainJobStatus feature gate), if set."""
        if not status:
            return
        if status.get("progressPercentage") is not None:
            self.percent = float(status["progressPercentage"])
        if status.get("estimatedRemainingSeconds") is not None:
            self.eta_s = float(status["estimatedRemainingSeconds"])
        self._metrics({m["name"]: m["value"] for m in status.get("metrics") or [] if "name" in m})

    def summary(self) -> dict[str, Any]:
        out = asdict(self)
        if out["percent"] is None and self.step is not None and self.max_steps:
            out["percent"] = 100 * self.step / self.max_steps
        if out["eta_s"] is None and self.step and self.max_steps and self.elapsed_s and not self.finished:
            out["eta_s"] = self.elapsed_s / self.step * max(self.max_steps - self.step, 0)
        return out


def record_line(text: str) -> str | None:
    """A log line shown by `logs --progress`: `train: step 40/200 (20%)  loss 2.3100 ...`, or None
    for a line that is not a progress record."""
    record = parse_record(text)
    if record is None:
        return None
    one = Progress()
    one.take(record)
    return f"{record['event']}: {describe(one.summary())}"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def describe(summary: dict[str, Any]) -> str:
    """`step 40/200 (20%)  loss 2.3100  rouge1 0.2310  elapsed 0m10s  ETA 0m40s`, or `-`."""
    parts = []
    pct = f" ({summary['percent']:.0f}%)" if summary.get("percent") is not None else ""
    if summary.get("step") is not None:
        total = summary.get("max_steps")
        parts.append(f"step {summary['step']}" + (f"/{total}" if total else "") + pct)
    elif pct:
        parts.append(f"progress{pct}")
    if summary.get("epoch") is not None:
        parts.append(f"epoch {summary['epoch']:.2f}")
    for key in ("loss", "eval_loss"):
        if summary.get(key) is not None:
            parts.append(f"{key.replace('_', ' ')} {summary[key]:.4f}")
    parts += [f"{k} {v:.4f}" for k, v in (summary.get("rouge") or {}).items()]
    if summary.get("samples_per_second") is not None:
        parts.append(f"{summary['samples_per_second']:.1f} samples/s")
    if summary.get("elapsed_s") is not None:
        parts.append(f"elapsed {fmt_duration(summary['elapsed_s'])}")
    if summary.get("eta_s") is not None:
        parts.append(f"ETA {fmt_duration(summary['eta_s'])}")
    return "  ".join(parts) or "-"
