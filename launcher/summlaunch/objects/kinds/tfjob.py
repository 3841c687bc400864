"""TFJob (kubeflow.org/v1): Chief + Workers; TF_CONFIG comes from the operator."""

from __future__ import annotations

from typing import Any

from summlaunch import container
from summlaunch.objects.kinds import Kind, register
from summlaunch.objects.kinds.pytorchjob import KUBEFLOW_LABELS, KUBEFLOW_V1, gpu_resources, kubeflow_replica_name
from summlaunch.objects.templates import replica_labels
from summlaunch.jobspec.spec import JobSpec

PORT = 2222  # the operator's default TF port; named `tfjob-port`


@register
class TFJob(Kind):
    name = "tfjob"
    group, version, kind, plural = "kubeflow.org", "v1", "TFJob", "tfjobs"
    template = "tfjob.yaml.j2"
    replicas_path = ("spec", "tfReplicaSpecs")
    operator, suspend, pod_labels = KUBEFLOW_V1, ("spec", "runPolicy", "suspend"), KUBEFLOW_LABELS

    @classmethod
    def replica_name(cls, labels: dict[str, str], pod_name: str) -> str | None:
        return kubeflow_replica_name(labels)

    def context(self, spec: JobSpec) -> dict[str, Any]:
        replicas = [{"type": "Chief", "count": 1}]
        if spec.nodes > 1:
            replicas.append({"type": "Worker", "count": spec.nodes - 1})
        launch = container.for_spec(spec)
        return {
            "replicas": replicas,
            "replica_labels": replica_labels(spec, [r["type"] for r in replicas]),
            "container": {"name": "tensorflow", "command": launch.command,
                          "args": launch.args, "env": [],
                          "ports": [{"name": "tfjob-port", "number": PORT}],
                          "resources": gpu_resources(spec)},
        }
