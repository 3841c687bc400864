"""core/v1 Events written by the fake kubelet, scheduler, operators and Kueue.

Like a real event recorder, a repeat of the same event (same object, type, reason, message and
source) updates the existing Event's `count` and `lastTimestamp` instead of adding one.
"""

from __future__ import annotations

import threading
import uuid

from .store import NotFound, now_iso


class Recorder:
    def __init__(self, cluster):
        self.cluster = cluster
        self._lock = threading.Lock()
        self._seen: dict[tuple, tuple[str, str]] = {}  # aggregation key -> (namespace, event name)

    def emit(self, obj: dict, reason: str, message: str, type_: str = "Normal", component: str = "kubelet") -> dict:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        res = self.cluster.resource("events")
        key = (meta.get("uid"), type_, reason, message, component)
        with self._lock:
            if key in self._seen:
                try:
                    return self.cluster.store.mutate(res, *self._seen[key], _repeat)
                except NotFound:
                    del self._seen[key]
            stamp = now_iso()
            event = self.cluster.store.create(res, {
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": f"{meta['name']}.{uuid.uuid4().hex[:16]}", "namespace": namespace},
                "involvedObject": {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                                   "name": meta["name"], "namespace": namespace, "uid": meta.get("uid")},
                "reason": reason, "message": message, "type": type_, "count": 1,
                "source": {"component": component}, "reportingComponent": component,
                "firstTimestamp": stamp, "lastTimestamp": stamp,
            })
            self._seen[key] = (namespace, event["metadata"]["name"])
            return event


def _repeat(event: dict) -> None:
    event["count"] = event.get("count", 1) + 1
    event["lastTimestamp"] = now_iso()
