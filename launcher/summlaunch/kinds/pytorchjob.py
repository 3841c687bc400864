"""PyTorchJob (kubeflow.org/v1): Master + Workers running torchrun or accelerate launch."""

from __future__ import annotations

from typing import Any

from summlaunch.kinds import Kind, register
from summlaunch.render import replica_labels, resources
from summlaunch.spec import ACCELERATE_CONFIG_DIR, ACCELERATE_CONFIG_FILE, JobSpec

PORT = 23456  # the operator's default; named `pytorchjob-port` so it is used for MASTER_PORT


def launch_command(spec: JobSpec) -> tuple[list[str], list[str], list[dict]]:
    """(command, args, extra env) of a torch-family container.

    torchrun takes nnodes, node rank, master address/port and processes per node from
    the PET_* variables the operator sets. accelerate launch gets the same values as
    $(VAR) arguments, which the kubelet expands from the container's environment.
    """
    summtrain = ["-m", "summtrain", "--backend", spec.backend, *spec.train_args]
    if spec.framework != "accelerate":
        return ["torchrun"], summtrain, []
    env = [] if spec.gpus_per_node else [{"name": "ACCELERATE_USE_CPU", "value": "true"}]
    args = ["--num_machines", "$(PET_NNODES)", "--machine_rank", "$(PET_NODE_RANK)",
            "--main_process_ip", "$(PET_MASTER_ADDR)", "--main_process_port", "$(PET_MASTER_PORT)",
            "--num_processes", str(spec.nodes * spec.procs_per_node)]
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
        command, args, env = launch_command(spec)
        replicas = [{"type": "Master", "count": 1}]
        if spec.nodes > 1:
            replicas.append({"type": "Worker", "count": spec.nodes - 1})
        return {
            "replicas": replicas,
            "replica_labels": replica_labels(spec, [r["type"] for r in replicas]),
            "nproc_per_node": str(spec.procs_per_node),
            "container": {"name": "pytorch", "command": command, "args": args, "env": env,
                          "ports": [{"name": "pytorchjob-port", "number": PORT}],
                          "resources": gpu_resources(spec)},
        }
