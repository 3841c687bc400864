"""Job (batch/v1): one pod on one node, for clusters without Kubeflow.

The pod runs the single-node container command (summlaunch.container: torchrun --standalone
or accelerate launch with one process per GPU, else summtrain). A pod failure policy ignores
pods that failed because they were disrupted (preemption, eviction, node drain: the
`DisruptionTarget` pod condition), so they are replaced without counting against
--backoff-limit; a pod failure policy needs restartPolicy Never, so the Job, not the
kubelet, replaces failed pods.
"""

from __future__ import annotations

from typing import Any

from summlaunch import container
from summlaunch import labels as L
from summlaunch.jobspec.spec import JobSpec
from summlaunch.objects.kinds import Kind, register
from summlaunch.objects.kinds.pytorchjob import gpu_resources
from summlaunch.objects.templates import replica_labels

NODE = "node"  # the replica name of its one pod (labels, logs)
POD_FAILURE_POLICY = {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]}


@register
class Job(Kind):
    name = "job"
    group, version, kind, plural = "batch", "v1", "Job", "jobs"
    template = "job.yaml.j2"
    operator = "nothing: batch/v1 Job is built into Kubernetes (a server without it is not a conformant cluster)"
    succeeded, pod_labels = "Complete", (L.JOB, L.BATCH_JOB_NAME)

    @classmethod
    def replica_name(cls, labels: dict[str, str], pod_name: str) -> str | None:
        """`node-0`: the Job's one pod; a pod that replaces it is the same replica."""
        return f"{NODE}-0" if L.BATCH_JOB_NAME in labels and NODE == labels.get(L.REPLICA_TYPE) else None

    def replicas(self, obj: dict) -> dict[str, int]:
        return {NODE: int(obj["spec"].get("parallelism", 1))}

    def context(self, spec: JobSpec) -> dict[str, Any]:
        where = container.Where(procs_per_node=spec.procs_per_node, gpus=bool(spec.gpus_per_node), cluster=False)
        launch = container.launch(spec.framework, spec.train_args, where)
        return {
            "node": NODE, "replica_labels": replica_labels(spec, [NODE]),
            "pod_failure_policy": POD_FAILURE_POLICY,
            "container": {"name": "summtrain", "command": launch.command, "args": launch.args, "env": launch.env,
                          "ports": [], "resources": gpu_resources(spec)},
        }
