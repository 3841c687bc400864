"""Discovery documents (/api, /apis, /api/v1, /apis/<group>/<version>) and /version."""

from __future__ import annotations

from .resources import VERBS, Catalog, Resource

VERSION = {"major": "1", "minor": "35", "gitVersion": "v1.35.0-fake", "gitCommit": "0" * 40,
           "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.25",
           "compiler": "gc", "platform": "linux/amd64"}


def api_versions(host: str) -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}


def _group(name: str, versions: list[str]) -> dict:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group(catalog: Catalog, name: str) -> dict | None:
    versions = catalog.group_versions().get(name)
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)} if versions else None


def api_group_list(catalog: Catalog) -> dict:
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group(name, versions) for name, versions in sorted(catalog.group_versions().items())]}


def _entries(res: Resource) -> list[dict]:
    main = {"name": res.plural, "singularName": res.singular, "namespaced": res.namespaced, "kind": res.kind,
            "verbs": VERBS if res.kind != "Namespace" else [v for v in VERBS if v != "deletecollection"]}
    if res.short_names:
        main["shortNames"] = list(res.short_names)
    if res.crd or res.kind in ("Pod", "Service", "PersistentVolumeClaim", "ConfigMap", "Secret"):
        main["categories"] = ["all"] if res.kind in ("Pod", "Service") or res.crd else []
    out = [main]
    for sub in res.subresources:
        verbs = ["get"] if sub == "log" else ["get", "patch", "update"]
        kind = "Scale" if sub == "scale" else res.kind
        out.append({"name": f"{res.plural}/{sub}", "singularName": "", "namespaced": res.namespaced,
                    "kind": kind, "verbs": verbs})
    return out


def resource_list(catalog: Catalog, group: str, version: str) -> dict | None:
    resources = [r for r in catalog.all() if (r.group, r.version) == (group, version)]
    if not resources:
        return None
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": [entry for r in resources for entry in _entries(r)]}
