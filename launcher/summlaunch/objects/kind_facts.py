"""Cluster facts per job kind (REST plural, operator to install, status semantics, pod labels).

Each kind module (summlaunch.objects.kinds) states its own; this module serves them keyed by
``apiVersion/kind``. Core objects that
`submit` creates beside a job (ConfigMaps, Secrets, PVCs, Services) are listed in
CORE_PLURALS, in the order they are created.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from summlaunch.errors import SummlaunchError

# Core v1 kinds submit may create, in creation order (the job always comes last).
CORE_PLURALS: dict[str, str] = {
    "Namespace": "namespaces",
    "ServiceAccount": "serviceaccounts",
    "ConfigMap": "configmaps",
    "Secret": "secrets",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "Service": "services",
}

# Other custom objects render may emit beside a job (created before it when their CRD is installed):
# apiVersion/kind -> plural.
EXTRA_PLURALS: dict[str, str] = {
    "container.cnrm.cloud.google.com/v1beta1/ContainerNodePool": "containernodepools",
}


@dataclass(frozen=True)
class KindFacts:
    api_version: str
    kind: str
    plural: str
    operator: str
    replica_specs: tuple[str, ...] | None
    suspend: tuple[str, ...]
    succeeded: str
    failed: str
    pod_labels: tuple[str, ...]
    kueue_prefix: str

    @property
    def group(self) -> str:
        return self.api_version.split("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.split("/")[1]

    @property
    def resource(self) -> str:
        """`pytorchjobs.kubeflow.org`, as kubectl and RBAC name it."""
        return f"{self.plural}.{self.group}"

    def path(self, namespace: str | None, name: str | None = None) -> str:
        ns = f"/namespaces/{namespace}" if namespace else ""
        tail = f"/{name}" if name else ""
        return f"/apis/{self.api_version}{ns}/{self.plural}{tail}"

    def replica_types(self, job: dict[str, Any]) -> list[str]:
        """Replica type names from the job's spec (Master, Worker, ...), lower-cased."""
        node: Any = job
        for key in self.replica_specs or ():
            node = (node or {}).get(key)
        if isinstance(node, dict):
            return [k.lower() for k in node]
        if isinstance(node, list):
            return [str(r.get("name", "")).lower() for r in node]
        return []

    def is_suspended(self, job: dict[str, Any]) -> bool:
        node: Any = job
        for key in self.suspend:
            node = (node or {}).get(key) if isinstance(node, dict) else None
        return node is True


@lru_cache(maxsize=None)
def _table() -> dict[str, KindFacts]:
    """The facts of every registered kind (summlaunch.objects.kinds), keyed by apiVersion/kind."""
    from summlaunch.objects import kinds

    table = {}
    for cls in kinds.classes():
        table[f"{cls.api_version()}/{cls.kind}"] = KindFacts(
            api_version=cls.api_version(), kind=cls.kind, plural=cls.plural, operator=cls.operator,
            replica_specs=cls.replicas_path or None,
            suspend=cls.suspend, succeeded=cls.succeeded, failed=cls.failed, pod_labels=cls.pod_labels,
            kueue_prefix=cls.name)
    return table


def all_kinds() -> list[KindFacts]:
    return list(_table().values())


def facts_for(api_version: str, kind: str) -> KindFacts:
    try:
        return _table()[f"{api_version}/{kind}"]
    except KeyError:
        known = ", ".join(sorted(_table()))
        raise SummlaunchError(f"unsupported job kind {api_version}/{kind}: summlaunch knows {known}") from None


def is_job(obj: dict[str, Any]) -> bool:
    return f"{obj.get('apiVersion')}/{obj.get('kind')}" in _table()


def by_kind_name(kind: str) -> KindFacts | None:
    """Facts for `PyTorchJob` / `pytorchjob` / `pytorchjobs`, or None."""
    wanted = kind.lower()
    for facts in _table().values():
        if wanted in (facts.kind.lower(), facts.plural, facts.resource):
            return facts
    return None


def job_state(facts: KindFacts, job: dict[str, Any]) -> str:
    """One word: Succeeded, Failed, Suspended, Running, Restarting, Created or Pending."""
    conditions = [c for c in (job.get("status") or {}).get("conditions") or [] if c.get("status") == "True"]
    types = [c.get("type") for c in conditions]
    if facts.succeeded in types:
        return "Succeeded"
    if facts.failed in types:
        return "Failed"
    if facts.is_suspended(job) or "Suspended" in types:
        return "Suspended"
    for word in ("Restarting", "Running", "Created"):
        if word in types:
            return word
    return types[-1] if types else "Pending"


def job_verdict(facts: KindFacts, job: dict[str, Any]) -> tuple[int, str] | None:
    """(exit code, text) once the job has finished, else None."""
    for cond in (job.get("status", {}) or {}).get("conditions") or []:
        if cond.get("status") != "True":
            continue
        if cond.get("type") == facts.succeeded:
            return 0, "succeeded"
        if cond.get("type") == facts.failed:
            detail = cond.get("message") or cond.get("reason") or ""
            return 1, f"failed: {detail}".rstrip(": ")
    return None


def age(timestamp: str | None, now: float | None = None) -> str:
    """kubectl-style age (`45s`, `12m`, `3h`, `5d`) of an RFC3339 timestamp."""
    import time
    from datetime import datetime

    if not timestamp:
        return "-"
    then = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    secs = max(0, int((now if now is not None else time.time()) - then))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size * (2 if unit != "m" else 1):
            return f"{secs // size}{unit}"
    return f"{secs}s"
