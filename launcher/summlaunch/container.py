"""The container command: one builder for every job kind, `run` (local) and `run --docker`.

`launch(...)` gives (command, args, extra env) of the process that runs summtrain for a
framework: torchrun or `accelerate launch` in front of `-m summtrain` where several processes
or nodes take part, else `summtrain` itself; always `--backend` from the framework table
(summlaunch.jobspec.frameworks). The Helm chart builds the same command (tests/helm/
test_parity.py compares the two for every case).
"""

from __future__ import annotations

from typing import NamedTuple

from summlaunch.jobspec import frameworks
from summlaunch.jobspec.spec import ACCELERATE_CONFIG_DIR, ACCELERATE_CONFIG_FILE

# Elastic rendezvous: how long the first round waits for every node (pods may be Pending behind
# a slow image pull or a scale-up), and how long an agent waits on the master's store.
JOIN_TIMEOUT_S, READ_TIMEOUT_S = 1800, 300
ELASTIC_ENV = [{"name": "TORCH_DISABLE_SHARE_RDZV_TCP_STORE", "value": "1"}]
ACCELERATE_CONFIG_PATH = f"{ACCELERATE_CONFIG_DIR}/{ACCELERATE_CONFIG_FILE}"


class Launch(NamedTuple):
    command: list[str]
    args: list[str]
    env: list[dict]

    def argv(self) -> list[str]:
        return [*self.command, *self.args]


class Where(NamedTuple):
    """Where the processes run: `cluster` (operator env: PET_*), or one machine (`standalone`)."""

    nodes: int = 1
    procs_per_node: int = 1  # "gpu": one per visible GPU (torchrun --nproc_per_node=gpu)
    gpus: bool = False
    cluster: bool = True
    replica: str | None = None  # "Master" | "Worker": elastic rendezvous on a multi-node PyTorchJob
    name: str = ""
    backoff_limit: int = 3
    accelerate_config: bool = False


def summtrain_args(framework: str, train_args) -> list[str]:
    return ["--backend", frameworks.get(framework).backend, *train_args]


def elastic_args(where: Where) -> list[str]:
    """Rendezvous through a c10d store that the master's agent hosts (multi-node only).

    torchrun's default static rendezvous cannot survive one replica restarting: the restarted
    agent can join the old round's store while its peer waits for a round that never completes.
    With c10d, an agent whose workers fail re-runs rendezvous and restarts them (up to
    backoffLimit times), and a restarted pod joins the next round. Which replica hosts the
    store is stated (`is_host`), not guessed from hostnames. The agent's store is not shared
    with the trainers (ELASTIC_ENV): with sharing, a rank 0 that stays rank 0 does not publish
    the new round's master address and a node that joins that round waits for it forever.
    """
    conf = f"is_host={int(where.replica == 'Master')},join_timeout={JOIN_TIMEOUT_S},read_timeout={READ_TIMEOUT_S}"
    return ["--rdzv_backend", "c10d", "--rdzv_conf", conf, "--max_restarts", str(where.backoff_limit)]


def launch(framework: str, train_args, where: Where = Where()) -> Launch:
    """(command, args, extra env) of the container that runs `framework` on `train_args`."""
    how = frameworks.get(framework).launcher
    module = ["-m", "summtrain", *summtrain_args(framework, train_args)]
    if how == "torchrun" and where.cluster:
        return _torchrun(where, module)
    if how == "torchrun" and where.procs_per_node != 1:
        return Launch(["torchrun"], ["--standalone", f"--nproc_per_node={where.procs_per_node}", *module], [])
    if how == "accelerate" and where.cluster:
        return _accelerate(where, module)
    if how == "accelerate" and where.procs_per_node != 1:
        count = [] if where.procs_per_node == "gpu" else ["--num_processes", str(where.procs_per_node)]
        return Launch(["accelerate", "launch"], [*count, "--multi_gpu", *module], [])
    return Launch(["summtrain"], summtrain_args(framework, train_args), [])


def _torchrun(where: Where, module: list[str]) -> Launch:
    """torchrun takes nnodes, node rank, master address/port and processes per node from the
    PET_* variables the operator sets."""
    if not (where.replica and where.nodes > 1):
        return Launch(["torchrun"], module, [])
    elastic = ["--rdzv_endpoint", "$(PET_MASTER_ADDR):$(PET_MASTER_PORT)", "--rdzv_id", where.name,
               *elastic_args(where)]
    return Launch(["torchrun"], elastic + module, list(ELASTIC_ENV))


def _accelerate(where: Where, module: list[str]) -> Launch:
    """accelerate launch gets the operator's values as $(VAR) arguments, which the kubelet expands
    from the container's environment."""
    elastic = elastic_args(where) if where.replica and where.nodes > 1 else []
    env = [] if where.gpus else [{"name": "ACCELERATE_USE_CPU", "value": "true"}]
    env += ELASTIC_ENV if elastic else []
    args = ["--num_machines", "$(PET_NNODES)", "--machine_rank", "$(PET_NODE_RANK)",
            "--main_process_ip", "$(PET_MASTER_ADDR)", "--main_process_port", "$(PET_MASTER_PORT)",
            "--num_processes", str(where.nodes * where.procs_per_node), *elastic]
    if where.accelerate_config:
        args = ["--config_file", ACCELERATE_CONFIG_PATH, *args]
    elif where.nodes * where.procs_per_node > 1:
        args.append("--multi_gpu")
    return Launch(["accelerate", "launch"], args + module, env)


def for_spec(spec, replica: str | None = None) -> Launch:
    """The command of a JobSpec's pods (replica: see Where.replica)."""
    return launch(spec.framework, spec.train_args, Where(
        nodes=spec.nodes, procs_per_node=spec.procs_per_node, gpus=bool(spec.gpus_per_node), replica=replica,
        name=spec.name, backoff_limit=spec.backoff_limit, accelerate_config=bool(spec.accelerate_config)))
