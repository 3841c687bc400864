"""pytest fixtures: `fake_cluster` (all CRDs installed) and `fake_cluster_factory` (choose CRDs, namespaces).

Use them from a conftest.py:  `from fake_apiserver.fixture import fake_cluster, fake_cluster_factory  # noqa`.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from .cluster import FakeCluster
from .resources import ALL_CRDS


@pytest.fixture
def fake_cluster_factory(tmp_path):
    """Call it to start a cluster: factory(installed_crds=(...), namespaces=(...)). Stopped after the test."""
    started: list[FakeCluster] = []

    def make(installed_crds=ALL_CRDS, namespaces=("default", "kube-system", "kube-public")) -> FakeCluster:
        workdir = tmp_path / f"fake-cluster-{len(started)}"
        workdir.mkdir()
        cluster = FakeCluster(installed_crds, namespaces, workdir).start()
        started.append(cluster)
        return cluster

    yield make
    for cluster in started:
        cluster.stop()
    errors = [e for cluster in started for e in cluster.errors]
    assert not errors, f"the fake API server failed inside: {errors!r}"


@pytest.fixture
def fake_cluster(fake_cluster_factory) -> FakeCluster:
    """A started FakeCluster with every CRD installed and namespace "default"; KUBECONFIG is not touched."""
    return fake_cluster_factory()


def kubectl(fake: FakeCluster, *args: str, input: str | None = None, check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the real kubectl (1.35) against `fake`; text output; raises on a non-zero exit when check."""
    from support.tools import kubectl_path

    env = {**os.environ, "KUBECONFIG": fake.kubeconfig, "NO_COLOR": "1"}
    result = subprocess.run([kubectl_path(), *args], input=input, capture_output=True, text=True, env=env,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result
