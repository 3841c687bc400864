"""`helm install --dry-run=server` against the fake API server (tests/fake_apiserver), helm 4 and 3.19.

helm talks to the server (discovery, capabilities, a GET per object for ownership conflicts) and
prints the release's manifest; its objects must be render's. The job's objects are then created
with the real kubectl (`--validate=strict`: the server checks them against the real CRD schemas),
and the `helm test` hook's own command (`kubectl get` on every object, from the chart) passes
against them, and fails once an object is missing. A second dry-run install then fails on the
conflict, which shows helm really asked the server.

Limits of the fake server, so left out here: a real (non-dry-run) `helm install` (helm stores
its release in a Secret sent in client-go's protobuf encoding, which the fake server does not
decode); the helm test RBAC objects (it serves no rbac.authorization.k8s.io, so the dry-runs set
helmTest.enabled=false; the hook Pod's command is taken from `helm template`); ContainerNodePool
(no Config Connector CRD: the TPU case is the --no-node-pool one).
"""

from __future__ import annotations

import json

import pytest

from fake_apiserver.fixture import fake_cluster_factory, kubectl  # noqa: F401  (a pytest fixture)

from ._support import CHART, case_values, comparable, diff_objects, parse, render_case, split_chart_only

CASES = ("all-options", "accelerate-config-multi", "tf-multi-worker", "trainjob", "tpu-v5p-16-no-node-pool",
         "runfile")
NAMESPACES = ("default", "kube-system", "kube-public", "ml", "override")


def _dry_run(helm, fake, name: str, tmp_path, release: str):
    path = tmp_path / "values.yaml"
    path.write_text(case_values(name))
    return helm.run("install", release, str(CHART), "-f", str(path), "--set", "helmTest.enabled=false",
                    "--dry-run=server", env={"KUBECONFIG": fake.kubeconfig})


def _manifest(stdout: str) -> list[dict]:
    """The objects of `helm install --dry-run` output: the HOOKS: and MANIFEST: sections, not NOTES:."""
    lines, keep, section = stdout.splitlines(), [], None
    for line in lines:
        if line in ("HOOKS:", "MANIFEST:", "NOTES:"):
            section = line
            keep.append("---")
        elif section in ("HOOKS:", "MANIFEST:"):
            keep.append(line)
    return parse("\n".join(keep))


def _hook_args(objects: list[dict]) -> list[str]:
    pod = next(o for o in split_chart_only(objects)[1] if o["kind"] == "Pod")
    return pod["spec"]["containers"][0]["args"]


@pytest.mark.parametrize("name", CASES)
def test_dry_run_install_against_the_api_server(helm, fake_cluster_factory, name, tmp_path):
    fake = fake_cluster_factory(namespaces=NAMESPACES)
    result = _dry_run(helm, fake, name, tmp_path, "dry")
    assert result.returncode == 0, result.stderr
    objects = _manifest(result.stdout)
    assert not diff_objects(render_case(name), comparable(objects)), f"{helm.version}: {name}"
    assert "summlaunch logs" in result.stdout  # NOTES

    job_objects = split_chart_only(objects)[0]
    listed = {"apiVersion": "v1", "kind": "List", "items": job_objects}
    kubectl(fake, "create", "--validate=strict", "-f", "-", input=json.dumps(listed))
    check = _hook_args(helm.objects(case_values(name), tmp_path))  # what the helm test Pod runs
    assert kubectl(fake, *check, check=False).returncode == 0

    again = _dry_run(helm, fake, name, tmp_path, "dry")
    assert again.returncode != 0 and "exists" in again.stderr, again.stderr

    first = job_objects[-1]
    kubectl(fake, "delete", "-n", first["metadata"]["namespace"], f"{first['kind'].lower()}/{first['metadata']['name']}")
    assert kubectl(fake, *check, check=False).returncode != 0
