"""Filling one kind's template: the Jinja2 environment and the context every kind shares.

Templates live in manifests/ (<kind>.yaml.j2, helpers in _macros.j2) and are rendered by Jinja2
with StrictUndefined, trim_blocks and lstrip_blocks; every value from the spec goes through
|tojson. The text is parsed straight back with PyYAML (summlaunch.objects.yaml_io). Jinja2's
bytecode cache (~/.cache/summlaunch/jinja, or $SUMMLAUNCH_CACHE/jinja) keeps a cold start from
compiling the templates again. The kind modules use this; summlaunch.objects.render dispatches
to them, so the dependency points one way (render -> kinds -> templates).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from summlaunch import labels as L
from summlaunch.jobspec.spec import (ACCELERATE_CONFIG_DIR, ACCELERATE_CONFIG_FILE, HF_HOME, HF_TOKEN_KEY, RUN_AS,
                                     WORKSPACE, JobSpec)


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    from summlaunch.assets import asset_dir

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(asset_dir("manifests"))),
        bytecode_cache=_bytecode_cache(jinja2),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _bytecode_cache(jinja2):
    """Compiled templates cached per user (keyed by the template's source checksum): a cold
    `summlaunch render` then skips Jinja's compiler. No cache when the folder is not writable."""
    import os

    root = os.environ.get("SUMMLAUNCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "summlaunch")
    folder = Path(root) / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder)) if os.access(folder, os.W_OK) else None


def template_text(name: str, context: dict[str, Any]) -> str:
    """The text one template renders (the spec's values are under `c`)."""
    return _environment().get_template(name).render(c=context)


def render_template(name: str, context: dict[str, Any]) -> list[dict]:
    """Fill one template and parse every YAML document it produced (empty ones dropped)."""
    from summlaunch.objects import yaml_io

    return yaml_io.load_all(template_text(name, context))


def common_context(spec: JobSpec) -> dict[str, Any]:
    """Template variables shared by every kind."""
    job_labels = L.job_labels(spec.name, spec.framework, spec.labels)
    if spec.queue:
        job_labels[L.KUEUE_QUEUE] = spec.queue
    return {
        "name": spec.name, "namespace": spec.namespace, "framework": spec.framework,
        "image": spec.image, "image_pull_policy": spec.image_pull_policy,
        "base_labels": L.base_labels(spec.name), "job_labels": job_labels,
        "annotations": dict(spec.annotations),
        "env": common_env(spec),
        "node_selector": dict(spec.node_selector),
        "tolerations": [t.as_dict() for t in spec.tolerations],
        "service_account": spec.service_account, "priority_class": spec.priority_class,
        "privileged": spec.privileged, "run_as": RUN_AS,
        "workspace": WORKSPACE, "pvc": spec.pvc, "pvc_size": spec.pvc_size,
        "pvc_access_mode": spec.pvc_access_mode, "storage_class": spec.storage_class,
        "shm_size": spec.shm_size,
        "accelerate_config": spec.accelerate_config,
        "accelerate_config_map": f"{spec.name}-accelerate",
        "accelerate_config_dir": ACCELERATE_CONFIG_DIR,
        "accelerate_config_file": ACCELERATE_CONFIG_FILE,
        "restart_policy": spec.restart_policy, "backoff_limit": spec.backoff_limit,
        "active_deadline": spec.active_deadline, "ttl_after_finished": spec.ttl_after_finished,
    }


def common_env(spec: JobSpec) -> list[dict[str, str]]:
    env = [{"name": "HF_HOME", "value": HF_HOME}, {"name": "PYTHONUNBUFFERED", "value": "1"}]
    env += [{"name": key, "value": value} for key, value in spec.env]
    if spec.hf_token_secret:
        env.append({"name": "HF_TOKEN", "secret": spec.hf_token_secret, "key": HF_TOKEN_KEY})
    return env


def resources(spec: JobSpec, accelerator: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Requests and limits of one pod: CPU and memory, plus whole accelerators (requests == limits)."""
    amounts: dict[str, Any] = {"cpu": spec.cpu, "memory": spec.memory}
    amounts.update({key: count for key, count in accelerator.items() if count})
    return {"requests": dict(amounts), "limits": dict(amounts)}


def replica_labels(spec: JobSpec, replica_types: list[str]) -> dict[str, dict[str, str]]:
    return {rtype: L.pod_labels(spec.name, rtype.lower(), spec.labels) for rtype in replica_types}
