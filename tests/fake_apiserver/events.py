"""core/v1 Events written by the fake kubelet, scheduler and operators."""

from __future__ import annotations

import uuid

from .store import now_iso


def emit(cluster, obj: dict, reason: str, message: str, type_: str = "Normal",
         component: str = "kubelet") -> dict:
    meta = obj["metadata"]
    namespace = meta.get("namespace") or "default"
    stamp = now_iso()
    event = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{uuid.uuid4().hex[:16]}", "namespace": namespace},
        "involvedObject": {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "name": meta["name"],
                           "namespace": namespace, "uid": meta.get("uid")},
        "reason": reason, "message": message, "type": type_, "count": 1,
        "source": {"component": component}, "reportingComponent": component,
        "firstTimestamp": stamp, "lastTimestamp": stamp,
    }
    return cluster.store.create(cluster.resource("events"), event)
