"""The job flags shared by `render` and `submit`: one flag per JobSpec field.

Flags take strings and are validated in summlaunch.jobspec.build (one-line errors that
name the flag). Repeatable flags: --env, --label, --annotation, --node-selector,
--toleration, --pin. Nothing heavy is imported here (the CLI must start fast).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

# (flag, dest, metavar, help); dests are the JobSpec / run-file field names.
_SINGLE = (
    ("--name", "name", "NAME", "job name (DNS-1035, at most 40 characters; default: from --output_dir or the model)"),
    ("--framework", "framework", "F", "torch (default) | accelerate | tf | xla (implied by --tpu)"),
    ("--kind", "kind", "KIND", "auto (default) | pytorchjob | tfjob | jobset | trainjob (Kubeflow Trainer v2) | job (batch/v1, one node)"),
    ("--image", "image", "REF", "training image (default: the tag `summlaunch build` produces for the framework)"),
    ("--registry", "registry", "HOST/PATH", "registry of the default image tag"),
    ("--gpus", "gpus", "N", "total GPUs (split evenly over --nodes)"),
    ("--nodes", "nodes", "N", "number of nodes (pods), default 1"),
    ("--gpus-per-node", "gpus_per_node", "N", "GPUs per node (pod)"),
    ("--gpu-resource", "gpu_resource", "NAME", "GPU resource name (default nvidia.com/gpu)"),
    ("--tpu", "tpu", "TYPE", "GKE TPU slice type, e.g. v5e-16, v5p-8, v6e-4, v4-16 (implies --framework xla)"),
    ("--tpu-topology", "tpu_topology", "AxB[xC]", "TPU topology other than the type's default"),
    ("--slices", "slices", "N", "number of TPU slices (multislice), default 1"),
    ("--tpu-zone", "tpu_zone", "ZONE", "zone of the TPU node pool (default: a zone offering the type)"),
    ("--gke-cluster", "gke_cluster", "NAME", "GKE cluster of the TPU node pool (default summlaunch)"),
    ("--gke-location", "gke_location", "LOCATION", "location of that cluster (default: the TPU zone)"),
    ("--cpu", "cpu", "QTY", "CPU request and limit per pod (default 4)"),
    ("--memory", "memory", "QTY", "memory request and limit per pod (default 16Gi)"),
    ("--shm-size", "shm_size", "QTY", "size of /dev/shm (default 8Gi)"),
    ("--pvc", "pvc", "CLAIM", "PersistentVolumeClaim mounted at /workspace (default summlaunch-workspace)"),
    ("--pvc-size", "pvc_size", "QTY", "create the claim with this size (default name <job>-workspace)"),
    ("--pvc-access-mode", "pvc_access_mode", "MODE", "access mode of a created claim (default ReadWriteMany)"),
    ("--storage-class", "storage_class", "NAME", "storage class of a created claim"),
    ("--hf-token-secret", "hf_token_secret", "SECRET", "Secret whose key `token` becomes HF_TOKEN"),
    ("--priority-class", "priority_class", "NAME", "PriorityClass of the pods"),
    ("--queue", "queue", "NAME", "Kueue LocalQueue (label kueue.x-k8s.io/queue-name)"),
    ("--service-account", "service_account", "NAME", "ServiceAccount of the pods"),
    ("--image-pull-policy", "image_pull_policy", "POLICY", "IfNotPresent (default) | Always | Never"),
    ("--restart-policy", "restart_policy", "POLICY", "OnFailure (default) | Never | ExitCode | Always"),
    ("--backoff-limit", "backoff_limit", "N", "restarts before the job fails (default 3)"),
    ("--active-deadline", "active_deadline", "SECONDS", "stop the job after this many seconds"),
    ("--ttl-after-finished", "ttl_after_finished", "SECONDS", "delete the job this long after it ends"),
    ("--runtime", "runtime", "NAME", "ClusterTrainingRuntime of a TrainJob (default torch-distributed)"),
    ("--accelerate-config", "accelerate_config", "FILE", "`accelerate config` file, mounted from a ConfigMap"),
)
_REPEATED = (
    ("--env", "env", "KEY=VALUE", "extra environment variable (repeatable; no secrets)"),
    ("--label", "labels", "KEY=VALUE", "extra label on the job and its pods (repeatable)"),
    ("--annotation", "annotations", "KEY=VALUE", "extra annotation on the job and its pods (repeatable)"),
    ("--node-selector", "node_selector", "KEY=VALUE", "node selector (repeatable)"),
    ("--toleration", "tolerations", "KEY[=VALUE][:EFFECT]", "toleration (repeatable)"),
    ("--pin", "pin", "PKG==VER", "version pin of the default image tag (repeatable)"),
)
FIELDS = tuple(dest for _, dest, _, _ in _SINGLE + _REPEATED) + ("privileged", "node_pool")
_FIELD_OF = {"pin": "pins"}  # argparse dest -> JobSpec/run-file field


def add_job_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("job")
    group.add_argument("-f", "--file", dest="run_file", metavar="RUN.yaml",
                       help="run file with the same fields (snake_case) and `train:` flags; flags override it")
    group.add_argument("-n", "--namespace", dest="namespace", metavar="NS", help="namespace (default: default)")
    for flag, dest, metavar, text in _SINGLE:
        group.add_argument(flag, dest=dest, metavar=metavar, help=text)
    for flag, dest, metavar, text in _REPEATED:
        group.add_argument(flag, dest=dest, metavar=metavar, action="append", help=text)
    group.add_argument("--privileged", dest="privileged", action="store_const", const=True,
                       help="privileged TPU containers (only GKE < 1.28 needs it; leaves the restricted profile)")
    group.add_argument("--node-pool", dest="node_pool", action=argparse.BooleanOptionalAction, default=None,
                       help="render the TPU node pool as a Config Connector ContainerNodePool (default); "
                            "--no-node-pool leaves it out (the gcloud command is still given)")


add_arguments = add_job_arguments


def flag_values(args: argparse.Namespace) -> dict[str, Any]:
    return {_FIELD_OF.get(dest, dest): getattr(args, dest, None) for dest in ("namespace",) + FIELDS}


def namespace_from_file(args: argparse.Namespace) -> str | None:
    """The run file's `namespace`, if -f was given and sets one (submit: -n, then this, then the context)."""
    if not getattr(args, "run_file", None):
        return None
    from summlaunch.jobspec.build import load_run_file

    value = load_run_file(args.run_file).get("namespace")
    return None if value is None else str(value)


def warn(message: str) -> None:
    print(f"summlaunch: warning: {message}", file=sys.stderr)


def spec_from_args(args: argparse.Namespace, train_argv: list[str]):
    """The validated JobSpec for these flags (warnings printed to stderr)."""
    from summlaunch.jobspec.build import build_spec

    return build_spec(flag_values(args), train_argv, getattr(args, "run_file", None), warn=warn)
