"""JobSpec -> Kubernetes objects (pure), and printing/writing those objects.

`render(spec)` picks the job kind from the registry, fills its Jinja template
(manifests/<kind>.yaml.j2; StrictUndefined, trim_blocks, lstrip_blocks, every value
through |tojson) and parses the output straight back into dicts. No clock, no
randomness, nothing but the templates read. Jinja2's bytecode cache keeps a cold start
from compiling the templates again.
"""

from __future__ import annotations

import json
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


def render(spec: JobSpec) -> list[dict]:
    """Every object the job needs, in creation order (node pools, claim, config, service, job)."""
    from summlaunch.objects import kinds

    return kinds.get(spec.kind).render(spec)


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


# ---- output ------------------------------------------------------------------------------

def gcloud_comments(objects: list[dict]) -> list[str]:
    return [obj["metadata"]["annotations"][L.GCLOUD_COMMAND] for obj in objects
            if L.GCLOUD_COMMAND in (obj.get("metadata", {}).get("annotations") or {})]


def to_yaml(objects: list[dict]) -> str:
    """Multi-document YAML; gcloud commands for TPU node pools lead as comments."""
    from summlaunch.objects import yaml_io

    head = "".join(f"# {line}\n" for cmd in gcloud_comments(objects) for line in cmd.splitlines())
    if head:
        head = "# The TPU node pool(s) this job needs; to create them with gcloud:\n" + head
    return head + yaml_io.dump_all(objects)


def to_json(objects: list[dict], as_list: bool = False) -> str:
    """A JSON array of the objects, or (as_list) a kubectl-style `v1 List`."""
    data: Any = {"apiVersion": "v1", "kind": "List", "items": objects} if as_list else objects
    return json.dumps(data, indent=2) + "\n"


def file_name(obj: dict) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def write_dir(objects: list[dict], directory: str | Path) -> list[Path]:
    """One YAML file per object (`<kind>-<name>.yaml`); written to a temp name, then moved."""
    import os

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for obj in objects:
        path = out / file_name(obj)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(to_yaml([obj]))
        paths.append((tmp, path))
    for tmp, path in paths:
        os.replace(tmp, path)
    return [path for _, path in paths]
