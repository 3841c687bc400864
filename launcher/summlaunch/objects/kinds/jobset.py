"""GKE TPU: a JobSet (jobset.x-k8s.io/v1alpha2), its headless Service, and the node pools.

One replicated job per slice (`slice`, replicas = --slices), each an Indexed Job with one
pod per TPU host asking for all of the host's chips. The exclusive-topology annotation puts
each slice on its own node pool. The node pools are rendered as Config Connector
ContainerNodePool objects, and the equivalent `gcloud` command rides on each as an
annotation (and leads `-o yaml` output as a comment).
"""

from __future__ import annotations

import shlex
from typing import Any

from summlaunch import labels as L
from summlaunch import container
from summlaunch.objects.kinds import Kind, register
from summlaunch.objects.templates import replica_labels, resources
from summlaunch.jobspec.spec import JobSpec

SLICE = "slice"
TPU_RESOURCE = "google.com/tpu"
MEGASCALE_PORT = 8080
JOBSET_LABELS = (L.JOB, L.JOBSET_NAME)


def jobset_replica_name(labels: dict[str, str]) -> str | None:
    """`slice-0-2`: replicated job, job index, pod (completion) index, from JobSet's labels."""
    rjob = labels.get(L.JOBSET_REPLICATED_JOB)
    if rjob is None:
        return None
    job_index = labels.get(L.JOBSET_JOB_INDEX, "0")
    return f"{rjob}-{job_index}-{labels.get(L.BATCH_COMPLETION_INDEX, '0')}"


def pool_name(spec: JobSpec, index: int) -> str:
    return f"{spec.name}-pool-{index}"


def gcloud_command(spec: JobSpec, index: int) -> str:
    tpu = spec.tpu
    parts = ["gcloud", "container", "node-pools", "create", pool_name(spec, index),
             f"--cluster={spec.gke_cluster}", f"--location={spec.location}",
             f"--node-locations={spec.zone}", f"--machine-type={tpu.machine_type}",
             f"--num-nodes={tpu.hosts}"]
    if tpu.multi_host:
        parts.append(f"--tpu-topology={tpu.topology}")
    return " ".join(shlex.quote(p) for p in parts)


def tpu_env(spec: JobSpec) -> list[dict[str, str]]:
    env = [{"name": "PJRT_DEVICE", "value": "TPU"}]
    if spec.slices > 1:  # multislice: slice 0's first host coordinates (DCN between slices)
        env += [
            {"name": "MEGASCALE_COORDINATOR_ADDRESS", "value": f"{spec.name}-{SLICE}-0-0.{spec.name}"},
            {"name": "MEGASCALE_NUM_SLICES", "value": str(spec.slices)},
            {"name": "MEGASCALE_PORT", "value": str(MEGASCALE_PORT)},
            {"name": "MEGASCALE_SLICE_ID", "field": f"metadata.annotations['{L.JOBSET_JOB_INDEX}']"},
        ]
    return env


@register
class JobSet(Kind):
    name = "jobset"
    group, version, kind, plural = "jobset.x-k8s.io", "v1alpha2", "JobSet", "jobsets"
    template = "tpu-jobset.yaml.j2"
    replicas_path = ("spec", "replicatedJobs")
    operator = ("the JobSet controller (kubernetes-sigs/jobset, e.g. kubectl apply --server-side -f "
                "https://github.com/kubernetes-sigs/jobset/releases/download/v0.12.0/manifests.yaml)")
    succeeded, pod_labels = "Completed", JOBSET_LABELS

    @classmethod
    def replica_name(cls, labels: dict[str, str], pod_name: str) -> str | None:
        return jobset_replica_name(labels)

    def context(self, spec: JobSpec) -> dict[str, Any]:
        tpu, launch = spec.tpu, container.for_spec(spec)
        selector = {**dict(spec.node_selector), L.GKE_TPU_ACCELERATOR: tpu.accelerator,
                    L.GKE_TPU_TOPOLOGY: tpu.topology}
        annotations = {**dict(spec.annotations), L.JOBSET_EXCLUSIVE_TOPOLOGY: L.GKE_NODEPOOL}
        pools = [{"name": pool_name(spec, i), "gcloud": gcloud_command(spec, i)} for i in range(spec.slices)]
        if not spec.node_pool:  # no ContainerNodePool objects: the commands ride on the JobSet
            annotations[L.GCLOUD_COMMAND] = "\n".join(pool["gcloud"] for pool in pools)
            pools = []
        return {
            "slice": SLICE, "slices": spec.slices, "hosts": tpu.hosts, "tpu": tpu._asdict(),
            "jobset_annotations": annotations, "tpu_node_selector": selector,
            "replica_labels": replica_labels(spec, [SLICE]),
            "pools": pools, "gke_cluster": spec.gke_cluster, "location": spec.location, "zone": spec.zone,
            "gcloud_annotation": L.GCLOUD_COMMAND,
            "container": {"name": "summtrain", "command": launch.command,
                          "args": launch.args, "env": tpu_env(spec),
                          "ports": [], "resources": resources(spec, {TPU_RESOURCE: tpu.chips_per_host})},
        }
