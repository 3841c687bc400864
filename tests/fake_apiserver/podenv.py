"""A container's environment as the kubelet builds it: env, envFrom, valueFrom, $(VAR) expansion."""

from __future__ import annotations

import base64
import re
import socket

_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class MissingRef(Exception):
    """A non-optional Secret or ConfigMap (key) the container needs does not exist."""


def expand(text: str, env: dict) -> str:
    """Kubernetes $(VAR) expansion: known names are replaced, unknown ones kept, $$ escapes."""
    return _REF.sub(lambda m: env.get(m.group(1), m.group(0)), text).replace("$$", "$")


def _field(pod: dict, path: str) -> str:
    meta = pod["metadata"]
    found = re.match(r"metadata\.(labels|annotations)\['(.+)'\]$", path)
    if found:
        return (meta.get(found.group(1)) or {}).get(found.group(2), "")
    values = {"metadata.name": meta["name"], "metadata.namespace": meta.get("namespace", ""),
              "metadata.uid": meta.get("uid", ""), "spec.nodeName": pod["spec"].get("nodeName", ""),
              "spec.serviceAccountName": pod["spec"].get("serviceAccountName", "default"),
              "status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1"}
    return values.get(path, "")


def _data(cluster, kind: str, namespace: str, name: str, optional: bool) -> dict:
    obj = cluster.store.find(cluster.resource(kind), namespace, name)
    if obj is None:
        if optional:
            return {}
        raise MissingRef(f'{"secret" if kind == "secrets" else "configmap"} "{name}" not found')
    if kind == "secrets":
        return {k: base64.b64decode(v).decode(errors="replace") for k, v in (obj.get("data") or {}).items()}
    return dict(obj.get("data") or {})


def _value_from(cluster, pod: dict, source: dict) -> str | None:
    namespace = pod["metadata"].get("namespace", "default")
    if "fieldRef" in source:
        return _field(pod, source["fieldRef"]["fieldPath"])
    for key, kind in (("secretKeyRef", "secrets"), ("configMapKeyRef", "configmaps")):
        if key in source:
            ref = source[key]
            data = _data(cluster, kind, namespace, ref["name"], ref.get("optional", False))
            if ref["key"] not in data and not ref.get("optional", False):
                raise MissingRef(f'couldn\'t find key {ref["key"]} in {kind[:-1]} {namespace}/{ref["name"]}')
            return data.get(ref["key"])
    return ""  # resourceFieldRef: no resources here


def container_env(cluster, pod: dict, container: dict) -> dict:
    """The env a real kubelet would give this container (raises MissingRef like CreateContainerConfigError)."""
    namespace = pod["metadata"].get("namespace", "default")
    env: dict[str, str] = {"HOSTNAME": pod["spec"].get("hostname") or pod["metadata"]["name"]}
    for source in container.get("envFrom") or []:
        for key, kind in (("secretRef", "secrets"), ("configMapRef", "configmaps")):
            if key in source:
                ref = source[key]
                data = _data(cluster, kind, namespace, ref["name"], ref.get("optional", False))
                env.update({source.get("prefix", "") + k: v for k, v in data.items()})
    for var in container.get("env") or []:
        if "valueFrom" in var:
            value = _value_from(cluster, pod, var["valueFrom"])
            if value is not None:
                env[var["name"]] = value
        else:
            env[var["name"]] = expand(var.get("value", ""), env)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
