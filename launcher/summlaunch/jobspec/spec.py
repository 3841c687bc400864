"""JobSpec: one validated, frozen description of a training job (what runs, and where).

Built once at the boundary by `summlaunch.jobspec.build.build_spec` from launcher flags
and/or a run file; everything after that (render, submit, helm values) takes a JobSpec.
The record itself does no validation so tests can feed hostile values to the
renderer; `build_spec` is the only way user input becomes a JobSpec. Records are
NamedTuples (immutable, `spec._replace(field=...)` for a changed copy): `dataclasses`
would import `inspect`, a tenth of `summlaunch render`'s start-up.
"""

from __future__ import annotations

from typing import NamedTuple

from summlaunch.jobspec import frameworks
from summlaunch.jobspec.tpu_types import TpuSlice

FRAMEWORKS = frameworks.NAMES
KINDS = ("pytorchjob", "tfjob", "jobset", "trainjob", "job")
DEFAULT_KIND = {f.name: f.default_kind for f in frameworks.TABLE.values()}
BACKEND = {f.name: f.backend for f in frameworks.TABLE.values()}
RESTART_POLICIES = ("OnFailure", "Never", "ExitCode", "Always")
PULL_POLICIES = ("IfNotPresent", "Always", "Never")
ACCESS_MODES = ("ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")

WORKSPACE = "/workspace"
HF_HOME = "/workspace/hf-cache"
DEFAULT_PVC = "summlaunch-workspace"
HF_TOKEN_KEY = "token"
ACCELERATE_CONFIG_DIR = "/etc/summlaunch/accelerate"
ACCELERATE_CONFIG_FILE = "config.yaml"
RUN_AS = 1000  # the image's non-root user `summ`

Pairs = tuple[tuple[str, str], ...]


class Toleration(NamedTuple):
    key: str
    operator: str = "Equal"  # Equal | Exists
    value: str | None = None
    effect: str | None = None  # NoSchedule | PreferNoSchedule | NoExecute | None (all)

    def as_dict(self) -> dict:
        out = {"key": self.key, "operator": self.operator}
        if self.value is not None:
            out["value"] = self.value
        if self.effect is not None:
            out["effect"] = self.effect
        return out


class JobSpec(NamedTuple):
    """What runs, and where. Field names are the run-file keys and the flag names (dashes)."""

    name: str
    image: str
    framework: str = "torch"
    kind: str = "pytorchjob"
    namespace: str = "default"
    # accelerators
    nodes: int = 1
    gpus_per_node: int = 0
    gpu_resource: str = "nvidia.com/gpu"
    tpu: TpuSlice | None = None
    slices: int = 1
    # resources per pod
    cpu: str = "4"
    memory: str = "16Gi"
    shm_size: str = "8Gi"
    # storage: output_dir and the HF cache live on this claim, mounted at /workspace
    pvc: str = DEFAULT_PVC
    pvc_size: str | None = None  # set: render a PersistentVolumeClaim named `pvc`
    pvc_access_mode: str = "ReadWriteMany"
    storage_class: str | None = None
    hf_token_secret: str | None = None
    # pod placement and metadata
    env: Pairs = ()
    labels: Pairs = ()
    annotations: Pairs = ()
    node_selector: Pairs = ()
    tolerations: tuple[Toleration, ...] = ()
    priority_class: str | None = None
    queue: str | None = None
    service_account: str | None = None
    image_pull_policy: str = "IfNotPresent"
    # lifecycle
    restart_policy: str = "OnFailure"
    backoff_limit: int = 3
    active_deadline: int | None = None  # seconds
    ttl_after_finished: int | None = None  # seconds
    # Trainer v2
    runtime: str = "torch-distributed"
    # accelerate: the `accelerate config` file, machine-specific keys removed (YAML text)
    accelerate_config: str | None = None
    # GKE TPU node pool
    gke_cluster: str = "summlaunch"
    gke_location: str | None = None  # default: the TPU zone (zonal cluster)
    tpu_zone: str | None = None  # default: the table's zone for the generation
    node_pool: bool = True  # render the ContainerNodePool objects (needs Config Connector)
    privileged: bool = False  # TPU on GKE < 1.28 only (documented exception)
    # everything after `--`, checked, with --output_dir on the volume
    train_args: tuple[str, ...] = ()

    @property
    def backend(self) -> str:
        return BACKEND[self.framework]

    @property
    def total_gpus(self) -> int:
        return self.nodes * self.gpus_per_node

    @property
    def procs_per_node(self) -> int:
        return max(self.gpus_per_node, 1)

    @property
    def output_dir(self) -> str:
        args = list(self.train_args)
        for i, arg in enumerate(args):
            if arg == "--output_dir" and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith("--output_dir="):
                return arg.split("=", 1)[1]
        return default_output_dir(self.name)

    @property
    def zone(self) -> str | None:
        return self.tpu_zone or (self.tpu.zone if self.tpu else None)

    @property
    def location(self) -> str | None:
        return self.gke_location or self.zone


def default_output_dir(name: str) -> str:
    return f"{WORKSPACE}/outputs/{name}"
