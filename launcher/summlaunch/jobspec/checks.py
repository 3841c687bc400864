"""Checks on the training flags and on the spec as a whole, before anything is rendered.

The training flags are checked with the schema the container uses
(`summtrain.flagschema.parse_train_flags`), then the script-aware checks run on the
parsed values: errors raise SummlaunchError (exit 2), warnings go to `warn`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from summlaunch.errors import SummlaunchError
from summlaunch.jobspec import frameworks
from summlaunch.jobspec.spec import WORKSPACE, JobSpec, default_output_dir

Warn = Callable[[str], None]

# accelerate config keys that differ per machine or per job: summlaunch sets them from the
# operator's env and the job's size, as `accelerate launch` flags.
MACHINE_KEYS = ("machine_rank", "main_process_ip", "main_process_port", "num_machines", "num_processes")
_STACK_WORDS = {"xla": ("xla", "tpu"), "tf": ("tf", "tensorflow"), "torch": ("torch", "pytorch", "cuda")}


def parse_train_flags(argv: list[str], backend: str) -> dict[str, Any]:
    """The training flags as {name: value}, checked against the container's schema."""
    from summtrain.errors import UsageError
    from summtrain.flagschema import parse_train_flags as parse

    try:
        return dict(parse(list(argv), backend=backend))
    except UsageError as e:
        raise SummlaunchError(f"training flags: {str(e).strip().splitlines()[0]}") from e


def _evaluation_generates(backend: str) -> bool:
    from summtrain.flagschema import evaluation_generates

    return evaluation_generates(backend)


def check_train_args(spec: JobSpec, argv: list[str], warn: Warn) -> list[str]:
    """Checked training flags, with --output_dir on the shared volume and XLA's static shapes added."""
    argv = list(argv)
    flags = parse_train_flags(argv, spec.backend)
    if "backend" in flags and flags["backend"] != spec.backend:
        raise SummlaunchError(f"--backend {flags['backend']}: the launcher sets it from --framework "
                              f"{spec.framework} ({spec.backend}); drop it or change --framework")
    if "hub_token" in flags:
        raise SummlaunchError("--hub_token: never put a token in a manifest; store it in a Secret and pass "
                              "--hf-token-secret NAME (the pods get HF_TOKEN from it)")
    _check_precision(flags)
    if flags.get("do_eval") and not flags.get("predict_with_generate") and not _evaluation_generates(spec.backend):
        warn(f"--do_eval without --predict_with_generate: the {spec.backend} back end's evaluation reports "
             "loss only, no ROUGE; add --predict_with_generate")
    if spec.framework == "xla":
        if "pad_to_max_length" in flags and not flags["pad_to_max_length"]:
            raise SummlaunchError("--pad_to_max_length false: XLA/TPU needs static shapes (every new shape "
                                  "recompiles); drop the flag or set it true")
        if "pad_to_max_length" not in flags:
            warn("XLA/TPU needs static shapes: adding --pad_to_max_length")
            argv.append("--pad_to_max_length")
    output_dir = flags.get("output_dir")
    if output_dir is None:
        argv += ["--output_dir", default_output_dir(spec.name)]
    elif not _on_volume(str(output_dir)):
        raise SummlaunchError(f"--output_dir {output_dir}: not on the shared volume; a restarted pod would "
                              f"lose its checkpoints; use a path under {WORKSPACE}/ "
                              f"(e.g. {default_output_dir(spec.name)})")
    return argv


def _check_precision(flags: dict[str, Any]) -> None:
    model = str(flags.get("model_name_or_path") or "t5")  # the embedded default is a tiny T5
    if flags.get("fp16") and re.search(r"(^|[/_-])(m|by)?t5", model.lower()):
        shown = flags.get("model_name_or_path") or "the default (tiny T5) model"
        raise SummlaunchError(f"--fp16 with {shown}: T5 overflows in float16 (NaN loss); use --bf16 "
                              "(Ampere or newer GPUs, TPUs) or full precision")


def _on_volume(path: str) -> bool:
    clean = str(Path("/", path)) if path.startswith("/") else path
    return clean.startswith(WORKSPACE + "/") and ".." not in Path(path).parts


def check_spec(spec: JobSpec, warn: Warn) -> None:
    """Checks across fields: image stack vs framework, settings a kind cannot honour."""
    stack = image_stack(spec.image)
    wanted = frameworks.get(spec.framework).stack.split("-")[0]  # torch-cuda, torch-cpu: torch
    if stack is not None and stack != wanted:
        raise SummlaunchError(f"--image {spec.image}: looks like a {stack} image but --framework "
                              f"{spec.framework} needs the {wanted} stack; build one with "
                              f"`summlaunch build --framework {spec.framework}` or drop --image")
    if spec.kind in ("jobset", "trainjob") and spec.restart_policy != "OnFailure":
        warn(f"--restart-policy {spec.restart_policy}: a {spec.kind} restarts whole slices/jobs "
             "(JobSet failurePolicy from --backoff-limit); ignored")
    if spec.kind == "job" and spec.nodes > 1:
        raise SummlaunchError(f"--kind job: one node only, not --nodes {spec.nodes}; use --kind pytorchjob "
                              "(or tfjob) for several nodes")
    if spec.kind == "job" and spec.restart_policy != "OnFailure":
        warn(f"--restart-policy {spec.restart_policy}: a Job's pods run with Never (the Job replaces failed "
             "pods, up to --backoff-limit; preempted pods do not count); ignored")
    if spec.kind == "trainjob" and (spec.ttl_after_finished is not None or spec.backoff_limit != 3):
        warn("TrainJob: --ttl-after-finished and --backoff-limit come from the training runtime; ignored")
    if spec.nodes > 1 and spec.pvc_size and spec.pvc_access_mode != "ReadWriteMany":
        warn(f"--pvc-access-mode {spec.pvc_access_mode}: {spec.nodes} nodes share the volume; "
             "ReadWriteMany is needed unless every pod lands on one node")


def image_stack(image: str) -> str | None:
    """The stack an image reference names (summtrain:xla-..., .../pytorch-xla:...), or None."""
    words = set(re.split(r"[/:_.@-]+", image.lower()))
    for stack, names in _STACK_WORDS.items():  # xla first: torch-xla images are XLA images
        if words & set(names):
            return stack
    return None


def accelerate_config_text(path: str) -> str:
    """`accelerate config` output without the per-machine keys, as YAML for the ConfigMap."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as e:
        raise SummlaunchError(f"--accelerate-config {path}: cannot read it ({e.strerror})") from e
    except yaml.YAMLError as e:
        raise SummlaunchError(f"--accelerate-config {path}: not valid YAML") from e
    if not isinstance(data, dict):
        raise SummlaunchError(f"--accelerate-config {path}: expected the mapping `accelerate config` writes")
    if data.get("compute_environment") not in (None, "LOCAL_MACHINE"):
        raise SummlaunchError(f"--accelerate-config {path}: compute_environment must be LOCAL_MACHINE")
    clean = {k: v for k, v in data.items() if k not in MACHINE_KEYS}
    return yaml.safe_dump(clean, sort_keys=True)
