"""JobSpec -> values of the Helm chart charts/summlaunch (camelCase), for `render --helm-values`.

This is the only place that maps spec fields to chart values; the chart's templates read
the same names (charts/summlaunch/values.yaml documents each). The values are complete:
`helm template NAME charts/summlaunch -f values.yaml` gives the objects `summlaunch render`
gives for the same command line (tests/helm checks it for every case). Fields that are
unset (None) are left out, so the chart's defaults (the same as the spec's) apply.
"""

from __future__ import annotations

from typing import Any

from summlaunch.jobspec.spec import JobSpec

# (spec field, value name) of optional fields: written only when set.
_OPTIONAL = (
    ("pvc_size", "pvcSize"), ("storage_class", "storageClass"), ("hf_token_secret", "hfTokenSecret"),
    ("priority_class", "priorityClass"), ("queue", "queue"), ("service_account", "serviceAccount"),
    ("active_deadline", "activeDeadline"), ("ttl_after_finished", "ttlAfterFinished"),
    ("accelerate_config", "accelerateConfig"),
)


def helm_values(spec: JobSpec) -> dict[str, Any]:
    """The chart values of one job: every spec field under its camelCase name."""
    values: dict[str, Any] = {
        "name": spec.name, "namespace": spec.namespace, "framework": spec.framework, "kind": spec.kind,
        "image": spec.image, "imagePullPolicy": spec.image_pull_policy,
    }
    if spec.tpu is None:
        values.update(gpus=spec.total_gpus, nodes=spec.nodes, gpuResource=spec.gpu_resource)
    else:
        values.update(tpu=spec.tpu.tpu_type, tpuTopology=spec.tpu.topology, slices=spec.slices,
                      gkeCluster=spec.gke_cluster, nodePool=spec.node_pool, privileged=spec.privileged)
        if spec.tpu_zone:
            values["tpuZone"] = spec.tpu_zone
        if spec.gke_location:
            values["gkeLocation"] = spec.gke_location
    values.update(cpu=spec.cpu, memory=spec.memory, shmSize=spec.shm_size,
                  pvc=spec.pvc, pvcAccessMode=spec.pvc_access_mode)
    values.update({name: getattr(spec, field) for field, name in _OPTIONAL if getattr(spec, field) is not None})
    values.update(env=dict(spec.env), labels=dict(spec.labels), annotations=dict(spec.annotations),
                  nodeSelector=dict(spec.node_selector), tolerations=[t.as_dict() for t in spec.tolerations],
                  restartPolicy=spec.restart_policy, backoffLimit=spec.backoff_limit)
    if spec.kind == "trainjob":
        values["runtime"] = spec.runtime
    values["train"] = list(spec.train_args)
    return values

