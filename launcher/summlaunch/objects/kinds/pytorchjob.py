"""PyTorchJob (kubeflow.org/v1): Master + Workers running torchrun or accelerate launch."""

from __future__ import annotations

from typing import Any

from summlaunch.objects.kinds import Kind, register
from summlaunch.objects.render import replica_labels, resources
from summlaunch.jobspec.spec import ACCELERATE_CONFIG_DIR, ACCELERATE_CONFIG_FILE, JobSpec

PORT = 23456  # the operator's default; named `pytorchjob-port` so it is used for MASTER_PORT
# Elastic rendezvous: how long the first round waits for every node (pods may be Pending behind
# a slow image pull or a scale-up), and how long an agent waits on the master's store.
JOIN_TIMEOUT_S, READ_TIMEOUT_S = 1800, 300
ELASTIC_ENV = [{"name": "TORCH_DISABLE_SHARE_RDZV_TCP_STORE", "value": "1"}]


def elastic_args(spec: JobSpec, host: bool) -> list[str]:
    """Rendezvous through a c10d store that the master's agent hosts (multi-node only).

    torchrun's default static rendezvous cannot survive one replica restarting: the restarted
    agent can join the old round's store while its peer waits for a round that never completes.
    With c10d, an agent whose workers fail re-runs rendezvous and restarts them (up to
    backoffLimit times), and a restarted pod joins the next round. Which replica hosts the
    store is stated (`is_host`), not guessed from hostnames. The agent's store is not shared
    with the trainers (ELASTIC_ENV): with sharing, a rank 0 that stays rank 0 does not publish
    the new round's master address and a node that joins that round waits for it forever.
    """
    conf = f"is_host={int(host)},join_timeout={JOIN_TIMEOUT_S},read_timeout={READ_TIMEOUT_S}"
    return ["--rdzv_backend", "c10d", "--rdzv_conf", conf, "--max_restarts", str(spec.backoff_limit)]


def launch_command(spec: JobSpec, replica: str | None = None) -> tuple[list[str], list[str], list[dict]]:
    """(command, args, extra env) of a torch-family container.

    torchrun takes nnodes, node rank, master address/port and processes per node from
    the PET_* variables the operator sets. accelerate launch gets the same values as
    $(VAR) arguments, which the kubelet expands from the container's environment.
    `replica` ("Master" or "Worker") asks for elastic rendezvous on a multi-node PyTorchJob.
    """
    summtrain = ["-m", "summtrain", "--backend", spec.backend, *spec.train_args]
    elastic = elastic_args(spec, replica == "Master") if replica and spec.nodes > 1 else []
    if spec.framework != "accelerate":
        if elastic:
            elastic = ["--rdzv_endpoint", "$(PET_MASTER_ADDR):$(PET_MASTER_PORT)", "--rdzv_id", spec.name, *elastic]
        return ["torchrun"], elastic + summtrain, list(ELASTIC_ENV) if elastic else []
    env = [] if spec.gpus_per_node else [{"name": "ACCELERATE_USE_CPU", "value": "true"}]
    env += ELASTIC_ENV if elastic else []
    args = ["--num_machines", "$(PET_NNODES)", "--machine_rank", "$(PET_NODE_RANK)",
            "--main_process_ip", "$(PET_MASTER_ADDR)", "--main_process_port", "$(PET_MASTER_PORT)",
            "--num_processes", str(spec.nodes * spec.procs_per_node), *elastic]
    if spec.accelerate_config:
        args = ["--config_file", f"{ACCELERATE_CONFIG_DIR}/{ACCELERATE_CONFIG_FILE}", *args]
    elif spec.nodes * spec.procs_per_node > 1:
        args.append("--multi_gpu")
    return ["accelerate", "launch"], args + summtrain, env


def gpu_resources(spec: JobSpec) -> dict[str, dict[str, Any]]:
    return resources(spec, {spec.gpu_resource: spec.gpus_per_node})


@register
class PyTorchJob(Kind):
    name = "pytorchjob"
    group, version, kind, plural = "kubeflow.org", "v1", "PyTorchJob", "pytorchjobs"
    template = "pytorchjob.yaml.j2"
    replicas_path = ("spec", "pytorchReplicaSpecs")

    def context(self, spec: JobSpec) -> dict[str, Any]:
        replicas = [{"type": "Master", "count": 1}]
        if spec.nodes > 1:
            replicas.append({"type": "Worker", "count": spec.nodes - 1})
        for replica in replicas:
            command, args, env = launch_command(spec, replica["type"])
            replica["container"] = {"name": "pytorch", "command": command, "args": args, "env": env,
                                    "ports": [{"name": "pytorchjob-port", "number": PORT}],
                                    "resources": gpu_resources(spec)}
        return {
            "replicas": replicas,
            "replica_labels": replica_labels(spec, [r["type"] for r in replicas]),
            "nproc_per_node": str(spec.procs_per_node),
        }
