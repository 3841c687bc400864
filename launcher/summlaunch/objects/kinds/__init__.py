"""Job kinds: one small class per Kubernetes job kind, in a registry keyed by name.

A kind owns everything about itself: API coordinates (group, version, kind, plural), its
template, where its replicas live in a rendered object, the template's context from a JobSpec
(with the container command from summlaunch.container), which condition types mean success
and failure, where `suspend` is, the pod labels that name its jobs, how `logs` names its
replicas, and what to install when its API is missing. Rendering is pure: `render(spec)`
returns the objects. The cluster code (summlaunch.objects.kind_facts, summlaunch.cluster) and
the status/logs/delete/list verbs read these through the registry.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from summlaunch import labels as L
from summlaunch.jobspec.spec import JobSpec

REGISTRY: dict[str, type[Kind]] = {}


def register(cls: type[Kind]) -> type[Kind]:
    REGISTRY[cls.name] = cls
    return cls


def get(name: str) -> Kind:
    _load_builtin()
    try:
        return REGISTRY[name]()
    except KeyError:
        raise KeyError(f"unknown job kind {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def by_api(api_version: str, kind: str) -> Kind | None:
    """The registered kind for a rendered object's apiVersion/kind (None for helper objects)."""
    _load_builtin()
    for cls in REGISTRY.values():
        if cls.api_version() == api_version and cls.kind == kind:
            return cls()
    return None


def classes() -> list[type[Kind]]:
    """Every kind, in the order of JobSpec's KINDS (the order `find_job` and `list` try them)."""
    from summlaunch.jobspec.spec import KINDS

    _load_builtin()
    return sorted(REGISTRY.values(), key=lambda cls: KINDS.index(cls.name) if cls.name in KINDS else len(KINDS))


def _load_builtin() -> None:
    from summlaunch.objects.kinds import job, jobset, pytorchjob, tfjob, trainjob  # noqa: F401  (they register)


class Kind(ABC):
    name: ClassVar[str]  # registry key: pytorchjob | tfjob | jobset | trainjob | job
    group: ClassVar[str]
    version: ClassVar[str]
    kind: ClassVar[str]
    plural: ClassVar[str]
    template: ClassVar[str]  # manifests/<template>
    # Path from the object to the replica specs, and how a replica's count is read:
    # a mapping {replica type: spec} (Kubeflow) or a list of named specs (JobSet).
    replicas_path: ClassVar[tuple[str, ...]] = ()
    # cluster facts (summlaunch.objects.kind_facts): what to install when the API is missing, where
    # `suspend` is, the condition types of success and failure, the pod labels naming the job
    operator: ClassVar[str]
    suspend: ClassVar[tuple[str, ...]] = ("spec", "suspend")
    succeeded: ClassVar[str] = "Succeeded"
    failed: ClassVar[str] = "Failed"
    pod_labels: ClassVar[tuple[str, ...]] = (L.JOB,)

    @classmethod
    def api_version(cls) -> str:
        return f"{cls.group}/{cls.version}"

    def replicas(self, obj: dict) -> dict[str, int]:
        """{replica type: pod count} of a rendered (or fetched) object of this kind."""
        node: Any = obj
        for key in self.replicas_path:
            node = node.get(key, {})
        if isinstance(node, dict):
            return {rtype: int(rspec.get("replicas", 1)) for rtype, rspec in node.items()}
        return {r["name"]: int(r.get("replicas", 1)) * int(r["template"]["spec"].get("parallelism", 1))
                for r in node}

    @classmethod
    def replica_name(cls, labels: dict[str, str], pod_name: str) -> str | None:
        """How `logs` names one of this kind's pods (`master-0`, `slice-0-1`), or None: not one of them."""
        return None

    def pod_selector(self, job_name: str) -> str:
        """Label selector for every pod of a job of this kind (the same for all kinds)."""
        from summlaunch.labels import selector

        return selector(job_name)

    @abstractmethod
    def context(self, spec: JobSpec) -> dict[str, Any]:
        """Template variables for this kind, beyond the common ones (see summlaunch.objects.templates)."""

    def render(self, spec: JobSpec) -> list[dict]:
        from summlaunch.objects import templates

        return templates.render_template(self.template, templates.common_context(spec) | self.context(spec))
