"""Render the Dockerfile of an ImageSpec and write its build context (no engine needed).

The context holds:

    Dockerfile
    dist/summtrain-<version>-py3-none-any.whl   the training package, built here without a backend
    build-inputs/ca.pem, build-inputs/wheels/    --ca-cert, --wheelhouse: --dockerfile-only only,
                                                 bind-mounted by the pip step (summlaunch.images.build_inputs)

The wheel is byte-for-byte reproducible (fixed timestamps, sorted entries), so the
engine's layer cache hits whenever the training package did not change.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from summlaunch import __version__
from summlaunch.images import build_inputs
from summlaunch.assets import asset_dir
from summlaunch.images.build_inputs import InputsLayout
from summlaunch.errors import SummlaunchError
from summlaunch.images.stacks import ImageSpec, content_hash, package_files

_EPOCH = (1980, 1, 1, 0, 0, 0)
_ENTRY_POINTS = "[console_scripts]\nsummtrain = summtrain.__main__:main\n"


@dataclass(frozen=True)
class BuildSources:
    """Where pip finds packages during the build; not part of the image's identity."""

    ca_cert: Path | None = None
    wheelhouse: Path | None = None
    no_index: bool = False
    index_urls: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def check(self) -> None:
        if self.ca_cert is not None and not self.ca_cert.is_file():
            raise SummlaunchError(f"--ca-cert {self.ca_cert}: no such file; pass a PEM bundle")
        if self.wheelhouse is not None:
            if not self.wheelhouse.is_dir():
                raise SummlaunchError(f"--wheelhouse {self.wheelhouse}: no such directory")
            if not any(self.wheelhouse.glob("*.whl")):
                raise SummlaunchError(f"--wheelhouse {self.wheelhouse}: no .whl files in it")
        if self.no_index and self.wheelhouse is None:
            raise SummlaunchError("--no-index needs --wheelhouse DIR with every pinned package")


def pip_options(spec: ImageSpec, sources: BuildSources, inputs: InputsLayout) -> list[str]:
    opts: list[str] = []
    if inputs.ca_path:
        opts.append(f"--cert={inputs.ca_path}")
    if inputs.find_links:
        opts.append(f"--find-links={inputs.find_links}")
    if sources.no_index:
        return opts + ["--no-index"]
    urls = list(sources.index_urls or spec.index_urls)
    if urls:
        primary, extras = (urls[0], urls[1:]) if sources.index_urls else (None, urls)
        if primary:
            opts.append(f"--index-url={primary}")
        opts += [f"--extra-index-url={u}" for u in extras]
    return opts


def labels(spec: ImageSpec) -> list[tuple[str, str]]:
    """OCI labels plus one label per pin, so `docker inspect` tells what is inside."""
    out = [
        ("org.opencontainers.image.title", "summtrain"),
        ("org.opencontainers.image.description", f"summtrain training image, stack {spec.stack}"),
        ("org.opencontainers.image.version", __version__),
        ("org.opencontainers.image.base.name", spec.base_image),
        ("dev.summlaunch.stack", spec.stack),
        ("dev.summlaunch.python", spec.python),
        ("dev.summlaunch.pins", " ".join(spec.pin_strings())),
    ]
    if spec.cuda:
        out.append(("dev.summlaunch.cuda", spec.cuda))
    out += [(f"dev.summlaunch.pin.{p.key}", p.version) for p in spec.pins]
    return out


def render_dockerfile(spec: ImageSpec, sources: BuildSources, inputs: InputsLayout | None = None) -> str:
    """The Dockerfile; `inputs` says how the pip step reads --ca-cert and --wheelhouse
    (default: bind-mounted from the context, as --dockerfile-only writes it)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(asset_dir("images"))),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, autoescape=False,
    )
    template = env.get_template(f"{spec.template}.Dockerfile.j2")
    if inputs is None:
        inputs = build_inputs.mount_layout(sources.ca_cert, sources.wheelhouse)
    return template.render(
        template=spec.template, stack=spec.stack, base_image=spec.base_image,
        pins=spec.pin_strings(), system_packages=list(spec.system_packages),
        inputs=inputs, pip_options=pip_options(spec, sources, inputs),
        labels=labels(spec), content_hash=content_hash(spec),
    )


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(dest_dir: Path) -> Path:
    """A reproducible pure-Python wheel of the training package (no build backend needed)."""
    dist = f"summtrain-{__version__}"
    info = f"{dist}.dist-info"
    entries: list[tuple[str, bytes]] = [(rel, path.read_bytes()) for rel, path in package_files()]
    entries += [
        (f"{info}/METADATA", f"Metadata-Version: 2.1\nName: summtrain\nVersion: {__version__}\n"
                             "Summary: Summarization fine-tuning (training side of summlaunch)\n".encode()),
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: summlaunch\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{info}/entry_points.txt", _ENTRY_POINTS.encode()),
    ]
    record = "\n".join([_record_line(n, d) for n, d in entries] + [f"{info}/RECORD,,", ""])
    entries.append((f"{info}/RECORD", record.encode()))
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            item = zipfile.ZipInfo(name, date_time=_EPOCH)
            item.external_attr = 0o644 << 16
            item.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(item, data)
    return target


def write_context(spec: ImageSpec, sources: BuildSources, context_dir: Path,
                  inputs: InputsLayout | None = None) -> Path:
    """Write Dockerfile and context files into `context_dir` (created; must be empty or absent).

    With the default `inputs`, --ca-cert and --wheelhouse go into the context for a BuildKit
    bind mount (--dockerfile-only); `summlaunch build` passes the layout of its loopback server
    instead, and the context holds only the Dockerfile and the training wheel."""
    sources.check()
    context_dir = Path(context_dir)
    if context_dir.exists() and any(context_dir.iterdir()):
        raise SummlaunchError(f"--context-dir {context_dir}: directory is not empty; pass a new or empty one")
    dockerfile = render_dockerfile(spec, sources, inputs)
    context_dir.mkdir(parents=True, exist_ok=True)
    write_wheel(context_dir / "dist")
    if inputs is None or inputs.mount:
        build_inputs.write_into_context(context_dir, sources.ca_cert, sources.wheelhouse)
    (context_dir / "Dockerfile").write_text(dockerfile)
    return context_dir / "Dockerfile"


def describe(paths: Sequence[Path]) -> str:
    return ", ".join(str(p) for p in paths)
