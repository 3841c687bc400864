"""JobSpec -> Kubernetes objects (pure), and printing/writing those objects.

`render(spec)` picks the job kind from the registry (summlaunch.objects.kinds), which fills its
template (summlaunch.objects.templates) and parses the output straight back into dicts. No
clock, no randomness, nothing but the templates read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from summlaunch import labels as L
from summlaunch.jobspec.spec import JobSpec
from summlaunch.objects import kinds


def render(spec: JobSpec) -> list[dict]:
    """Every object the job needs, in creation order (node pools, claim, config, service, job)."""
    return kinds.get(spec.kind).render(spec)


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
