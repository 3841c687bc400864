"""TrainJob (trainer.kubeflow.org/v1alpha1, Kubeflow Trainer v2) referencing a training runtime.

The runtime (default ClusterTrainingRuntime `torch-distributed`) supplies the JobSet; the
TrainJob sets image, command, nodes, processes and resources, and patches the runtime's
`node` pods with summlaunch's volumes, labels, env and security context.
"""

from __future__ import annotations

from typing import Any

from summlaunch.objects.kinds import Kind, register
from summlaunch import container
from summlaunch import labels as L
from summlaunch.objects.kinds.jobset import JOBSET_LABELS, jobset_replica_name
from summlaunch.objects.kinds.pytorchjob import gpu_resources
from summlaunch.objects.templates import replica_labels
from summlaunch.jobspec.spec import JobSpec

MANAGER = L.RENDER_MANAGER
NODE = "node"  # the replicated job (and container) name of Kubeflow's torch runtimes


@register
class TrainJob(Kind):
    name = "trainjob"
    group, version, kind, plural = "trainer.kubeflow.org", "v1alpha1", "TrainJob", "trainjobs"
    template = "trainjob.yaml.j2"
    operator = ("Kubeflow Trainer v2 (kubeflow/trainer v2.x, e.g. kubectl apply --server-side -k "
                "\"github.com/kubeflow/trainer.git/manifests/overlays/manager?ref=v2.3.0\")")
    succeeded, pod_labels = "Complete", JOBSET_LABELS

    @classmethod
    def replica_name(cls, labels: dict[str, str], pod_name: str) -> str | None:
        return jobset_replica_name(labels)

    def replicas(self, obj: dict) -> dict[str, int]:
        return {NODE: int(obj["spec"]["trainer"].get("numNodes", 1))}

    def context(self, spec: JobSpec) -> dict[str, Any]:
        command, args, env = container.for_spec(spec)
        return {
            "runtime": spec.runtime, "manager": MANAGER, "node": NODE,
            "nodes": spec.nodes, "procs_per_node": spec.procs_per_node,
            "replica_labels": replica_labels(spec, [NODE]),
            "container": {"name": NODE, "command": command, "args": args, "env": env,
                          "resources": gpu_resources(spec)},
        }
