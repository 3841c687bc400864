"""Output writing shared by every back end, in the upstream file formats.

- `save_metrics(output_dir, split, metrics)`: `<split>_results.json` and the merged
  `all_results.json` (split is `train`, `eval` or `predict`; keys keep the upstream
  prefixes: `train_loss`, `eval_rouge1`, `predict_rougeLsum`, ...);
- `write_predictions(output_dir, texts)`: `generated_predictions.txt`, one per line;
- `write_model_card(output_dir, ...)`: `README.md` with the base model, data and results;
- `write_run_marker` / `read_run_marker`: `summtrain_run.json`, which run owns the folder;
- `inspect_output_dir(output_dir)`: what the folder holds (nothing, a checkpoint, files).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = "summtrain_run.json"
_CHECKPOINT = re.compile(r"^(?:checkpoint-|step_|epoch_)(\d+)$")


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(dict(data), indent=4, sort_keys=True) + "\n")


def save_metrics(output_dir: str | Path, split: str, metrics: Mapping[str, Any],
                 also_in_all: Mapping[str, Any] | None = None) -> None:
    """`also_in_all`: keys for all_results.json only (upstream TF's unprefixed `rouge1`, ...)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / f"{split}_results.json", metrics)
    all_path = out / "all_results.json"
    merged = json.loads(all_path.read_text()) if all_path.exists() else {}
    merged.update(metrics)
    merged.update(also_in_all or {})
    _write_json(all_path, merged)


def write_predictions(output_dir: str | Path, texts: list[str]) -> Path:
    path = Path(output_dir) / "generated_predictions.txt"
    path.write_text("".join(t.replace("\n", " ").strip() + "\n" for t in texts))
    return path


_CARD_HYPERPARAMETERS = ("learning_rate", "per_device_train_batch_size", "num_train_epochs", "max_steps", "seed",
                         "lr_scheduler_type", "fp16", "bf16")


def write_run_model_card(args: Any, backend: str, metrics: Mapping[str, Any] | None) -> Path:
    """The model card of a finished run (any back end), from its parsed arguments."""
    d, t = args.data, args.training
    dataset = d.dataset_name or ("the bundled synthetic dataset" if args.embedded_default else "local files")
    if d.dataset_name and d.dataset_config_name:
        dataset = f"{d.dataset_name} ({d.dataset_config_name})"
    base = "summtrain embedded tiny T5" if args.embedded_default else args.model.model_name_or_path
    base = base or f"a new {args.summtrain.model_type} model"
    hyper = {k: getattr(t, k) for k in _CARD_HYPERPARAMETERS}
    return write_model_card(t.output_dir, base_model=base, dataset=dataset, backend=backend,
                            metrics=metrics or {}, hyperparameters=hyper)


def write_model_card(output_dir: str | Path, *, base_model: str, dataset: str, backend: str,
                     metrics: Mapping[str, Any], hyperparameters: Mapping[str, Any]) -> Path:
    lines = ["---", "library_name: transformers", "tags:", "- summarization", "- summtrain",
             f"base_model: {base_model}", "---", "", f"# {Path(output_dir).resolve().name}", "",
             f"Fine-tuned from `{base_model}` on {dataset} for summarization with summtrain "
             f"(back end: {backend}).", "", "## Results", ""]
    lines += [f"- {k}: {v}" for k, v in sorted(metrics.items())] or ["- (no evaluation)"]
    lines += ["", "## Training hyperparameters", ""] + [f"- {k}: {v}" for k, v in hyperparameters.items()]
    path = Path(output_dir) / "README.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_run_marker(output_dir: str | Path, identity: Mapping[str, Any] | None) -> None:
    """Record which run owns output_dir (None: an evaluation/prediction-only run, which owns nothing)."""
    if identity is None:
        return
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / MARKER, identity)


def read_run_marker(output_dir: str | Path) -> dict[str, Any] | None:
    path = Path(output_dir) / MARKER
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@dataclass
class OutputDirState:
    exists: bool
    files: list[str]  # top-level names, sorted
    last_checkpoint: Path | None
    marker: dict[str, Any] | None


def _global_step(folder: Path) -> int | None:
    """The update count a complete checkpoint folder was saved at (its trainer_state.json, else the number
    in its name); None when it has no trainer_state.json."""
    try:
        state = json.loads((folder / "trainer_state.json").read_text())
    except OSError:
        return None
    except ValueError:
        state = {}
    step = state.get("global_step") if isinstance(state, dict) else None
    return int(step) if isinstance(step, int) else int(_CHECKPOINT.match(folder.name).group(1))


def checkpoint_folders(output_dir: str | Path) -> list[Path]:
    """Complete checkpoints, oldest first: the Trainer's `checkpoint-N` and run_summarization_no_trainer.py's
    `step_N` / `epoch_N` (each with a trainer_state.json)."""
    out = Path(output_dir)
    if not out.is_dir():
        return []
    found = [(step, p.name, p) for p in out.iterdir()
             if p.is_dir() and _CHECKPOINT.match(p.name) and (step := _global_step(p)) is not None]
    return [p for _, _, p in sorted(found)]


def last_checkpoint(output_dir: str | Path) -> Path | None:
    found = checkpoint_folders(output_dir)
    return found[-1] if found else None


def all_checkpoint_folders(output_dir: str | Path) -> list[Path]:
    """Every checkpoint-looking folder, complete or not (what --overwrite_output_dir removes)."""
    out = Path(output_dir)
    return sorted(p for p in out.iterdir() if p.is_dir() and _CHECKPOINT.match(p.name)) if out.is_dir() else []


def inspect_output_dir(output_dir: str | Path) -> OutputDirState:
    out = Path(output_dir)
    if not out.is_dir():
        return OutputDirState(out.exists(), [], None, None)
    return OutputDirState(True, sorted(p.name for p in out.iterdir()), last_checkpoint(out), read_run_marker(out))
