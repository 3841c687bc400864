"""Find the data folders (manifests/, images/, charts/) from a checkout or a wheel."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


@lru_cache(maxsize=None)
def asset_dir(name: str) -> Path:
    """Return the folder `name` (manifests, images or charts).

    An installed wheel carries them in summlaunch/_assets; an editable install or a
    plain checkout has them at the top of the repository.
    """
    for root in (_PACKAGE / "_assets", _CHECKOUT):
        candidate = root / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"summlaunch data folder {name!r} not found under {_PACKAGE / '_assets'} or {_CHECKOUT}")
