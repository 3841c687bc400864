"""Digests of built images, recorded per user (~/.cache/summlaunch/images.json).

`summlaunch build --push` records the registry digest of each image it pushed; render pins
an image it names to `tag@sha256:...` from here. Kept apart from summlaunch.images.stacks so that
rendering a job with a given image imports nothing else.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from summlaunch.images.stacks import ImageSpec


def _record_path() -> Path:
    root = os.environ.get("SUMMLAUNCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "summlaunch")
    return Path(root) / "images.json"


def load_records() -> dict[str, dict]:
    try:
        return json.loads(_record_path().read_text())
    except (FileNotFoundError, ValueError):
        return {}


def record_image(ref: str, *, image_id: str, digest: str | None = None, spec: ImageSpec | None = None) -> None:
    """Remember a built (and maybe pushed) image: its id, registry digest and pins."""
    records = load_records()
    entry = records.get(ref, {})
    entry.update({"image_id": image_id})
    if digest:
        entry["digest"] = digest
    if spec is not None:
        entry["pins"] = spec.pin_strings()
        entry["base_image"] = spec.base_image
    records[ref] = entry
    path = _record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(records, indent=2, sort_keys=True))
    tmp.replace(path)


def pinned_ref(ref: str) -> str:
    """`ref@sha256:...` when a push recorded the registry digest of `ref`, else `ref` unchanged."""
    if "@" in ref:
        return ref
    digest = load_records().get(ref, {}).get("digest")
    return f"{ref}@{digest}" if digest else ref
