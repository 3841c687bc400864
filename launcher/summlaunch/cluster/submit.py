"""Send rendered objects to the cluster: side objects first, the job last, nothing half-created.

Plan first (what exists, what will be replaced or reused), let the server validate every
new object with dryRun=All, then create in order; if any create fails, delete what this
call created and put back what it updated, then raise the located error.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass, field
from typing import Any

from summlaunch import labels as L
from summlaunch.errors import ClusterError, SummlaunchError
from summlaunch.objects.kind_facts import CORE_PLURALS, EXTRA_PLURALS, facts_for, is_job

JOB_LABEL = L.JOB
REDACTED = "<redacted: from $HF_TOKEN>"


def order(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Core objects in CORE_PLURALS order, then the job(s); unknown kinds are an error."""
    rank = {kind: i for i, kind in enumerate(CORE_PLURALS)}
    core, extras, jobs = [], [], []
    for obj in objects:
        if is_job(obj):
            jobs.append(obj)
        elif obj.get("apiVersion") == "v1" and obj.get("kind") in rank:
            core.append(obj)
        elif f"{obj.get('apiVersion')}/{obj.get('kind')}" in EXTRA_PLURALS:
            extras.append(obj)
        else:
            raise SummlaunchError(f"submit cannot create {obj.get('apiVersion')}/{obj.get('kind')} "
                                  f"{obj.get('metadata', {}).get('name')}: not a kind summlaunch knows")
    if len(jobs) != 1:
        raise SummlaunchError(f"render produced {len(jobs)} job objects; submit expects exactly one")
    return sorted(core, key=lambda o: rank[o["kind"]]) + extras + jobs


def drop_uninstalled_extras(cluster, objects: list[dict[str, Any]], note) -> list[dict[str, Any]]:
    """Leave out objects (the GKE node pool) whose CRD the cluster lacks, saying how to make them instead."""
    kept = []
    for obj in objects:
        key = f"{obj['apiVersion']}/{obj['kind']}"
        if key in EXTRA_PLURALS and not cluster.served(obj["apiVersion"], EXTRA_PLURALS[key]):
            command = (obj["metadata"].get("annotations") or {}).get(L.GCLOUD_COMMAND)
            note(f"skipping {obj['kind']} {obj['metadata']['name']}: {EXTRA_PLURALS[key]}.{key.split('/')[0]} is "
                 f"not installed (Config Connector)" + (f"; create it with: {command}" if command else ""))
            continue
        kept.append(obj)
    return kept


def token_secret(name: str, namespace: str, key: str, token: str) -> dict[str, Any]:
    """The HF token Secret (its value only ever travels in the request body)."""
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace,
                         # no job label: one token Secret serves every job, and `delete` keeps it
                         "labels": {L.MANAGED_BY: L.APP}},
            "data": {key: base64.b64encode(token.encode()).decode()}}


def redact(obj: dict[str, Any]) -> dict[str, Any]:
    if obj.get("kind") != "Secret":
        return obj
    shown = copy.deepcopy(obj)
    shown["data"] = {k: REDACTED for k in shown.get("data", {})}
    return shown


def describe(obj: dict[str, Any], namespace: str) -> str:
    return f"{obj['kind']} {obj['metadata'].get('namespace', namespace)}/{obj['metadata']['name']}"


@dataclass
class Plan:
    create: list[dict[str, Any]] = field(default_factory=list)
    update: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (new, old)
    reuse: list[dict[str, Any]] = field(default_factory=list)
    replace_job: dict[str, Any] | None = None


def plan(cluster, namespace: str, objects: list[dict[str, Any]], *, replace: bool) -> Plan:
    """Decide per object: create, update (our own side objects), reuse (PVCs), or refuse."""
    result = Plan()
    for obj in objects:
        ns = obj["metadata"].get("namespace", namespace)
        existing = cluster.get(obj, ns)
        if existing is None:
            result.create.append(obj)
        elif is_job(obj):
            if not replace:
                name = obj["metadata"]["name"]
                raise ClusterError(f"{describe(obj, ns)} already exists: `summlaunch delete {name} -n {ns}` "
                                   f"first, or resubmit with --replace")
            result.replace_job = existing
            result.create.append(obj)
        elif obj["kind"] == "PersistentVolumeClaim":
            result.reuse.append(obj)  # a workspace that outlives jobs: keep its checkpoints
        elif _ours(existing, obj) or obj["kind"] == "Secret":  # the token Secret: --hf-token-from-env refreshes it
            result.update.append((obj, existing))
        else:
            raise ClusterError(f"{describe(obj, ns)} already exists and is not this job's: delete or rename it")
    return result


def _ours(existing: dict[str, Any], obj: dict[str, Any]) -> bool:
    labels = existing.get("metadata", {}).get("labels") or {}
    return labels.get(JOB_LABEL) == (obj["metadata"].get("labels") or {}).get(JOB_LABEL) is not None


def validate(cluster, namespace: str, todo: Plan) -> None:
    """Server-side dry run of every object that will be created (the replaced job is checked at create)."""
    for obj in todo.create:
        if is_job(obj) and todo.replace_job is not None:
            continue
        cluster.create(obj, obj["metadata"].get("namespace", namespace), dry_run=True)
    for obj, old in todo.update:
        _put(cluster, namespace, obj, old, dry_run=True)


def _put(cluster, namespace: str, obj: dict[str, Any], old: dict[str, Any], dry_run: bool = False) -> dict:
    ns = obj["metadata"].get("namespace", namespace)
    body = copy.deepcopy(obj)
    body["metadata"]["resourceVersion"] = old["metadata"].get("resourceVersion")
    path, kind = cluster.object_path(obj, ns, obj["metadata"]["name"])
    return cluster.request("PUT", path, f"update {kind} {ns}/{obj['metadata']['name']}", body=body,
                           query=[("dryRun", "All")] if dry_run else [])


def apply(cluster, namespace: str, todo: Plan, note=print) -> None:
    """Create/update in order; on failure undo this call's changes and re-raise."""
    created: list[dict[str, Any]] = []
    updated: list[tuple[dict[str, Any], dict[str, Any]]] = []
    try:
        if todo.replace_job is not None:
            from summlaunch.commands.delete import delete_job

            ns = todo.replace_job["metadata"].get("namespace", namespace)
            delete_job(cluster, ns, todo.replace_job, wait=True)
            note(f"deleted the existing {describe(todo.replace_job, ns)} (--replace)")
        for obj, old in todo.update:
            _put(cluster, namespace, obj, old)
            updated.append((obj, old))
        for obj in todo.create:
            cluster.create(obj, obj["metadata"].get("namespace", namespace))
            created.append(obj)
    except SummlaunchError as e:
        undone = _rollback(cluster, namespace, created, updated)
        raise type(e)(f"{e} (rolled back: {undone})") from e


def _rollback(cluster, namespace: str, created: list[dict], updated: list[tuple[dict, dict]]) -> str:
    done, failed = [], []
    for obj in reversed(created):
        try:
            cluster.delete(obj, obj["metadata"].get("namespace", namespace))
            done.append(f"deleted {describe(obj, namespace)}")
        except ClusterError:
            failed.append(describe(obj, namespace))
    for obj, old in updated:
        try:
            current = cluster.get(obj, obj["metadata"].get("namespace", namespace))
            restored = copy.deepcopy(old)
            if current:
                _put(cluster, namespace, restored, current)
            done.append(f"restored {describe(obj, namespace)}")
        except ClusterError:
            failed.append(describe(obj, namespace))
    text = "; ".join(done) or "nothing had been created"
    return text + (f"; could not undo {', '.join(failed)}: delete by hand" if failed else "")


def job_of(objects: list[dict[str, Any]]):
    job = next(o for o in objects if is_job(o))
    return facts_for(job["apiVersion"], job["kind"]), job
