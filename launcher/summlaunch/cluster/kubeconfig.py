"""The cluster configuration, resolved like kubectl: an explicit kubeconfig, else $KUBECONFIG, else
~/.kube/config, else the in-cluster service account; `context` picks a context and the namespace
defaults to the context's."""

from __future__ import annotations

import os
from pathlib import Path

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from summlaunch.errors import ClusterError

SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def _reason(e: BaseException) -> str:
    from summlaunch.cluster.client import _reason as reason

    return reason(e)


def _kubeconfig_paths(explicit: str | None) -> str | None:
    if explicit:
        if not Path(explicit).expanduser().is_file():
            raise ClusterError(f"kubeconfig {explicit} does not exist: pass an existing file to --kubeconfig")
        return str(Path(explicit).expanduser())
    env = os.environ.get("KUBECONFIG")
    if env:
        found = [p for p in env.split(os.pathsep) if p and Path(p).expanduser().is_file()]
        if not found:
            raise ClusterError(f"KUBECONFIG={env} names no existing file: fix KUBECONFIG or pass --kubeconfig")
        return os.pathsep.join(found)
    default = Path.home() / ".kube" / "config"
    return str(default) if default.is_file() else None


def load_config(kubeconfig: str | None, context: str | None) -> tuple[k8s.Configuration, str, str]:
    """(client configuration, default namespace, context name) like kubectl resolves them."""
    cfg = k8s.Configuration()
    path = _kubeconfig_paths(kubeconfig)
    if path is None:
        if not os.environ.get("KUBERNETES_SERVICE_HOST"):
            raise ClusterError("no kubeconfig found ($KUBECONFIG, ~/.kube/config) and not running inside a cluster: "
                               "pass --kubeconfig or set KUBECONFIG")
        if context:
            raise ClusterError(f"--context {context} needs a kubeconfig; inside a cluster only the service account works")
        try:
            k8s_config.load_incluster_config(client_configuration=cfg)
        except ConfigException as e:
            raise ClusterError(f"in-cluster configuration failed: {_reason(e)}") from e
        ns_file = SA_DIR / "namespace"
        return cfg, ns_file.read_text().strip() if ns_file.is_file() else "default", "in-cluster"
    try:
        contexts, active = k8s_config.list_kube_config_contexts(config_file=path)
    except Exception as e:  # noqa: BLE001 - YAML errors, missing keys: a broken file either way
        raise ClusterError(f"kubeconfig {path} is broken: {_reason(e)}: fix the file or pass another with --kubeconfig") from e
    names = [c["name"] for c in contexts or []]
    chosen = context or (active or {}).get("name")
    if not chosen:
        raise ClusterError(f"kubeconfig {path} has no current-context: pass --context (one of {', '.join(names) or 'none'})")
    if chosen not in names:
        raise ClusterError(f"context {chosen!r} is not in kubeconfig {path}: use one of {', '.join(names) or '(none)'}")
    entry = next(c for c in contexts if c["name"] == chosen)
    try:
        k8s_config.load_kube_config(config_file=path, context=chosen, client_configuration=cfg, persist_config=False)
    except Exception as e:  # noqa: BLE001 - ConfigException, missing cert files, exec plugin failures
        raise ClusterError(f"kubeconfig {path}, context {chosen}: {_reason(e)}") from e
    return cfg, (entry.get("context") or {}).get("namespace") or "default", chosen
