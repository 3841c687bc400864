"""Which `tf.distribute` strategy a TF run uses, decided from its surroundings.

- `--tpu NAME` (or `local` on a TPU VM): `TPUStrategy`.
- `TF_CONFIG` naming more than one chief/worker task (what a Kubeflow TFJob injects):
  `MultiWorkerMirroredStrategy`; every worker trains the same model on its own shard
  of the data and the chief alone writes the outputs.
- Otherwise: `MirroredStrategy` over the local GPUs when there are several, else one
  device. `SUMMTRAIN_TF_CPU_DEVICES=N` splits the CPU into N logical devices first
  (tests, and data-parallel runs on CPU-only nodes), which also gives `MirroredStrategy`.

Parameter-server and evaluator tasks are not supported: they are rejected, not ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Mapping

from summtrain.errors import UsageError

CPU_DEVICES_ENV = "SUMMTRAIN_TF_CPU_DEVICES"
WORKER_TYPES = ("chief", "worker")


@dataclass(frozen=True)
class Placement:
    """Where this process stands in the run."""

    kind: str  # "one-device" | "mirrored" | "multi-worker" | "tpu"
    num_workers: int
    worker_index: int  # 0 = chief
    is_chief: bool
    task: str  # e.g. "worker:1", "" when not multi-worker


def read_tf_config(environ: Mapping[str, str] = os.environ) -> dict[str, Any] | None:
    raw = environ.get("TF_CONFIG", "").strip()
    if not raw:
        return None
    try:
        config = json.loads(raw)
        cluster, task = config["cluster"], config.get("task", {})
        ttype, index = task.get("type", "worker"), int(task.get("index", 0))
    except (ValueError, KeyError, TypeError) as e:
        raise UsageError(f"TF_CONFIG is not valid JSON with a 'cluster' and a 'task' ({type(e).__name__}: {e}): "
                         "fix the environment variable") from None
    others = sorted(set(cluster) - set(WORKER_TYPES))
    if others:
        raise UsageError(f"TF_CONFIG has {', '.join(others)} tasks, which the tf back end does not support "
                         "(it uses MultiWorkerMirroredStrategy): give the job only Chief and Worker replicas")
    if ttype not in WORKER_TYPES or index >= len(cluster.get(ttype, [])):
        raise UsageError(f"TF_CONFIG task {ttype}:{index} is not in its cluster: fix the environment variable")
    return {"cluster": cluster, "type": ttype, "index": index}


def placement_from_tf_config(config: Mapping[str, Any] | None) -> Placement | None:
    """The multi-worker placement, or None when TF_CONFIG names a single task (or none)."""
    if config is None:
        return None
    cluster = config["cluster"]
    chiefs, workers = len(cluster.get("chief", [])), len(cluster.get("worker", []))
    if chiefs + workers < 2:
        return None
    if chiefs > 1:
        raise UsageError("TF_CONFIG names more than one chief: a TFJob has at most one Chief replica")
    ttype, index = config["type"], config["index"]
    rank = index if ttype == "chief" else chiefs + index
    return Placement("multi-worker", chiefs + workers, rank, rank == 0, f"{ttype}:{index}")


def split_cpu(count: int) -> None:
    """Make `count` logical CPU devices (must run before TensorFlow initialises its devices)."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)


def _cpu_devices(environ: Mapping[str, str]) -> int:
    raw = environ.get(CPU_DEVICES_ENV, "").strip() or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise UsageError(f"{CPU_DEVICES_ENV}={raw!r} must be a positive integer")
    return int(raw)


def configure_runtime(training_args) -> None:
    """Process-wide TF settings from the flags, before any device is touched: --use_cpu, --seed,
    --full_determinism, --tf32, --bf16/--fp16 (Keras mixed precision)."""
    import logging

    import tensorflow as tf
    from transformers.modeling_tf_utils import keras

    t = training_args
    if t.use_cpu:
        tf.config.set_visible_devices([], "GPU")
    keras.utils.set_random_seed(t.seed)
    if t.full_determinism:
        tf.config.experimental.enable_op_determinism()
    if t.tf32 is not None:
        tf.config.experimental.enable_tensor_float_32_execution(bool(t.tf32))
    if t.fp16 and not tf.config.list_physical_devices("GPU"):
        logging.getLogger("summtrain").warning(
            "--fp16 needs a GPU and none is here: training in fp32 (pass --bf16 for mixed precision on CPU or TPU)")
    elif t.fp16 or t.bf16:
        keras.mixed_precision.set_global_policy("mixed_float16" if t.fp16 else "mixed_bfloat16")


def make_strategy(tpu: str | None = None, environ: Mapping[str, str] = os.environ):
    """(strategy, Placement) for this process."""
    import tensorflow as tf

    tf_config = read_tf_config(environ)
    if tpu:
        if tf_config is not None and placement_from_tf_config(tf_config) is not None:
            raise UsageError("--tpu and a multi-worker TF_CONFIG were both given: use one of them")
        return _tpu_strategy(tpu), Placement("tpu", 1, 0, True, "")
    if _cpu_devices(environ) > 1:
        split_cpu(_cpu_devices(environ))
    multi = placement_from_tf_config(tf_config)
    if multi is not None:
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.AUTO)
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options), multi
    gpus = tf.config.list_logical_devices("GPU")
    cpus = tf.config.list_logical_devices("CPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([d.name for d in gpus]), Placement("mirrored", 1, 0, True, "")
    if not gpus and len(cpus) > 1:
        return tf.distribute.MirroredStrategy([d.name for d in cpus]), Placement("mirrored", 1, 0, True, "")
    device = gpus[0].name if gpus else cpus[0].name
    return tf.distribute.OneDeviceStrategy(device), Placement("one-device", 1, 0, True, "")


def _tpu_strategy(name: str):
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu="" if name == "local" else name)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except Exception as e:  # ValueError, tf.errors.OpError, URLError (no TPU metadata server)
        raise UsageError(f"cannot reach TPU {name!r} ({type(e).__name__}: {str(e).splitlines()[0]}): "
                         "check --tpu (the TPU name, or 'local' on a TPU VM)") from None
    return tf.distribute.TPUStrategy(resolver)
