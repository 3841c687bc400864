"""The real CRD schemas, read from ../shared/crds or downloaded once (pinned by sha256).

The files are never copied into the project. A checkout that has ../shared/crds
beside it reads them there; any other machine downloads the same pinned files
into a cache (SUMMLAUNCH_CRD_CACHE, default ~/.cache/summlaunch/crds) and checks
each sha256 before use.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_CRDS = REPO_ROOT.parent / "shared" / "crds"


@dataclass(frozen=True)
class CrdSource:
    file: str
    repo: str
    tag: str
    path: str
    sha256: str

    @property
    def url(self) -> str:
        return f"https://raw.githubusercontent.com/{self.repo}/{self.tag}/{self.path}"


SOURCES = (
    CrdSource("kubeflow.org_pytorchjobs.yaml", "kubeflow/trainer", "v1.9.4",
              "manifests/base/crds/kubeflow.org_pytorchjobs.yaml",
              "8b8a8a719cc94173169290251e817f7ac2bb425c20b6c2fa813397bcf4e932ed"),
    CrdSource("kubeflow.org_tfjobs.yaml", "kubeflow/trainer", "v1.9.4",
              "manifests/base/crds/kubeflow.org_tfjobs.yaml",
              "6028ab677922ee558d279c9cc2028500372875eec327ed6819fc4dc2796cda9e"),
    CrdSource("jobset.x-k8s.io_jobsets.yaml", "kubernetes-sigs/jobset", "v0.12.0",
              "config/components/crd/bases/jobset.x-k8s.io_jobsets.yaml",
              "d022b87624512cf0b6741b31b24a2bea9945b5a838b50713af29332c878bb6fe"),
    CrdSource("trainer.kubeflow.org_trainjobs.yaml", "kubeflow/trainer", "v2.3.0",
              "manifests/base/crds/trainer.kubeflow.org_trainjobs.yaml",
              "a742cafc5b5582640c7e0b7467c024fc237256fbca5ba0a9f0531dfb66d64416"),
    CrdSource("trainer.kubeflow.org_clustertrainingruntimes.yaml", "kubeflow/trainer", "v2.3.0",
              "manifests/base/crds/trainer.kubeflow.org_clustertrainingruntimes.yaml",
              "ec84dc3388fcdbe8c61d3c247a773d14458dd9438e995bea8e50d2a18080eef9"),
)


def _cache_dir() -> Path:
    default = Path.home() / ".cache" / "summlaunch" / "crds"
    return Path(os.environ.get("SUMMLAUNCH_CRD_CACHE", default))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def crd_path(source: CrdSource) -> Path:
    """Path of a verified copy of one CRD file (shared folder, cache, or a fresh download)."""
    shared = SHARED_CRDS / source.file
    if shared.is_file():
        return shared
    cached = _cache_dir() / source.file
    if cached.is_file() and _sha256(cached) == source.sha256:
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    with urllib.request.urlopen(source.url, timeout=60) as response:
        partial.write_bytes(response.read())
    if _sha256(partial) != source.sha256:
        partial.unlink()
        raise RuntimeError(f"{source.url}: sha256 does not match the pinned {source.sha256}")
    partial.replace(cached)
    return cached


@dataclass(frozen=True)
class Crd:
    group: str
    kind: str
    plural: str
    singular: str
    scope: str
    short_names: tuple[str, ...]
    versions: dict  # version name -> {"schema": ..., "served": bool, "storage": bool, "subresources": ...}
    raw: dict


@lru_cache(maxsize=None)
def load_crds() -> dict[tuple[str, str], Crd]:
    """All pinned CRDs, keyed by (apiVersion, kind)."""
    crds: dict[tuple[str, str], Crd] = {}
    for source in SOURCES:
        doc = yaml.safe_load(crd_path(source).read_text())
        spec = doc["spec"]
        names = spec["names"]
        versions = {v["name"]: v for v in spec["versions"]}
        crd = Crd(spec["group"], names["kind"], names["plural"], names.get("singular", names["kind"].lower()),
                  spec["scope"], tuple(names.get("shortNames", [])), versions, doc)
        for version in versions:
            crds[(f"{spec['group']}/{version}", names["kind"])] = crd
    return crds


def _strict(schema: dict) -> dict:
    """Turn a structural CRD schema into a JSON schema that rejects unknown fields,
    as an API server does under strict field validation (kubectl's default)."""
    schema = dict(schema)
    if schema.get("x-kubernetes-int-or-string"):
        schema.pop("type", None)
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if "properties" in schema:
        schema["properties"] = {k: _strict(v) for k, v in schema["properties"].items()}
        if not schema.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
    if isinstance(schema.get("additionalProperties"), dict):
        schema["additionalProperties"] = _strict(schema["additionalProperties"])
    if isinstance(schema.get("items"), dict):
        schema["items"] = _strict(schema["items"])
    if not schema.get("x-kubernetes-int-or-string"):
        for key in ("anyOf", "allOf", "oneOf"):
            if key in schema:
                schema[key] = [_strict(s) for s in schema[key]]
    return schema


@lru_cache(maxsize=None)
def strict_schema(api_version: str, kind: str) -> dict:
    crd = load_crds()[(api_version, kind)]
    version = api_version.split("/")[1]
    schema = copy.deepcopy(crd.versions[version]["schema"]["openAPIV3Schema"])
    # metadata is checked by validate_metadata; the CRD schema leaves it open.
    schema.setdefault("properties", {})["metadata"] = {"type": "object"}
    return _strict(schema)


_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def metadata_errors(obj: dict) -> list[str]:
    """What a real API server says about an object's metadata (names, labels, annotations)."""
    errors: list[str] = []
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    if not name and not meta.get("generateName"):
        errors.append("metadata.name: Required value")
    elif name and (len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name)):
        errors.append(f"metadata.name: Invalid value: {name!r}: a lowercase RFC 1123 subdomain must consist of "
                      "lower case alphanumeric characters, '-' or '.'")
    for key, value in (meta.get("labels") or {}).items():
        prefix, _, label = key.rpartition("/")
        if not _LABEL_NAME.match(label) or len(label) > 63 or (prefix and not _DNS1123_SUBDOMAIN.match(prefix)):
            errors.append(f"metadata.labels: Invalid value: {key!r}: not a qualified name")
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            errors.append(f"metadata.labels: Invalid value: {value!r}: a valid label must be 63 characters or less")
    for key, value in (meta.get("annotations") or {}).items():
        if not isinstance(value, str):
            errors.append(f"metadata.annotations: Invalid value: {key!r}: must be a string")
    return errors


def crd_errors(obj: dict) -> list[str]:
    """Schema errors for a custom object, as `path: message` lines (empty when valid)."""
    import jsonschema

    key = (obj.get("apiVersion", ""), obj.get("kind", ""))
    if key not in load_crds():
        return [f"no CRD for apiVersion={key[0]!r} kind={key[1]!r}"]
    validator = jsonschema.Draft7Validator(strict_schema(*key))
    errors = [f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
              for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))]
    return errors + metadata_errors(obj)


def core_errors(obj: dict, k8s_version: str = "1.33") -> list[str]:
    """Schema errors for a core Kubernetes object, against the kubernetes-validate schemas."""
    import kubernetes_validate

    try:
        kubernetes_validate.validate(obj, k8s_version, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [f"{'.'.join(str(p) for p in e.path) or '<root>'}: {e.message}"]
    return metadata_errors(obj)
