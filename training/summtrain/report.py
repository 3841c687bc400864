"""The end-of-run summary: ROUGE before and after training, and where the outputs are."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from summtrain.metrics import ROUGE_KEYS


def _cell(metrics: Mapping[str, Any] | None, key: str) -> str:
    if not metrics or f"eval_{key}" not in metrics:
        return "-"
    return f"{metrics[f'eval_{key}']:.2f}"


def summary_lines(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, output_dir: str | Path,
                  samples: int | None = None) -> list[str]:
    title = f"ROUGE on {samples} validation samples" if samples else "ROUGE on the validation set"
    width = max(len(title), 10)
    lines = [f"{title:<{width}}  {'before':>8}  {'after':>8}", "-" * (width + 20)]
    for key in ROUGE_KEYS:
        lines.append(f"{key:<{width}}  {_cell(before, key):>8}  {_cell(after, key):>8}")
    lines += ["", f"Outputs: {Path(output_dir).resolve()}",
              "  model and tokenizer, all_results.json, trainer_state.json, generated_predictions.txt, README.md"]
    return lines


def print_summary(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, output_dir: str | Path,
                  samples: int | None = None) -> None:
    print("\n" + "\n".join(summary_lines(before, after, output_dir, samples)), flush=True)
