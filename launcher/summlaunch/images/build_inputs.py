"""Build-only inputs (--ca-cert, --wheelhouse): read by the pip step, never in a layer.

One Dockerfile template, two ways in:

- `summlaunch build` drives the engine's classic builder through the docker SDK, which has no
  build mounts. For the length of the build, a server on 127.0.0.1 serves the CA bundle and the
  wheelhouse, and the build runs on the host network: the pip step fetches the CA into /tmp and
  deletes it in the same RUN, and pip reads the wheels over HTTP. Nothing is copied into the
  context, so a multi-GB wheelhouse costs no context upload, no COPY layer and no second copy of
  the venv. The port is fixed (SUMMLAUNCH_BUILD_PORT, default 47213) because it is part of the
  RUN line: a random one would miss the engine's layer cache on every build.
- `--dockerfile-only` writes the files under `build-inputs/` in the context and the RUN
  bind-mounts them (`RUN --mount=type=bind`, BuildKit: `docker build` since Docker 23).
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from summlaunch.errors import SummlaunchError

DEFAULT_PORT = 47213
CONTEXT_DIR = "build-inputs"  # --dockerfile-only: under the context, bind-mounted by the RUN
MOUNT_POINT = "/tmp/summlaunch-build"
FETCHED_CA = "/tmp/summlaunch-build-ca.pem"  # server mode: fetched and deleted in one RUN


@dataclass(frozen=True)
class InputsLayout:
    """Where the pip step finds the build inputs; the template and pip's options read this."""

    mount: bool = False           # RUN --mount=type=bind of CONTEXT_DIR at MOUNT_POINT
    ca_url: str | None = None     # fetched to ca_path before pip runs (server mode)
    ca_path: str | None = None    # pip --cert
    find_links: str | None = None  # pip --find-links

    @property
    def network_mode(self) -> str | None:
        """The build must share the host's network to reach the loopback server."""
        return "host" if (self.ca_url or (self.find_links or "").startswith("http")) else None


NONE = InputsLayout()


def port() -> int:
    raw = os.environ.get("SUMMLAUNCH_BUILD_PORT", str(DEFAULT_PORT))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SummlaunchError(f"SUMMLAUNCH_BUILD_PORT={raw!r}: not a port; set a number from 1 to 65535")
    return int(raw)


def server_layout(ca_cert: Path | None, wheelhouse: Path | None) -> InputsLayout:
    if ca_cert is None and wheelhouse is None:
        return NONE
    base = f"http://127.0.0.1:{port()}"
    return InputsLayout(
        ca_url=f"{base}/ca.pem" if ca_cert else None, ca_path=FETCHED_CA if ca_cert else None,
        find_links=f"{base}/wheels/" if wheelhouse else None)


def mount_layout(ca_cert: Path | None, wheelhouse: Path | None) -> InputsLayout:
    if ca_cert is None and wheelhouse is None:
        return NONE
    return InputsLayout(mount=True, ca_path=f"{MOUNT_POINT}/ca.pem" if ca_cert else None,
                        find_links=f"{MOUNT_POINT}/wheels" if wheelhouse else None)


def write_into_context(context_dir: Path, ca_cert: Path | None, wheelhouse: Path | None) -> None:
    """--dockerfile-only: the inputs under build-inputs/ (wheels hard-linked where possible)."""
    if ca_cert is None and wheelhouse is None:
        return
    root = context_dir / CONTEXT_DIR
    root.mkdir()
    if ca_cert is not None:
        shutil.copyfile(ca_cert, root / "ca.pem")
    if wheelhouse is not None:
        (root / "wheels").mkdir()
        for wheel in sorted(wheelhouse.glob("*.whl")):
            try:
                os.link(wheel, root / "wheels" / wheel.name)
            except OSError:
                shutil.copy2(wheel, root / "wheels" / wheel.name)


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def _check_local_engine() -> None:
    host = os.environ.get("DOCKER_HOST", "")
    if host and not host.startswith("unix://"):
        raise SummlaunchError(
            f"--ca-cert and --wheelhouse need a Docker engine on this machine (DOCKER_HOST={host}): "
            "the build reads them from 127.0.0.1; for a remote engine, write the context with "
            "--dockerfile-only --context-dir DIR and build it there with BuildKit")


@contextmanager
def serve(ca_cert: Path | None, wheelhouse: Path | None) -> Iterator[InputsLayout]:
    """Serve the inputs on 127.0.0.1 while the block runs; yields the layout the build uses."""
    layout = server_layout(ca_cert, wheelhouse)
    if layout is NONE:
        yield layout
        return
    _check_local_engine()
    root = Path(tempfile.mkdtemp(prefix="summlaunch-inputs-"))
    try:
        if ca_cert is not None:
            shutil.copyfile(ca_cert, root / "ca.pem")
        if wheelhouse is not None:
            (root / "wheels").symlink_to(wheelhouse.resolve(), target_is_directory=True)
        server = _start(root)
        try:
            yield layout
        finally:
            server.shutdown()
            server.server_close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start(root: Path) -> ThreadingHTTPServer:
    number = port()
    try:
        server = ThreadingHTTPServer(("127.0.0.1", number), functools.partial(_Handler, directory=str(root)))
    except OSError as e:
        raise SummlaunchError(
            f"cannot serve the build inputs on 127.0.0.1:{number}: {e.strerror}; another `summlaunch build` "
            "may be using it: wait for it, or set SUMMLAUNCH_BUILD_PORT to a free port "
            "(the pip layer is cached per port)") from e
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="summlaunch-build-inputs", daemon=True).start()
    return server
