"""From launcher flags and/or a run file (`-f run.yaml`) to a validated JobSpec.

Flags override the file (maps merge key by key, the flag winning). Unknown run-file
keys fail with a "did you mean". Every error is one line naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from summlaunch.jobspec import frameworks
from summlaunch.jobspec import spec as S
from summlaunch.jobspec import validate as V
from summlaunch.errors import SummlaunchError

# Run-file keys (flag names are the same with dashes). `train` holds training flags.
FILE_KEYS = (
    "name", "namespace", "framework", "kind", "image", "pins", "registry",
    "gpus", "nodes", "gpus_per_node", "gpu_resource", "tpu", "tpu_topology", "slices",
    "cpu", "memory", "shm_size", "pvc", "pvc_size", "pvc_access_mode", "storage_class",
    "hf_token_secret", "env", "labels", "annotations", "node_selector", "tolerations",
    "priority_class", "queue", "service_account", "image_pull_policy",
    "restart_policy", "backoff_limit", "active_deadline", "ttl_after_finished",
    "runtime", "accelerate_config", "gke_cluster", "gke_location", "tpu_zone", "node_pool", "privileged",
    "train",
)
MAP_KEYS = ("env", "labels", "annotations", "node_selector")


def load_run_file(path: str) -> dict[str, Any]:
    import yaml

    try:
        text = Path(path).read_text()
    except OSError as e:
        raise SummlaunchError(f"-f {path}: cannot read the run file ({e.strerror})") from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SummlaunchError(f"-f {path}: not valid YAML ({str(e).splitlines()[0]})") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SummlaunchError(f"-f {path}: expected a mapping of fields at the top level")
    for key in data:
        if key not in FILE_KEYS:
            import difflib

            close = difflib.get_close_matches(str(key).replace("-", "_"), FILE_KEYS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise SummlaunchError(f"-f {path}: unknown key {key!r}; {hint}known keys: {', '.join(FILE_KEYS)}")
    if "accelerate_config" in data and isinstance(data["accelerate_config"], str):
        data["accelerate_config"] = str(Path(path).parent / data["accelerate_config"])
    return data


def merge(file_values: Mapping[str, Any], flag_values: Mapping[str, Any]) -> dict[str, Any]:
    """Flags (non-None) override file values; key/value maps merge, the flag winning per key."""
    merged = dict(file_values)
    for key, value in flag_values.items():
        if value is None:
            continue
        if key in MAP_KEYS:
            merged[key] = {**V.pairs(key, merged.get(key)), **V.pairs(key, value)}
        else:
            merged[key] = value
    return merged


def train_argv_from_file(value: Any) -> list[str]:
    """The run file's `train:` as argv: a list of strings, or a mapping {flag: value}."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if not isinstance(value, dict):
        raise SummlaunchError("train: expected a list of flags or a mapping {flag: value}")
    argv: list[str] = []
    for flag, val in value.items():
        opt = f"--{str(flag).lstrip('-')}"
        if val is True:
            argv.append(opt)
        elif isinstance(val, list):
            argv += [opt, *(str(v) for v in val)]
        elif val is not None:
            argv += [opt, "false" if val is False else str(val)]
    return argv


def build_spec(flag_values: Mapping[str, Any], train_argv: list[str] = (), run_file: str | None = None,
               *, warn=None) -> S.JobSpec:
    """The validated JobSpec; warnings (not errors) go to `warn(message)`."""
    from summlaunch.jobspec import checks

    warn = warn or (lambda message: None)
    raw = merge(load_run_file(run_file) if run_file else {}, flag_values)
    framework, tpu, slices = _framework_and_tpu(raw)
    nodes, per_node = _gpus(raw, framework, tpu)
    kind = _kind(raw.get("kind"), framework)
    argv = train_argv_from_file(raw.get("train")) + list(train_argv)
    name = V.dns1035("name", raw["name"]) if raw.get("name") else derive_name(argv)
    fields = _plain_fields(raw, kind)
    fields["image"] = _image(raw, framework)
    if raw.get("accelerate_config") is not None:
        if framework != "accelerate":
            raise SummlaunchError("--accelerate-config: only for --framework accelerate")
        fields["accelerate_config"] = checks.accelerate_config_text(str(raw["accelerate_config"]))
    if raw.get("pvc_size") and not raw.get("pvc"):
        fields["pvc"] = f"{name}-workspace"
    draft = S.JobSpec(name=name, framework=framework, kind=kind, nodes=nodes, gpus_per_node=per_node,
                      tpu=tpu, slices=slices, train_args=(), **fields)
    args = checks.check_train_args(draft, argv, warn)
    checks.check_spec(draft, warn)
    return draft._replace(train_args=tuple(args))


def _framework_and_tpu(raw: Mapping[str, Any]):
    from summlaunch.jobspec.tpu_types import lookup

    framework = raw.get("framework")
    if framework is not None and framework not in S.FRAMEWORKS:
        raise SummlaunchError(V.choice_error("--framework", framework, S.FRAMEWORKS))
    tpu = None
    if raw.get("tpu"):
        if framework not in (None, "xla"):
            raise SummlaunchError(f"--tpu: TPUs run with --framework xla, not {framework!r}")
        framework = "xla"
        tpu = lookup(str(raw["tpu"]), raw.get("tpu_topology"))
    elif framework == "xla":
        raise SummlaunchError("--framework xla: needs --tpu TYPE (e.g. --tpu v5e-16)")
    for key in ("tpu_topology", "slices", "tpu_zone", "gke_cluster", "gke_location", "node_pool", "privileged"):
        if raw.get(key) is not None and tpu is None:
            raise SummlaunchError(f"--{key.replace('_', '-')}: only with --tpu")
    slices = V.positive_int("slices", raw.get("slices", 1))
    return framework or "torch", tpu, slices


def _gpus(raw: Mapping[str, Any], framework: str, tpu) -> tuple[int, int]:
    gpus, nodes, per_node = (raw.get(k) for k in ("gpus", "nodes", "gpus_per_node"))
    if tpu is not None:
        if any(v is not None for v in (gpus, nodes, per_node)):
            raise SummlaunchError("--gpus/--nodes/--gpus-per-node: not with --tpu (hosts come from the TPU type)")
        return tpu.hosts, 0
    gpus = None if gpus is None else V.non_negative_int("gpus", gpus)
    nodes = None if nodes is None else V.positive_int("nodes", nodes)
    per_node = None if per_node is None else V.non_negative_int("gpus_per_node", per_node)
    if gpus is None:
        return nodes or 1, per_node or 0
    if per_node is not None and nodes is not None and per_node * nodes != gpus:
        raise SummlaunchError(f"--gpus {gpus}: does not equal --nodes {nodes} x --gpus-per-node {per_node}")
    if per_node is not None:
        if per_node == 0 or gpus % per_node:
            raise SummlaunchError(f"--gpus {gpus}: not a multiple of --gpus-per-node {per_node}")
        return gpus // per_node, per_node
    nodes = nodes or 1
    if gpus % nodes:
        raise SummlaunchError(f"--gpus {gpus}: cannot be split evenly over --nodes {nodes}; "
                              f"use a multiple of {nodes}")
    return nodes, gpus // nodes


def _kind(kind: str | None, framework: str) -> str:
    if kind is None or kind == "auto":
        return S.DEFAULT_KIND[framework]
    if kind not in S.KINDS:
        raise SummlaunchError(V.choice_error("--kind", kind, S.KINDS + ("auto",)))
    allowed = tuple(k for k in frameworks.get(framework).kinds if k in S.KINDS)
    if kind not in allowed:
        raise SummlaunchError(f"--kind {kind}: not for --framework {framework}; use {' or '.join(allowed)}")
    return kind


def _image(raw: Mapping[str, Any], framework: str) -> str:
    """The image to run, pinned to the digest `build --push` recorded for it (tag@sha256:...) if any."""
    from summlaunch.images.records import pinned_ref

    if raw.get("image"):
        return pinned_ref(V.image("image", raw["image"]))
    from summlaunch.images.stacks import image_ref  # the content hash of the stack: only without --image

    pins = [str(p) for p in raw.get("pins") or ()]
    try:
        return pinned_ref(image_ref(frameworks.get(framework).stack, pins, raw.get("registry")))
    except SummlaunchError:
        raise
    except Exception as e:  # the images module's own pin errors
        raise SummlaunchError(str(e).splitlines()[0]) from e


def _plain_fields(raw: Mapping[str, Any], kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    simple = {
        "namespace": V.dns1123_label, "gpu_resource": V.qualified_name, "cpu": V.quantity,
        "memory": V.quantity, "shm_size": V.quantity, "pvc": V.dns1123_subdomain,
        "pvc_size": V.quantity, "storage_class": V.dns1123_subdomain,
        "hf_token_secret": V.dns1123_subdomain, "priority_class": V.dns1123_subdomain,
        "queue": V.label_value, "service_account": V.dns1123_subdomain,
        "runtime": V.dns1123_subdomain, "gke_cluster": V.dns1035, "gke_location": V.location,
        "tpu_zone": V.location,
    }
    for key, check in simple.items():
        if raw.get(key) is not None:
            out[key] = check(key, str(raw[key]))
    choices = {"image_pull_policy": S.PULL_POLICIES, "restart_policy": S.RESTART_POLICIES,
               "pvc_access_mode": S.ACCESS_MODES}
    for key, allowed in choices.items():
        if raw.get(key) is not None:
            if raw[key] not in allowed:
                raise SummlaunchError(V.choice_error(f"--{key.replace('_', '-')}", raw[key], allowed))
            out[key] = raw[key]
    for key in ("backoff_limit", "active_deadline", "ttl_after_finished"):
        if raw.get(key) is not None:
            out[key] = (V.non_negative_int if key == "backoff_limit" else V.positive_int)(key, raw[key])
    for key in ("privileged", "node_pool"):
        if raw.get(key) is not None:
            out[key] = V.boolean(key, raw[key])
    out["env"] = V.env_pairs(raw.get("env"))
    out["labels"] = V.label_pairs(raw.get("labels"))
    out["annotations"] = V.annotation_pairs(raw.get("annotations"))
    out["node_selector"] = V.selector_pairs(raw.get("node_selector"))
    out["tolerations"] = V.tolerations(raw.get("tolerations"))
    if kind == "trainjob" and out.get("priority_class"):
        raise SummlaunchError("--priority-class: a TrainJob cannot set it (Trainer v2 runtime patches have no "
                              "priorityClassName); set it in the ClusterTrainingRuntime instead")
    return out


_NON_NAME = re.compile(r"[^a-z0-9-]+")


def derive_name(argv: list[str]) -> str:
    """A DNS-1035 name from --output_dir's last folder, else the model's name, else 'summlaunch'."""
    source = _flag_value(argv, "--output_dir") or _flag_value(argv, "--model_name_or_path") or ""
    base = source.rstrip("/").rsplit("/", 1)[-1].lower()
    name = _NON_NAME.sub("-", base).strip("-")
    if not name:
        return "summlaunch"
    if not name[0].isalpha():
        name = f"summ-{name}"
    return name[:40].rstrip("-")


def _flag_value(argv: list[str], flag: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None
