"""PyTorchJob (kubeflow.org/v1): Master + Workers running torchrun or accelerate launch."""

from __future__ import annotations

from typing import Any

from summlaunch import container
from summlaunch import labels as L
from summlaunch.objects.kinds import Kind, register
from summlaunch.objects.templates import replica_labels, resources
from summlaunch.jobspec.spec import JobSpec

KUBEFLOW_V1 = ("the Kubeflow Training Operator v1 (kubeflow/trainer release-1.9, e.g. kubectl apply --server-side "
              "-k \"github.com/kubeflow/trainer.git/manifests/overlays/standalone?ref=v1.9.4\")")
KUBEFLOW_LABELS = (L.JOB, L.KUBEFLOW_JOB_NAME)
PORT = 23456  # the operator's default; named `pytorchjob-port` so it is used for MASTER_PORT


def kubeflow_replica_name(labels: dict[str, str]) -> str | None:
    """`master-0`, `worker-3` from the training operator's labels."""
    rtype = labels.get(L.KUBEFLOW_REPLICA_TYPE)
    if rtype is None:
        return None
    return f"{rtype.lower()}-{labels.get(L.KUBEFLOW_REPLICA_INDEX, '0')}"


def gpu_resources(spec: JobSpec) -> dict[str, dict[str, Any]]:
    return resources(spec, {spec.gpu_resource: spec.gpus_per_node})


@register
class PyTorchJob(Kind):
    name = "pytorchjob"
    group, version, kind, plural = "kubeflow.org", "v1", "PyTorchJob", "pytorchjobs"
    template = "pytorchjob.yaml.j2"
    replicas_path = ("spec", "pytorchReplicaSpecs")
    operator, suspend, pod_labels = KUBEFLOW_V1, ("spec", "runPolicy", "suspend"), KUBEFLOW_LABELS

    @classmethod
    def replica_name(cls, labels: dict[str, str], pod_name: str) -> str | None:
        return kubeflow_replica_name(labels)

    def context(self, spec: JobSpec) -> dict[str, Any]:
        replicas = [{"type": "Master", "count": 1}]
        if spec.nodes > 1:
            replicas.append({"type": "Worker", "count": spec.nodes - 1})
        for replica in replicas:
            command, args, env = container.for_spec(spec, replica["type"])
            replica["container"] = {"name": "pytorch", "command": command, "args": args, "env": env,
                                    "ports": [{"name": "pytorchjob-port", "number": PORT}],
                                    "resources": gpu_resources(spec)}
        return {
            "replicas": replicas,
            "replica_labels": replica_labels(spec, [r["type"] for r in replicas]),
            "nproc_per_node": str(spec.procs_per_node),
        }
