"""The embedded default: a tiny T5-style model, its tokenizer and a synthetic dataset.

- `generate.py` writes the dataset (`data/{train,validation,test}.jsonl`, fields
  `article` and `summary`) deterministically: `python -m summtrain.assets.generate`.
- `build_model.py` trains the tokenizer on that data and writes a freshly initialised
  tiny T5 (`tiny-t5/`): `python -m summtrain.assets.build_model`.

Both outputs ship in the package, so the default run needs no build step.
"""

from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).resolve().parent
DATA_DIR = ASSETS / "data"
MODEL_DIR = ASSETS / "tiny-t5"
TEXT_COLUMN = "article"
SUMMARY_COLUMN = "summary"


def data_file(split: str) -> Path:
    """The bundled split (`train`, `validation` or `test`) as a JSON Lines file."""
    return DATA_DIR / f"{split}.jsonl"
