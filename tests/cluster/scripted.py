"""Scripted pods for a job in the fake API server: what the operator and kubelet would do, step by step."""

from __future__ import annotations

import time
from datetime import datetime, timezone


class Pods:
    def __init__(self, fake, namespace: str = "default"):
        self.fake, self.ns = fake, namespace

    def add(self, job: str, rtype: str, index: int, *, container: str = "pytorch", image: str = "img:1",
            labels: dict | None = None) -> dict:
        """The pod the operator would create (unless it already did); the fake kubelet then runs it."""
        existing = self.fake.store.find(self.fake.pods, self.ns, f"{job}-{rtype}-{index}")
        if existing is not None:
            return existing
        meta_labels = {"summlaunch.dev/job": job, "training.kubeflow.org/job-name": job,
                       "training.kubeflow.org/replica-type": rtype, "training.kubeflow.org/replica-index": str(index)}
        meta_labels.update(labels or {})
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": f"{job}-{rtype}-{index}", "namespace": self.ns, "labels": meta_labels},
               "spec": {"containers": [{"name": container, "image": image}], "restartPolicy": "OnFailure"}}
        return self.fake.store.create(self.fake.pods, pod)

    def get(self, name: str) -> dict:
        return self.fake.get("pods", name, self.ns)

    def phase(self, name: str) -> str | None:
        pod = self.fake.store.find(self.fake.pods, self.ns, name)
        return (pod or {}).get("status", {}).get("phase")

    def event(self, kind: str, name: str, reason: str, message: str, type_: str = "Warning") -> dict:
        ev = {"apiVersion": "v1", "kind": "Event",
              "metadata": {"name": f"{name}.{time.monotonic_ns():x}", "namespace": self.ns},
              "involvedObject": {"kind": kind, "name": name, "namespace": self.ns},
              "reason": reason, "message": message, "type": type_, "count": 1,
              "firstTimestamp": _now(), "lastTimestamp": _now()}
        return self.fake.store.create(self.fake.resource("events"), ev)

    def job_condition(self, plural: str, name: str, ctype: str, message: str = "") -> dict:
        def fn(job):
            conds = job.setdefault("status", {}).setdefault("conditions", [])
            conds.append({"type": ctype, "status": "True", "reason": ctype, "message": message,
                          "lastTransitionTime": _now(), "lastUpdateTime": _now()})
        return self.fake.store.mutate(self.fake.resource(plural), self.ns, name, fn)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def wait_for(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # noqa: BLE001 - the object is not there yet
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
