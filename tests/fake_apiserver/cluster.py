"""FakeCluster: the store, the API, the kubelet and the operators behind one loopback URL."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import yaml

from .api import Api
from .controller import Controller
from .events import Recorder
from .faults import Faults
from .kubelet import Kubelet
from .logs import LogStore
from .openapi import OpenApi
from .resources import ALL_CRDS, Catalog, Resource
from .server import Server
from .store import Store

CONTEXT = "fake"
UNREACHABLE_CONTEXT = "unreachable"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeCluster:
    """A strict fake Kubernetes API server with a scripted kubelet and training operators.

    `installed_crds`: which CRDs exist (names like "pytorchjobs.kubeflow.org"); others answer 404.
    """

    def __init__(self, installed_crds=ALL_CRDS, namespaces=("default", "kube-system", "kube-public"),
                 workdir: str | Path | None = None):
        self.catalog = Catalog(installed_crds)
        self.store = Store()
        self.logs = LogStore()
        self.faults = Faults()
        self.requests: list[tuple[str, str, str]] = []  # (method, path, raw query) of every request
        self.errors: list[Exception] = []  # exceptions inside the fake itself (the fixture fails on them)
        self.stopping = False
        self.recorder = Recorder(self)
        self.api = Api(self)
        self.openapi = OpenApi(self.catalog)
        self.kubelet = Kubelet(self)
        self.controller = Controller(self)
        self.server = Server(self)
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="fake-apiserver-")
        self.workdir = Path(workdir or self._tmp.name)
        self.kubeconfig = str(self.workdir / "kubeconfig")
        for name in namespaces:
            self.store.create(self.namespaces, {"metadata": {"name": name}, "status": {"phase": "Active"}})

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> FakeCluster:
        self.server.thread.start()
        self.controller.start()
        self.write_kubeconfig(self.kubeconfig)
        return self

    def stop(self) -> None:
        self.stopping = True
        self.kubelet.stop()
        self.controller.stop()
        self.server.shutdown()
        self.server.server_close()
        if self._tmp:
            self._tmp.cleanup()

    def __enter__(self) -> FakeCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def write_kubeconfig(self, path: str | Path, namespace: str = "default") -> str:
        """A kubeconfig with context "fake" (current) and "unreachable" (a closed loopback port)."""
        def context(name: str) -> dict:
            return {"name": name, "context": {"cluster": name, "user": "test-user", "namespace": namespace}}
        config = {
            "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": CONTEXT,
            "clusters": [{"name": CONTEXT, "cluster": {"server": self.url}},
                         {"name": UNREACHABLE_CONTEXT, "cluster": {"server": f"http://127.0.0.1:{_closed_port()}"}}],
            "users": [{"name": "test-user", "user": {"token": "fake-token"}}],
            "contexts": [context(CONTEXT), context(UNREACHABLE_CONTEXT)],
        }
        Path(path).write_text(yaml.safe_dump(config, sort_keys=False))
        return str(path)

    # -- CRDs ---------------------------------------------------------------------------------------
    def install_crd(self, name: str) -> None:
        self.catalog.installed.add(name)

    def uninstall_crd(self, name: str) -> None:
        self.catalog.installed.discard(name)

    def install_schemaless_crd(self, api_version: str, kind: str, plural: str, namespaced: bool = True) -> Resource:
        """Serve a kind whose CRD is not pinned in ../shared/crds (e.g. Config Connector's ContainerNodePool).
        Only metadata is validated: say so wherever a test relies on it."""
        return self.catalog.add_schemaless(api_version, kind, plural, namespaced)

    # -- convenience for tests ----------------------------------------------------------------------
    def resource(self, plural: str, group: str | None = None) -> Resource:
        """The served resource with this plural (group given when ambiguous)."""
        found = [r for r in self.catalog.all() if r.plural == plural and (group is None or r.group == group)]
        if not found:
            raise KeyError(f"resource {plural!r} is not served (is its CRD installed?)")
        return found[0]

    @property
    def namespaces(self) -> Resource:
        return self.resource("namespaces")

    @property
    def pods(self) -> Resource:
        return self.resource("pods")

    def get(self, plural: str, name: str, namespace: str | None = "default") -> dict:
        res = self.resource(plural)
        return self.store.get(res, namespace if res.namespaced else None, name)

    def list(self, plural: str, namespace: str | None = "default", selector: str | None = None) -> list[dict]:
        from .store import parse_selector
        res = self.resource(plural)
        return self.store.list(res, namespace if res.namespaced else None, parse_selector(selector))

    def events(self, namespace: str = "default", involved: str | None = None) -> list[dict]:
        """Events in a namespace, optionally only those about the object named `involved`."""
        return [e for e in self.list("events", namespace)
                if involved is None or e["involvedObject"].get("name") == involved]

    def pod_log(self, name: str, namespace: str = "default", container: str | None = None) -> str:
        """The current container's whole log, as `kubectl logs` (no follow) prints it."""
        pod = self.get("pods", name, namespace)
        log = self.kubelet.log_for(pod, container, previous=False)
        return "".join(t + "\n" for _, t in log.lines)
