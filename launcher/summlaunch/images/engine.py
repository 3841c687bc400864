"""The one module that talks to the Docker engine, through the `docker` SDK.

Everything the engine reports is passed on as it is: build output goes to a
progress display, and a failure becomes an EngineError (exit 2) carrying the
engine's own message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors
from docker.types import DeviceRequest

from summlaunch.errors import EngineError

Listener = Callable[[dict], None]


@dataclass
class BuildResult:
    """The built image and, per Dockerfile step, whether the engine took it from its cache."""

    image_id: str
    steps: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def rebuilt(self) -> list[str]:
        return [step for step, cached in self.steps if not cached and " : FROM " not in f" {step}"]


def _where() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def _message(e: Exception) -> str:
    explanation = getattr(e, "explanation", None)
    text = explanation.decode() if isinstance(explanation, bytes) else (explanation or str(e))
    return " ".join(str(text).split())


class Engine:
    """A connected engine. Create with `connect()`."""

    def __init__(self, client: "docker.DockerClient"):
        self.client = client
        self.api = client.api

    # ---- images -----------------------------------------------------------------------
    def image_attrs(self, ref: str) -> dict | None:
        try:
            return self.api.inspect_image(ref)
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.APIError as e:
            if e.status_code == 404:
                return None
            raise EngineError(f"inspecting image {ref}: {_message(e)}") from e

    def ensure_image(self, ref: str, on_event: Listener) -> None:
        """Pull `ref` (with progress) unless the engine already has it."""
        if self.image_attrs(ref) is not None:
            return
        repo, tag = _split(ref)
        try:
            for event in self.api.pull(repo, tag=tag, stream=True, decode=True):
                if "error" in event:
                    raise docker.errors.APIError(event["error"])
                on_event(event)
        except docker.errors.APIError as e:
            raise EngineError(
                f"base image {ref} is not on this engine and could not be pulled: {_message(e)}; "
                "pass --base-image NAME of an image the engine has (see `docker images`)") from e
        if self.image_attrs(ref) is None:
            raise EngineError(f"base image {ref} could not be pulled; pass --base-image of a local image")

    def build(self, context_dir: Path, tag: str, on_event: Listener, *, nocache: bool = False,
              network_mode: str | None = None) -> BuildResult:
        """Build with the engine's builder; raise EngineError with the failing step and engine message."""
        result = BuildResult(image_id="")
        step = ""
        try:
            stream = self.api.build(path=str(context_dir), tag=tag, rm=True, forcerm=True, pull=False,
                                    nocache=nocache, network_mode=network_mode, decode=True)
            for event in stream:
                on_event(event)
                text = event.get("stream", "")
                if text.startswith("Step "):
                    step = text.strip()
                    result.steps.append((step, False))
                elif "Using cache" in text and result.steps:
                    result.steps[-1] = (result.steps[-1][0], True)
                if event.get("aux", {}).get("ID"):
                    result.image_id = event["aux"]["ID"]
                if "error" in event:
                    detail = event.get("errorDetail", {}).get("message") or event["error"]
                    raise EngineError(f"build of {tag} failed{_short_step(step)}: {_short_error(detail)}")
        except docker.errors.APIError as e:
            raise EngineError(f"build of {tag} failed: {_message(e)}") from e
        if not result.image_id:
            attrs = self.image_attrs(tag)
            result.image_id = attrs["Id"] if attrs else ""
        if not result.image_id:
            raise EngineError(f"build of {tag} ended without an image; see the engine output above")
        return result

    def tag(self, source: str, ref: str) -> None:
        repo, tag = _split(ref)
        try:
            self.api.tag(source, repo, tag)
        except docker.errors.APIError as e:
            raise EngineError(f"tagging {source} as {ref}: {_message(e)}") from e

    def push(self, ref: str, on_event: Listener) -> str:
        """Push `ref` and return its registry digest (sha256:...)."""
        repo, tag = _split(ref)
        digest = ""
        try:
            for event in self.api.push(repo, tag=tag, stream=True, decode=True):
                if "error" in event:
                    raise docker.errors.APIError(event.get("errorDetail", {}).get("message") or event["error"])
                on_event(event)
                digest = event.get("aux", {}).get("Digest") or digest
        except docker.errors.APIError as e:
            raise EngineError(f"push of {ref} failed: {_message(e)}; check `docker login` for its registry") from e
        if not digest:
            raise EngineError(f"push of {ref} reported no digest")
        return digest

    def layers(self, ref: str) -> list[str]:
        attrs = self.image_attrs(ref)
        return list(attrs["RootFS"]["Layers"]) if attrs else []

    def history(self, ref: str) -> list[dict]:
        return self.api.history(ref)

    def save(self, ref: str) -> Iterator[bytes]:
        """The image as a `docker save` tar stream (for inspecting every layer)."""
        return self.api.get_image(ref)

    # ---- containers -------------------------------------------------------------------
    def run(self, image: str, command: list[str], *, env: dict[str, str], mounts: dict[str, str],
            gpus: str | None, on_line: Callable[[str], None], name: str | None = None,
            user: str | None = None, shm_size: str = "1g") -> int:
        """Run a container, stream its logs, return its exit code; Ctrl-C stops it cleanly."""
        volumes = {host: {"bind": inside, "mode": "rw"} for host, inside in mounts.items()}
        try:
            container = self.client.containers.create(
                image, command=command, environment=env, volumes=volumes, name=name, user=user,
                device_requests=_gpu_requests(gpus), shm_size=shm_size, detach=True, init=True,
                labels={"app.kubernetes.io/managed-by": "summlaunch"})
        except docker.errors.ImageNotFound as e:
            raise EngineError(f"image {image} is not on this engine; build it with `summlaunch build`") from e
        except docker.errors.APIError as e:
            raise EngineError(f"creating a container from {image}: {_message(e)}") from e
        try:
            container.start()
            for line in _lines(container.logs(stream=True, follow=True)):
                on_line(line)
            return int(container.wait().get("StatusCode", 1))
        except KeyboardInterrupt:
            container.stop(timeout=10)
            container.wait()
            raise
        except docker.errors.APIError as e:
            raise EngineError(f"running {image}: {_message(e)}") from e
        finally:
            try:
                container.remove(force=True)
            except docker.errors.APIError:
                pass


def _short_step(step: str) -> str:
    """'Step 7/18 : RUN pip install ...' -> ' at step 7/18 (RUN pip install ...)', cut to one line."""
    m = re.match(r"Step (\d+/\d+) : (.*)", " ".join(step.split()))
    if not m:
        return ""
    what = m.group(2) if len(m.group(2)) <= 70 else m.group(2)[:67] + "..."
    return f" at step {m.group(1)} ({what})"


def _short_error(message: str) -> str:
    """The engine's message; a failed RUN keeps only its exit status (the command is in the step)."""
    text = " ".join(message.split())
    m = re.match(r"The command '.*' (returned a non-zero code: \d+)$", text)
    return f"the command {m.group(1)}; its output is above" if m else text


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.decode(errors="replace").rstrip("\r")
    if buffer:
        yield buffer.decode(errors="replace")


def _gpu_requests(gpus: str | None) -> list[DeviceRequest]:
    if not gpus or gpus == "0":
        return []
    count = -1 if gpus == "all" else int(gpus)
    return [DeviceRequest(count=count, capabilities=[["gpu"]])]


def _split(ref: str) -> tuple[str, str]:
    """'host:5000/repo:tag' -> ('host:5000/repo', 'tag'); no tag -> 'latest'."""
    if "@" in ref:
        repo, digest = ref.split("@", 1)
        return repo, digest
    head, _, last = ref.rpartition("/")
    if ":" in last:
        name, tag = last.rsplit(":", 1)
        return (f"{head}/{name}" if head else name), tag
    return ref, "latest"


def connect(timeout: int = 600) -> Engine:
    """Connect to the engine named by DOCKER_HOST (or the default socket); EngineError if none answers."""
    try:
        client = docker.from_env(version="auto", timeout=timeout)
        client.ping()
    except docker.errors.DockerException as e:
        raise EngineError(
            f"no Docker engine answers at {_where()}: {_message(e)}; start dockerd "
            "(or Docker Desktop) or set DOCKER_HOST") from e
    return Engine(client)
