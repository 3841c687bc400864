"""Shared bits of the fake API server's own tests."""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.request


def pytorchjob(name: str = "demo", workers: int = 1, policy: str = "OnFailure") -> dict:
    def replica(n):
        return {"replicas": n, "restartPolicy": policy, "template": {
            "metadata": {"labels": {"summlaunch.dev/job": name}},
            "spec": {"containers": [{"name": "pytorch", "image": "summlaunch/torch:test",
                                     "command": ["torchrun", "-m", "summtrain"]}]}}}
    return {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
            "metadata": {"name": name, "labels": {"summlaunch.dev/job": name}},
            "spec": {"pytorchReplicaSpecs": {"Master": replica(1), "Worker": replica(workers)}}}


def clone(obj: dict) -> dict:
    return copy.deepcopy(obj)


def wait_for(predicate, timeout: float = 10.0, what: str = "condition"):
    """Poll until predicate() is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def phase(fake, pod: str, namespace: str = "default") -> str | None:
    obj = fake.store.find(fake.pods, namespace, pod)
    return (obj or {}).get("status", {}).get("phase")


def condition(fake, plural: str, name: str, type_: str) -> bool:
    job = fake.get(plural, name)
    return any(c["type"] == type_ and c["status"] == "True" for c in (job.get("status") or {}).get("conditions", []))


def raw(fake, method: str, path: str, body: dict | None = None,
        content_type: str = "application/json") -> tuple[int, dict]:
    """One HTTP request without a client library (which may check bodies itself); (code, JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(fake.url + path, data=data, method=method,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def get_text(fake, path: str) -> str:
    with urllib.request.urlopen(fake.url + path, timeout=30) as response:
        return response.read().decode()
