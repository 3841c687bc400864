"""Every golden goes through the real `kubectl apply` against the strict fake API server.

The server validates custom objects against the real CRD schemas (../shared/crds) and
core objects against Kubernetes' OpenAPI, under kubectl's default strict field
validation. Config Connector's ContainerNodePool has no pinned CRD: it is served
schemaless (metadata checked only); tests/render/_support.nodepool_errors checks its shape.
"""

from __future__ import annotations

import json

import pytest
import yaml

from fake_apiserver.fixture import kubectl

from ._support import CNRM, GOLDEN

GOLDENS = sorted(GOLDEN.glob("*/*.yaml"))


def _objects(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_kubectl_apply_accepts_the_golden(fake_cluster_factory, path):
    objects = _objects(path)
    namespaces = sorted({o["metadata"]["namespace"] for o in objects} | {"default"})
    fake = fake_cluster_factory(namespaces=tuple(namespaces))
    fake.install_schemaless_crd(CNRM, "ContainerNodePool", "containernodepools")
    result = kubectl(fake, "apply", "-f", str(path))
    assert len(result.stdout.strip().splitlines()) == len(objects), result.stdout
    for obj in objects:
        meta = obj["metadata"]
        got = kubectl(fake, "get", f"{obj['kind'].lower()}", meta["name"], "-n", meta["namespace"], "-o", "json")
        stored = json.loads(got.stdout)
        assert stored["metadata"]["labels"] == meta["labels"]
        assert stored.get("spec", stored.get("data")) is not None


def test_kubectl_apply_accepts_the_json_list(fake_cluster_factory):
    from ._support import case_argv, run_cli

    argv = case_argv("tpu-v6e-32-multislice")
    code, listed, err = run_cli(argv[:argv.index("--")] + ["-o", "json"] + argv[argv.index("--"):])
    assert code == 0, err
    fake = fake_cluster_factory()
    fake.install_schemaless_crd(CNRM, "ContainerNodePool", "containernodepools")
    result = kubectl(fake, "apply", "-f", "-", input=listed)
    assert len(result.stdout.strip().splitlines()) == len(json.loads(listed)["items"]) == 4
