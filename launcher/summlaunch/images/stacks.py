"""ImageSpec: what a training image holds, its content-hash tag, and the digests of built images.

`image_ref(framework, pins)` is the tag `summlaunch build` produces for the same
inputs. It is cheap (no docker, no jinja): it reads images/versions.toml, checks
the pins, and hashes the pin set, the Dockerfile templates and the training
package's files.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from summlaunch.assets import asset_dir
from summlaunch.images.records import load_records, pinned_ref, record_image  # re-exported
from summlaunch.images.rules import (Pin, PinError, check, check_declared, load_versions, normalize, parse_pin,
                                     suggest)

# Bump when the way a build context is laid out changes (it changes every tag).
CONTEXT_FORMAT = 1
REPOSITORY = "summtrain"
_IMAGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$")
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class ImageSpec:
    """A resolved, checked image: stack, base, Python and every pinned package."""

    stack: str
    template: str
    base_image: str
    python: str
    pins: tuple[Pin, ...]
    cuda: str | None = None
    system_packages: tuple[str, ...] = ()
    index_urls: tuple[str, ...] = ()

    def pin_strings(self) -> list[str]:
        return [str(p) for p in self.pins]

    def identity(self) -> dict:
        """Everything about the spec that changes what ends up in the image."""
        return {
            "format": CONTEXT_FORMAT, "stack": self.stack, "template": self.template,
            "base_image": self.base_image, "python": self.python, "cuda": self.cuda,
            "system_packages": list(self.system_packages), "index_urls": list(self.index_urls),
            "pins": self.pin_strings(),
        }


def stack_names() -> list[str]:
    return list(load_versions()["stacks"])


def stack_name(framework: str) -> str:
    """The stack for a framework name or alias ('torch' -> 'torch-cuda')."""
    stacks = load_versions()["stacks"]
    if framework in stacks:
        return framework
    for name, stack in stacks.items():
        if framework in stack.get("aliases", []):
            return name
    known = stack_names() + [a for s in stacks.values() for a in s.get("aliases", [])]
    close = difflib.get_close_matches(framework, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise PinError(f"--stack {framework!r}: unknown stack; {hint}choose one of {', '.join(stack_names())}")


def _base_cuda(base_image: str, default: str | None, overridden: bool) -> str | None:
    if not overridden:
        return default
    m = re.search(r"cuda:(\d+\.\d+)", base_image)
    return m.group(1) if m else None


def resolve(framework: str, pins: Sequence[str] = (), base_image: str | None = None) -> ImageSpec:
    """Defaults of the stack, overridden by `pins`, checked against the rules.

    Raises PinError naming the two conflicting pins and a set that works.
    """
    name = stack_name(framework)
    stack = load_versions()["stacks"][name]
    defaults = {p.key: p for p in map(parse_pin, stack["pins"])}
    chosen, user, python = dict(defaults), set(), stack["python"]
    for text in pins:
        pin = parse_pin(text)
        if pin.key == "python":
            python = pin.version
            continue
        chosen[pin.key] = pin
        user.add(pin.key)
    base = base_image or stack["base"].format(python=python)
    if not _IMAGE_RE.match(base):
        raise PinError(f"--base-image {base!r}: not an image reference (e.g. python:3.11-slim, "
                       "registry.example.com/team/base:1.0)")
    cuda = _base_cuda(base, stack.get("cuda"), base_image is not None)
    conflicts = check(chosen, python, cuda)
    if conflicts:
        raise PinError(_conflict_message(conflicts[0], chosen, user, python, cuda, defaults, name))
    check_declared(name, chosen, user)
    return ImageSpec(
        stack=name, template=stack["template"], base_image=base, python=python,
        pins=tuple(sorted(chosen.values())), cuda=cuda,
        system_packages=tuple(stack.get("system_packages", ())),
        index_urls=tuple(stack.get("index_urls", ())) + tuple(stack.get("extra_index_urls", ())),
    )


def _conflict_message(conflict, chosen, user, python, cuda, defaults, stack) -> str:
    head = f"pins {conflict.first} and {conflict.second} conflict: {conflict.reason}"
    if conflict.rule == "cuda-base-vs-torch":
        base = load_versions()["stacks"][stack]["base"]
        return f"{head}; a set that works: {conflict.first} on --base-image {base}"
    ok = suggest(conflict, chosen, user, python, cuda, defaults)
    if ok is None:
        return f"{head}; see `summlaunch versions` for the rules"
    changed = [str(p) for k, p in sorted(ok.items()) if chosen.get(k) != p]
    kept = [s for s in (conflict.first, conflict.second) if s in {str(p) for p in ok.values()}]
    dropped = [str(p) for k, p in sorted(chosen.items()) if k not in ok]
    if conflict.second.startswith("python=="):
        kept.append(conflict.second)
    if not changed and not dropped:
        return f"{head}; a set that works: the {stack} defaults (`summlaunch versions`)"
    works = " ".join(f"--pin {p}" for p in changed + kept)
    works += "".join(f" (without {d})" for d in dropped)
    return f"{head}; a set that works: {works}"


def _package_dir() -> Path:
    """The summtrain package that goes into images: $SUMMLAUNCH_TRAINING_PACKAGE, else the installed one."""
    override = os.environ.get("SUMMLAUNCH_TRAINING_PACKAGE")
    if override:
        path = Path(override)
        if not (path / "__init__.py").is_file():
            raise PinError(f"SUMMLAUNCH_TRAINING_PACKAGE={override}: not a summtrain package folder (no __init__.py)")
        return path
    found = importlib.util.find_spec("summtrain")
    if found is None or not found.submodule_search_locations:
        raise PinError("the training package summtrain is not installed; run `pip install -e .` first")
    return Path(list(found.submodule_search_locations)[0])


def package_files() -> list[tuple[str, Path]]:
    """(relative path, path) of every file of the training package, sorted."""
    root = _package_dir()
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for f in filenames:
            if not f.endswith(_SKIP_SUFFIXES):
                path = Path(dirpath) / f
                out.append(("summtrain/" + path.relative_to(root).as_posix(), path))
    return sorted(out)


def template_files() -> list[Path]:
    return sorted(asset_dir("images").glob("*.j2"))


def content_hash(spec: ImageSpec) -> str:
    """sha256 over the spec, the templates and the training package (hex)."""
    h = hashlib.sha256(json.dumps(spec.identity(), sort_keys=True).encode())
    for path in template_files():
        h.update(f"\0template\0{path.name}\0".encode())
        h.update(path.read_bytes())
    for rel, path in package_files():
        h.update(f"\0package\0{rel}\0".encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def tag_for(spec: ImageSpec, registry: str | None = None) -> str:
    repo = f"{registry.rstrip('/')}/{REPOSITORY}" if registry else REPOSITORY
    return f"{repo}:{spec.stack}-{content_hash(spec)[:16]}"


def image_ref(framework: str, pins: Sequence[str] = (), registry: str | None = None,
              base_image: str | None = None) -> str:
    """The tag `summlaunch build --framework F --pin ...` would produce for these inputs."""
    return tag_for(resolve(framework, pins, base_image), registry)


__all__ = [
    "ImageSpec", "Pin", "PinError", "content_hash", "image_ref", "load_records", "normalize",
    "pinned_ref", "record_image", "resolve", "stack_name", "stack_names", "tag_for",
]
