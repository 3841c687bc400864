"""Server-side printing (`Accept: ...;as=Table`), as `kubectl get` asks for it: meta.k8s.io/v1 Tables."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from support import crds

from .resources import Resource

_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[(-?\d+):?\]|\[\?\(@\.(\w+)==\"([^\"]*)\"\)\]")


def jsonpath(obj, path: str):
    """The subset of JSONPath CRD printer columns use: .a.b, [0], [-1:], [?(@.k=="v")]."""
    values = [obj]
    for field, index, key, want in _STEP.findall(path):
        nxt = []
        for value in values:
            if field and isinstance(value, dict) and field in value:
                nxt.append(value[field])
            elif index and isinstance(value, list) and value and -len(value) <= int(index) < len(value):
                nxt.append(value[int(index)])
            elif key and isinstance(value, list):
                nxt += [v for v in value if isinstance(v, dict) and str(v.get(key)) == want]
        values = nxt
    return values[0] if values else None


def age(stamp: str | None) -> str:
    """Kubernetes' HumanDuration of the time since `stamp`."""
    if not stamp:
        return "<unknown>"
    seconds = int((datetime.now(timezone.utc) - datetime.fromisoformat(stamp.replace("Z", "+00:00"))).total_seconds())
    minutes, hours = seconds // 60, seconds // 3600
    if seconds < 120:
        return f"{max(seconds, 0)}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if hours < 3:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"


def _pod_status(pod: dict) -> str:
    status = pod.get("status") or {}
    for c in status.get("containerStatuses") or []:
        state = c.get("state") or {}
        if "waiting" in state and state["waiting"].get("reason") not in (None, "ContainerCreating"):
            return state["waiting"]["reason"]
        if "terminated" in state and status.get("phase") not in ("Succeeded", "Failed"):
            return state["terminated"].get("reason", "Terminated")
    if status.get("phase") == "Succeeded":
        return "Completed"
    if status.get("phase") == "Failed":
        return "Error"
    waiting = any("waiting" in (c.get("state") or {}) for c in status.get("containerStatuses") or [])
    return "ContainerCreating" if waiting else status.get("phase", "Pending")


def _pod_cells(pod: dict) -> list:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    ready = f"{sum(bool(c.get('ready')) for c in statuses)}/{len(pod['spec']['containers'])}"
    restarts = sum(c.get("restartCount", 0) for c in statuses)
    return [pod["metadata"]["name"], ready, _pod_status(pod), restarts, age(pod["metadata"].get("creationTimestamp")),
            (pod.get("status") or {}).get("podIP", "<none>"), pod["spec"].get("nodeName", "<none>")]


def _event_cells(event: dict) -> list:
    involved = event.get("involvedObject") or {}
    return [age(event.get("lastTimestamp")), event.get("type", ""), event.get("reason", ""),
            f"{(involved.get('kind') or '').lower()}/{involved.get('name', '')}", event.get("message", "")]


def _columns(res: Resource) -> list[tuple[str, str, int, object]]:
    """(name, type, priority, cell function) per column."""
    if res.kind == "Pod":
        names = [("Name", "string", 0), ("Ready", "string", 0), ("Status", "string", 0), ("Restarts", "integer", 0),
                 ("Age", "string", 0), ("IP", "string", 1), ("Node", "string", 1)]
        return [(n, t, p, lambda o, i=i: _pod_cells(o)[i]) for i, (n, t, p) in enumerate(names)]
    if res.kind == "Event":
        names = ["Last Seen", "Type", "Reason", "Object", "Message"]
        return [(n, "string", 0, lambda o, i=i: _event_cells(o)[i]) for i, n in enumerate(names)]
    columns = [("Name", "string", 0, lambda o: o["metadata"]["name"])]
    printer = None
    if res.crd and not res.schemaless:
        printer = crds.load_crds()[(res.api_version, res.kind)].versions[res.version].get("additionalPrinterColumns")
    for col in printer or [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]:
        def cell(o, col=col):
            value = jsonpath(o, col["jsonPath"])
            return age(value) if col["type"] == "date" else ("" if value is None else value)
        columns.append((col["name"], "string" if col["type"] == "date" else col["type"], col.get("priority", 0), cell))
    return columns


def table(res: Resource, objects: list[dict], resource_version: str, full_objects: bool = False,
          headers: bool = True) -> dict:
    columns = _columns(res)
    rows = [{"cells": [fn(o) for _, _, _, fn in columns],
             "object": o if full_objects else {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                               "metadata": o["metadata"]}} for o in objects]
    out = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
           "rows": rows}
    if headers:
        out["columnDefinitions"] = [{"name": n, "type": t, "format": "name" if n == "Name" else "", "description": "",
                                     "priority": p} for n, t, p, _ in columns]
    return out
