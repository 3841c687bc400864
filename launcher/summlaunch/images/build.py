"""Build (and push) the training image of an ImageSpec; used by `summlaunch build` and `submit`."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from summlaunch.images import build_inputs
from summlaunch.images.context import BuildSources, write_context
from summlaunch.images.stacks import ImageSpec, record_image, tag_for


@dataclass(frozen=True)
class BuildRequest:
    spec: ImageSpec
    sources: BuildSources
    registry: str | None = None
    push: bool = False
    force: bool = False
    nocache: bool = False
    quiet: bool = False


@dataclass(frozen=True)
class BuildOutcome:
    ref: str
    image_id: str
    built: bool
    digest: str | None = None
    rebuilt_steps: tuple[str, ...] = ()
    cached_steps: int = 0

    def as_dict(self) -> dict:
        return {"image": self.ref, "image_id": self.image_id, "built": self.built, "digest": self.digest,
                "rebuilt_steps": list(self.rebuilt_steps), "cached_steps": self.cached_steps}


def build_image(request: BuildRequest, engine=None, display=None) -> BuildOutcome:
    """Build `request.spec` unless the engine already has its tag; push when asked."""
    from summlaunch.images import engine as docker_engine
    from summlaunch.images.build_progress import EngineDisplay

    request.sources.check()
    ref = tag_for(request.spec, request.registry)
    engine = engine or docker_engine.connect()
    display = display or EngineDisplay(f"building {ref}", quiet=request.quiet)
    existing = None if request.force or request.nocache else _existing(engine, request.spec, ref)
    with display:
        if existing is not None:
            display.print(f"{ref} is up to date (same pins, templates and training package)")
            outcome = BuildOutcome(ref, existing["Id"], built=False)
        else:
            outcome = _build(request, ref, engine, display)
        if request.push:
            digest = engine.push(ref, display.on_event)
            record_image(ref, image_id=outcome.image_id, digest=digest, spec=request.spec)
            outcome = BuildOutcome(ref, outcome.image_id, outcome.built, digest,
                                   outcome.rebuilt_steps, outcome.cached_steps)
    if not request.push:
        record_image(ref, image_id=outcome.image_id, spec=request.spec)
    return outcome


def _build(request: BuildRequest, ref: str, engine, display) -> BuildOutcome:
    engine.ensure_image(request.spec.base_image, display.on_event)
    sources = request.sources
    workdir = Path(tempfile.mkdtemp(prefix="summlaunch-build-"))
    try:
        with build_inputs.serve(sources.ca_cert, sources.wheelhouse) as inputs:
            write_context(request.spec, sources, workdir / "context", inputs)
            result = engine.build(workdir / "context", ref, display.on_event, nocache=request.nocache,
                                  network_mode=inputs.network_mode)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    cached = sum(1 for _, hit in result.steps if hit)
    return BuildOutcome(ref, result.image_id, built=True, rebuilt_steps=tuple(result.rebuilt),
                        cached_steps=cached)


def _existing(engine, spec: ImageSpec, ref: str) -> dict | None:
    """The image already built for this content: under `ref`, or locally under another registry."""
    attrs = engine.image_attrs(ref)
    if attrs is not None:
        return attrs
    local = tag_for(spec, None)
    attrs = engine.image_attrs(local) if local != ref else None
    if attrs is not None:
        engine.tag(local, ref)
    return attrs
