"""Create rendered jobs in the fake API server (through summlaunch's own cluster module)."""

from __future__ import annotations

from summlaunch.cluster.client import Cluster
from summlaunch.objects.render import render
from summlaunch.jobspec.build import build_spec

KINDS = {
    "pytorchjob": ({"nodes": 2}, "pytorchjobs"),
    "tfjob": ({"framework": "tf", "nodes": 2}, "tfjobs"),
    "jobset": ({"framework": "xla", "tpu": "v5e-16"}, "jobsets"),
    "trainjob": ({"kind": "trainjob"}, "trainjobs"),
    "job": ({"kind": "job"}, "jobs"),
}


def create_job(fake, name: str, kind: str = "pytorchjob", namespace: str = "default", **flags) -> dict:
    base, _ = KINDS[kind]
    objects = render(build_spec({"name": name, "image": "img:1", "namespace": namespace, **base, **flags}, []))
    cluster = Cluster.connect(fake.kubeconfig)
    created = None
    for obj in objects:
        if obj["apiVersion"].startswith("container.cnrm"):
            continue
        created = cluster.create(obj, namespace)
    return created
