"""What the fake API server serves: core v1 resources plus the installed CRDs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from support import crds

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
ALL_CRDS = ("pytorchjobs.kubeflow.org", "tfjobs.kubeflow.org", "jobsets.jobset.x-k8s.io",
            "trainjobs.trainer.kubeflow.org", "clustertrainingruntimes.trainer.kubeflow.org")


@dataclass(frozen=True)
class Resource:
    group: str  # "" for core
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    crd: str | None = None  # "<plural>.<group>" for custom resources
    schemaless: bool = False  # a CRD without a pinned schema: any spec is accepted (metadata still checked)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`pods`, `pytorchjobs.kubeflow.org`: how a real server names the resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def singular(self) -> str:
        return self.kind.lower()


@lru_cache(maxsize=None)
def core_resources() -> tuple[Resource, ...]:
    rows = yaml.safe_load((Path(__file__).with_name("core_resources.yaml")).read_text())
    return tuple(Resource(r.get("group", ""), "v1", r["plural"], r["kind"], r["namespaced"], tuple(r["shortNames"]),
                          tuple(r["subresources"])) for r in rows)


@lru_cache(maxsize=None)
def crd_resources() -> tuple[Resource, ...]:
    """One Resource per served version of every pinned CRD."""
    out = []
    seen = set()
    for crd in crds.load_crds().values():
        name = f"{crd.plural}.{crd.group}"
        for version, spec in crd.versions.items():
            if not spec.get("served", True) or (name, version) in seen:
                continue
            seen.add((name, version))
            subs = tuple(sorted(set(spec.get("subresources") or {}) - {"scale"}))  # no Scale objects here
            out.append(Resource(crd.group, version, crd.plural, crd.kind, crd.scope == "Namespaced",
                                crd.short_names, subs, name))
    return tuple(out)


class Catalog:
    """The resources one server instance serves; which CRDs are installed is per instance."""

    def __init__(self, installed_crds=ALL_CRDS):
        self.installed: set[str] = set(installed_crds)
        self.schemaless: list[Resource] = []
        unknown = self.installed - {r.crd for r in crd_resources()}
        if unknown:
            raise ValueError(f"unknown CRDs {sorted(unknown)}; known: {ALL_CRDS}")

    def all(self) -> list[Resource]:
        return (list(core_resources()) + [r for r in crd_resources() if r.crd in self.installed]
                + self.schemaless)

    def add_schemaless(self, api_version: str, kind: str, plural: str, namespaced: bool = True) -> Resource:
        group, version = api_version.split("/")
        res = Resource(group, version, plural, kind, namespaced, (), ("status",), f"{plural}.{group}", True)
        self.schemaless.append(res)
        return res

    def find(self, group: str, version: str, plural: str) -> Resource | None:
        for r in self.all():
            if (r.group, r.version, r.plural) == (group, version, plural):
                return r
        return None

    def group_versions(self) -> dict[str, list[str]]:
        """Non-core group -> its served versions."""
        out: dict[str, list[str]] = {}
        for r in self.all():
            if r.group and r.version not in out.setdefault(r.group, []):
                out[r.group].append(r.version)
        return out
